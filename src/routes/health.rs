//! A liveness and readiness probe: answers 200 when the database answers.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::error::AppError;
use crate::state::AppState;

pub async fn health(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    state.db(|conn| conn.batch_execute("SELECT 1")).await?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .body("ok"))
}
