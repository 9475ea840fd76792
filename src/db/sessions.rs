//! Signed-in sessions as rows. The browser's cookie carries a random token; a row holds
//! only the token's SHA-256, the user, and what the user sees of it on their Sessions
//! page. A session is live while its row exists and has not expired: deleting the row
//! ends it on every instance at once (sign out, or the user's deletion, reset or forced
//! reset; a deleted user's rows go by foreign-key cascade).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::domains::Domain;
use super::schema::{domains, sessions, users};
use super::users::User;
use super::{DbConn, first_row, on_backend};
use crate::domain::ids::{SessionId, UserId};

#[derive(Debug, Insertable)]
#[diesel(table_name = sessions)]
pub struct NewSession<'a> {
    pub token_hash: &'a str,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: &'a str,
    pub address: &'a str,
    pub password_confirmed_at: Option<NaiveDateTime>,
}

/// A session as its user sees it (never the token's hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub user_agent: String,
    pub address: String,
    /// When the password was last given in this session (signing in counts); none for
    /// a session opened before this was kept.
    pub password_confirmed_at: Option<NaiveDateTime>,
}

/// Inserts a session and returns its id (re-read by its unique token hash).
pub fn insert(conn: &mut DbConn, new: &NewSession<'_>) -> QueryResult<SessionId> {
    diesel::insert_into(sessions::table)
        .values(new)
        .execute(conn)?;
    first_row(
        sessions::table
            .filter(sessions::token_hash.eq(new.token_hash))
            .select(sessions::id),
        conn,
    )?
    .ok_or(diesel::result::Error::NotFound)
}

/// Session `id`, provided its token hash is `token_hash` (expired or not), with its user
/// and the user's domain: one query of three primary-key lookups, run on the backend's
/// own connection so that its statement is found prepared without building its SQL.
pub fn find_with_user(
    conn: &mut DbConn,
    id: SessionId,
    token_hash: &str,
) -> QueryResult<Option<(Session, User, Domain)>> {
    on_backend!(conn, |c| first_row(
        sessions::table
            .inner_join(users::table.inner_join(domains::table))
            .filter(sessions::id.eq(id))
            .filter(sessions::token_hash.eq(token_hash))
            .select((Session::as_select(), User::as_select(), Domain::as_select())),
        c
    ))
}

/// Records that the session was used at `now`.
pub fn touch(conn: &mut DbConn, id: SessionId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(sessions::table.find(id))
        .set(sessions::last_seen_at.eq(now))
        .execute(conn)
}

/// Session `id` of `user_id`, read inside the caller's transaction and kept from being
/// ended until it commits (`FOR SHARE` on PostgreSQL; SQLite's write transaction holds
/// the database): what is made on the strength of a session cannot outlive its ending.
pub fn hold_of_user(
    conn: &mut DbConn,
    id: SessionId,
    user_id: UserId,
) -> QueryResult<Option<Session>> {
    let query = || {
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id))
    };
    match conn {
        DbConn::Postgres(pg) => query()
            .select(Session::as_select())
            .for_share()
            .first(pg)
            .optional(),
        DbConn::Sqlite(sqlite) => query()
            .select(Session::as_select())
            .first(sqlite)
            .optional(),
    }
}

/// Records that the password was given again in session `id` at `now`, provided the
/// session is still `user_id`'s; returns whether it was.
pub fn confirm_password(
    conn: &mut DbConn,
    id: SessionId,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let updated = diesel::update(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .set(sessions::password_confirmed_at.eq(now))
    .execute(conn)?;
    Ok(updated == 1)
}

/// The user's live sessions, most recently used first.
pub fn live_of_user(
    conn: &mut DbConn,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<Vec<Session>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .order((sessions::last_seen_at.desc(), sessions::id.desc()))
        .select(Session::as_select())
        .load(conn)
}

/// How many live sessions the user has.
pub fn count_live_of_user(
    conn: &mut DbConn,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::expires_at.gt(now))
        .count()
        .get_result(conn)
}

/// Ends one session of `user_id` (nothing when the id is another user's).
pub fn delete_of_user(conn: &mut DbConn, user_id: UserId, id: SessionId) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::user_id.eq(user_id)),
    )
    .execute(conn)
}

/// Ends session `id`, provided its token hash is `token_hash` (sign out).
pub fn delete_by_token(conn: &mut DbConn, id: SessionId, token_hash: &str) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::id.eq(id))
            .filter(sessions::token_hash.eq(token_hash)),
    )
    .execute(conn)
}

/// Ends every session of `user_ids` (a reset, a forced reset, a new password).
pub fn delete_of_users(conn: &mut DbConn, user_ids: &[UserId]) -> QueryResult<usize> {
    let mut ended = 0;
    for chunk in user_ids.chunks(500) {
        ended += diesel::delete(sessions::table.filter(sessions::user_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(ended)
}

/// Ends every session of the user but `keep` (a password change ends the others).
pub fn delete_others_of_user(
    conn: &mut DbConn,
    user_id: UserId,
    keep: SessionId,
) -> QueryResult<usize> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::id.ne(keep)),
    )
    .execute(conn)
}

/// Forgets sessions that expired before `now`.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(sessions::table.filter(sessions::expires_at.le(now))).execute(conn)
}
