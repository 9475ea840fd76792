//! The portal's rules as pure code: no database, no web types. Scopes and who may act on
//! whom (SPEC section 4), the derived user status (section 3), the stored states of jobs
//! and mail, row ids as distinct types (`UserId`, `DomainId`, `JobId`, …), and validated
//! input types for extensions, e-mail addresses, names, passwords and PINs. Every constructor here
//! refuses bad input with an [`Invalid`] whose text is fit to show next to a form field.

pub mod access;
pub mod edit;
pub mod fields;
pub mod ids;
pub mod listing;
pub mod one_time_codes;
pub mod reset;
pub mod routing;
pub mod scope;
pub mod secrets;
pub mod states;
pub mod status;

pub use access::{ActorRights, DomainRef, Refusal, TargetUser};
pub use fields::{DomainName, Email, Extension, Login, PersonName, ShortText};
pub use ids::{DomainId, JobId, ResellerId, SessionId, UserId};
pub use scope::Scope;
pub use secrets::{NewPassword, Pin};
pub use status::Status;

use std::borrow::Cow;

/// A value a person typed that the portal will not take, with the reason in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub Cow<'static, str>);

impl Invalid {
    pub(crate) fn new(message: impl Into<Cow<'static, str>>) -> Self {
        Self(message.into())
    }
}
