//! Users (subscribers, extensions): the row, its insert and the finders the sign-in,
//! the Users page and the command line need.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::domains::Domain;
use super::schema::{domains, users};
use crate::domain::{Scope, Status};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub domain_id: i64,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub pin_hash: Option<String>,
    pub scope: i32,
    pub department: String,
    pub site: String,
    pub vm_to_email: bool,
    pub vm_transcription: bool,
    pub must_change_password: bool,
    pub is_system: bool,
    pub session_epoch: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    pub status: i32,
}

impl User {
    /// The stored scope; a rank the code does not know reads as the lowest scope, so a
    /// corrupt row can never grant rights.
    pub fn scope(&self) -> Scope {
        Scope::from_rank(self.scope).unwrap_or(Scope::NoPortal)
    }

    pub fn status(&self) -> Status {
        Status::derive(
            &self.first_name,
            &self.last_name,
            self.password_hash.is_some(),
        )
    }

    /// "First Last", or the one that is set, or "" for a user in Setup Required.
    pub fn full_name(&self) -> String {
        format!("{} {}", self.first_name, self.last_name)
            .trim()
            .to_owned()
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = users)]
pub struct NewUser<'a> {
    pub domain_id: i64,
    pub extension: &'a str,
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub email: Option<&'a str>,
    pub password_hash: Option<&'a str>,
    pub scope: i32,
    pub department: &'a str,
    pub site: &'a str,
    pub vm_to_email: bool,
    pub must_change_password: bool,
    pub is_system: bool,
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn find_by_extension(
    conn: &mut DbConn,
    domain_id: i64,
    extension: &str,
) -> QueryResult<Option<User>> {
    users::table
        .filter(users::domain_id.eq(domain_id))
        .filter(users::extension.eq(extension))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Inserts a user and returns it (re-read by its unique extension).
pub fn insert(conn: &mut DbConn, new: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values(new)
        .execute(conn)?;
    find_by_extension(conn, new.domain_id, new.extension)?.ok_or(diesel::result::Error::NotFound)
}

/// Sets a new portal password hash and clears the forced-change flag.
pub fn set_password(
    conn: &mut DbConn,
    id: i64,
    password_hash: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.find(id))
        .set((
            users::password_hash.eq(password_hash),
            users::must_change_password.eq(false),
            users::updated_at.eq(now),
            users::version.eq(users::version + 1),
        ))
        .execute(conn)
}

/// The first `limit` non-system users of a domain by extension, with the total.
pub fn first_page(conn: &mut DbConn, domain_id: i64, limit: i64) -> QueryResult<(Vec<User>, i64)> {
    let visible = users::table
        .filter(users::domain_id.eq(domain_id))
        .filter(users::is_system.eq(false));
    let rows = visible
        .select(User::as_select())
        .order(users::extension)
        .limit(limit)
        .load(conn)?;
    let total = visible.count().get_result(conn)?;
    Ok((rows, total))
}

/// A user with its domain, as the session extractor needs them.
pub fn find_with_domain(conn: &mut DbConn, id: i64) -> QueryResult<Option<(User, Domain)>> {
    users::table
        .inner_join(domains::table)
        .filter(users::id.eq(id))
        .select((User::as_select(), Domain::as_select()))
        .first(conn)
        .optional()
}
