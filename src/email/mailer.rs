//! The mailer: one way to hand a message over, chosen by settings. SMTP in production
//! (`SMTP_URL`), `.eml` files in a folder for the demo, memory for unit tests. Failures
//! come back as [`MailError`]: a sentence an office manager can act on, and whether
//! trying again later may help.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::smtp_url::{SmtpSecurity, SmtpUrl};
use crate::config::{MailSettings, MailTransport};

/// How long one SMTP command may wait for its answer before it counts as failed.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

/// A message to hand over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub from: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// The same id on every attempt, so a receiving system can tell a retry from a
    /// second message.
    pub message_id: String,
}

#[derive(Clone)]
pub enum Mailer {
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        url: SmtpUrl,
        /// The longest a whole conversation may take (see [`MailError::uncertain`]).
        deadline: Duration,
    },
    Folder {
        transport: AsyncFileTransport<Tokio1Executor>,
        path: PathBuf,
    },
    Memory(Arc<Mutex<Vec<Outgoing>>>),
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[error("{message}")]
pub struct MailError {
    pub message: String,
    /// Whether the same message may go through later (server down, busy, or a
    /// configuration that can be fixed); false when the server refused this message.
    pub retry: bool,
}

impl MailError {
    fn permanent(message: String) -> Self {
        Self {
            message,
            retry: false,
        }
    }

    fn temporary(message: String) -> Self {
        Self {
            message,
            retry: true,
        }
    }

    /// A conversation cut off once the message was on its way: the server may have
    /// taken it already, so it is not tried again (as after a crash mid-delivery).
    fn uncertain(server: &str, deadline: Duration) -> Self {
        Self::permanent(format!(
            "The mail server at {server} did not finish within {} seconds; the message may have arrived, so it is not sent again.",
            deadline.as_secs()
        ))
    }
}

impl Mailer {
    /// The mailer the settings ask for, or `None` when mail is to wait in the outbox.
    pub fn from_settings(settings: &MailSettings) -> Result<Option<Self>, MailError> {
        Ok(match &settings.transport {
            MailTransport::Smtp(url) => Some(Self::smtp(url, settings.send_deadline)?),
            MailTransport::Folder(path) => {
                std::fs::create_dir_all(path).map_err(|err| {
                    MailError::permanent(format!(
                        "Cannot create the mail folder {}: {err}",
                        path.display()
                    ))
                })?;
                Some(Self::Folder {
                    transport: AsyncFileTransport::<Tokio1Executor>::new(path),
                    path: path.clone(),
                })
            }
            MailTransport::None => None,
        })
    }

    fn smtp(url: &SmtpUrl, deadline: Duration) -> Result<Self, MailError> {
        let tls_parameters = TlsParameters::new(url.host.clone()).map_err(|err| {
            MailError::permanent(format!("Cannot set up TLS for {}: {err}", url.host))
        })?;
        let tls = match url.security {
            SmtpSecurity::StartTlsWhenOffered => Tls::Opportunistic(tls_parameters),
            SmtpSecurity::StartTlsRequired => Tls::Required(tls_parameters),
            SmtpSecurity::Tls => Tls::Wrapper(tls_parameters),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&url.host)
            .port(url.port)
            .tls(tls)
            .timeout(Some(SMTP_TIMEOUT));
        if let Some((user, password)) = &url.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(Self::Smtp {
            transport: builder.build(),
            url: url.clone(),
            deadline,
        })
    }

    /// A mailer that keeps what it is given, for tests.
    pub fn memory() -> (Self, Arc<Mutex<Vec<Outgoing>>>) {
        let kept = Arc::new(Mutex::new(Vec::new()));
        (Self::Memory(Arc::clone(&kept)), kept)
    }

    /// Where the mail goes, in words, e.g. for the demo's banner.
    pub fn destination(&self) -> String {
        match self {
            Self::Smtp { url, .. } => format!("the mail server at {url:?}"),
            Self::Folder { path, .. } => format!("files in {}", path.display()),
            Self::Memory(_) => "memory".to_owned(),
        }
    }

    pub async fn send(&self, outgoing: &Outgoing) -> Result<(), MailError> {
        if let Self::Memory(kept) = self {
            kept.lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner())
                .push(outgoing.clone());
            return Ok(());
        }
        let message = build(outgoing)?;
        match self {
            Self::Smtp {
                transport,
                url,
                deadline,
            } => send_within(transport, url, *deadline, message).await,
            Self::Folder { transport, path } => {
                transport.send(message).await.map(drop).map_err(|err| {
                    MailError::temporary(format!(
                        "Cannot write the message into {}: {err}",
                        path.display()
                    ))
                })
            }
            Self::Memory(_) => Ok(()),
        }
    }
}

/// One message over SMTP, the whole conversation within `deadline`. The server is
/// reached first (connection, TLS, greeting, login): failing or going quiet there, it
/// has nothing, and the message may be tried again. Once the message is on its way, a
/// server that goes quiet may have taken it already, so it is never sent again.
async fn send_within(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    url: &SmtpUrl,
    deadline: Duration,
    message: Message,
) -> Result<(), MailError> {
    let server = format!("{}:{}", url.host, url.port);
    let started = tokio::time::Instant::now();
    match tokio::time::timeout(deadline, transport.test_connection()).await {
        Err(_elapsed) => {
            return Err(MailError::temporary(format!(
                "The mail server at {server} did not answer within {} seconds.",
                deadline.as_secs()
            )));
        }
        Ok(Err(err)) => return Err(describe_smtp_error(&err, url)),
        Ok(Ok(false)) => {
            return Err(MailError::temporary(format!(
                "The connection to the mail server at {server} did not hold."
            )));
        }
        Ok(Ok(true)) => {}
    }
    let left = deadline.saturating_sub(started.elapsed());
    match tokio::time::timeout(left, transport.send(message)).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) if err.is_timeout() => Err(MailError::uncertain(&server, deadline)),
        Ok(Err(err)) => Err(describe_smtp_error(&err, url)),
        Err(_elapsed) => Err(MailError::uncertain(&server, deadline)),
    }
}

fn build(outgoing: &Outgoing) -> Result<Message, MailError> {
    let from: Mailbox = outgoing.from.parse().map_err(|err| {
        MailError::permanent(format!(
            "The sender address {:?} is not valid: {err}",
            outgoing.from
        ))
    })?;
    let to: Mailbox = outgoing.to.parse().map_err(|err| {
        MailError::permanent(format!("The address {:?} is not valid: {err}", outgoing.to))
    })?;
    Message::builder()
        .from(from)
        .to(to)
        .subject(outgoing.subject.clone())
        .message_id(Some(outgoing.message_id.clone()))
        .multipart(MultiPart::alternative_plain_html(
            outgoing.text.clone(),
            outgoing.html.clone(),
        ))
        .map_err(|err| MailError::permanent(format!("Cannot build the message: {err}")))
}

/// SMTP failures in words, with what to check.
fn describe_smtp_error(err: &lettre::transport::smtp::Error, url: &SmtpUrl) -> MailError {
    let server = format!("{}:{}", url.host, url.port);
    let code = err.status().map(|code| code.to_string());
    if matches!(code.as_deref(), Some("530" | "534" | "535" | "538")) {
        return MailError::temporary(format!(
            "The mail server at {server} refused the portal's login ({err}). Check the user and password in SMTP_URL."
        ));
    }
    if err.is_permanent() {
        return MailError::permanent(format!(
            "The mail server at {server} refused this message: {err}"
        ));
    }
    if err.is_transient() {
        return MailError::temporary(format!(
            "The mail server at {server} asked to try again later: {err}"
        ));
    }
    if err.is_tls() {
        return MailError::temporary(format!(
            "The secure connection to {server} failed ({err}). Check smtp:// against smtps:// in SMTP_URL and the server's certificate."
        ));
    }
    if err.is_timeout() {
        return MailError::temporary(format!(
            "The mail server at {server} did not answer in time."
        ));
    }
    let refused = std::error::Error::source(err)
        .and_then(|source| source.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    match refused {
        Some(std::io::ErrorKind::ConnectionRefused) => MailError::temporary(format!(
            "Cannot reach the mail server at {server}: nothing is listening there (is it running?)."
        )),
        _ => MailError::temporary(format!("Cannot reach the mail server at {server}: {err}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outgoing(to: &str) -> Outgoing {
        Outgoing {
            from: crate::config::DEFAULT_MAIL_FROM.to_owned(),
            to: to.to_owned(),
            subject: "Hello".to_owned(),
            text: "text".to_owned(),
            html: "<p>html</p>".to_owned(),
            message_id: "<1@pbx-portal>".to_owned(),
        }
    }

    #[tokio::test]
    async fn memory_keeps_what_it_is_given() -> Result<(), MailError> {
        let (mailer, kept) = Mailer::memory();
        mailer.send(&outgoing("ben@acme.example")).await?;
        let kept = kept.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        assert_eq!(kept.as_slice(), &[outgoing("ben@acme.example")]);
        Ok(())
    }

    #[test]
    fn a_bad_address_is_refused_for_good() {
        let refused = build(&outgoing("not an address"));
        assert!(matches!(refused, Err(MailError { retry: false, .. })));
    }

    #[tokio::test]
    async fn an_absent_server_is_worth_retrying_and_says_so()
    -> Result<(), Box<dyn std::error::Error>> {
        // Bind and drop a listener: a loopback port with nothing behind it.
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let url = SmtpUrl::parse(&format!("smtp://127.0.0.1:{port}"))?;
        let mailer = Mailer::smtp(&url, Duration::from_secs(60))?;
        let Err(err) = mailer.send(&outgoing("ben@acme.example")).await else {
            return Err("a send to a closed port succeeded".into());
        };
        assert!(err.retry);
        assert!(
            err.message.contains(&format!("127.0.0.1:{port}")),
            "{}",
            err.message
        );
        Ok(())
    }
}
