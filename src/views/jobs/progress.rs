//! A job's Progress step: the same fragment in the dialog and on `/jobs/{id}`, so a
//! reload or another tab shows the same job.

use askama::Template;

use super::super::Chrome;
use super::{done_words, heading};
use crate::db::jobs::{Item, Tally};
use crate::domain::ids::JobId;
use crate::domain::states::{ItemState, JobStatus};
use crate::services::jobs::JobProgress;
use crate::services::jobs::spec::Action;
use crate::web::paths;

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
    /// **Undo reset** (or **Undo edit**) and where it leads, while a finished reset or
    /// edit still keeps what it changed.
    pub undo: Option<(String, &'static str)>,
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
        let undo_label = match progress.action {
            Action::Edit { .. } => "Undo edit",
            _ => "Undo reset",
        };
        let undo = progress
            .undoable()
            .then(|| (paths::job_undo(progress.job.id), undo_label));
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
        let mut line = progress_line(&tally, done_words(&action));
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
            heading: heading(&action).into(),
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
            undo,
            results_href: paths::job_results(job.id),
            csrf_token,
        }
    }
}

/// What happened, in words: "1 of 2 users reset, 1 skipped", "3 of 5 users reset" while
/// two wait. Only users the action was done to count as done; those skipped or failed
/// are named beside them, never counted in.
pub(super) fn progress_line(tally: &Tally, done_words: &str) -> String {
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
