//! Outgoing e-mail: the typed messages ([`messages`]), the mailer that hands them over
//! ([`mailer`], configured by [`SmtpUrl`]), and the worker that drains the outbox
//! ([`delivery`]). Messages are queued by services in the transaction of the change
//! that causes them (`db::outbox`); nothing here is sent from a request handler,
//! except the Super User's test message.

pub mod delivery;
pub mod mailer;
pub mod messages;
mod smtp_url;

pub use smtp_url::{BadSmtpUrl, SmtpSecurity, SmtpUrl};
