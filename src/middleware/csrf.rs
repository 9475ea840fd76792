//! CSRF protection for every request that is not GET, HEAD or OPTIONS, applied to the
//! whole application so no route can forget it. A request passes when it carries the
//! session's token in the `X-CSRF-Token` header or in the form field `csrf_token`, and
//! does not come from another site (`Origin`, `Sec-Fetch-Site`). Reading the form field
//! means reading the body: it is read once, within the payload limit, and handed back
//! to the handler untouched. The API (`/api/`) is exempt: it accepts no session cookie.

use actix_session::SessionExt;
use actix_web::HttpMessage;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::header::HeaderMap;
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::web::{Bytes, BytesMut};
use futures_util::{StreamExt, stream};

use crate::error::AppError;
use crate::web::session::{PortalSession, tokens_match};

/// The header htmx and scripts send the token in.
pub const CSRF_HEADER: &str = "X-CSRF-Token";
/// The form field pages send the token in.
pub const CSRF_FIELD: &str = "csrf_token";

pub async fn require_csrf_token<B: MessageBody + 'static>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    // The API reads no session cookie (a bearer token says who asks), so a forged
    // request from another site carries nothing that would act for anyone.
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        || crate::web::paths::is_api_request(req.request())
    {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    }
    match check(&mut req).await {
        Ok(()) => next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body),
        Err(err) => {
            tracing::warn!(path = %req.path(), reason = %err, "state-changing request refused");
            let refusal = match err {
                CsrfFailure::TooLarge => AppError::TooLarge(
                    crate::services::import::file::FileError::TooLarge.to_string(),
                ),
                _ => AppError::Csrf,
            };
            let response = super::refusal_for(req.request(), &refusal);
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum CsrfFailure {
    #[error("request from another site")]
    CrossSite,
    #[error("no session token")]
    NoSessionToken,
    #[error("token missing or wrong")]
    WrongToken,
    #[error("unreadable body")]
    UnreadableBody,
    #[error("upload too large")]
    TooLarge,
}

/// Largest multipart body read: an import's file and the few fields beside it.
pub const MAX_UPLOAD_BYTES: usize = crate::services::import::file::MAX_BYTES + 64 * 1024;

async fn check(req: &mut ServiceRequest) -> Result<(), CsrfFailure> {
    if comes_from_another_site(req) {
        return Err(CsrfFailure::CrossSite);
    }
    let expected = PortalSession::expected_csrf_token(&req.get_session())
        .ok_or(CsrfFailure::NoSessionToken)?;
    let from_header = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let presented = match from_header {
        Some(token) => Some(token),
        None if is_form(req) => token_from_form(req).await?,
        None if is_multipart(req) => token_from_multipart(req).await?,
        None => None,
    };
    match presented {
        Some(token) if tokens_match(&token, &expected) => Ok(()),
        _ => Err(CsrfFailure::WrongToken),
    }
}

fn is_form(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"))
}

/// Reads the body, finds the token field, and puts the body back for the handler.
async fn token_from_form(req: &mut ServiceRequest) -> Result<Option<String>, CsrfFailure> {
    let body = req
        .extract::<Bytes>()
        .await
        .map_err(|_| CsrfFailure::UnreadableBody)?;
    let token = url_form_field(&body, CSRF_FIELD);
    req.set_payload(body.into());
    Ok(token)
}

fn is_multipart(req: &ServiceRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("multipart/form-data"))
}

/// Reads a multipart body (an upload) within [`MAX_UPLOAD_BYTES`], finds the token field,
/// and puts the body back for the handler.
async fn token_from_multipart(req: &mut ServiceRequest) -> Result<Option<String>, CsrfFailure> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| CsrfFailure::UnreadableBody)?;
        if body.len() + chunk.len() > MAX_UPLOAD_BYTES {
            return Err(CsrfFailure::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    let body = body.freeze();
    let token = multipart_field(req.headers(), body.clone(), CSRF_FIELD).await;
    req.set_payload(body.into());
    Ok(token)
}

/// The text of the multipart field `name`, if the body has one.
async fn multipart_field(headers: &HeaderMap, body: Bytes, name: &str) -> Option<String> {
    let stream = stream::once(async move { Ok::<_, PayloadError>(body) });
    let mut multipart = actix_multipart::Multipart::new(headers, stream);
    while let Some(Ok(mut field)) = multipart.next().await {
        let wanted = field.name() == Some(name);
        let mut value = Vec::new();
        while let Some(Ok(chunk)) = field.next().await {
            if wanted {
                value.extend_from_slice(&chunk);
            }
        }
        if wanted {
            return String::from_utf8(value).ok();
        }
    }
    None
}

fn url_form_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

/// True when the browser says the request was made by another site's page.
fn comes_from_another_site(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if headers
        .get("Sec-Fetch-Site")
        .and_then(|value| value.to_str().ok())
        .is_some_and(|site| site == "cross-site" || site == "same-site")
    {
        return true;
    }
    let Some(origin) = headers
        .get(header::ORIGIN)
        .and_then(|value| value.to_str().ok())
    else {
        return false;
    };
    // Browsers send "null" for some same-site posts (e.g. under strict referrer
    // policies); the token decides those.
    if origin == "null" {
        return false;
    }
    let origin_host = origin.split_once("://").map_or(origin, |(_, host)| host);
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok());
    host != Some(origin_host)
}

#[cfg(test)]
mod tests {
    use super::url_form_field;

    #[test]
    fn the_token_is_found_among_other_fields_and_decoded() {
        let body = b"login=100%40acme.example&csrf_token=ab%2Bc&password=x";
        assert_eq!(url_form_field(body, "csrf_token"), Some("ab+c".to_owned()));
        assert_eq!(url_form_field(b"login=1", "csrf_token"), None);
    }
}
