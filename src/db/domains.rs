//! Domains (tenants) and the resellers they belong to.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{domains, resellers};
use super::{DbConn, first_row};
use crate::domain::DomainRef;
use crate::domain::access::DomainReach;
use crate::domain::ids::{DomainId, ResellerId};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = domains)]
pub struct Domain {
    pub id: DomainId,
    pub name: String,
    pub description: String,
    pub reseller_id: Option<ResellerId>,
    pub portal_security: bool,
    pub created_at: NaiveDateTime,
    /// Moves on with every change to the domain's users or devices (migration
    /// `domain_data_version`): what the Users page's cache is keyed by.
    pub data_version: i64,
    /// How many of its phone numbers, attendant options and timeouts reach nobody, kept
    /// by the database (migration `call_routing`).
    pub dead_ends: i64,
    /// The IANA zone its users without one of their own are in.
    pub time_zone: String,
    /// Whether its own Office Managers and above must sign in in two steps.
    pub require_two_step: bool,
    /// Moves on with each save of its settings page, which is saved against it.
    pub settings_version: i32,
}

impl Domain {
    pub fn as_ref(&self) -> DomainRef {
        DomainRef {
            id: self.id,
            reseller_id: self.reseller_id,
        }
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = domains)]
pub struct NewDomain<'a> {
    pub name: &'a str,
    pub description: &'a str,
    pub reseller_id: Option<ResellerId>,
    pub portal_security: bool,
    /// An IANA name (see `domain::fields::TimeZoneName::parse_required`).
    pub time_zone: &'a str,
}

/// The zone of a domain that names none (the column's default).
pub const DEFAULT_TIME_ZONE: &str = "UTC";

pub fn find_by_name(conn: &mut DbConn, name: &str) -> QueryResult<Option<Domain>> {
    first_row(
        domains::table
            .filter(domains::name.eq(name))
            .select(Domain::as_select()),
        conn,
    )
}

/// The domains an actor may open, by name.
pub fn list_reachable(conn: &mut DbConn, reach: DomainReach) -> QueryResult<Vec<Domain>> {
    let query = domains::table
        .select(Domain::as_select())
        .order(domains::name)
        .into_boxed();
    let query = match reach {
        DomainReach::Every => query,
        DomainReach::OfReseller(reseller) => query.filter(domains::reseller_id.eq(reseller)),
        DomainReach::Only(id) => query.filter(domains::id.eq(id)),
    };
    query.load(conn)
}

/// Inserts a domain and returns it (re-read by name: `RETURNING` is not portable here).
pub fn insert(conn: &mut DbConn, new: &NewDomain<'_>) -> QueryResult<Domain> {
    diesel::insert_into(domains::table)
        .values(new)
        .execute(conn)?;
    find_by_name(conn, new.name)?.ok_or(diesel::result::Error::NotFound)
}

/// The id of the reseller called `name`, created if it does not exist yet.
pub fn reseller_id_for(conn: &mut DbConn, name: &str) -> QueryResult<ResellerId> {
    let existing = resellers::table
        .filter(resellers::name.eq(name))
        .select(resellers::id)
        .first(conn)
        .optional()?;
    if let Some(id) = existing {
        return Ok(id);
    }
    diesel::insert_into(resellers::table)
        .values(resellers::name.eq(name))
        .execute(conn)?;
    resellers::table
        .filter(resellers::name.eq(name))
        .select(resellers::id)
        .first(conn)
}

/// A domain's id and reseller, for access checks.
pub fn find_ref(conn: &mut DbConn, id: DomainId) -> QueryResult<DomainRef> {
    first_row::<_, _, (DomainId, Option<ResellerId>)>(
        domains::table
            .find(id)
            .select((domains::id, domains::reseller_id)),
        conn,
    )?
    .map(|(id, reseller_id)| DomainRef { id, reseller_id })
    .ok_or(diesel::result::Error::NotFound)
}

pub fn find(conn: &mut DbConn, id: DomainId) -> QueryResult<Option<Domain>> {
    first_row(domains::table.find(id).select(Domain::as_select()), conn)
}

/// The settings of its settings page, as saved.
#[derive(Debug, Clone, PartialEq, Eq, AsChangeset)]
#[diesel(table_name = domains)]
pub struct Settings {
    pub portal_security: bool,
    /// An IANA name (see `domain::fields::TimeZoneName::parse_required`).
    pub time_zone: String,
    pub require_two_step: bool,
}

/// Saves domain `id`'s settings, only while they still have `expected_version` (checked
/// by the UPDATE itself, so of two saves at once one wins); returns whether this one
/// saved.
pub fn save_settings(
    conn: &mut DbConn,
    id: DomainId,
    expected_version: i32,
    settings: &Settings,
) -> QueryResult<bool> {
    let saved = diesel::update(
        domains::table
            .find(id)
            .filter(domains::settings_version.eq(expected_version)),
    )
    .set((
        settings,
        domains::settings_version.eq(domains::settings_version + 1),
    ))
    .execute(conn)?;
    Ok(saved == 1)
}

/// Whether there is any domain at all (an empty database).
pub fn any(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(domains::table.select(domains::id))).get_result(conn)
}
