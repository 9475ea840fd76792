//! API tokens as rows: the owner, a name unique per owner, the SHA-256 of the secret,
//! and when it expires and was last used. A token is live while its row exists and has
//! not expired; revoking it, or deleting, resetting or force-resetting its owner,
//! deletes the row (a deleted owner's rows go by foreign-key cascade).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::domains::Domain;
use super::schema::{api_tokens, domains, users};
use super::users::User;
use super::{DbConn, first_row, on_backend};
use crate::domain::ids::{ApiTokenId, UserId};

#[derive(Debug, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct NewApiToken<'a> {
    pub user_id: UserId,
    pub name: &'a str,
    pub token_hash: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// A token as its owner sees it (never the hash).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: ApiTokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub last_used_at: Option<NaiveDateTime>,
}

/// Inserts a token and returns it as stored (re-read by its owner and name, unique).
pub fn insert(conn: &mut DbConn, new: &NewApiToken<'_>) -> QueryResult<ApiToken> {
    diesel::insert_into(api_tokens::table)
        .values(new)
        .execute(conn)?;
    first_row(
        api_tokens::table
            .filter(api_tokens::user_id.eq(new.user_id))
            .filter(api_tokens::name.eq(new.name))
            .select(ApiToken::as_select()),
        conn,
    )?
    .ok_or(diesel::result::Error::NotFound)
}

/// Whether the user has a token called `name`.
pub fn name_taken(conn: &mut DbConn, user_id: UserId, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::name.eq(name)),
    ))
    .get_result(conn)
}

/// Token `id`, provided its hash is `token_hash` (expired or not), with its owner and
/// the owner's domain: one query of primary-key lookups.
pub fn find_with_user(
    conn: &mut DbConn,
    id: ApiTokenId,
    token_hash: &str,
) -> QueryResult<Option<(ApiToken, User, Domain)>> {
    on_backend!(conn, |c| first_row(
        api_tokens::table
            .inner_join(users::table.inner_join(domains::table))
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::token_hash.eq(token_hash))
            .select((
                ApiToken::as_select(),
                User::as_select(),
                Domain::as_select()
            )),
        c
    ))
}

/// The user's tokens, newest first, expired ones included (until they are purged).
pub fn of_user(conn: &mut DbConn, user_id: UserId) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::id.desc())
        .select(ApiToken::as_select())
        .load(conn)
}

/// Records that the token was used at `now`.
pub fn touch(conn: &mut DbConn, id: ApiTokenId, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(now))
        .execute(conn)
}

/// Revokes the user's token `id`; returns it when there was one to revoke.
pub fn delete_of_user(
    conn: &mut DbConn,
    user_id: UserId,
    id: ApiTokenId,
) -> QueryResult<Option<ApiToken>> {
    let found = first_row(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id))
            .select(ApiToken::as_select()),
        conn,
    )?;
    if found.is_some() {
        diesel::delete(api_tokens::table.find(id)).execute(conn)?;
    }
    Ok(found)
}

/// Revokes every token of `user_ids` (a reset or a forced reset of their owners).
pub fn delete_of_users(conn: &mut DbConn, user_ids: &[UserId]) -> QueryResult<usize> {
    let mut revoked = 0;
    for chunk in user_ids.chunks(500) {
        revoked += diesel::delete(api_tokens::table.filter(api_tokens::user_id.eq_any(chunk)))
            .execute(conn)?;
    }
    Ok(revoked)
}

/// Forgets tokens that expired before `now`.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(api_tokens::table.filter(api_tokens::expires_at.le(now))).execute(conn)
}
