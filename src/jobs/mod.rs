//! The job worker: a background loop (see [`crate::background`]) that works through
//! pending job items in batches ([`runner::work_batch`]) and, when none
//! wait, removes what passed the retention period (`services::retention`). Because items
//! are claimed and finished inside one transaction, a crash loses no work and repeats
//! none, and a restart simply carries on.

use std::time::Duration;

use crate::background::{Loops, Waker};
use crate::db::Pool;
use crate::email::delivery::Postman;
use chrono::Utc;

pub mod runner;

use self::runner::work_batch;

use crate::services::mail::LinkContext;
use crate::services::retention::purge_expired;

/// How long the worker waits between looks when nothing wakes it.
const IDLE_LOOK: Duration = Duration::from_millis(500);

/// A handle to the worker; the worker stops when the last handle is dropped.
#[derive(Clone)]
pub struct JobRunner(Waker);

impl JobRunner {
    /// Starts the worker thread among `loops` on `pool`, `batch_size` users a
    /// transaction. Links in the mail jobs queue follow `links`; `postman` is woken after
    /// each batch, as a batch may have queued mail.
    pub fn start(
        loops: &Loops,
        pool: Pool,
        batch_size: u32,
        links: LinkContext,
        postman: Postman,
        retention_days: u32,
    ) -> std::io::Result<Self> {
        loops
            .spawn("bulk-jobs", IDLE_LOOK, move || {
                let mut conn = pool.get().map_err(|err| err.to_string())?;
                let done =
                    work_batch(&mut conn, &links, batch_size).map_err(|err| err.to_string())?;
                if done > 0 {
                    postman.wake();
                    return Ok(done);
                }
                // With no job waiting, what passed the retention period goes.
                purge_expired(&mut conn, retention_days, Utc::now().naive_utc())
                    .map_err(|err| err.to_string())
            })
            .map(Self)
    }

    /// No worker: this instance serves pages and leaves jobs to the instances that run them.
    pub fn none() -> Self {
        Self(Waker::none())
    }

    /// Tells the worker a job is waiting, so it starts at once.
    pub fn wake(&self) {
        self.0.wake();
    }
}
