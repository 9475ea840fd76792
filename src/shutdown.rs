//! Stopping an instance without failing anyone: on SIGTERM (or SIGINT) it tells
//! systemd it is stopping and marks itself draining: every answer from then on closes
//! its connection, so a load balancer stops reusing them, and `/health` answers 503.
//! For [`GRACE`] it still serves, so the balancer's kept-alive connections each end
//! with an answer rather than be cut while a request may be on its way (nginx would
//! retry a GET elsewhere, but not a POST). Then it stops accepting connections,
//! finishes the requests in flight and the job batch or delivery in hand, and exits. A
//! second signal while it drains stops it at once (whatever a loop was doing is rolled
//! back with its transaction). With `Type=notify`, systemd hears READY=1 once the instance
//! listens, so a rolling restart moves on only when the new process serves.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use sd_notify::NotifyState;
use tokio::signal::unix::{SignalKind, signal};

/// The longest a stopping instance waits for its requests in flight and for its
/// background loops' current rounds; systemd's `TimeoutStopSec` must be longer.
pub const PATIENCE: Duration = Duration::from_secs(30);

/// How long a stopping instance goes on serving, every answer closing its
/// connection, before it closes its listener.
pub const GRACE: Duration = Duration::from_secs(1);

/// Whether this instance has begun to stop.
#[derive(Clone, Default)]
pub struct Draining(Arc<AtomicBool>);

impl Draining {
    pub fn begin(&self) {
        self.0.store(true, Ordering::Release);
    }

    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }
}

/// SIGTERM and SIGINT, caught from the moment this is made until the process ends.
pub struct Terminations {
    terminate: tokio::signal::unix::Signal,
    interrupt: tokio::signal::unix::Signal,
}

impl Terminations {
    pub fn catch() -> std::io::Result<Self> {
        Ok(Self {
            terminate: signal(SignalKind::terminate())?,
            interrupt: signal(SignalKind::interrupt())?,
        })
    }

    /// Waits for the next SIGTERM or SIGINT; says which came.
    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }
}

/// Tells the service manager how the instance is, when one listens (`NOTIFY_SOCKET`
/// is set, as systemd sets it for `Type=notify`); otherwise does nothing.
pub fn tell_service_manager(ready: bool) {
    let state = if ready {
        NotifyState::Ready
    } else {
        NotifyState::Stopping
    };
    if let Err(err) = sd_notify::notify(&[state]) {
        tracing::warn!(error = %err, "could not tell the service manager how this instance is");
    }
}
