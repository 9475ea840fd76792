//! The signed-in user's own account: their sessions (`/account/sessions`, linked from
//! the header, with their API tokens listed under them), **Sign out {device}** per
//! session and **Sign out everywhere** (with **Also revoke API tokens**); and their
//! API tokens (`/account/tokens`): **Create token** (the secret shown once) and
//! **Revoke {name}**, once any forced password change is done.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use super::recent_password::{self, Guarded, PostedFields};
use crate::domain::ids::{ApiTokenId, SessionId};
use crate::error::{AppError, redirect};
use crate::services::api_tokens::{self as token_service, TokenError};
use crate::services::sessions;
use crate::state::AppState;
use crate::views::account::{CreatedToken, SessionRow, SessionsPage, TokenRow, TokensPage};
use crate::views::users::FormField;
use crate::web::paths;
use crate::web::session::{Actor, PortalSession, SignedIn};

pub async fn sessions_page(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let (user_id, current) = (signed_in.user.id, signed_in.session_id);
    let now = Utc::now().naive_utc();
    let (listed, tokens) = state
        .db(move |conn| {
            let listed = sessions::list_own(conn, user_id, current, now)?;
            let tokens = token_service::of_owner(conn, user_id)?;
            Ok::<_, diesel::result::Error>((listed, tokens))
        })
        .await?;
    crate::views::ok(&SessionsPage {
        chrome: signed_in.chrome(),
        login: signed_in.login(),
        sessions: listed.into_iter().map(SessionRow::from).collect(),
        tokens: tokens
            .into_iter()
            .map(|token| TokenRow::new(token, now))
            .collect(),
        tokens_href: paths::ACCOUNT_TOKENS,
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

/// What **Sign out everywhere** posts.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EndAllForm {
    /// The checkbox **Also revoke API tokens**, present when checked.
    revoke_tokens: Option<String>,
}

/// Ends every session of one's own, this one included, and with **Also revoke API
/// tokens** checked (as it is by default) every API token too.
pub async fn end_all(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<EndAllForm>,
) -> Result<HttpResponse, AppError> {
    let (user, login) = (signed_in.user.clone(), signed_in.login());
    let revoke_tokens = form.revoke_tokens.is_some();
    state
        .db(move |conn| sessions::end_all_own(conn, &user, &login, revoke_tokens))
        .await?;
    PortalSession::of(&req).end();
    Ok(redirect(paths::LOGIN))
}

/// The API tokens page, with what the form shows and, once, a token just made.
async fn tokens_page(
    req: &HttpRequest,
    signed_in: &SignedIn,
    state: &AppState,
    status: StatusCode,
    (name, days): (FormField, FormField),
    created: Option<CreatedToken>,
) -> Result<HttpResponse, AppError> {
    let user_id = signed_in.user.id;
    let tokens = state
        .db(move |conn| token_service::of_owner(conn, user_id))
        .await?;
    let now = Utc::now().naive_utc();
    crate::views::page(
        status,
        &TokensPage {
            chrome: signed_in.chrome(),
            login: signed_in.login(),
            tokens: tokens
                .into_iter()
                .map(|token| TokenRow::new(token, now))
                .collect(),
            created,
            name,
            days,
            max_days: token_service::MAX_DAYS,
            create_action: paths::ACCOUNT_TOKENS,
            flash: PortalSession::of(req).take_flash(),
        },
    )
}

fn empty_form() -> (FormField, FormField) {
    (
        FormField::default(),
        FormField::new(token_service::DEFAULT_DAYS.to_string()),
    )
}

pub async fn tokens(
    req: HttpRequest,
    signed_in: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    tokens_page(&req, &signed_in, &state, StatusCode::OK, empty_form(), None).await
}

/// **Create token**: the page again, with the secret shown this once (never a redirect,
/// which would have to carry the secret through the session). A session whose password
/// is not recent is first asked for it (the Current password step), so a copied cookie
/// cannot turn itself into a lasting token.
pub async fn create_token(
    req: HttpRequest,
    signed_in: Actor,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let typed_name = recent_password::field(&form, "name");
    let typed_days = recent_password::field(&form, "expires_in_days");
    let mut name = FormField::new(typed_name.to_owned());
    let mut days = FormField::new(typed_days.to_owned());
    let parsed_name = token_service::parse_name(typed_name);
    let parsed_days = token_service::parse_days(typed_days);
    let (typed_name, typed_days) = match (parsed_name, parsed_days) {
        (Ok(typed_name), Ok(typed_days)) => (typed_name, typed_days),
        (parsed_name, parsed_days) => {
            name.error = parsed_name.err().map(|err| err.to_string());
            days.error = parsed_days.err().map(|err| err.to_string());
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return tokens_page(&req, &signed_in, &state, status, (name, days), None).await;
        }
    };
    let guarded = Guarded {
        what: "Creating an API token",
        action: paths::ACCOUNT_TOKENS,
        cancel_href: paths::ACCOUNT_TOKENS,
    };
    if let Some(step) = recent_password::require(&req, &signed_in, &state, guarded, &form).await? {
        return Ok(step);
    }
    let (owner, login) = (signed_in.user.clone(), signed_in.login());
    let session = signed_in.session_id;
    let now = Utc::now().naive_utc();
    let created = state
        .db(move |conn| {
            Ok::<_, AppError>(token_service::create(
                conn,
                &owner,
                session,
                &login,
                (&typed_name, typed_days),
                now,
            ))
        })
        .await?;
    match created {
        Ok(made) => {
            let shown = CreatedToken {
                name: made.token.name.clone(),
                secret: made.secret,
                expires: made.token.expires_at.into(),
            };
            let status = StatusCode::OK;
            tokens_page(&req, &signed_in, &state, status, empty_form(), Some(shown)).await
        }
        Err(err @ (TokenError::NameTaken(_) | TokenError::TooMany)) => {
            name.error = Some(err.to_string());
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            tokens_page(&req, &signed_in, &state, status, (name, days), None).await
        }
        Err(err) => Err(err.into()),
    }
}

/// **Revoke {name}**: the token stops working at once, on every instance.
pub async fn revoke_token(
    req: HttpRequest,
    signed_in: Actor,
    state: web::Data<AppState>,
    path: web::Path<ApiTokenId>,
) -> Result<HttpResponse, AppError> {
    let (owner, login, id) = (signed_in.user.clone(), signed_in.login(), path.into_inner());
    let revoked = state
        .db(move |conn| token_service::revoke(conn, &owner, &login, id))
        .await?;
    PortalSession::of(&req).set_flash(&format!("Token {} was revoked.", revoked.name))?;
    Ok(redirect(paths::ACCOUNT_TOKENS))
}
