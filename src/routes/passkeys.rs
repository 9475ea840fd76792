//! Passkeys in the browser: adding one on the Security page (behind the Current
//! password step; the page then asks the browser to create it), removing one, and
//! signing in with one (`/login/passkey/…`, JSON for `static/js/passkeys.js`), alone or
//! as the second step after a password. The ceremony's token stays in the cookie.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Serialize;

use super::auth::{asking, first_page};
use super::recent_password::{self, PostedFields};
use super::security::{may_change, refused, security_page, shown_codes};
use crate::domain::ids::PasskeyId;
use crate::error::{AppError, redirect};
use crate::services::passkeys::{self, PasskeyError};
use crate::state::AppState;
use crate::views::security::AddingPasskey;
use crate::web::paths;
use crate::web::session::{PortalSession, SignedIn};

/// Largest credential the browser may send back.
const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

fn status_of(err: &PasskeyError) -> Result<StatusCode, AppError> {
    Ok(match err {
        PasskeyError::Name(_) | PasskeyError::NameTaken(_) => StatusCode::UNPROCESSABLE_ENTITY,
        PasskeyError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        PasskeyError::Expired | PasskeyError::NoSuchPasskey => StatusCode::CONFLICT,
        PasskeyError::Unreadable => StatusCode::BAD_REQUEST,
        PasskeyError::Refused => StatusCode::UNAUTHORIZED,
        PasskeyError::Database(err) => return Err(AppError::Internal(err.to_string())),
        PasskeyError::Session(err) => return Err(AppError::Internal(err.to_string())),
        PasskeyError::Internal(err) => return Err(AppError::Internal(err.clone())),
    })
}

/// **Add passkey**: the page that asks the browser to create it.
pub async fn add(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let what = ("Adding a passkey", "/passkeys/add");
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let typed = recent_password::field(&form, "passkey_name").to_owned();
    let name = match passkeys::parse_name(&typed) {
        Ok(name) => name,
        Err(err) => {
            let mut shown = security_page(&signed_in, &state).await?;
            shown.passkey_name.value = typed;
            shown.passkey_name.error = Some(err.to_string());
            return crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &shown);
        }
    };
    let (user, login, rp) = (
        signed_in.user.clone(),
        signed_in.login(),
        state.relying_party.clone(),
    );
    let now = Utc::now().naive_utc();
    let chosen = name.clone();
    let begun = state
        .db(move |conn| {
            Ok::<_, AppError>(passkeys::begin_adding(
                conn,
                rp.as_ref().as_ref(),
                &user,
                (&login, &chosen),
                now,
            ))
        })
        .await?;
    match begun {
        Ok(begun) => {
            let mut shown = security_page(&signed_in, &state).await?;
            shown.adding = Some(AddingPasskey {
                name,
                token: begun.token,
                options: begun.options,
            });
            crate::views::ok(&shown)
        }
        Err(err) => {
            let mut shown = security_page(&signed_in, &state).await?;
            shown.passkey_name.value = typed;
            shown.passkey_name.error = Some(err.to_string());
            crate::views::page(status_of(&err)?, &shown)
        }
    }
}

/// Keeps the passkey the browser created.
pub async fn finish_adding(
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    if signed_in.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    let field = |name| recent_password::field(&form, name).to_owned();
    let (token, credential) = (field("token"), field("credential"));
    // The name came back through the browser: read again as if typed.
    let name = match passkeys::parse_name(&field("name")) {
        Ok(name) => name,
        Err(err) => return refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    };
    if credential.len() > MAX_CREDENTIAL_BYTES {
        return Err(AppError::BadRequest(
            "The browser's answer is too long.".into(),
        ));
    }
    let (user, rp) = (signed_in.user.clone(), state.relying_party.clone());
    let now = Utc::now().naive_utc();
    let kept = name.clone();
    let finished = state
        .db(move |conn| {
            Ok::<_, AppError>(passkeys::finish_adding(
                conn,
                rp.as_ref().as_ref(),
                &user,
                (&token, &kept, &credential),
                now,
            ))
        })
        .await?;
    match finished {
        Ok(codes) => {
            let mut shown = security_page(&signed_in, &state).await?;
            shown.flash = Some(format!("Passkey {name} was added."));
            shown.new_codes = codes.map(shown_codes);
            crate::views::ok(&shown)
        }
        Err(err) => refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    }
}

/// **Remove {name}**: one of one's own passkeys.
pub async fn remove(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let id: PasskeyId = path
        .parse()
        .map_err(|_| AppError::NotFound("There is no such passkey.".into()))?;
    let tail = format!("/passkeys/{id}/remove");
    let what = ("Removing a passkey", tail.as_str());
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let user = signed_in.user.clone();
    let removed = state
        .db(move |conn| Ok::<_, AppError>(passkeys::remove(conn, &user, id)))
        .await?;
    match removed {
        Ok(name) => {
            PortalSession::of(&req).set_flash(&format!("Passkey {name} was removed."))?;
            Ok(redirect(paths::ACCOUNT_SECURITY))
        }
        Err(PasskeyError::NoSuchPasskey) => {
            Err(AppError::NotFound(PasskeyError::NoSuchPasskey.to_string()))
        }
        Err(err) => refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    }
}

/// The cookie's key for a passkey sign-in under way.
const CEREMONY: &str = "passkey_sign_in";

#[derive(Serialize)]
struct Refusal {
    error: String,
}

fn json_refusal(status: StatusCode, message: String) -> HttpResponse {
    HttpResponse::build(status).json(Refusal { error: message })
}

/// Begins **Sign in with a passkey** (or **Use a passkey**): the options for
/// `navigator.credentials.get`, as JSON.
pub async fn begin_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let rp = state.relying_party.clone();
    let now = Utc::now().naive_utc();
    let begun = state
        .db(move |conn| Ok::<_, AppError>(passkeys::begin_sign_in(conn, rp.as_ref().as_ref(), now)))
        .await?;
    match begun {
        Ok(begun) => {
            PortalSession::of(&req).keep(CEREMONY, &begun.token)?;
            Ok(HttpResponse::Ok()
                .content_type("application/json")
                .body(begun.options))
        }
        Err(err) => Ok(json_refusal(status_of(&err)?, err.to_string())),
    }
}

/// Finishes a passkey sign-in with the browser's credential (the request's JSON body):
/// `{"location": …}` to go to, signed in.
pub async fn finish_sign_in(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    let Some(token) = session.kept(CEREMONY) else {
        let err = PasskeyError::Expired;
        return Ok(json_refusal(status_of(&err)?, err.to_string()));
    };
    if body.len() > MAX_CREDENTIAL_BYTES {
        return Err(AppError::BadRequest(
            "The browser's answer is too long.".into(),
        ));
    }
    let credential = String::from_utf8(body.to_vec())
        .map_err(|_| AppError::BadRequest("The browser's answer is not text.".into()))?;
    let second_step = session.second_step_token();
    let (_, client) = asking(&req, &state);
    let rp = state.relying_party.clone();
    let now = Utc::now().naive_utc();
    let finished = state
        .db(move |conn| {
            Ok::<_, AppError>(passkeys::finish_sign_in(
                conn,
                rp.as_ref().as_ref(),
                (&token, &credential),
                second_step.as_deref(),
                &client,
                now,
            ))
        })
        .await?;
    match finished {
        Ok((user, session_token)) => {
            session.start(&session_token)?;
            tracing::info!(user_id = %user.id, "signed in with a passkey");
            Ok(HttpResponse::Ok().json(serde_json::json!({ "location": first_page(&user) })))
        }
        Err(err) => {
            session.forget(CEREMONY);
            Ok(json_refusal(status_of(&err)?, err.to_string()))
        }
    }
}
