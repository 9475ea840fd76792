//! The Jobs pages: a domain's (`/domains/{domain}/jobs`) and every job the actor may
//! open (`/jobs`), newest first, paged by keyset as the Users page is.

use serde::Deserialize;

use crate::db::jobs::JobsFrom;
use crate::domain::listing::PAGE_SIZES;
use crate::routes::managed::managed_domain;
use crate::services::jobs::listing::JobsPage;
use crate::views::jobs::{JobRow, JobsPage as JobsListPage};
use crate::views::users::SelectOption;
use actix_web::{HttpResponse, web};

use crate::domain::ids::JobId;
use crate::error::AppError;
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::paths;
use crate::web::session::Actor;

/// A Jobs page's address: keyset paging and **Per page** as on the Users page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JobsParams {
    /// The page of jobs older than this one (**Next page**).
    before: Option<JobId>,
    /// The page of jobs newer than this one (**Previous page**).
    after: Option<JobId>,
    per_page: Option<String>,
}

impl JobsParams {
    /// Where the page starts, and how many jobs it lists.
    fn read(&self) -> Result<(JobsFrom, u32), AppError> {
        let from = match (self.before, self.after) {
            (None, None) => JobsFrom::Newest,
            (Some(before), None) => JobsFrom::OlderThan(before),
            (None, Some(after)) => JobsFrom::NewerThan(after),
            (Some(_), Some(_)) => {
                return Err(AppError::BadRequest(
                    "Ask for the page before or after a job, not both.".into(),
                ));
            }
        };
        let per_page = match self.per_page.as_deref().map(str::trim) {
            None | Some("") => PAGE_SIZES[0],
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| PAGE_SIZES.contains(n))
                .ok_or_else(|| AppError::BadRequest("Show 25, 50 or 100 jobs per page.".into()))?,
        };
        Ok((from, per_page))
    }
}

/// A domain's Jobs page.
pub async fn list_of_domain(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<JobsParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let jobs_href = paths::domain_jobs(&domain.name);
    let page = jobs_page(
        &actor,
        &state,
        JobsPage::Domain(domain.id),
        &params,
        &jobs_href,
    )
    .await?;
    crate::views::ok(&JobsListPage {
        users_href: Some(paths::users(&domain.name)),
        domain: Some(domain.name),
        ..page
    })
}

/// `/jobs`: the jobs of every domain the actor may open.
pub async fn list_all(
    actor: Actor,
    state: web::Data<AppState>,
    params: web::Query<JobsParams>,
) -> Result<HttpResponse, AppError> {
    let page = jobs_page(&actor, &state, JobsPage::Reachable, &params, paths::JOBS).await?;
    crate::views::ok(&page)
}

async fn jobs_page(
    actor: &Actor,
    state: &AppState,
    of: JobsPage,
    params: &JobsParams,
    base_href: &str,
) -> Result<JobsListPage, AppError> {
    let (from, per_page) = params.read()?;
    let rights = actor.rights();
    let listed = state
        .db(move |conn| job_service::listing::list(conn, &rights, of, from, i64::from(per_page)))
        .await?;
    // Each link keeps the page size; the default is left out of the address.
    let sized = |key: &str, id: JobId| {
        if per_page == PAGE_SIZES[0] {
            format!("{base_href}?{key}={id}")
        } else {
            format!("{base_href}?{key}={id}&per_page={per_page}")
        }
    };
    let previous_href = listed
        .newer
        .then(|| listed.rows.first().map(|row| sized("after", row.job.id)))
        .flatten();
    let next_href = listed
        .older
        .then(|| listed.rows.last().map(|row| sized("before", row.job.id)))
        .flatten();
    Ok(JobsListPage {
        chrome: actor.chrome(),
        domain: None,
        users_href: None,
        total: listed.total,
        rows: listed.rows.into_iter().map(JobRow::from).collect(),
        previous_href,
        next_href,
        per_page: SelectOption::page_sizes(per_page),
        base_href: base_href.to_owned(),
    })
}
