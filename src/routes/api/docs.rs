//! The API's description: the OpenAPI 3.1 document, generated from the handlers'
//! annotations and the routes they are registered under, and the page that renders it
//! (Redoc, served from the binary like every other asset). Both are public: they
//! describe the API and show no data.

use std::sync::OnceLock;

use actix_web::{App, HttpResponse};
use askama::Template;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt;

/// The name the document gives the bearer-token scheme.
pub const BEARER: &str = "bearer";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "pbx-portal API",
        description = "Users, bulk jobs and imports of the hosted-PBX portal, for scripts. \
            Send `Authorization: Bearer {token}` with a token made on the API tokens page \
            (/account/tokens); it acts with its owner's rights. Refusals are \
            `application/problem+json` (RFC 9457) with the portal's own messages.",
    ),
    modifiers(&BearerTokens),
    security(("bearer" = [])),
    tags(
        (name = "domains", description = "The domains the token's owner manages."),
        (name = "users", description = "The users of a domain, by extension."),
        (name = "jobs", description = "Bulk actions and imports, run in the background."),
    )
)]
struct ApiDoc;

struct BearerTokens;

impl Modify for BearerTokens {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// The document, built once from the same [`super::v1`] the server registers.
pub fn openapi() -> &'static utoipa::openapi::OpenApi {
    static DOCUMENT: OnceLock<utoipa::openapi::OpenApi> = OnceLock::new();
    DOCUMENT.get_or_init(|| {
        let (_, document) = App::new()
            .into_utoipa_app()
            .openapi(ApiDoc::openapi())
            .service(super::v1())
            .split_for_parts();
        document
    })
}

/// `/api/openapi.json`.
pub async fn document() -> HttpResponse {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| openapi().to_pretty_json().unwrap_or_default());
    HttpResponse::Ok()
        .content_type("application/json")
        .insert_header(("Cache-Control", "no-cache"))
        .body(json.as_str())
}

#[derive(Template)]
#[template(path = "api/docs.html")]
struct DocsPage;

/// Redoc's two `<style>` elements (styled-components' empty one, which it fills through
/// the CSSOM, and perfect-scrollbar's) are allowed by their hashes, and its search runs
/// in a worker made from a blob; still no inline script, and no other origin. A Redoc
/// upgrade must recompute the hashes (the browser spec of `/api/docs` fails if not).
const DOCS_CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self' 'sha256-47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=' \
    'sha256-QMIg+bpjm3JdElJ388KYke01izlUW0UoNOeKjpMxdgc='; img-src 'self' data:; \
    connect-src 'self'; worker-src blob:; form-action 'self'; frame-ancestors 'none'; \
    base-uri 'none'; object-src 'none'";

/// `/api/docs`.
pub async fn page() -> HttpResponse {
    match DocsPage.render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Content-Security-Policy", DOCS_CONTENT_SECURITY_POLICY))
            .body(html),
        Err(err) => crate::error::AppError::from(err).problem_response(),
    }
}
