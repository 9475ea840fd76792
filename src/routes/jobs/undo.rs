//! **Undo reset** of a reset job and **Undo edit** of an edit job: the Confirm step (in
//! the Progress step, or a page of its own without JavaScript) and the job that puts
//! back what the job cleared or set.

use crate::domain::edit::EditField;
use crate::domain::reset::ResetOption;
use crate::services::jobs::Undone;
use crate::services::jobs::once::Once;
use crate::services::jobs::request::{JobRequest, Named, start_requested};
use crate::views::jobs::dialog::{Hidden, UndoConfirmPage, UndoConfirmStep};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::users::UserRef;
use crate::domain::ids::JobId;
use crate::error::AppError;
use crate::services::jobs::spec::Selection;
use crate::services::jobs::start::Chosen;
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::htmx::HxRequest;
use crate::web::paths;
use crate::web::session::Actor;

/// The Confirm step of Undo reset or Undo edit of job `undone_job` for `users` (those
/// it still keeps).
pub fn undo_step(
    actor: &Actor,
    undone_job: JobId,
    undone: &Undone,
    users: &Chosen,
    carried: Vec<Hidden>,
) -> UndoConfirmStep {
    let (what, cleared) = match undone {
        Undone::Reset(options) => ("reset", options.iter().map(ResetOption::label).collect()),
        Undone::Edit(fields) => (
            "edit",
            fields.fields().into_iter().map(EditField::label).collect(),
        ),
    };
    UndoConfirmStep {
        start_href: paths::job_undo(undone_job),
        back_href: paths::job(undone_job),
        carried,
        users: super::listed(users),
        what,
        cleared,
        csrf_token: actor.csrf_token.clone(),
    }
}

/// The reset job's Undo data and its users as they are now.
async fn undo_of(
    actor: &Actor,
    state: &AppState,
    job_id: JobId,
) -> Result<(job_service::Undo, Vec<UserRef>), AppError> {
    let rights = actor.rights();
    let undo = state
        .db(move |conn| job_service::undo(conn, &rights, job_id))
        .await?;
    let (domain, selection) = (undo.domain.clone(), Selection::Users(undo.users.clone()));
    let users = state
        .db(move |conn| job_service::start::resolve(conn, &domain, &selection))
        .await?;
    Ok((undo, users))
}

/// **Undo reset**: its Confirm step, in the Progress step (htmx) or as a page.
pub async fn undo_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (undo, users) = undo_of(&actor, &state, path.into_inner()).await?;
    let step = undo_step(
        &actor,
        undo.job.id,
        &undo.undone,
        &Chosen::named(&undo.domain, users),
        Vec::new(),
    );
    if HxRequest::of(&req).scripted {
        crate::views::ok(&step)
    } else {
        crate::views::ok(&UndoConfirmPage {
            chrome: actor.chrome(),
            step,
        })
    }
}

/// Confirm of Undo reset: a job that puts back what the reset cleared, for each of its
/// users not changed since.
pub async fn start_undo(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (chosen, retry_of) = super::undo_choice(&body)?;
    let request = JobRequest::Undo {
        domain: None,
        job: path.into_inner(),
        only: chosen.map(Named::Ids),
        retry_of,
    };
    let acting = actor.acting();
    let started = state
        .db(move |conn| start_requested(conn, &acting, &request, None))
        .await?;
    let Once::Started(job_id) = started else {
        return Err(AppError::Internal(
            "a start without a key was not started".into(),
        ));
    };
    super::started(&req, &actor, &state, job_id).await
}
