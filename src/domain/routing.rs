//! Call routing's pure rules: a destination as a tagged reference (never an extension's
//! text), a phone number in E.164, and an auto attendant's keys.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::Invalid;
use super::ids::{AttendantId, OptionId, PhoneNumberId, QueueId, RingGroupId, UserId};

/// A phone number as stored and shown everywhere: `+`, then 8 to 15 digits, the first
/// not 0 (E.164), e.g. `+12125550142`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct E164(String);

impl E164 {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        let digits = text.strip_prefix('+').unwrap_or_default();
        let valid = (8..=15).contains(&digits.len())
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with('0');
        if valid {
            Ok(Self(text.to_owned()))
        } else {
            Err(Invalid::new(
                "Enter a phone number in E.164, such as +12125550142.",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for E164 {
    type Error = Invalid;

    fn try_from(text: String) -> Result<Self, Invalid> {
        E164::parse(&text)
    }
}

impl From<E164> for String {
    fn from(number: E164) -> String {
        number.0
    }
}

impl fmt::Display for E164 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a phone number, an attendant's option or its timeout sends a call.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", content = "to", rename_all = "snake_case")]
pub enum Destination {
    User(UserId),
    /// The user's voicemail box.
    Voicemail(UserId),
    Attendant(AttendantId),
    RingGroup(RingGroupId),
    Queue(QueueId),
    Outside(E164),
    /// Nobody: a dead end.
    Nobody,
}

impl Destination {
    /// The `dest_kind` column.
    pub fn kind(&self) -> &'static str {
        match self {
            Destination::User(_) => "user",
            Destination::Voicemail(_) => "voicemail",
            Destination::Attendant(_) => "attendant",
            Destination::RingGroup(_) => "ring_group",
            Destination::Queue(_) => "queue",
            Destination::Outside(_) => "outside",
            Destination::Nobody => "nobody",
        }
    }

    /// The user it reaches, directly or through their voicemail.
    pub fn user(&self) -> Option<UserId> {
        match self {
            Destination::User(user) | Destination::Voicemail(user) => Some(*user),
            _ => None,
        }
    }

    /// The same destination, reaching `successor` where it reached `user`: the user
    /// themself or (for their voicemail) the successor's voicemail.
    pub fn handed_to(&self, successor: UserId) -> Destination {
        match self {
            Destination::User(_) => Destination::User(successor),
            Destination::Voicemail(_) => Destination::Voicemail(successor),
            other => other.clone(),
        }
    }

    pub fn is_dead_end(&self) -> bool {
        matches!(self, Destination::Nobody)
    }
}

/// A reference to a user that a delete moved to the user's successor (`successor`, or
/// `now` for a destination) or removed (no successor, or `now` nobody): kept with the
/// deleted user so that Restore can put it back, unless it was changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MovedReference {
    Number {
        id: PhoneNumberId,
        was: Destination,
        now: Destination,
    },
    Option {
        id: OptionId,
        was: Destination,
        now: Destination,
    },
    Member {
        group: RingGroupId,
        position: i32,
        successor: Option<UserId>,
    },
    Agent {
        queue: QueueId,
        successor: Option<UserId>,
    },
    Forward {
        rule_id: i64,
        owner: UserId,
        time_frame: String,
        successor: Option<UserId>,
    },
    Blf {
        key_id: i64,
        owner: UserId,
        device: String,
        position: i32,
        successor: Option<UserId>,
    },
}

/// The keys of an auto attendant, in the order its options are listed, then its timeout.
pub const ATTENDANT_KEYS: [&str; 13] = [
    "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "*", "#", TIMEOUT,
];

/// The attendant option that is its timeout: where a caller who presses nothing goes.
pub const TIMEOUT: &str = "timeout";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_numbers_are_a_plus_and_8_to_15_digits() {
        assert!(E164::parse("+12125550142").is_ok());
        assert_eq!(
            E164::parse(" +442071838750 ").map(|n| n.to_string()),
            Ok("+442071838750".to_owned())
        );
        for refused in ["12125550142", "+0212555", "+1212", "+1212555014x", "", "+"] {
            assert!(E164::parse(refused).is_err(), "{refused}");
        }
    }

    #[test]
    fn a_successor_takes_the_users_place_and_their_voicemail_s() {
        let (user, successor) = (UserId::new(1), UserId::new(2));
        assert_eq!(
            Destination::User(user).handed_to(successor),
            Destination::User(successor)
        );
        assert_eq!(
            Destination::Voicemail(user).handed_to(successor),
            Destination::Voicemail(successor)
        );
        assert_eq!(
            Destination::Nobody.handed_to(successor),
            Destination::Nobody
        );
    }
}
