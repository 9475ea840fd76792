//! Background loops (the bulk-job worker, the outbox delivery): a thread that runs one
//! round after another while there is work, then sleeps until woken or until its next
//! look, and stops when the last [`Waker`] for it is dropped.

use std::sync::mpsc::{self, RecvTimeoutError, SyncSender};
use std::thread;
use std::time::Duration;

/// How long a loop backs off after a failed round (e.g. the database is unreachable).
const AFTER_ERROR: Duration = Duration::from_secs(2);

/// Wakes a background loop at once; a handle with no loop behind it does nothing.
#[derive(Clone)]
pub struct Waker {
    wake: Option<SyncSender<()>>,
}

impl Waker {
    /// A handle with no loop: for instances that leave the work to others.
    pub fn none() -> Self {
        Self { wake: None }
    }

    pub fn wake(&self) {
        // A full channel means a wake-up is pending already.
        if let Some(wake) = &self.wake {
            let _ = wake.try_send(());
        }
    }
}

/// Starts a thread named `name` that calls `round` until it returns `Ok(0)` (nothing
/// done), then waits up to `idle` or until woken. A failed round is logged and retried.
pub fn spawn_loop<F>(name: &str, idle: Duration, mut round: F) -> std::io::Result<Waker>
where
    F: FnMut() -> Result<usize, String> + Send + 'static,
{
    let (wake, woken) = mpsc::sync_channel::<()>(1);
    let label = name.to_owned();
    thread::Builder::new().name(label.clone()).spawn(move || {
        loop {
            match round() {
                Ok(0) => match woken.recv_timeout(idle) {
                    Err(RecvTimeoutError::Disconnected) => return,
                    Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                },
                Ok(_) => {}
                Err(err) => {
                    tracing::error!(worker = %label, error = %err, "background round failed; retrying");
                    thread::sleep(AFTER_ERROR);
                }
            }
        }
    })?;
    Ok(Waker { wake: Some(wake) })
}
