//! The signed-in user's own sessions: the list (`/account/sessions`, linked from the
//! header), **Sign out {device}** per session and **Sign out everywhere**.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::paths;
use super::session::{PortalSession, SignedIn};
use crate::domain::ids::SessionId;
use crate::error::{AppError, redirect};
use crate::services::sessions;
use crate::state::AppState;
use crate::views::account::{SessionRow, SessionsPage};

pub async fn sessions_page(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (user_id, current) = (signed_in.user.id, signed_in.session_id);
    let now = Utc::now().naive_utc();
    let listed = state
        .db(move |conn| sessions::list_own(conn, user_id, current, now))
        .await?;
    crate::views::ok(&SessionsPage {
        chrome: signed_in.chrome(),
        login: signed_in.login(),
        sessions: listed.into_iter().map(SessionRow::from).collect(),
        end_all_action: paths::ACCOUNT_SESSIONS_END_ALL,
        flash: PortalSession::of(&req).take_flash(),
    })
}

/// Ends one of one's own sessions; ending the current one signs this browser out.
pub async fn end_one(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<SessionId>,
) -> Result<HttpResponse, AppError> {
    let session_id = path.into_inner();
    let (user, login) = (signed_in.user.clone(), signed_in.login());
    let ended = state
        .db(move |conn| sessions::end_own(conn, &user, &login, session_id))
        .await?;
    if !ended {
        return Err(AppError::NotFound("You have no such session.".into()));
    }
    let session = PortalSession::of(&req);
    if session_id == signed_in.session_id {
        session.end();
        return Ok(redirect(paths::LOGIN));
    }
    session.set_flash("That session was signed out.")?;
    Ok(redirect(paths::ACCOUNT_SESSIONS))
}

/// Ends every session of one's own, this one included.
pub async fn end_all(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (user, login) = (signed_in.user.clone(), signed_in.login());
    state
        .db(move |conn| sessions::end_all_own(conn, &user, &login))
        .await?;
    PortalSession::of(&req).end();
    Ok(redirect(paths::LOGIN))
}
