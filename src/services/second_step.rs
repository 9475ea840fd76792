//! The second step of a sign-in: after a right password, a user with a second factor
//! holds no session yet, only a challenge (a row named by a random token that the
//! browser's cookie carries, alive for five minutes and used once). An authenticator
//! app's code or a recovery code passes it and opens the session; a wrong code is
//! counted and throttled exactly like a wrong password, and the step stays open for
//! another try.

use chrono::{NaiveDateTime, TimeDelta};

use super::mail::{new_token, token_hash};
use super::sealing::Sealer;
use super::sessions::{self, Client, SessionError};
use super::throttle::{self, THROTTLE_MINUTES};
use super::two_step::{secret_owner, unix_seconds};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains;
use crate::db::two_step::{self, NewChallenge};
use crate::db::users::{self, User};
use crate::db::{DbConn, sign_in_failures, write_transaction};
use crate::domain::ids::UserId;
use crate::domain::one_time_codes::{AppSecret, TypedCode};

/// The challenge kind of this step.
pub(super) const KIND: &str = "second_step";
/// How long the step waits for a code after the password.
pub const LIFETIME: TimeDelta = TimeDelta::minutes(5);

/// Opens the step for `user_id` after their right password; returns the token for the
/// cookie. Run inside the sign-in's transaction.
pub fn begin(
    conn: &mut DbConn,
    user_id: UserId,
    now: NaiveDateTime,
) -> Result<String, SessionError> {
    let (token, hash) = new_token()?;
    two_step::insert_challenge(
        conn,
        &NewChallenge {
            token_hash: &hash,
            user_id: Some(user_id),
            kind: KIND,
            state: "",
            created_at: now,
            expires_at: now + LIFETIME,
        },
    )?;
    Ok(token)
}

/// A step open for a user, as its page shows it.
#[derive(Debug)]
pub struct Waiting {
    pub user: User,
    pub login: String,
    pub has_passkey: bool,
}

/// The open step `token` names, if it is still alive.
pub fn waiting(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<Waiting>> {
    let Some(challenge) = two_step::live_challenge(conn, &token_hash(token), KIND, now)? else {
        return Ok(None);
    };
    let Some(user) = challenge
        .user_id
        .map(|id| users::find(conn, id))
        .transpose()?
        .flatten()
    else {
        return Ok(None);
    };
    let login = login_of(conn, &user)?;
    let has_passkey = !two_step::passkeys_of(conn, user.id)?.is_empty();
    Ok(Some(Waiting {
        user,
        login,
        has_passkey,
    }))
}

fn login_of(conn: &mut DbConn, user: &User) -> diesel::QueryResult<String> {
    let domain = domains::find(conn, user.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
    Ok(format!("{}@{}", user.extension, domain.name))
}

#[derive(Debug, thiserror::Error)]
pub enum SecondStepError {
    /// No step open: never begun, expired, used, or its user is gone.
    #[error("This sign-in has expired. Sign in again.")]
    Expired,
    #[error("That code is not right. Try again.")]
    WrongCode,
    #[error("Too many failed sign-ins. Wait {THROTTLE_MINUTES} minutes, then try again.")]
    Throttled,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Session(#[from] SessionError),
}

/// Tries `typed` against the step `token` names, from `address`: on a right code the
/// step is used up and a session opens (returns the user and the session's token).
pub fn verify(
    conn: &mut DbConn,
    sealer: &Sealer,
    token: &str,
    typed: &str,
    (address, client): (&str, &Client),
    now: NaiveDateTime,
) -> Result<(User, String), SecondStepError> {
    let hash = token_hash(token);
    // A wrong code is `None`, not an error: its failure is kept, not rolled back.
    let passed = write_transaction(conn, |conn| {
        let challenge =
            two_step::live_challenge(conn, &hash, KIND, now)?.ok_or(SecondStepError::Expired)?;
        let user = challenge
            .user_id
            .map(|id| users::find(conn, id))
            .transpose()?
            .flatten()
            .filter(|user| user.password_hash.is_some() && !user.is_system)
            .ok_or(SecondStepError::Expired)?;
        let login = login_of(conn, &user)?;
        if throttle::count_attempt(conn, &login, address, now)? {
            return Err(SecondStepError::Throttled);
        }
        let Some(used) = use_code(conn, sealer, &user, typed, now)? else {
            throttle::record_failure(conn, &login, address, now)?;
            return Ok(None);
        };
        if !two_step::take_challenge(conn, challenge.id)? {
            return Err(SecondStepError::Expired);
        }
        sign_in_failures::forget(conn, &login, address)?;
        let session = sessions::open(conn, user.id, client, now)?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(user.domain_id),
                actor_id: Some(user.id),
                actor_login: &login,
                action: audit::TWO_STEP_USE,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &used,
            },
        )?;
        Ok(Some((user, session)))
    })?;
    passed.ok_or(SecondStepError::WrongCode)
}

/// Uses `typed` as the user's app code or one of their recovery codes; what was used
/// ("Authenticator app code", "Recovery code, 9 left"), or `None` when it is neither.
fn use_code(
    conn: &mut DbConn,
    sealer: &Sealer,
    user: &User,
    typed: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<String>> {
    match TypedCode::parse(typed) {
        Some(TypedCode::App(code)) => {
            let Some(app) =
                two_step::app_of(conn, user.id)?.filter(|app| app.turned_on_at.is_some())
            else {
                return Ok(None);
            };
            let step = sealer
                .open(&app.secret_sealed, &secret_owner(user.id))
                .and_then(AppSecret::from_bytes)
                .and_then(|secret| secret.matching_step(&code, unix_seconds(now), app.last_step));
            match step {
                Some(step) if two_step::use_app_step(conn, user.id, step)? => {
                    Ok(Some("Authenticator app code".to_owned()))
                }
                _ => Ok(None),
            }
        }
        Some(TypedCode::Recovery(code)) => {
            if two_step::use_recovery_code(conn, user.id, &code.hash(), now)? {
                let left = two_step::recovery_codes_left(conn, user.id)?;
                Ok(Some(format!("Recovery code, {left} left")))
            } else {
                Ok(None)
            }
        }
        None => Ok(None),
    }
}
