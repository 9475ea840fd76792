//! The Jobs pages: a domain's bulk jobs, or every job a Reseller or Super User may see,
//! newest first, each row linking to the job's own page, paged as the Users page is.

use askama::Template;

use super::list::Column;
use super::users::SelectOption;
use super::{Chrome, Moment};
use crate::domain::listing::Total;
use crate::services::jobs::JobSummary;
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
            action: action.map_or_else(|| job.kind.clone(), |action| action.heading().to_owned()),
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

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::views::{main_of, test_chrome};

    fn row(id: i64, domain: &str, action: &str, state: &'static str) -> JobRow {
        JobRow {
            href: format!("/jobs/{id}"),
            started: Moment {
                text: "2026-11-27 14:05:00 UTC".into(),
                iso: "2026-11-27T14:05:00Z".into(),
            },
            action: action.into(),
            by: "100@acme.example".into(),
            domain: domain.into(),
            users: 3,
            done: 1,
            failed: 1,
            skipped: 1,
            state,
        }
    }

    /// A domain's jobs: no Domain column, a link back to its Users page, pages either side.
    #[test]
    fn a_domains_jobs() -> askama::Result<()> {
        let html = JobsPage {
            chrome: test_chrome(),
            domain: Some("acme.example".into()),
            users_href: Some("/domains/acme.example/users".into()),
            rows: vec![
                row(43, "acme.example", "Delete Users", "Running"),
                row(42, "acme.example", "Reset Users", "Stopped"),
            ],
            total: Total::Exactly(60),
            previous_href: Some("/domains/acme.example/jobs?after=43&per_page=50".into()),
            next_href: Some("/domains/acme.example/jobs?before=42&per_page=50".into()),
            per_page: SelectOption::page_sizes(50),
            base_href: "/domains/acme.example/jobs".into(),
        }
        .render()?;
        assert_snapshot!("jobs_of_a_domain", main_of(&html));
        Ok(())
    }

    /// `/jobs`: every domain's, with the Domain column; nothing yet says so.
    #[test]
    fn every_job_and_none() -> askama::Result<()> {
        let listed = JobsPage {
            chrome: test_chrome(),
            domain: None,
            users_href: None,
            rows: vec![row(7, "globex.example", "Send Welcome Email", "Finished")],
            total: Total::Exactly(1),
            previous_href: None,
            next_href: None,
            per_page: SelectOption::page_sizes(25),
            base_href: "/jobs".into(),
        }
        .render()?;
        assert_snapshot!("jobs_of_every_domain", main_of(&listed));
        let empty = JobsPage {
            chrome: test_chrome(),
            domain: None,
            users_href: None,
            rows: Vec::new(),
            total: Total::Exactly(0),
            previous_href: None,
            next_href: None,
            per_page: SelectOption::page_sizes(25),
            base_href: "/jobs".into(),
        }
        .render()?;
        assert!(main_of(&empty).contains("No jobs yet."));
        Ok(())
    }
}
