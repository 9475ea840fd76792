//! The JSON API under `/api/v1`, for scripts: the same services and rules as the pages,
//! with a bearer token instead of a session (see [`crate::web::api_caller`]), answers in JSON, and every
//! refusal as `application/problem+json` with the pages' message. The routes are
//! registered through utoipa's actix bindings, so each one is in the OpenAPI document
//! (`/api/openapi.json`, rendered at `/api/docs`) by construction.

pub mod docs;
pub mod domains;
pub mod jobs;
pub mod users;

use actix_web::{HttpResponse, web};
use utoipa_actix_web::OpenApiFactory;
use utoipa_actix_web::scope;

use crate::error::AppError;
pub use crate::error::{ApiError, Problem};

/// Largest JSON body accepted: a job for 100,000 extensions, or an import of thousands
/// of rows.
pub const MAX_JSON_BYTES: usize = 8 * 1024 * 1024;

pub type ApiResult<T> = Result<T, ApiError>;

/// The refusals any API route may answer, whatever it does: listed once for the
/// document (each route lists its own 4xx beside them).
#[derive(utoipa::IntoResponses)]
pub enum Refusals {
    #[response(
        status = 401,
        description = "No live token: none, malformed, revoked or expired.",
        content_type = "application/problem+json"
    )]
    NoToken(Problem),
    #[response(
        status = 429,
        description = "Over the rate limit of the token's owner (or, with a missing or refused token, of the client address): try again after Retry-After seconds.",
        content_type = "application/problem+json"
    )]
    TooManyRequests(Problem),
}

fn unreadable(what: &str, err: impl std::fmt::Display) -> actix_web::Error {
    ApiError(AppError::BadRequest(format!(
        "{what} could not be read: {err}."
    )))
    .into()
}

/// `/api/v1`: every API route, with its documentation.
pub fn v1() -> impl actix_web::dev::HttpServiceFactory + OpenApiFactory + 'static {
    scope::scope("/api/v1")
        .app_data(
            web::JsonConfig::default()
                .limit(MAX_JSON_BYTES)
                .content_type_required(false)
                .error_handler(|err, _| unreadable("The JSON body", err)),
        )
        .app_data(web::QueryConfig::default().error_handler(|err, _| unreadable("The query", err)))
        .app_data(web::PathConfig::default().error_handler(|_, _| {
            ApiError(AppError::NotFound("There is no such resource.".into())).into()
        }))
        .service(domains::list)
        .service(users::list)
        .service(users::create)
        .service(users::read)
        .service(users::update)
        .service(users::delete)
        .service(jobs::start)
        .service(jobs::read)
        .service(jobs::stop)
        .service(jobs::retry)
        .default_service(web::to(no_such_route))
        // On the scope itself, so every request routed here is checked, however its
        // path was spelled (`/%61pi/v1/…` is decoded before routing).
        .wrap(actix_web::middleware::from_fn(
            crate::web::api_caller::authenticate,
        ))
}

/// Any other path under `/api/`: a problem document, not the HTML 404 page.
pub async fn no_such_route() -> HttpResponse {
    AppError::NotFound("There is no such API route. The routes are listed at /api/docs.".into())
        .problem_response()
}
