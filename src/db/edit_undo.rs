//! Edit Users in the database: the fields set on a batch of users in one statement, and
//! what they held before, kept per user for the retention period in `reset_undo` (the
//! table every undoable job keeps its users' before in, keyed by job; its `users_of_job`,
//! `unchanged_since` and purge serve edits as they serve resets), with the row version
//! the edit left: Undo edit puts it back where that version stands.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::DbConn;
use super::schema::{reset_undo, users};
use crate::domain::edit::{EditField, FieldEdit};
use crate::domain::ids::{JobId, UserId};

/// The fields of a user Edit Users may set, as they were before it (the document
/// [`keep`] has the database write).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EditableFields {
    pub id: UserId,
    pub version: i32,
    pub department: String,
    pub site: String,
    pub scope: i32,
    pub time_zone: String,
    pub caller_id_number: String,
    pub emergency_caller_id: String,
    pub vm_to_email: bool,
    pub vm_transcription: bool,
}

/// What an edit sets, as diesel skips the fields it leaves (`None`).
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct EditChangeset<'a> {
    department: Option<&'a str>,
    site: Option<&'a str>,
    scope: Option<i32>,
    time_zone: Option<&'a str>,
    caller_id_number: Option<&'a str>,
    emergency_caller_id: Option<&'a str>,
    vm_to_email: Option<bool>,
    vm_transcription: Option<bool>,
}

/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 2000;

/// Keeps, for the edit job `job_id`, the editable fields of the users `ids` and the
/// version their row will have after the edit (one more than now); then sets `edit` on
/// them, moving each row's version on. The caller's transaction holds both.
pub fn keep_and_apply(
    conn: &mut DbConn,
    job_id: JobId,
    ids: &[UserId],
    edit: &FieldEdit,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    for chunk in ids.chunks(ID_CHUNK) {
        keep(conn, job_id, chunk, now)?;
    }
    apply(conn, ids, edit, now)
}

/// Copies the editable fields of the users `ids` into `reset_undo` as JSON documents
/// of [`EditableFields`], in one `INSERT … SELECT` that the database builds the
/// documents for: nothing goes through the portal and back.
fn keep(
    conn: &mut DbConn,
    job_id: JobId,
    ids: &[UserId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Text, Timestamp};
    let keys: Vec<i64> = ids.iter().map(|id| id.get()).collect();
    match conn {
        DbConn::Sqlite(sqlite) => diesel::sql_query(
            "INSERT INTO reset_undo (job_id, user_id, version_after, created_at, kept) \
             SELECT ?, id, version + 1, ?, json_object('id', id, 'version', version, \
               'department', department, 'site', site, 'scope', scope, \
               'time_zone', time_zone, 'caller_id_number', caller_id_number, \
               'emergency_caller_id', emergency_caller_id, \
               'vm_to_email', json(CASE WHEN vm_to_email THEN 'true' ELSE 'false' END), \
               'vm_transcription', json(CASE WHEN vm_transcription THEN 'true' ELSE 'false' END)) \
             FROM users WHERE id IN (SELECT value FROM json_each(?))",
        )
        .bind::<BigInt, _>(job_id.get())
        .bind::<Timestamp, _>(now)
        .bind::<Text, _>(
            serde_json::to_string(&keys)
                .map_err(|err| diesel::result::Error::SerializationError(err.into()))?,
        )
        .execute(sqlite),
        DbConn::Postgres(pg) => diesel::sql_query(
            "INSERT INTO reset_undo (job_id, user_id, version_after, created_at, kept) \
             SELECT $1, id, version + 1, $2, json_build_object('id', id, 'version', version, \
               'department', department, 'site', site, 'scope', scope, \
               'time_zone', time_zone, 'caller_id_number', caller_id_number, \
               'emergency_caller_id', emergency_caller_id, 'vm_to_email', vm_to_email, \
               'vm_transcription', vm_transcription)::text \
             FROM users WHERE id = ANY($3)",
        )
        .bind::<BigInt, _>(job_id.get())
        .bind::<Timestamp, _>(now)
        .bind::<Array<BigInt>, _>(keys)
        .execute(pg),
    }
}

/// Sets `edit` on the users `ids`, moving each row's version on.
pub fn apply(
    conn: &mut DbConn,
    ids: &[UserId],
    edit: &FieldEdit,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let changes = EditChangeset {
        department: edit.department.as_deref(),
        site: edit.site.as_deref(),
        scope: edit.scope,
        time_zone: edit.time_zone.as_deref(),
        caller_id_number: edit.caller_id_number.as_deref(),
        emergency_caller_id: edit.emergency_caller_id.as_deref(),
        vm_to_email: edit.vm_to_email,
        vm_transcription: edit.vm_transcription,
    };
    let mut updated = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        updated += diesel::update(users::table.filter(users::id.eq_any(chunk)))
            .set((
                &changes,
                users::updated_at.eq(now),
                users::version.eq(users::version + 1),
            ))
            .execute(conn)?;
    }
    Ok(updated)
}

/// What the edit job kept of the users `ids`.
pub fn kept_of(
    conn: &mut DbConn,
    job_id: JobId,
    ids: &[UserId],
) -> QueryResult<Vec<EditableFields>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        let texts: Vec<String> = reset_undo::table
            .filter(reset_undo::job_id.eq(job_id))
            .filter(reset_undo::user_id.eq_any(chunk))
            .select(reset_undo::kept)
            .load(conn)?;
        for text in texts {
            found.push(
                serde_json::from_str(&text)
                    .map_err(|err| diesel::result::Error::DeserializationError(err.into()))?,
            );
        }
    }
    Ok(found)
}

/// Puts back the fields `edit` set from what was kept, moves each row's version on, and
/// forgets what was kept.
pub fn put_back(
    conn: &mut DbConn,
    job_id: JobId,
    kept: &[EditableFields],
    edit: &FieldEdit,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let columns: Vec<&'static str> = edit.fields().into_iter().map(EditField::key).collect();
    for chunk in kept.chunks(ID_CHUNK) {
        let values = serde_json::to_string(chunk)
            .map_err(|err| diesel::result::Error::SerializationError(err.into()))?;
        update_from_json(conn, &columns, &values, now)?;
    }
    let ids: Vec<UserId> = kept.iter().map(|one| one.id).collect();
    for chunk in ids.chunks(ID_CHUNK) {
        diesel::delete(
            reset_undo::table
                .filter(reset_undo::job_id.eq(job_id))
                .filter(reset_undo::user_id.eq_any(chunk)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Sets `columns` of many users at once from `values`, a JSON array of
/// [`EditableFields`], moving each row's version on: one statement per batch. The
/// column names are [`EditField::key`]s, never input.
fn update_from_json(
    conn: &mut DbConn,
    columns: &[&'static str],
    values: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    use diesel::sql_types::{Text, Timestamp};
    match conn {
        DbConn::Sqlite(sqlite) => {
            let set: String = columns
                .iter()
                .map(|column| format!("{column} = v.value ->> '$.{column}', "))
                .collect();
            diesel::sql_query(format!(
                "UPDATE users SET {set}version = users.version + 1, updated_at = ? \
                 FROM json_each(?) AS v WHERE users.id = v.value ->> '$.id'"
            ))
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(values)
            .execute(sqlite)
        }
        DbConn::Postgres(pg) => {
            let set: String = columns
                .iter()
                .map(|column| format!("{column} = v.{column}, "))
                .collect();
            diesel::sql_query(format!(
                "UPDATE users SET {set}version = users.version + 1, updated_at = $1 \
                 FROM json_to_recordset($2::json) AS v(id bigint, department text, site text, \
                 scope integer, time_zone text, caller_id_number text, emergency_caller_id text, \
                 vm_to_email boolean, vm_transcription boolean) WHERE users.id = v.id"
            ))
            .bind::<Timestamp, _>(now)
            .bind::<Text, _>(values)
            .execute(pg)
        }
    }
}
