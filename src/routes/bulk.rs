//! The Bulk Action dialog's steps. Each step is a fragment swapped into the dialog; the
//! selection (and, later, the chosen options) travels from step to step in hidden fields
//! and is checked again by the server at every step. Nothing changes before Confirm.

use actix_web::{HttpRequest, HttpResponse, web};

use super::users::managed_domain;
use crate::db::domains::Domain;
use crate::db::users::{ListFilter, UserRef};
use crate::domain::ids::{JobId, UserId};
use crate::domain::listing::{grouped, parse_search, parse_status};
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::error::{AppError, redirect};
use crate::services::bulk::{self, Action, BulkError, Selection};
use crate::services::jobs::{self as job_service, Retry};
use crate::services::reset;
use crate::state::AppState;
use crate::views::bulk::{
    ChooseStep, DeleteConfirmStep, Hidden, Listed, MailConfirmStep, OptionBox, ProgressFragment,
    ResetConfirmStep, ResetOptionsStep, RestoreConfirmPage, RestoreConfirmStep, SelectedUsers,
};
use crate::web::htmx::{HxRequest, push_url};
use crate::web::paths;
use crate::web::session::Actor;

/// Users named in a step's list; the rest are counted.
const LISTED: usize = 50;
/// Most ids one selection may carry.
const MAX_IDS: usize = 100_000;

/// The form fields of a step, as pairs (ids and options repeat).
struct Fields(Vec<(String, String)>);

impl Fields {
    fn parse(body: &[u8]) -> Result<Self, AppError> {
        serde_urlencoded::from_bytes(body)
            .map(Fields)
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))
    }

    fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    }

    fn one<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.all(name).next()
    }

    fn flag(&self, name: &str) -> bool {
        matches!(self.one(name), Some("1" | "on" | "true"))
    }

    /// The selection: checked rows' ids, or "all matching" with its filter.
    fn selection(&self, domain: &Domain) -> Result<Selection, AppError> {
        if self.flag("all_matching") {
            let bad = |invalid: crate::domain::Invalid| AppError::BadRequest(invalid.to_string());
            let search = parse_search(self.one("q")).map_err(bad)?;
            let status = parse_status(self.one("status")).map_err(bad)?;
            return Ok(Selection::AllMatching(ListFilter {
                domain_id: domain.id,
                search,
                status,
                include_system: self.flag("system"),
            }));
        }
        Ok(Selection::Users(self.checked_ids()?))
    }

    /// Checked rows' ids.
    fn checked_ids(&self) -> Result<Vec<UserId>, AppError> {
        let ids: Vec<UserId> = self
            .all("user")
            .map(|id| id.trim().parse::<UserId>())
            .collect::<Result<_, _>>()
            .map_err(|_| AppError::BadRequest("A selected user is not valid.".into()))?;
        if ids.is_empty() {
            return Err(AppError::BadRequest("Select at least one user.".into()));
        }
        if ids.len() > MAX_IDS {
            return Err(AppError::BadRequest(format!(
                "Select at most {MAX_IDS} users at once."
            )));
        }
        Ok(ids)
    }

    /// The checked rows of the Deleted users page: ids of deleted users.
    fn deleted_selection(&self) -> Result<Selection, AppError> {
        Ok(Selection::Deleted(self.checked_ids()?))
    }

    /// The selection as hidden fields for the next step.
    fn carried_selection(&self) -> Vec<Hidden> {
        let keep: &[&str] = if self.flag("all_matching") {
            &["all_matching", "q", "status", "system", "retry_of"]
        } else {
            &["user", "retry_of"]
        };
        self.0
            .iter()
            .filter(|(key, _)| keep.contains(&key.as_str()))
            .map(|(key, value)| Hidden {
                name: field_name(key),
                value: value.clone(),
            })
            .collect()
    }

    fn reset_options(&self) -> ResetOptions {
        ResetOptions::from_keys(self.all("option"))
    }

    /// The fields a Retry failed starts from: the failed users, the job's options, and
    /// the job retried.
    fn for_retry(retry: &Retry) -> Self {
        let mut pairs: Vec<(String, String)> = match &retry.selection {
            Selection::Users(ids) | Selection::Deleted(ids) => ids
                .iter()
                .map(|id| ("user".into(), id.to_string()))
                .collect(),
            Selection::AllMatching(_) => Vec::new(),
        };
        if let Action::Reset { options, recycle } = &retry.action {
            pairs.extend(
                options
                    .iter()
                    .map(|option| ("option".into(), option.key().into())),
            );
            if *recycle {
                pairs.push(("recycle".into(), "1".into()));
            }
        }
        pairs.push(("retry_of".into(), retry.job.id.to_string()));
        Fields(pairs)
    }

    /// The job a Retry failed retries, if this is one.
    fn retry_of(&self) -> Result<Option<JobId>, AppError> {
        self.one("retry_of")
            .map(|id| id.trim().parse::<JobId>())
            .transpose()
            .map_err(|_| AppError::BadRequest("The job to retry is not valid.".into()))
    }
}

/// The static name of a carried field.
fn field_name(key: &str) -> &'static str {
    match key {
        "all_matching" => "all_matching",
        "q" => "q",
        "status" => "status",
        "system" => "system",
        "option" => "option",
        "recycle" => "recycle",
        "expected" => "expected",
        "retry_of" => "retry_of",
        _ => "user",
    }
}

/// The steps live in the dialog; a direct hit gets a clear refusal.
fn require_dialog(req: &HttpRequest) -> Result<(), AppError> {
    if HxRequest::of(req).scripted {
        Ok(())
    } else {
        Err(AppError::BadRequest(
            "This step opens inside the Bulk Action dialog of the Users page.".into(),
        ))
    }
}

pub(super) fn listed(users: &[UserRef]) -> SelectedUsers {
    SelectedUsers {
        count: users.len(),
        shown: users
            .iter()
            .take(LISTED)
            .map(|user| Listed {
                extension: user.extension.clone(),
                name: user.full_name(),
            })
            .collect(),
        more: users.len().saturating_sub(LISTED),
    }
}

/// The domain, the parsed fields and the selected users of a step.
async fn step(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    domain: &str,
    body: &[u8],
) -> Result<(Domain, Fields, Vec<UserRef>), AppError> {
    require_dialog(req)?;
    let domain = managed_domain(actor, state, domain).await?;
    let fields = Fields::parse(body)?;
    let selection = fields.selection(&domain)?;
    let in_domain = domain.clone();
    let users = state
        .db(move |conn| bulk::resolve(conn, &in_domain, &selection))
        .await?;
    if users.is_empty() {
        return Err(AppError::BadRequest(BulkError::EmptySelection.to_string()));
    }
    Ok((domain, fields, users))
}

pub async fn choose(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&req, &actor, &state, &path, &body).await?;
    crate::views::ok(&ChooseStep {
        domain: domain.name,
        carried: fields.carried_selection(),
        users: listed(&users),
    })
}

pub async fn reset_options(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&req, &actor, &state, &path, &body).await?;
    // Coming back from Confirm keeps what was chosen; arriving from the start shows the defaults.
    let returning = fields.one("returning").is_some();
    let chosen = if returning {
        fields.reset_options()
    } else {
        ResetOptions::defaults()
    };
    crate::views::ok(&ResetOptionsStep {
        domain: domain.name,
        carried: fields.carried_selection(),
        users: listed(&users),
        options: OptionBox::all(&chosen),
        recycle: returning && fields.flag("recycle"),
        error: None,
    })
}

pub async fn reset_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&req, &actor, &state, &path, &body).await?;
    reset_confirm_step(&state, domain, &fields, &users).await
}

async fn reset_confirm_step(
    state: &AppState,
    domain: Domain,
    fields: &Fields,
    users: &[UserRef],
) -> Result<HttpResponse, AppError> {
    let chosen = fields.reset_options();
    let recycle = fields.flag("recycle");
    if chosen.is_empty() {
        let page = ResetOptionsStep {
            domain: domain.name,
            carried: fields.carried_selection(),
            users: listed(users),
            options: OptionBox::all(&chosen),
            recycle,
            error: Some(BulkError::NoOptions.to_string()),
        };
        return crate::views::page(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    let mut carried = fields.carried_selection();
    carried.extend(chosen.iter().map(|option| Hidden {
        name: "option",
        value: option.key().to_owned(),
    }));
    if recycle {
        carried.push(Hidden {
            name: "recycle",
            value: "1".into(),
        });
    }
    carried.push(Hidden {
        name: "returning",
        value: "1".into(),
    });
    carried.push(Hidden {
        name: "expected",
        value: users.len().to_string(),
    });
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    let counted = chosen.clone();
    let removed = state
        .db(move |conn| reset::rows_removed(conn, &ids, &counted))
        .await?;
    crate::views::ok(&ResetConfirmStep {
        domain: domain.name,
        carried,
        users: listed(users),
        cleared: chosen.iter().map(ResetOption::label).collect(),
        removed: removed
            .into_iter()
            .map(|(option, count)| format!("{}: {}", option.label(), grouped(count)))
            .collect(),
        recycle,
    })
}

pub async fn delete_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&req, &actor, &state, &path, &body).await?;
    confirm_step(&state, &actor, domain, &fields, &users, &Action::Delete).await
}

/// The Confirm step of `action` for `users`, chosen by `fields`.
async fn confirm_step(
    state: &AppState,
    actor: &Actor,
    domain: Domain,
    fields: &Fields,
    users: &[UserRef],
    action: &Action,
) -> Result<HttpResponse, AppError> {
    match action {
        Action::Restore => crate::views::ok(&restore_step(actor, domain, fields, users)),
        Action::UndoReset { job, options } => {
            let carried = fields.carried_selection();
            crate::views::ok(&super::jobs::undo_step(
                actor, *job, options, users, carried,
            ))
        }
        Action::Reset { .. } => reset_confirm_step(state, domain, fields, users).await,
        Action::Import { .. } => Err(AppError::BadRequest(
            "An import is retried by checking its file again.".into(),
        )),
        Action::Delete => crate::views::ok(&DeleteConfirmStep {
            domain: domain.name,
            carried: carried_to_start(fields, users),
            users: listed(users),
            retention_days: state.settings.retention_days,
        }),
        Action::Welcome | Action::ForcePasswordReset => {
            let without_email = users.iter().filter(|user| user.email.is_none()).count();
            let start_path = match action {
                Action::ForcePasswordReset => "force-reset",
                _ => "welcome",
            };
            crate::views::ok(&MailConfirmStep {
                start_href: format!("/domains/{}/bulk/{start_path}", domain.name),
                domain: domain.name,
                carried: carried_to_start(fields, users),
                heading: action.heading(),
                forced: *action == Action::ForcePasswordReset,
                without_email,
                users: listed(users),
            })
        }
    }
}

/// Retry failed: the Confirm step of a job's action for the users it failed, carrying
/// the job's id so that the new job's audit event names it.
pub async fn retry(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> Result<HttpResponse, AppError> {
    require_dialog(&req)?;
    let (rights, job_id) = (actor.rights(), path.into_inner());
    let retry = state
        .db(move |conn| job_service::retry(conn, &rights, job_id))
        .await?;
    let fields = Fields::for_retry(&retry);
    let (domain, selection) = (retry.domain.clone(), retry.selection.clone());
    let users = state
        .db(move |conn| bulk::resolve(conn, &domain, &selection))
        .await?;
    if users.is_empty() {
        return Err(AppError::BadRequest(
            "None of the failed users exists any more.".into(),
        ));
    }
    confirm_step(&state, &actor, retry.domain, &fields, &users, &retry.action).await
}

/// What an Undo reset's Confirm carried: the users a Retry failed chose (none means
/// every user the reset can still put back), and the job it retries.
pub(super) fn undo_choice(body: &[u8]) -> Result<(Option<Vec<UserId>>, Option<JobId>), AppError> {
    let fields = Fields::parse(body)?;
    let chosen = match fields.one("user") {
        Some(_) => Some(fields.checked_ids()?),
        None => None,
    };
    Ok((chosen, fields.retry_of()?))
}

/// What a Confirm step carries to the start of its job: the selection, and how many
/// users it showed (an "all matching" selection that changed since starts nothing).
fn carried_to_start(fields: &Fields, users: &[UserRef]) -> Vec<Hidden> {
    let mut carried = fields.carried_selection();
    carried.push(Hidden {
        name: "expected",
        value: users.len().to_string(),
    });
    carried
}

/// The Confirm step of Send Welcome Email and Force Password Reset.
pub async fn mail_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
    action: Action,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&req, &actor, &state, &path, &body).await?;
    confirm_step(&state, &actor, domain, &fields, &users, &action).await
}

/// The Confirm step of Restore for `users` (deleted users), chosen by `fields`.
fn restore_step(
    actor: &Actor,
    domain: Domain,
    fields: &Fields,
    users: &[UserRef],
) -> RestoreConfirmStep {
    RestoreConfirmStep {
        start_href: paths::deleted_users_restore(&domain.name),
        back_href: paths::deleted_users(&domain.name),
        carried: carried_to_start(fields, users),
        users: listed(users),
        csrf_token: actor.csrf_token.clone(),
        domain: domain.name,
    }
}

/// Restore on the Deleted users page: its Confirm step, in the page (htmx) or as a page
/// of its own.
pub async fn restore_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let fields = Fields::parse(&body)?;
    let selection = fields.deleted_selection()?;
    let in_domain = domain.clone();
    let users = state
        .db(move |conn| bulk::resolve(conn, &in_domain, &selection))
        .await?;
    if users.is_empty() {
        return Err(AppError::BadRequest(
            "Select at least one deleted user of this domain.".into(),
        ));
    }
    let step = restore_step(&actor, domain, &fields, &users);
    if HxRequest::of(&req).scripted {
        crate::views::ok(&step)
    } else {
        crate::views::ok(&RestoreConfirmPage {
            chrome: actor.chrome(),
            step,
        })
    }
}

/// Confirm of Restore: a job that puts the deleted users back.
pub async fn start_restore(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields = Fields::parse(&body)?;
    start(&req, &actor, &state, &path, &fields, Action::Restore).await
}

/// Starts a job that needs no choices beyond the selection (Delete Users, Send Welcome
/// Email, Force Password Reset).
pub async fn start_simple(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
    action: Action,
) -> Result<HttpResponse, AppError> {
    let fields = Fields::parse(&body)?;
    start(&req, &actor, &state, &path, &fields, action).await
}

pub async fn start_reset(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields = Fields::parse(&body)?;
    let action = Action::Reset {
        options: fields.reset_options(),
        recycle: fields.flag("recycle"),
    };
    start(&req, &actor, &state, &path, &fields, action).await
}

/// Confirm: writes the job, wakes the worker, and shows the job's progress: in the
/// dialog, with the job's address pushed into the browser's history; to a plain form
/// post, by sending the browser to `/jobs/{id}`, which refreshes itself.
async fn start(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    domain: &str,
    fields: &Fields,
    action: Action,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(actor, state, domain).await?;
    let selection = if action == Action::Restore {
        fields.deleted_selection()?
    } else {
        fields.selection(&domain)?
    };
    let expected = fields.one("expected").and_then(|n| n.parse::<usize>().ok());
    let retry_of = fields.retry_of()?;
    let acting = actor.acting();
    let job_id = state
        .db(move |conn| {
            bulk::start_job(
                conn, &acting, &domain, &action, &selection, expected, retry_of,
            )
        })
        .await?;
    started(req, actor, state, job_id).await
}

/// The answer to a Confirm that started `job_id`: the worker is woken; the dialog gets
/// the Progress step with the job's address pushed into the browser's history, a plain
/// form post the job's page, which refreshes itself.
pub async fn started(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    job_id: JobId,
) -> Result<HttpResponse, AppError> {
    state.jobs.wake();
    if !HxRequest::of(req).scripted {
        return Ok(redirect(&paths::job(job_id)));
    }
    let (_, progress) = super::jobs::load_progress(state, actor, job_id).await?;
    let mut response = crate::views::ok::<AppError>(&ProgressFragment { progress })?;
    push_url(&mut response, &paths::job(job_id));
    Ok(response)
}
