//! Row ids as types of their own, so a user's id cannot be passed where a job's or a
//! domain's belongs. Each wraps the database's 64-bit key; the database side (binding
//! and reading them) lives in `db::ids`, leaving this module free of diesel.

use std::fmt;
use std::str::FromStr;

macro_rules! row_id {
    ($($(#[$doc:meta])* $name:ident;)+) => {$(
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[derive(serde::Serialize, serde::Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// The id of the row with this key.
            pub const fn new(key: i64) -> Self {
                Self(key)
            }

            /// The key as the database stores it.
            pub const fn get(self) -> i64 {
                self.0
            }

            /// The key, borrowed, for binding it to a statement.
            pub const fn as_key(&self) -> &i64 {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        /// From a URL segment: digits only, as the routes' paths give them.
        impl FromStr for $name {
            type Err = std::num::ParseIntError;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                text.parse().map(Self)
            }
        }
    )+};
}

row_id! {
    /// A user (`users.id`).
    UserId;
    /// A domain (`domains.id`).
    DomainId;
    /// A reseller (`resellers.id`), the owner of several domains.
    ResellerId;
    /// A bulk job (`bulk_jobs.id`).
    JobId;
    /// A signed-in session (`sessions.id`).
    SessionId;
    /// An API token (`api_tokens.id`).
    ApiTokenId;
    /// A phone number of a domain (`phone_numbers.id`).
    PhoneNumberId;
    /// An auto attendant (`auto_attendants.id`).
    AttendantId;
    /// An auto attendant's option or timeout (`attendant_options.id`).
    OptionId;
    /// A ring group (`ring_groups.id`).
    RingGroupId;
    /// A call queue (`call_queues.id`).
    QueueId;
    /// A user's passkey (`passkeys.id`).
    PasskeyId;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_read_from_paths_and_print_as_their_key() {
        assert_eq!("42".parse::<JobId>().map(JobId::get), Ok(42));
        assert!("4x".parse::<JobId>().is_err());
        assert_eq!(UserId::new(7).to_string(), "7");
    }

    #[test]
    fn ids_serialise_as_plain_numbers() -> Result<(), serde_json::Error> {
        assert_eq!(serde_json::to_string(&DomainId::new(3))?, "3");
        assert_eq!(serde_json::from_str::<DomainId>("3")?, DomainId::new(3));
        Ok(())
    }
}
