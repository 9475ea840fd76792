//! One-time set-password links. Only a SHA-256 hash of each token is stored; the token
//! itself exists in the e-mail that carries it (and in the outbox until that is sent).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::password_tokens;
use super::{DbConn, on_backend};
use crate::domain::ids::UserId;

pub const WELCOME: &str = "welcome";
pub const RESET: &str = "reset";

#[derive(Debug, Insertable)]
#[diesel(table_name = password_tokens)]
pub struct NewToken<'a> {
    pub user_id: UserId,
    pub token_hash: &'a str,
    pub purpose: &'a str,
    pub expires_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = password_tokens)]
pub struct Token {
    pub id: i64,
    pub user_id: UserId,
    pub purpose: String,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

const INSERT_CHUNK: usize = 500;

pub fn insert_many(conn: &mut DbConn, tokens: &[NewToken<'_>]) -> QueryResult<usize> {
    let mut inserted = 0;
    for chunk in tokens.chunks(INSERT_CHUNK) {
        inserted += on_backend!(conn, |c| diesel::insert_into(password_tokens::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(inserted)
}

pub fn find_by_hash(conn: &mut DbConn, token_hash: &str) -> QueryResult<Option<Token>> {
    password_tokens::table
        .filter(password_tokens::token_hash.eq(token_hash))
        .select(Token::as_select())
        .first(conn)
        .optional()
}

/// Marks the token with this hash used, provided it is still open (unused, unexpired)
/// and still `user_id`'s; returns whether this call used it. Looked up by the hash, not
/// by an id read earlier, so a link voided in between is never mistaken for another.
pub fn use_once(
    conn: &mut DbConn,
    token_hash: &str,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let used = diesel::update(
        password_tokens::table
            .filter(password_tokens::token_hash.eq(token_hash))
            .filter(password_tokens::user_id.eq(user_id))
            .filter(password_tokens::used_at.is_null())
            .filter(password_tokens::expires_at.gt(now)),
    )
    .set(password_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok(used == 1)
}

/// Voids the unused links of `purpose` of `user_ids`: a new welcome or reset link
/// replaces the one sent before, which must stop working.
pub fn void_unused_of(conn: &mut DbConn, user_ids: &[UserId], purpose: &str) -> QueryResult<usize> {
    let mut voided = 0;
    for chunk in user_ids.chunks(INSERT_CHUNK) {
        voided += diesel::delete(
            password_tokens::table
                .filter(password_tokens::user_id.eq_any(chunk))
                .filter(password_tokens::purpose.eq(purpose))
                .filter(password_tokens::used_at.is_null()),
        )
        .execute(conn)?;
    }
    Ok(voided)
}

/// Voids the user's other links once one of them has set the password, or their
/// e-mail address changed.
pub fn delete_unused_of_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<usize> {
    diesel::delete(
        password_tokens::table
            .filter(password_tokens::user_id.eq(user_id))
            .filter(password_tokens::used_at.is_null()),
    )
    .execute(conn)
}

/// Deletes every one-time link (used or not) of the users of `ids`.
pub fn delete_of_users(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<usize> {
    let mut deleted = 0;
    for chunk in ids.chunks(500) {
        deleted +=
            diesel::delete(password_tokens::table.filter(password_tokens::user_id.eq_any(chunk)))
                .execute(conn)?;
    }
    Ok(deleted)
}
