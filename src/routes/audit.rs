//! The audit log of a domain, newest first, with a filter.

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::managed::managed_domain;
use crate::error::AppError;
use crate::services::audit_log;
use crate::state::AppState;
use crate::views::audit::{AuditPage, AuditRow};
use crate::views::users::with_query;
use crate::web::paths;
use crate::web::session::Actor;

/// Events shown on one page.
const PAGE_SIZE: i64 = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditParams {
    q: String,
    before: Option<i64>,
}

pub async fn list(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<AuditParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let AuditParams { q, before } = params.into_inner();
    if q.chars().count() > 100 || q.chars().any(char::is_control) {
        return Err(AppError::BadRequest(
            "Filter with at most 100 ordinary characters.".into(),
        ));
    }
    let (rights, in_domain, filter) = (actor.rights(), domain.clone(), q.clone());
    let events = state
        .db(move |conn| audit_log::page(conn, &rights, &in_domain, &filter, before, PAGE_SIZE))
        .await?;
    let audit_href = paths::audit(&domain.name);
    let older_href = match events.last() {
        Some(last) if events.len() == usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX) => {
            let query =
                serde_urlencoded::to_string([("q", q.as_str()), ("before", &last.id.to_string())])
                    .map_err(|err| AppError::Internal(err.to_string()))?;
            Some(with_query(&audit_href, &query))
        }
        _ => None,
    };
    crate::views::ok(&AuditPage {
        chrome: actor.chrome(),
        users_href: paths::users(&domain.name),
        domain: domain.name,
        audit_href,
        filter: q,
        events: events.into_iter().map(AuditRow::from).collect(),
        older_href,
    })
}
