//! The one error type at the web boundary. Every handler returns `Result<_, AppError>`;
//! this module decides, in one place, which status and page each failure gets and
//! logs the cause of server-side failures once. Diesel's `NotFound` becomes 404 and an
//! exhausted pool 503 here, nowhere else.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};

use crate::domain::Refusal;
use crate::routes::paths;
use crate::views::errors::ErrorPage;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session: the browser is sent to sign in.
    #[error("sign-in required")]
    NotSignedIn,
    /// The user must choose a new password before anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    #[error("{0}")]
    Forbidden(String),
    #[error("The form could not be accepted. Reload the page and try again.")]
    Csrf,
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    /// The request was sound, but the data changed under it (e.g. a stale form).
    #[error("{0}")]
    Conflict(String),
    #[error("The portal is busy. Try again in a moment.")]
    Unavailable,
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => AppError::NotFound("Nothing was found here.".into()),
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

impl From<r2d2::Error> for AppError {
    fn from(err: r2d2::Error) -> Self {
        tracing::warn!(error = %err, "no database connection available");
        AppError::Unavailable
    }
}

impl From<Refusal> for AppError {
    fn from(refusal: Refusal) -> Self {
        AppError::Forbidden(refusal.to_string())
    }
}

impl From<crate::services::credentials::HashError> for AppError {
    fn from(err: crate::services::credentials::HashError) -> Self {
        AppError::Internal(err.to_string())
    }
}

impl AppError {
    fn title(&self) -> &'static str {
        match self {
            AppError::Forbidden(_) | AppError::Csrf => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::BadRequest(_) => "Request not understood",
            AppError::Conflict(_) => "Changed in the meantime",
            AppError::Unavailable => "Busy",
            _ => "Something went wrong",
        }
    }

    /// What the person is told; server-side details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Internal(_) => {
                "The portal could not finish this request. Nothing was changed; try again.".into()
            }
            other => other.to_string(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotSignedIn | AppError::PasswordChangeRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::NotSignedIn => return redirect(paths::LOGIN),
            AppError::PasswordChangeRequired => return redirect(paths::CHANGE_PASSWORD),
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            _ => {}
        }
        let page = ErrorPage {
            title: self.title(),
            message: self.public_message(),
        };
        match crate::views::render(&page) {
            Ok(html) => HttpResponse::build(self.status_code())
                .content_type(ContentType::html())
                .body(html),
            Err(_) => HttpResponse::build(self.status_code())
                .content_type(ContentType::plaintext())
                .body(self.public_message()),
        }
    }
}

/// A 303 See Other to `location`: after a form post, the browser fetches it with GET.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}
