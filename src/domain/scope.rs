//! The ten portal scopes, ordered from lowest to highest (SPEC section 4).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Invalid;

/// A user's portal scope. The derived order is the order of rights: a later variant
/// outranks every earlier one. The discriminant is what the database stores, and what
/// kept JSON (a deleted user, a job's actor) holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(into = "i32", from = "i32")]
pub enum Scope {
    NoPortal = 0,
    BasicUser = 1,
    SimpleUser = 2,
    AdvancedUser = 3,
    CallCenterAgent = 4,
    CallCenterSupervisor = 5,
    SiteManager = 6,
    OfficeManager = 7,
    Reseller = 8,
    SuperUser = 9,
}

impl Scope {
    /// Every scope, lowest first.
    pub const ALL: [Scope; 10] = [
        Scope::NoPortal,
        Scope::BasicUser,
        Scope::SimpleUser,
        Scope::AdvancedUser,
        Scope::CallCenterAgent,
        Scope::CallCenterSupervisor,
        Scope::SiteManager,
        Scope::OfficeManager,
        Scope::Reseller,
        Scope::SuperUser,
    ];

    /// The value stored in `users.scope`.
    pub fn rank(self) -> i32 {
        self as i32
    }

    /// The scope stored as `rank`, if it is one.
    pub fn from_rank(rank: i32) -> Option<Scope> {
        usize::try_from(rank)
            .ok()
            .and_then(|index| Scope::ALL.get(index).copied())
    }

    /// The name people see, e.g. "Office Manager".
    pub fn label(self) -> &'static str {
        match self {
            Scope::NoPortal => "No Portal",
            Scope::BasicUser => "Basic User",
            Scope::SimpleUser => "Simple User",
            Scope::AdvancedUser => "Advanced User",
            Scope::CallCenterAgent => "Call Center Agent",
            Scope::CallCenterSupervisor => "Call Center Supervisor",
            Scope::SiteManager => "Site Manager",
            Scope::OfficeManager => "Office Manager",
            Scope::Reseller => "Reseller",
            Scope::SuperUser => "Super User",
        }
    }

    /// Whether this scope may open the Users page and act on it.
    pub fn manages_users(self) -> bool {
        self >= Scope::OfficeManager
    }

    /// Whether this scope works across domains and so lands on the domain list.
    pub fn picks_domains(self) -> bool {
        self >= Scope::Reseller
    }
}

/// The scope stored as `rank`. This is the one place an unknown rank is decided: it
/// reads as the lowest scope, so a damaged row can never grant rights.
impl From<i32> for Scope {
    fn from(rank: i32) -> Self {
        Scope::from_rank(rank).unwrap_or(Scope::NoPortal)
    }
}

impl From<Scope> for i32 {
    fn from(scope: Scope) -> Self {
        scope.rank()
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Scope {
    type Err = Invalid;

    /// Reads a label, ignoring case and surrounding space ("office manager" works).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted = text.trim();
        Scope::ALL
            .into_iter()
            .find(|scope| scope.label().eq_ignore_ascii_case(wanted))
            .ok_or_else(|| Invalid::new("Choose one of the listed scopes."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_the_spec_order() {
        let labels: Vec<&str> = Scope::ALL.iter().map(|s| s.label()).collect();
        assert_eq!(
            labels,
            [
                "No Portal",
                "Basic User",
                "Simple User",
                "Advanced User",
                "Call Center Agent",
                "Call Center Supervisor",
                "Site Manager",
                "Office Manager",
                "Reseller",
                "Super User"
            ]
        );
        assert!(Scope::ALL.windows(2).all(|pair| pair[0] < pair[1]));
    }

    #[test]
    fn ranks_round_trip_and_unknown_ranks_are_refused() {
        for scope in Scope::ALL {
            assert_eq!(Scope::from_rank(scope.rank()), Some(scope));
        }
        assert_eq!(Scope::from_rank(-1), None);
        assert_eq!(Scope::from_rank(10), None);
    }

    #[test]
    fn labels_parse_case_insensitively() {
        assert_eq!("office manager".parse::<Scope>(), Ok(Scope::OfficeManager));
        assert_eq!(" Super User ".parse::<Scope>(), Ok(Scope::SuperUser));
        assert!("Admin".parse::<Scope>().is_err());
    }

    #[test]
    fn only_office_manager_and_above_manage_users() {
        let managers: Vec<Scope> = Scope::ALL
            .into_iter()
            .filter(|s| s.manages_users())
            .collect();
        assert_eq!(
            managers,
            [Scope::OfficeManager, Scope::Reseller, Scope::SuperUser]
        );
        assert!(!Scope::SiteManager.manages_users());
        assert!(Scope::Reseller.picks_domains() && !Scope::OfficeManager.picks_domains());
    }
}
