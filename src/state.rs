//! What every handler shares: the pool, the bulk-job and outbox workers, the settings,
//! what links in mail look like, the sign-in timing shield, the metrics and whether
//! the instance is stopping.
//! Database work goes through [`AppState::db`], which runs it on a blocking thread and
//! bounds how many such threads wait for a connection at once, or, for a few indexed
//! rows, [`AppState::read`]. Password hashing goes through [`AppState::hash`].

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::db::{Backend, DbConn, Pool};
use crate::domain::ids::{ApiTokenId, UserId};
use crate::email::delivery::Postman;
use crate::email::mailer::Mailer;
use crate::error::AppError;
use crate::jobs::JobRunner;
use crate::metrics::Metrics;
use crate::services::credentials::TimingShield;
use crate::services::mail::LinkContext;
use crate::services::passkeys::RelyingParty;
use crate::services::sealing::Sealer;
use crate::services::sessions::LastSeenNotes;
use crate::shutdown::Draining;
use crate::views::results_cache::ResultsCache;
use crate::web::rate_limit::RateLimiter;

/// The background workers of an instance, and the mailer the outbox worker uses.
pub struct Workers {
    pub jobs: JobRunner,
    pub postman: Postman,
    pub mailer: Option<Mailer>,
}

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub jobs: JobRunner,
    pub postman: Postman,
    /// The configured mailer, for the Super User's test message; `None` without one.
    pub mailer: Option<Mailer>,
    pub links: Arc<LinkContext>,
    pub settings: Arc<Settings>,
    pub shield: Arc<TimingShield>,
    /// Seals second factors' secrets at rest with a key derived from `SESSION_KEY`.
    pub sealer: Arc<Sealer>,
    /// The portal as a WebAuthn relying party; none when it is reached by an IP address.
    pub relying_party: Arc<Option<RelyingParty>>,
    /// The Users page's rendered results (see [`crate::views::results_cache`]).
    pub results: Arc<ResultsCache>,
    /// Which sessions' last use this instance wrote lately.
    pub last_seen: Arc<LastSeenNotes>,
    /// Which API tokens' last use this instance wrote lately.
    pub tokens_seen: Arc<LastSeenNotes<ApiTokenId>>,
    /// The API's rate limit per token owner (`api_requests_per_minute`, whatever the
    /// number of tokens).
    pub api_limits: Arc<RateLimiter<UserId>>,
    /// The API's rate limit on refused tokens, per client address.
    pub api_refusals: Arc<RateLimiter<String>>,
    /// What `/metrics` reports of this instance's answers.
    pub metrics: Arc<Metrics>,
    /// Set once the instance has begun to stop.
    pub draining: Draining,
    /// One `/health` database check at a time, so a flood of them holds at most one
    /// connection and one blocking thread.
    pub health_checks: Arc<Semaphore>,
    db_slots: Arc<Semaphore>,
    hashing_slots: Arc<Semaphore>,
    blocking_slots: usize,
}

impl AppState {
    pub fn new(
        pool: Pool,
        workers: Workers,
        links: LinkContext,
        settings: Settings,
        shield: TimingShield,
    ) -> Self {
        let slots = usize::try_from(pool.max_size()).unwrap_or(1).max(1);
        let hashing = std::thread::available_parallelism().map_or(2, usize::from);
        let Workers {
            jobs,
            postman,
            mailer,
        } = workers;
        Self {
            pool,
            jobs,
            postman,
            mailer,
            results: Arc::new(ResultsCache::new(settings.results_cache_bytes)),
            last_seen: Arc::new(LastSeenNotes::default()),
            tokens_seen: Arc::new(LastSeenNotes::default()),
            api_limits: Arc::new(RateLimiter::new(settings.api_requests_per_minute)),
            api_refusals: Arc::new(RateLimiter::new(settings.api_requests_per_minute)),
            metrics: Arc::new(Metrics::default()),
            draining: Draining::default(),
            health_checks: Arc::new(Semaphore::new(1)),
            relying_party: Arc::new(RelyingParty::for_address(&links.base_url)),
            links: Arc::new(links),
            sealer: Arc::new(Sealer::new(&settings.session_key)),
            settings: Arc::new(settings),
            shield: Arc::new(shield),
            db_slots: Arc::new(Semaphore::new(slots)),
            hashing_slots: Arc::new(Semaphore::new(hashing)),
            blocking_slots: slots + hashing,
        }
    }

    /// How many blocking tasks may run at once: database work and password hashing.
    pub fn blocking_slots(&self) -> usize {
        self.blocking_slots
    }

    /// Runs `work` with a pooled connection on a blocking thread. At most as many calls
    /// as the pool has connections run at once; the rest wait here, on the executor,
    /// instead of each holding a blocking thread.
    pub async fn db<T, E, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let _slot = self
            .db_slots
            .acquire()
            .await
            .map_err(|_| AppError::Unavailable)?;
        let pool = self.pool.clone();
        actix_web::web::block(move || -> Result<T, AppError> {
            let mut conn = pool.get()?;
            work(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(|err| AppError::Internal(format!("blocking task failed: {err}")))?
    }

    /// Runs password hashing or verification (argon2, tens of milliseconds of CPU) on a
    /// blocking thread, holding no database connection; at most one per core at once, so
    /// a flood of sign-in attempts queues here instead of taking every pooled
    /// connection and every blocking thread from the pages.
    pub async fn hash<T, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _slot = self
            .hashing_slots
            .acquire()
            .await
            .map_err(|_| AppError::Unavailable)?;
        actix_web::web::block(work)
            .await
            .map_err(|err| AppError::Internal(format!("blocking task failed: {err}")))
    }

    /// Runs a short read: a few rows found through an index, such as the session's user
    /// or an unsearched page of users. On SQLite with a connection idle right now it
    /// runs here, on the request's worker. Such a read takes a few tens of
    /// microseconds, less than handing it to a blocking thread and back, and a WAL
    /// reader waits for no writer (`wrk -c32` on a first page of 25 rows: 6,600 to
    /// 9,700 requests/s). Otherwise, and always on PostgreSQL, whose queries wait on the
    /// network, it goes the way of [`AppState::db`]. Never pass it a scan or a write.
    pub async fn read<T, E, F>(&self, work: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        if self.settings.database_url.backend() == Backend::Sqlite
            && let Some(mut conn) = self.pool.try_get()
        {
            return work(&mut conn).map_err(Into::into);
        }
        self.db(work).await
    }
}
