//! The worker's batch: claim pending items, re-check the actor's rights as they are
//! now, let the action's service work on the users (together in a savepoint, or one
//! by one in a savepoint each should that fail, so a user is never left half changed),
//! and finish each item with its outcome, all in one transaction.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use crate::db::domains::{self, Domain};
use crate::db::jobs::{self, Item, Job};
use crate::db::users::{self, UserRef};
use crate::db::{DbConn, write_transaction};
use crate::domain::ids::{JobId, UserId};
use crate::domain::states::ItemState;
use crate::domain::{ActorRights, TargetUser};
use crate::services::AuditActor;
use crate::services::deleted::{DeleteWork, RestoreWork};
use crate::services::edit::{EditWork, UndoEditWork};
use crate::services::import;
use crate::services::jobs::spec::{Action, JobSpec};
use crate::services::jobs::work::{JobContext, UserWork};
use crate::services::mail::{LinkContext, OVER_DAILY_CAP};
use crate::services::reset::{ResetWork, UndoResetWork};
use crate::services::welcome::{ForceResetWork, WelcomeWork};

/// Users worked on per transaction, unless configured: enough that each transaction's
/// fixed costs fade, few enough that SQLite's write lock is held for tens of
/// milliseconds at a time.
pub const DEFAULT_BATCH_SIZE: u32 = 2000;

/// Why a job stops when the person who started it may no longer run it.
pub const ACTOR_GONE: &str = "Stopped: the user who started this job no longer exists.";
pub const ACTOR_DEMOTED: &str =
    "Stopped: the user who started this job may no longer manage this domain.";

/// Why an item fails when its own savepoint is refused.
const REFUSED: &str = "The database refused the change; nothing was changed for this user.";

/// Works on up to `batch_size` pending items, oldest first, in one transaction.
/// Returns how many items it finished (0 when nothing is pending).
pub fn work_batch(conn: &mut DbConn, links: &LinkContext, batch_size: u32) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let items = jobs::claim_pending(conn, i64::from(batch_size))?;
        let mut by_job: Vec<(JobId, Vec<&Item>)> = Vec::new();
        for item in &items {
            match by_job.iter_mut().find(|(job_id, _)| *job_id == item.job_id) {
                Some((_, grouped)) => grouped.push(item),
                None => by_job.push((item.job_id, vec![item])),
            }
        }
        // Each domain's rows (such as its mail allowance) are locked in the same order by
        // every instance's batch, so two batches never wait on each other in a circle.
        by_job
            .sort_by_key(|(job_id, grouped)| (grouped.first().map(|item| item.domain_id), *job_id));
        for (job_id, grouped) in by_job {
            work_on_job(conn, job_id, &grouped, links, now)?;
            jobs::update_state(conn, job_id, now, Utc::now().naive_utc())?;
        }
        Ok(items.len())
    })
}

/// The service that does `action` to users; an import's rows are worked by their plans.
fn work_for(action: &Action, rights: &ActorRights) -> Option<Box<dyn UserWork>> {
    Some(match action {
        Action::Reset { options, .. } => Box::new(ResetWork {
            options: options.clone(),
        }),
        Action::UndoReset { job, options } => Box::new(UndoResetWork::new(*job, options.clone())),
        Action::Delete { successors } => Box::new(DeleteWork::new(successors)),
        Action::Restore => Box::new(RestoreWork::default()),
        Action::Welcome => Box::new(WelcomeWork),
        Action::ForcePasswordReset => Box::new(ForceResetWork),
        Action::Edit { fields } => Box::new(EditWork {
            edit: fields.clone(),
            actor: rights.user_id,
            highest: rights.scope,
        }),
        Action::UndoEdit { job, fields } => Box::new(UndoEditWork::new(*job, fields.clone())),
        Action::Import { .. } => return None,
    })
}

fn item_ids(items: &[&Item]) -> Vec<i64> {
    items.iter().map(|item| item.id).collect()
}

fn work_on_job(
    conn: &mut DbConn,
    job_id: JobId,
    items: &[&Item],
    links: &LinkContext,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let loaded = match jobs::find(conn, job_id)? {
        Some(job) => JobSpec::of(&job).ok().map(|spec| (job, spec)),
        None => None,
    };
    let Some((job, spec)) = loaded else {
        let reason = Some("The job's description is damaged.");
        jobs::finish_items(conn, &item_ids(items), ItemState::Failed, reason, now)?;
        return Ok(());
    };
    let domain = domains::find(conn, job.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
    let rights = match current_rights(conn, &job, &spec, &domain)? {
        Ok(rights) => rights,
        Err(reason) => {
            jobs::finish_items(
                conn,
                &item_ids(items),
                ItemState::Skipped,
                Some(reason),
                now,
            )?;
            jobs::skip_pending_of_job(conn, job.id, reason, now)?;
            return Ok(());
        }
    };
    let Some(mut work) = work_for(&spec.action, &rights) else {
        let welcome = matches!(spec.action, Action::Import { welcome: true, .. });
        return import::run::work(conn, &job, &rights, items, welcome, links, now);
    };
    let actor = AuditActor {
        user_id: job.actor_id,
        login: job.actor_login.clone(),
    };
    let context = JobContext {
        job: &job,
        domain: &domain,
        actor: &actor,
        links,
        now,
    };
    let user_ids: Vec<UserId> = items.iter().filter_map(|item| item.user_id).collect();
    let mut found: HashMap<UserId, UserRef> = work.find(conn, &context, &user_ids)?;
    let mut eligible: Vec<(i64, UserRef)> = Vec::with_capacity(items.len());
    for item in items {
        let user = item
            .user_id
            .and_then(|id| found.remove(&id))
            .filter(|user| user.domain_id == job.domain_id);
        let passed_over = match &user {
            None => Some("The user no longer exists.".to_owned()),
            Some(user) => {
                let checked = if user.id == rights.user_id && spec.action.includes_actor() {
                    rights.may_manage_domain(domain.as_ref())
                } else {
                    rights.may_act_on(TargetUser {
                        id: user.id,
                        scope: user.scope,
                        domain: domain.as_ref(),
                    })
                };
                checked
                    .err()
                    .map(|refusal| refusal.to_string())
                    .or_else(|| work.passes_over(user))
            }
        };
        match (user, passed_over) {
            (_, Some(reason)) => {
                jobs::finish_items(conn, &[item.id], ItemState::Skipped, Some(&reason), now)?;
            }
            (Some(user), None) => eligible.push((item.id, user)),
            (None, None) => {}
        }
    }
    let all_users: Vec<UserRef> = eligible.iter().map(|(_, user)| user.clone()).collect();
    let together = conn.transaction(|conn| work.apply(conn, &context, &all_users));
    if let Ok(over_cap) = together {
        let (capped, done): (Vec<_>, Vec<_>) = eligible
            .iter()
            .partition(|(_, user)| over_cap.contains(&user.id));
        let (noted, done): (Vec<_>, Vec<_>) = done
            .into_iter()
            .partition(|(_, user)| work.done_note(user).is_some());
        let done: Vec<i64> = done.iter().map(|(item_id, _)| *item_id).collect();
        jobs::finish_items(conn, &done, ItemState::Done, None, now)?;
        for (item_id, user) in noted {
            let note = work.done_note(user);
            jobs::finish_items(conn, &[*item_id], ItemState::Done, note, now)?;
        }
        let capped: Vec<i64> = capped.iter().map(|(item_id, _)| *item_id).collect();
        jobs::finish_items(
            conn,
            &capped,
            work.unmailed_state(),
            Some(OVER_DAILY_CAP),
            now,
        )?;
        return Ok(());
    }
    // Together failed: each user alone, so the one the database refuses is found and
    // left exactly as before while the others go ahead.
    for (item_id, user) in eligible {
        let alone =
            conn.transaction(|conn| work.apply(conn, &context, std::slice::from_ref(&user)));
        match alone {
            Ok(over_cap) if !over_cap.is_empty() => jobs::finish_items(
                conn,
                &[item_id],
                work.unmailed_state(),
                Some(OVER_DAILY_CAP),
                now,
            )?,
            Ok(_) => {
                let note = work.done_note(&user);
                jobs::finish_items(conn, &[item_id], ItemState::Done, note, now)?
            }
            Err(err) => {
                tracing::warn!(item = item_id, error = %err, "job item failed");
                jobs::finish_items(conn, &[item_id], ItemState::Failed, Some(REFUSED), now)?
            }
        };
    }
    Ok(())
}

/// The rights the job's items are checked against now: those of its actor as the actor
/// is now, never more than when the job was confirmed. `Err` with the reason when the
/// actor is gone or may no longer manage the job's domain: the job stops.
fn current_rights(
    conn: &mut DbConn,
    job: &Job,
    spec: &JobSpec,
    domain: &Domain,
) -> QueryResult<Result<ActorRights, &'static str>> {
    let Some((actor, actor_domain)) = job
        .actor_id
        .map(|id| users::find_with_domain(conn, id))
        .transpose()?
        .flatten()
    else {
        return Ok(Err(ACTOR_GONE));
    };
    let confirmed = spec.confirmed_rights();
    let now = ActorRights {
        scope: actor.scope.min(confirmed.scope),
        ..actor.rights_in(&actor_domain)
    };
    let unchanged_home = now.domain_id == confirmed.domain_id;
    if !unchanged_home || now.may_manage_domain(domain.as_ref()).is_err() {
        return Ok(Err(ACTOR_DEMOTED));
    }
    Ok(Ok(now))
}
