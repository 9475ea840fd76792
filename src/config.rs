//! Settings for one portal instance, gathered by `main` from flags and the environment
//! and handed to [`crate::startup::Application::build`]. No global configuration: tests
//! build as many differently configured servers as they like.

use std::net::IpAddr;

use actix_web::cookie::Key;
use sha2::{Digest, Sha256};

use crate::db::DatabaseUrl;

/// Fewest characters accepted in `SESSION_KEY`.
pub const SESSION_KEY_MIN_CHARS: usize = 64;

#[derive(Debug, Clone)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free one.
    pub bind: String,
    /// The address people use to reach the portal, for links in e-mail; when it is
    /// `https://…`, the session cookie is marked Secure.
    pub public_url: Option<String>,
    pub session_key: SessionKey,
    /// Most pooled database connections.
    pub db_pool_size: u32,
    /// HTTP worker threads; `None` means one per core.
    pub workers: Option<usize>,
    /// Whether this instance works on bulk jobs. Instances that share a database may
    /// leave the jobs to others and only serve pages.
    pub run_jobs: bool,
    /// Users a bulk job changes per transaction.
    pub job_batch_size: u32,
    /// Most bytes of rendered Users-page results kept for reuse; 0 keeps none.
    pub results_cache_bytes: usize,
    /// Days a deleted user, and what a reset cleared, can still be put back; then the
    /// job worker removes them for good.
    pub retention_days: u32,
    /// API requests one user may make per minute over all their tokens (a burst of as
    /// many, then that rate), and requests with a refused token one client address
    /// may make; 0 sets no limit.
    pub api_requests_per_minute: u32,
    /// Peers (load balancers) whose `X-Forwarded-For` names the client; from any other
    /// peer the header is the client's own word and is ignored.
    pub trusted_proxies: Vec<IpAddr>,
    /// A secret that opens `/metrics` from anywhere; without it only a request made
    /// on this machine, not through a proxy, may read them.
    pub metrics_token: Option<MetricsToken>,
    pub mail: MailSettings,
}

/// The API rate limit unless set (`PORTAL_API_RATE_LIMIT`).
pub const DEFAULT_API_REQUESTS_PER_MINUTE: u32 = 600;

/// The retention period unless set (`PORTAL_RETENTION_DAYS`).
pub const DEFAULT_RETENTION_DAYS: u32 = 30;

/// Where outgoing mail goes, and what it says about its links.
#[derive(Debug, Clone)]
pub struct MailSettings {
    pub transport: MailTransport,
    /// The From of every message, e.g. `Phone portal <portal@example.com>`.
    pub from: String,
    /// How long a set-password link stays valid.
    pub link_valid_hours: u32,
    /// The wait before the first retry of a failed delivery; it doubles per attempt.
    pub retry_after: std::time::Duration,
    /// The longest one message's whole SMTP conversation may take; past it the message
    /// may have arrived, so it is marked failed, never sent again.
    pub send_deadline: std::time::Duration,
}

impl MailSettings {
    /// Mail that waits in the outbox: no transport, hours-long links, 30 s retries.
    pub fn queued_only() -> Self {
        Self {
            transport: MailTransport::None,
            from: DEFAULT_MAIL_FROM.to_owned(),
            link_valid_hours: DEFAULT_LINK_VALID_HOURS,
            retry_after: std::time::Duration::from_secs(30),
            send_deadline: DEFAULT_SEND_DEADLINE,
        }
    }
}

pub const DEFAULT_MAIL_FROM: &str = "Phone portal <portal@localhost>";
pub const DEFAULT_LINK_VALID_HOURS: u32 = 24;
/// How long one message's SMTP conversation may take in all.
pub const DEFAULT_SEND_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// How the outbox is delivered.
#[derive(Debug, Clone)]
pub enum MailTransport {
    /// Over SMTP, as `SMTP_URL` says.
    Smtp(crate::email::SmtpUrl),
    /// As `.eml` files in a folder (the demo's choice).
    Folder(std::path::PathBuf),
    /// Not at all: messages wait in the outbox until an instance with a transport runs.
    None,
}

impl Settings {
    pub fn secure_cookies(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|url| url.starts_with("https://"))
    }
}

/// The key that encrypts and authenticates session cookies. Its Debug output is
/// redacted so it can never reach a log.
#[derive(Clone)]
pub struct SessionKey {
    key: Key,
    /// Whether the key outlives this process (configured, or kept by the demo): only
    /// then may secrets be sealed with it (see `services::sealing`).
    kept: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("SESSION_KEY must be at least {SESSION_KEY_MIN_CHARS} characters of random text")]
pub struct ShortSessionKey;

impl SessionKey {
    /// A key from configured text, e.g. 64 or more random hexadecimal characters.
    pub fn from_text(text: &str) -> Result<Self, ShortSessionKey> {
        if text.chars().count() < SESSION_KEY_MIN_CHARS {
            return Err(ShortSessionKey);
        }
        Key::try_from(text.as_bytes())
            .map(|key| Self { key, kept: true })
            .map_err(|_| ShortSessionKey)
    }

    /// A random key for this process alone, when none is configured: sessions end when
    /// it stops, and nothing is sealed with it.
    pub fn for_this_process() -> Self {
        Self {
            key: Key::generate(),
            kept: false,
        }
    }

    pub fn is_kept(&self) -> bool {
        self.kept
    }

    /// A fresh random key as text, for the demo to keep beside its database.
    pub fn generate_text() -> Result<String, getrandom::Error> {
        let mut bytes = [0u8; 64];
        getrandom::fill(&mut bytes)?;
        Ok(bytes.iter().map(|byte| format!("{byte:02x}")).collect())
    }

    pub fn key(&self) -> &Key {
        &self.key
    }
}

impl std::fmt::Debug for SessionKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SessionKey(<redacted>)")
    }
}

/// Fewest characters accepted in `PORTAL_METRICS_TOKEN`.
pub const METRICS_TOKEN_MIN_CHARS: usize = 32;

/// The secret that opens `/metrics`; kept as its SHA-256, compared in constant time,
/// and redacted from Debug output.
#[derive(Clone)]
pub struct MetricsToken([u8; 32]);

#[derive(Debug, thiserror::Error)]
#[error(
    "PORTAL_METRICS_TOKEN must be at least {METRICS_TOKEN_MIN_CHARS} characters of random text"
)]
pub struct ShortMetricsToken;

impl MetricsToken {
    pub fn from_text(text: &str) -> Result<Self, ShortMetricsToken> {
        if text.chars().count() < METRICS_TOKEN_MIN_CHARS {
            return Err(ShortMetricsToken);
        }
        Ok(Self(Sha256::digest(text.as_bytes()).into()))
    }

    /// Whether `offered` is the token. Both sides are hashed first, so the comparison
    /// takes as long whatever was offered.
    pub fn matches(&self, offered: &str) -> bool {
        let offered: [u8; 32] = Sha256::digest(offered.as_bytes()).into();
        offered
            .iter()
            .zip(self.0.iter())
            .fold(0u8, |differs, (a, b)| differs | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for MetricsToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MetricsToken(<redacted>)")
    }
}

/// Parses `PORTAL_TRUSTED_PROXIES`: addresses separated by commas or spaces (an
/// IPv4-mapped IPv6 address is taken as the IPv4 one, as peers are compared).
pub fn parse_trusted_proxies(text: &str) -> Result<Vec<IpAddr>, String> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            part.parse::<IpAddr>()
                .map(|ip| ip.to_canonical())
                .map_err(|_| {
                    format!(
                        "PORTAL_TRUSTED_PROXIES: {part:?} is not an IP address (e.g. 127.0.0.1)"
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_keys_are_refused_and_generated_ones_accepted() -> Result<(), Box<dyn std::error::Error>>
    {
        assert!(SessionKey::from_text("too short").is_err());
        let text = SessionKey::generate_text()?;
        assert_eq!(text.len(), 128);
        let key = SessionKey::from_text(&text)?;
        assert_eq!(format!("{key:?}"), "SessionKey(<redacted>)");
        Ok(())
    }

    #[test]
    fn metrics_tokens_are_long_redacted_and_matched_exactly() -> Result<(), ShortMetricsToken> {
        assert!(MetricsToken::from_text("short").is_err());
        let token = MetricsToken::from_text("0123456789abcdef0123456789abcdef")?;
        assert!(token.matches("0123456789abcdef0123456789abcdef"));
        assert!(!token.matches("0123456789abcdef0123456789abcdeF"));
        assert!(!token.matches(""));
        assert_eq!(format!("{token:?}"), "MetricsToken(<redacted>)");
        Ok(())
    }

    #[test]
    fn trusted_proxies_are_addresses() -> Result<(), String> {
        let proxies = parse_trusted_proxies("127.0.0.1, ::1 10.0.0.2")?;
        assert_eq!(proxies.len(), 3);
        assert!(parse_trusted_proxies("").map(|list| list.is_empty())?);
        assert!(parse_trusted_proxies("10.0.0.0/8").is_err());
        Ok(())
    }
}
