//! The audit trail: who did what to whom, when, in which domain.

use diesel::prelude::*;

use super::DbConn;
use super::schema::audit_events;

/// One event to record; written in the transaction of the change it describes.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub domain_id: Option<i64>,
    pub actor_id: Option<i64>,
    pub actor_login: &'a str,
    pub action: &'a str,
    pub target_user_id: Option<i64>,
    pub target: &'a str,
    pub details: &'a str,
}

pub fn record(conn: &mut DbConn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}
