//! A user's status, derived from its causes and never stored apart from them (SPEC
//! section 3). The database computes the same value in the generated column
//! `users.status`; [`Status::from_code`] reads it back.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Status {
    SetupRequired = 0,
    PasswordRequired = 1,
    Active = 2,
}

impl Status {
    pub const ALL: [Status; 3] = [
        Status::SetupRequired,
        Status::PasswordRequired,
        Status::Active,
    ];

    /// Setup Required while both names are blank, then Password Required until a portal
    /// password is set, then Active.
    pub fn derive(first_name: &str, last_name: &str, has_password: bool) -> Status {
        if first_name.trim().is_empty() && last_name.trim().is_empty() {
            Status::SetupRequired
        } else if has_password {
            Status::Active
        } else {
            Status::PasswordRequired
        }
    }

    /// The value of the generated column `users.status`.
    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn from_code(code: i32) -> Option<Status> {
        Status::ALL.into_iter().find(|status| status.code() == code)
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::SetupRequired => "Setup Required",
            Status::PasswordRequired => "Password Required",
            Status::Active => "Active",
        }
    }
}

/// A code the generated column never holds.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown user status code {0}")]
pub struct UnknownStatus(pub i32);

/// The status stored as `code`; any other code is a damaged row, refused when read.
impl TryFrom<i32> for Status {
    type Error = UnknownStatus;

    fn try_from(code: i32) -> Result<Self, UnknownStatus> {
        Status::from_code(code).ok_or(UnknownStatus(code))
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_names_mean_setup_required_even_with_a_password() {
        assert_eq!(Status::derive("", "", false), Status::SetupRequired);
        assert_eq!(Status::derive(" ", "\t", true), Status::SetupRequired);
    }

    #[test]
    fn one_name_without_password_means_password_required() {
        assert_eq!(Status::derive("Ada", "", false), Status::PasswordRequired);
        assert_eq!(
            Status::derive("", "Lovelace", false),
            Status::PasswordRequired
        );
    }

    #[test]
    fn a_name_and_a_password_mean_active() {
        assert_eq!(Status::derive("Ada", "Lovelace", true), Status::Active);
        assert_eq!(Status::derive("", "Lovelace", true), Status::Active);
    }

    #[test]
    fn codes_round_trip() {
        for status in Status::ALL {
            assert_eq!(Status::from_code(status.code()), Some(status));
        }
        assert_eq!(Status::from_code(3), None);
    }
}
