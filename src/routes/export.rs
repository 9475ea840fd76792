//! Export: the current view of the Users page (filter and sort, every page) as a CSV
//! attachment, streamed in keyset chunks so a domain of any size never sits in memory.

use actix_web::{HttpResponse, web};

use super::managed::managed_domain;
use crate::db::users::ListedUser;
use crate::domain::listing::{ListParams, ListView, Position};
use crate::error::AppError;
use crate::services::users_page::{self, PageOf};
use crate::state::AppState;
use crate::views::csv;
use crate::web::session::Actor;

/// Rows read per query while streaming.
const CHUNK_ROWS: i64 = 1000;

const HEADER: [&str; 13] = [
    "Extension",
    "First Name",
    "Last Name",
    "E-mail",
    "Department",
    "Site",
    "Time zone",
    "Caller ID number",
    "Emergency caller ID",
    "Scope",
    "Devices",
    "Status",
    "Password change pending",
];

fn csv_row(user: &ListedUser) -> String {
    let scope = user.scope.label();
    let status = user.status.label();
    let devices = user.device_count.to_string();
    csv::line([
        user.extension.as_str(),
        &user.first_name,
        &user.last_name,
        user.email.as_deref().unwrap_or_default(),
        &user.department,
        &user.site,
        &user.time_zone,
        &user.caller_id_number,
        &user.emergency_caller_id,
        scope,
        &devices,
        status,
        if user.must_change_password {
            "yes"
        } else {
            "no"
        },
    ])
}

pub async fn users_csv(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let view =
        ListView::parse(&params).map_err(|invalid| AppError::BadRequest(invalid.to_string()))?;
    let whole = PageOf::view(domain.id, &view);
    let chunks = csv::chunked(HEADER, Position::First, move |position| {
        let state = state.clone();
        let page = PageOf {
            position,
            ..whole.clone()
        };
        async move {
            let rows = state
                .db(move |conn| users_page::chunk(conn, &page, CHUNK_ROWS))
                .await?;
            let next = match rows.last() {
                Some(last) if rows.len() == usize::try_from(CHUNK_ROWS).unwrap_or(usize::MAX) => {
                    Some(Position::After(last.cursor()))
                }
                _ => None,
            };
            Ok::<_, AppError>((rows.iter().map(csv_row).collect(), next))
        }
    });
    Ok(csv::attachment(
        &format!("users-{}.csv", domain.name),
        chunks,
    ))
}
