//! The Domain settings page (`/domains/{domain}/settings`): read by the domain's Office
//! Managers and above, saved behind the Current password step.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::managed::managed_domain;
use super::recent_password::{self, Guarded, PostedFields};
use crate::db::domains::{Domain, Settings};
use crate::domain::fields::{TimeZoneName, time_zone_names};
use crate::error::{AppError, redirect};
use crate::services::domain_settings::{self as settings_service, SettingsError};
use crate::state::AppState;
use crate::views::domain_settings::DomainSettingsPage;
use crate::views::users::FormField;
use crate::web::paths;
use crate::web::session::{Actor, PortalSession};

pub async fn form(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let shown = settings_service::of(&domain);
    let flash = PortalSession::of(&req).take_flash();
    let page = settings_page(&actor, &domain, domain.settings_version, shown, flash);
    crate::views::ok(&page)
}

pub async fn save(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<PostedFields>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let checked = |name| recent_password::field(&form, name) == "on";
    let typed_zone = recent_password::field(&form, "time_zone");
    let version = recent_password::field(&form, "version")
        .trim()
        .parse::<i32>()
        .map_err(|_| AppError::BadRequest("The form's settings version is missing.".into()))?;
    let settings = Settings {
        portal_security: checked("portal_security"),
        time_zone: typed_zone.to_owned(),
        require_two_step: checked("require_two_step"),
    };
    let zone = match TimeZoneName::parse_required(typed_zone) {
        Ok(zone) => zone,
        Err(invalid) => {
            let mut page = settings_page(&actor, &domain, version, settings, None);
            page.time_zone.error = Some(invalid.to_string());
            return crate::views::page(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let settings = Settings {
        time_zone: zone.as_str().to_owned(),
        ..settings
    };
    let action = paths::domain_settings(&domain.name);
    let guarded = Guarded {
        what: "Saving Domain settings",
        action: &action,
        cancel_href: &action,
    };
    if let Some(step) = recent_password::require(&req, &actor, &state, guarded, &form).await? {
        return Ok(step);
    }
    let acting = actor.acting();
    let on = domain.clone();
    let saved = state
        .db(move |conn| {
            Ok::<_, AppError>(settings_service::save(
                conn, &acting, &on, version, &settings,
            ))
        })
        .await?;
    match saved {
        Ok(saved) => {
            let message = format!("The settings of {} were saved.", saved.name);
            PortalSession::of(&req).set_flash(&message)?;
            Ok(redirect(&action))
        }
        Err(SettingsError::Conflict) => {
            let id = domain.id;
            let stored = state
                .read(move |conn| crate::db::domains::find(conn, id))
                .await?
                .ok_or_else(|| AppError::NotFound("There is no such domain.".into()))?;
            let shown = settings_service::of(&stored);
            let mut page = settings_page(&actor, &stored, stored.settings_version, shown, None);
            page.error = Some(SettingsError::Conflict.to_string());
            crate::views::page(StatusCode::CONFLICT, &page)
        }
        Err(SettingsError::Refused(refusal)) => Err(refusal.into()),
        Err(SettingsError::Database(err)) => Err(err.into()),
    }
}

fn settings_page(
    actor: &Actor,
    domain: &Domain,
    version: i32,
    shown: Settings,
    flash: Option<String>,
) -> DomainSettingsPage {
    DomainSettingsPage {
        chrome: actor.chrome(),
        domain: domain.name.clone(),
        action: paths::domain_settings(&domain.name),
        users_href: paths::users(&domain.name),
        version,
        portal_security: shown.portal_security,
        time_zone: FormField::new(shown.time_zone),
        require_two_step: shown.require_two_step,
        time_zones: time_zone_names(),
        error: None,
        flash,
    }
}
