//! The domain picker: the domains a Reseller or Super User may open.

use actix_web::{HttpResponse, web};

use super::paths;
use super::session::Actor;
use crate::db::domains;
use crate::domain::Refusal;
use crate::error::AppError;
use crate::state::AppState;
use crate::views::domains::{DomainLink, DomainListPage};

pub async fn list(actor: Actor, state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let rights = actor.rights();
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    let reach = rights.reach();
    let found = state
        .db(move |conn| domains::list_reachable(conn, reach))
        .await?;
    let domains = found
        .into_iter()
        .map(|domain| DomainLink {
            users_path: paths::users(&domain.name),
            name: domain.name,
            description: domain.description,
        })
        .collect();
    crate::views::ok(&DomainListPage {
        chrome: actor.chrome(),
        domains,
    })
}
