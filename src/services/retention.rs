//! The end of the retention period: what deletes (and resets) kept so they could be
//! undone is removed for good, in batches, by the job worker, with an audit event per
//! domain saying how much went. Checked import files never imported go after a day.

use chrono::{Duration, NaiveDateTime};
use diesel::QueryResult;

use super::AuditActor;
use crate::db::{DbConn, deleted_users, imports, reset_undo, write_transaction};
use crate::db::{audit, jobs};

/// How long a checked import file waits for **Import**.
pub const CHECKED_FILE_DAYS: i64 = 1;

/// Most kept users removed per transaction.
pub const PURGE_BATCH: i64 = 1000;

/// Who the audit trail names for a purge.
fn retention_actor() -> AuditActor {
    AuditActor {
        user_id: None,
        login: "retention period".to_owned(),
    }
}

/// Removes up to [`PURGE_BATCH`] deleted users, and as many users' kept resets, kept
/// longer than `retention_days` before `now`; returns how many went. Reads before it
/// writes, so an idle look takes no write lock.
pub fn purge_expired(
    conn: &mut DbConn,
    retention_days: u32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let cutoff = now - Duration::days(i64::from(retention_days));
    let unused_checks = now - Duration::days(CHECKED_FILE_DAYS);
    if !deleted_users::any_before(conn, cutoff)?
        && !reset_undo::any_before(conn, cutoff)?
        && !imports::any_file_before(conn, unused_checks)?
    {
        return Ok(0);
    }
    write_transaction(conn, |conn| {
        let actor = retention_actor();
        let mut total = imports::purge_files_before(conn, unused_checks)?;
        for (job_id, count) in reset_undo::purge_before(conn, cutoff, PURGE_BATCH)? {
            if let Some(job) = jobs::find(conn, job_id)? {
                actor.record_in_domain(
                    conn,
                    job.domain_id,
                    audit::PURGE,
                    &format!(
                        "what reset job {job_id} cleared of {count} users removed for good after {retention_days} days"
                    ),
                )?;
            }
            total += count;
        }
        let removed = deleted_users::purge_before(conn, cutoff, PURGE_BATCH)?;
        for (domain_id, count) in removed {
            actor.record_in_domain(
                conn,
                domain_id,
                audit::PURGE,
                &format!("{count} deleted users removed for good after {retention_days} days"),
            )?;
            total += usize::try_from(count).unwrap_or(0);
        }
        Ok(total)
    })
}
