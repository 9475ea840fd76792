//! The audit trail: who did what to whom, when, in which domain.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::audit_events;
use super::{DbConn, contains_pattern, lower};
use crate::domain::ids::{DomainId, UserId};

pub const USER_CREATE: &str = "user.create";
pub const USER_UPDATE: &str = "user.update";
pub const USER_DELETE: &str = "user.delete";
pub const PASSWORD_CHANGE: &str = "password.change";
pub const USER_RESET: &str = "user.reset";
pub const USER_RECYCLE: &str = "user.recycle";
pub const BULK_START: &str = "bulk.start";
pub const PASSWORD_SET: &str = "password.set";
pub const PASSWORD_FORCE_RESET: &str = "password.force_reset";
pub const MAIL_WELCOME: &str = "mail.welcome";
pub const MAIL_TEST: &str = "mail.test";
pub const SESSIONS_END: &str = "sessions.end";
pub const JOB_STOP: &str = "job.stop";
pub const USER_RESTORE: &str = "user.restore";
pub const USER_UNDO_RESET: &str = "user.undo_reset";
pub const USER_UNDO_EDIT: &str = "user.undo_edit";
pub const PURGE: &str = "purge";
pub const JOB_RETRY: &str = "job.retry";
pub const TOKEN_CREATE: &str = "api_token.create";
pub const TOKEN_REVOKE: &str = "api_token.revoke";
pub const ROUTING_CHANGE: &str = "routing.change";
pub const ROUTING_MEMBER_ADD: &str = "routing.member_add";
pub const ROUTING_MEMBER_REMOVE: &str = "routing.member_remove";
pub const DOMAIN_SETTINGS: &str = "domain.settings";
pub const TWO_STEP_ADD: &str = "two_step.add";
pub const TWO_STEP_REMOVE: &str = "two_step.remove";
pub const TWO_STEP_USE: &str = "two_step.use";
pub const TWO_STEP_RESET: &str = "two_step.reset";
pub const RECOVERY_CODES_NEW: &str = "two_step.recovery_codes";

/// How each action reads on the audit page.
pub const ACTION_LABELS: [(&str, &str); 28] = [
    (USER_CREATE, "Add user"),
    (USER_UPDATE, "Edit user"),
    (USER_DELETE, "Delete user"),
    (PASSWORD_CHANGE, "Change own password"),
    (USER_RESET, "Reset user"),
    (USER_RECYCLE, "Recycle user"),
    (BULK_START, "Start bulk action"),
    (PASSWORD_SET, "Set password by link"),
    (PASSWORD_FORCE_RESET, "Force password reset"),
    (MAIL_WELCOME, "Send welcome e-mail"),
    (MAIL_TEST, "Send test e-mail"),
    (SESSIONS_END, "End sessions"),
    (JOB_STOP, "Stop job"),
    (JOB_RETRY, "Retry failed users"),
    (USER_RESTORE, "Restore user"),
    (USER_UNDO_RESET, "Undo reset"),
    (PURGE, "Remove for good after the retention period"),
    (TOKEN_CREATE, "Create API token"),
    (TOKEN_REVOKE, "Revoke API token"),
    (ROUTING_CHANGE, "Change destination"),
    (ROUTING_MEMBER_ADD, "Add member"),
    (ROUTING_MEMBER_REMOVE, "Remove member"),
    (DOMAIN_SETTINGS, "Change domain settings"),
    (TWO_STEP_ADD, "Add second factor"),
    (TWO_STEP_REMOVE, "Remove second factor"),
    (TWO_STEP_USE, "Use second factor"),
    (TWO_STEP_RESET, "Reset two-step sign-in"),
    (RECOVERY_CODES_NEW, "New recovery codes"),
];

pub fn action_label(action: &str) -> &str {
    ACTION_LABELS
        .iter()
        .find(|(code, _)| *code == action)
        .map_or(action, |(_, label)| label)
}

/// One event to record; written in the transaction of the change it describes.
#[derive(Debug, Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub domain_id: Option<DomainId>,
    pub actor_id: Option<UserId>,
    pub actor_login: &'a str,
    pub action: &'a str,
    pub target_user_id: Option<UserId>,
    pub target: &'a str,
    pub details: &'a str,
}

/// Events per multi-row INSERT.
const INSERT_CHUNK: usize = 500;

/// Records many events, several hundred rows per statement.
pub fn record_many(conn: &mut DbConn, events: &[NewAuditEvent<'_>]) -> QueryResult<()> {
    let sqlite = match conn {
        DbConn::Postgres(pg) => return record_many_as_arrays(pg, events),
        DbConn::Sqlite(sqlite) => sqlite,
    };
    for chunk in events.chunks(INSERT_CHUNK) {
        diesel::insert_into(audit_events::table)
            .values(chunk)
            .execute(sqlite)?;
    }
    Ok(())
}

/// PostgreSQL takes every event in one statement, a column per array, instead of
/// binding and planning a multi-row VALUES per 500 events (see `jobs::insert_items`).
fn record_many_as_arrays(pg: &mut PgConnection, events: &[NewAuditEvent<'_>]) -> QueryResult<()> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text};
    diesel::sql_query(
        "INSERT INTO audit_events \
         (domain_id, actor_id, actor_login, action, target_user_id, target, details) \
         SELECT d, a, l, w, u, t, x FROM UNNEST($1::bigint[], $2::bigint[], $3::text[], \
         $4::text[], $5::bigint[], $6::text[], $7::text[]) \
         WITH ORDINALITY AS event(d, a, l, w, u, t, x, position) ORDER BY position",
    )
    .bind::<Array<Nullable<BigInt>>, _>(events.iter().map(|e| e.domain_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(events.iter().map(|e| e.actor_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|e| e.actor_login).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|e| e.action).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(events.iter().map(|e| e.target_user_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|e| e.target).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(events.iter().map(|e| e.details).collect::<Vec<_>>())
    .execute(pg)
    .map(|_| ())
}

pub fn record(conn: &mut DbConn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table)
        .values(event)
        .execute(conn)
        .map(|_| ())
}

#[derive(Debug, Clone, Queryable)]
pub struct AuditEvent {
    pub id: i64,
    pub actor_login: String,
    pub action: String,
    pub target: String,
    pub details: String,
    pub created_at: NaiveDateTime,
}

/// A domain's events, newest first, older than `before_id` when given, narrowed to
/// those whose actor, user, details or action (code or label) contain `filter`.
pub fn list(
    conn: &mut DbConn,
    domain_id: DomainId,
    filter: &str,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEvent>> {
    let mut query = audit_events::table
        .filter(audit_events::domain_id.eq(domain_id))
        .into_boxed();
    if let Some(before) = before_id {
        query = query.filter(audit_events::id.lt(before));
    }
    let needle = filter.trim();
    if !needle.is_empty() {
        let pattern = contains_pattern(needle);
        // One lower-cased text of the searchable columns, separated so that a match
        // cannot start in one column and end in the next.
        let searchable = audit_events::actor_login
            .concat("\u{1f}")
            .concat(audit_events::target)
            .concat("\u{1f}")
            .concat(audit_events::details)
            .concat("\u{1f}")
            .concat(audit_events::action);
        let labelled: Vec<&str> = ACTION_LABELS
            .iter()
            .filter(|(_, label)| label.to_lowercase().contains(&needle.to_lowercase()))
            .map(|(code, _)| *code)
            .collect();
        query = query.filter(
            lower(searchable)
                .like(lower(pattern))
                .escape('\\')
                .or(audit_events::action.eq_any(labelled)),
        );
    }
    query
        .select((
            audit_events::id,
            audit_events::actor_login,
            audit_events::action,
            audit_events::target,
            audit_events::details,
            audit_events::created_at,
        ))
        .order(audit_events::id.desc())
        .limit(limit)
        .load(conn)
}
