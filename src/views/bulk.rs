//! The Bulk Action dialog's steps and the job pages (progress, recycle). The dialog's
//! steps are fragments swapped into it; a job's progress and recycle form are also whole
//! pages at `/jobs/{id}`, so a reload or another tab shows the same job.

use askama::Template;

use super::Chrome;
use super::users::FormField;
use crate::db::domains::Domain;
use crate::db::jobs::{Item, Tally};
use crate::db::users::User;
use crate::domain::ids::{JobId, UserId};
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::domain::states::{ItemState, JobStatus};
use crate::services::bulk::Action;
use crate::services::jobs::JobProgress;
use crate::web::paths;

/// A hidden field that carries the selection (or the chosen options) to the next step.
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// A selected user, as the steps list them.
pub struct Listed {
    pub extension: String,
    pub name: String,
}

/// The selected users, the first few named.
pub struct SelectedUsers {
    pub count: usize,
    pub shown: Vec<Listed>,
    pub more: usize,
}

#[derive(Template)]
#[template(path = "bulk/choose.html")]
pub struct ChooseStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
}

pub struct OptionBox {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

impl OptionBox {
    /// A box for every reset option, in the order the step lists them, `chosen` checked.
    pub fn all(chosen: &ResetOptions) -> Vec<OptionBox> {
        ResetOption::ALL
            .into_iter()
            .map(|option| OptionBox {
                key: option.key(),
                label: option.label(),
                hint: option.hint(),
                checked: chosen.contains(option),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "bulk/reset_options.html")]
pub struct ResetOptionsStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub options: Vec<OptionBox>,
    pub recycle: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "bulk/reset_confirm.html")]
pub struct ResetConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub cleared: Vec<&'static str>,
    /// "Additional phones/devices: 1,204": what each checked option that removes rows
    /// removes for exactly these users.
    pub removed: Vec<String>,
    pub recycle: bool,
}

#[derive(Template)]
#[template(path = "bulk/delete_confirm.html")]
pub struct DeleteConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    /// How long they can be restored from Deleted users.
    pub retention_days: u32,
}

/// The Confirm step of Restore, from the Deleted users page: a fragment for htmx, a
/// page of its own without JavaScript (its Confirm then posts as a plain form).
#[derive(Template)]
#[template(path = "bulk/restore_confirm.html")]
pub struct RestoreConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub start_href: String,
    pub back_href: String,
    pub csrf_token: String,
}

/// The Confirm step of Undo reset, from the reset job's Progress step: a fragment for
/// htmx, a page of its own without JavaScript.
#[derive(Template)]
#[template(path = "bulk/undo_confirm.html")]
pub struct UndoConfirmStep {
    pub start_href: String,
    pub back_href: String,
    /// The users chosen when this undoes only some (Retry failed); none for all.
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    /// What is put back, by the reset's option labels.
    pub cleared: Vec<&'static str>,
    pub csrf_token: String,
}

#[derive(Template)]
#[template(path = "bulk/undo_confirm_page.html")]
pub struct UndoConfirmPage {
    pub chrome: Chrome,
    pub step: UndoConfirmStep,
}

#[derive(Template)]
#[template(path = "bulk/restore_confirm_page.html")]
pub struct RestoreConfirmPage {
    pub chrome: Chrome,
    pub step: RestoreConfirmStep,
}

#[derive(Template)]
#[template(path = "bulk/mail_confirm.html")]
pub struct MailConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub heading: &'static str,
    /// Force Password Reset (true) or Send Welcome Email (false).
    pub forced: bool,
    /// How many of the selected users have no e-mail address.
    pub without_email: usize,
    pub start_href: String,
}

/// One user's outcome in a job.
pub struct OutcomeRow {
    pub extension: String,
    pub name: String,
    pub outcome: &'static str,
    pub reason: String,
}

impl OutcomeRow {
    /// How an item's outcome reads: done, failed or skipped (or pending, while it waits).
    pub fn outcome_of(state: ItemState) -> &'static str {
        match state {
            ItemState::Done => "done",
            ItemState::Failed => "failed",
            ItemState::Skipped => "skipped",
            ItemState::Pending => "pending",
        }
    }
}

impl From<Item> for OutcomeRow {
    fn from(item: Item) -> Self {
        OutcomeRow {
            outcome: OutcomeRow::outcome_of(item.state),
            extension: item.extension,
            name: item.user_name,
            reason: item.reason.unwrap_or_default(),
        }
    }
}

/// The Progress step: the same fragment in the dialog and on `/jobs/{id}`.
pub struct Progress {
    pub job_id: JobId,
    pub heading: String,
    pub processed: i64,
    pub total: i64,
    pub line: String,
    pub finished: bool,
    pub outcomes: Vec<OutcomeRow>,
    pub more_outcomes: i64,
    pub users_href: String,
    /// Where **Close** goes: the Deleted users page after a restore, else the Users page.
    pub close_href: String,
    /// After a reset with Recycle Users, the step ends with Next instead of Close.
    pub recycle_href: Option<String>,
    /// Where **Stop job** posts, while the job is pending or running.
    pub stop_action: Option<String>,
    /// **Retry failed**, once the job has ended with failed users.
    pub retry_href: Option<String>,
    /// **Undo reset**, while a finished reset still keeps what it cleared.
    pub undo_href: Option<String>,
    pub results_href: String,
    /// For Stop job's form without JavaScript.
    pub csrf_token: String,
}

impl Progress {
    pub fn new(progress: JobProgress, csrf_token: String) -> Self {
        let finished = progress.finished();
        let recycle_href = progress
            .leads_to_recycling()
            .then(|| paths::job_recycle(progress.job.id));
        let retry_href = progress
            .retryable()
            .then(|| paths::job_retry(progress.job.id));
        let undo_href = progress
            .undoable()
            .then(|| paths::job_undo(progress.job.id));
        let status = progress.job.status();
        let unmailed_over_cap = progress.unmailed_over_cap;
        let JobProgress {
            job,
            domain,
            action,
            tally,
            outcomes,
            ..
        } = progress;
        let outcomes: Vec<OutcomeRow> = outcomes.into_iter().map(OutcomeRow::from).collect();
        let shown = i64::try_from(outcomes.len()).unwrap_or(i64::MAX);
        let mut line = progress_line(&tally, action.done_words());
        if status == JobStatus::Stopped {
            let by = job.stopped_by.as_deref().unwrap_or("someone");
            line = format!("Stopped by {by}. {line}");
        }
        match unmailed_over_cap {
            0 => {}
            1 => line.push_str(". 1 user was not e-mailed: the domain has sent its most welcome and reset e-mails for today (UTC)"),
            n => line.push_str(&format!(". {n} users were not e-mailed: the domain has sent its most welcome and reset e-mails for today (UTC)")),
        }
        Progress {
            job_id: job.id,
            heading: action.heading().into(),
            processed: tally.processed(),
            total: tally.total(),
            line,
            finished,
            more_outcomes: tally.processed().saturating_sub(shown),
            outcomes,
            close_href: if action == Action::Restore {
                paths::deleted_users(&domain.name)
            } else {
                paths::users(&domain.name)
            },
            users_href: paths::users(&domain.name),
            recycle_href,
            stop_action: status.is_open().then(|| paths::job_stop(job.id)),
            retry_href,
            undo_href,
            results_href: paths::job_results(job.id),
            csrf_token,
        }
    }
}

/// What happened, in words: "1 of 2 users reset, 1 skipped", "3 of 5 users reset" while
/// two wait. Only users the action was done to count as done; those skipped or failed
/// are named beside them, never counted in.
fn progress_line(tally: &Tally, done_words: &str) -> String {
    let mut line = format!("{} of {} {done_words}", tally.done, tally.total());
    for (count, what) in [(tally.skipped, "skipped"), (tally.failed, "failed")] {
        if count > 0 {
            line.push_str(&format!(", {count} {what}"));
        }
    }
    line
}

#[derive(Template)]
#[template(path = "jobs/progress_fragment.html")]
pub struct ProgressFragment {
    pub progress: Progress,
}

#[derive(Template)]
#[template(path = "jobs/progress.html")]
pub struct ProgressPage {
    pub chrome: Chrome,
    pub domain: String,
    pub jobs_href: String,
    pub progress: Progress,
}

/// One row of the recycle form.
pub struct RecycleRowView {
    pub user_id: UserId,
    /// The user's row version when the form was shown.
    pub version: i32,
    pub extension: String,
    pub first_name: FormField,
    pub last_name: FormField,
    pub email: FormField,
    pub email_recommended: bool,
}

impl RecycleRowView {
    /// A recycle form row for `user`, as it is now.
    pub fn of(user: User, domain: &Domain) -> Self {
        RecycleRowView {
            user_id: user.id,
            version: user.version,
            email_recommended: domain.portal_security || user.vm_to_email || user.vm_transcription,
            first_name: FormField::new(user.first_name),
            last_name: FormField::new(user.last_name),
            email: FormField::new(user.email.unwrap_or_default()),
            extension: user.extension,
        }
    }
}

pub struct RecycleForm {
    pub action: String,
    /// For browsers without JavaScript, which post the form themselves.
    pub csrf_token: String,
    pub rows: Vec<RecycleRowView>,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub users_href: String,
    /// Whether "Send Welcome Email" is checked.
    pub send_welcome: bool,
}

#[derive(Template)]
#[template(path = "jobs/recycle_fragment.html")]
pub struct RecycleFragment {
    pub form: RecycleForm,
}

#[derive(Template)]
#[template(path = "jobs/recycle.html")]
pub struct RecyclePage {
    pub chrome: Chrome,
    pub domain: String,
    pub form: RecycleForm,
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_line_counts_only_what_was_done_and_names_the_rest() {
        let tally = |done, skipped, failed, pending| Tally {
            pending,
            done,
            failed,
            skipped,
        };
        let line = |t: Tally| super::progress_line(&t, "users reset");
        assert_eq!(line(tally(1, 1, 0, 0)), "1 of 2 users reset, 1 skipped");
        assert_eq!(
            line(tally(2000, 1001, 0, 0)),
            "2000 of 3001 users reset, 1001 skipped"
        );
        assert_eq!(line(tally(3, 0, 0, 2)), "3 of 5 users reset");
        assert_eq!(
            line(tally(0, 1, 2, 0)),
            "0 of 3 users reset, 1 skipped, 2 failed"
        );
    }

    use insta::assert_snapshot;

    use super::*;
    use crate::db::jobs::Job;
    use crate::domain::Scope;
    use crate::domain::ids::DomainId;
    use crate::domain::reset::ResetOptions;
    use crate::domain::states::JobState;
    use crate::services::bulk::BulkError;
    use crate::views::{main_of, test_chrome, test_time};

    const DOMAIN: &str = "acme.example";

    /// The selection as the first step carries it.
    fn carried() -> Vec<Hidden> {
        ["31", "32"]
            .into_iter()
            .map(|id| Hidden {
                name: "user",
                value: id.into(),
            })
            .collect()
    }

    /// Two selected users, one of them without a name.
    fn two_users() -> SelectedUsers {
        SelectedUsers {
            count: 2,
            shown: vec![
                Listed {
                    extension: "130".into(),
                    name: "Ada Lovelace".into(),
                },
                Listed {
                    extension: "131".into(),
                    name: String::new(),
                },
            ],
            more: 0,
        }
    }

    /// More selected users than a step names.
    fn many_users() -> SelectedUsers {
        SelectedUsers {
            count: 52,
            more: 50,
            ..two_users()
        }
    }

    #[test]
    fn choose_step_offers_the_four_actions() -> askama::Result<()> {
        let html = ChooseStep {
            domain: DOMAIN.into(),
            carried: carried(),
            users: two_users(),
        }
        .render()?;
        assert_snapshot!("bulk_choose", html);
        Ok(())
    }

    /// The five defaults checked, Recycle Users not.
    #[test]
    fn reset_options_step() -> askama::Result<()> {
        let html = ResetOptionsStep {
            domain: DOMAIN.into(),
            carried: carried(),
            users: two_users(),
            options: OptionBox::all(&ResetOptions::defaults()),
            recycle: false,
            error: None,
        }
        .render()?;
        assert_snapshot!("bulk_reset_options", html);
        Ok(())
    }

    /// Next with nothing checked: the step again, saying why, Recycle Users kept.
    #[test]
    fn reset_options_step_with_no_option_chosen() -> askama::Result<()> {
        let html = ResetOptionsStep {
            domain: DOMAIN.into(),
            carried: carried(),
            users: two_users(),
            options: OptionBox::all(&ResetOptions::from_keys([])),
            recycle: true,
            error: Some(BulkError::NoOptions.to_string()),
        }
        .render()?;
        assert_snapshot!("bulk_reset_options_with_no_option_chosen", html);
        Ok(())
    }

    /// What will be cleared, by label, and how many rows go; the choice travels on for
    /// Back and Confirm.
    #[test]
    fn reset_confirm_step() -> askama::Result<()> {
        let chosen = ResetOptions::from_keys(["name", "call_history"]);
        let mut carried = carried();
        carried.extend(chosen.iter().map(|option| Hidden {
            name: "option",
            value: option.key().into(),
        }));
        for (name, value) in [("recycle", "1"), ("returning", "1"), ("expected", "52")] {
            carried.push(Hidden {
                name,
                value: value.into(),
            });
        }
        let html = ResetConfirmStep {
            domain: DOMAIN.into(),
            carried,
            users: many_users(),
            cleared: chosen.iter().map(ResetOption::label).collect(),
            removed: vec!["Call history: 35,870".into()],
            recycle: true,
        }
        .render()?;
        assert_snapshot!("bulk_reset_confirm", html);
        Ok(())
    }

    fn carried_to_start() -> Vec<Hidden> {
        let mut carried = carried();
        carried.push(Hidden {
            name: "expected",
            value: "2".into(),
        });
        carried
    }

    #[test]
    fn delete_confirm_step() -> askama::Result<()> {
        let html = DeleteConfirmStep {
            domain: DOMAIN.into(),
            carried: carried_to_start(),
            users: two_users(),
            retention_days: 30,
        }
        .render()?;
        assert_snapshot!("bulk_delete_confirm", html);
        Ok(())
    }

    fn mail_confirm(action: &Action) -> MailConfirmStep {
        let start = match action {
            Action::ForcePasswordReset => "force-reset",
            _ => "welcome",
        };
        MailConfirmStep {
            domain: DOMAIN.into(),
            carried: carried_to_start(),
            users: two_users(),
            heading: action.heading(),
            forced: *action == Action::ForcePasswordReset,
            without_email: 1,
            start_href: format!("/domains/{DOMAIN}/bulk/{start}"),
        }
    }

    /// Send Welcome Email counts only the users it can reach.
    #[test]
    fn welcome_confirm_step() -> askama::Result<()> {
        let html = mail_confirm(&Action::Welcome).render()?;
        assert_snapshot!("bulk_welcome_confirm", html);
        Ok(())
    }

    #[test]
    fn force_password_reset_confirm_step() -> askama::Result<()> {
        let html = mail_confirm(&Action::ForcePasswordReset).render()?;
        assert_snapshot!("bulk_force_password_reset_confirm", html);
        Ok(())
    }

    fn acme() -> Domain {
        Domain {
            id: DomainId::new(1),
            name: DOMAIN.into(),
            description: "Acme Corporation".into(),
            reseller_id: None,
            portal_security: false,
            created_at: test_time("2026-01-05 09:30:00"),
            data_version: 7,
        }
    }

    fn item(extension: &str, name: &str, state: ItemState, reason: Option<&str>) -> Item {
        Item {
            id: 1,
            job_id: JobId::new(42),
            domain_id: crate::domain::ids::DomainId::new(2),
            user_id: None,
            extension: extension.into(),
            user_name: name.into(),
            state,
            reason: reason.map(str::to_owned),
        }
    }

    /// A job's progress as `services::jobs` reads it, for the view to make its own.
    fn progress(state: JobState, recycle: bool, tally: Tally, outcomes: Vec<Item>) -> Progress {
        let job = Job {
            id: JobId::new(42),
            domain_id: DomainId::new(1),
            actor_id: None,
            actor_login: "100@acme.example".into(),
            kind: "reset".into(),
            options: String::new(),
            state,
            total: 3,
            created_at: test_time("2026-11-27 14:05:00"),
            started_at: Some(test_time("2026-11-27 14:05:01")),
            finished_at: None,
            stopped_at: None,
            stopped_by: None,
        };
        let progress = JobProgress {
            job,
            domain: acme(),
            action: Action::Reset {
                options: ResetOptions::defaults(),
                recycle,
            },
            tally,
            outcomes,
            kept_for_undo: state == JobState::Finished,
            unmailed_over_cap: 0,
        };
        Progress::new(progress, test_chrome().csrf_token)
    }

    fn running() -> Progress {
        let tally = Tally {
            pending: 2,
            done: 1,
            failed: 0,
            skipped: 0,
        };
        let outcomes = vec![item("130", "Ada Lovelace", ItemState::Done, None)];
        progress(JobState::Running, false, tally, outcomes)
    }

    /// While the job runs the step polls itself, and offers no Close yet.
    #[test]
    fn progress_while_running() -> askama::Result<()> {
        let html = ProgressFragment {
            progress: running(),
        }
        .render()?;
        assert_snapshot!("job_progress_running", html);
        Ok(())
    }

    /// Finished: the bar full, each user's outcome with the reason, Close, no polling.
    #[test]
    fn progress_when_finished_with_outcomes() -> askama::Result<()> {
        let tally = Tally {
            pending: 0,
            done: 1,
            failed: 1,
            skipped: 1,
        };
        let outcomes = vec![
            item(
                "100",
                "Ada Lovelace",
                ItemState::Skipped,
                Some("You cannot do this to your own user."),
            ),
            item("141", "Ben Larsen", ItemState::Done, None),
            item(
                "142",
                "",
                ItemState::Failed,
                Some("The user changed during the reset; try again."),
            ),
        ];
        let html = ProgressFragment {
            progress: progress(JobState::Finished, false, tally, outcomes),
        }
        .render()?;
        assert_snapshot!("job_progress_finished", html);
        Ok(())
    }

    /// A finished reset with Recycle Users ends with Next; outcomes beyond those listed
    /// are counted.
    #[test]
    fn progress_when_finished_leading_to_recycling() -> askama::Result<()> {
        let tally = Tally {
            pending: 0,
            done: 4,
            failed: 0,
            skipped: 0,
        };
        let outcomes = vec![
            item("146", "Kim Park", ItemState::Done, None),
            item("147", "Lee Moss", ItemState::Done, None),
        ];
        let html = ProgressFragment {
            progress: progress(JobState::Finished, true, tally, outcomes),
        }
        .render()?;
        assert_snapshot!("job_progress_finished_then_recycle", html);
        Ok(())
    }

    /// `/jobs/{id}` on its own: the same step inside the page.
    #[test]
    fn progress_page() -> askama::Result<()> {
        let html = ProgressPage {
            chrome: test_chrome(),
            domain: DOMAIN.into(),
            jobs_href: paths::domain_jobs(DOMAIN),
            progress: running(),
        }
        .render()?;
        assert_snapshot!("job_progress_page", main_of(&html));
        Ok(())
    }

    fn reset_user(id: i64, extension: &str, vm_to_email: bool) -> User {
        User {
            id: UserId::new(id),
            domain_id: DomainId::new(1),
            extension: extension.into(),
            first_name: String::new(),
            last_name: String::new(),
            email: None,
            password_hash: None,
            pin_hash: None,
            scope: Scope::BasicUser,
            department: "Sales".into(),
            site: "Head Office".into(),
            vm_to_email,
            vm_transcription: false,
            must_change_password: false,
            is_system: false,
            created_at: test_time("2026-01-05 09:30:00"),
            updated_at: test_time("2026-11-27 14:05:02"),
            version: 4,
            status: crate::domain::Status::SetupRequired,
        }
    }

    /// Two reset users of a domain without portal security: only the one with voicemail
    /// to e-mail gets "E-mail recommended".
    fn recycle_rows() -> Vec<RecycleRowView> {
        let domain = acme();
        vec![
            RecycleRowView::of(reset_user(47, "146", true), &domain),
            RecycleRowView::of(reset_user(48, "147", false), &domain),
        ]
    }

    fn recycle_form(rows: Vec<RecycleRowView>) -> RecycleForm {
        RecycleForm {
            action: paths::job_recycle(JobId::new(42)),
            csrf_token: "csrf-token".into(),
            rows,
            error: None,
            saved: None,
            users_href: paths::users(DOMAIN),
            send_welcome: false,
        }
    }

    #[test]
    fn recycle_form_fragment() -> askama::Result<()> {
        let html = RecycleFragment {
            form: recycle_form(recycle_rows()),
        }
        .render()?;
        assert_snapshot!("job_recycle", html);
        Ok(())
    }

    /// Save with refused fields: each marked and described by its message, what was
    /// typed kept, Send Welcome Email still checked.
    #[test]
    fn recycle_form_fragment_with_errors() -> askama::Result<()> {
        let mut rows = recycle_rows();
        if let [first, second] = rows.as_mut_slice() {
            first.first_name = FormField::new("Nora");
            first.last_name = FormField::new("New");
            first.email = FormField::new("nora@acme.example");
            second.first_name = FormField {
                value: String::new(),
                error: Some("This name is required.".into()),
            };
            second.last_name = FormField::new("Blank");
            second.email = FormField {
                value: "not-an-address".into(),
                error: Some("Enter an e-mail address such as name@example.com.".into()),
            };
        }
        let html = RecycleFragment {
            form: RecycleForm {
                error: Some(
                    "Nothing was saved. Correct the marked fields, then save again.".into(),
                ),
                send_welcome: true,
                ..recycle_form(rows)
            },
        }
        .render()?;
        assert_snapshot!("job_recycle_with_errors", html);
        Ok(())
    }

    #[test]
    fn recycle_form_fragment_once_saved() -> askama::Result<()> {
        let html = RecycleFragment {
            form: RecycleForm {
                action: String::new(),
                saved: Some(
                    "2 users were recycled. Each now needs a password (Password Required). A welcome e-mail is on its way."
                        .into(),
                ),
                send_welcome: true,
                ..recycle_form(Vec::new())
            },
        }
        .render()?;
        assert_snapshot!("job_recycle_saved", html);
        Ok(())
    }

    /// `/jobs/{id}/recycle` on its own, for a reload or without JavaScript.
    #[test]
    fn recycle_page() -> askama::Result<()> {
        let html = RecyclePage {
            chrome: test_chrome(),
            domain: DOMAIN.into(),
            form: recycle_form(recycle_rows()),
        }
        .render()?;
        assert_snapshot!("job_recycle_page", main_of(&html));
        Ok(())
    }
}
