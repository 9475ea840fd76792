//! Queueing the messages that carry set-password links (welcome and password reset):
//! a fresh one-time token per user, its hash stored, the message rendered and put in
//! the outbox, all in the caller's transaction, so the change that causes a message
//! and the message commit together or not at all.

use chrono::{NaiveDateTime, TimeDelta};
use sha2::{Digest, Sha256};

use crate::db::outbox::{self, NewMessage};
use crate::db::tokens::{self, NewToken};
use crate::db::{DbConn, mail_days};
use crate::domain::ids::{DomainId, UserId};
use crate::email::messages::{self, LinkMessage, Rendered};

/// What a link in a message needs: where the portal is and how long a link lasts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkContext {
    /// The portal's address as people reach it, without a trailing slash.
    pub base_url: String,
    pub valid_hours: u32,
}

impl LinkContext {
    pub fn url_for(&self, token: &str) -> String {
        format!("{}/password/{token}", self.base_url)
    }
}

/// Which message a link comes in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    Welcome,
    Reset,
}

impl LinkPurpose {
    fn stored(self) -> &'static str {
        match self {
            LinkPurpose::Welcome => tokens::WELCOME,
            LinkPurpose::Reset => tokens::RESET,
        }
    }

    /// The outbox's `kind`.
    pub fn kind(self) -> &'static str {
        match self {
            LinkPurpose::Welcome => "welcome",
            LinkPurpose::Reset => "password_reset",
        }
    }
}

/// A user to mail, with the address to mail them at.
pub struct Recipient<'a> {
    pub user_id: UserId,
    pub domain_id: DomainId,
    pub extension: &'a str,
    pub name: String,
    pub email: &'a str,
}

#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error("cannot render the message: {0}")]
    Render(#[from] askama::Error),
    #[error("no randomness for a link token: {0}")]
    Random(#[from] getrandom::Error),
}

/// A new token: what goes in the link, and the hash that is stored.
pub fn new_token() -> Result<(String, String), getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let token = base64_url(&bytes);
    let hash = token_hash(&token);
    Ok((token, hash))
}

/// What is stored of a token: SHA-256, hex. The token has 256 random bits, so a fast
/// hash is enough: there is nothing to guess.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut text = String::with_capacity(bytes.len() * 4 / 3 + 2);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, byte)| n | u32::from(*byte) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            let index = (n >> (18 - 6 * i)) & 63;
            text.push(char::from(ALPHABET[index as usize]));
        }
    }
    text
}

/// What [`queue_link_mail`] queued, and whom it did not mail because their domain had
/// queued its most link messages for the day.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct LinkMail {
    pub queued: usize,
    pub over_cap: Vec<UserId>,
}

/// Why a user was not sent their link: the domain's daily allowance is used up.
pub const OVER_DAILY_CAP: &str =
    "Not e-mailed: the domain has sent its most welcome and reset e-mails for today (UTC).";

/// Queues one message with a fresh link to each recipient, in `domain`, within each
/// recipient domain's daily allowance (those past it are returned, not mailed). A
/// recipient's unused earlier link of the same purpose stops working, and its message
/// is cancelled if still queued: only the newest one opens.
pub fn queue_link_mail(
    conn: &mut DbConn,
    recipients: &[Recipient<'_>],
    domain: &str,
    purpose: LinkPurpose,
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<LinkMail, QueueError> {
    let mut allowed: Vec<&Recipient<'_>> = Vec::with_capacity(recipients.len());
    let mut over_cap = Vec::new();
    let mut domain_ids: Vec<DomainId> = recipients.iter().map(|r| r.domain_id).collect();
    domain_ids.sort_unstable();
    domain_ids.dedup();
    for domain_id in domain_ids {
        let of_domain = recipients.iter().filter(|r| r.domain_id == domain_id);
        let wanted = of_domain.clone().count();
        let taken = mail_days::take(conn, domain_id, now.date(), wanted)?;
        for (n, recipient) in of_domain.enumerate() {
            if n < taken {
                allowed.push(recipient);
            } else {
                over_cap.push(recipient.user_id);
            }
        }
    }
    let queued = queue_links(conn, &allowed, domain, purpose, links, now)?;
    Ok(LinkMail { queued, over_cap })
}

fn queue_links(
    conn: &mut DbConn,
    recipients: &[&Recipient<'_>],
    domain: &str,
    purpose: LinkPurpose,
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<usize, QueueError> {
    if recipients.is_empty() {
        return Ok(0);
    }
    let expires_at = now + TimeDelta::hours(i64::from(links.valid_hours));
    let mut hashes = Vec::with_capacity(recipients.len());
    let mut rendered: Vec<Rendered> = Vec::with_capacity(recipients.len());
    for recipient in recipients {
        let (token, hash) = new_token()?;
        let login = format!("{}@{domain}", recipient.extension);
        let link = links.url_for(&token);
        let message = LinkMessage {
            domain,
            extension: recipient.extension,
            name: &recipient.name,
            login: &login,
            link: &link,
            valid_hours: links.valid_hours,
        };
        rendered.push(match purpose {
            LinkPurpose::Welcome => messages::welcome(&message)?,
            LinkPurpose::Reset => messages::password_reset(&message)?,
        });
        hashes.push(hash);
    }
    let new_tokens: Vec<NewToken<'_>> = recipients
        .iter()
        .zip(&hashes)
        .map(|(recipient, hash)| NewToken {
            user_id: recipient.user_id,
            token_hash: hash,
            purpose: purpose.stored(),
            expires_at,
        })
        .collect();
    let user_ids: Vec<UserId> = recipients.iter().map(|r| r.user_id).collect();
    tokens::void_unused_of(conn, &user_ids, purpose.stored())?;
    outbox::cancel_queued_of_kind(
        conn,
        &user_ids,
        purpose.kind(),
        outbox::CANCELLED_BY_NEWER_LINK,
        now,
    )?;
    tokens::insert_many(conn, &new_tokens)?;
    let queued: Vec<NewMessage<'_>> = recipients
        .iter()
        .zip(&rendered)
        .map(|(recipient, message)| NewMessage {
            domain_id: Some(recipient.domain_id),
            user_id: Some(recipient.user_id),
            recipient: recipient.email,
            kind: purpose.kind(),
            subject: &message.subject,
            body_text: &message.text,
            body_html: &message.html,
            next_attempt_at: now,
        })
        .collect();
    Ok(outbox::queue_many(conn, &queued)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_url_safe_and_stored_only_as_their_hash() -> Result<(), getrandom::Error> {
        let (token, hash) = new_token()?;
        assert_eq!(token.len(), 43);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(hash, token_hash(&token));
        assert_eq!(hash.len(), 64);
        assert!(!hash.contains(&token));
        let (other, _) = new_token()?;
        assert_ne!(token, other);
        Ok(())
    }

    #[test]
    fn base64_url_matches_known_values() {
        assert_eq!(base64_url(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64_url(b"fo"), "Zm8");
        assert_eq!(base64_url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn links_point_at_the_set_password_page() {
        let links = LinkContext {
            base_url: "https://portal.example".into(),
            valid_hours: 24,
        };
        assert_eq!(links.url_for("abc"), "https://portal.example/password/abc");
    }
}
