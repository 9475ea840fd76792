//! Signing in and changing one's own password.

use crate::db::write_transaction;

use super::AuditActor;
use super::credentials::{HashError, TimingShield, hash_secret, verify_secret};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::users::User;
use crate::db::{DbConn, domains, sign_in_failures, users};
use crate::domain::{Invalid, Login, NewPassword, Scope};

#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    /// Unknown login, wrong password, no password set, or no portal access: one answer
    /// for all, so the form never tells which part was wrong.
    #[error("The login or password is not correct.")]
    Refused,
    /// Too many failures for this login, or from this address, in the last minutes.
    #[error("Too many failed sign-ins. Wait {THROTTLE_MINUTES} minutes, then try again.")]
    Throttled,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// How far back failed sign-ins count.
pub const THROTTLE_MINUTES: i64 = 15;
/// Failures per login typed within the window before sign-in is refused for it.
pub const FAILURES_PER_LOGIN: i64 = 5;
/// Failures from one address within the window before it is refused (offices share
/// addresses, hence more than per login).
pub const FAILURES_PER_ADDRESS: i64 = 50;

/// Checks a login and password from `address`; returns the user on success. Failures
/// are counted per login typed (whether or not it exists, so the answer reveals
/// nothing) and per address; past either limit every attempt is refused unchecked
/// until the window has passed.
pub fn sign_in(
    conn: &mut DbConn,
    shield: &TimingShield,
    login: &str,
    password: &str,
    address: &str,
) -> Result<User, SignInError> {
    let now = chrono::Utc::now().naive_utc();
    let window_start = now - chrono::TimeDelta::minutes(THROTTLE_MINUTES);
    let key = throttle_key(login);
    let (by_login, by_address) = sign_in_failures::count_since(conn, &key, address, window_start)?;
    if by_login >= FAILURES_PER_LOGIN || by_address >= FAILURES_PER_ADDRESS {
        shield.waste_a_verification(password);
        return Err(SignInError::Throttled);
    }
    match check_credentials(conn, shield, login, password)? {
        Some(user) => {
            sign_in_failures::forget_login(conn, &key)?;
            Ok(user)
        }
        None => {
            sign_in_failures::record(conn, &key, address, now, window_start)?;
            Err(SignInError::Refused)
        }
    }
}

/// The login as throttling counts it: trimmed, lower-cased, bounded.
fn throttle_key(login: &str) -> String {
    login.trim().to_lowercase().chars().take(300).collect()
}

/// The user whose login and password these are, if any.
fn check_credentials(
    conn: &mut DbConn,
    shield: &TimingShield,
    login: &str,
    password: &str,
) -> Result<Option<User>, SignInError> {
    let Ok(login) = Login::parse(login) else {
        shield.waste_a_verification(password);
        return Ok(None);
    };
    let user = match domains::find_by_name(conn, login.domain.as_str())? {
        Some(domain) => users::find_by_extension(conn, domain.id, login.extension.as_str())?,
        None => None,
    };
    let user = user.filter(|user| !user.is_system && user.scope() > Scope::NoPortal);
    match user {
        Some(user) => match &user.password_hash {
            Some(hash) if verify_secret(password, hash) => Ok(Some(user)),
            Some(_) => Ok(None),
            None => {
                shield.waste_a_verification(password);
                Ok(None)
            }
        },
        None => {
            shield.waste_a_verification(password);
            Ok(None)
        }
    }
}

/// What was wrong with a password change, per field.
#[derive(Debug, thiserror::Error)]
pub enum ChangePasswordError {
    #[error("{0}")]
    NewPassword(Invalid),
    #[error("The two passwords do not match.")]
    Mismatch,
    /// Only a forced change is made here; nobody changes a password without proving
    /// they know the current one otherwise.
    #[error("No password change is pending.")]
    NotRequired,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Sets the user's own new password (the forced change after sign-in), clearing
/// `must_change_password`, ending the user's other sessions, and records it in the
/// audit trail. Returns the user's new session epoch, for the session that made the
/// change to carry on with.
pub fn change_own_password(
    conn: &mut DbConn,
    user: &User,
    domain_name: &str,
    new_password: &str,
    confirmation: &str,
) -> Result<i32, ChangePasswordError> {
    if !user.must_change_password {
        return Err(ChangePasswordError::NotRequired);
    }
    let extension = crate::domain::Extension::parse(&user.extension)
        .map_err(ChangePasswordError::NewPassword)?;
    let password =
        NewPassword::parse(new_password, &extension).map_err(ChangePasswordError::NewPassword)?;
    if new_password != confirmation {
        return Err(ChangePasswordError::Mismatch);
    }
    let hash = hash_secret(password.expose())?;
    let actor = AuditActor {
        user_id: Some(user.id),
        login: format!("{}@{domain_name}", user.extension),
    };
    let now = chrono::Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        users::set_password(conn, user.id, &hash, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(user.domain_id),
                actor_id: actor.user_id,
                actor_login: &actor.login,
                action: audit::PASSWORD_CHANGE,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: "changed own portal password",
            },
        )
    })?;
    Ok(user.session_epoch + 1)
}
