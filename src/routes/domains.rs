//! The domain picker: the domains a Reseller or Super User may open, and for Super
//! Users the state of mail delivery with a "Send test e-mail" action.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::paths;
use super::session::{Actor, PortalSession};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains;
use crate::domain::{Email, Refusal, Scope};
use crate::email::mailer::Outgoing;
use crate::email::messages;
use crate::error::{AppError, redirect};
use crate::state::AppState;
use crate::views::domains::{DomainLink, DomainListPage};

pub async fn list(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let rights = actor.rights();
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    let reach = rights.reach();
    let found = state
        .db(move |conn| domains::list_reachable(conn, reach))
        .await?;
    let domains = found
        .into_iter()
        .map(|domain| DomainLink {
            users_path: paths::users(&domain.name),
            name: domain.name,
            description: domain.description,
        })
        .collect();
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
    if actor.rights().scope != Scope::SuperUser {
        return Err(Refusal::ScopeTooLow.into());
    }
    let to = Email::parse(&form.to)
        .map_err(|invalid| AppError::BadRequest(format!("Test e-mail address: {invalid}")))?;
    let outcome = match &state.mailer {
        None => Err("No mail transport is set: start the portal with SMTP_URL.".to_owned()),
        Some(mailer) => {
            let rendered = messages::test(&actor.login(), &state.links.base_url)
                .map_err(|err| AppError::Internal(format!("template: {err}")))?;
            let outgoing = Outgoing {
                from: state.settings.mail.from.clone(),
                to: to.as_str().to_owned(),
                subject: rendered.subject,
                text: rendered.text,
                html: rendered.html,
                message_id: format!(
                    "<test-{}@pbx-portal>",
                    chrono::Utc::now().timestamp_micros()
                ),
            };
            mailer.send(&outgoing).await.map_err(|err| err.message)
        }
    };
    let message = match &outcome {
        Ok(()) => format!("A test e-mail was sent to {}.", to.as_str()),
        Err(error) => format!("The test e-mail to {} was not sent. {error}", to.as_str()),
    };
    let acting = actor.acting();
    let details = message.clone();
    state
        .db(move |conn| {
            audit::record(
                conn,
                &NewAuditEvent {
                    domain_id: None,
                    actor_id: acting.audit.user_id,
                    actor_login: &acting.audit.login,
                    action: audit::MAIL_TEST,
                    target_user_id: None,
                    target: "",
                    details: &details,
                },
            )
        })
        .await?;
    PortalSession::of(&req).set_flash(&message)?;
    Ok(redirect(paths::DOMAINS))
}
