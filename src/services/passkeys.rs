//! Passkeys (WebAuthn, through `webauthn-rs`): adding one on the Security page, signing
//! in with one (no login or password needed: the passkey names its user), using one as
//! the second step after a password, and removing one. User verification is required
//! and the sign counter checked by the library. A ceremony's state waits in a challenge
//! row (alive five minutes, used once) named by a token the browser holds.
//! The relying party is `PUBLIC_URL`'s host; WebAuthn refuses IP addresses, so a portal
//! reached by a loopback address is its `localhost`, and one reached by any other
//! address has no passkeys.

use chrono::{NaiveDateTime, TimeDelta};
use webauthn_rs::prelude::{
    DiscoverableAuthentication, DiscoverableKey, Passkey, PasskeyRegistration, PublicKeyCredential,
    RegisterPublicKeyCredential, Url, Uuid, Webauthn, WebauthnBuilder,
};

use super::mail::{new_token, token_hash};
use super::sealing::SealError;
use super::sessions::{self, Client, SessionError};
use super::two_step::{self as factors, TwoStepError};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::two_step::{self, NewChallenge, NewPasskey};
use crate::db::users::{self, User};
use crate::db::{DbConn, domains, write_transaction};
use crate::domain::ids::{PasskeyId, UserId};
use crate::domain::one_time_codes::RecoveryCode;
use crate::domain::{Invalid, ShortText};

const REGISTER: &str = "passkey_register";
const SIGN_IN: &str = "passkey_sign_in";
/// How long a ceremony waits for the authenticator.
const LIFETIME: TimeDelta = TimeDelta::minutes(5);
/// Marks the portal's user handles (the first half of each handle's 128 bits).
const HANDLE_MARK: u64 = u64::from_be_bytes(*b"pbxportl");

/// The portal as a WebAuthn relying party.
pub struct RelyingParty {
    webauthn: Webauthn,
}

impl std::fmt::Debug for RelyingParty {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RelyingParty")
    }
}

impl RelyingParty {
    /// The relying party of a portal reached at `base_url`; `None` when that is an IP
    /// address other than loopback (a passkey needs a host name).
    pub fn for_address(base_url: &str) -> Option<Self> {
        let mut origin = Url::parse(base_url).ok()?;
        let loopback = match origin.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(_)) => false,
            None => return None,
        };
        if loopback {
            origin.set_host(Some("localhost")).ok()?;
        }
        let Some(url::Host::Domain(host)) = origin.host().map(|host| host.to_owned()) else {
            return None;
        };
        let webauthn = WebauthnBuilder::new(&host, &origin)
            .ok()?
            .rp_name("PBX portal")
            .build()
            .ok()?;
        Some(Self { webauthn })
    }
}

/// The address a portal reached at `base_url` is reached at for passkeys: a loopback
/// address is `localhost`.
pub fn passkey_address(base_url: &str) -> String {
    for loopback in ["://127.0.0.1", "://[::1]"] {
        if let Some(at) = base_url.find(loopback) {
            let rest = &base_url[at + loopback.len()..];
            return format!("{}://localhost{rest}", &base_url[..at]);
        }
    }
    base_url.to_owned()
}

/// How a credential id is stored and looked up: hex.
fn credential_key(id: &[u8]) -> String {
    id.iter().map(|byte| format!("{byte:02x}")).collect()
}

fn user_handle(user_id: UserId) -> Uuid {
    Uuid::from_u64_pair(HANDLE_MARK, u64::try_from(user_id.get()).unwrap_or(0))
}

fn user_of_handle(handle: Uuid) -> Option<UserId> {
    let (mark, id) = handle.as_u64_pair();
    (mark == HANDLE_MARK).then(|| UserId::new(i64::try_from(id).unwrap_or(0)))
}

#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    #[error("{0}")]
    Name(Invalid),
    #[error("You have a passkey called {0} already: choose another name.")]
    NameTaken(String),
    #[error("Passkeys need the portal to be reached by a host name, not an IP address.")]
    Unavailable,
    #[error("This passkey step has expired or was used. Try again.")]
    Expired,
    #[error("The browser's answer could not be read. Try again.")]
    Unreadable,
    #[error("That passkey is not one this portal knows, or it could not be verified.")]
    Refused,
    #[error("There is no such passkey.")]
    NoSuchPasskey,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Session(#[from] SessionError),
    #[error("{0}")]
    Internal(String),
}

impl From<TwoStepError> for PasskeyError {
    fn from(err: TwoStepError) -> Self {
        match err {
            TwoStepError::Database(err) => PasskeyError::Database(err),
            other => PasskeyError::Internal(other.to_string()),
        }
    }
}

/// A passkey's name as typed: trimmed, 1 to 64 characters, no control characters.
pub fn parse_name(text: &str) -> Result<String, PasskeyError> {
    let name = ShortText::parse(text).map_err(PasskeyError::Name)?;
    if name.as_str().is_empty() {
        return Err(PasskeyError::Name(Invalid::new(
            "Name the passkey, such as \"Work laptop\".",
        )));
    }
    Ok(name.as_str().to_owned())
}

fn open_challenge(
    conn: &mut DbConn,
    kind: &str,
    user_id: Option<UserId>,
    state: &str,
    now: NaiveDateTime,
) -> Result<String, PasskeyError> {
    let (token, hash) = new_token().map_err(SessionError::from)?;
    two_step::insert_challenge(
        conn,
        &NewChallenge {
            token_hash: &hash,
            user_id,
            kind,
            state,
            created_at: now,
            expires_at: now + LIFETIME,
        },
    )?;
    Ok(token)
}

/// The state of the live challenge of `kind` that `token` names, used up now (only for
/// `user_id` when one is given).
fn take_challenge(
    conn: &mut DbConn,
    kind: &str,
    token: &str,
    user_id: Option<UserId>,
    now: NaiveDateTime,
) -> Result<String, PasskeyError> {
    let challenge = two_step::live_challenge(conn, &token_hash(token), kind, now)?
        .filter(|challenge| user_id.is_none() || challenge.user_id == user_id)
        .ok_or(PasskeyError::Expired)?;
    if !two_step::take_challenge(conn, challenge.id)? {
        return Err(PasskeyError::Expired);
    }
    Ok(challenge.state)
}

/// A ceremony begun: the token for the browser to send back, and the options (JSON)
/// for `navigator.credentials`.
pub struct Begun {
    pub token: String,
    pub options: String,
}

/// As JSON, for the browser or the challenge row.
fn json(value: &impl serde::Serialize) -> Result<String, PasskeyError> {
    serde_json::to_string(value).map_err(|err| PasskeyError::Internal(err.to_string()))
}

/// Opens a ceremony of `kind` (for `user_id`, if known) whose library state is `state`:
/// the token and the browser's `options`.
fn begin(
    conn: &mut DbConn,
    (kind, user_id): (&str, Option<UserId>),
    (options, state): (&impl serde::Serialize, &impl serde::Serialize),
    now: NaiveDateTime,
) -> Result<Begun, PasskeyError> {
    let (options, state) = (json(options)?, json(state)?);
    let token = write_transaction(conn, |conn| {
        open_challenge(conn, kind, user_id, &state, now)
    })?;
    Ok(Begun { token, options })
}

/// **Add passkey**: the options for the browser to create a passkey named `name`.
pub fn begin_adding(
    conn: &mut DbConn,
    rp: Option<&RelyingParty>,
    user: &User,
    (login, name): (&str, &str),
    now: NaiveDateTime,
) -> Result<Begun, PasskeyError> {
    let rp = rp.ok_or(PasskeyError::Unavailable)?;
    if two_step::passkey_name_taken(conn, user.id, name)? {
        return Err(PasskeyError::NameTaken(name.to_owned()));
    }
    let existing = two_step::stored_passkeys_of(conn, user.id)?
        .iter()
        .filter_map(|stored| serde_json::from_str::<Passkey>(&stored.passkey).ok())
        .map(|passkey| passkey.cred_id().clone())
        .collect();
    let (options, state) = rp
        .webauthn
        .start_passkey_registration(user_handle(user.id), login, login, Some(existing))
        .map_err(|err| PasskeyError::Internal(err.to_string()))?;
    begin(conn, (REGISTER, Some(user.id)), (&options, &state), now)
}

/// Keeps the passkey the browser created (`credential`, JSON) under `name`; with the
/// user's first factor come ten recovery codes, returned to be shown once.
pub fn finish_adding(
    conn: &mut DbConn,
    rp: Option<&RelyingParty>,
    user: &User,
    (token, name, credential): (&str, &str, &str),
    now: NaiveDateTime,
) -> Result<Option<Vec<RecoveryCode>>, PasskeyError> {
    let rp = rp.ok_or(PasskeyError::Unavailable)?;
    let credential: RegisterPublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| PasskeyError::Unreadable)?;
    let codes = RecoveryCode::generate_set()
        .map_err(|err| PasskeyError::Internal(SealError::from(err).to_string()))?;
    // Used up first, in a transaction of its own: a failed try burns the ceremony too.
    let state = write_transaction(conn, |conn| {
        take_challenge(conn, REGISTER, token, Some(user.id), now)
    })?;
    let state: PasskeyRegistration =
        serde_json::from_str(&state).map_err(|_| PasskeyError::Expired)?;
    let passkey = rp
        .webauthn
        .finish_passkey_registration(&credential, &state)
        .map_err(|_| PasskeyError::Refused)?;
    write_transaction(conn, |conn| {
        if two_step::passkey_name_taken(conn, user.id, name)? {
            return Err(PasskeyError::NameTaken(name.to_owned()));
        }
        let credential_id = credential_key(passkey.cred_id().as_ref());
        if two_step::passkey_by_credential(conn, &credential_id)?.is_some() {
            return Err(PasskeyError::Refused);
        }
        let record = json(&passkey)?;
        two_step::insert_passkey(
            conn,
            &NewPasskey {
                user_id: user.id,
                name,
                credential_id: &credential_id,
                passkey: &record,
                created_at: now,
            },
        )?;
        factors::record_own(conn, user, audit::TWO_STEP_ADD, &format!("Passkey {name}"))?;
        Ok(factors::keep_if_first(conn, user.id, codes, now)?)
    })
}

/// **Sign in with a passkey** (and **Use a passkey**): the options for the browser to
/// ask any passkey of this portal.
pub fn begin_sign_in(
    conn: &mut DbConn,
    rp: Option<&RelyingParty>,
    now: NaiveDateTime,
) -> Result<Begun, PasskeyError> {
    let rp = rp.ok_or(PasskeyError::Unavailable)?;
    let (options, state) = rp
        .webauthn
        .start_discoverable_authentication()
        .map_err(|err| PasskeyError::Internal(err.to_string()))?;
    begin(conn, (SIGN_IN, None), (&options, &state), now)
}

/// Verifies the passkey the browser used (`credential`, JSON) and opens a session for
/// its user. After a password, `second_step` names the step's token: the passkey must
/// then be that user's, and the step is used up with it.
pub fn finish_sign_in(
    conn: &mut DbConn,
    rp: Option<&RelyingParty>,
    (token, credential): (&str, &str),
    second_step: Option<&str>,
    client: &Client,
    now: NaiveDateTime,
) -> Result<(User, String), PasskeyError> {
    let rp = rp.ok_or(PasskeyError::Unavailable)?;
    let credential: PublicKeyCredential =
        serde_json::from_str(credential).map_err(|_| PasskeyError::Unreadable)?;
    let (handle, credential_id) = rp
        .webauthn
        .identify_discoverable_authentication(&credential)
        .map_err(|_| PasskeyError::Refused)?;
    let owner = user_of_handle(handle).ok_or(PasskeyError::Refused)?;
    let credential_id = credential_key(credential_id);
    // Used up first, in a transaction of its own: a failed try burns the ceremony too.
    let state = write_transaction(conn, |conn| take_challenge(conn, SIGN_IN, token, None, now))?;
    let state: DiscoverableAuthentication =
        serde_json::from_str(&state).map_err(|_| PasskeyError::Expired)?;
    write_transaction(conn, |conn| {
        let stored = two_step::passkey_by_credential(conn, &credential_id)?
            .filter(|stored| stored.user_id == owner)
            .ok_or(PasskeyError::Refused)?;
        let mut passkey: Passkey =
            serde_json::from_str(&stored.passkey).map_err(|_| PasskeyError::Refused)?;
        let result = rp
            .webauthn
            .finish_discoverable_authentication(
                &credential,
                state,
                &[DiscoverableKey::from(&passkey)],
            )
            .map_err(|_| PasskeyError::Refused)?;
        let user = users::find(conn, owner)?
            .filter(|user| {
                user.password_hash.is_some()
                    && !user.is_system
                    && user.scope > crate::domain::Scope::NoPortal
            })
            .ok_or(PasskeyError::Refused)?;
        if let Some(step) = second_step {
            let waiting =
                two_step::live_challenge(conn, &token_hash(step), super::second_step::KIND, now)?
                    .filter(|challenge| challenge.user_id == Some(user.id))
                    .ok_or(PasskeyError::Refused)?;
            two_step::take_challenge(conn, waiting.id)?;
        }
        passkey.update_credential(&result);
        let record = json(&passkey)?;
        two_step::note_passkey_used(conn, stored.id, &record, now)?;
        let session = sessions::open(conn, user.id, client, now)?;
        let domain = domains::find(conn, user.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(user.domain_id),
                actor_id: Some(user.id),
                actor_login: &format!("{}@{}", user.extension, domain.name),
                action: audit::TWO_STEP_USE,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &format!("Passkey {}", stored.name),
            },
        )?;
        Ok((user, session))
    })
}

/// **Remove {name}**: one of the user's own passkeys.
pub fn remove(conn: &mut DbConn, user: &User, id: PasskeyId) -> Result<String, PasskeyError> {
    write_transaction(conn, |conn| {
        let name =
            two_step::remove_passkey(conn, user.id, id)?.ok_or(PasskeyError::NoSuchPasskey)?;
        factors::record_own(
            conn,
            user,
            audit::TWO_STEP_REMOVE,
            &format!("Passkey {name}"),
        )?;
        Ok(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_loopback_portal_is_its_localhost_and_an_ip_has_no_passkeys() {
        assert!(RelyingParty::for_address("http://127.0.0.1:8080").is_some());
        assert!(RelyingParty::for_address("http://localhost:8080").is_some());
        assert!(RelyingParty::for_address("https://portal.example").is_some());
        assert!(RelyingParty::for_address("http://10.0.0.5:8080").is_none());
        assert!(RelyingParty::for_address("not a url").is_none());
        assert_eq!(
            passkey_address("http://127.0.0.1:8080"),
            "http://localhost:8080"
        );
        assert_eq!(
            passkey_address("http://[::1]:8080"),
            "http://localhost:8080"
        );
        assert_eq!(
            passkey_address("https://portal.example"),
            "https://portal.example"
        );
    }

    #[test]
    fn a_user_handle_names_its_user_and_nothing_else() {
        let id = UserId::new(4242);
        assert_eq!(user_of_handle(user_handle(id)), Some(id));
        assert_eq!(user_of_handle(Uuid::from_u64_pair(7, 4242)), None);
    }

    #[test]
    fn names_are_required_and_short() {
        assert_eq!(
            parse_name("  Work laptop ").ok().as_deref(),
            Some("Work laptop")
        );
        assert!(parse_name("   ").is_err());
        assert!(parse_name(&"x".repeat(65)).is_err());
    }
}
