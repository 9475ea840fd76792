//! Background loops (the bulk-job worker, the outbox delivery): a thread that runs one
//! round after another while there is work, then sleeps until woken or until its next
//! look. A loop stops when the last [`Waker`] for it is dropped, or when its instance
//! shuts down ([`Loops::stop`]): then it finishes the round it is in (a job batch, a
//! delivery) and starts no other.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::thread;
use std::time::{Duration, Instant};

/// How long a loop backs off after a failed round (e.g. the database is unreachable).
const AFTER_ERROR: Duration = Duration::from_millis(2000);

/// Wakes a background loop at once; a handle with no loop behind it does nothing.
#[derive(Clone)]
pub struct Waker {
    wake: Option<Arc<SyncSender<()>>>,
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

/// The loops of one instance, so that shutting down can stop them all and wait for
/// the rounds they are in.
#[derive(Clone, Default)]
pub struct Loops {
    inner: Arc<LoopsInner>,
}

#[derive(Default)]
struct LoopsInner {
    stopping: Arc<AtomicBool>,
    running: Mutex<Vec<RunningLoop>>,
}

struct RunningLoop {
    name: String,
    /// Weak, so that the loop still ends when its last [`Waker`] is dropped.
    wake: Weak<SyncSender<()>>,
    /// Disconnects when the loop's thread ends.
    ended: Receiver<()>,
}

impl Loops {
    /// Tells every loop to start no further round (a sleeping loop is woken to hear
    /// it), then waits until each has finished its current round or `patience` has
    /// passed. Returns the names of loops still in a round at that point; their
    /// transaction is rolled back when the process exits, so nothing is half done.
    pub fn stop(&self, patience: Duration) -> Vec<String> {
        self.inner.stopping.store(true, Ordering::Release);
        let running = std::mem::take(
            &mut *self
                .inner
                .running
                .lock()
                .unwrap_or_else(PoisonError::into_inner),
        );
        for running in &running {
            if let Some(wake) = running.wake.upgrade() {
                let _ = wake.try_send(());
            }
        }
        let deadline = Instant::now() + patience;
        running
            .into_iter()
            .filter(|running| {
                let left = deadline.saturating_duration_since(Instant::now());
                !matches!(
                    running.ended.recv_timeout(left),
                    Err(RecvTimeoutError::Disconnected)
                )
            })
            .map(|running| running.name)
            .collect()
    }

    /// Starts a thread named `name` that calls `round` until it returns `Ok(0)`
    /// (nothing done), then waits up to `idle` or until woken. A failed round is
    /// logged and retried. The loop ends when its last [`Waker`] is dropped or when
    /// [`Loops::stop`] is called.
    pub fn spawn<F>(&self, name: &str, idle: Duration, mut round: F) -> std::io::Result<Waker>
    where
        F: FnMut() -> Result<usize, String> + Send + 'static,
    {
        let (wake, woken) = mpsc::sync_channel::<()>(1);
        let (ended_sender, ended) = mpsc::channel::<()>();
        let label = name.to_owned();
        let stopping = Arc::clone(&self.inner.stopping);
        thread::Builder::new().name(label.clone()).spawn(move || {
            // Dropped when the thread ends, however it ends: that is what `stop` waits for.
            let _ended = ended_sender;
            while !stopping.load(Ordering::Acquire) {
                match round() {
                    Ok(0) => match woken.recv_timeout(idle) {
                        Err(RecvTimeoutError::Disconnected) => return,
                        Ok(()) | Err(RecvTimeoutError::Timeout) => {}
                    },
                    Ok(_) => {}
                    Err(err) if err.contains("database is locked") => {
                        // Another writer held SQLite's write lock past the busy timeout
                        // (a job's start writing a million items): nothing failed.
                        tracing::warn!(worker = %label, error = %err, "database busy; retrying");
                        if let Err(RecvTimeoutError::Disconnected) = woken.recv_timeout(AFTER_ERROR) {
                            return;
                        }
                    }
                    Err(err) => {
                        tracing::error!(worker = %label, error = %err, "background round failed; retrying");
                        // Woken early when the instance stops.
                        if let Err(RecvTimeoutError::Disconnected) = woken.recv_timeout(AFTER_ERROR) {
                            return;
                        }
                    }
                }
            }
            tracing::info!(worker = %label, "stopped after its current round");
        })?;
        let wake = Arc::new(wake);
        self.inner
            .running
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(RunningLoop {
                name: name.to_owned(),
                wake: Arc::downgrade(&wake),
                ended,
            });
        Ok(Waker { wake: Some(wake) })
    }
}
