//! Request guards that apply to every route: the CSRF check on state-changing requests,
//! the refusal of control characters in any text input, the security headers on every
//! answer, readable errors for htmx and scripts, and the count of every answer for
//! `/metrics`. Under `/api/` (bearer tokens, no session) the CSRF check does not
//! apply, and refusals are problem documents.

pub mod csrf;
pub mod headers;
pub mod htmx;
pub mod input;
pub mod observe;

use actix_web::{HttpRequest, HttpResponse, ResponseError};

use crate::error::AppError;
use crate::web::htmx::HxRequest;
use crate::web::paths::is_api_request;

/// A middleware's refusal as the request wants it: a problem document for the API, a
/// fragment for htmx, a page otherwise.
fn refusal_for(req: &HttpRequest, refusal: &AppError) -> HttpResponse {
    if is_api_request(req) {
        refusal.problem_response()
    } else if HxRequest::of(req).scripted {
        htmx::error_fragment(refusal.status_code(), &refusal.to_string())
    } else {
        refusal.error_response()
    }
}
