//! Building and running the HTTP server. `Application::build` connects to the
//! database (applying migrations), binds the listener and reports the bound port, so
//! tests can ask for port 0 and get a server of their own.

use std::net::TcpListener;

use actix_session::SessionMiddleware;
use actix_session::config::CookieContentSecurity;
use actix_session::storage::CookieSessionStore;
use actix_web::cookie::SameSite;
use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};

use crate::background::Loops;
use crate::config::Settings;
use crate::db::{self, Pool};
use crate::email::delivery::Postman;
use crate::email::mailer::{MailError, Mailer};
use crate::jobs::JobRunner;
use crate::middleware::csrf::require_csrf_token;
use crate::middleware::headers::security_headers;
use crate::middleware::htmx::script_errors;
use crate::middleware::input::refuse_control_characters;
use crate::middleware::observe::observe_answers;
use crate::services::credentials::{HashError, TimingShield};
use crate::services::mail::LinkContext;
use crate::shutdown::{self, Draining};
use crate::state::{AppState, Workers};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "pbx_session";

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Database(#[from] db::SetupError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("cannot start a background worker: {0}")]
    Worker(std::io::Error),
    #[error(transparent)]
    Mail(#[from] MailError),
}

/// Where links in mail point: `PUBLIC_URL`, or else the address this server listens on.
fn base_url(settings: &Settings, port: u16) -> String {
    match &settings.public_url {
        Some(url) => url.trim_end_matches('/').to_owned(),
        None => {
            let host = settings
                .bind
                .rsplit_once(':')
                .map_or("127.0.0.1", |(host, _)| host);
            let host = if host == "0.0.0.0" || host == "[::]" {
                "127.0.0.1"
            } else {
                host
            };
            format!("http://{host}:{port}")
        }
    }
}

pub struct Application {
    port: u16,
    pool: Pool,
    server: Server,
    loops: Loops,
    draining: Draining,
}

impl Application {
    pub fn build(settings: Settings) -> Result<Self, StartupError> {
        let pool = db::connect(&settings.database_url, settings.db_pool_size)?;
        let listener = TcpListener::bind(&settings.bind).map_err(|source| StartupError::Bind {
            address: settings.bind.clone(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartupError::Bind {
                address: settings.bind.clone(),
                source,
            })?
            .port();
        let workers = settings.workers;
        let links = LinkContext {
            base_url: base_url(&settings, port),
            valid_hours: settings.mail.link_valid_hours,
        };
        let mailer = Mailer::from_settings(&settings.mail)?;
        let loops = Loops::default();
        let background = if settings.run_jobs {
            let postman = match &mailer {
                Some(mailer) => Postman::start(
                    &loops,
                    pool.clone(),
                    mailer.clone(),
                    settings.mail.from.clone(),
                    settings.mail.retry_after,
                )
                .map_err(StartupError::Worker)?,
                None => Postman::none(),
            };
            let jobs = JobRunner::start(
                &loops,
                pool.clone(),
                settings.job_batch_size,
                links.clone(),
                postman.clone(),
                settings.retention_days,
            )
            .map_err(StartupError::Worker)?;
            Workers {
                jobs,
                postman,
                mailer,
            }
        } else {
            Workers {
                jobs: JobRunner::none(),
                postman: Postman::none(),
                mailer,
            }
        };
        let state = AppState::new(
            pool.clone(),
            background,
            links,
            settings,
            TimingShield::new()?,
        );
        let draining = state.draining.clone();
        let server = serve(listener, state, workers).map_err(|source| StartupError::Bind {
            address: "listener".into(),
            source,
        })?;
        Ok(Self {
            port,
            pool,
            server,
            loops,
            draining,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool the server uses, for the command line and for test fixtures.
    pub fn pool(&self) -> Pool {
        self.pool.clone()
    }

    /// Serves until the server is stopped or dropped (the tests' way: no signals).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then stops gracefully (see [`crate::shutdown`]):
    /// draining for [`shutdown::GRACE`], then no new connections, requests in flight
    /// and the background loops' current rounds finished (each within
    /// [`shutdown::PATIENCE`]), then returns.
    pub async fn run_until_signalled(self) -> std::io::Result<()> {
        let Self {
            server,
            loops,
            draining,
            ..
        } = self;
        let handle = server.handle();
        let mut server = std::pin::pin!(server);
        let mut terminations = shutdown::Terminations::catch()?;
        shutdown::tell_service_manager(true);
        let signal = tokio::select! {
            ended = &mut server => {
                loops.stop(shutdown::PATIENCE);
                return ended;
            }
            signal = terminations.next() => signal,
        };
        tracing::info!(
            signal,
            "stopping: no new connections; finishing the requests in flight and the current job batch"
        );
        shutdown::tell_service_manager(false);
        draining.begin();
        let stop_loops =
            actix_web::rt::task::spawn_blocking(move || loops.stop(shutdown::PATIENCE));
        let stop_serving = async {
            tokio::time::sleep(shutdown::GRACE).await;
            handle.stop(true).await;
        };
        let drained = async { tokio::join!(stop_serving, server, stop_loops) };
        let ((), served, unfinished) = tokio::select! {
            drained = drained => drained,
            again = terminations.next() => {
                tracing::warn!(signal = again, "a second signal: stopping now, without waiting");
                return Ok(());
            }
        };
        match unfinished {
            Ok(unfinished) if unfinished.is_empty() => {}
            Ok(unfinished) => tracing::warn!(
                ?unfinished,
                "stopped before these loops finished their round; its transaction is rolled back"
            ),
            Err(err) => tracing::warn!(error = %err, "could not wait for the background loops"),
        }
        tracing::info!("stopped");
        served
    }
}

fn serve(
    listener: TcpListener,
    state: AppState,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let key = state.settings.session_key.key().clone();
    let secure = state.settings.secure_cookies();
    let blocking_slots = state.blocking_slots();
    let state = web::Data::new(state);
    let mut server = HttpServer::new(move || {
        let sessions = SessionMiddleware::builder(CookieSessionStore::default(), key.clone())
            .cookie_name(SESSION_COOKIE.to_owned())
            .cookie_content_security(CookieContentSecurity::Private)
            .cookie_http_only(true)
            .cookie_same_site(SameSite::Strict)
            .cookie_secure(secure)
            .build();
        // Middleware runs outside-in in reverse order of `wrap`: the session must be
        // loaded before the CSRF check reads it.
        App::new()
            .app_data(state.clone())
            .wrap(from_fn(script_errors))
            .wrap(from_fn(require_csrf_token))
            .wrap(from_fn(refuse_control_characters))
            .wrap(sessions)
            .wrap(security_headers())
            .wrap(Compress::default())
            .wrap(from_fn(observe_answers))
            .configure(crate::routes::configure)
    })
    // Signals are `run_until_signalled`'s to handle, so that the background loops
    // stop with the server; in-flight requests get `shutdown::PATIENCE`.
    .disable_signals()
    .shutdown_timeout(shutdown::PATIENCE.as_secs())
    .listen(listener)?;
    let workers =
        workers.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    // Blocking threads each grow a malloc arena of their own (RECIPES: ~40 MiB of
    // bench/run's peak); the database and hashing slots bound how many run at once, so
    // each worker needs no more than its share of them.
    let blocking = blocking_slots.div_ceil(workers);
    server = server
        .workers(workers)
        .worker_max_blocking_threads(blocking.max(1));
    Ok(server.run())
}
