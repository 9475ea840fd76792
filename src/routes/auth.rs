//! Sign-in, sign-out, the forced password change, and the start page that sends each
//! user where their scope belongs.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::db::users::User;
use crate::domain::Refusal;
use crate::error::{AppError, redirect};
use crate::services::auth::{
    self, ChangePasswordError, PasswordPassed, PendingSignIn, SignInError,
};
use crate::services::sessions::{self, Client};
use crate::state::AppState;
use crate::views::auth::{ChangePasswordPage, LoginPage, SignOutPage};
use crate::web::paths;
use crate::web::session::{Actor, PortalSession, SignedIn};

/// Longest password a sign-in attempt may carry; longer ones are refused unhashed.
const MAX_PASSWORD_BYTES: usize = 1024;

/// Where a signed-in user starts: the domain list for Resellers and Super Users, their
/// own domain's Users page for Office Managers, a refusal for everyone else.
pub async fn home(actor: Actor) -> Result<HttpResponse, AppError> {
    let scope = actor.user.scope;
    if scope.picks_domains() {
        Ok(redirect(paths::DOMAINS))
    } else if scope.manages_users() {
        Ok(redirect(&paths::users(&actor.domain.name)))
    } else {
        Err(Refusal::ScopeTooLow.into())
    }
}

pub async fn login_form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    crate::views::ok(&LoginPage {
        csrf_token: session.csrf_token()?,
        login: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
pub struct LoginForm {
    login: String,
    password: String,
}

pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    form: web::Form<LoginForm>,
) -> Result<HttpResponse, AppError> {
    let LoginForm { login, password } = form.into_inner();
    let session = PortalSession::of(&req);
    let attempt = if password.len() > MAX_PASSWORD_BYTES {
        Err(SignInError::Refused)
    } else {
        sign_in(&req, &state, &login, password).await?
    };
    match attempt {
        Ok((user, PasswordPassed::Session(token))) => {
            session.start(&token)?;
            tracing::info!(user_id = %user.id, "signed in");
            Ok(redirect(first_page(&user)))
        }
        Ok((user, PasswordPassed::SecondStep(token))) => {
            session.start_second_step(&token)?;
            tracing::info!(user_id = %user.id, "password right; second step open");
            Ok(redirect(paths::SIGN_IN_SECOND_STEP))
        }
        Err(refusal @ (SignInError::Refused | SignInError::Throttled)) => {
            let status = match refusal {
                SignInError::Throttled => StatusCode::TOO_MANY_REQUESTS,
                _ => StatusCode::UNAUTHORIZED,
            };
            let mut kept = login;
            kept.truncate(kept.floor_char_boundary(300));
            crate::views::page(
                status,
                &LoginPage {
                    csrf_token: session.csrf_token()?,
                    login: kept,
                    error: Some(refusal.to_string()),
                },
            )
        }
        Err(SignInError::Database(err)) => Err(err.into()),
        Err(SignInError::Session(err)) => Err(AppError::Internal(err.to_string())),
    }
}

/// Where a user goes once signed in: the forced password change first, else the start.
pub fn first_page(user: &User) -> &'static str {
    if user.must_change_password {
        paths::CHANGE_PASSWORD
    } else {
        "/"
    }
}

/// Counts the attempt (a database transaction), verifies the password (on a hashing
/// slot, holding no connection), and on success opens a session or the second step (a
/// second transaction). Returns the user and where the password led.
async fn sign_in(
    req: &HttpRequest,
    state: &AppState,
    login: &str,
    password: String,
) -> Result<Result<(User, PasswordPassed), SignInError>, AppError> {
    let (address, client) = asking(req, state);
    let pending = match verified_password(state, login, address, password).await? {
        Ok(pending) => pending,
        Err(refused) => return Ok(Err(refused)),
    };
    state
        .db(move |conn| Ok::<_, AppError>(auth::finish_sign_in(conn, &pending, &client)))
        .await
}

/// Who is asking: the address throttling counts them by, and the client their session
/// will show. The peer itself, or the client a trusted load balancer names: otherwise a
/// forwarded-for header is the client's to write, and not believed for throttling.
pub fn asking(req: &HttpRequest, state: &AppState) -> (String, Client) {
    let ip = crate::web::peer::client_ip(req, &state.settings.trusted_proxies);
    let address = ip.map_or_else(|| "unknown".to_owned(), crate::web::peer::throttling_key);
    let client = Client {
        user_agent: req
            .headers()
            .get(header::USER_AGENT)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned(),
        address: ip.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string()),
    };
    (address, client)
}

/// Counts an attempt at `login`'s password from `address` (a database transaction, where
/// throttling refuses it) and verifies the password (on a hashing slot, holding no
/// connection): the sign-in under way when the password is right. Signing in and the
/// Current password step both check a password this way.
pub async fn verified_password(
    state: &AppState,
    login: &str,
    address: String,
    password: String,
) -> Result<Result<PendingSignIn, SignInError>, AppError> {
    let typed = login.to_owned();
    let pending = match state
        .db(move |conn| Ok::<_, AppError>(auth::begin_sign_in(conn, &typed, &address)))
        .await?
    {
        Ok(pending) => pending,
        Err(refused) => return Ok(Err(refused)),
    };
    let shield = state.shield.clone();
    let (pending, verified) = state
        .hash(move || {
            let verified = auth::verify(&shield, &pending, &password);
            (pending, verified)
        })
        .await?;
    Ok(if verified {
        Ok(pending)
    } else {
        Err(SignInError::Refused)
    })
}

/// A page with a Sign out button, for links (error pages have no CSRF token to post).
pub async fn sign_out_form(req: HttpRequest) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    crate::views::ok(&SignOutPage {
        csrf_token: session.csrf_token()?,
        signed_in: session.has_user(),
    })
}

/// Ends the session for good: its row is deleted, so no copy of the cookie opens
/// anything afterwards; then the browser is told to forget the cookie.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let session = PortalSession::of(&req);
    if let Some(token) = session.token() {
        state.db(move |conn| sessions::close(conn, &token)).await?;
    }
    session.end();
    Ok(redirect(paths::LOGIN))
}

pub async fn change_password_form(signed_in: SignedIn) -> Result<HttpResponse, AppError> {
    if !signed_in.user.must_change_password {
        return Ok(redirect("/"));
    }
    crate::views::ok(&ChangePasswordPage {
        chrome: signed_in.chrome(),
        new_password_error: None,
        confirm_error: None,
    })
}

#[derive(Deserialize)]
pub struct ChangePasswordForm {
    new_password: String,
    confirm_password: String,
}

pub async fn change_password(
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<ChangePasswordForm>,
) -> Result<HttpResponse, AppError> {
    let ChangePasswordForm {
        new_password,
        confirm_password,
    } = form.into_inner();
    let user = signed_in.user.clone();
    let domain_name = signed_in.domain.name.clone();
    let current_session = signed_in.session_id;
    let outcome = state
        .db(move |conn| {
            Ok::<_, AppError>(auth::change_own_password(
                conn,
                &user,
                current_session,
                &domain_name,
                &new_password,
                &confirm_password,
            ))
        })
        .await?;
    let (new_password_error, confirm_error) = match outcome {
        Ok(()) => return Ok(redirect("/")),
        Err(ChangePasswordError::NotRequired) => return Ok(redirect("/")),
        Err(ChangePasswordError::NewPassword(invalid)) => (Some(invalid.to_string()), None),
        Err(ChangePasswordError::Mismatch) => {
            (None, Some(ChangePasswordError::Mismatch.to_string()))
        }
        Err(ChangePasswordError::Hash(err)) => return Err(err.into()),
        Err(ChangePasswordError::Database(err)) => return Err(err.into()),
    };
    crate::views::page(
        StatusCode::UNPROCESSABLE_ENTITY,
        &ChangePasswordPage {
            chrome: signed_in.chrome(),
            new_password_error,
            confirm_error,
        },
    )
}
