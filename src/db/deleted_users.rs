//! Deleted users, kept for the retention period (`deleted_users`): written by every
//! delete just before the live rows go, listed on the Deleted users page, taken back by
//! Restore, and purged once older than the retention period.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::kept::{self, Keep, Kept, KeptUser};
use super::schema::deleted_users;
use super::users::UserRef;
use super::{DbConn, on_backend};
use crate::domain::Scope;
use crate::domain::ids::{DomainId, UserId};
use crate::domain::routing::MovedReference;

/// A deleted user as the Deleted users page and Restore see it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = deleted_users)]
pub struct DeletedUser {
    pub seq: i64,
    pub user_id: UserId,
    pub domain_id: DomainId,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    #[diesel(deserialize_as = i32)]
    pub scope: Scope,
    pub deleted_at: NaiveDateTime,
    pub deleted_by: String,
}

impl DeletedUser {
    /// The deleted user in the shape a bulk job's items and rights checks take.
    pub fn as_ref_user(&self) -> UserRef {
        UserRef {
            id: self.user_id,
            domain_id: self.domain_id,
            extension: self.extension.clone(),
            first_name: self.first_name.clone(),
            last_name: self.last_name.clone(),
            email: self.email.clone(),
            scope: self.scope,
        }
    }
}

/// What is kept of a deleted user: the row and everything attached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptDeletion {
    pub user: KeptUser,
    pub attached: Kept,
    /// The references to the user the delete moved or removed (none before call routing).
    #[serde(default)]
    pub routing: Vec<MovedReference>,
}

#[derive(Insertable)]
#[diesel(table_name = deleted_users)]
struct NewDeletedUser<'a> {
    user_id: UserId,
    domain_id: DomainId,
    extension: &'a str,
    first_name: &'a str,
    last_name: &'a str,
    email: Option<&'a str>,
    scope: Scope,
    deleted_at: NaiveDateTime,
    deleted_by: &'a str,
    kept: String,
}

/// Rows per multi-row INSERT.
const INSERT_CHUNK: usize = 200;
/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 2000;

fn to_json<T: Serialize>(value: &T) -> QueryResult<String> {
    serde_json::to_string(value)
        .map_err(|err| diesel::result::Error::SerializationError(err.into()))
}

fn from_json<'a, T: Deserialize<'a>>(text: &'a str) -> QueryResult<T> {
    serde_json::from_str(text)
        .map_err(|err| diesel::result::Error::DeserializationError(err.into()))
}

/// Keeps the users `ids` and everything attached to them, as they are now, deleted by
/// `by` at `now`, with what the delete did to the references to them (`moved`). Called
/// in the deleting transaction, before the live rows go.
pub fn keep(
    conn: &mut DbConn,
    ids: &[UserId],
    mut moved: HashMap<UserId, Vec<MovedReference>>,
    by: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let rows = kept::users_of(conn, ids)?;
    let mut attached = kept::attached_to(conn, ids, Keep::Everything)?;
    let mut written = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        let mut new_rows = Vec::with_capacity(chunk.len());
        for user in chunk {
            let deletion = KeptDeletion {
                user: user.clone(),
                attached: attached.remove(&user.id).unwrap_or_default(),
                routing: moved.remove(&user.id).unwrap_or_default(),
            };
            new_rows.push(NewDeletedUser {
                user_id: user.id,
                domain_id: user.domain_id,
                extension: &user.extension,
                first_name: &user.first_name,
                last_name: &user.last_name,
                email: user.email.as_deref(),
                scope: user.scope,
                deleted_at: now,
                deleted_by: by,
                kept: to_json(&deletion)?,
            });
        }
        written += on_backend!(conn, |c| diesel::insert_into(deleted_users::table)
            .values(&new_rows)
            .execute(c))?;
    }
    Ok(written)
}

/// Up to `limit` deleted users of a domain, the latest deleted first, older than the
/// entry `before` when given.
pub fn list_page(
    conn: &mut DbConn,
    domain_id: DomainId,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<DeletedUser>> {
    let mut query = deleted_users::table
        .filter(deleted_users::domain_id.eq(domain_id))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(deleted_users::seq.lt(before));
    }
    query
        .order(deleted_users::seq.desc())
        .limit(limit)
        .select(DeletedUser::as_select())
        .load(conn)
}

/// Those of `ids` that are deleted users of the domain, in the order deleted.
pub fn of_domain(
    conn: &mut DbConn,
    domain_id: DomainId,
    ids: &[UserId],
) -> QueryResult<Vec<DeletedUser>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            deleted_users::table
                .filter(deleted_users::domain_id.eq(domain_id))
                .filter(deleted_users::user_id.eq_any(chunk))
                .order(deleted_users::seq)
                .select(DeletedUser::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The user last deleted with each of `extensions` in the domain, as (extension, id).
pub fn latest_with_extensions(
    conn: &mut DbConn,
    domain_id: DomainId,
    extensions: &[&str],
) -> QueryResult<Vec<(String, UserId)>> {
    let mut latest: std::collections::HashMap<String, (i64, UserId)> =
        std::collections::HashMap::new();
    for chunk in extensions.chunks(ID_CHUNK) {
        let found: Vec<(String, i64, UserId)> = deleted_users::table
            .filter(deleted_users::domain_id.eq(domain_id))
            .filter(deleted_users::extension.eq_any(chunk))
            .select((
                deleted_users::extension,
                deleted_users::seq,
                deleted_users::user_id,
            ))
            .load(conn)?;
        for (extension, seq, id) in found {
            let entry = latest.entry(extension).or_insert((seq, id));
            if seq > entry.0 {
                *entry = (seq, id);
            }
        }
    }
    Ok(latest
        .into_iter()
        .map(|(extension, (_, id))| (extension, id))
        .collect())
}

/// What was kept of the deleted users `ids`, each with its id.
pub fn kept_of(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<KeptDeletion>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let texts: Vec<String> = deleted_users::table
            .filter(deleted_users::user_id.eq_any(chunk))
            .order(deleted_users::seq)
            .select(deleted_users::kept)
            .load(conn)?;
        for text in texts {
            found.push(from_json(&text)?);
        }
    }
    Ok(found)
}

/// Forgets the deleted users `ids` (restored).
pub fn forget(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<usize> {
    let mut removed = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        removed +=
            diesel::delete(deleted_users::table.filter(deleted_users::user_id.eq_any(chunk)))
                .execute(conn)?;
    }
    Ok(removed)
}

/// Whether any deleted user was deleted before `cutoff`.
pub fn any_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        deleted_users::table.filter(deleted_users::deleted_at.lt(cutoff)),
    ))
    .get_result(conn)
}

/// Removes for good up to `limit` deleted users deleted before `cutoff`; returns how
/// many went, per domain.
pub fn purge_before(
    conn: &mut DbConn,
    cutoff: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<(DomainId, i64)>> {
    let expired: Vec<(i64, DomainId)> = deleted_users::table
        .filter(deleted_users::deleted_at.lt(cutoff))
        .order(deleted_users::seq)
        .limit(limit)
        .select((deleted_users::seq, deleted_users::domain_id))
        .load(conn)?;
    let seqs: Vec<i64> = expired.iter().map(|(seq, _)| *seq).collect();
    diesel::delete(deleted_users::table.filter(deleted_users::seq.eq_any(&seqs))).execute(conn)?;
    let mut per_domain: Vec<(DomainId, i64)> = Vec::new();
    for (_, domain_id) in expired {
        match per_domain.iter_mut().find(|(id, _)| *id == domain_id) {
            Some((_, count)) => *count += 1,
            None => per_domain.push((domain_id, 1)),
        }
    }
    Ok(per_domain)
}
