//! Errors answered to htmx and to the page's own scripts (requests with `HX-Request`):
//! a readable fragment that htmx swaps in (see `responseHandling` in the base layout)
//! instead of a whole error page, and, when the session has ended or a password change
//! is due, a 401 with `HX-Redirect` so the browser goes there instead of swapping the
//! sign-in page into the table.

use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{ContentType, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, ResponseError};

use crate::error::AppError;
use crate::web::htmx::HxRequest;
use crate::web::paths;

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// A short, escaped message fragment: `<p class="alert error" role="alert">…</p>`.
pub fn error_fragment(status: StatusCode, message: &str) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(format!(
            "<p class=\"alert error\" role=\"alert\">{}</p>",
            escape_html(message)
        ))
}

fn redirect_script(location: &'static str, message: &str) -> HttpResponse {
    let mut response = error_fragment(StatusCode::UNAUTHORIZED, message);
    response.headers_mut().insert(
        actix_web::http::header::HeaderName::from_static("hx-redirect"),
        HeaderValue::from_static(location),
    );
    response
}

pub async fn script_errors<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B, BoxBody>>, actix_web::Error> {
    let scripted = HxRequest::of(req.request()).scripted;
    let response = next.call(req).await?;
    if !scripted {
        return Ok(response.map_into_left_body());
    }
    let replacement = match response
        .response()
        .error()
        .and_then(|err| err.as_error::<AppError>())
    {
        Some(AppError::NotSignedIn) => {
            redirect_script(paths::LOGIN, "Your session has ended. Sign in again.")
        }
        Some(AppError::PasswordChangeRequired) => {
            redirect_script(paths::CHANGE_PASSWORD, "Choose a new password first.")
        }
        Some(AppError::TwoStepRequired) => {
            redirect_script(paths::ACCOUNT_SECURITY, "Turn on two-step sign-in first.")
        }
        Some(err) => error_fragment(err.status_code(), &err.public_message()),
        None => return Ok(response.map_into_left_body()),
    };
    Ok(response.into_response(replacement).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_escaped() {
        assert_eq!(
            escape_html("<b>x</b> & 'y'"),
            "&lt;b&gt;x&lt;/b&gt; &amp; &#39;y&#39;"
        );
    }
}
