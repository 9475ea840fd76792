//! Starting a job once per idempotency key: the API's retried request gets the job its
//! first attempt started.

use chrono::Utc;

use crate::db::{DbConn, idempotency, write_transaction};
use crate::domain::ids::{JobId, UserId};

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// What a job start with an idempotency key came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Once {
    /// This request started the job.
    Started(JobId),
    /// The same request came before (with this key) and started this job.
    Replayed(JobId),
    /// The key was used for another request.
    KeyReused,
}

/// Runs `start` (which writes a job and returns its id) once per `key` of `user_id`:
/// a request retried with the same key and `fingerprint` gets the job the first one
/// started. The key is claimed in the transaction that writes the job, before the job,
/// so of two requests racing with one key the second waits for the first and then
/// finds its job; a start that fails leaves the key unused.
pub fn start_once<E>(
    conn: &mut DbConn,
    user_id: UserId,
    key: &str,
    fingerprint: &str,
    start: impl FnOnce(&mut DbConn) -> Result<JobId, E>,
) -> Result<Once, E>
where
    E: From<diesel::result::Error>,
{
    let now = Utc::now().naive_utc();
    let replay = |used: Option<idempotency::UsedKey>| match used {
        Some(used) if used.fingerprint == fingerprint => Once::Replayed(used.job_id),
        _ => Once::KeyReused,
    };
    // Forgetting old keys is nobody's transaction: it holds no lock while a job starts.
    idempotency::purge_before(conn, now - chrono::TimeDelta::hours(IDEMPOTENCY_HOURS))?;
    write_transaction(conn, |conn| {
        if let Some(used) = idempotency::find(conn, user_id, key)? {
            return Ok(replay(Some(used)));
        }
        let claimed = write_transaction(conn, |conn| {
            idempotency::insert(
                conn,
                &idempotency::NewKey {
                    user_id,
                    key,
                    fingerprint,
                    job_id: JobId::new(0),
                    created_at: now,
                },
            )
        });
        match claimed {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Ok(replay(idempotency::find(conn, user_id, key)?)),
            Err(err) => return Err(err.into()),
        }
        let job_id = start(conn)?;
        idempotency::set_job(conn, user_id, key, job_id)?;
        Ok(Once::Started(job_id))
    })
}
