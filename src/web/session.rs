//! The typed session and the extractors for the signed-in user. The session cookie
//! (encrypted by actix-session) holds the CSRF token, a one-time message, and, once
//! signed in, the token that names a row of `sessions`; the row (and with it the user,
//! their scope and domain) is read on each request, so signing out, a deletion, a reset
//! or a forced password reset ends the session at once, on every instance, whatever
//! copies of the cookie exist.

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;

use crate::db::domains::Domain;
use crate::db::sessions as session_rows;
use crate::db::users::User;
use crate::domain::ActorRights;
use crate::domain::ids::SessionId;
use crate::error::AppError;
use crate::services::{Acting, AuditActor, Authority};
use crate::services::{sessions, two_step};
use crate::state::AppState;
use crate::web::last_use::note_in_background;

const TOKEN: &str = "sid";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";
const SECOND_STEP: &str = "second_step";

/// The portal's view of the session cookie.
pub struct PortalSession(Session);

impl PortalSession {
    pub fn of(req: &HttpRequest) -> Self {
        Self(req.get_session())
    }

    /// The session's CSRF token, created on first use (a visitor gets one on the sign-in
    /// page, so the sign-in form is protected too).
    pub fn csrf_token(&self) -> Result<String, AppError> {
        if let Ok(Some(token)) = self.0.get::<String>(CSRF) {
            return Ok(token);
        }
        let token = random_token()?;
        self.insert(CSRF, &token)?;
        Ok(token)
    }

    /// The session's CSRF token, if it has one, without creating it.
    pub fn expected_csrf_token(session: &Session) -> Option<String> {
        session.get::<String>(CSRF).ok().flatten()
    }

    /// Starts a fresh cookie for the session row `token` names: a new cookie and a new
    /// CSRF token, so nothing from before sign-in (such as a planted token) carries over.
    pub fn start(&self, token: &str) -> Result<(), AppError> {
        self.0.clear();
        self.0.renew();
        self.insert(TOKEN, &token)?;
        self.insert(CSRF, &random_token()?)
    }

    /// Holds the second step of a sign-in that `token` names: no session yet, and a
    /// fresh cookie and CSRF token as for a session.
    pub fn start_second_step(&self, token: &str) -> Result<(), AppError> {
        self.0.clear();
        self.0.renew();
        self.insert(SECOND_STEP, &token)?;
        self.insert(CSRF, &random_token()?)
    }

    /// The token of the second step this cookie holds, if any.
    pub fn second_step_token(&self) -> Option<String> {
        self.0.get::<String>(SECOND_STEP).ok().flatten()
    }

    /// Forgets the second step this cookie holds (it expired or was used).
    pub fn forget_second_step(&self) {
        self.forget(SECOND_STEP);
    }

    /// Keeps the token of a ceremony under way (`key` names which) in the cookie.
    pub fn keep(&self, key: &str, token: &str) -> Result<(), AppError> {
        self.insert(key, &token)
    }

    /// The token [`PortalSession::keep`] kept under `key`, if any.
    pub fn kept(&self, key: &str) -> Option<String> {
        self.0.get::<String>(key).ok().flatten()
    }

    /// Forgets what the cookie keeps under `key`.
    pub fn forget(&self, key: &str) {
        self.0.remove(key);
    }

    /// The token of the session row this cookie names, if any.
    pub fn token(&self) -> Option<String> {
        self.0.get::<String>(TOKEN).ok().flatten()
    }

    /// Keeps a message to show on the next page (after a redirect).
    pub fn set_flash(&self, message: &str) -> Result<(), AppError> {
        self.insert(FLASH, &message)
    }

    /// The message left by the previous request, once. Without one, the session is left
    /// untouched: removing a key marks the session changed, and a changed session is
    /// encrypted and sent back as a new cookie on every page.
    pub fn take_flash(&self) -> Option<String> {
        let message = self.0.get::<String>(FLASH).ok().flatten()?;
        self.0.remove(FLASH);
        Some(message)
    }

    /// Whether the cookie names a session (live or not).
    pub fn has_user(&self) -> bool {
        self.token().is_some()
    }

    /// Forgets the cookie (the browser is told to drop it).
    pub fn end(&self) {
        self.0.purge();
    }

    fn insert<T: serde::Serialize>(&self, key: &str, value: &T) -> Result<(), AppError> {
        self.0
            .insert(key, value)
            .map_err(|err| AppError::Internal(format!("session: {err}")))
    }
}

fn random_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|err| AppError::Internal(format!("random: {err}")))?;
    Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
}

/// Constant-time comparison of a presented CSRF token with the session's.
pub fn tokens_match(presented: &str, expected: &str) -> bool {
    presented.len() == expected.len()
        && presented
            .bytes()
            .zip(expected.bytes())
            .fold(0u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// Any signed-in user, including one who still has to change their password.
pub struct SignedIn {
    pub user: User,
    pub domain: Domain,
    /// The `sessions` row this request is signed in through.
    pub session_id: SessionId,
    /// When the password was last given in this session (see [`sessions::RECENT_PASSWORD`]).
    pub password_confirmed_at: Option<chrono::NaiveDateTime>,
    pub csrf_token: String,
}

impl SignedIn {
    pub fn login(&self) -> String {
        format!("{}@{}", self.user.extension, self.domain.name)
    }

    /// The signed-in user as the party acting in a service call.
    pub fn acting(&self) -> Acting {
        Acting {
            authority: Authority::User(self.rights()),
            audit: AuditActor {
                user_id: Some(self.user.id),
                login: self.login(),
            },
        }
    }

    pub fn rights(&self) -> ActorRights {
        self.user.rights_in(&self.domain)
    }
}

impl FromRequest for SignedIn {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let session = PortalSession::of(req);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::Internal("no application state".into()))?;
            let token = session.token().ok_or(AppError::NotSignedIn)?;
            let now = Utc::now().naive_utc();
            let found = state
                .read(move |conn| sessions::check(conn, &token, now))
                .await?;
            let Some((row, user, domain)) = found else {
                session.end();
                return Err(AppError::NotSignedIn);
            };
            if state.last_seen.claim(row.id, row.last_seen_at, now) {
                let session_id = row.id;
                note_in_background(&state, "a session", session_id, move |conn| {
                    session_rows::touch(conn, session_id, now)
                });
            }
            let csrf_token = session.csrf_token()?;
            Ok(SignedIn {
                user,
                domain,
                session_id: row.id,
                password_confirmed_at: row.password_confirmed_at,
                csrf_token,
            })
        })
    }
}

/// A signed-in user free to use the portal: one with a pending forced password change
/// is sent to the change-password page instead.
pub struct Actor(pub SignedIn);

impl std::ops::Deref for Actor {
    type Target = SignedIn;

    fn deref(&self) -> &SignedIn {
        &self.0
    }
}

impl FromRequest for Actor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let signed_in = signed_in.await?;
            if signed_in.user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
            }
            if two_step::is_required_for(&signed_in.user, &signed_in.domain) {
                let state =
                    state.ok_or_else(|| AppError::Internal("no application state".into()))?;
                let (user, domain) = (signed_in.user.clone(), signed_in.domain.clone());
                if state
                    .read(move |conn| two_step::is_held_at_security(conn, &user, &domain))
                    .await?
                {
                    return Err(AppError::TwoStepRequired);
                }
            }
            Ok(Actor(signed_in))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::tokens_match;

    #[test]
    fn tokens_match_only_when_equal() {
        assert!(tokens_match("abc123", "abc123"));
        assert!(!tokens_match("abc124", "abc123"));
        assert!(!tokens_match("abc12", "abc123"));
        assert!(!tokens_match("", "abc123"));
    }
}
