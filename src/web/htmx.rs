//! What htmx asks and is told. [`HxRequest`] reads a request's htmx headers once (is it
//! htmx's, which element it swaps, whether it restores history, which needs the whole
//! page); [`push_url`] sets the header that puts an address in the browser's bar.

use std::convert::Infallible;

use actix_web::dev::Payload;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse};
use futures_util::future::{Ready, ready};

const HX_REQUEST: &str = "HX-Request";
const HX_TARGET: &str = "HX-Target";
const HX_HISTORY_RESTORE_REQUEST: &str = "HX-History-Restore-Request";
/// htmx's response header that pushes an address into the browser's history.
const HX_PUSH_URL: HeaderName = HeaderName::from_static("hx-push-url");

/// A request as htmx made it, or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HxRequest {
    /// Made by htmx (or the page's own scripts, which send the same header).
    pub scripted: bool,
    /// The id of the element the answer will be swapped into.
    pub target: Option<String>,
    /// htmx restoring a page from history it no longer has: it needs the whole page.
    pub history_restore: bool,
}

impl HxRequest {
    pub fn of(req: &HttpRequest) -> Self {
        let headers = req.headers();
        Self {
            scripted: headers.contains_key(HX_REQUEST),
            target: headers
                .get(HX_TARGET)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned),
            history_restore: headers.contains_key(HX_HISTORY_RESTORE_REQUEST),
        }
    }

    /// Whether a fragment will do: htmx asks, and not to restore a page from history.
    pub fn wants_fragment(&self) -> bool {
        self.scripted && !self.history_restore
    }

    /// Whether a fragment for the element `id` will do.
    pub fn wants_fragment_for(&self, id: &str) -> bool {
        self.wants_fragment() && self.target.as_deref() == Some(id)
    }
}

impl FromRequest for HxRequest {
    type Error = Infallible;
    type Future = Ready<Result<Self, Infallible>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(Ok(Self::of(req)))
    }
}

/// Puts `path` in the browser's address bar once htmx has swapped `response` in.
pub fn push_url(response: &mut HttpResponse, path: &str) {
    if let Ok(value) = HeaderValue::from_str(path) {
        response.headers_mut().insert(HX_PUSH_URL, value);
    }
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    #[test]
    fn a_history_restore_wants_the_whole_page() {
        let plain = HxRequest::of(&TestRequest::default().to_http_request());
        assert_eq!(plain, HxRequest::default());
        assert!(!plain.wants_fragment());
        let swap = HxRequest::of(
            &TestRequest::default()
                .insert_header((HX_REQUEST, "true"))
                .insert_header((HX_TARGET, "users-results"))
                .to_http_request(),
        );
        assert!(swap.wants_fragment_for("users-results"));
        assert!(!swap.wants_fragment_for("bulk-body"));
        let restore = HxRequest::of(
            &TestRequest::default()
                .insert_header((HX_REQUEST, "true"))
                .insert_header((HX_TARGET, "users-results"))
                .insert_header((HX_HISTORY_RESTORE_REQUEST, "true"))
                .to_http_request(),
        );
        assert!(restore.scripted && !restore.wants_fragment());
    }

    #[test]
    fn pushing_an_address_sets_the_header_and_skips_one_that_is_no_header() {
        let mut response = HttpResponse::Ok().finish();
        push_url(&mut response, "/jobs/7");
        assert_eq!(
            response
                .headers()
                .get(HX_PUSH_URL)
                .and_then(|v| v.to_str().ok()),
            Some("/jobs/7")
        );
        let mut response = HttpResponse::Ok().finish();
        push_url(&mut response, "/jobs/\n7");
        assert!(response.headers().get(HX_PUSH_URL).is_none());
    }
}
