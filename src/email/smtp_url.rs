//! `SMTP_URL`: `smtp://[user:pass@]host[:port]` (STARTTLS when the server offers it; with
//! a user and password, STARTTLS is required, so they never cross the network in the
//! clear, unless `?tls=opportunistic` says so) or `smtps://[user:pass@]host[:port]`
//! (TLS from the first byte). `?tls=required` requires STARTTLS without credentials too. Parsed once at start, so
//! a mistyped URL stops the portal with a message instead of failing every delivery.

use std::fmt;

/// How the connection to the mail server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtp://`: plain, upgraded with STARTTLS when the server offers it.
    StartTlsWhenOffered,
    /// `smtp://` with credentials (or `?tls=required`): STARTTLS or no delivery.
    StartTlsRequired,
    /// `smtps://`: TLS from the start.
    Tls,
}

#[derive(Clone, PartialEq, Eq)]
pub struct SmtpUrl {
    pub security: SmtpSecurity,
    pub host: String,
    pub port: u16,
    pub credentials: Option<(String, String)>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("SMTP_URL {0}; expected smtp://[user:pass@]host:port or smtps://[user:pass@]host:port")]
pub struct BadSmtpUrl(&'static str);

impl SmtpUrl {
    pub fn parse(text: &str) -> Result<Self, BadSmtpUrl> {
        let (security, rest) = if let Some(rest) = text.strip_prefix("smtp://") {
            (SmtpSecurity::StartTlsWhenOffered, rest)
        } else if let Some(rest) = text.strip_prefix("smtps://") {
            (SmtpSecurity::Tls, rest)
        } else {
            return Err(BadSmtpUrl("must start with smtp:// or smtps://"));
        };
        let (rest, tls) = match rest.split_once('?') {
            Some((rest, "tls=opportunistic")) => (rest, Some(SmtpSecurity::StartTlsWhenOffered)),
            Some((rest, "tls=required")) => (rest, Some(SmtpSecurity::StartTlsRequired)),
            Some(_) => {
                return Err(BadSmtpUrl(
                    "has a query other than ?tls=opportunistic or ?tls=required",
                ));
            }
            None => (rest, None),
        };
        if tls.is_some() && security == SmtpSecurity::Tls {
            return Err(BadSmtpUrl(
                "is smtps://, which is TLS already; drop its ?tls=",
            ));
        }
        let authority = rest.trim_end_matches('/');
        if authority.contains(['/', '?', '#']) {
            return Err(BadSmtpUrl("has a path, which means nothing here"));
        }
        let (credentials, host_port) = match authority.rsplit_once('@') {
            Some((userinfo, host_port)) => {
                let (user, pass) = userinfo
                    .split_once(':')
                    .ok_or(BadSmtpUrl("names a user without a password"))?;
                let user = percent_decode(user)?;
                let pass = percent_decode(pass)?;
                (Some((user, pass)), host_port)
            }
            None => (None, authority),
        };
        let security = match (security, tls, &credentials) {
            (SmtpSecurity::Tls, _, _) => SmtpSecurity::Tls,
            (_, Some(chosen), _) => chosen,
            (_, None, Some(_)) => SmtpSecurity::StartTlsRequired,
            (_, None, None) => SmtpSecurity::StartTlsWhenOffered,
        };
        let default_port = match security {
            SmtpSecurity::StartTlsWhenOffered | SmtpSecurity::StartTlsRequired => 587,
            SmtpSecurity::Tls => 465,
        };
        // An IPv6 address comes in brackets: [::1]:25.
        let (host, port) = match host_port.strip_prefix('[') {
            Some(bracketed) => {
                let (host, after) = bracketed
                    .split_once(']')
                    .ok_or(BadSmtpUrl("has an unclosed [ in its host"))?;
                (host, after.strip_prefix(':'))
            }
            None => match host_port.rsplit_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (host_port, None),
            },
        };
        let port = match port {
            Some(port) => port
                .parse::<u16>()
                .ok()
                .filter(|port| *port > 0)
                .ok_or(BadSmtpUrl(
                    "has a port that is not a number from 1 to 65535",
                ))?,
            None => default_port,
        };
        if host.is_empty() {
            return Err(BadSmtpUrl("names no host"));
        }
        Ok(Self {
            security,
            host: host.to_owned(),
            port,
            credentials,
        })
    }
}

/// The URL without its password, for logs and messages.
impl fmt::Debug for SmtpUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (scheme, query) = match (self.security, &self.credentials) {
            (SmtpSecurity::StartTlsWhenOffered, Some(_)) => ("smtp", "?tls=opportunistic"),
            (SmtpSecurity::StartTlsRequired, None) => ("smtp", "?tls=required"),
            (SmtpSecurity::StartTlsWhenOffered | SmtpSecurity::StartTlsRequired, _) => ("smtp", ""),
            (SmtpSecurity::Tls, _) => ("smtps", ""),
        };
        let user = match &self.credentials {
            Some((user, _)) => format!("{user}:<redacted>@"),
            None => String::new(),
        };
        write!(f, "{scheme}://{user}{}:{}{query}", self.host, self.port)
    }
}

fn percent_decode(text: &str) -> Result<String, BadSmtpUrl> {
    const BAD: BadSmtpUrl = BadSmtpUrl("has a broken %-escape in its user or password");
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = text.get(i + 1..i + 3).ok_or(BAD)?;
            decoded.push(u8::from_str_radix(hex, 16).map_err(|_| BAD)?);
            i += 3;
        } else {
            decoded.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(decoded).map_err(|_| BAD)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_url_with_port_uses_starttls_when_offered() -> Result<(), BadSmtpUrl> {
        let url = SmtpUrl::parse("smtp://127.0.0.1:2525")?;
        assert_eq!(url.security, SmtpSecurity::StartTlsWhenOffered);
        assert_eq!((url.host.as_str(), url.port), ("127.0.0.1", 2525));
        assert_eq!(url.credentials, None);
        Ok(())
    }

    #[test]
    fn credentials_are_percent_decoded_and_never_shown() -> Result<(), BadSmtpUrl> {
        let url = SmtpUrl::parse("smtps://mailer%40acme:p%3Ass@mail.example")?;
        assert_eq!(url.security, SmtpSecurity::Tls);
        assert_eq!(url.port, 465);
        assert_eq!(
            url.credentials,
            Some(("mailer@acme".to_owned(), "p:ss".to_owned()))
        );
        let shown = format!("{url:?}");
        assert_eq!(shown, "smtps://mailer@acme:<redacted>@mail.example:465");
        Ok(())
    }

    #[test]
    fn credentials_over_smtp_require_starttls_unless_told_otherwise() -> Result<(), BadSmtpUrl> {
        let url = SmtpUrl::parse("smtp://user:secret@mail.example")?;
        assert_eq!(url.security, SmtpSecurity::StartTlsRequired);
        let url = SmtpUrl::parse("smtp://user:secret@mail.example:25?tls=opportunistic")?;
        assert_eq!(url.security, SmtpSecurity::StartTlsWhenOffered);
        assert_eq!(url.port, 25);
        assert_eq!(
            format!("{url:?}"),
            "smtp://user:<redacted>@mail.example:25?tls=opportunistic"
        );
        let url = SmtpUrl::parse("smtp://mail.example?tls=required")?;
        assert_eq!(url.security, SmtpSecurity::StartTlsRequired);
        assert!(SmtpUrl::parse("smtp://mail.example?tls=never").is_err());
        assert!(SmtpUrl::parse("smtps://mail.example?tls=opportunistic").is_err());
        Ok(())
    }

    #[test]
    fn bad_urls_say_what_is_wrong() {
        assert!(SmtpUrl::parse("http://mail").is_err());
        assert!(SmtpUrl::parse("smtp://").is_err());
        assert!(SmtpUrl::parse("smtp://mail:notaport").is_err());
        assert!(SmtpUrl::parse("smtp://mail:0").is_err());
        assert!(SmtpUrl::parse("smtp://user@mail").is_err());
        assert!(SmtpUrl::parse("smtp://u:%zz@mail").is_err());
        assert!(SmtpUrl::parse("smtp://mail/path").is_err());
        assert!(SmtpUrl::parse("smtp://[::1").is_err());
    }

    #[test]
    fn bracketed_ipv6_hosts_keep_their_colons() -> Result<(), BadSmtpUrl> {
        let url = SmtpUrl::parse("smtp://[::1]:2525")?;
        assert_eq!((url.host.as_str(), url.port), ("::1", 2525));
        assert_eq!(SmtpUrl::parse("smtp://[::1]")?.port, 587);
        Ok(())
    }
}
