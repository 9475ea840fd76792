//! The set-password link (`/password/{token}`): what a token opens, and choosing the
//! portal password (and voicemail PIN) through it, once. Whoever holds an open link may
//! use it; it is the only credential this page asks for.

use chrono::{NaiveDateTime, Utc};

use super::AuditActor;
use super::credentials::{HashError, hash_secret};
use super::mail::token_hash;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::users::{self, User};
use crate::db::{DbConn, api_tokens, domains, sessions, tokens, write_transaction};
use crate::domain::{Extension, NewPassword, Pin};

/// Longest token looked up; anything longer is not one of ours.
const MAX_TOKEN_CHARS: usize = 100;

/// What a token opens.
#[derive(Debug)]
pub enum LinkState {
    Open(Box<OpenLink>),
    Used,
    Expired,
    Unknown,
}

#[derive(Debug)]
pub struct OpenLink {
    pub user: User,
    pub login: String,
    pub expires_at: NaiveDateTime,
}

impl OpenLink {
    /// Whether the form must ask for a PIN: a user without one has to choose it.
    pub fn pin_required(&self) -> bool {
        self.user.pin_hash.is_none()
    }
}

pub fn inspect(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<LinkState> {
    if token.is_empty() || token.len() > MAX_TOKEN_CHARS {
        return Ok(LinkState::Unknown);
    }
    let Some(stored) = tokens::find_by_hash(conn, &token_hash(token))? else {
        return Ok(LinkState::Unknown);
    };
    if stored.used_at.is_some() {
        return Ok(LinkState::Used);
    }
    if stored.expires_at <= now {
        return Ok(LinkState::Expired);
    }
    let Some(user) = users::find(conn, stored.user_id)? else {
        return Ok(LinkState::Unknown);
    };
    let Some(domain) = domains::find(conn, user.domain_id)? else {
        return Ok(LinkState::Unknown);
    };
    Ok(LinkState::Open(Box::new(OpenLink {
        login: format!("{}@{}", user.extension, domain.name),
        user,
        expires_at: stored.expires_at,
    })))
}

/// What the form sent.
pub struct ChosenSecrets {
    pub new_password: String,
    pub confirm_password: String,
    pub pin: String,
}

/// Messages per field, for the form to show next to each.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct FieldErrors {
    pub new_password: Option<String>,
    pub confirm_password: Option<String>,
    pub pin: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum RedeemError {
    #[error("some fields need another look")]
    Invalid(FieldErrors),
    #[error("the link cannot be used")]
    Closed(LinkState),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// Checks the chosen secrets against the user's rules, field by field.
fn validate(
    link: &OpenLink,
    chosen: &ChosenSecrets,
) -> Result<(NewPassword, Option<Pin>), FieldErrors> {
    let mut errors = FieldErrors::default();
    // A stored extension always parses; should it not, every secret is refused.
    let extension = Extension::parse(&link.user.extension).map_err(|invalid| FieldErrors {
        new_password: Some(invalid.to_string()),
        ..FieldErrors::default()
    })?;
    let password = NewPassword::parse(&chosen.new_password, &extension)
        .map_err(|invalid| errors.new_password = Some(invalid.to_string()))
        .ok();
    if password.is_some() && chosen.new_password != chosen.confirm_password {
        errors.confirm_password = Some("The two passwords do not match.".to_owned());
    }
    let pin = if chosen.pin.trim().is_empty() {
        if link.pin_required() {
            errors.pin = Some("Choose a voicemail PIN: 4 to 10 digits.".to_owned());
        }
        None
    } else {
        Pin::parse(&chosen.pin, &extension)
            .map_err(|invalid| errors.pin = Some(invalid.to_string()))
            .ok()
    };
    match password {
        Some(password) if errors == FieldErrors::default() => Ok((password, pin)),
        _ => Err(errors),
    }
}

/// Sets the password (and PIN) through the link and uses the link up. The user's other
/// links are voided, any pending forced change is cleared, and every session and API
/// token of the user ends (whoever lost control of the account loses it everywhere). Returns the login the user signs in with.
pub fn redeem(
    conn: &mut DbConn,
    token: &str,
    chosen: &ChosenSecrets,
) -> Result<String, RedeemError> {
    let now = Utc::now().naive_utc();
    let link = match inspect(conn, token, now)? {
        LinkState::Open(link) => link,
        closed => return Err(RedeemError::Closed(closed)),
    };
    let (password, pin) = validate(&link, chosen).map_err(RedeemError::Invalid)?;
    let password_hash = hash_secret(password.expose())?;
    let pin_hash = pin.map(|pin| hash_secret(pin.expose())).transpose()?;
    let actor = AuditActor {
        user_id: Some(link.user.id),
        login: link.login.clone(),
    };
    write_transaction(conn, |conn| {
        if !tokens::use_once(conn, &token_hash(token), link.user.id, now)? {
            return Ok(Err(LinkState::Used));
        }
        users::set_credentials(conn, link.user.id, &password_hash, pin_hash.as_deref(), now)?;
        tokens::delete_unused_of_user(conn, link.user.id)?;
        let ended = sessions::delete_of_users(conn, &[link.user.id])?;
        let revoked = api_tokens::delete_of_users(conn, &[link.user.id])?;
        let chose = if pin_hash.is_some() {
            "chose a portal password and voicemail PIN through a one-time link"
        } else {
            "chose a portal password through a one-time link"
        };
        let details = format!("{chose}; ended {ended} sessions and revoked {revoked} API tokens");
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(link.user.domain_id),
                actor_id: actor.user_id,
                actor_login: &actor.login,
                action: audit::PASSWORD_SET,
                target_user_id: Some(link.user.id),
                target: &link.user.extension,
                details: &details,
            },
        )?;
        Ok::<_, diesel::result::Error>(Ok(()))
    })?
    .map_err(RedeemError::Closed)?;
    Ok(link.login)
}
