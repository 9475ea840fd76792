//! The Users page (whole page, or just its results for htmx), the add and edit forms,
//! and the no-JavaScript delete confirmation.

use std::sync::Arc;

use askama::Template;

use super::Chrome;
use crate::db::users::ListedUser;
use crate::domain::ids::UserId;
use crate::domain::listing::{ListView, PAGE_SIZES, SortKey, Total, status_param};
use crate::domain::{Scope, Status};
use crate::routes::paths;

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

/// A column header: sortable ones link to their sort and tell screen readers the order.
pub struct ColumnHeader {
    pub label: &'static str,
    pub id: &'static str,
    pub href: Option<String>,
    pub aria_sort: Option<&'static str>,
    pub arrow: &'static str,
}

pub struct SelectOption {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The part of the page htmx swaps on search, sort and paging.
pub struct UsersResults {
    pub domain: String,
    pub rows: Vec<UserRow>,
    pub total: Total,
    /// "60 users · page 1 of 3", "1,000+ users match · page 2".
    pub summary: String,
    pub columns: Vec<ColumnHeader>,
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
        let column = |label, id, key: Option<SortKey>| {
            let Some(key) = key else {
                return ColumnHeader {
                    label,
                    id,
                    href: None,
                    aria_sort: None,
                    arrow: "",
                };
            };
            let current = view.sort == key;
            ColumnHeader {
                label,
                id,
                href: Some(with_query(&base, &view.sort_query(key))),
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
            }
        };
        let columns = vec![
            column("Extension", "sort-extension", Some(SortKey::Extension)),
            column("Name", "sort-name", Some(SortKey::Name)),
            column("E-mail", "col-email", None),
            column("Department", "col-department", None),
            column("Site", "col-site", None),
            column("Scope", "col-scope", None),
            column("Devices", "col-devices", None),
            column("Status", "sort-status", Some(SortKey::Status)),
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
        let per_page_options = PAGE_SIZES
            .into_iter()
            .map(|size| SelectOption {
                value: size.to_string(),
                label: size.to_string(),
                selected: view.per_page == size,
            })
            .collect();
        UsersPage {
            chrome,
            oob: false,
            domain: domain.to_owned(),
            flash,
            users_href: paths::users(domain),
            add_user_href: paths::user_new(domain),
            audit_href: paths::audit(domain),
            search: view.search.clone(),
            status_options,
            per_page_options,
            show_system: view.show_system,
            links,
            results,
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
    pub flash: Option<String>,
    pub form_error: Option<String>,
    pub extension: FormField,
    pub first_name: FormField,
    pub last_name: FormField,
    pub email: FormField,
    pub scope: FormField,
    pub department: FormField,
    pub site: FormField,
    pub scope_options: Vec<SelectOption>,
}

/// The scopes an actor may give, with `current` selected.
pub fn scope_options(highest: Scope, current: &str) -> Vec<SelectOption> {
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
}

/// What a user's edit page says of their sessions.
#[derive(Debug, Clone)]
pub enum SessionsSummary {
    /// One's own page: a link to one's own Sessions page.
    Own,
    /// Another user's: how many are open, and **End sessions**.
    Other { open: i64, end_action: String },
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
