//! Probes for load balancers, restart procedures and monitoring: `/health` (is this
//! instance serving, and can it reach its database?) and `/metrics` (Prometheus text,
//! for a request made on this machine or carrying `PORTAL_METRICS_TOKEN`).

use std::time::Duration;

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::error::AppError;
use crate::metrics::Snapshot;
use crate::state::AppState;
use crate::web::peer::is_local;

/// How long `/health` waits for a database connection before it says there is none.
const HEALTH_PATIENCE: Duration = Duration::from_secs(2);

fn plain(status: StatusCode, text: &'static str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text)
}

/// 200 "ok" when the instance serves and its database answers; 503 "stopping" or
/// "database unreachable" (within two seconds) otherwise. One check runs at a time;
/// others wait for it, within the same two seconds.
pub async fn health(state: web::Data<AppState>) -> HttpResponse {
    if state.draining.is_on() {
        return plain(StatusCode::SERVICE_UNAVAILABLE, "stopping");
    }
    let checked = tokio::time::timeout(HEALTH_PATIENCE, async {
        let _slot = state
            .health_checks
            .acquire()
            .await
            .map_err(|err| err.to_string())?;
        let pool = state.pool.clone();
        web::block(move || -> Result<(), String> {
            let mut conn = pool
                .get_timeout(HEALTH_PATIENCE)
                .map_err(|err| err.to_string())?;
            conn.batch_execute("SELECT 1")
                .map_err(|err| err.to_string())
        })
        .await
        .map_err(|err| err.to_string())?
    })
    .await;
    let answer = checked.unwrap_or_else(|_| Err("no answer within the patience".into()));
    match answer {
        Ok(()) => plain(StatusCode::OK, "ok"),
        // The reason goes to the log only: it may name hosts.
        Err(reason) => {
            tracing::warn!(%reason, "health: the database is unreachable");
            plain(StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
        }
    }
}

/// Whether `req` may read the metrics: made on this machine and not through a proxy,
/// or carrying the configured token as `Authorization: Bearer …`.
fn may_read_metrics(req: &HttpRequest, state: &AppState) -> bool {
    if is_local(req) {
        return true;
    }
    let offered = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "));
    match (&state.settings.metrics_token, offered) {
        (Some(token), Some(offered)) => token.matches(offered),
        _ => false,
    }
}

pub async fn metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    if !may_read_metrics(&req, &state) {
        // As if there were nothing here: the metrics are not for the public.
        return Err(AppError::NotFound("Nothing was found here.".into()));
    }
    let crate::services::jobs::Backlog { jobs, outbox } =
        state.db(crate::services::jobs::backlog).await?;
    let pool = state.pool.state();
    let text = state
        .metrics
        .render(&Snapshot {
            jobs,
            outbox,
            pool_open: pool.connections,
            pool_idle: pool.idle_connections,
            pool_max: state.pool.max_size(),
            draining: state.draining.is_on(),
        })
        .map_err(|err| AppError::Internal(err.to_string()))?;
    Ok(HttpResponse::Ok()
        .content_type("application/openmetrics-text; version=1.0.0; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(text))
}
