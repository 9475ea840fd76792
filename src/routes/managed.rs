//! What a path names, for both faces: the domain (`/domains/{domain}/…`) if the caller
//! may manage it, and a user of it (`…/users/{extension}`). The rules are the
//! service's ([`crate::services::domains`]); the caller's own domain, loaded with them,
//! is answered without a query.

use crate::db::domains::Domain;
use crate::db::users::User;
use crate::domain::{ActorRights, Extension, Refusal};
use crate::error::AppError;
use crate::services::domains as domain_service;
use crate::state::AppState;
use crate::web::session::Actor;

/// The domain named in the path, if the actor may manage it: 404 when there is no such
/// domain, 403 when it is not theirs (or their scope is too low).
pub async fn managed_domain(
    actor: &Actor,
    state: &AppState,
    name: &str,
) -> Result<Domain, AppError> {
    managed_domain_of(&actor.rights(), &actor.domain, state, name).await
}

/// [`managed_domain`] for any caller: one with `rights`, whose own domain is `own`.
pub async fn managed_domain_of(
    rights: &ActorRights,
    own: &Domain,
    state: &AppState,
    name: &str,
) -> Result<Domain, AppError> {
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    // Most requests are an office manager's in their own domain, loaded with them.
    if own.name == name {
        rights.may_manage_domain(own.as_ref())?;
        return Ok(own.clone());
    }
    let (rights, name) = (*rights, name.to_owned());
    state
        .read(move |conn| domain_service::managed_by_name(conn, &rights, &name))
        .await
}

/// The user with `extension` in `domain` (which `rights` manages): 404 when none.
pub async fn managed_user(
    rights: &ActorRights,
    state: &AppState,
    domain: &Domain,
    extension: Extension,
) -> Result<User, AppError> {
    let (rights, domain) = (*rights, domain.clone());
    state
        .db(move |conn| domain_service::managed_user(conn, &rights, &domain, &extension))
        .await
}
