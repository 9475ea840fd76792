//! Askama page structs, one module per area. Handlers fill these with display-ready
//! values; templates only lay them out. Askama escapes every value. The one value
//! marked safe is HTML askama itself rendered and escaped: the Users page's results
//! ([`users::ResultsTable`]), kept by [`results_cache`].

pub mod account;
pub mod audit;
pub mod auth;
pub mod bulk;
pub mod csv;
pub mod domains;
pub mod errors;
pub mod results_cache;
pub mod users;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use askama::Template;

/// What the signed-in layout needs on every page: the CSRF token for forms and htmx,
/// and who is signed in.
#[derive(Debug, Clone)]
pub struct Chrome {
    pub csrf_token: String,
    pub signed_in_as: Option<String>,
}

/// A rendered page with the given status. Views know nothing of the web layer's error
/// type: a broken template is askama's error, which the caller's error type takes in.
pub fn page<E: From<askama::Error>>(
    status: StatusCode,
    template: &impl Template,
) -> Result<HttpResponse, E> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .body(template.render()?))
}

/// A rendered page with status 200.
pub fn ok<E: From<askama::Error>>(template: &impl Template) -> Result<HttpResponse, E> {
    page(StatusCode::OK, template)
}
