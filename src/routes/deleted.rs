//! The Deleted users page of a domain (`/domains/{domain}/users/deleted`): who was
//! deleted, when and by whom, with Restore (its steps live in `routes::jobs::restore`).

use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::managed::managed_domain;
use crate::error::AppError;
use crate::services::deleted;
use crate::state::AppState;
use crate::views::deleted::{DeletedRow, DeletedUsersPage};
use crate::web::paths;
use crate::web::session::Actor;

/// Deleted users per page.
const PAGE_SIZE: i64 = 100;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeletedParams {
    before: Option<i64>,
}

pub async fn list(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<DeletedParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let (rights, listed_domain, before) = (actor.rights(), domain.clone(), params.before);
    let deleted = state
        .db(move |conn| deleted::listed(conn, &rights, &listed_domain, before, PAGE_SIZE))
        .await?;
    let here = paths::deleted_users(&domain.name);
    let older_href = match deleted.last() {
        Some(last) if deleted.len() == usize::try_from(PAGE_SIZE).unwrap_or(usize::MAX) => {
            Some(format!("{here}?before={}", last.seq))
        }
        _ => None,
    };
    crate::views::ok(&DeletedUsersPage {
        chrome: actor.chrome(),
        users_href: paths::users(&domain.name),
        confirm_href: paths::deleted_users_restore_confirm(&domain.name),
        rows: deleted.into_iter().map(DeletedRow::from).collect(),
        older_href,
        retention_days: state.settings.retention_days,
        domain: domain.name,
    })
}
