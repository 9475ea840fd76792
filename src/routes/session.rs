//! The typed session and the extractors for the signed-in user. The session cookie
//! (encrypted by actix-session) holds only the user's id, the user's session epoch, the
//! sign-in time and the CSRF token; everything else is loaded from the database on each
//! request, so a changed scope or a forced password reset takes effect at once.

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use chrono::Utc;
use futures_util::future::LocalBoxFuture;

use crate::db::domains::Domain;
use crate::db::users::{self, User};
use crate::domain::{ActorRights, Scope};
use crate::error::AppError;
use crate::services::{Acting, AuditActor, Authority};
use crate::state::AppState;
use crate::views::Chrome;

const USER_ID: &str = "uid";
const EPOCH: &str = "epoch";
const SINCE: &str = "since";
const CSRF: &str = "csrf";
const FLASH: &str = "flash";

/// How long a sign-in lasts, in seconds.
pub const SESSION_MAX_AGE_SECS: i64 = 12 * 60 * 60;

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

    /// Starts a fresh session for `user`: a new cookie and a new CSRF token, so nothing
    /// from before sign-in (such as a planted token) carries over.
    pub fn start(&self, user: &User) -> Result<(), AppError> {
        self.0.clear();
        self.0.renew();
        self.insert(USER_ID, &user.id)?;
        self.insert(EPOCH, &user.session_epoch)?;
        self.insert(SINCE, &Utc::now().timestamp())?;
        self.insert(CSRF, &random_token()?)
    }

    /// The signed-in user's id and session epoch, unless absent or expired.
    fn signed_in(&self) -> Option<(i64, i32)> {
        let user_id = self.0.get::<i64>(USER_ID).ok()??;
        let epoch = self.0.get::<i32>(EPOCH).ok()??;
        let since = self.0.get::<i64>(SINCE).ok()??;
        let age = Utc::now().timestamp() - since;
        (0..SESSION_MAX_AGE_SECS)
            .contains(&age)
            .then_some((user_id, epoch))
    }

    /// Keeps this session valid after the user's epoch moved on (their own password
    /// change ends every other session, not this one).
    pub fn carry_on_with_epoch(&self, epoch: i32) -> Result<(), AppError> {
        self.insert(EPOCH, &epoch)
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

    /// Whether the session names a user (valid or not).
    pub fn has_user(&self) -> bool {
        self.signed_in().is_some()
    }

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
    pub csrf_token: String,
}

impl SignedIn {
    pub fn login(&self) -> String {
        format!("{}@{}", self.user.extension, self.domain.name)
    }

    pub fn chrome(&self) -> Chrome {
        Chrome {
            csrf_token: self.csrf_token.clone(),
            signed_in_as: Some(self.login()),
        }
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
        ActorRights {
            user_id: self.user.id,
            scope: self.user.scope(),
            domain_id: self.domain.id,
            reseller_id: self.domain.reseller_id,
        }
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
            let (user_id, epoch) = session.signed_in().ok_or(AppError::NotSignedIn)?;
            let found = state
                .read(move |conn| users::find_with_domain(conn, user_id))
                .await?;
            // A session ends when its user is gone, was forced to reset (epoch bumped),
            // lost its password or its portal access.
            let still_valid = |user: &User| {
                user.session_epoch == epoch
                    && user.password_hash.is_some()
                    && !user.is_system
                    && user.scope() > Scope::NoPortal
            };
            let Some((user, domain)) = found.filter(|(user, _)| still_valid(user)) else {
                session.end();
                return Err(AppError::NotSignedIn);
            };
            let csrf_token = session.csrf_token()?;
            Ok(SignedIn {
                user,
                domain,
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
        Box::pin(async move {
            let signed_in = signed_in.await?;
            if signed_in.user.must_change_password {
                return Err(AppError::PasswordChangeRequired);
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
