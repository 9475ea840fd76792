//! The one error type at the web boundary. Every handler returns `Result<_, AppError>`;
//! this module decides, in one place, which status and page each failure gets and
//! logs the cause of server-side failures once. Diesel's `NotFound` becomes 404 and an
//! exhausted pool 503 here, nowhere else.
//!
//! What each layer returns, and so what is converted here (every `From<…> for AppError`
//! lives in this file):
//! - `db`: diesel's `QueryResult` (and `SetupError` while connecting);
//! - `domain`: `Invalid` (a field's message) and `Refusal` (a rights rule);
//! - `services`: an error enum per use case (`UserChangeError`, `JobError`,
//!   `EndSessionsError`, `SessionError`, `SignInError`, …), free of web types;
//! - `views`: askama's error;
//! - `routes`: `AppError`. Handlers that show a failure next to a form field (sign-in,
//!   the user form, the set-password form) match the service error themselves first.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, ContentType};
use actix_web::{HttpResponse, ResponseError};
use askama::Template;

use crate::domain::Refusal;
use crate::services::api_tokens::TokenError;
use crate::services::call_routing::RoutingError;
use crate::services::credentials::HashError;
use crate::services::domains::DomainError;
use crate::services::jobs::JobError;
use crate::services::jobs::request::RequestError;
use crate::services::sessions::{EndSessionsError, SessionError};
use crate::services::test_mail;
use crate::services::two_step::ResetTwoStepError;
use crate::services::users::UserChangeError;
use crate::views::errors::ErrorPage;
use crate::web::paths;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No valid session: the browser is sent to sign in.
    #[error("sign-in required")]
    NotSignedIn,
    /// The user must choose a new password before anything else.
    #[error("password change required")]
    PasswordChangeRequired,
    /// The user's domain requires two-step sign-in and they have no second factor yet:
    /// the Security page until one is on.
    #[error(
        "Your domain requires two-step sign-in. Turn on an authenticator app or a passkey first."
    )]
    TwoStepRequired,
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
    /// An upload over its limit (the message names the limit).
    #[error("{0}")]
    TooLarge(String),
    #[error("The portal is busy. Try again in a moment.")]
    Unavailable,
    /// Fields of a request that were refused, each with the place it names (a JSON
    /// pointer into the request body, such as `#/email` or `#/rows/2`) and why.
    #[error("{message}")]
    Unprocessable {
        message: String,
        fields: Vec<FieldProblem>,
    },
    /// An `If-Match` that names another version than the row has now.
    #[error("{0}")]
    PreconditionFailed(String),
    /// Too many API requests with one token; try again after this many seconds.
    #[error("Too many requests with this token. Try again in {0} seconds.")]
    TooManyRequests(u64),
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<diesel::result::Error> for AppError {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::NotFound => AppError::NotFound("Nothing was found here.".into()),
            // SQLite's write lock not had within the busy timeout: a moment's wait helps.
            diesel::result::Error::DatabaseError(_, ref info)
                if info.message().contains("database is locked") =>
            {
                tracing::warn!(error = %info.message(), "the database stayed locked");
                AppError::Unavailable
            }
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

impl From<HashError> for AppError {
    fn from(err: HashError) -> Self {
        AppError::Internal(err.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(err: askama::Error) -> Self {
        AppError::Internal(format!("template: {err}"))
    }
}

impl From<UserChangeError> for AppError {
    fn from(err: UserChangeError) -> Self {
        match err {
            UserChangeError::NotFound(_) => AppError::NotFound(err.to_string()),
            UserChangeError::Refused(refusal) => refusal.into(),
            UserChangeError::NoSuccessor(_) | UserChangeError::SelfSuccessor => {
                AppError::BadRequest(err.to_string())
            }
            UserChangeError::ScopeTooHigh | UserChangeError::OwnScope => {
                AppError::Forbidden(err.to_string())
            }
            UserChangeError::ExtensionTaken(_) | UserChangeError::Conflict => {
                AppError::Conflict(err.to_string())
            }
            UserChangeError::Hash(err) => err.into(),
            UserChangeError::Database(err) => err.into(),
        }
    }
}

impl From<DomainError> for AppError {
    fn from(err: DomainError) -> Self {
        match err {
            DomainError::NoSuchDomain => AppError::NotFound(err.to_string()),
            DomainError::Refused(refusal) => refusal.into(),
            DomainError::Database(err) => err.into(),
        }
    }
}

impl From<RequestError> for AppError {
    fn from(err: RequestError) -> Self {
        match err {
            RequestError::Job(err) => err.into(),
            RequestError::Import(err) => err.into(),
            RequestError::NotInDomain => AppError::NotFound(err.to_string()),
            RequestError::Unknown(_)
            | RequestError::NoneToPutBack
            | RequestError::ImportRetried => AppError::BadRequest(err.to_string()),
            RequestError::Database(err) => err.into(),
        }
    }
}

impl From<RoutingError> for AppError {
    fn from(err: RoutingError) -> Self {
        match err {
            RoutingError::Refused(refusal) => refusal.into(),
            RoutingError::NotFound => AppError::NotFound(err.to_string()),
            RoutingError::ForeignDestination
            | RoutingError::ForeignUser
            | RoutingError::Unknown(_) => AppError::BadRequest(err.to_string()),
            RoutingError::Conflict | RoutingError::AlreadyMember(_) => {
                AppError::Conflict(err.to_string())
            }
            RoutingError::Database(err) => err.into(),
        }
    }
}

impl From<JobError> for AppError {
    fn from(err: JobError) -> Self {
        match err {
            JobError::NotFound => AppError::NotFound(err.to_string()),
            JobError::Refused(refusal) => refusal.into(),
            JobError::ChangedSince(_) | JobError::SelectionChanged(_) | JobError::NotInJob => {
                AppError::Conflict(err.to_string())
            }
            JobError::NotARecyclingReset
            | JobError::StillRunning
            | JobError::NothingFailed
            | JobError::NotAReset
            | JobError::NothingToUndo
            | JobError::EmptySelection
            | JobError::Invalid(_)
            | JobError::NotAUser
            | JobError::NoSuchJob
            | JobError::UnknownSuccessor(_)
            | JobError::SuccessorDeleted { .. }
            | JobError::NotSelected(_) => AppError::BadRequest(err.to_string()),
            JobError::Damaged(_) | JobError::Mail(_) => AppError::Internal(err.to_string()),
            JobError::Database(err) => err.into(),
        }
    }
}

impl From<test_mail::RecordError> for AppError {
    fn from(err: test_mail::RecordError) -> Self {
        match err {
            test_mail::RecordError::Refused(refusal) => refusal.into(),
            test_mail::RecordError::Database(err) => err.into(),
        }
    }
}

impl From<EndSessionsError> for AppError {
    fn from(err: EndSessionsError) -> Self {
        match err {
            EndSessionsError::NotFound(_) => AppError::NotFound(err.to_string()),
            EndSessionsError::Refused(refusal) => refusal.into(),
            EndSessionsError::Database(err) => err.into(),
        }
    }
}

impl From<ResetTwoStepError> for AppError {
    fn from(err: ResetTwoStepError) -> Self {
        match err {
            ResetTwoStepError::NotFound(_) => AppError::NotFound(err.to_string()),
            ResetTwoStepError::Refused(refusal) => refusal.into(),
            ResetTwoStepError::NothingToReset(_) => AppError::Conflict(err.to_string()),
            ResetTwoStepError::Database(err) => err.into(),
        }
    }
}

impl From<SessionError> for AppError {
    fn from(err: SessionError) -> Self {
        match err {
            SessionError::Database(err) => err.into(),
            SessionError::Random(_) => AppError::Internal(err.to_string()),
        }
    }
}

impl From<TokenError> for AppError {
    fn from(err: TokenError) -> Self {
        match err {
            TokenError::NotFound => AppError::NotFound(err.to_string()),
            TokenError::NoName
            | TokenError::BadName
            | TokenError::NameTaken(_)
            | TokenError::BadDays
            | TokenError::TooMany => AppError::BadRequest(err.to_string()),
            TokenError::SessionEnded => AppError::NotSignedIn,
            TokenError::PasswordNotRecent => AppError::Conflict(err.to_string()),
            TokenError::Random(_) => AppError::Internal(err.to_string()),
            TokenError::Database(err) => err.into(),
        }
    }
}

/// A refusal, as every API route answers one (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Always `about:blank`: the status says what kind of refusal it is.
    #[serde(rename = "type")]
    pub kind: String,
    #[schema(example = "Not found")]
    pub title: String,
    #[schema(example = 404)]
    pub status: u16,
    /// The same message a page would show.
    #[schema(example = "There is no user with extension 105 in this domain.")]
    pub detail: String,
    /// The refused values of the request, when there are several.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One refused field of a request (RFC 9457's "errors" extension member).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct FieldProblem {
    /// A JSON pointer to the refused value, e.g. `#/email` or `#/rows/2`.
    pub pointer: String,
    pub detail: String,
}

impl AppError {
    fn title(&self) -> &'static str {
        match self {
            AppError::NotSignedIn => "Not signed in",
            AppError::PasswordChangeRequired => "Password change required",
            AppError::TwoStepRequired => "Two-step sign-in required",
            AppError::Unprocessable { .. } => "Not accepted",
            AppError::PreconditionFailed(_) => "Changed in the meantime",
            AppError::TooManyRequests(_) => "Too many requests",
            AppError::Forbidden(_) | AppError::Csrf => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::BadRequest(_) => "Request not understood",
            AppError::Conflict(_) => "Changed in the meantime",
            AppError::TooLarge(_) => "Too large",
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
            AppError::NotSignedIn
            | AppError::PasswordChangeRequired
            | AppError::TwoStepRequired => StatusCode::SEE_OTHER,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::NotSignedIn => return redirect(paths::LOGIN),
            AppError::PasswordChangeRequired => return redirect(paths::CHANGE_PASSWORD),
            AppError::TwoStepRequired => return redirect(paths::ACCOUNT_SECURITY),
            AppError::Internal(cause) => tracing::error!(%cause, "request failed"),
            _ => {}
        }
        let page = ErrorPage {
            title: self.title(),
            message: self.public_message(),
        };
        match page.render() {
            Ok(html) => HttpResponse::build(self.status_code())
                .content_type(ContentType::html())
                .body(html),
            Err(_) => HttpResponse::build(self.status_code())
                .content_type(ContentType::plaintext())
                .body(self.public_message()),
        }
    }
}

impl AppError {
    /// The refusal as an `application/problem+json` document (RFC 9457), as the API
    /// answers: the status, a title, the same message a page would show, and the
    /// refused fields. Without a valid token the answer is 401 with a Bearer challenge.
    pub fn problem_response(&self) -> HttpResponse {
        let status = match self {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::PasswordChangeRequired | AppError::TwoStepRequired => StatusCode::FORBIDDEN,
            other => other.status_code(),
        };
        let detail = match self {
            AppError::NotSignedIn => {
                "Send a live API token: Authorization: Bearer {token}.".to_owned()
            }
            AppError::PasswordChangeRequired => {
                "The token's owner must change their password first.".to_owned()
            }
            AppError::Internal(cause) => {
                tracing::error!(%cause, "API request failed");
                self.public_message()
            }
            other => other.public_message(),
        };
        let problem = Problem {
            kind: "about:blank".to_owned(),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail,
            errors: match self {
                AppError::Unprocessable { fields, .. } => fields.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            AppError::NotSignedIn => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"pbx-portal\""));
            }
            AppError::TooManyRequests(seconds) => {
                response.insert_header((header::RETRY_AFTER, seconds.to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

/// A 303 See Other to `location`: after a form post, the browser fetches it with GET.
pub fn redirect(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// A refusal as the API gives it: an [`AppError`] answered as a problem document.
#[derive(Debug)]
pub struct ApiError(pub AppError);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self.0 {
            AppError::NotSignedIn => StatusCode::UNAUTHORIZED,
            AppError::PasswordChangeRequired | AppError::TwoStepRequired => StatusCode::FORBIDDEN,
            ref other => other.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        self.0.problem_response()
    }
}

/// Every error the services return reaches the API through [`AppError`], as it reaches
/// the pages.
macro_rules! api_error_from {
    ($($error:ty),+ $(,)?) => {$(
        impl From<$error> for ApiError {
            fn from(err: $error) -> Self {
                ApiError(AppError::from(err))
            }
        }
    )+};
}

impl From<AppError> for ApiError {
    fn from(err: AppError) -> Self {
        ApiError(err)
    }
}

api_error_from!(
    crate::domain::Refusal,
    crate::services::jobs::JobError,
    crate::services::domains::DomainError,
    crate::services::call_routing::RoutingError,
    crate::services::users::UserChangeError,
    crate::services::import::run::ImportError,
    diesel::result::Error,
);
