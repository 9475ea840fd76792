//! Restore on the Deleted users page: its Confirm step (in the page, or a page of its
//! own without JavaScript) and the job that puts the deleted users back.

use super::{Fields, carried_to_start, listed, start};
use crate::routes::managed::managed_domain;
use crate::views::jobs::dialog::{RestoreConfirmPage, RestoreConfirmStep};
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::domains::Domain;
use crate::error::AppError;
use crate::services::jobs::spec::Action;
use crate::services::jobs::start::Chosen;
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::htmx::HxRequest;
use crate::web::paths;
use crate::web::session::Actor;

/// The Confirm step of Restore for `users` (deleted users), chosen by `fields`.
pub(super) fn restore_step(
    actor: &Actor,
    domain: Domain,
    fields: &Fields,
    users: &Chosen,
) -> RestoreConfirmStep {
    RestoreConfirmStep {
        start_href: paths::deleted_users_restore(&domain.name),
        back_href: paths::deleted_users(&domain.name),
        carried: carried_to_start(fields, users),
        users: listed(users),
        csrf_token: actor.csrf_token.clone(),
        domain: domain.name,
    }
}

/// Restore on the Deleted users page: its Confirm step, in the page (htmx) or as a page
/// of its own.
pub async fn restore_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let fields = Fields::parse(&body)?;
    let selection = fields.deleted_selection()?;
    let in_domain = domain.clone();
    let users = state
        .db(move |conn| job_service::start::resolve(conn, &in_domain, &selection))
        .await?;
    if users.is_empty() {
        return Err(AppError::BadRequest(
            "Select at least one deleted user of this domain.".into(),
        ));
    }
    let users = Chosen::named(&domain, users);
    let step = restore_step(&actor, domain, &fields, &users);
    if HxRequest::of(&req).scripted {
        crate::views::ok(&step)
    } else {
        crate::views::ok(&RestoreConfirmPage {
            chrome: actor.chrome(),
            step,
        })
    }
}

/// Confirm of Restore: a job that puts the deleted users back.
pub async fn start_restore(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields = Fields::parse(&body)?;
    start(&req, &actor, &state, &path, &fields, Action::Restore).await
}
