//! Bulk jobs' pages: the Jobs lists (`/domains/{domain}/jobs`, and `/jobs` across the
//! domains one may open), a job's progress (`/jobs/{id}`, also polled by the dialog)
//! with Stop job and its results file, and, after a reset with Recycle Users, the form
//! that hands the extensions to new people. A job of a domain the actor does not
//! manage answers 403; an unknown id 404.

use std::collections::{HashMap, HashSet};

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use serde::Deserialize;

use super::users::managed_domain;
use crate::db::domains::Domain;
use crate::db::jobs::{self, Item, Job, JobsFrom};
use crate::db::users::UserRef;
use crate::domain::ids::{JobId, UserId};
use crate::domain::listing::PAGE_SIZES;
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::domain::{Email, Invalid, PersonName};
use crate::error::{AppError, redirect};
use crate::services::bulk::{self, Action, RecycleRow, Recycled, Selection};
use crate::services::jobs::{self as job_service, JobsPage};
use crate::services::reset::NewOccupant;
use crate::state::AppState;
use crate::views::bulk::{
    Hidden, OutcomeRow, Progress, ProgressFragment, ProgressPage, RecycleForm, RecycleFragment,
    RecyclePage, RecycleRowView, UndoConfirmPage, UndoConfirmStep,
};
use crate::views::csv;
use crate::views::jobs::{JobRow, JobsPage as JobsListPage};
use crate::views::users::{FormField, SelectOption};
use crate::web::htmx::HxRequest;
use crate::web::paths;
use crate::web::session::{Actor, PortalSession};

/// The Progress step of a job whose domain the actor manages.
pub async fn load_progress(
    state: &AppState,
    actor: &Actor,
    job_id: JobId,
) -> Result<(Domain, Progress), AppError> {
    let rights = actor.rights();
    let progress = state
        .db(move |conn| job_service::progress(conn, &rights, job_id))
        .await?;
    let domain = progress.domain.clone();
    Ok((domain, Progress::new(progress, actor.csrf_token.clone())))
}

/// The Progress step as the request wants it: the fragment for htmx, else the page.
fn progress_response(
    req: &HttpRequest,
    actor: &Actor,
    domain: Domain,
    progress: Progress,
) -> Result<HttpResponse, AppError> {
    if HxRequest::of(req).wants_fragment() {
        return crate::views::ok(&ProgressFragment { progress });
    }
    crate::views::ok(&ProgressPage {
        chrome: actor.chrome(),
        jobs_href: paths::domain_jobs(&domain.name),
        domain: domain.name,
        progress,
    })
}

pub async fn show(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (domain, progress) = load_progress(&state, &actor, path.into_inner()).await?;
    progress_response(&req, &actor, domain, progress)
}

/// **Stop job**: the rest of its users are skipped; htmx gets the step back, a plain
/// form the job's page.
pub async fn stop(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (acting, job_id) = (actor.acting(), path.into_inner());
    state
        .db(move |conn| job_service::stop(conn, &acting, job_id))
        .await?;
    if !HxRequest::of(&req).scripted {
        return Ok(redirect(&paths::job(job_id)));
    }
    let (domain, progress) = load_progress(&state, &actor, job_id).await?;
    progress_response(&req, &actor, domain, progress)
}

/// A Jobs page's address: keyset paging and **Per page** as on the Users page.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct JobsParams {
    /// The page of jobs older than this one (**Next page**).
    before: Option<JobId>,
    /// The page of jobs newer than this one (**Previous page**).
    after: Option<JobId>,
    per_page: Option<String>,
}

impl JobsParams {
    /// Where the page starts, and how many jobs it lists.
    fn read(&self) -> Result<(JobsFrom, u32), AppError> {
        let from = match (self.before, self.after) {
            (None, None) => JobsFrom::Newest,
            (Some(before), None) => JobsFrom::OlderThan(before),
            (None, Some(after)) => JobsFrom::NewerThan(after),
            (Some(_), Some(_)) => {
                return Err(AppError::BadRequest(
                    "Ask for the page before or after a job, not both.".into(),
                ));
            }
        };
        let per_page = match self.per_page.as_deref().map(str::trim) {
            None | Some("") => PAGE_SIZES[0],
            Some(text) => text
                .parse::<u32>()
                .ok()
                .filter(|n| PAGE_SIZES.contains(n))
                .ok_or_else(|| AppError::BadRequest("Show 25, 50 or 100 jobs per page.".into()))?,
        };
        Ok((from, per_page))
    }
}

/// A domain's Jobs page.
pub async fn list_of_domain(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<JobsParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let jobs_href = paths::domain_jobs(&domain.name);
    let page = jobs_page(
        &actor,
        &state,
        JobsPage::Domain(domain.id),
        &params,
        &jobs_href,
    )
    .await?;
    crate::views::ok(&JobsListPage {
        users_href: Some(paths::users(&domain.name)),
        domain: Some(domain.name),
        ..page
    })
}

/// `/jobs`: the jobs of every domain the actor may open.
pub async fn list_all(
    actor: Actor,
    state: web::Data<AppState>,
    params: web::Query<JobsParams>,
) -> Result<HttpResponse, AppError> {
    let page = jobs_page(&actor, &state, JobsPage::Reachable, &params, paths::JOBS).await?;
    crate::views::ok(&page)
}

async fn jobs_page(
    actor: &Actor,
    state: &AppState,
    of: JobsPage,
    params: &JobsParams,
    base_href: &str,
) -> Result<JobsListPage, AppError> {
    let (from, per_page) = params.read()?;
    let rights = actor.rights();
    let listed = state
        .db(move |conn| job_service::list(conn, &rights, of, from, i64::from(per_page)))
        .await?;
    // Each link keeps the page size; the default is left out of the address.
    let sized = |key: &str, id: JobId| {
        if per_page == PAGE_SIZES[0] {
            format!("{base_href}?{key}={id}")
        } else {
            format!("{base_href}?{key}={id}&per_page={per_page}")
        }
    };
    let previous_href = listed
        .newer
        .then(|| listed.rows.first().map(|row| sized("after", row.job.id)))
        .flatten();
    let next_href = listed
        .older
        .then(|| listed.rows.last().map(|row| sized("before", row.job.id)))
        .flatten();
    Ok(JobsListPage {
        chrome: actor.chrome(),
        domain: None,
        users_href: None,
        total: listed.total,
        rows: listed.rows.into_iter().map(JobRow::from).collect(),
        previous_href,
        next_href,
        per_page: SelectOption::page_sizes(per_page),
        base_href: base_href.to_owned(),
    })
}

/// Items read per query while streaming a job's results.
const RESULT_CHUNK: i64 = 1000;

const RESULT_HEADER: [&str; 4] = ["Extension", "Name before the job", "Outcome", "Reason"];

/// **Download results**: one CSV row per user of the job, streamed in keyset chunks.
pub async fn results_csv(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (rights, job_id) = (actor.rights(), path.into_inner());
    state
        .db(move |conn| job_service::accessible(conn, &rights, job_id))
        .await?;
    let chunks = csv::chunked(RESULT_HEADER, 0_i64, move |after| {
        let state = state.clone();
        async move {
            let items = state
                .db(move |conn| jobs::items_after(conn, job_id, after, RESULT_CHUNK))
                .await?;
            let next = match items.last() {
                Some(last)
                    if items.len() == usize::try_from(RESULT_CHUNK).unwrap_or(usize::MAX) =>
                {
                    Some(last.id)
                }
                _ => None,
            };
            let body: String = items.iter().map(result_row).collect();
            Ok::<_, AppError>((body, next))
        }
    });
    Ok(csv::attachment(
        &format!("job-{job_id}-results.csv"),
        chunks,
    ))
}

fn result_row(item: &Item) -> String {
    let outcome = OutcomeRow::outcome_of(item.state);
    csv::line([
        item.extension.as_str(),
        &item.user_name,
        outcome,
        item.reason.as_deref().unwrap_or_default(),
    ])
}

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
        .db(move |conn| bulk::recycle(conn, &acting, &job, &to_save, links.as_deref()))
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

/// The Confirm step of Undo reset for `users` (those the reset still keeps).
pub fn undo_step(
    actor: &Actor,
    reset_job: JobId,
    options: &ResetOptions,
    users: &[UserRef],
    carried: Vec<Hidden>,
) -> UndoConfirmStep {
    UndoConfirmStep {
        start_href: paths::job_undo(reset_job),
        back_href: paths::job(reset_job),
        carried,
        users: super::bulk::listed(users),
        cleared: options.iter().map(ResetOption::label).collect(),
        csrf_token: actor.csrf_token.clone(),
    }
}

/// The reset job's Undo data and its users as they are now.
async fn undo_of(
    actor: &Actor,
    state: &AppState,
    job_id: JobId,
) -> Result<(job_service::Undo, Vec<UserRef>), AppError> {
    let rights = actor.rights();
    let undo = state
        .db(move |conn| job_service::undo(conn, &rights, job_id))
        .await?;
    let (domain, selection) = (undo.domain.clone(), Selection::Users(undo.users.clone()));
    let users = state
        .db(move |conn| bulk::resolve(conn, &domain, &selection))
        .await?;
    Ok((undo, users))
}

/// **Undo reset**: its Confirm step, in the Progress step (htmx) or as a page.
pub async fn undo_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    let (undo, users) = undo_of(&actor, &state, path.into_inner()).await?;
    let step = undo_step(&actor, undo.job.id, &undo.options, &users, Vec::new());
    if HxRequest::of(&req).scripted {
        crate::views::ok(&step)
    } else {
        crate::views::ok(&UndoConfirmPage {
            chrome: actor.chrome(),
            step,
        })
    }
}

/// Confirm of Undo reset: a job that puts back what the reset cleared, for each of its
/// users not changed since.
pub async fn start_undo(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (chosen, retry_of) = super::bulk::undo_choice(&body)?;
    let (undo, _) = undo_of(&actor, &state, path.into_inner()).await?;
    let users: Vec<UserId> = match chosen {
        None => undo.users.clone(),
        Some(chosen) => {
            let chosen: HashSet<UserId> = chosen.into_iter().collect();
            undo.users
                .iter()
                .copied()
                .filter(|id| chosen.contains(id))
                .collect()
        }
    };
    if users.is_empty() {
        return Err(AppError::BadRequest(
            "None of these users can be put back any more.".into(),
        ));
    }
    let acting = actor.acting();
    let action = Action::UndoReset {
        job: undo.job.id,
        options: undo.options.clone(),
    };
    let selection = Selection::Users(users);
    let domain = undo.domain.clone();
    let job_id = state
        .db(move |conn| {
            bulk::start_job(conn, &acting, &domain, &action, &selection, None, retry_of)
        })
        .await?;
    super::bulk::started(&req, &actor, &state, job_id).await
}
