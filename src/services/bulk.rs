//! Bulk actions as persisted jobs: resolving a selection (ids re-checked against the
//! domain, or "all matching" re-run as a filter), writing the job and one item per user
//! before any work starts, and working through pending items in batches, each user in a
//! savepoint of its own so that a user is never left half changed.

use std::collections::HashMap;

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::reset::{NewOccupant, recycle_user, reset_user};
use super::{Acting, AuditActor, Authority};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains::Domain;
use crate::db::jobs::{self, Item, Job, NewItem, NewJob};
use crate::db::schema::users as users_table;
use crate::db::users::{self, ListFilter, User};
use crate::db::{DbConn, write_transaction};
use crate::domain::reset::ResetOptions;
use crate::domain::{ActorRights, DomainRef, Refusal, Scope, TargetUser};

/// Users worked on per transaction.
pub const BATCH_SIZE: i64 = 200;

/// Which users a bulk action is for, as the page sent it.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Checked rows: ids, each re-checked to belong to the domain.
    Users(Vec<i64>),
    /// "Select all N matching users": the filter, run again now.
    AllMatching(ListFilter),
}

/// What a job does to each user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Action {
    Reset {
        options: ResetOptions,
        recycle: bool,
    },
    Delete,
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "reset",
            Action::Delete => "delete",
        }
    }

    /// "reset", "deleted": the participle the progress line uses.
    pub fn done_word(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "reset",
            Action::Delete => "deleted",
        }
    }
}

/// The actor's rights when the job was confirmed; every item is checked against them
/// again when it is worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ActorSnapshot {
    user_id: i64,
    scope: i32,
    domain_id: i64,
    reseller_id: Option<i64>,
}

impl ActorSnapshot {
    fn rights(&self) -> ActorRights {
        ActorRights {
            user_id: self.user_id,
            scope: Scope::from_rank(self.scope).unwrap_or(Scope::NoPortal),
            domain_id: self.domain_id,
            reseller_id: self.reseller_id,
        }
    }
}

/// What `bulk_jobs.options` holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobSpec {
    pub action: Action,
    actor: ActorSnapshot,
}

impl JobSpec {
    pub fn of(job: &Job) -> Result<JobSpec, BulkError> {
        serde_json::from_str(&job.options).map_err(|err| BulkError::Damaged(err.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error("Select at least one user of this domain.")]
    EmptySelection,
    #[error("Choose at least one kind of information to clear.")]
    NoOptions,
    #[error("{0}")]
    Refused(Refusal),
    #[error("Bulk actions are started from the portal.")]
    NotAUser,
    #[error("A user on this form was not reset by this job.")]
    NotInJob,
    #[error("This job's description is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for BulkError {
    fn from(refusal: Refusal) -> Self {
        BulkError::Refused(refusal)
    }
}

/// Ids per `IN (…)` list when resolving a selection.
const ID_CHUNK: usize = 500;

/// The selected users that belong to `domain`; ids of other domains fall away here.
pub fn resolve(
    conn: &mut DbConn,
    domain: &Domain,
    selection: &Selection,
) -> QueryResult<Vec<User>> {
    match selection {
        Selection::Users(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(ID_CHUNK) {
                found.extend(
                    users_table::table
                        .filter(users_table::domain_id.eq(domain.id))
                        .filter(users_table::id.eq_any(chunk))
                        .select(User::as_select())
                        .load(conn)?,
                );
            }
            found.sort_by(|a, b| {
                (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension))
            });
            found.dedup_by_key(|user| user.id);
            Ok(found)
        }
        Selection::AllMatching(filter) => users::all_matching(
            conn,
            &ListFilter {
                domain_id: domain.id,
                ..filter.clone()
            },
        ),
    }
}

/// Confirms a bulk action: writes the job and its items (users the actor may not touch
/// as skipped, with the reason) in one transaction, and returns the job's id. The work
/// itself is done by the job worker.
pub fn start_job(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    action: &Action,
    selection: &Selection,
) -> Result<i64, BulkError> {
    let Authority::User(rights) = acting.authority else {
        return Err(BulkError::NotAUser);
    };
    rights.may_manage_domain(domain.as_ref())?;
    if let Action::Reset { options, .. } = action
        && options.is_empty()
    {
        return Err(BulkError::NoOptions);
    }
    let spec = JobSpec {
        action: action.clone(),
        actor: ActorSnapshot {
            user_id: rights.user_id,
            scope: rights.scope.rank(),
            domain_id: rights.domain_id,
            reseller_id: rights.reseller_id,
        },
    };
    let options =
        serde_json::to_string(&spec).map_err(|err| BulkError::Damaged(err.to_string()))?;
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let selected = resolve(conn, domain, selection)?;
        if selected.is_empty() {
            return Err(BulkError::EmptySelection);
        }
        let total = i32::try_from(selected.len()).unwrap_or(i32::MAX);
        let job_id = jobs::insert_job(
            conn,
            &NewJob {
                domain_id: domain.id,
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                kind: action.kind(),
                options: &options,
                state: jobs::PENDING,
                total,
            },
        )?;
        let items: Vec<NewItem> = selected
            .iter()
            .map(|user| {
                let refusal = rights.may_act_on(target_of(user, domain.as_ref())).err();
                NewItem {
                    job_id,
                    domain_id: domain.id,
                    user_id: Some(user.id),
                    extension: user.extension.clone(),
                    user_name: user.full_name(),
                    state: if refusal.is_some() {
                        jobs::SKIPPED
                    } else {
                        jobs::PENDING
                    },
                    reason: refusal.map(|r| r.to_string()),
                    finished_at: refusal.map(|_| now),
                }
            })
            .collect();
        jobs::insert_items(conn, &items)?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                action: audit::BULK_START,
                target_user_id: None,
                target: "",
                details: &format!("{} of {total} users (job {job_id})", action.kind()),
            },
        )?;
        jobs::update_state(conn, job_id, now)?;
        Ok(job_id)
    })
}

fn target_of(user: &User, domain: DomainRef) -> TargetUser {
    TargetUser {
        id: user.id,
        scope: user.scope(),
        domain,
    }
}

/// How one item ended.
enum Outcome {
    Done,
    Skipped(String),
}

/// Works on up to `BATCH_SIZE` pending items, oldest first, in one transaction with a
/// savepoint per user. Returns how many items it finished (0 when nothing is pending).
pub fn work_batch(conn: &mut DbConn) -> QueryResult<usize> {
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let items = jobs::claim_pending(conn, BATCH_SIZE)?;
        let mut specs: HashMap<i64, Option<(Job, JobSpec)>> = HashMap::new();
        for item in &items {
            if let std::collections::hash_map::Entry::Vacant(slot) = specs.entry(item.job_id) {
                let loaded = jobs::find(conn, item.job_id)?
                    .and_then(|job| JobSpec::of(&job).ok().map(|spec| (job, spec)));
                slot.insert(loaded);
            }
            let Some(Some((job, spec))) = specs.get(&item.job_id) else {
                jobs::finish_item(
                    conn,
                    item.id,
                    jobs::FAILED,
                    Some("The job's description is damaged."),
                    now,
                )?;
                continue;
            };
            let outcome = conn.transaction(|conn| apply(conn, job, spec, item, now));
            match outcome {
                Ok(Outcome::Done) => jobs::finish_item(conn, item.id, jobs::DONE, None, now)?,
                Ok(Outcome::Skipped(reason)) => {
                    jobs::finish_item(conn, item.id, jobs::SKIPPED, Some(&reason), now)?
                }
                Err(err) => {
                    tracing::warn!(item = item.id, error = %err, "bulk item failed");
                    let reason = format!("Nothing was changed: {err}");
                    jobs::finish_item(conn, item.id, jobs::FAILED, Some(&reason), now)?
                }
            };
        }
        for job_id in specs.keys() {
            jobs::update_state(conn, *job_id, now)?;
        }
        Ok(items.len())
    })
}

/// One user's change, inside its own savepoint: all of it, or (on error) none of it.
fn apply(
    conn: &mut DbConn,
    job: &Job,
    spec: &JobSpec,
    item: &Item,
    now: NaiveDateTime,
) -> QueryResult<Outcome> {
    let user = match item.user_id {
        Some(id) => users::find(conn, id)?,
        None => None,
    };
    let Some(user) = user.filter(|user| user.domain_id == job.domain_id) else {
        return Ok(Outcome::Skipped("The user no longer exists.".into()));
    };
    let domain = crate::db::domains::find_ref(conn, job.domain_id)?;
    if let Err(refusal) = spec.actor.rights().may_act_on(target_of(&user, domain)) {
        return Ok(Outcome::Skipped(refusal.to_string()));
    }
    let actor = AuditActor {
        user_id: job.actor_id,
        login: job.actor_login.clone(),
    };
    match &spec.action {
        Action::Reset { options, .. } => reset_user(conn, &user, options, &actor, now)?,
        Action::Delete => {
            users::delete(conn, user.id)?;
            audit::record(
                conn,
                &NewAuditEvent {
                    domain_id: Some(user.domain_id),
                    actor_id: actor.user_id,
                    actor_login: &actor.login,
                    action: audit::USER_DELETE,
                    target_user_id: Some(user.id),
                    target: &user.extension,
                    details: &format!("{} (bulk job {})", user.full_name(), job.id),
                },
            )?;
        }
    }
    Ok(Outcome::Done)
}

/// One row of the recycle form, validated.
#[derive(Debug, Clone)]
pub struct RecycleRow {
    pub user_id: i64,
    pub occupant: NewOccupant,
}

/// Saves every row of a recycle form in one transaction: each must be a user this job
/// reset (and the actor may still act on), or nothing is saved.
pub fn recycle(
    conn: &mut DbConn,
    acting: &Acting,
    job: &Job,
    rows: &[RecycleRow],
) -> Result<usize, BulkError> {
    let Authority::User(rights) = acting.authority else {
        return Err(BulkError::NotAUser);
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let domain = crate::db::domains::find_ref(conn, job.domain_id)?;
        rights.may_manage_domain(domain)?;
        let reset: Vec<i64> = jobs::items_in_state(conn, job.id, jobs::DONE)?
            .iter()
            .filter_map(|i| i.user_id)
            .collect();
        for row in rows {
            let user = users::find(conn, row.user_id)?
                .filter(|user| user.domain_id == job.domain_id && reset.contains(&user.id))
                .ok_or(BulkError::NotInJob)?;
            rights.may_act_on(target_of(&user, domain))?;
            recycle_user(conn, &user, &row.occupant, &acting.audit, now)?;
        }
        Ok(rows.len())
    })
}
