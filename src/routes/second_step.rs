//! The second step of a sign-in (`/login/two-step`): the browser holds the step's token
//! and no session; a right code opens the session, a wrong one leaves the step open
//! for another try (throttled like passwords), and an expired or used step sends the
//! user back to sign in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::auth::{asking, first_page};
use crate::error::{AppError, redirect};
use crate::services::second_step::{self, SecondStepError};
use crate::state::AppState;
use crate::views::auth::{LoginPage, SecondStepPage};
use crate::web::paths;
use crate::web::session::PortalSession;

/// Longest code read; anything longer is no code.
const MAX_CODE_CHARS: usize = 64;

pub async fn form(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let Some(token) = session.second_step_token() else {
        return Ok(redirect(paths::LOGIN));
    };
    let now = Utc::now().naive_utc();
    let Some(waiting) = state
        .read(move |conn| second_step::waiting(conn, &token, now))
        .await?
    else {
        return expired(&session);
    };
    crate::views::ok(&SecondStepPage {
        csrf_token: session.csrf_token()?,
        login: waiting.login,
        has_passkey: waiting.has_passkey,
        error: None,
    })
}

#[derive(Deserialize)]
pub struct CodeForm {
    code: String,
}

pub async fn verify(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<CodeForm>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let Some(token) = session.second_step_token() else {
        return Ok(redirect(paths::LOGIN));
    };
    let (address, client) = asking(&req, &state);
    let typed: String = form
        .into_inner()
        .code
        .chars()
        .take(MAX_CODE_CHARS)
        .collect();
    let sealer = state.sealer.clone();
    let now = Utc::now().naive_utc();
    let step_token = token.clone();
    let tried = state
        .db(move |conn| {
            Ok::<_, AppError>(second_step::verify(
                conn,
                &sealer,
                &step_token,
                &typed,
                (&address, &client),
                now,
            ))
        })
        .await?;
    let status = match tried {
        Ok((user, session_token)) => {
            session.start(&session_token)?;
            tracing::info!(user_id = %user.id, "signed in with a second step");
            return Ok(redirect(first_page(&user)));
        }
        Err(SecondStepError::Expired) => return expired(&session),
        Err(SecondStepError::WrongCode) => StatusCode::UNAUTHORIZED,
        Err(SecondStepError::Throttled) => StatusCode::TOO_MANY_REQUESTS,
        Err(SecondStepError::Database(err)) => return Err(err.into()),
        Err(SecondStepError::Session(err)) => return Err(AppError::Internal(err.to_string())),
    };
    let error = tried.err().map(|err| err.to_string());
    let now = Utc::now().naive_utc();
    let Some(waiting) = state
        .read(move |conn| second_step::waiting(conn, &token, now))
        .await?
    else {
        return expired(&session);
    };
    crate::views::page(
        status,
        &SecondStepPage {
            csrf_token: session.csrf_token()?,
            login: waiting.login,
            has_passkey: waiting.has_passkey,
            error,
        },
    )
}

/// The sign-in page again, saying why.
fn expired(session: &PortalSession) -> Result<HttpResponse, AppError> {
    session.forget_second_step();
    crate::views::page(
        StatusCode::UNAUTHORIZED,
        &LoginPage {
            csrf_token: session.csrf_token()?,
            login: String::new(),
            error: Some(SecondStepError::Expired.to_string()),
        },
    )
}
