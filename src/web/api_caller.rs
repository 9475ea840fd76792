//! Who an API request is from: the bearer token in its `Authorization` header, checked
//! by a middleware on every `/api/v1` request before anything else of it is read (no
//! session cookie is read under `/api/`, so no CSRF token is needed there), then the
//! rate limit of the token's owner (or, for a refused token, of the client address).
//! The token acts with its owner's rights as they are now; audit events name the token.

use std::time::Instant;

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use chrono::Utc;
use futures_util::future::{Ready, ready};

use crate::db::api_tokens::{self, ApiToken};
use crate::db::domains::Domain;
use crate::db::users::User;
use crate::domain::ActorRights;
use crate::error::ApiError;
use crate::error::AppError;
use crate::services::api_tokens as token_service;
use crate::services::{Acting, AuditActor, Authority};
use crate::state::AppState;
use crate::web::last_use::note_in_background;

/// The owner of a live API token, and the token.
#[derive(Clone)]
pub struct ApiCaller {
    pub user: User,
    pub domain: Domain,
    pub token: ApiToken,
}

impl ApiCaller {
    pub fn rights(&self) -> ActorRights {
        self.user.rights_in(&self.domain)
    }

    /// The caller as the party acting in a service call: the audit trail reads
    /// "101@acme.example (API token 7, nightly sync)" (a name can be used again after a
    /// revoke; the id never is).
    pub fn acting(&self) -> Acting {
        Acting {
            authority: Authority::User(self.rights()),
            audit: AuditActor {
                user_id: Some(self.user.id),
                login: format!(
                    "{}@{} (API token {}, {})",
                    self.user.extension, self.domain.name, self.token.id, self.token.name
                ),
            },
        }
    }
}

/// The token of an `Authorization: Bearer {token}` header (the scheme in any case).
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.trim().split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim().to_owned())
        .filter(|token| !token.is_empty())
}

/// Who an `/api/v1` request is from, found before anything else of the request is read
/// (its path parameters, query or body): a request without a live token is refused with
/// 401 before any other answer, and its body is never read. It wraps the `/api/v1`
/// scope, so it runs on every request routed there. On success the caller waits in the
/// request's extensions for the handler's [`ApiCaller`].
pub async fn authenticate<B: MessageBody + 'static>(
    req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, actix_web::Error> {
    match caller_of(req.request()).await {
        Ok(caller) => {
            req.extensions_mut().insert(caller);
            next.call(req)
                .await
                .map(ServiceResponse::map_into_left_body)
        }
        Err(refusal) => {
            let response = refusal.problem_response();
            Ok(req.into_response(response).map_into_right_body())
        }
    }
}

/// The live token of the request's `Authorization` header, within its owner's rate
/// limit. A missing or refused token counts against the client address's limit of
/// refusals; once that is used up, no token from the address is even looked up (the
/// right one neither, as with sign-in throttling), so guessing is as limited as using.
async fn caller_of(req: &HttpRequest) -> Result<ApiCaller, AppError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| AppError::Internal("no application state".into()))?;
    let ip = crate::web::peer::client_ip(req, &state.settings.trusted_proxies);
    let address = ip.map_or_else(|| "unknown".to_owned(), crate::web::peer::throttling_key);
    if let Some(wait) = state.api_refusals.exhausted(&address, Instant::now()) {
        return Err(AppError::TooManyRequests(wait));
    }
    let refused =
        |refusal: AppError| match state.api_refusals.admit(address.clone(), Instant::now()) {
            Ok(()) => refusal,
            Err(wait) => AppError::TooManyRequests(wait),
        };
    let token = bearer_token(req).ok_or_else(|| refused(AppError::NotSignedIn))?;
    let now = Utc::now().naive_utc();
    let (token, user, domain) = state
        .read(move |conn| token_service::check(conn, &token, now))
        .await?
        .ok_or_else(|| refused(AppError::NotSignedIn))?;
    if user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    state
        .api_limits
        .admit(user.id, Instant::now())
        .map_err(AppError::TooManyRequests)?;
    // A token never used is noted at its first use.
    let stored = token
        .last_used_at
        .unwrap_or(chrono::DateTime::UNIX_EPOCH.naive_utc());
    if state.tokens_seen.claim(token.id, stored, now) {
        let token_id = token.id;
        note_in_background(&state, "an API token", token_id, move |conn| {
            api_tokens::touch(conn, token_id, now)
        });
    }
    Ok(ApiCaller {
        user,
        domain,
        token,
    })
}

impl FromRequest for ApiCaller {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// The caller [`authenticate`] found (it runs on every `/api/v1` request).
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<ApiCaller>().cloned();
        ready(found.ok_or(ApiError(AppError::NotSignedIn)))
    }
}
