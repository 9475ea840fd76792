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
use crate::domain::states::ItemState;
use crate::routes::paths;
use crate::services::jobs::JobProgress;

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
    pub recycle: bool,
}

#[derive(Template)]
#[template(path = "bulk/delete_confirm.html")]
pub struct DeleteConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
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

impl From<Item> for OutcomeRow {
    fn from(item: Item) -> Self {
        OutcomeRow {
            outcome: match item.state {
                ItemState::Done => "done",
                ItemState::Failed => "failed",
                ItemState::Skipped | ItemState::Pending => "skipped",
            },
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
    /// After a reset with Recycle Users, the step ends with Next instead of Close.
    pub recycle_href: Option<String>,
}

impl From<JobProgress> for Progress {
    fn from(progress: JobProgress) -> Self {
        let finished = progress.finished();
        let recycle_href = progress
            .leads_to_recycling()
            .then(|| paths::job_recycle(progress.job.id));
        let JobProgress {
            job,
            domain,
            action,
            tally,
            outcomes,
        } = progress;
        let outcomes: Vec<OutcomeRow> = outcomes.into_iter().map(OutcomeRow::from).collect();
        let shown = i64::try_from(outcomes.len()).unwrap_or(i64::MAX);
        Progress {
            job_id: job.id,
            heading: action.heading().into(),
            processed: tally.processed(),
            total: tally.total(),
            line: progress_line(&tally, action.done_words()),
            finished,
            more_outcomes: tally.processed().saturating_sub(shown),
            outcomes,
            users_href: paths::users(&domain.name),
            recycle_href,
        }
    }
}

/// "3 of 5 users reset", and how many of those were skipped or failed, so a count
/// never passes a skipped user off as done.
fn progress_line(tally: &Tally, done_words: &str) -> String {
    let mut line = format!("{} of {} {done_words}", tally.processed(), tally.total());
    let asides: Vec<String> = [(tally.skipped, "skipped"), (tally.failed, "failed")]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    if !asides.is_empty() {
        line.push_str(&format!(" ({})", asides.join(", ")));
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
