//! The Super User's test message: sent at once, past the outbox, so whoever runs the
//! portal sees straight away whether the mail settings work and, if not, why. Only a
//! Super User may send one; each attempt is audited, sent or not.

use super::Acting;
use super::Authority;
use crate::db::DbConn;
use crate::db::audit::{self, NewAuditEvent};
use crate::domain::{Email, Refusal, Scope};
use crate::email::mailer::{Mailer, Outgoing};
use crate::email::messages;

/// What came of a test message, in words for the person who sent it.
#[derive(Debug, Clone)]
pub struct TestMailOutcome(pub String);

/// Whether `acting` may send a test message: Super Users (and the command line).
pub fn may_send(acting: &Acting) -> Result<(), Refusal> {
    match &acting.authority {
        Authority::CommandLine => Ok(()),
        Authority::User(rights) if rights.scope == Scope::SuperUser => Ok(()),
        Authority::User(_) => Err(Refusal::ScopeTooLow),
    }
}

/// Where and how to send it.
pub struct TestMail<'a> {
    pub mailer: Option<&'a Mailer>,
    pub from: &'a str,
    pub portal: &'a str,
    pub to: &'a Email,
}

/// Sends the test message now and says how it went. Record it with [`record`].
pub async fn send(acting: &Acting, mail: TestMail<'_>) -> Result<TestMailOutcome, Refusal> {
    may_send(acting)?;
    let to = mail.to.as_str();
    let sent = match mail.mailer {
        None => Err("No mail transport is set: start the portal with SMTP_URL.".to_owned()),
        Some(mailer) => match messages::test(&acting.audit.login, mail.portal) {
            Err(err) => Err(format!("The message could not be written: {err}")),
            Ok(rendered) => {
                let outgoing = Outgoing {
                    from: mail.from.to_owned(),
                    to: to.to_owned(),
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
        },
    };
    Ok(TestMailOutcome(match sent {
        Ok(()) => format!("A test e-mail was sent to {to}."),
        Err(error) => format!("The test e-mail to {to} was not sent. {error}"),
    }))
}

#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for RecordError {
    fn from(refusal: Refusal) -> Self {
        RecordError::Refused(refusal)
    }
}

/// Records a test message in the audit trail.
pub fn record(
    conn: &mut DbConn,
    acting: &Acting,
    outcome: &TestMailOutcome,
) -> Result<(), RecordError> {
    may_send(acting)?;
    audit::record(
        conn,
        &NewAuditEvent {
            domain_id: None,
            actor_id: acting.audit.user_id,
            actor_login: &acting.audit.login,
            action: audit::MAIL_TEST,
            target_user_id: None,
            target: "",
            details: &outcome.0,
        },
    )?;
    Ok(())
}
