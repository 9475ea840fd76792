//! The rows of two-step sign-in: a user's authenticator app, passkeys and recovery
//! codes, and the short-lived challenges of sign-ins and passkey ceremonies under way.
//! Each write that must happen once (a code's step, a recovery code, a challenge) is
//! one conditional statement, so of two requests at once only one succeeds. Callers
//! own the transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{authenticator_apps, passkeys, recovery_codes, sign_in_challenges};
use super::{DbConn, first_row};
use crate::domain::ids::{PasskeyId, UserId};

/// A user's authenticator app: on once `turned_on_at` is set, being set up before.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = authenticator_apps)]
pub struct App {
    pub user_id: UserId,
    pub secret_sealed: String,
    pub last_step: i64,
    pub turned_on_at: Option<NaiveDateTime>,
}

pub fn app_of(conn: &mut DbConn, user_id: UserId) -> QueryResult<Option<App>> {
    first_row(
        authenticator_apps::table
            .find(user_id)
            .select(App::as_select()),
        conn,
    )
}

/// Starts setting up an app with `secret_sealed`, replacing one being set up before;
/// returns false (and changes nothing) when the user's app is already on.
pub fn put_app_being_set_up(
    conn: &mut DbConn,
    user_id: UserId,
    secret_sealed: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    diesel::delete(
        authenticator_apps::table
            .find(user_id)
            .filter(authenticator_apps::turned_on_at.is_null()),
    )
    .execute(conn)?;
    if app_of(conn, user_id)?.is_some() {
        return Ok(false);
    }
    diesel::insert_into(authenticator_apps::table)
        .values((
            authenticator_apps::user_id.eq(user_id),
            authenticator_apps::secret_sealed.eq(secret_sealed),
            authenticator_apps::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Turns on the app being set up, its code for `step` used; false when there is none
/// being set up (turned on meanwhile, or never set up).
pub fn turn_on_app(
    conn: &mut DbConn,
    user_id: UserId,
    step: i64,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let turned_on = diesel::update(
        authenticator_apps::table
            .find(user_id)
            .filter(authenticator_apps::turned_on_at.is_null()),
    )
    .set((
        authenticator_apps::turned_on_at.eq(now),
        authenticator_apps::last_step.eq(step),
    ))
    .execute(conn)?;
    Ok(turned_on == 1)
}

/// Marks `step`'s code as used; false when the app is not on or a code of this or a
/// later step was used already (a replay).
pub fn use_app_step(conn: &mut DbConn, user_id: UserId, step: i64) -> QueryResult<bool> {
    let used = diesel::update(
        authenticator_apps::table
            .find(user_id)
            .filter(authenticator_apps::turned_on_at.is_not_null())
            .filter(authenticator_apps::last_step.lt(step)),
    )
    .set(authenticator_apps::last_step.eq(step))
    .execute(conn)?;
    Ok(used == 1)
}

/// A passkey as its owner's Security page lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct PasskeyRow {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

pub fn passkeys_of(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<PasskeyRow>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .order(passkeys::id)
        .select(PasskeyRow::as_select())
        .load(conn)
}

/// A passkey as stored: its owner and the relying-party library's record of it (JSON,
/// with its public key and sign counter).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = passkeys)]
pub struct StoredPasskey {
    pub id: PasskeyId,
    pub user_id: UserId,
    pub name: String,
    pub passkey: String,
}

/// A new passkey of a user.
pub struct NewPasskey<'a> {
    pub user_id: UserId,
    pub name: &'a str,
    /// The credential's id, hex: unique over every user.
    pub credential_id: &'a str,
    pub passkey: &'a str,
    pub created_at: NaiveDateTime,
}

pub fn insert_passkey(conn: &mut DbConn, new: &NewPasskey<'_>) -> QueryResult<()> {
    diesel::insert_into(passkeys::table)
        .values((
            passkeys::user_id.eq(new.user_id),
            passkeys::name.eq(new.name),
            passkeys::credential_id.eq(new.credential_id),
            passkeys::passkey.eq(new.passkey),
            passkeys::created_at.eq(new.created_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The passkey whose credential id (hex) is `credential_id`.
pub fn passkey_by_credential(
    conn: &mut DbConn,
    credential_id: &str,
) -> QueryResult<Option<StoredPasskey>> {
    first_row(
        passkeys::table
            .filter(passkeys::credential_id.eq(credential_id))
            .select(StoredPasskey::as_select()),
        conn,
    )
}

/// Every stored passkey of a user (for the credentials a new one must not repeat).
pub fn stored_passkeys_of(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<StoredPasskey>> {
    passkeys::table
        .filter(passkeys::user_id.eq(user_id))
        .select(StoredPasskey::as_select())
        .load(conn)
}

/// Notes a passkey's use: its record (a new sign counter) and when.
pub fn note_passkey_used(
    conn: &mut DbConn,
    id: PasskeyId,
    passkey: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(passkeys::table.find(id))
        .set((
            passkeys::passkey.eq(passkey),
            passkeys::last_used_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// Removes the user's passkey `id`; returns its name, or `None` when the user has no
/// such passkey.
pub fn remove_passkey(
    conn: &mut DbConn,
    user_id: UserId,
    id: PasskeyId,
) -> QueryResult<Option<String>> {
    let name: Option<String> = first_row(
        passkeys::table
            .find(id)
            .filter(passkeys::user_id.eq(user_id))
            .select(passkeys::name),
        conn,
    )?;
    if name.is_some() {
        diesel::delete(passkeys::table.find(id)).execute(conn)?;
    }
    Ok(name)
}

/// Whether the user has a passkey called `name` already.
pub fn passkey_name_taken(conn: &mut DbConn, user_id: UserId, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .filter(passkeys::name.eq(name)),
    ))
    .get_result(conn)
}

/// Replaces every recovery code of the user with `hashes`.
pub fn replace_recovery_codes(
    conn: &mut DbConn,
    user_id: UserId,
    hashes: &[String],
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
        .execute(conn)?;
    // One row a statement: ten rows, and diesel's multi-row INSERT does not build for
    // both backends at once.
    for hash in hashes {
        diesel::insert_into(recovery_codes::table)
            .values((
                recovery_codes::user_id.eq(user_id),
                recovery_codes::code_hash.eq(hash),
                recovery_codes::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Uses the user's unused recovery code whose hash is `hash`; false when there is none.
pub fn use_recovery_code(
    conn: &mut DbConn,
    user_id: UserId,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let used = diesel::update(
        recovery_codes::table
            .filter(recovery_codes::user_id.eq(user_id))
            .filter(recovery_codes::code_hash.eq(hash))
            .filter(recovery_codes::used_at.is_null()),
    )
    .set(recovery_codes::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// How many of the user's recovery codes are still unused.
pub fn recovery_codes_left(conn: &mut DbConn, user_id: UserId) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

/// Whether the user has a second factor: an app that is on, or a passkey (recovery
/// codes alone are none: they back up a factor).
pub fn has_factor(conn: &mut DbConn, user_id: UserId) -> QueryResult<bool> {
    let app_on = diesel::dsl::exists(
        authenticator_apps::table
            .find(user_id)
            .filter(authenticator_apps::turned_on_at.is_not_null()),
    );
    let passkey = diesel::dsl::exists(passkeys::table.filter(passkeys::user_id.eq(user_id)));
    diesel::select(app_on.or(passkey)).get_result(conn)
}

/// Removes every second factor and recovery code of `user_ids`, and their sign-ins
/// under way; returns how many factors (app and passkeys) went.
pub fn remove_all_of(conn: &mut DbConn, user_ids: &[UserId]) -> QueryResult<usize> {
    let apps = diesel::delete(
        authenticator_apps::table.filter(authenticator_apps::user_id.eq_any(user_ids)),
    )
    .execute(conn)?;
    let keys =
        diesel::delete(passkeys::table.filter(passkeys::user_id.eq_any(user_ids))).execute(conn)?;
    diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq_any(user_ids)))
        .execute(conn)?;
    diesel::delete(sign_in_challenges::table.filter(sign_in_challenges::user_id.eq_any(user_ids)))
        .execute(conn)?;
    Ok(apps + keys)
}

/// A challenge under way.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sign_in_challenges)]
pub struct Challenge {
    pub id: i64,
    pub user_id: Option<UserId>,
    pub kind: String,
    pub state: String,
    pub expires_at: NaiveDateTime,
}

/// A new challenge, named by `token_hash`.
pub struct NewChallenge<'a> {
    pub token_hash: &'a str,
    pub user_id: Option<UserId>,
    pub kind: &'a str,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

pub fn insert_challenge(conn: &mut DbConn, new: &NewChallenge<'_>) -> QueryResult<()> {
    diesel::delete(
        sign_in_challenges::table.filter(sign_in_challenges::expires_at.le(new.created_at)),
    )
    .execute(conn)?;
    diesel::insert_into(sign_in_challenges::table)
        .values((
            sign_in_challenges::token_hash.eq(new.token_hash),
            sign_in_challenges::user_id.eq(new.user_id),
            sign_in_challenges::kind.eq(new.kind),
            sign_in_challenges::state.eq(new.state),
            sign_in_challenges::created_at.eq(new.created_at),
            sign_in_challenges::expires_at.eq(new.expires_at),
        ))
        .execute(conn)?;
    Ok(())
}

/// The live challenge of `kind` that `token_hash` names.
pub fn live_challenge(
    conn: &mut DbConn,
    token_hash: &str,
    kind: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Challenge>> {
    first_row(
        sign_in_challenges::table
            .filter(sign_in_challenges::token_hash.eq(token_hash))
            .filter(sign_in_challenges::kind.eq(kind))
            .filter(sign_in_challenges::expires_at.gt(now))
            .select(Challenge::as_select()),
        conn,
    )
}

/// Uses up challenge `id`; false when another request used it first.
pub fn take_challenge(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    Ok(diesel::delete(sign_in_challenges::table.find(id)).execute(conn)? == 1)
}
