//! Sessions: opening one at sign-in, checking one on each request, listing a user's
//! own, and ending them (one, all of one's own, or all of another user's by an office
//! manager). The cookie holds the row's id and a secret of 256 random bits; only the
//! secret's SHA-256 is stored.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};

use chrono::{NaiveDateTime, TimeDelta};

use super::mail::{new_token, token_hash};
use super::{Acting, AuditActor};
use crate::db::api_tokens;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains::Domain;
use crate::db::sessions::{self, NewSession, Session};
use crate::db::users::{self, User};
use crate::db::{DbConn, write_transaction};
use crate::domain::fields::is_format_char;
use crate::domain::ids::{SessionId, UserId};
use crate::domain::{Extension, Refusal, Scope, TargetUser};

/// How long a sign-in lasts.
pub const LIFETIME: TimeDelta = TimeDelta::hours(12);
/// How stale a session's "last seen" may get before a request writes it again: one write
/// per session per minute at most, not one per page.
pub const LAST_SEEN_PRECISION: TimeDelta = TimeDelta::minutes(1);
/// How long a password given in a session counts as recent: creating an API token (and
/// anything else a copied session must not do) asks for it again after this.
pub const RECENT_PASSWORD: TimeDelta = TimeDelta::minutes(10);
/// Longest user agent kept.
const MAX_USER_AGENT_CHARS: usize = 300;

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error("no randomness for a session token: {0}")]
    Random(#[from] getrandom::Error),
}

/// Where a sign-in comes from, as the Sessions page shows it.
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub user_agent: String,
    pub address: String,
}

/// What the cookie carries: the session row's id, a dot, and the 256-bit secret whose
/// SHA-256 the row holds. The id makes the check a primary-key lookup; the secret is
/// what proves the cookie is that session's.
fn cookie_token(id: SessionId, secret: &str) -> String {
    format!("{id}.{secret}")
}

/// The row id and the secret's hash a cookie token names, if it is one.
fn parse_cookie_token(token: &str) -> Option<(SessionId, String)> {
    let (id, secret) = token.split_once('.')?;
    let id = id.parse().ok()?;
    (!secret.is_empty()).then(|| (id, token_hash(secret)))
}

/// A new session for `user`: returns the token for the cookie. Run inside the sign-in's
/// transaction.
pub fn open(
    conn: &mut DbConn,
    user_id: UserId,
    client: &Client,
    now: NaiveDateTime,
) -> Result<String, SessionError> {
    let (secret, hash) = new_token()?;
    let user_agent: String = client
        .user_agent
        .chars()
        .filter(|c| !c.is_control() && !is_format_char(*c))
        .take(MAX_USER_AGENT_CHARS)
        .collect();
    let id = sessions::insert(
        conn,
        &NewSession {
            token_hash: &hash,
            user_id,
            created_at: now,
            last_seen_at: now,
            expires_at: now + LIFETIME,
            user_agent: &user_agent,
            address: &client.address,
            password_confirmed_at: Some(now),
        },
    )?;
    Ok(cookie_token(id, &secret))
}

/// The live session a cookie's token names, with its user and domain, provided the user
/// may still be signed in (has a password, is no system user, has portal access).
pub fn check(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<(Session, User, Domain)>> {
    let Some((id, hash)) = parse_cookie_token(token) else {
        return Ok(None);
    };
    // Expiry is compared here rather than bound into the query: formatting the time as
    // SQLite's text on every request showed in the profile.
    let found = sessions::find_with_user(conn, id, &hash)?;
    Ok(found.filter(|(session, user, _)| {
        session.expires_at > now
            && user.password_hash.is_some()
            && !user.is_system
            && user.scope > Scope::NoPortal
    }))
}

/// How far ahead of this instance's clock another instance's may be: a password time
/// up to this far in the future counts as given now, anything further as not given.
const CLOCK_SKEW: TimeDelta = TimeDelta::minutes(1);

/// Whether a password given at `confirmed_at` is still recent at `now`.
pub fn password_is_recent(confirmed_at: Option<NaiveDateTime>, now: NaiveDateTime) -> bool {
    confirmed_at.is_some_and(|at| at <= now + CLOCK_SKEW && now - at < RECENT_PASSWORD)
}

/// Which sessions (or API tokens) this instance has noted as used lately, so that of
/// the many requests that find one's "last seen" stale at once only one writes it: at
/// most one write per session per [`LAST_SEEN_PRECISION`] and instance.
#[derive(Debug)]
pub struct LastSeenNotes<K = SessionId> {
    noted: Mutex<HashMap<K, NaiveDateTime>>,
}

impl<K> Default for LastSeenNotes<K> {
    fn default() -> Self {
        Self {
            noted: Mutex::new(HashMap::new()),
        }
    }
}

/// Sessions remembered at most; older notes are forgotten first.
const LAST_SEEN_NOTES: usize = 100_000;

impl<K: std::hash::Hash + Eq> LastSeenNotes<K> {
    /// Whether the caller should write `now` as the session's last use: its stored
    /// time is stale and nobody on this instance has written it lately.
    pub fn claim(&self, id: K, stored: NaiveDateTime, now: NaiveDateTime) -> bool {
        if now - stored < LAST_SEEN_PRECISION {
            return false;
        }
        let mut noted = self.noted.lock().unwrap_or_else(PoisonError::into_inner);
        if noted
            .get(&id)
            .is_some_and(|at| now - *at < LAST_SEEN_PRECISION)
        {
            return false;
        }
        if noted.len() >= LAST_SEEN_NOTES {
            noted.retain(|_, at| now - *at < LAST_SEEN_PRECISION);
            if noted.len() >= LAST_SEEN_NOTES {
                noted.clear();
            }
        }
        noted.insert(id, now);
        true
    }
}

/// Ends the session whose cookie carries `token` (sign out).
pub fn close(conn: &mut DbConn, token: &str) -> diesel::QueryResult<usize> {
    match parse_cookie_token(token) {
        Some((id, hash)) => sessions::delete_by_token(conn, id, &hash),
        None => Ok(0),
    }
}

/// One of the signed-in user's sessions, as their Sessions page lists it.
#[derive(Debug, Clone)]
pub struct OwnSession {
    pub id: SessionId,
    /// "Firefox on Windows"; numbered ("Firefox on Windows (2)") when the user has
    /// several sessions on the same kind of device, so each has a name of its own.
    pub device: String,
    pub address: String,
    pub signed_in_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub is_current: bool,
}

/// The user's live sessions, most recently used first, `current` marked.
pub fn list_own(
    conn: &mut DbConn,
    user_id: UserId,
    current: SessionId,
    now: NaiveDateTime,
) -> diesel::QueryResult<Vec<OwnSession>> {
    let live = sessions::live_of_user(conn, user_id, now)?;
    let mut by_age: Vec<&Session> = live.iter().collect();
    by_age.sort_by_key(|session| (session.created_at, session.id));
    let kinds: Vec<(SessionId, String)> = by_age
        .iter()
        .map(|session| (session.id, device_of(&session.user_agent)))
        .collect();
    let names = distinct_names(&kinds);
    Ok(live
        .into_iter()
        .map(|session| OwnSession {
            device: names
                .iter()
                .find(|(id, _)| *id == session.id)
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
            id: session.id,
            address: session.address,
            signed_in_at: session.created_at,
            last_seen_at: session.last_seen_at,
            is_current: session.id == current,
        })
        .collect())
}

/// Numbers device names that repeat, oldest first: "Chrome on Linux (1)", "(2)", ….
fn distinct_names(kinds: &[(SessionId, String)]) -> Vec<(SessionId, String)> {
    let mut seen: Vec<(&str, usize)> = Vec::new();
    kinds
        .iter()
        .map(|(id, kind)| {
            let repeats = kinds.iter().filter(|(_, other)| other == kind).count() > 1;
            if !repeats {
                return (*id, kind.clone());
            }
            let n = match seen.iter_mut().find(|(name, _)| name == kind) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    seen.push((kind, 1));
                    1
                }
            };
            (*id, format!("{kind} ({n})"))
        })
        .collect()
}

/// "Firefox on Windows", read from a user agent; "Unknown device" when it says nothing
/// recognisable.
pub fn device_of(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("Chrome/", "Chrome"),
        ("CriOS/", "Chrome"),
        ("Firefox/", "Firefox"),
        ("FxiOS/", "Firefox"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| *name);
    let system = [
        ("Windows", "Windows"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Mac OS X", "macOS"),
        ("Android", "Android"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| *name);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} on {system}"),
        (Some(browser), None) => browser.to_owned(),
        (None, Some(system)) => format!("A browser on {system}"),
        (None, None) => "Unknown device".to_owned(),
    }
}

/// Ends one of the signed-in user's own sessions; returns whether there was one.
pub fn end_own(
    conn: &mut DbConn,
    user: &User,
    login: &str,
    session_id: SessionId,
) -> diesel::QueryResult<bool> {
    write_transaction(conn, |conn| {
        let ended = sessions::delete_of_user(conn, user.id, session_id)?;
        if ended > 0 {
            record_ended(conn, user, login, "signed out one of their own sessions")?;
        }
        Ok(ended > 0)
    })
}

/// What **Sign out everywhere** ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EndedEverywhere {
    pub sessions: usize,
    pub tokens: usize,
}

/// Ends every session of the signed-in user, this one included, and with
/// `revoke_tokens` every API token of theirs too (a copied cookie may have made one).
pub fn end_all_own(
    conn: &mut DbConn,
    user: &User,
    login: &str,
    revoke_tokens: bool,
) -> diesel::QueryResult<EndedEverywhere> {
    write_transaction(conn, |conn| {
        let sessions = sessions::delete_of_users(conn, &[user.id])?;
        let tokens = if revoke_tokens {
            api_tokens::delete_of_users(conn, &[user.id])?
        } else {
            0
        };
        let details = if revoke_tokens {
            format!("signed out everywhere ({sessions} sessions) and revoked {tokens} API tokens")
        } else {
            format!("signed out everywhere ({sessions} sessions); API tokens kept")
        };
        record_ended(conn, user, login, &details)?;
        Ok(EndedEverywhere { sessions, tokens })
    })
}

fn record_ended(
    conn: &mut DbConn,
    user: &User,
    login: &str,
    details: &str,
) -> diesel::QueryResult<()> {
    audit::record(
        conn,
        &NewAuditEvent {
            domain_id: Some(user.domain_id),
            actor_id: Some(user.id),
            actor_login: login,
            action: audit::SESSIONS_END,
            target_user_id: Some(user.id),
            target: &user.extension,
            details,
        },
    )
}

#[derive(Debug, thiserror::Error)]
pub enum EndSessionsError {
    #[error("There is no user with extension {0} in this domain.")]
    NotFound(String),
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for EndSessionsError {
    fn from(refusal: Refusal) -> Self {
        EndSessionsError::Refused(refusal)
    }
}

/// Ends every session of another user and revokes their API tokens (an office manager's
/// **End sessions**: a token made from a stolen session must end with it), under the
/// rules of any other change to that user; returns how many sessions and tokens ended.
pub fn end_sessions_of(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
) -> Result<EndedEverywhere, EndSessionsError> {
    acting.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let user = users::find_by_extension(conn, domain.id, extension.as_str())?
            .ok_or_else(|| EndSessionsError::NotFound(extension.to_string()))?;
        acting.may_act_on(TargetUser {
            id: user.id,
            scope: user.scope,
            domain: domain.as_ref(),
        })?;
        let sessions = sessions::delete_of_users(conn, &[user.id])?;
        let tokens = api_tokens::delete_of_users(conn, &[user.id])?;
        let AuditActor { user_id, login } = &acting.audit;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: *user_id,
                actor_login: login,
                action: audit::SESSIONS_END,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &format!("ended {sessions} sessions and revoked {tokens} API tokens"),
            },
        )?;
        Ok(EndedEverywhere { sessions, tokens })
    })
}

/// How many live sessions a user has, for their edit page.
pub fn count_of(
    conn: &mut DbConn,
    user_id: UserId,
    now: NaiveDateTime,
) -> diesel::QueryResult<i64> {
    sessions::count_live_of_user(conn, user_id, now)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_are_named_from_the_user_agent() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0";
        assert_eq!(device_of(firefox), "Firefox on Windows");
        let chrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        assert_eq!(device_of(chrome), "Chrome on Linux");
        let headless = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/156.0.0.0 Safari/537.36";
        assert_eq!(device_of(headless), "Headless Chrome on Linux");
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1";
        assert_eq!(device_of(safari), "Safari on iOS");
        assert_eq!(device_of(""), "Unknown device");
        assert_eq!(device_of("curl/8.5.0"), "curl");
    }

    #[test]
    fn of_many_requests_that_find_last_seen_stale_one_writes_it() {
        let notes = LastSeenNotes::default();
        let signed_in = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|at| at.naive_utc())
            .unwrap_or_default();
        let fresh = signed_in + TimeDelta::seconds(30);
        assert!(
            !notes.claim(SessionId::new(7), signed_in, fresh),
            "not stale yet"
        );
        let stale = signed_in + TimeDelta::seconds(90);
        assert!(notes.claim(SessionId::new(7), signed_in, stale));
        assert!(
            !notes.claim(SessionId::new(7), signed_in, stale),
            "another request, same moment"
        );
        assert!(
            notes.claim(SessionId::new(8), signed_in, stale),
            "another session"
        );
        let later = stale + TimeDelta::seconds(61);
        assert!(
            notes.claim(SessionId::new(7), stale, later),
            "a minute on, it is written again"
        );
    }

    #[test]
    fn a_password_is_recent_for_ten_minutes_and_never_without_a_time() {
        let given = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .map(|at| at.naive_utc())
            .unwrap_or_default();
        assert!(password_is_recent(Some(given), given));
        assert!(password_is_recent(
            Some(given),
            given + TimeDelta::minutes(9) + TimeDelta::seconds(59)
        ));
        assert!(!password_is_recent(
            Some(given),
            given + TimeDelta::minutes(10)
        ));
        assert!(password_is_recent(
            Some(given),
            given - TimeDelta::seconds(2)
        ));
        assert!(
            !password_is_recent(Some(given), given - TimeDelta::hours(1)),
            "a time far ahead of the clock is no time"
        );
        assert!(!password_is_recent(None, given));
    }

    #[test]
    fn a_cookie_token_names_its_row_and_carries_only_the_secret() {
        let token = cookie_token(SessionId::new(42), "secret");
        assert_eq!(token, "42.secret");
        assert_eq!(
            parse_cookie_token(&token),
            Some((SessionId::new(42), token_hash("secret")))
        );
        for forged in ["", "42", "42.", "x.secret", ".secret", "-"] {
            assert_eq!(parse_cookie_token(forged), None, "{forged:?}");
        }
    }

    #[test]
    fn repeated_device_names_are_numbered_oldest_first() {
        let kinds = vec![
            (SessionId::new(7), "Chrome on Linux".to_owned()),
            (SessionId::new(9), "Firefox on Windows".to_owned()),
            (SessionId::new(12), "Chrome on Linux".to_owned()),
        ];
        assert_eq!(
            distinct_names(&kinds),
            vec![
                (SessionId::new(7), "Chrome on Linux (1)".to_owned()),
                (SessionId::new(9), "Firefox on Windows".to_owned()),
                (SessionId::new(12), "Chrome on Linux (2)".to_owned()),
            ]
        );
    }
}
