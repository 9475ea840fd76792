//! A job's own page (`/jobs/{id}`): the Progress step as a page or a fragment, and
//! **Stop job**.

use super::load_progress;
use crate::views::jobs::progress::{Progress, ProgressFragment, ProgressPage};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::domains::Domain;
use crate::domain::ids::JobId;
use crate::error::{AppError, redirect};
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::htmx::HxRequest;
use crate::web::paths;
use crate::web::session::Actor;

/// The Progress step as the request wants it: the fragment for htmx, else the page.
fn progress_response(
    req: &HttpRequest,
    actor: &Actor,
    domain: Domain,
    progress: Progress,
) -> Result<HttpResponse, AppError> {
    if HxRequest::of(req).wants_fragment() {
        return crate::views::ok(&ProgressFragment { progress });
    }
    crate::views::ok(&ProgressPage {
        chrome: actor.chrome(),
        jobs_href: paths::domain_jobs(&domain.name),
        domain: domain.name,
        progress,
    })
}

pub async fn show(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (domain, progress) = load_progress(&state, &actor, path.into_inner()).await?;
    progress_response(&req, &actor, domain, progress)
}

/// **Stop job**: the rest of its users are skipped; htmx gets the step back, a plain
/// form the job's page.
pub async fn stop(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (acting, job_id) = (actor.acting(), path.into_inner());
    state
        .db(move |conn| job_service::stop(conn, &acting, job_id))
        .await?;
    if !HxRequest::of(&req).scripted {
        return Ok(redirect(&paths::job(job_id)));
    }
    let (domain, progress) = load_progress(&state, &actor, job_id).await?;
    progress_response(&req, &actor, domain, progress)
}
