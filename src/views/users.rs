//! The Users page (whole page, or just its results for htmx), the add and edit forms,
//! and the no-JavaScript delete confirmation.

use std::sync::Arc;

use askama::Template;

use super::Chrome;
use super::list::{Column, SortLink};
use crate::db::users::ListedUser;
use crate::domain::ids::UserId;
use crate::domain::listing::{ListView, PAGE_SIZES, SortKey, Total, status_param};
use crate::domain::{Scope, Status};
use crate::web::paths;

/// One table row, ready to show.
pub struct UserRow {
    pub id: UserId,
    pub extension: String,
    pub name: String,
    pub email: String,
    pub department: String,
    pub site: String,
    pub scope: &'static str,
    pub devices: i64,
    pub status: &'static str,
    pub status_class: &'static str,
    pub must_change_password: bool,
    pub is_system: bool,
    pub edit_href: String,
    /// The no-JavaScript confirmation page (GET, with the view from the row-delete
    /// form's fields), and where the dialog's Yes posts.
    pub delete_action: String,
}

impl UserRow {
    pub fn new(user: ListedUser, domain: &str) -> Self {
        let status = user.status;
        let name = format!("{} {}", user.first_name, user.last_name)
            .trim()
            .to_owned();
        UserRow {
            id: user.id,
            edit_href: paths::user(domain, &user.extension),
            delete_action: paths::user_delete(domain, &user.extension),
            name,
            email: user.email.unwrap_or_default(),
            scope: user.scope.label(),
            devices: user.device_count,
            status: status.label(),
            status_class: status_param(status),
            must_change_password: user.must_change_password,
            is_system: user.is_system,
            department: user.department,
            site: user.site,
            extension: user.extension,
        }
    }
}

/// `path?query`, or just `path` when the query is empty.
pub fn with_query(path: &str, query: &str) -> String {
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    }
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl SelectOption {
    /// **Per page**'s choices, `selected` chosen: the Users page's and the Jobs page's.
    pub fn page_sizes(selected: u32) -> Vec<SelectOption> {
        PAGE_SIZES
            .into_iter()
            .map(|size| SelectOption {
                value: size.to_string(),
                label: size.to_string(),
                selected: selected == size,
            })
            .collect()
    }
}

/// The part of the page htmx swaps on search, sort and paging.
pub struct UsersResults {
    pub domain: String,
    pub rows: Vec<UserRow>,
    pub total: Total,
    /// "60 users · page 1 of 3", "1,000+ users match · page 2".
    pub summary: String,
    pub columns: Vec<Column>,
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    /// Identifies the filter a selection belongs to; a new search starts a new selection.
    pub filter_key: String,
}

/// The results as HTML: what the page and the htmx swap both show, and what
/// [`super::results_cache`] keeps.
#[derive(Template)]
#[template(path = "users/_results.html")]
pub struct ResultsTable<'a> {
    pub results: &'a UsersResults,
}

/// What the page needs of the view outside the results; an htmx swap keeps it current
/// out of band.
pub struct ViewLinks {
    /// Export of this view.
    pub export_href: String,
    pub users_href: String,
    /// This page's parameters, for the no-JavaScript delete form to come back to it.
    pub page_params: Vec<(&'static str, String)>,
    /// The sort, for the search form's hidden fields.
    pub sort: &'static str,
    pub dir: &'static str,
}

impl ViewLinks {
    pub fn new(domain: &str, view: &ListView) -> Self {
        ViewLinks {
            export_href: with_query(&paths::users_export(domain), &view.view_query()),
            users_href: paths::users(domain),
            page_params: view.page_params(),
            sort: view.sort.param(),
            dir: if view.descending { "desc" } else { "asc" },
        }
    }
}

impl UsersResults {
    pub fn new(
        domain: &str,
        view: &ListView,
        rows: Vec<ListedUser>,
        total: Total,
        has_more: bool,
    ) -> Self {
        let base = paths::users(domain);
        let sorted = |label, id, key: SortKey| {
            let current = view.sort == key;
            Column::sorted(
                label,
                SortLink {
                    id,
                    href: with_query(&base, &view.sort_query(key)),
                    aria_sort: current.then_some(if view.descending {
                        "descending"
                    } else {
                        "ascending"
                    }),
                    arrow: match (current, view.descending) {
                        (false, _) => "",
                        (true, false) => " ▲",
                        (true, true) => " ▼",
                    },
                },
            )
        };
        let columns = vec![
            Column::select_page("Select all on this page"),
            sorted("Extension", "sort-extension", SortKey::Extension),
            sorted("Name", "sort-name", SortKey::Name),
            Column::text("E-mail"),
            Column::text("Department"),
            Column::text("Site"),
            Column::text("Scope"),
            Column::number("Devices"),
            sorted("Status", "sort-status", SortKey::Status),
            Column::blank("actions"),
        ];
        let first = rows.first().map(ListedUser::cursor);
        let last = rows.last().map(ListedUser::cursor);
        let filtered = !view.filter_query().is_empty();
        let summary = summary(total, filtered, view, has_more);
        UsersResults {
            domain: domain.to_owned(),
            previous_href: first
                .filter(|_| view.page > 1)
                .map(|cursor| with_query(&base, &view.previous_query(cursor))),
            next_href: last
                .filter(|_| has_more)
                .map(|cursor| with_query(&base, &view.next_query(cursor))),
            rows: rows
                .into_iter()
                .map(|row| UserRow::new(row, domain))
                .collect(),
            total,
            summary,
            columns,
            filter_key: format!("{domain}?{}", view.filter_query()),
        }
    }
}

/// The count line above the table: how many users the view holds (exactly, or at least
/// so many where a search stopped counting) and, over several pages, which one this is.
fn summary(total: Total, filtered: bool, view: &ListView, has_more: bool) -> String {
    let mut line = match total {
        Total::Exactly(1) => "1 user".to_owned(),
        _ => format!("{total} users"),
    };
    if filtered {
        line.push_str(if total == Total::Exactly(1) {
            " matches"
        } else {
            " match"
        });
    }
    let per_page = i64::from(view.per_page);
    match total {
        Total::Exactly(count) if count > per_page => {
            let pages = (count + per_page - 1) / per_page;
            line.push_str(&format!(" · page {} of {pages}", view.page));
        }
        Total::AtLeast(_) if view.page > 1 || has_more => {
            line.push_str(&format!(" · page {}", view.page));
        }
        _ => {}
    }
    line
}

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    /// Always false here: the whole page is not an out-of-band swap.
    pub oob: bool,
    pub domain: String,
    pub flash: Option<String>,
    pub users_href: String,
    pub add_user_href: String,
    pub audit_href: String,
    pub jobs_href: String,
    pub deleted_href: String,
    pub import_href: String,
    pub routing_href: String,
    pub settings_href: String,
    /// "{N} dead ends in call routing", while the domain has any, and its link to Call
    /// routing with Only dead ends checked.
    pub dead_ends: Option<(String, String)>,
    /// How long a deleted user can be restored (the delete dialog says so).
    pub retention_days: u32,
    pub search: String,
    pub status_options: Vec<SelectOption>,
    pub per_page_options: Vec<SelectOption>,
    pub show_system: bool,
    pub links: ViewLinks,
    /// The rendered [`ResultsTable`].
    pub results: Arc<str>,
}

impl UsersPage {
    pub fn new(
        chrome: Chrome,
        domain: &str,
        view: &ListView,
        flash: Option<String>,
        links: ViewLinks,
        results: Arc<str>,
        retention_days: u32,
    ) -> Self {
        let mut status_options = vec![SelectOption {
            value: String::new(),
            label: "All statuses".into(),
            selected: view.status.is_none(),
        }];
        status_options.extend(Status::ALL.into_iter().map(|status| SelectOption {
            value: status_param(status).into(),
            label: status.label().into(),
            selected: view.status == Some(status),
        }));
        let per_page_options = SelectOption::page_sizes(view.per_page);
        UsersPage {
            chrome,
            oob: false,
            domain: domain.to_owned(),
            flash,
            users_href: paths::users(domain),
            add_user_href: paths::user_new(domain),
            audit_href: paths::audit(domain),
            jobs_href: paths::domain_jobs(domain),
            deleted_href: paths::deleted_users(domain),
            import_href: paths::import(domain),
            routing_href: paths::routing(domain),
            settings_href: paths::domain_settings(domain),
            dead_ends: None,
            retention_days,
            search: view.search.clone(),
            status_options,
            per_page_options,
            show_system: view.show_system,
            links,
            results,
        }
    }
}

impl UsersPage {
    /// The page naming the domain's `count` dead ends (none: no line).
    pub fn with_dead_ends(self, count: i64) -> Self {
        UsersPage {
            dead_ends: (count > 0).then(|| {
                (
                    format!("{count} dead ends in call routing"),
                    paths::routing_dead_ends(&self.domain),
                )
            }),
            ..self
        }
    }
}

/// Just the results, for htmx.
#[derive(Template)]
#[template(path = "users/results_fragment.html")]
pub struct UsersResultsFragment {
    pub links: ViewLinks,
    /// The rendered [`ResultsTable`].
    pub results: Arc<str>,
    /// Always true here: the export link and sort fields are swapped out of band.
    pub oob: bool,
}

/// What each form field shows: the value typed and, when refused, why.
#[derive(Debug, Default, Clone)]
pub struct FormField {
    pub value: String,
    pub error: Option<String>,
}

impl FormField {
    pub fn new(value: impl Into<String>) -> Self {
        Self {
            value: value.into(),
            error: None,
        }
    }
}

/// The add and edit forms share one template.
#[derive(Template)]
#[template(path = "users/form.html")]
pub struct UserFormPage {
    pub chrome: Chrome,
    pub domain: String,
    pub heading: String,
    pub action: String,
    pub cancel_href: String,
    /// Edit pages show the extension read-only; the add page lets it be typed.
    pub editing: bool,
    pub version: i32,
    /// On the edit page: the user's id, for the single-user Reset User.
    pub reset_user_id: Option<UserId>,
    /// On the edit page: recent mail to the user and how it fared.
    pub mail: Vec<MailRow>,
    /// On the edit page: the user's sessions.
    pub sessions: Option<SessionsSummary>,
    /// The edit page's Reached from: every reference to the user in call routing.
    pub reached_from: Option<crate::views::routing::ReachedFrom>,
    pub flash: Option<String>,
    pub form_error: Option<String>,
    pub extension: FormField,
    pub first_name: FormField,
    pub last_name: FormField,
    pub email: FormField,
    pub scope: FormField,
    pub department: FormField,
    pub site: FormField,
    pub time_zone: FormField,
    pub caller_id_number: FormField,
    pub emergency_caller_id: FormField,
    pub scope_options: Vec<SelectOption>,
    /// What an empty Time zone means; the routes fill it in.
    pub domain_time_zone: String,
    /// The names Time zone suggests.
    pub time_zones: &'static [&'static str],
}

/// The add and edit forms' fields, in [`UserField::ALL`]'s order.
///
/// [`UserField::ALL`]: crate::domain::fields::UserField::ALL
pub type UserFormFields = [FormField; 10];

impl UserFormPage {
    /// The add page (`editing` None) or the edit page of that extension, with the
    /// fields as given and the scopes up to `highest` offered; the edit page's extras
    /// (version, mail, sessions, Reset User) and messages start empty.
    pub fn new(
        chrome: Chrome,
        domain: &str,
        editing: Option<&str>,
        highest: Scope,
        fields: UserFormFields,
    ) -> Self {
        let [
            extension,
            first_name,
            last_name,
            email,
            scope,
            department,
            site,
            time_zone,
            caller_id_number,
            emergency_caller_id,
        ] = fields;
        let (heading, action) = match editing {
            Some(ext) => (format!("Edit user {ext}"), paths::user(domain, ext)),
            None => ("Add User".to_owned(), paths::user_new(domain)),
        };
        UserFormPage {
            chrome,
            domain: domain.to_owned(),
            heading,
            action,
            cancel_href: paths::users(domain),
            editing: editing.is_some(),
            version: 0,
            reset_user_id: None,
            mail: Vec::new(),
            sessions: None,
            reached_from: None,
            flash: None,
            form_error: None,
            scope_options: scope_options(highest, &scope.value),
            domain_time_zone: String::new(),
            time_zones: crate::domain::fields::time_zone_names(),
            extension,
            first_name,
            last_name,
            email,
            scope,
            department,
            site,
            time_zone,
            caller_id_number,
            emergency_caller_id,
        }
    }
}

/// The scopes an actor may give, with `current` selected.
fn scope_options(highest: Scope, current: &str) -> Vec<SelectOption> {
    Scope::ALL
        .into_iter()
        .filter(|scope| *scope <= highest)
        .map(|scope| SelectOption {
            value: scope.label().into(),
            label: scope.label().into(),
            selected: scope.label() == current,
        })
        .collect()
}

/// The delete confirmation for browsers without JavaScript.
#[derive(Template)]
#[template(path = "users/delete.html")]
pub struct DeleteConfirmPage {
    pub chrome: Chrome,
    pub domain: String,
    pub extension: String,
    pub name: String,
    pub action: String,
    pub back_href: String,
    pub retention_days: u32,
    pub reach: DeleteReach,
}

/// What reaches a user about to be deleted, who may take over, and what would reach
/// nobody: part of the delete page, and the delete dialog's fragment.
#[derive(Template)]
#[template(path = "users/_delete_reach.html")]
pub struct DeleteReach {
    pub reached_from: crate::views::routing::ReachedFrom,
    pub successors: crate::views::routing::Successors,
    pub nobody: Option<String>,
}

/// What a user's edit page says of their sessions.
#[derive(Debug, Clone)]
pub enum SessionsSummary {
    /// One's own page: a link to one's own Sessions page.
    Own,
    /// Another user's: how many are open, and **End sessions**; whether two-step
    /// sign-in is on, and **Reset two-step sign-in** when it is.
    Other {
        open: i64,
        end_action: String,
        two_step_on: bool,
        reset_two_step_action: String,
    },
}

/// One message to a user, as the edit page lists it.
#[derive(Debug, Clone)]
pub struct MailRow {
    pub what: &'static str,
    pub recipient: String,
    /// "Queued", "Sending", "Sent", "Failed" or "Cancelled".
    pub state: &'static str,
    pub queued_at: String,
    /// When it was sent, or why it is waiting or failed.
    pub detail: String,
}

impl From<crate::db::outbox::Message> for MailRow {
    fn from(message: crate::db::outbox::Message) -> Self {
        use crate::domain::states::MailState;
        let what = match message.kind.as_str() {
            "welcome" => "Welcome e-mail",
            "password_reset" => "Password reset e-mail",
            _ => "E-mail",
        };
        let state = match message.state {
            MailState::Queued => "Queued",
            MailState::Sending => "Sending",
            MailState::Sent => "Sent",
            MailState::Failed => "Failed",
            MailState::Cancelled => "Cancelled",
        };
        let detail = match (message.state, message.sent_at, message.last_error) {
            (MailState::Sent, Some(at), _) => format!("Sent {} UTC", at.format("%Y-%m-%d %H:%M")),
            (MailState::Queued, _, Some(error)) => format!(
                "Attempt {} failed: {error} It will be tried again.",
                message.attempts
            ),
            (_, _, Some(error)) => error,
            _ => String::new(),
        };
        Self {
            what,
            recipient: message.recipient,
            state,
            queued_at: message.created_at.format("%Y-%m-%d %H:%M").to_string(),
            detail,
        }
    }
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::db::outbox::Message;
    use crate::domain::listing::{Cursor, Position};
    use crate::domain::states::MailState;
    use crate::views::{main_of, test_chrome, test_time};

    const DOMAIN: &str = "acme.example";

    /// Where a page's results go: they have snapshots of their own (`users_results_*`).
    fn results_placeholder() -> Arc<str> {
        Arc::from("<!-- the rendered ResultsTable -->")
    }

    fn listed(id: i64, extension: &str, first: &str, last: &str) -> ListedUser {
        ListedUser {
            id: UserId::new(id),
            extension: extension.into(),
            first_name: first.into(),
            last_name: last.into(),
            email: Some(format!("{}.{}@acme.example", first, last).to_lowercase()),
            department: "Sales".into(),
            site: "Head Office".into(),
            time_zone: String::new(),
            caller_id_number: String::new(),
            emergency_caller_id: String::new(),
            scope: Scope::BasicUser,
            status: Status::Active,
            must_change_password: false,
            is_system: false,
            device_count: 2,
        }
    }

    fn results_html(
        view: &ListView,
        rows: Vec<ListedUser>,
        total: Total,
        has_more: bool,
    ) -> askama::Result<String> {
        let results = UsersResults::new(DOMAIN, view, rows, total, has_more);
        ResultsTable { results: &results }.render()
    }

    /// The default view's first page: sorted by extension, only Next page.
    #[test]
    fn results_first_of_three_pages() -> askama::Result<()> {
        let rows = vec![
            ListedUser {
                scope: Scope::OfficeManager,
                ..listed(1, "100", "Ada", "Lovelace")
            },
            ListedUser {
                must_change_password: true,
                device_count: 3,
                ..listed(2, "101", "Ben", "Larsen")
            },
            ListedUser {
                email: None,
                status: Status::SetupRequired,
                device_count: 1,
                ..listed(51, "150", "", "")
            },
        ];
        let html = results_html(&ListView::default(), rows, Total::Exactly(60), true)?;
        assert_snapshot!("users_results_first_page", html);
        Ok(())
    }

    /// A later page of a filtered view sorted by name, descending: both page links,
    /// each keeping the view.
    #[test]
    fn results_middle_page_by_name_descending() -> askama::Result<()> {
        let view = ListView {
            status: Some(Status::Active),
            sort: SortKey::Name,
            descending: true,
            per_page: 50,
            position: Position::After(Cursor {
                extension: "120".into(),
                status: Status::Active.code(),
                first_name: "Kim".into(),
                last_name: "Park".into(),
            }),
            page: 3,
            ..ListView::default()
        };
        let rows = vec![
            listed(12, "111", "Jon", "Hart"),
            listed(30, "129", "Ida", "Berg"),
        ];
        let html = results_html(&view, rows, Total::Exactly(160), true)?;
        assert_snapshot!("users_results_middle_page_by_name_descending", html);
        Ok(())
    }

    /// A search that finds one system user, shown because system users are asked for.
    #[test]
    fn results_search_with_a_system_user() -> askama::Result<()> {
        let view = ListView {
            search: "999".into(),
            show_system: true,
            ..ListView::default()
        };
        let rows = vec![ListedUser {
            email: None,
            department: String::new(),
            site: String::new(),
            scope: Scope::NoPortal,
            status: Status::PasswordRequired,
            is_system: true,
            device_count: 0,
            ..listed(61, "9990", "Voicemail", "")
        }];
        let html = results_html(&view, rows, Total::Exactly(1), false)?;
        assert_snapshot!("users_results_search_with_a_system_user", html);
        Ok(())
    }

    #[test]
    fn results_search_without_matches() -> askama::Result<()> {
        let view = ListView {
            search: "nobody".into(),
            ..ListView::default()
        };
        let html = results_html(&view, Vec::new(), Total::Exactly(0), false)?;
        assert_snapshot!("users_results_search_without_matches", html);
        Ok(())
    }

    /// A broad search past the count's cap: "1,000+", a page number without "of".
    #[test]
    fn results_search_past_the_count_cap() -> askama::Result<()> {
        let view = ListView {
            search: "example".into(),
            page: 2,
            ..ListView::default()
        };
        let rows = vec![listed(3, "102", "Cy", "Moreau")];
        let html = results_html(&view, rows, Total::AtLeast(1000), true)?;
        assert_snapshot!("users_results_search_past_the_count_cap", html);
        Ok(())
    }

    fn searched_view() -> ListView {
        ListView {
            search: "15".into(),
            status: Some(Status::Active),
            sort: SortKey::Name,
            descending: true,
            per_page: 50,
            show_system: true,
            ..ListView::default()
        }
    }

    /// The htmx answer to a search: the results, and out of band the Export link, the
    /// search form's sort fields and the no-JavaScript delete form's view.
    #[test]
    fn results_fragment_updates_the_view_out_of_band() -> askama::Result<()> {
        let view = ListView {
            position: Position::After(Cursor {
                extension: "151".into(),
                status: Status::Active.code(),
                first_name: "Lee".into(),
                last_name: "Moss".into(),
            }),
            page: 2,
            ..searched_view()
        };
        let html = UsersResultsFragment {
            links: ViewLinks::new(DOMAIN, &view),
            results: results_placeholder(),
            oob: true,
        }
        .render()?;
        // The cursor's parts are joined by U+001F, invisible in a file: shown as ␟.
        let html = html.replace(crate::domain::listing::CURSOR_SEPARATOR, "␟");
        assert_snapshot!("users_results_fragment", html);
        Ok(())
    }

    fn users_page(view: &ListView, flash: Option<String>) -> askama::Result<String> {
        UsersPage::new(
            test_chrome(),
            DOMAIN,
            view,
            flash,
            ViewLinks::new(DOMAIN, view),
            results_placeholder(),
            30,
        )
        .render()
    }

    /// The default view: Bulk Action disabled until users are selected.
    #[test]
    fn users_list() -> askama::Result<()> {
        let html = users_page(&ListView::default(), None)?;
        assert_snapshot!("users_list", main_of(&html));
        Ok(())
    }

    /// The search form shows the view (search, status, page size, system users) and the
    /// message of the last action.
    #[test]
    fn users_list_with_a_search_and_a_message() -> askama::Result<()> {
        let flash = Some("User 101 (Ben Larsen) was deleted.".to_owned());
        let html = users_page(&searched_view(), flash)?;
        assert_snapshot!("users_list_with_a_search_and_a_message", main_of(&html));
        Ok(())
    }

    /// The form as `routes::users` fills it for an Office Manager.
    fn form_page(editing: Option<&str>, fields: UserFormFields) -> UserFormPage {
        UserFormPage {
            version: if editing.is_some() { 3 } else { 0 },
            domain_time_zone: "America/New_York".into(),
            // Two of the tz database's names stand for its few hundred.
            time_zones: &["America/New_York", "Europe/London"],
            ..UserFormPage::new(test_chrome(), DOMAIN, editing, Scope::OfficeManager, fields)
        }
    }

    fn fields(values: [&str; 10]) -> UserFormFields {
        values.map(FormField::new)
    }

    fn refused(value: &str, error: &str) -> FormField {
        FormField {
            value: value.into(),
            error: Some(error.into()),
        }
    }

    /// Scopes above the actor's own are not offered.
    #[test]
    fn add_user_form() -> askama::Result<()> {
        let html = form_page(
            None,
            fields(["", "", "", "", "Basic User", "", "", "", "", ""]),
        )
        .render()?;
        assert_snapshot!("user_form_add", main_of(&html));
        Ok(())
    }

    /// Each refused field is marked and described by its message; what was typed stays.
    #[test]
    fn add_user_form_with_field_errors() -> askama::Result<()> {
        let [_, first, last, _, _, department, site, _, _, emergency] = fields([
            "",
            "Nina",
            "Newhire",
            "",
            "",
            "Sales",
            "Head Office",
            "",
            "",
            "+12125550199",
        ]);
        let html = form_page(
            None,
            [
                refused("1x", "An extension has digits only."),
                first,
                last,
                refused(
                    "not-an-address",
                    "Enter an e-mail address such as name@example.com.",
                ),
                refused("Emperor", "Choose one of the listed scopes."),
                department,
                site,
                refused(
                    "Mars/Olympus",
                    "Enter a time zone such as America/New_York, or leave it empty for the domain's.",
                ),
                refused(
                    "555-0142",
                    "Enter a phone number in E.164, such as +12125550142.",
                ),
                emergency,
            ],
        )
        .render()?;
        assert_snapshot!("user_form_add_with_field_errors", main_of(&html));
        Ok(())
    }

    fn mail(kind: &str, state: MailState, sent_at: Option<&str>, error: Option<&str>) -> MailRow {
        Message {
            id: 1,
            user_id: Some(UserId::new(6)),
            recipient: "eve.stone@acme.example".into(),
            kind: kind.into(),
            subject: String::new(),
            body_text: String::new(),
            body_html: String::new(),
            state,
            attempts: 1,
            last_error: error.map(str::to_owned),
            created_at: test_time("2026-11-27 14:05:00"),
            sent_at: sent_at.map(test_time),
        }
        .into()
    }

    fn edit_fields() -> UserFormFields {
        fields([
            "105",
            "Eve",
            "Stone",
            "eve.stone@acme.example",
            "Simple User",
            "Sales",
            "Head Office",
            "Europe/London",
            "+442079460000",
            "+442079460999",
        ])
    }

    /// Another user's edit page: the read-only extension, their mail, their sessions
    /// with End sessions, and Reset User with the Bulk Action dialog.
    #[test]
    fn edit_user_form() -> askama::Result<()> {
        let page = UserFormPage {
            reset_user_id: Some(UserId::new(6)),
            mail: vec![
                mail(
                    "welcome",
                    MailState::Sent,
                    Some("2026-11-27 14:06:00"),
                    None,
                ),
                mail(
                    "password_reset",
                    MailState::Queued,
                    None,
                    Some("The mail server did not answer: nothing is listening there."),
                ),
            ],
            sessions: Some(SessionsSummary::Other {
                open: 1,
                end_action: paths::user_sessions_end(DOMAIN, "105"),
                two_step_on: true,
                reset_two_step_action: paths::user_two_step_reset(DOMAIN, "105"),
            }),
            flash: Some("1 session of user 105 was ended.".into()),
            ..form_page(Some("105"), edit_fields())
        };
        let html = page.render()?;
        assert_snapshot!("user_form_edit", main_of(&html));
        Ok(())
    }

    /// One's own edit page links to one's own Sessions page instead.
    #[test]
    fn edit_own_user_form() -> askama::Result<()> {
        let page = UserFormPage {
            reset_user_id: Some(UserId::new(1)),
            sessions: Some(SessionsSummary::Own),
            ..form_page(
                Some("100"),
                fields([
                    "100",
                    "Ada",
                    "Lovelace",
                    "ada.lovelace@acme.example",
                    "Office Manager",
                    "",
                    "",
                    "",
                    "",
                    "",
                ]),
            )
        };
        let html = page.render()?;
        assert_snapshot!("user_form_edit_own_user", main_of(&html));
        Ok(())
    }

    /// A refused save of the edit form shows the form alone, as posted.
    #[test]
    fn edit_user_form_with_field_errors() -> askama::Result<()> {
        let [
            extension,
            _,
            last,
            _,
            scope,
            department,
            site,
            time_zone,
            caller_id_number,
            emergency_caller_id,
        ] = edit_fields();
        let html = form_page(
            Some("105"),
            [
                extension,
                FormField::new("Eve & Co"),
                last,
                refused("eve@", "Enter an e-mail address such as name@example.com."),
                scope,
                department,
                site,
                time_zone,
                caller_id_number,
                emergency_caller_id,
            ],
        )
        .render()?;
        assert_snapshot!("user_form_edit_with_field_errors", main_of(&html));
        Ok(())
    }

    /// A save over someone else's: the message above the form.
    #[test]
    fn edit_user_form_after_a_conflict() -> askama::Result<()> {
        let page = UserFormPage {
            form_error: Some(
                "Someone else changed this user while you were editing. Reload the page to see their changes."
                    .into(),
            ),
            ..form_page(Some("105"), edit_fields())
        };
        let html = page.render()?;
        assert_snapshot!("user_form_edit_after_a_conflict", main_of(&html));
        Ok(())
    }

    fn delete_page(extension: &str, name: &str) -> DeleteConfirmPage {
        let back = "q=1&sort=name";
        DeleteConfirmPage {
            chrome: test_chrome(),
            domain: DOMAIN.into(),
            extension: extension.into(),
            name: name.into(),
            action: with_query(&paths::user_delete(DOMAIN, extension), back),
            back_href: with_query(&paths::users(DOMAIN), back),
            retention_days: 30,
            reach: DeleteReach {
                reached_from: crate::views::routing::ReachedFrom::new(&[]),
                successors: crate::views::routing::Successors::new(&[], &[], None),
                nobody: None,
            },
        }
    }

    /// Without JavaScript: Yes posts the delete, No goes back to the view.
    #[test]
    fn delete_confirmation() -> askama::Result<()> {
        let html = delete_page("101", "Ben Larsen").render()?;
        assert_snapshot!("user_delete_confirm", main_of(&html));
        let nameless = delete_page("150", "").render()?;
        assert_snapshot!("user_delete_confirm_without_a_name", main_of(&nameless));
        Ok(())
    }
}
