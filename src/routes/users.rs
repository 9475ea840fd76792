//! The Users page of a domain.

use actix_web::{HttpResponse, web};

use super::session::Actor;
use crate::db::domains::{self, Domain};
use crate::db::users;
use crate::domain::DomainName;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::users::{UserRow, UsersPage};

/// Users shown on one page by default.
pub const DEFAULT_PAGE_SIZE: i64 = 25;

/// The domain named in the path, if the actor may manage it: 404 when there is no such
/// domain, 403 when it is not theirs (or their scope is too low).
pub async fn managed_domain(
    actor: &Actor,
    state: &AppState,
    name: &str,
) -> Result<Domain, AppError> {
    let rights = actor.rights();
    if !rights.scope.manages_users() {
        return Err(crate::domain::Refusal::ScopeTooLow.into());
    }
    let not_found = || AppError::NotFound("There is no such domain.".into());
    let name = DomainName::parse(name).map_err(|_| not_found())?;
    let domain = state
        .db(move |conn| domains::find_by_name(conn, name.as_str()))
        .await?
        .ok_or_else(not_found)?;
    rights.may_manage_domain(domain.as_ref())?;
    Ok(domain)
}

pub async fn list(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let domain_id = domain.id;
    let (users, total) = state
        .db(move |conn| users::first_page(conn, domain_id, DEFAULT_PAGE_SIZE))
        .await?;
    crate::views::ok(&UsersPage {
        chrome: actor.chrome(),
        domain: domain.name,
        total,
        rows: users.into_iter().map(UserRow::from).collect(),
    })
}
