//! The bulk-job worker: a thread of its own that works through pending job items in
//! batches (see `services::bulk::work_batch`) until none are left, then waits to be woken
//! by a new job or for its next look. Because items are claimed and finished inside one
//! transaction, a crash loses no work and repeats none, and a restart simply carries on.

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::Duration;

use crate::db::Pool;
use crate::services::bulk::work_batch;

/// How long the worker waits between looks when nothing wakes it.
const IDLE_LOOK: Duration = Duration::from_millis(500);
/// How long it backs off after a failed batch (e.g. the database is unreachable).
const AFTER_ERROR: Duration = Duration::from_secs(2);

/// A handle to the worker; the worker stops when the last handle is dropped.
#[derive(Clone)]
pub struct JobRunner {
    /// `None` on an instance that leaves jobs to others.
    wake: Option<SyncSender<()>>,
}

impl JobRunner {
    /// Starts the worker thread on `pool`.
    pub fn start(pool: Pool) -> std::io::Result<Self> {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        thread::Builder::new()
            .name("bulk-jobs".into())
            .spawn(move || {
                loop {
                    let finished = pool
                        .get()
                        .map_err(|err| err.to_string())
                        .and_then(|mut conn| work_batch(&mut conn).map_err(|err| err.to_string()));
                    match finished {
                        Ok(0) => match woken.recv_timeout(IDLE_LOOK) {
                            Err(RecvTimeoutError::Disconnected) => return,
                            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                        },
                        Ok(_) => {}
                        Err(err) => {
                            tracing::error!(error = %err, "bulk job batch failed; retrying");
                            thread::sleep(AFTER_ERROR);
                        }
                    }
                }
            })?;
        Ok(Self { wake: Some(wake) })
    }

    /// No worker: this instance serves pages and leaves jobs to the instances that run them.
    pub fn none() -> Self {
        Self { wake: None }
    }

    /// Tells the worker a job is waiting, so it starts at once.
    pub fn wake(&self) {
        // A full channel means a wake-up is already pending.
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}
