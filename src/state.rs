//! What every handler shares: the pool, the bulk-job worker, the settings and the
//! sign-in timing shield.
//! Database work goes through [`AppState::db`], which runs it on a blocking thread and
//! bounds how many such threads wait for a connection at once.

use std::sync::Arc;

use tokio::sync::Semaphore;

use crate::config::Settings;
use crate::db::{DbConn, Pool};
use crate::error::AppError;
use crate::jobs::JobRunner;
use crate::services::credentials::TimingShield;

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub jobs: JobRunner,
    pub settings: Arc<Settings>,
    pub shield: Arc<TimingShield>,
    db_slots: Arc<Semaphore>,
}

impl AppState {
    pub fn new(pool: Pool, jobs: JobRunner, settings: Settings, shield: TimingShield) -> Self {
        let slots = usize::try_from(pool.max_size()).unwrap_or(1).max(1);
        Self {
            pool,
            jobs,
            settings: Arc::new(settings),
            shield: Arc::new(shield),
            db_slots: Arc::new(Semaphore::new(slots)),
        }
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
}
