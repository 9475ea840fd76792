//! `/password/{token}`: the page a welcome or password-reset e-mail links to. Nobody is
//! signed in here; the one-time token is the credential, and a used, expired or unknown
//! token gets a page that says so and changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;
use serde::Deserialize;

use crate::error::AppError;
use crate::services::links::{self, ChosenSecrets, FieldErrors, LinkState, OpenLink, RedeemError};
use crate::state::AppState;
use crate::views::auth::{LinkClosedPage, PasswordSetPage, SetPasswordPage};
use crate::web::session::PortalSession;

pub async fn form(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let action = format!("/password/{token}");
    let now = Utc::now().naive_utc();
    match state
        .db(move |conn| links::inspect(conn, &token, now))
        .await?
    {
        LinkState::Open(link) => {
            form_page(&req, &link, action, FieldErrors::default(), StatusCode::OK)
        }
        closed => closed_page(&closed),
    }
}

#[derive(Deserialize)]
pub struct SetPasswordForm {
    new_password: String,
    confirm_password: String,
    #[serde(default)]
    pin: String,
}

pub async fn save(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<SetPasswordForm>,
) -> Result<HttpResponse, AppError> {
    let token = path.into_inner();
    let action = format!("/password/{token}");
    let SetPasswordForm {
        new_password,
        confirm_password,
        pin,
    } = form.into_inner();
    let chosen = ChosenSecrets {
        new_password,
        confirm_password,
        pin,
    };
    let outcome = {
        let token = token.clone();
        state
            .db(move |conn| Ok::<_, AppError>(links::redeem(conn, &token, &chosen)))
            .await?
    };
    match outcome {
        Ok(login) => crate::views::ok(&PasswordSetPage { login }),
        Err(RedeemError::Invalid(errors)) => {
            let now = Utc::now().naive_utc();
            match state
                .db(move |conn| links::inspect(conn, &token, now))
                .await?
            {
                LinkState::Open(link) => form_page(
                    &req,
                    &link,
                    action,
                    errors,
                    StatusCode::UNPROCESSABLE_ENTITY,
                ),
                closed => closed_page(&closed),
            }
        }
        Err(RedeemError::Closed(closed)) => closed_page(&closed),
        Err(RedeemError::Hash(err)) => Err(err.into()),
        Err(RedeemError::Database(err)) => Err(err.into()),
    }
}

fn form_page(
    req: &HttpRequest,
    link: &OpenLink,
    action: String,
    errors: FieldErrors,
    status: StatusCode,
) -> Result<HttpResponse, AppError> {
    crate::views::page(
        status,
        &SetPasswordPage {
            csrf_token: PortalSession::of(req).csrf_token()?,
            action,
            login: link.login.clone(),
            expires: link.expires_at.format("%Y-%m-%d %H:%M").to_string(),
            pin_required: link.pin_required(),
            errors,
        },
    )
}

fn closed_page(state: &LinkState) -> Result<HttpResponse, AppError> {
    let (status, title, message) = match state {
        LinkState::Used => (
            StatusCode::GONE,
            "This link has been used",
            "This set-password link has been used already; each link works once.",
        ),
        LinkState::Expired => (
            StatusCode::GONE,
            "This link has expired",
            "This set-password link is too old to use.",
        ),
        LinkState::Unknown | LinkState::Open(_) => (
            StatusCode::NOT_FOUND,
            "This link is not valid",
            "This set-password link is not one the portal knows: it may be mistyped, or it was replaced by a newer one.",
        ),
    };
    crate::views::page(status, &LinkClosedPage { title, message })
}
