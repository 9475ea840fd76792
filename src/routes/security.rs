//! The Security page (`/account/security`) and its changes: setting up and turning on
//! an authenticator app, new recovery codes, turning two-step sign-in off. Every change
//! stands behind the Current password step. A user whose domain requires two-step
//! sign-in and who has no second factor may open this page and nothing else.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::Utc;

use super::recent_password::{self, Guarded, PostedFields};
use crate::domain::one_time_codes::RecoveryCode;
use crate::error::{AppError, redirect};
use crate::services::sealing::SealError;
use crate::services::two_step::{self, SecurityStatus, TwoStepError};
use crate::state::AppState;
use crate::views::security::{AppSetup, NewRecoveryCodes, PasskeyLine, SecurityPage};
use crate::views::users::FormField;
use crate::web::paths;
use crate::web::session::{PortalSession, SignedIn};

/// The name the app lists the account under.
const ISSUER: &str = "PBX portal";

/// A signed-in user who may use this page: one with a pending forced password change
/// changes it first.
fn owner(signed_in: SignedIn) -> Result<SignedIn, AppError> {
    if signed_in.user.must_change_password {
        return Err(AppError::PasswordChangeRequired);
    }
    Ok(signed_in)
}

pub async fn page(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let signed_in = owner(signed_in)?;
    let flash = PortalSession::of(&req).take_flash();
    let mut shown = security_page(&signed_in, &state).await?;
    shown.flash = flash;
    crate::views::ok(&shown)
}

/// The page as the user's two-step sign-in stands now.
pub(super) async fn security_page(
    signed_in: &SignedIn,
    state: &AppState,
) -> Result<SecurityPage, AppError> {
    let (sealer, user_id) = (state.sealer.clone(), signed_in.user.id);
    let status: SecurityStatus = state
        .db(move |conn| Ok::<_, AppError>(two_step::status(conn, &sealer, user_id)?))
        .await?;
    let login = signed_in.login();
    Ok(SecurityPage {
        chrome: signed_in.chrome(),
        flash: None,
        error: None,
        required: two_step::is_required_for(&signed_in.user, &signed_in.domain),
        app_on: status.app_on,
        setup: status
            .app_being_set_up
            .and_then(|secret| AppSetup::new(&secret.otpauth_uri(ISSUER, &login), secret.base32())),
        passkeys: status
            .passkeys
            .into_iter()
            .map(|key| PasskeyLine {
                remove_action: format!("{}/passkeys/{}/remove", paths::ACCOUNT_SECURITY, key.id),
                name: key.name,
                added: key.created_at.into(),
            })
            .collect(),
        recovery_codes_left: status.recovery_codes_left,
        new_codes: None,
        passkeys_available: state.relying_party.is_some(),
        passkey_name: FormField::default(),
        adding: None,
    })
}

/// The owner of the page, free to make the change called `what` (posted to `/account/
/// security{tail}`); or the answer to give instead: the forced password change, or the
/// Current password step when the password is not recent.
pub(super) async fn may_change(
    req: &HttpRequest,
    signed_in: SignedIn,
    state: &AppState,
    (what, tail): (&'static str, &str),
    form: &PostedFields,
) -> Result<Result<SignedIn, HttpResponse>, AppError> {
    let signed_in = owner(signed_in)?;
    let action = format!("{}{tail}", paths::ACCOUNT_SECURITY);
    let guarded = Guarded {
        what,
        action: &action,
        cancel_href: paths::ACCOUNT_SECURITY,
    };
    Ok(
        match recent_password::require(req, &signed_in, state, guarded, form).await? {
            Some(step) => Err(step),
            None => Ok(signed_in),
        },
    )
}

/// A refusal of a change, shown on the page.
pub(super) async fn refused(
    signed_in: &SignedIn,
    state: &AppState,
    status: StatusCode,
    message: String,
) -> Result<HttpResponse, AppError> {
    let mut shown = security_page(signed_in, state).await?;
    shown.error = Some(message);
    crate::views::page(status, &shown)
}

fn status_of(err: &TwoStepError) -> Result<StatusCode, AppError> {
    Ok(match err {
        TwoStepError::AppAlreadyOn | TwoStepError::NoFactor | TwoStepError::NotSetUp => {
            StatusCode::CONFLICT
        }
        TwoStepError::WrongCode => StatusCode::UNPROCESSABLE_ENTITY,
        TwoStepError::Seal(SealError::KeyNotKept) => StatusCode::SERVICE_UNAVAILABLE,
        TwoStepError::Seal(err) => return Err(AppError::Internal(err.to_string())),
        TwoStepError::Database(err) => return Err(AppError::Internal(err.to_string())),
    })
}

pub async fn set_up_app(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let what = ("Setting up an authenticator app", "/app/set-up");
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let (sealer, user_id) = (state.sealer.clone(), signed_in.user.id);
    let now = Utc::now().naive_utc();
    let set_up = state
        .db(move |conn| Ok::<_, AppError>(two_step::set_up_app(conn, &sealer, user_id, now)))
        .await?;
    match set_up {
        Ok(_) => crate::views::ok(&security_page(&signed_in, &state).await?),
        Err(err) => refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    }
}

pub async fn turn_on_app(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let what = ("Turning on an authenticator app", "/app/turn-on");
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let typed = recent_password::field(&form, "code").to_owned();
    let (sealer, user) = (state.sealer.clone(), signed_in.user.clone());
    let now = Utc::now().naive_utc();
    let turned_on = state
        .db(move |conn| Ok::<_, AppError>(two_step::turn_on_app(conn, &sealer, &user, &typed, now)))
        .await?;
    let mut shown = security_page(&signed_in, &state).await?;
    match turned_on {
        Ok(codes) => {
            shown.flash = Some("Two-step sign-in is on: your authenticator app.".to_owned());
            shown.new_codes = codes.map(shown_codes);
            crate::views::ok(&shown)
        }
        Err(TwoStepError::WrongCode) => {
            let message = TwoStepError::WrongCode.to_string();
            match shown.setup.as_mut() {
                Some(setup) => setup.code_error = Some(message),
                None => shown.error = Some(message),
            }
            crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &shown)
        }
        Err(err) => {
            shown.error = Some(err.to_string());
            crate::views::page(status_of(&err)?, &shown)
        }
    }
}

pub(super) fn shown_codes(codes: Vec<RecoveryCode>) -> NewRecoveryCodes {
    NewRecoveryCodes::new(codes.iter().map(RecoveryCode::shown).collect())
}

pub async fn new_recovery_codes(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let what = ("Making new recovery codes", "/recovery-codes");
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let user = signed_in.user.clone();
    let now = Utc::now().naive_utc();
    let made = state
        .db(move |conn| Ok::<_, AppError>(two_step::new_recovery_codes(conn, &user, now)))
        .await?;
    match made {
        Ok(codes) => {
            let mut shown = security_page(&signed_in, &state).await?;
            shown.flash = Some("Your new recovery codes replace every old one.".to_owned());
            shown.new_codes = Some(shown_codes(codes));
            crate::views::ok(&shown)
        }
        Err(err) => refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    }
}

pub async fn turn_off(
    req: HttpRequest,
    signed_in: SignedIn,
    state: web::Data<AppState>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let what = ("Turning off two-step sign-in", "/off");
    let signed_in = match may_change(&req, signed_in, &state, what, &form).await? {
        Ok(signed_in) => signed_in,
        Err(step) => return Ok(step),
    };
    let user = signed_in.user.clone();
    let turned_off = state
        .db(move |conn| Ok::<_, AppError>(two_step::turn_off(conn, &user)))
        .await?;
    match turned_off {
        Ok(()) => {
            PortalSession::of(&req).set_flash("Two-step sign-in is off.")?;
            Ok(redirect(paths::ACCOUNT_SECURITY))
        }
        Err(err) => refused(&signed_in, &state, status_of(&err)?, err.to_string()).await,
    }
}
