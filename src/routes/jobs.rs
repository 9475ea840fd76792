//! A bulk job's own pages: its progress (`/jobs/{id}`, also polled by the dialog) and,
//! after a reset with Recycle Users, the form that hands the extensions to new people.
//! A job of a domain the actor does not manage answers 403; an unknown id 404.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::paths;
use super::session::{Actor, PortalSession};
use crate::db::domains::{self, Domain};
use crate::db::jobs::{self, Job};
use crate::db::users;
use crate::domain::{Email, Invalid, PersonName, TargetUser};
use crate::error::{AppError, redirect};
use crate::middleware::htmx::is_script_request;
use crate::services::bulk::{self, Action, BulkError, JobSpec, RecycleRow};
use crate::services::reset::NewOccupant;
use crate::state::AppState;
use crate::views::bulk::{
    OutcomeRow, Progress, ProgressFragment, ProgressPage, RecycleForm, RecycleFragment,
    RecyclePage, RecycleRowView,
};
use crate::views::users::FormField;

/// Outcomes listed on the Progress step; the rest are counted.
const OUTCOMES_LISTED: i64 = 200;

fn damaged(err: BulkError) -> AppError {
    AppError::Internal(err.to_string())
}

/// The job and its domain, if the actor manages that domain.
async fn accessible_job(
    actor: &Actor,
    state: &AppState,
    id: i64,
) -> Result<(Job, Domain), AppError> {
    let found = state
        .db(move |conn| {
            let Some(job) = jobs::find(conn, id)? else {
                return Ok::<_, diesel::result::Error>(None);
            };
            let domain = domains::find(conn, job.domain_id)?;
            Ok(domain.map(|domain| (job, domain)))
        })
        .await?;
    let (job, domain) = found.ok_or_else(|| AppError::NotFound("There is no such job.".into()))?;
    actor.rights().may_manage_domain(domain.as_ref())?;
    Ok((job, domain))
}

/// The Progress step of a job.
pub async fn load_progress(state: &AppState, job_id: i64) -> Result<(Job, Progress), AppError> {
    let (job, domain, tally, items) = state
        .db(move |conn| {
            let job = jobs::find(conn, job_id)?.ok_or(diesel::result::Error::NotFound)?;
            let domain =
                domains::find(conn, job.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
            let tally = jobs::tally(conn, job_id)?;
            let items = jobs::outcomes(conn, job_id, OUTCOMES_LISTED)?;
            Ok::<_, diesel::result::Error>((job, domain, tally, items))
        })
        .await?;
    let spec = JobSpec::of(&job).map_err(damaged)?;
    let heading = spec.action.heading();
    let finished = job.state == jobs::FINISHED;
    let outcomes: Vec<OutcomeRow> = items
        .into_iter()
        .filter(|item| item.state != jobs::PENDING)
        .map(|item| OutcomeRow {
            outcome: match item.state.as_str() {
                jobs::DONE => "done",
                jobs::FAILED => "failed",
                _ => "skipped",
            },
            extension: item.extension,
            name: item.user_name,
            reason: item.reason.unwrap_or_default(),
        })
        .collect();
    let shown = i64::try_from(outcomes.len()).unwrap_or(i64::MAX);
    let recycles = matches!(spec.action, Action::Reset { recycle: true, .. });
    let progress = Progress {
        job_id: job.id,
        heading: heading.into(),
        processed: tally.processed(),
        total: tally.total(),
        line: progress_line(&tally, spec.action.done_words()),
        finished,
        more_outcomes: tally.processed().saturating_sub(shown),
        outcomes,
        users_href: paths::users(&domain.name),
        recycle_href: (finished && recycles && tally.done > 0).then(|| paths::job_recycle(job.id)),
    };
    Ok((job, progress))
}

/// "3 of 5 users reset", and how many of those were skipped or failed, so a count
/// never passes a skipped user off as done.
fn progress_line(tally: &jobs::Tally, done_words: &str) -> String {
    let mut line = format!("{} of {} {done_words}", tally.processed(), tally.total());
    let asides: Vec<String> = [(tally.skipped, "skipped"), (tally.failed, "failed")]
        .into_iter()
        .filter(|(count, _)| *count > 0)
        .map(|(count, what)| format!("{count} {what}"))
        .collect();
    if !asides.is_empty() {
        line.push_str(&format!(" ({})", asides.join(", ")));
    }
    line
}

pub async fn show(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (job, domain) = accessible_job(&actor, &state, path.into_inner()).await?;
    let (_, progress) = load_progress(&state, job.id).await?;
    if is_script_request(&req) && req.headers().get("HX-History-Restore-Request").is_none() {
        return crate::views::ok(&ProgressFragment { progress });
    }
    crate::views::ok(&ProgressPage {
        chrome: actor.chrome(),
        domain: domain.name,
        progress,
    })
}

/// The users a recycle form is for: those the job reset that are not recycled yet and
/// that this actor may act on, with what the form shows.
async fn recycle_rows(
    state: &AppState,
    actor: &Actor,
    job: &Job,
    domain: &Domain,
) -> Result<Vec<RecycleRowView>, AppError> {
    let job_id = job.id;
    let rights = actor.rights();
    let reset_users = state
        .db(move |conn| {
            let done = jobs::awaiting_recycle(conn, job_id)?;
            let mut found = Vec::with_capacity(done.len());
            for item in done {
                if let Some(user) = item
                    .user_id
                    .map(|id| users::find(conn, id))
                    .transpose()?
                    .flatten()
                {
                    found.push(user);
                }
            }
            Ok::<_, diesel::result::Error>(found)
        })
        .await?;
    Ok(reset_users
        .into_iter()
        .filter(|user| user.domain_id == domain.id)
        .filter(|user| {
            let target = TargetUser {
                id: user.id,
                scope: user.scope(),
                domain: domain.as_ref(),
            };
            rights.may_act_on(target).is_ok()
        })
        .map(|user| RecycleRowView {
            user_id: user.id,
            version: user.version,
            email_recommended: domain.portal_security || user.vm_to_email || user.vm_transcription,
            first_name: FormField::new(user.first_name.clone()),
            last_name: FormField::new(user.last_name.clone()),
            email: FormField::new(user.email.clone().unwrap_or_default()),
            extension: user.extension,
        })
        .collect())
}

/// The job must be a finished reset with Recycle Users.
fn require_recycling(job: &Job) -> Result<(), AppError> {
    let spec = JobSpec::of(job).map_err(damaged)?;
    if !matches!(spec.action, Action::Reset { recycle: true, .. }) {
        return Err(AppError::BadRequest(
            "This job was not a reset with Recycle Users.".into(),
        ));
    }
    if job.state != jobs::FINISHED {
        return Err(AppError::BadRequest(
            "The reset is still running; recycle when it is done.".into(),
        ));
    }
    Ok(())
}

fn recycle_page(
    req: &HttpRequest,
    actor: &Actor,
    domain: &Domain,
    status: StatusCode,
    form: RecycleForm,
) -> Result<HttpResponse, AppError> {
    if is_script_request(req) {
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
    path: web::Path<i64>,
) -> Result<HttpResponse, AppError> {
    let (job, domain) = accessible_job(&actor, &state, path.into_inner()).await?;
    require_recycling(&job)?;
    let rows = recycle_rows(&state, &actor, &job, &domain).await?;
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
    fn keep<T>(field: &mut FormField, typed: String, parsed: Result<T, Invalid>) -> Option<T> {
        field.value = typed;
        match parsed {
            Ok(value) => {
                field.error = None;
                Some(value)
            }
            Err(invalid) => {
                field.error = Some(invalid.to_string());
                None
            }
        }
    }
    let (first, last, email) = (typed("first_name"), typed("last_name"), typed("email"));
    let first_name = keep(
        &mut row.first_name,
        first.clone(),
        PersonName::parse_required(&first),
    );
    let last_name = keep(
        &mut row.last_name,
        last.clone(),
        PersonName::parse_required(&last),
    );
    let email = keep(&mut row.email, email.clone(), Email::parse_optional(&email));
    Some(NewOccupant {
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
    })
}

pub async fn recycle_save(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<i64>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (job, domain) = accessible_job(&actor, &state, path.into_inner()).await?;
    require_recycling(&job)?;
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&body)
        .map_err(|_| AppError::BadRequest("The form could not be read.".into()))?;
    let fields: HashMap<String, String> = pairs.into_iter().collect();
    let mut rows = recycle_rows(&state, &actor, &job, &domain).await?;
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
    let welcomed = to_save
        .iter()
        .filter(|row| row.occupant.email.is_some())
        .count();
    let saved = state
        .db(move |conn| {
            bulk::recycle(conn, &acting, &job, &to_save, links.as_deref()).map_err(AppError::from)
        })
        .await?;
    if send_welcome {
        state.postman.wake();
    }
    let mut message = if saved == 1 {
        "1 user was recycled. It now needs a password (Password Required).".to_owned()
    } else {
        format!("{saved} users were recycled. Each now needs a password (Password Required).")
    };
    if send_welcome {
        message.push_str(&match welcomed {
            0 => " No welcome e-mail was sent: nobody has an e-mail address.".to_owned(),
            1 => " A welcome e-mail is on its way.".to_owned(),
            n => format!(" {n} welcome e-mails are on their way."),
        });
    }
    if !is_script_request(&req) {
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
