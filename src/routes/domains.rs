//! The domain picker: the domains a Reseller or Super User may open, and for Super
//! Users the state of mail delivery with a "Send test e-mail" action.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::domain::{Email, Scope};
use crate::error::{AppError, redirect};
use crate::services::domains as domain_service;
use crate::services::test_mail::{self, TestMail};
use crate::state::AppState;
use crate::views::domains::{DomainLink, DomainListPage};
use crate::web::paths;
use crate::web::session::{Actor, PortalSession};

pub async fn list(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let rights = actor.rights();
    let found = state
        .db(move |conn| domain_service::reachable(conn, &rights))
        .await?;
    let domains = found.into_iter().map(DomainLink::from).collect();
    let mail_delivery = (rights.scope == Scope::SuperUser).then(|| match &state.mailer {
        Some(mailer) => format!("Mail is delivered to {}.", mailer.destination()),
        None => "No mail transport is set (SMTP_URL): messages wait in the outbox.".to_owned(),
    });
    crate::views::ok(&DomainListPage {
        chrome: actor.chrome(),
        domains,
        flash: PortalSession::of(&req).take_flash(),
        mail_delivery,
    })
}

#[derive(Deserialize)]
pub struct TestMailForm {
    to: String,
}

/// Sends a test message at once, past the outbox, so a Super User sees straight away
/// whether the mail settings work and, if not, why.
pub async fn send_test_mail(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    form: web::Form<TestMailForm>,
) -> Result<HttpResponse, AppError> {
    let acting = actor.acting();
    test_mail::may_send(&acting)?;
    let to = Email::parse(&form.to)
        .map_err(|invalid| AppError::BadRequest(format!("Test e-mail address: {invalid}")))?;
    let mail = TestMail {
        mailer: state.mailer.as_ref(),
        from: &state.settings.mail.from,
        portal: &state.links.base_url,
        to: &to,
    };
    let outcome = test_mail::send(&acting, mail).await?;
    let recorded = outcome.clone();
    state
        .db(move |conn| test_mail::record(conn, &acting, &recorded))
        .await?;
    PortalSession::of(&req).set_flash(&outcome.0)?;
    Ok(redirect(paths::DOMAINS))
}
