//! API tokens: made by their owner on the API tokens page (the secret shown once),
//! listed, revoked, and checked on every `/api/` request. A token is
//! `pbx_{id}_{secret}`, the secret 256 random bits of which only the SHA-256 is kept;
//! the id makes the check a primary-key lookup. A token acts with its owner's rights as
//! they are at each request, and only while the owner may still sign in.

use chrono::{NaiveDateTime, TimeDelta};
use diesel::QueryResult;

use super::mail::{new_token, token_hash};
use super::sessions::password_is_recent;
use crate::db::api_tokens::{self, ApiToken, NewApiToken};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains::Domain;
use crate::db::users::User;
use crate::db::{DbConn, sessions, write_transaction};
use crate::domain::Scope;
use crate::domain::fields::is_format_char;
use crate::domain::ids::{ApiTokenId, SessionId, UserId};

/// What every token starts with, so that a leaked one is recognisable (secret scanners).
pub const PREFIX: &str = "pbx_";
/// Longest token name, in characters.
pub const NAME_MAX_CHARS: usize = 64;
/// The longest life a token may be given, and the one the form suggests.
pub const MAX_DAYS: u32 = 365;
pub const DEFAULT_DAYS: u32 = 90;
/// Most tokens one user may hold: each has a rate limit of its own, so more tokens
/// would be more requests.
pub const MAX_PER_USER: usize = 25;

#[derive(Debug, thiserror::Error)]
pub enum TokenError {
    #[error("Give the token a name.")]
    NoName,
    #[error(
        "A token name has at most {NAME_MAX_CHARS} characters, and no control or invisible formatting characters."
    )]
    BadName,
    #[error("You already have a token called {0}.")]
    NameTaken(String),
    #[error("Expires in days is a whole number from 1 to {MAX_DAYS}.")]
    BadDays,
    #[error("You have {MAX_PER_USER} tokens, the most one may hold. Revoke one first.")]
    TooMany,
    #[error("You have no such token.")]
    NotFound,
    /// The session asking was ended while it asked.
    #[error("Your session has ended. Sign in again.")]
    SessionEnded,
    /// The session's password stopped being recent while it asked.
    #[error("Your password was given more than 10 minutes ago. Send the form again to confirm it.")]
    PasswordNotRecent,
    #[error("no randomness for a token: {0}")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// The tokens of `owner`, as the API tokens and Sessions pages list them.
pub fn of_owner(conn: &mut DbConn, owner: UserId) -> QueryResult<Vec<ApiToken>> {
    api_tokens::of_user(conn, owner)
}

/// A token's name as typed: trimmed, not empty, short, printable.
pub fn parse_name(typed: &str) -> Result<String, TokenError> {
    let name = typed.trim();
    if name.is_empty() {
        return Err(TokenError::NoName);
    }
    if name.chars().count() > NAME_MAX_CHARS
        || name.chars().any(|c| c.is_control() || is_format_char(c))
    {
        return Err(TokenError::BadName);
    }
    Ok(name.to_owned())
}

/// "Expires in days" as typed: a whole number from 1 to [`MAX_DAYS`].
pub fn parse_days(typed: &str) -> Result<u32, TokenError> {
    typed
        .trim()
        .parse::<u32>()
        .ok()
        .filter(|days| (1..=MAX_DAYS).contains(days))
        .ok_or(TokenError::BadDays)
}

/// A token just made: the secret, for its owner to copy once, and the row.
#[derive(Debug)]
pub struct NewToken {
    pub secret: String,
    pub token: ApiToken,
}

/// Makes a token for `owner` called `name` that lives `days` days, with its audit event,
/// on the strength of `session`: it must still be live, and its password recent, in the
/// transaction that makes the token, and it cannot be ended before that commits, so a
/// token never outlives a **Sign out everywhere** or **End sessions** that raced it.
pub fn create(
    conn: &mut DbConn,
    owner: &User,
    session: SessionId,
    login: &str,
    (name, days): (&str, u32),
    now: NaiveDateTime,
) -> Result<NewToken, TokenError> {
    let (secret, hash) = new_token()?;
    let created = write_transaction(conn, |conn| {
        let held = sessions::hold_of_user(conn, session, owner.id)?;
        let confirmed_at = held.ok_or(TokenError::SessionEnded)?.password_confirmed_at;
        if !password_is_recent(confirmed_at, now) {
            return Err(TokenError::PasswordNotRecent);
        }
        api_tokens::purge_expired(conn, now)?;
        if api_tokens::name_taken(conn, owner.id, name)? {
            return Err(TokenError::NameTaken(name.to_owned()));
        }
        if api_tokens::of_user(conn, owner.id)?.len() >= MAX_PER_USER {
            return Err(TokenError::TooMany);
        }
        let token = api_tokens::insert(
            conn,
            &NewApiToken {
                user_id: owner.id,
                name,
                token_hash: &hash,
                created_at: now,
                expires_at: now + TimeDelta::days(i64::from(days)),
            },
        )?;
        record(
            conn,
            owner,
            login,
            audit::TOKEN_CREATE,
            &format!("{name}, expires in {days} days"),
        )?;
        Ok(NewToken {
            secret: format!("{PREFIX}{}_{secret}", token.id),
            token,
        })
    });
    // Two creates of one name at once: the unique index decides, with the same answer.
    match created {
        Err(TokenError::Database(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(TokenError::NameTaken(name.to_owned())),
        other => other,
    }
}

/// Revokes `owner`'s token `id`, with its audit event; returns the token revoked.
pub fn revoke(
    conn: &mut DbConn,
    owner: &User,
    login: &str,
    id: ApiTokenId,
) -> Result<ApiToken, TokenError> {
    write_transaction(conn, |conn| {
        let token = api_tokens::delete_of_user(conn, owner.id, id)?.ok_or(TokenError::NotFound)?;
        record(conn, owner, login, audit::TOKEN_REVOKE, &token.name)?;
        Ok(token)
    })
}

fn record(
    conn: &mut DbConn,
    owner: &User,
    login: &str,
    action: &str,
    details: &str,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            domain_id: Some(owner.domain_id),
            actor_id: Some(owner.id),
            actor_login: login,
            action,
            target_user_id: Some(owner.id),
            target: &owner.extension,
            details,
        },
    )
}

/// The row id and the secret's hash a presented token names, if it is one.
fn parse_token(text: &str) -> Option<(ApiTokenId, String)> {
    let (id, secret) = text.strip_prefix(PREFIX)?.split_once('_')?;
    let id = id.parse().ok()?;
    (!secret.is_empty()).then(|| (id, token_hash(secret)))
}

/// The live token `text` names, with its owner and the owner's domain, provided the
/// owner may still use the portal (has a password, is no system user, has portal
/// access). An owner with a pending forced password change is the caller's to refuse.
pub fn check(
    conn: &mut DbConn,
    text: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<(ApiToken, User, Domain)>> {
    let Some((id, hash)) = parse_token(text) else {
        return Ok(None);
    };
    let found = api_tokens::find_with_user(conn, id, &hash)?;
    Ok(found.filter(|(token, user, _)| {
        token.expires_at > now
            && user.password_hash.is_some()
            && !user.is_system
            && user.scope > Scope::NoPortal
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_days_are_checked_as_typed() {
        assert_eq!(
            parse_name("  nightly sync ").ok().as_deref(),
            Some("nightly sync")
        );
        assert!(matches!(parse_name("   "), Err(TokenError::NoName)));
        assert!(matches!(
            parse_name(&"x".repeat(65)),
            Err(TokenError::BadName)
        ));
        assert!(matches!(parse_name("a\u{7}b"), Err(TokenError::BadName)));
        for hidden in ["gpj\u{202E}exe", "a\u{200B}b", "\u{FEFF}sync", "x\u{2066}y"] {
            assert!(
                matches!(parse_name(hidden), Err(TokenError::BadName)),
                "{hidden:?}"
            );
        }
        assert_eq!(parse_days(" 30 ").ok(), Some(30));
        for bad in ["0", "366", "-1", "1.5", "", "ten"] {
            assert!(matches!(parse_days(bad), Err(TokenError::BadDays)), "{bad}");
        }
    }

    #[test]
    fn only_well_formed_tokens_name_a_row() -> Result<(), &'static str> {
        let (id, hash) = parse_token("pbx_12_abc_def").ok_or("not read")?;
        assert_eq!(id, ApiTokenId::new(12));
        assert_eq!(hash, token_hash("abc_def"));
        for bad in [
            "",
            "pbx_",
            "pbx_12",
            "pbx_12_",
            "pbx_x_abc",
            "xyz_12_abc",
            "12_abc",
        ] {
            assert!(parse_token(bad).is_none(), "{bad}");
        }
        Ok(())
    }
}
