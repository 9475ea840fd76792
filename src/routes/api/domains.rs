//! `GET /api/v1/domains`: the domains the token's owner manages.

use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use super::{ApiResult, Refusals};
use crate::db::domains::Domain;
use crate::services::domains as domain_service;
use crate::state::AppState;
use crate::web::api_caller::ApiCaller;

#[derive(Serialize, ToSchema)]
pub struct DomainOut {
    /// The domain's name, as in `/api/v1/domains/{domain}/users`.
    #[schema(example = "acme.example")]
    pub name: String,
    pub description: String,
}

impl From<Domain> for DomainOut {
    fn from(domain: Domain) -> Self {
        Self {
            name: domain.name,
            description: domain.description,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct DomainList {
    pub domains: Vec<DomainOut>,
}

/// List the domains you manage
///
/// An office manager's own domain; a reseller's domains; every domain for a Super User.
#[utoipa::path(
    operation_id = "list_domains",
    tag = "domains",
    responses(
        Refusals,
        (status = 200, description = "The domains, by name.", body = DomainList),
        (status = 403, description = "The owner's scope manages no users.", body = super::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/domains")]
pub async fn list(caller: ApiCaller, state: web::Data<AppState>) -> ApiResult<HttpResponse> {
    let rights = caller.rights();
    let found = state
        .db(move |conn| domain_service::reachable(conn, &rights))
        .await?;
    Ok(HttpResponse::Ok().json(DomainList {
        domains: found.into_iter().map(DomainOut::from).collect(),
    }))
}
