//! The Current password step: the one guard in front of what a copied session cookie
//! must not be able to do on its own (creating an API token now; the second-factor
//! settings and Domain settings later). A guarded form posts its fields as usual; when
//! the session's password is older than [`sessions::RECENT_PASSWORD`], the answer is
//! this step instead, with the form's fields kept as hidden fields, and its **Confirm**
//! posts them again to the same address with the password. A wrong password is counted
//! and throttled exactly like a wrong sign-in.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use chrono::Utc;

use crate::error::AppError;
use crate::services::auth::{self, SignInError};
use crate::services::sessions;
use crate::state::AppState;
use crate::views::account::ConfirmPasswordPage;
use crate::web::session::SignedIn;

/// The step's field.
pub const FIELD: &str = "current_password";
/// Longest password the step verifies; a longer one is refused unhashed.
const MAX_PASSWORD_BYTES: usize = 1024;

/// A guarded form as posted: its fields in order, the CSRF token and the step's
/// password among them.
pub type PostedFields = Vec<(String, String)>;

/// The value of the first field called `name`, or "" when there is none.
pub fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(key, _)| key == name)
        .map_or("", |(_, value)| value.as_str())
}

/// What a guarded action is, for the step to name and leave.
pub struct Guarded<'a> {
    /// "Creating an API token".
    pub what: &'static str,
    /// Where the form posts (and the step with it).
    pub action: &'a str,
    /// Where **Cancel** goes.
    pub cancel_href: &'a str,
}

/// `None` when the action may go on: the session's password is recent, or the posted
/// Current password is right (and is noted as given now). Otherwise the step to answer
/// with: asking for the password, or saying it was wrong or throttled.
pub async fn require(
    req: &HttpRequest,
    signed_in: &SignedIn,
    state: &AppState,
    guarded: Guarded<'_>,
    fields: &[(String, String)],
) -> Result<Option<HttpResponse>, AppError> {
    let now = Utc::now().naive_utc();
    if sessions::password_is_recent(signed_in.password_confirmed_at, now) {
        return Ok(None);
    }
    let typed = fields.iter().find(|(key, _)| key == FIELD).map(|(_, v)| v);
    let refusal = match typed {
        None => None,
        Some(password) if password.len() > MAX_PASSWORD_BYTES => Some(SignInError::Refused),
        Some(password) => match confirm(req, signed_in, state, password.clone()).await? {
            Ok(()) => return Ok(None),
            Err(refusal) => Some(refusal),
        },
    };
    let (status, error) = match refusal {
        None => (StatusCode::OK, None),
        Some(SignInError::Throttled) => (
            StatusCode::TOO_MANY_REQUESTS,
            Some(SignInError::Throttled.to_string()),
        ),
        Some(SignInError::Refused) => (
            StatusCode::UNAUTHORIZED,
            Some("That is not your current password.".to_owned()),
        ),
        Some(SignInError::Database(err)) => return Err(err.into()),
        Some(SignInError::Session(err)) => return Err(AppError::Internal(err.to_string())),
    };
    let kept = fields
        .iter()
        .filter(|(key, _)| key != FIELD && key != "csrf_token")
        .cloned()
        .collect();
    crate::views::page(
        status,
        &ConfirmPasswordPage {
            chrome: signed_in.chrome(),
            what: guarded.what,
            minutes: sessions::RECENT_PASSWORD.num_minutes(),
            action: guarded.action.to_owned(),
            kept,
            error,
            cancel_href: guarded.cancel_href.to_owned(),
        },
    )
    .map(Some)
}

/// Counts the attempt like a sign-in of this login from this address, verifies the
/// password on a hashing slot, and on success notes it on the session.
async fn confirm(
    req: &HttpRequest,
    signed_in: &SignedIn,
    state: &AppState,
    password: String,
) -> Result<Result<(), SignInError>, AppError> {
    let ip = crate::web::peer::client_ip(req, &state.settings.trusted_proxies);
    let address = ip.map_or_else(|| "unknown".to_owned(), crate::web::peer::throttling_key);
    let login = signed_in.login();
    let pending = match super::auth::verified_password(state, &login, address, password).await? {
        Ok(pending) => pending,
        Err(refused) => return Ok(Err(refused)),
    };
    let session_id = signed_in.session_id;
    let now = Utc::now().naive_utc();
    state
        .db(move |conn| {
            Ok::<_, AppError>(auth::finish_password_confirmation(
                conn, &pending, session_id, now,
            ))
        })
        .await
}
