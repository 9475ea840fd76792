//! Which job an `Idempotency-Key` started, per user, with a digest of the request that
//! started it. The key's row is written in the transaction that writes the job, and the
//! primary key (user, key) lets only one of two racing requests write it.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::api_idempotency;
use super::{DbConn, first_row};
use crate::domain::ids::{JobId, UserId};

#[derive(Debug, Insertable)]
#[diesel(table_name = api_idempotency)]
pub struct NewKey<'a> {
    pub user_id: UserId,
    pub key: &'a str,
    pub fingerprint: &'a str,
    pub job_id: JobId,
    pub created_at: NaiveDateTime,
}

/// A key already used: the digest of its request and the job it started.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_idempotency)]
pub struct UsedKey {
    pub fingerprint: String,
    pub job_id: JobId,
}

pub fn find(conn: &mut DbConn, user_id: UserId, key: &str) -> QueryResult<Option<UsedKey>> {
    first_row(
        api_idempotency::table
            .filter(api_idempotency::user_id.eq(user_id))
            .filter(api_idempotency::key.eq(key))
            .select(UsedKey::as_select()),
        conn,
    )
}

pub fn insert(conn: &mut DbConn, new: &NewKey<'_>) -> QueryResult<usize> {
    diesel::insert_into(api_idempotency::table)
        .values(new)
        .execute(conn)
}

/// Names the job a claimed key started.
pub fn set_job(conn: &mut DbConn, user_id: UserId, key: &str, job_id: JobId) -> QueryResult<usize> {
    diesel::update(
        api_idempotency::table
            .filter(api_idempotency::user_id.eq(user_id))
            .filter(api_idempotency::key.eq(key)),
    )
    .set(api_idempotency::job_id.eq(job_id))
    .execute(conn)
}

/// Forgets keys used before `cutoff`.
pub fn purge_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(api_idempotency::table.filter(api_idempotency::created_at.lt(cutoff)))
        .execute(conn)
}
