//! Imports from a spreadsheet: a checked file waiting for **Import** (`import_files`),
//! and what each row of an import job does (`import_rows`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{import_files, import_rows};
use super::{DbConn, first_row, on_backend};
use crate::domain::ids::{DomainId, JobId, UserId};

/// A checked file, as Check left it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_files)]
pub struct ImportFile {
    pub id: i64,
    /// What its Import and Download errors addresses name it by: random, so an old
    /// form can never name another file.
    pub key: String,
    pub actor_id: UserId,
    /// The domain of a domain's import page; none for `/import` across domains.
    pub domain_id: Option<DomainId>,
    pub file_name: String,
    pub created_at: NaiveDateTime,
    pub content: String,
    /// What the check found per row (JSON).
    pub checked: String,
}

#[derive(Insertable)]
#[diesel(table_name = import_files)]
pub struct NewImportFile<'a> {
    pub key: &'a str,
    pub actor_id: UserId,
    pub domain_id: Option<DomainId>,
    pub file_name: &'a str,
    pub created_at: NaiveDateTime,
    pub content: &'a str,
    pub checked: &'a str,
}

/// Keeps a checked file.
pub fn insert_file(conn: &mut DbConn, file: &NewImportFile<'_>) -> QueryResult<usize> {
    diesel::insert_into(import_files::table)
        .values(file)
        .execute(conn)
}

/// The checked file called `key` uploaded by `actor`; another user's file is not found.
pub fn find_file(conn: &mut DbConn, key: &str, actor: UserId) -> QueryResult<Option<ImportFile>> {
    first_row(
        import_files::table
            .filter(import_files::key.eq(key))
            .filter(import_files::actor_id.eq(actor))
            .select(ImportFile::as_select()),
        conn,
    )
}

/// Forgets a checked file (its import has started).
pub fn forget_file(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::delete(import_files::table.find(id)).execute(conn)
}

/// Whether a checked file uploaded before `cutoff` waits still.
pub fn any_file_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        import_files::table.filter(import_files::created_at.lt(cutoff)),
    ))
    .get_result(conn)
}

/// Forgets checked files uploaded before `cutoff` that were never imported.
pub fn purge_files_before(conn: &mut DbConn, cutoff: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(import_files::table.filter(import_files::created_at.lt(cutoff))).execute(conn)
}

/// What one row of an import job does.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = import_rows)]
pub struct NewImportRow {
    pub job_id: JobId,
    pub domain_id: DomainId,
    pub extension: String,
    pub row_number: i32,
    pub plan: String,
}

/// Rows per multi-row INSERT (five values each).
const INSERT_CHUNK: usize = 1000;

pub fn insert_rows(conn: &mut DbConn, rows: &[NewImportRow]) -> QueryResult<usize> {
    let mut written = 0;
    for chunk in rows.chunks(INSERT_CHUNK) {
        written += on_backend!(conn, |c| diesel::insert_into(import_rows::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(written)
}

/// The plans of job `job_id` for the items `keys` (domain and extension), by key.
pub fn plans_of(
    conn: &mut DbConn,
    job_id: JobId,
    keys: &[(DomainId, String)],
) -> QueryResult<HashMap<(DomainId, String), (i32, String)>> {
    let mut found = HashMap::with_capacity(keys.len());
    let extensions: Vec<&str> = keys
        .iter()
        .map(|(_, extension)| extension.as_str())
        .collect();
    for chunk in extensions.chunks(2000) {
        let rows: Vec<(DomainId, String, i32, String)> = import_rows::table
            .filter(import_rows::job_id.eq(job_id))
            .filter(import_rows::extension.eq_any(chunk))
            .select((
                import_rows::domain_id,
                import_rows::extension,
                import_rows::row_number,
                import_rows::plan,
            ))
            .load(conn)?;
        for (domain_id, extension, number, plan) in rows {
            found.insert((domain_id, extension), (number, plan));
        }
    }
    Ok(found)
}

/// Forgets the plans of job `job_id`'s rows `keys` (domain and extension), done with.
pub fn forget_rows(
    conn: &mut DbConn,
    job_id: JobId,
    keys: &[(DomainId, String)],
) -> QueryResult<usize> {
    let mut by_domain: HashMap<DomainId, Vec<&str>> = HashMap::new();
    for (domain_id, extension) in keys {
        by_domain.entry(*domain_id).or_default().push(extension);
    }
    let mut forgotten = 0;
    for (domain_id, extensions) in by_domain {
        for chunk in extensions.chunks(2000) {
            forgotten += diesel::delete(
                import_rows::table
                    .filter(import_rows::job_id.eq(job_id))
                    .filter(import_rows::domain_id.eq(domain_id))
                    .filter(import_rows::extension.eq_any(chunk)),
            )
            .execute(conn)?;
        }
    }
    Ok(forgotten)
}
