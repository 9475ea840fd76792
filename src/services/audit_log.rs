//! The audit log as its page reads it: a domain's events, newest first, narrowed by a
//! filter, for those who manage the domain.

use super::domains::DomainError;
use crate::db::DbConn;
use crate::db::audit::{self, AuditEvent};
use crate::db::domains::Domain;
use crate::domain::ActorRights;

/// Up to `limit` events of `domain` older than event `before` when given, whose actor,
/// user, details or action contain `filter`, if `rights` may manage the domain.
pub fn page(
    conn: &mut DbConn,
    rights: &ActorRights,
    domain: &Domain,
    filter: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<AuditEvent>, DomainError> {
    rights.may_manage_domain(domain.as_ref())?;
    Ok(audit::list(conn, domain.id, filter, before, limit)?)
}
