//! **Download results**: a job's outcome per user as CSV, streamed in chunks.

use crate::db::jobs::Item;
use crate::views::csv;
use crate::views::jobs::progress::OutcomeRow;
use actix_web::{HttpResponse, web};

use crate::domain::ids::JobId;
use crate::error::AppError;
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::session::Actor;

/// Items read per query while streaming a job's results.
const RESULT_CHUNK: i64 = 1000;

const RESULT_HEADER: [&str; 4] = ["Extension", "Name before the job", "Outcome", "Reason"];

/// **Download results**: one CSV row per user of the job, streamed in keyset chunks.
pub async fn results_csv(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (rights, job_id) = (actor.rights(), path.into_inner());
    state
        .db(move |conn| job_service::accessible(conn, &rights, job_id))
        .await?;
    let chunks = csv::chunked(RESULT_HEADER, 0_i64, move |after| {
        let state = state.clone();
        async move {
            let items = state
                .db(move |conn| {
                    job_service::items_after(conn, &rights, job_id, after, RESULT_CHUNK)
                })
                .await?;
            let next = match items.last() {
                Some(last)
                    if items.len() == usize::try_from(RESULT_CHUNK).unwrap_or(usize::MAX) =>
                {
                    Some(last.id)
                }
                _ => None,
            };
            let body: String = items.iter().map(result_row).collect();
            Ok::<_, AppError>((body, next))
        }
    });
    Ok(csv::attachment(
        &format!("job-{job_id}-results.csv"),
        chunks,
    ))
}

fn result_row(item: &Item) -> String {
    let outcome = OutcomeRow::outcome_of(item.state);
    csv::line([
        item.extension.as_str(),
        &item.user_name,
        outcome,
        item.reason.as_deref().unwrap_or_default(),
    ])
}
