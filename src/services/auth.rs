//! Signing in and changing one's own password.

use crate::db::write_transaction;
use crate::domain::ids::{SessionId, UserId};

use super::AuditActor;
use super::credentials::{HashError, TimingShield, hash_secret, verify_secret};
use super::second_step;
use super::sessions::{self, Client, SessionError};
use super::throttle::{self, THROTTLE_MINUTES};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::sessions as sessions_table;
use crate::db::users::User;
use crate::db::{DbConn, domains, sign_in_failures, two_step, users};
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
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// A sign-in under way: the throttling key, and the account whose password is to be
/// verified (none for an unknown login, which is verified against a decoy instead).
/// Made by [`begin_sign_in`] with the attempt already counted as a failure; only
/// [`finish_sign_in`] takes that back.
#[derive(Debug)]
pub struct PendingSignIn {
    key: String,
    address: String,
    candidate: Option<Candidate>,
}

#[derive(Debug)]
struct Candidate {
    user_id: UserId,
    password_hash: String,
}

/// Counts the attempt against the limits and records it as a failure, in one
/// transaction, so concurrent attempts can never slip past a limit together; finds the
/// account to verify. A throttled attempt ends here, before any hashing. The password
/// is verified afterwards ([`verify`]), off the database connection.
pub fn begin_sign_in(
    conn: &mut DbConn,
    login: &str,
    address: &str,
) -> Result<PendingSignIn, SignInError> {
    let now = chrono::Utc::now().naive_utc();
    let parsed = Login::parse(&normalise_login(login)).ok();
    let key = throttle_key(login, parsed.as_ref());
    write_transaction(conn, |conn| {
        if throttle::count_attempt(conn, &key, address, now)? {
            return Err(SignInError::Throttled);
        }
        throttle::record_failure(conn, &key, address, now)?;
        let candidate = match &parsed {
            Some(login) => account(conn, login)?,
            None => None,
        };
        Ok(PendingSignIn {
            key: key.clone(),
            address: address.to_owned(),
            candidate,
        })
    })
}

/// Whether `password` is the account's: one argon2 verification whether or not there
/// is an account, so the time taken tells nothing. Needs no database connection; run it
/// on a thread that may block.
pub fn verify(shield: &TimingShield, pending: &PendingSignIn, password: &str) -> bool {
    match &pending.candidate {
        Some(candidate) => verify_secret(password, &candidate.password_hash),
        None => shield.waste_a_verification(password),
    }
}

/// Where a right password leads.
#[derive(Debug)]
pub enum PasswordPassed {
    /// Signed in: the session's token.
    Session(String),
    /// The user has a second factor: no session yet, only the second step's token.
    SecondStep(String),
}

/// After a verified password: takes back the failure [`begin_sign_in`] recorded (and the
/// earlier ones of this login from this address), and opens a session, provided the
/// account is unchanged since it was read; or, for a user with a second factor, opens
/// the second step instead. Returns the user and where the password led.
pub fn finish_sign_in(
    conn: &mut DbConn,
    pending: &PendingSignIn,
    client: &Client,
) -> Result<(User, PasswordPassed), SignInError> {
    let Some(candidate) = &pending.candidate else {
        return Err(SignInError::Refused);
    };
    let now = chrono::Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let user = users::find(conn, candidate.user_id)?
            .filter(may_sign_in)
            .filter(|user| user.password_hash.as_deref() == Some(&candidate.password_hash))
            .ok_or(SignInError::Refused)?;
        sign_in_failures::forget(conn, &pending.key, &pending.address)?;
        sessions_table::purge_expired(conn, now)?;
        let passed = if two_step::has_factor(conn, user.id)? {
            PasswordPassed::SecondStep(second_step::begin(conn, user.id, now)?)
        } else {
            PasswordPassed::Session(sessions::open(conn, user.id, client, now)?)
        };
        Ok((user, passed))
    })
}

/// After a verified password in the Current password step of session `session_id`:
/// takes back the failure [`begin_sign_in`] recorded and notes the password as given
/// now, provided the account is unchanged since it was read and the session is still
/// its own.
pub fn finish_password_confirmation(
    conn: &mut DbConn,
    pending: &PendingSignIn,
    session_id: SessionId,
    now: chrono::NaiveDateTime,
) -> Result<(), SignInError> {
    let Some(candidate) = &pending.candidate else {
        return Err(SignInError::Refused);
    };
    write_transaction(conn, |conn| {
        users::find(conn, candidate.user_id)?
            .filter(may_sign_in)
            .filter(|user| user.password_hash.as_deref() == Some(&candidate.password_hash))
            .ok_or(SignInError::Refused)?;
        if !sessions_table::confirm_password(conn, session_id, candidate.user_id, now)? {
            return Err(SignInError::Refused);
        }
        sign_in_failures::forget(conn, &pending.key, &pending.address)?;
        Ok(())
    })
}

/// The login with every space removed (tabs, non-breaking and other Unicode spaces, and
/// invisible format characters) and lower-cased: how it is looked up and counted.
pub fn normalise_login(login: &str) -> String {
    login
        .chars()
        .filter(|c| {
            !c.is_whitespace() && !matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}')
        })
        .flat_map(char::to_lowercase)
        .take(300)
        .collect()
}

/// The login as throttling counts it: the parsed login (`100@acme.example`, however it
/// was typed), or for text that is no login at all, that text normalised.
fn throttle_key(login: &str, parsed: Option<&Login>) -> String {
    match parsed {
        Some(login) => login.to_string(),
        None => normalise_login(login),
    }
}

fn may_sign_in(user: &User) -> bool {
    !user.is_system && user.scope > Scope::NoPortal && user.password_hash.is_some()
}

/// The account `login` names, if it may sign in with a password.
fn account(conn: &mut DbConn, login: &Login) -> diesel::QueryResult<Option<Candidate>> {
    let user = match domains::find_by_name(conn, login.domain.as_str())? {
        Some(domain) => users::find_by_extension(conn, domain.id, login.extension.as_str())?,
        None => None,
    };
    Ok(user.filter(may_sign_in).and_then(|user| {
        Some(Candidate {
            user_id: user.id,
            password_hash: user.password_hash?,
        })
    }))
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
/// audit trail. The session `current_session` (the one making the change) carries on.
pub fn change_own_password(
    conn: &mut DbConn,
    user: &User,
    current_session: SessionId,
    domain_name: &str,
    new_password: &str,
    confirmation: &str,
) -> Result<(), ChangePasswordError> {
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
        sessions_table::delete_others_of_user(conn, user.id, current_session)?;
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
    Ok(())
}
