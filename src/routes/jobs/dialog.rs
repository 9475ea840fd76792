//! The Bulk Action dialog's steps on the Users page: choose, Reset Users' options,
//! each action's Confirm (with what it will remove), Confirm's start, and Retry failed
//! (the Confirm step of a job's action for the users it failed). Each answers a plain
//! form post (no JavaScript) with the same step as a page ([`super::answer`]).

use super::edit::{edit_confirm_step, selects_actor};
use super::restore::restore_step;
use super::undo::undo_step;
use super::{Fields, answer, carried_to_start, listed, start, step};
use crate::domain::listing::grouped;
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::views::jobs::dialog::Hidden;
use crate::views::jobs::dialog::{
    ChooseStep, DeleteConfirmStep, MailConfirmStep, OptionBox, ResetConfirmStep, ResetOptionsStep,
};
use crate::views::jobs::heading;
use crate::views::routing::{
    REACHED_FROM_LISTED, ReachedFrom, Successors, summarized_reaching_nobody,
};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::db::domains::Domain;
use crate::domain::ids::JobId;
use crate::error::AppError;
use crate::services::jobs::spec::Action;
use crate::services::jobs::start::Chosen;
use crate::services::jobs::{self as job_service, Undone};
use crate::state::AppState;
use crate::web::session::Actor;

pub async fn choose(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    let step = ChooseStep {
        carried: fields.carried_selection(),
        users: listed(&users),
        domain: domain.name,
    };
    answer(&req, &actor, &step.domain, StatusCode::OK, &step)
}

pub async fn reset_options(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    // Coming back from Confirm keeps what was chosen; arriving from the start shows the defaults.
    let returning = fields.one("returning").is_some();
    let chosen = if returning {
        fields.reset_options()
    } else {
        ResetOptions::defaults()
    };
    let step = ResetOptionsStep {
        carried: fields.carried_selection(),
        users: listed(&users),
        options: OptionBox::all(&chosen),
        recycle: returning && fields.flag("recycle"),
        error: None,
        domain: domain.name,
    };
    answer(&req, &actor, &step.domain, StatusCode::OK, &step)
}

pub async fn reset_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    reset_confirm_step(&req, &actor, &state, domain, &fields, &users).await
}

async fn reset_confirm_step(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    domain: Domain,
    fields: &Fields,
    users: &Chosen,
) -> Result<HttpResponse, AppError> {
    let chosen = fields.reset_options();
    let recycle = fields.flag("recycle");
    if let Err(invalid) = chosen.require_some() {
        let step = ResetOptionsStep {
            carried: fields.carried_selection(),
            users: listed(users),
            options: OptionBox::all(&chosen),
            recycle,
            error: Some(invalid.to_string()),
            domain: domain.name,
        };
        return answer(
            req,
            actor,
            &step.domain,
            StatusCode::UNPROCESSABLE_ENTITY,
            &step,
        );
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
        value: users.count.to_string(),
    });
    let (counted, selected) = (chosen.clone(), users.clone());
    let (removed, reached) = state
        .db(move |conn| {
            let removing: Vec<ResetOption> = counted.iter().collect();
            let removed = selected.rows_removed(conn, &removing)?;
            Ok::<_, diesel::result::Error>((removed, selected.reached(conn, REACHED_FROM_LISTED)?))
        })
        .await?;
    let step = ResetConfirmStep {
        carried,
        users: listed(users),
        cleared: chosen.iter().map(ResetOption::label).collect(),
        removed: removed
            .into_iter()
            .map(|(option, count)| format!("{}: {}", option.label(), grouped(count)))
            .collect(),
        recycle,
        reached_from: ReachedFrom::summarized(&reached),
        domain: domain.name,
    };
    answer(req, actor, &step.domain, StatusCode::OK, &step)
}

pub async fn delete_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    confirm_step(
        &req,
        &state,
        &actor,
        domain,
        &fields,
        &users,
        &Action::Delete {
            successors: Vec::new(),
        },
    )
    .await
}

/// The Confirm step of `action` for `users`, chosen by `fields`.
async fn confirm_step(
    req: &HttpRequest,
    state: &AppState,
    actor: &Actor,
    domain: Domain,
    fields: &Fields,
    users: &Chosen,
    action: &Action,
) -> Result<HttpResponse, AppError> {
    let name = domain.name.clone();
    match action {
        Action::Restore => answer(
            req,
            actor,
            &name,
            StatusCode::OK,
            &restore_step(actor, domain, fields, users),
        ),
        Action::UndoReset { job, options } => {
            let carried = fields.carried_selection();
            let undone = Undone::Reset(options.clone());
            let step = undo_step(actor, *job, &undone, users, carried);
            answer(req, actor, &name, StatusCode::OK, &step)
        }
        Action::UndoEdit { job, fields: edit } => {
            let carried = fields.carried_selection();
            let undone = Undone::Edit(edit.clone());
            let step = undo_step(actor, *job, &undone, users, carried);
            answer(req, actor, &name, StatusCode::OK, &step)
        }
        Action::Edit { fields: edit } => {
            let own_selected = selects_actor(state, actor, users).await?;
            let step = edit_confirm_step(domain, fields, users, edit, own_selected);
            answer(req, actor, &name, StatusCode::OK, &step)
        }
        Action::Reset { .. } => reset_confirm_step(req, actor, state, domain, fields, users).await,
        Action::Import { .. } => Err(AppError::BadRequest(
            "An import is retried by checking its file again.".into(),
        )),
        Action::Delete { .. } => {
            let selected = users.clone();
            let preview = state
                .db(move |conn| selected.delete_preview(conn, REACHED_FROM_LISTED))
                .await?;
            let step = DeleteConfirmStep {
                domain: domain.name,
                carried: carried_to_start(fields, users),
                users: listed(users),
                retention_days: state.settings.retention_days,
                reaching_nobody: summarized_reaching_nobody(&preview.reached),
                successors: Successors::summarized(
                    &preview.offered,
                    &preview.offered_reaches,
                    &preview.reached,
                    preview.choices,
                ),
                reached_from: ReachedFrom::summarized(&preview.reached),
            };
            answer(req, actor, &name, StatusCode::OK, &step)
        }
        Action::Welcome | Action::ForcePasswordReset => {
            let selected = users.clone();
            let without_email = state.db(move |conn| selected.without_email(conn)).await?;
            let start_path = match action {
                Action::ForcePasswordReset => "force-reset",
                _ => "welcome",
            };
            let step = MailConfirmStep {
                start_href: format!("/domains/{}/bulk/{start_path}", domain.name),
                domain: domain.name,
                carried: carried_to_start(fields, users),
                heading: heading(action),
                forced: *action == Action::ForcePasswordReset,
                without_email,
                users: listed(users),
            };
            answer(req, actor, &name, StatusCode::OK, &step)
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
    let (rights, job_id) = (actor.rights(), path.into_inner());
    let retry = state
        .db(move |conn| job_service::retry(conn, &rights, job_id))
        .await?;
    let fields = Fields::for_retry(&retry, &actor.csrf_token);
    let (domain, selection) = (retry.domain.clone(), retry.selection.clone());
    let users = state
        .db(move |conn| job_service::start::resolve(conn, &domain, &selection))
        .await?;
    if users.is_empty() {
        return Err(AppError::BadRequest(
            "None of the failed users exists any more.".into(),
        ));
    }
    let users = Chosen::named(&retry.domain, users);
    confirm_step(
        &req,
        &state,
        &actor,
        retry.domain,
        &fields,
        &users,
        &retry.action,
    )
    .await
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
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    confirm_step(&req, &state, &actor, domain, &fields, &users, &action).await
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
