//! Askama page structs, one module per area. Handlers fill these with display-ready
//! values; templates only lay them out. Askama escapes every value. The one value
//! marked safe is HTML askama itself rendered and escaped: the Users page's results
//! ([`users::ResultsTable`]), kept by [`results_cache`]. Markup is checked by snapshot
//! tests (insta, files in `snapshots/`) in each module that renders a template: a page's
//! snapshot shows its `<main>`, and the layout around it has one snapshot, here.

pub mod account;
pub mod audit;
pub mod auth;
pub mod csv;
pub mod deleted;
pub mod domain_settings;
pub mod domains;
pub mod errors;
pub mod import;
pub mod jobs;
pub mod list;
pub mod results_cache;
pub mod routing;
pub mod security;
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
    /// **All jobs** (`/jobs`, every domain one may open) in the header, for those who
    /// look after several domains (Resellers and Super Users).
    pub all_jobs_href: Option<&'static str>,
}

impl crate::web::session::SignedIn {
    /// The layout's part of every page this user sees.
    pub fn chrome(&self) -> Chrome {
        Chrome {
            csrf_token: self.csrf_token.clone(),
            signed_in_as: Some(self.login()),
            all_jobs_href: self
                .user
                .scope
                .picks_domains()
                .then_some(crate::web::paths::JOBS),
        }
    }
}

/// A stored time, which is UTC, as a page shows it ("2026-12-01 20:38:15 UTC") and as
/// its `<time datetime>` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Moment {
    pub text: String,
    pub iso: String,
}

impl From<chrono::NaiveDateTime> for Moment {
    fn from(at: chrono::NaiveDateTime) -> Self {
        Moment {
            text: at.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
            iso: at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        }
    }
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

/// A page's `<main>` element: what its snapshot shows, the layout around it having a
/// snapshot of its own. The whole page when there is no `<main>`, so that its loss
/// shows in the snapshot.
#[cfg(test)]
pub(crate) fn main_of(html: &str) -> &str {
    let start = html.find("<main").unwrap_or(0);
    let end = html
        .rfind("</main>")
        .map_or(html.len(), |at| at + "</main>".len());
    html.get(start..end).unwrap_or(html)
}

/// The signed-in layout's values in every snapshot: a fixed token and login.
#[cfg(test)]
pub(crate) fn test_chrome() -> Chrome {
    Chrome {
        csrf_token: "csrf-token".into(),
        signed_in_as: Some("100@acme.example".into()),
        all_jobs_href: None,
    }
}

/// A fixed time for snapshots, written "2026-11-27 14:05:00".
#[cfg(test)]
pub(crate) fn test_time(text: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S").unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;

    /// The layout once, with the page's `<main>` left empty: header, session controls,
    /// the CSRF token for forms and htmx, scripts and styles.
    #[test]
    fn the_signed_in_layout() -> askama::Result<()> {
        let html = auth::ChangePasswordPage {
            chrome: test_chrome(),
            new_password_error: None,
            confirm_error: None,
        }
        .render()?;
        let main = main_of(&html);
        let open_tag = main.split_inclusive('>').next().unwrap_or(main);
        let layout = html.replace(main, &format!("{open_tag}…</main>"));
        assert_snapshot!("layout_signed_in", layout);
        Ok(())
    }
}
