//! The job wing's pages: the Bulk Action dialog's steps ([`dialog`], with Retry failed;
//! Edit Users' in [`edit`]), Restore from Deleted users ([`restore`]), a job's Progress
//! step and Stop job ([`progress`]), the Jobs lists ([`list`]), Download results
//! ([`results`]), the recycle form ([`recycle`]) and Undo reset and Undo edit
//! ([`undo`]). What they share (reading a step's form, listing the selected users,
//! answering a step in the dialog or, without JavaScript, as a page of its own,
//! starting a job and answering with its progress) is here.

pub mod dialog;
pub mod edit;
pub mod list;
pub mod progress;
pub mod recycle;
pub mod restore;
pub mod results;
pub mod undo;

use crate::db::users::ListFilter;
use crate::domain::listing::{parse_search, parse_status};
use crate::domain::reset::ResetOptions;
use crate::routes::managed::managed_domain;
use crate::services::jobs::Retry;
use crate::services::jobs::start::{Chosen, NamedSuccessors, SuccessorOf};
use crate::views::jobs::dialog::{BulkStepPage, Hidden, Listed, SelectedUsers};
use crate::views::jobs::progress::{Progress, ProgressFragment};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::db::domains::Domain;
use crate::domain::ids::{JobId, UserId};
use crate::error::{AppError, redirect};
use crate::services::jobs::spec::{Action, Selection};
use crate::services::jobs::{self as job_service};
use crate::state::AppState;
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

    /// The selection as hidden fields for the next step, with the CSRF token a plain form
    /// post (no JavaScript) brought, which its next post needs (a scripted step sends it
    /// as a header).
    fn carried_selection(&self) -> Vec<Hidden> {
        let keep: &[&str] = if self.flag("all_matching") {
            &[
                "all_matching",
                "q",
                "status",
                "system",
                "retry_of",
                "csrf_token",
            ]
        } else {
            &["user", "retry_of", "csrf_token"]
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

    /// The successors the Delete Users Confirm step names: **Successor for all**
    /// (`successor_all`) and **Successor for {extension}** (`successor_{user id}`), each an
    /// extension; empty means none.
    fn successors(&self) -> Result<NamedSuccessors, AppError> {
        let mut named = NamedSuccessors::default();
        for (key, value) in &self.0 {
            let value = value.trim();
            let Some(whose) = key.strip_prefix("successor_") else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            if whose == "all" {
                named.all = Some(value.to_owned());
            } else {
                let id = whose.parse::<UserId>().map_err(|_| {
                    AppError::BadRequest("A successor's field could not be read.".into())
                })?;
                named.each.push((SuccessorOf::Id(id), value.to_owned()));
            }
        }
        Ok(named)
    }

    fn reset_options(&self) -> ResetOptions {
        ResetOptions::from_keys(self.all("option"))
    }

    /// The fields a Retry failed starts from: the failed users, the job's options, the
    /// job retried, and the CSRF token its Confirm posts (as a page without JavaScript).
    fn for_retry(retry: &Retry, csrf_token: &str) -> Self {
        let mut pairs: Vec<(String, String)> = match &retry.selection {
            Selection::Users(ids) | Selection::Deleted(ids) => ids
                .iter()
                .map(|id| ("user".into(), id.to_string()))
                .collect(),
            Selection::AllMatching(_) => Vec::new(),
        };
        if let Action::Edit { fields } = &retry.action {
            for field in fields.fields() {
                pairs.push(("change".into(), field.key().into()));
                let value = match (field.is_switch(), fields.value(field)) {
                    (true, Some(on)) => if on == "On" { "on" } else { "off" }.to_owned(),
                    (_, value) => value.unwrap_or_default(),
                };
                pairs.push((field.key().into(), value));
            }
        }
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
        // Restore's and Undo's Confirm steps carry the token themselves.
        if !matches!(
            retry.action,
            Action::Restore | Action::UndoReset { .. } | Action::UndoEdit { .. }
        ) {
            pairs.push(("csrf_token".into(), csrf_token.to_owned()));
        }
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
        "csrf_token" => "csrf_token",
        _ => "user",
    }
}

/// A step's answer: the fragment for the Bulk Action dialog, or, to a plain form post
/// (no JavaScript), the same step on a page of its own whose **Cancel** leads back to
/// the domain's Users page.
fn answer(
    req: &HttpRequest,
    actor: &Actor,
    domain: &str,
    status: StatusCode,
    step: &impl Template,
) -> Result<HttpResponse, AppError> {
    if HxRequest::of(req).scripted {
        return crate::views::page(status, step);
    }
    crate::views::page(
        status,
        &BulkStepPage {
            chrome: actor.chrome(),
            cancel_href: paths::users(domain),
            step: step.render()?,
        },
    )
}

pub(super) fn listed(chosen: &Chosen) -> SelectedUsers {
    let shown: Vec<Listed> = chosen
        .users
        .iter()
        .take(LISTED)
        .map(|user| Listed {
            extension: user.extension.clone(),
            name: user.full_name(),
        })
        .collect();
    SelectedUsers {
        count: chosen.count,
        more: chosen.count.saturating_sub(shown.len()),
        shown,
    }
}

/// The domain, the parsed fields and the selected users of a step.
async fn step(
    actor: &Actor,
    state: &AppState,
    domain: &str,
    body: &[u8],
) -> Result<(Domain, Fields, Chosen), AppError> {
    let domain = managed_domain(actor, state, domain).await?;
    let fields = Fields::parse(body)?;
    let selection = fields.selection(&domain)?;
    let in_domain = domain.clone();
    let users = state
        .db(move |conn| job_service::start::chosen(conn, &in_domain, &selection, LISTED))
        .await?;
    if users.count == 0 {
        return Err(AppError::BadRequest(
            job_service::JobError::EmptySelection.to_string(),
        ));
    }
    Ok((domain, fields, users))
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
fn carried_to_start(fields: &Fields, users: &Chosen) -> Vec<Hidden> {
    let mut carried = fields.carried_selection();
    carried.push(Hidden {
        name: "expected",
        value: users.count.to_string(),
    });
    carried
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
    // A delete's successors are named on its Confirm step; they are resolved against
    // the selection as it is now.
    let named = match action {
        Action::Delete { .. } => fields.successors()?,
        _ => NamedSuccessors::default(),
    };
    let acting = actor.acting();
    let job_id = state
        .db(move |conn| {
            let action = match action {
                Action::Delete { .. } if !named.is_empty() => Action::Delete {
                    successors: job_service::start::successors(conn, &domain, &selection, &named)?,
                },
                other => other,
            };
            job_service::start::start_job(
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
    let (_, progress) = load_progress(state, actor, job_id).await?;
    let mut response = crate::views::ok::<AppError>(&ProgressFragment { progress })?;
    push_url(&mut response, &paths::job(job_id));
    Ok(response)
}

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
