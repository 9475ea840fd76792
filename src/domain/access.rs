//! Tenancy and the right to act on a user (SPEC section 4), decided from plain facts
//! about the actor, the domain and the target so that every route and job asks the same
//! questions the same way.

use std::fmt;

use super::Scope;
use super::ids::{DomainId, ResellerId, UserId};

/// What the portal knows about the signed-in person when deciding what they may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActorRights {
    pub user_id: UserId,
    pub scope: Scope,
    pub domain_id: DomainId,
    /// The reseller of the actor's own domain; a Reseller manages that reseller's domains.
    pub reseller_id: Option<ResellerId>,
}

/// A domain as far as access is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DomainRef {
    pub id: DomainId,
    pub reseller_id: Option<ResellerId>,
}

/// A user someone wants to delete, reset, recycle or force to change password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetUser {
    pub id: UserId,
    pub scope: Scope,
    pub domain: DomainRef,
}

/// Which domains an actor may open, in a form a query can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainReach {
    Every,
    OfReseller(ResellerId),
    Only(DomainId),
}

/// Why an action was refused; the text is shown to the actor as the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The actor's scope is below Office Manager.
    ScopeTooLow,
    /// The domain is not one the actor looks after.
    OtherDomain,
    /// Nobody deletes, resets, recycles or forces a password change on themselves.
    OwnUser,
    /// The target outranks the actor.
    HigherScope(Scope),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ScopeTooLow => {
                f.write_str("Managing users needs the Office Manager scope or higher.")
            }
            Refusal::OtherDomain => f.write_str("This domain is not one you manage."),
            Refusal::OwnUser => f.write_str("You cannot do this to your own user."),
            Refusal::HigherScope(scope) => {
                write!(f, "This user has a higher scope ({scope}) than yours.")
            }
        }
    }
}

impl ActorRights {
    /// The domains this actor may open at all, whatever its scope.
    pub fn reach(&self) -> DomainReach {
        match (self.scope, self.reseller_id) {
            (Scope::SuperUser, _) => DomainReach::Every,
            (Scope::Reseller, Some(reseller)) => DomainReach::OfReseller(reseller),
            _ => DomainReach::Only(self.domain_id),
        }
    }

    fn reaches(&self, domain: DomainRef) -> bool {
        match self.reach() {
            DomainReach::Every => true,
            DomainReach::OfReseller(reseller) => {
                domain.reseller_id == Some(reseller) || domain.id == self.domain_id
            }
            DomainReach::Only(id) => domain.id == id,
        }
    }

    /// May this actor open the Users page (and the audit log) of `domain`?
    pub fn may_manage_domain(&self, domain: DomainRef) -> Result<(), Refusal> {
        if !self.scope.manages_users() {
            return Err(Refusal::ScopeTooLow);
        }
        if !self.reaches(domain) {
            return Err(Refusal::OtherDomain);
        }
        Ok(())
    }

    /// May this actor delete, reset, recycle or force a password change on `target`?
    pub fn may_act_on(&self, target: TargetUser) -> Result<(), Refusal> {
        self.may_manage_domain(target.domain)?;
        if target.id == self.user_id {
            return Err(Refusal::OwnUser);
        }
        if target.scope > self.scope {
            return Err(Refusal::HigherScope(target.scope));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLATFORM: DomainRef = DomainRef {
        id: DomainId::new(1),
        reseller_id: None,
    };
    const ACME: DomainRef = DomainRef {
        id: DomainId::new(2),
        reseller_id: Some(ResellerId::new(10)),
    };
    const GLOBEX: DomainRef = DomainRef {
        id: DomainId::new(3),
        reseller_id: Some(ResellerId::new(10)),
    };
    const INITECH: DomainRef = DomainRef {
        id: DomainId::new(4),
        reseller_id: Some(ResellerId::new(20)),
    };
    const NORTHWIND: DomainRef = DomainRef {
        id: DomainId::new(5),
        reseller_id: Some(ResellerId::new(10)),
    };

    fn actor(scope: Scope, domain: DomainRef) -> ActorRights {
        ActorRights {
            user_id: UserId::new(100),
            scope,
            domain_id: domain.id,
            reseller_id: domain.reseller_id,
        }
    }

    fn target(id: i64, scope: Scope, domain: DomainRef) -> TargetUser {
        TargetUser {
            id: UserId::new(id),
            scope,
            domain,
        }
    }

    #[test]
    fn scopes_below_office_manager_manage_nothing_not_even_their_domain() {
        for scope in Scope::ALL.into_iter().filter(|s| *s < Scope::OfficeManager) {
            assert_eq!(
                actor(scope, ACME).may_manage_domain(ACME),
                Err(Refusal::ScopeTooLow)
            );
        }
    }

    #[test]
    fn office_manager_manages_only_its_own_domain() {
        let manager = actor(Scope::OfficeManager, ACME);
        assert_eq!(manager.may_manage_domain(ACME), Ok(()));
        assert_eq!(manager.may_manage_domain(GLOBEX), Err(Refusal::OtherDomain));
        assert_eq!(manager.reach(), DomainReach::Only(ACME.id));
    }

    #[test]
    fn reseller_manages_the_domains_of_its_reseller() {
        let reseller = actor(Scope::Reseller, NORTHWIND);
        assert_eq!(reseller.may_manage_domain(ACME), Ok(()));
        assert_eq!(reseller.may_manage_domain(GLOBEX), Ok(()));
        assert_eq!(reseller.may_manage_domain(NORTHWIND), Ok(()));
        assert_eq!(
            reseller.may_manage_domain(INITECH),
            Err(Refusal::OtherDomain)
        );
        assert_eq!(
            reseller.may_manage_domain(PLATFORM),
            Err(Refusal::OtherDomain)
        );
    }

    #[test]
    fn reseller_without_a_reseller_keeps_to_its_own_domain() {
        let reseller = actor(Scope::Reseller, PLATFORM);
        assert_eq!(reseller.reach(), DomainReach::Only(PLATFORM.id));
        assert_eq!(reseller.may_manage_domain(ACME), Err(Refusal::OtherDomain));
    }

    #[test]
    fn super_user_manages_every_domain() {
        let root = actor(Scope::SuperUser, PLATFORM);
        for domain in [PLATFORM, ACME, GLOBEX, INITECH, NORTHWIND] {
            assert_eq!(root.may_manage_domain(domain), Ok(()));
        }
        assert_eq!(root.reach(), DomainReach::Every);
    }

    #[test]
    fn nobody_acts_on_their_own_user() {
        for scope in [Scope::OfficeManager, Scope::Reseller, Scope::SuperUser] {
            let me = actor(scope, ACME);
            assert_eq!(
                me.may_act_on(target(me.user_id.get(), scope, ACME)),
                Err(Refusal::OwnUser)
            );
        }
    }

    #[test]
    fn nobody_acts_on_a_higher_scope_but_equal_and_lower_are_fine() {
        let manager = actor(Scope::OfficeManager, ACME);
        assert_eq!(
            manager.may_act_on(target(7, Scope::Reseller, ACME)),
            Err(Refusal::HigherScope(Scope::Reseller))
        );
        assert_eq!(
            manager.may_act_on(target(7, Scope::OfficeManager, ACME)),
            Ok(())
        );
        assert_eq!(
            manager.may_act_on(target(7, Scope::BasicUser, ACME)),
            Ok(())
        );
        let reseller = actor(Scope::Reseller, NORTHWIND);
        assert_eq!(
            reseller.may_act_on(target(7, Scope::SuperUser, ACME)),
            Err(Refusal::HigherScope(Scope::SuperUser))
        );
    }

    #[test]
    fn a_user_of_another_domain_is_refused_before_anything_else() {
        let manager = actor(Scope::OfficeManager, ACME);
        assert_eq!(
            manager.may_act_on(target(7, Scope::BasicUser, GLOBEX)),
            Err(Refusal::OtherDomain)
        );
        let low = actor(Scope::SiteManager, ACME);
        assert_eq!(
            low.may_act_on(target(7, Scope::BasicUser, ACME)),
            Err(Refusal::ScopeTooLow)
        );
    }

    #[test]
    fn refusals_read_as_sentences() {
        assert_eq!(
            Refusal::HigherScope(Scope::SuperUser).to_string(),
            "This user has a higher scope (Super User) than yours."
        );
        assert!(Refusal::OwnUser.to_string().contains("your own user"));
    }
}
