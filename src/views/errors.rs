//! The page every refused or failed request shows.

use askama::Template;

#[derive(Template)]
#[template(path = "errors/error.html")]
pub struct ErrorPage {
    pub title: &'static str,
    pub message: String,
}
