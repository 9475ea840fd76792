//! Two-step sign-in as its owner manages it on the Security page (setting up an
//! authenticator app and turning it on, new recovery codes, turning everything off), as
//! an office manager resets it for another user, and whether a user must have it.
//! Every change is audited in its own transaction.

use chrono::NaiveDateTime;

use super::sealing::{SealError, Sealer};
use super::{Acting, AuditActor};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains::Domain;
use crate::db::two_step::{self, PasskeyRow};
use crate::db::users::{self, User};
use crate::db::{DbConn, api_tokens, sessions, write_transaction};
use crate::domain::ids::UserId;
use crate::domain::one_time_codes::{AppSecret, RecoveryCode, TypedCode};
use crate::domain::{Extension, Refusal, Scope, TargetUser};

#[derive(Debug, thiserror::Error)]
pub enum TwoStepError {
    #[error("Your authenticator app is on already.")]
    AppAlreadyOn,
    #[error("Set up the authenticator app again: the code it showed has expired.")]
    NotSetUp,
    #[error("That code is not right. Enter the 6 digits the app shows now.")]
    WrongCode,
    #[error("Turn on an authenticator app or a passkey first.")]
    NoFactor,
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What the Security page shows of a user's two-step sign-in.
#[derive(Debug)]
pub struct SecurityStatus {
    pub app_on: bool,
    /// The secret of an app being set up (between **Set up authenticator app** and
    /// **Turn on**), when it can be read.
    pub app_being_set_up: Option<AppSecret>,
    pub passkeys: Vec<PasskeyRow>,
    pub recovery_codes_left: i64,
}

impl SecurityStatus {
    pub fn is_on(&self) -> bool {
        self.app_on || !self.passkeys.is_empty()
    }
}

/// Whether the user has two-step sign-in on (an app or a passkey; never which).
pub fn is_on(conn: &mut DbConn, user_id: UserId) -> diesel::QueryResult<bool> {
    two_step::has_factor(conn, user_id)
}

/// What a sealed app secret is bound to.
pub fn secret_owner(user_id: UserId) -> String {
    format!("authenticator app of user {user_id}")
}

pub fn status(
    conn: &mut DbConn,
    sealer: &Sealer,
    user_id: UserId,
) -> diesel::QueryResult<SecurityStatus> {
    let app = two_step::app_of(conn, user_id)?;
    let app_on = app.as_ref().is_some_and(|app| app.turned_on_at.is_some());
    let app_being_set_up = app
        .filter(|app| app.turned_on_at.is_none())
        .and_then(|app| sealer.open(&app.secret_sealed, &secret_owner(user_id)))
        .and_then(AppSecret::from_bytes);
    Ok(SecurityStatus {
        app_on,
        app_being_set_up,
        passkeys: two_step::passkeys_of(conn, user_id)?,
        recovery_codes_left: two_step::recovery_codes_left(conn, user_id)?,
    })
}

/// **Set up authenticator app**: a new secret, kept sealed until **Turn on** (replacing
/// one set up before and never turned on).
pub fn set_up_app(
    conn: &mut DbConn,
    sealer: &Sealer,
    user_id: UserId,
    now: NaiveDateTime,
) -> Result<AppSecret, TwoStepError> {
    let secret = AppSecret::generate().map_err(SealError::from)?;
    let sealed = sealer.seal(secret.as_bytes(), &secret_owner(user_id))?;
    write_transaction(conn, |conn| {
        if two_step::put_app_being_set_up(conn, user_id, &sealed, now)? {
            Ok(secret)
        } else {
            Err(TwoStepError::AppAlreadyOn)
        }
    })
}

/// **Turn on**: the app being set up is on once `typed` is its current code. With the
/// user's first factor come ten recovery codes, returned to be shown once.
pub fn turn_on_app(
    conn: &mut DbConn,
    sealer: &Sealer,
    user: &User,
    typed: &str,
    now: NaiveDateTime,
) -> Result<Option<Vec<RecoveryCode>>, TwoStepError> {
    let codes = RecoveryCode::generate_set().map_err(SealError::from)?;
    write_transaction(conn, |conn| {
        let app = two_step::app_of(conn, user.id)?.ok_or(TwoStepError::NotSetUp)?;
        if app.turned_on_at.is_some() {
            return Err(TwoStepError::AppAlreadyOn);
        }
        let secret = sealer
            .open(&app.secret_sealed, &secret_owner(user.id))
            .and_then(AppSecret::from_bytes)
            .ok_or(TwoStepError::NotSetUp)?;
        let Some(TypedCode::App(code)) = TypedCode::parse(typed) else {
            return Err(TwoStepError::WrongCode);
        };
        let step = secret
            .matching_step(&code, unix_seconds(now), 0)
            .ok_or(TwoStepError::WrongCode)?;
        if !two_step::turn_on_app(conn, user.id, step, now)? {
            return Err(TwoStepError::NotSetUp);
        }
        record_own(conn, user, audit::TWO_STEP_ADD, "Authenticator app")?;
        Ok(keep_if_first(conn, user.id, codes, now)?)
    })
}

/// With a user's first factor (no recovery codes yet), keeps `codes` as theirs and
/// returns them to be shown once.
pub(super) fn keep_if_first(
    conn: &mut DbConn,
    user_id: UserId,
    codes: Vec<RecoveryCode>,
    now: NaiveDateTime,
) -> diesel::QueryResult<Option<Vec<RecoveryCode>>> {
    if two_step::recovery_codes_left(conn, user_id)? > 0 {
        return Ok(None);
    }
    let hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
    two_step::replace_recovery_codes(conn, user_id, &hashes, now)?;
    Ok(Some(codes))
}

/// **New recovery codes**: ten new codes replace every old one, used or not.
pub fn new_recovery_codes(
    conn: &mut DbConn,
    user: &User,
    now: NaiveDateTime,
) -> Result<Vec<RecoveryCode>, TwoStepError> {
    let codes = RecoveryCode::generate_set().map_err(SealError::from)?;
    write_transaction(conn, |conn| {
        if !two_step::has_factor(conn, user.id)? {
            return Err(TwoStepError::NoFactor);
        }
        let hashes: Vec<String> = codes.iter().map(RecoveryCode::hash).collect();
        two_step::replace_recovery_codes(conn, user.id, &hashes, now)?;
        record_own(
            conn,
            user,
            audit::RECOVERY_CODES_NEW,
            "Ten new recovery codes",
        )?;
        Ok(codes)
    })
}

/// **Turn off two-step sign-in**: the app, every passkey and every recovery code go.
pub fn turn_off(conn: &mut DbConn, user: &User) -> Result<(), TwoStepError> {
    write_transaction(conn, |conn| {
        let removed = two_step::remove_all_of(conn, &[user.id])?;
        if removed == 0 {
            return Err(TwoStepError::NoFactor);
        }
        record_own(
            conn,
            user,
            audit::TWO_STEP_REMOVE,
            "Two-step sign-in turned off: every factor and recovery code removed",
        )
    })
}

/// Records a change a user made to their own two-step sign-in.
pub(super) fn record_own(
    conn: &mut DbConn,
    user: &User,
    action: &str,
    details: &str,
) -> Result<(), TwoStepError> {
    let login = format!("{}@{}", user.extension, user_domain_name(conn, user)?);
    audit::record(
        conn,
        &NewAuditEvent {
            domain_id: Some(user.domain_id),
            actor_id: Some(user.id),
            actor_login: &login,
            action,
            target_user_id: Some(user.id),
            target: &user.extension,
            details,
        },
    )?;
    Ok(())
}

fn user_domain_name(conn: &mut DbConn, user: &User) -> diesel::QueryResult<String> {
    crate::db::domains::find(conn, user.domain_id)?
        .map(|domain| domain.name)
        .ok_or(diesel::result::Error::NotFound)
}

/// Seconds since 1970 of a stored (UTC) time; 0 for a time before then.
pub fn unix_seconds(at: NaiveDateTime) -> u64 {
    u64::try_from(at.and_utc().timestamp()).unwrap_or(0)
}

#[derive(Debug, thiserror::Error)]
pub enum ResetTwoStepError {
    #[error("There is no user with extension {0} in this domain.")]
    NotFound(String),
    #[error("{0}")]
    Refused(Refusal),
    #[error("{0} has no two-step sign-in to reset.")]
    NothingToReset(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for ResetTwoStepError {
    fn from(refusal: Refusal) -> Self {
        ResetTwoStepError::Refused(refusal)
    }
}

/// **Reset two-step sign-in** of another user (rights as for a reset): every factor
/// and recovery code goes, and with them the user's sessions and API tokens.
pub fn reset_for(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
) -> Result<User, ResetTwoStepError> {
    acting.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let user = users::find_by_extension(conn, domain.id, extension.as_str())?
            .ok_or_else(|| ResetTwoStepError::NotFound(extension.to_string()))?;
        if acting.user_id() == Some(user.id) {
            return Err(Refusal::OwnUser.into());
        }
        acting.may_act_on(TargetUser {
            id: user.id,
            scope: user.scope,
            domain: domain.as_ref(),
        })?;
        let factors = two_step::remove_all_of(conn, &[user.id])?;
        if factors == 0 {
            return Err(ResetTwoStepError::NothingToReset(user.extension.clone()));
        }
        let ended = sessions::delete_of_users(conn, &[user.id])?;
        let revoked = api_tokens::delete_of_users(conn, &[user.id])?;
        let AuditActor { user_id, login } = &acting.audit;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: *user_id,
                actor_login: login,
                action: audit::TWO_STEP_RESET,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &format!(
                    "removed {factors} second factors, ended {ended} sessions and revoked \
                     {revoked} API tokens"
                ),
            },
        )?;
        Ok(user)
    })
}

/// Whether `user` is under their domain's **Require two-step sign-in**: the domain's
/// own users of Office Manager scope and above.
pub fn is_required_for(user: &User, own_domain: &Domain) -> bool {
    own_domain.require_two_step
        && user.domain_id == own_domain.id
        && user.scope >= Scope::OfficeManager
}

/// Whether `user` is kept on the Security page: required to have a second factor and
/// without one.
pub fn is_held_at_security(
    conn: &mut DbConn,
    user: &User,
    own_domain: &Domain,
) -> diesel::QueryResult<bool> {
    Ok(is_required_for(user, own_domain) && !two_step::has_factor(conn, user.id)?)
}
