//! Domains as an actor reaches them: the list of those they may open, one by name (a
//! domain that does not exist answers as one they may not open would, unless they could
//! open any), and a user of a domain they manage.

use super::users::UserChangeError;
use crate::db::DbConn;
use crate::db::domains::{self, Domain};
use crate::db::users::{self, User};
use crate::domain::access::DomainReach;
use crate::domain::{ActorRights, DomainName, Extension, Refusal};

#[derive(Debug, thiserror::Error)]
pub enum DomainError {
    #[error("There is no such domain.")]
    NoSuchDomain,
    #[error("{0}")]
    Refused(Refusal),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for DomainError {
    fn from(refusal: Refusal) -> Self {
        DomainError::Refused(refusal)
    }
}

/// Every domain `rights` may open, by name; a scope that manages no users is refused.
pub fn reachable(conn: &mut DbConn, rights: &ActorRights) -> Result<Vec<Domain>, DomainError> {
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    Ok(domains::list_reachable(conn, rights.reach())?)
}

/// The domain `name` names, if `rights` may manage it. A domain that does not exist is
/// refused as another customer's would be, so nobody learns which customers exist;
/// only a Super User, who could open it if it did, is told there is none.
pub fn managed_by_name(
    conn: &mut DbConn,
    rights: &ActorRights,
    name: &str,
) -> Result<Domain, DomainError> {
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    let missing = || match rights.reach() {
        DomainReach::Every => DomainError::NoSuchDomain,
        _ => Refusal::OtherDomain.into(),
    };
    let name = DomainName::parse(name).map_err(|_| missing())?;
    let domain = domains::find_by_name(conn, name.as_str())?.ok_or_else(missing)?;
    rights.may_manage_domain(domain.as_ref())?;
    Ok(domain)
}

/// The user with `extension` in `domain`, if `rights` may manage the domain.
pub fn managed_user(
    conn: &mut DbConn,
    rights: &ActorRights,
    domain: &Domain,
    extension: &Extension,
) -> Result<User, UserChangeError> {
    rights.may_manage_domain(domain.as_ref())?;
    users::find_by_extension(conn, domain.id, extension.as_str())?
        .ok_or_else(|| UserChangeError::NotFound(extension.to_string()))
}
