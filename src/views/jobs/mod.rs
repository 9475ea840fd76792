//! Jobs as pages show them: the Jobs pages (a domain's jobs, or every job a Reseller or
//! Super User may see, newest first, paged as the Users page is), and the words for
//! each action. The dialog's steps, a job's Progress step and the recycle form are
//! [`dialog`], [`progress`] and [`recycle`].

pub mod dialog;
pub mod progress;
pub mod recycle;

use askama::Template;

use super::list::Column;
use super::users::SelectOption;
use super::{Chrome, Moment};
use crate::domain::listing::Total;
use crate::services::jobs::listing::JobSummary;
use crate::services::jobs::spec::Action;
use crate::web::paths;

pub struct JobRow {
    pub href: String,
    pub started: Moment,
    pub action: String,
    pub by: String,
    pub domain: String,
    pub users: i64,
    pub done: i64,
    pub failed: i64,
    pub skipped: i64,
    pub state: &'static str,
}

impl From<JobSummary> for JobRow {
    fn from(summary: JobSummary) -> Self {
        let JobSummary {
            job,
            action,
            domain_name,
            tally,
        } = summary;
        JobRow {
            href: paths::job(job.id),
            started: job.created_at.into(),
            action: action.map_or_else(|| job.kind.clone(), |action| heading(&action).to_owned()),
            state: job.status().label(),
            by: job.actor_login,
            domain: domain_name,
            users: tally.total(),
            done: tally.done,
            failed: tally.failed,
            skipped: tally.skipped,
        }
    }
}

#[derive(Template)]
#[template(path = "jobs/list.html")]
pub struct JobsPage {
    pub chrome: Chrome,
    /// The domain of a domain's page; `None` on `/jobs`, which has a Domain column.
    pub domain: Option<String>,
    pub users_href: Option<String>,
    pub rows: Vec<JobRow>,
    /// How many jobs the page's reach has in all.
    pub total: Total,
    /// **Previous page** (newer jobs) and **Next page** (older ones).
    pub previous_href: Option<String>,
    pub next_href: Option<String>,
    /// **Per page**'s choices, and where its form goes.
    pub per_page: Vec<SelectOption>,
    pub base_href: String,
}

impl JobsPage {
    /// The table's columns: Domain too on `/jobs`, which lists several domains' jobs.
    pub fn columns(&self) -> Vec<Column> {
        let mut columns = vec![Column::text("Started")];
        if self.domain.is_none() {
            columns.push(Column::text("Domain"));
        }
        columns.extend([
            Column::text("Action"),
            Column::text("By"),
            Column::number("Users"),
            Column::number("Done"),
            Column::number("Failed"),
            Column::number("Skipped"),
            Column::text("State"),
        ]);
        columns
    }
}

/// The dialog's name for an action, as on its button; a job's heading.
pub fn heading(action: &Action) -> &'static str {
    match action {
        Action::Reset { .. } => "Reset Users",
        Action::Delete { .. } => "Delete Users",
        Action::Welcome => "Send Welcome Email",
        Action::ForcePasswordReset => "Force Password Reset",
        Action::Restore => "Restore",
        Action::UndoReset { .. } => "Undo reset",
        Action::Edit { .. } => "Edit Users",
        Action::UndoEdit { .. } => "Undo edit",
        Action::Import { .. } => "Import",
    }
}

/// How a progress line ends: "2 of 3 users reset".
pub fn done_words(action: &Action) -> &'static str {
    match action {
        Action::Reset { .. } => "users reset",
        Action::Delete { .. } => "users deleted",
        Action::Welcome => "users welcomed",
        Action::ForcePasswordReset => "users made to reset their password",
        Action::Restore => "users restored",
        Action::UndoReset { .. } | Action::UndoEdit { .. } => "users put back",
        Action::Edit { .. } => "users edited",
        Action::Import { .. } => "rows imported",
    }
}

#[cfg(test)]
mod tests;
