//! The recycle form of a reset with Recycle Users (`/jobs/{id}/recycle`): the reset
//! users listed for their new people, checked and saved in one transaction.

use std::collections::HashMap;

use actix_web::http::StatusCode;

use crate::db::jobs::Job;
use crate::domain::fields::UserField;
use crate::services::recycle::{self, RecycleRow, Recycled};
use crate::services::reset::NewOccupant;
use crate::views::jobs::recycle::{RecycleForm, RecycleFragment, RecyclePage, RecycleRowView};
use crate::views::users::FormField;
use crate::web::session::PortalSession;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::domains::Domain;
use crate::domain::ids::JobId;
use crate::error::{AppError, redirect};
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
use crate::web::htmx::HxRequest;
use crate::web::paths;
use crate::web::session::Actor;

/// The job, its domain and the recycle form's rows: the users the job reset that are
/// not recycled yet and that this actor may act on.
async fn recycle_rows(
    state: &AppState,
    actor: &Actor,
    job_id: JobId,
) -> Result<(Job, Domain, Vec<RecycleRowView>), AppError> {
    let rights = actor.rights();
    let (job, domain, users) = state
        .db(move |conn| job_service::recycle_candidates(conn, &rights, job_id))
        .await?;
    let rows = users
        .into_iter()
        .map(|user| RecycleRowView::of(user, &domain))
        .collect();
    Ok((job, domain, rows))
}

fn recycle_page(
    req: &HttpRequest,
    actor: &Actor,
    domain: &Domain,
    status: StatusCode,
    form: RecycleForm,
) -> Result<HttpResponse, AppError> {
    if HxRequest::of(req).scripted {
        crate::views::page(status, &RecycleFragment { form })
    } else {
        crate::views::page(
            status,
            &RecyclePage {
                chrome: actor.chrome(),
                domain: domain.name.clone(),
                form,
            },
        )
    }
}

pub async fn recycle_form(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (job, domain, rows) = recycle_rows(&state, &actor, path.into_inner()).await?;
    let form = RecycleForm {
        action: paths::job_recycle(job.id),
        rows,
        error: None,
        csrf_token: actor.csrf_token.clone(),
        saved: None,
        users_href: paths::users(&domain.name),
        send_welcome: false,
    };
    recycle_page(&req, &actor, &domain, StatusCode::OK, form)
}

/// Checks one row as typed; keeps what was typed and says what is wrong.
fn check_row(row: &mut RecycleRowView, fields: &HashMap<String, String>) -> Option<NewOccupant> {
    let typed = |name: &str| {
        fields
            .get(&format!("{name}_{}", row.user_id))
            .cloned()
            .unwrap_or_default()
    };
    row.first_name = FormField::new(typed("first_name"));
    row.last_name = FormField::new(typed("last_name"));
    row.email = FormField::new(typed("email"));
    match NewOccupant::parse(
        &row.first_name.value,
        &row.last_name.value,
        &row.email.value,
    ) {
        Ok(occupant) => Some(occupant),
        Err(refused) => {
            for (field, invalid) in refused {
                let shown = match field {
                    UserField::FirstName => &mut row.first_name,
                    UserField::LastName => &mut row.last_name,
                    _ => &mut row.email,
                };
                shown.error = Some(invalid.to_string());
            }
            None
        }
    }
}

pub async fn recycle_save(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (job, domain, mut rows) = recycle_rows(&state, &actor, path.into_inner()).await?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    let checked: Vec<Option<NewOccupant>> =
        rows.iter_mut().map(|row| check_row(row, &fields)).collect();
    let users_href = paths::users(&domain.name);
    let send_welcome = fields.contains_key("send_welcome");
    if rows.is_empty() || checked.iter().any(Option::is_none) {
        let form = RecycleForm {
            action: paths::job_recycle(job.id),
            rows,
            error: Some("Nothing was saved. Correct the marked fields, then save again.".into()),
            csrf_token: actor.csrf_token.clone(),
            saved: None,
            users_href,
            send_welcome,
        };
        return recycle_page(
            &req,
            &actor,
            &domain,
            StatusCode::UNPROCESSABLE_ENTITY,
            form,
        );
    }
    let to_save: Vec<RecycleRow> = rows
        .iter()
        .zip(checked)
        .filter_map(|(row, occupant)| {
            occupant.map(|occupant| RecycleRow {
                user_id: row.user_id,
                version: fields
                    .get(&format!("version_{}", row.user_id))
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                occupant,
            })
        })
        .collect();
    let acting = actor.acting();
    let links = send_welcome.then(|| state.links.clone());
    let recycled = state
        .db(move |conn| recycle::recycle(conn, &acting, &job, &to_save, links.as_deref()))
        .await?;
    if send_welcome {
        state.postman.wake();
    }
    let Recycled {
        saved,
        welcomed,
        over_cap,
    } = recycled;
    let mut message = if saved == 1 {
        "1 user was recycled. It now needs a password (Password Required).".to_owned()
    } else {
        format!("{saved} users were recycled. Each now needs a password (Password Required).")
    };
    if send_welcome {
        message.push_str(&match (welcomed, over_cap) {
            (0, 0) => " No welcome e-mail was sent: nobody has an e-mail address.".to_owned(),
            (0, _) => String::new(),
            (1, _) => " A welcome e-mail is on its way.".to_owned(),
            (n, _) => format!(" {n} welcome e-mails are on their way."),
        });
        if over_cap > 0 {
            message.push_str(&format!(
                " {over_cap} welcome e-mails were not sent: the domain has sent its most welcome and reset e-mails for today (UTC)."
            ));
        }
    }
    if !HxRequest::of(&req).scripted {
        PortalSession::of(&req).set_flash(&message)?;
        return Ok(redirect(&users_href));
    }
    let form = RecycleForm {
        action: String::new(),
        rows: Vec::new(),
        error: None,
        csrf_token: actor.csrf_token.clone(),
        saved: Some(message),
        users_href,
        send_welcome,
    };
    recycle_page(&req, &actor, &domain, StatusCode::OK, form)
}
