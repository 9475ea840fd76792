//! Bulk actions as persisted jobs: resolving a selection (ids re-checked against the
//! domain, or "all matching" re-run as a filter), writing the job and one item per user
//! before any work starts, and working through pending items in batches, each user in a
//! savepoint of its own so that a user is never left half changed.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::reset::{NewOccupant, force_password_reset, recycle_user, reset_users};
use super::{Acting, AuditActor, Authority};
use crate::db::audit;
use crate::db::deleted_users;
use crate::db::domains::{self, Domain};
use crate::db::jobs::{self, Item, Job, NewItem, NewJob};
use crate::db::kept::{self, KeptUser};
use crate::db::reset_undo;
use crate::db::schema::users as users_table;
use crate::db::users::{self, ListFilter, UserRef};
use crate::db::{DbConn, outbox, write_transaction};
use crate::domain::ids::{DomainId, JobId, ResellerId, UserId};
use crate::domain::reset::ResetOptions;
use crate::domain::states::{ItemState, JobState};
use crate::domain::{ActorRights, DomainRef, Refusal, Scope, TargetUser};
use crate::services::mail::{
    LinkContext, LinkPurpose, OVER_DAILY_CAP, QueueError, Recipient, queue_link_mail,
};

/// Users worked on per transaction, unless configured: enough that each transaction's
/// fixed costs fade, few enough that SQLite's write lock is held for tens of
/// milliseconds at a time.
pub const DEFAULT_BATCH_SIZE: u32 = 2000;

/// Which users a bulk action is for, as the page sent it.
#[derive(Debug, Clone)]
pub enum Selection {
    /// Checked rows: ids, each re-checked to belong to the domain.
    Users(Vec<UserId>),
    /// "Select all N matching users": the filter, run again now.
    AllMatching(ListFilter),
    /// Checked rows of the Deleted users page: ids of deleted users of the domain.
    Deleted(Vec<UserId>),
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
    /// A welcome message with a set-password link to each user with an e-mail address.
    Welcome,
    /// `must_change_password`, every session ended, and a reset link where there is an
    /// e-mail address.
    ForcePasswordReset,
    /// Deleted users put back as they were, from what their delete kept.
    Restore,
    /// What the reset job `job` cleared (its `options`) put back, for each of its users
    /// not changed since.
    UndoReset {
        job: JobId,
        options: ResetOptions,
    },
    /// The rows of a checked spreadsheet, each item carrying its row's plan; with
    /// `welcome`, the welcome message to each added or recycled user with an e-mail.
    /// `also`: the other domains the rows are for (an import across domains), each of
    /// which whoever opens the job must manage too.
    Import {
        welcome: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        also: Vec<DomainId>,
    },
}

impl Action {
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "reset",
            Action::Delete => "delete",
            Action::Welcome => "welcome",
            Action::ForcePasswordReset => "force_password_reset",
            Action::Restore => "restore",
            Action::UndoReset { .. } => "undo_reset",
            Action::Import { .. } => "import",
        }
    }

    /// The dialog's name for the action, as on its button.
    pub fn heading(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "Reset Users",
            Action::Delete => "Delete Users",
            Action::Welcome => "Send Welcome Email",
            Action::ForcePasswordReset => "Force Password Reset",
            Action::Restore => "Restore",
            Action::UndoReset { .. } => "Undo reset",
            Action::Import { .. } => "Import",
        }
    }

    /// How the progress line ends: "2 of 3 users reset".
    pub fn done_words(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "users reset",
            Action::Delete => "users deleted",
            Action::Welcome => "users welcomed",
            Action::ForcePasswordReset => "users made to reset their password",
            Action::Restore => "users restored",
            Action::UndoReset { .. } => "users put back",
            Action::Import { .. } => "rows imported",
        }
    }
}

/// Why Undo reset skips a user changed (or recycled) since the reset.
pub const CHANGED_SINCE: &str = "Changed since the reset.";

/// Why a user without an e-mail address is skipped by Send Welcome Email.
pub const NO_EMAIL: &str = "No e-mail address.";

/// The actor's rights when the job was confirmed; every item is checked against them
/// again when it is worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ActorSnapshot {
    user_id: UserId,
    scope: i32,
    domain_id: DomainId,
    reseller_id: Option<ResellerId>,
}

impl ActorSnapshot {
    fn rights(&self) -> ActorRights {
        ActorRights {
            user_id: self.user_id,
            scope: Scope::from(self.scope),
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
    /// `action`, to be run with `rights` as they are at Confirm (and never more).
    pub fn new(action: Action, rights: &ActorRights) -> Self {
        JobSpec {
            action,
            actor: ActorSnapshot {
                user_id: rights.user_id,
                scope: rights.scope.rank(),
                domain_id: rights.domain_id,
                reseller_id: rights.reseller_id,
            },
        }
    }

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
    #[error("A user on this form was not reset by this job, or is recycled already.")]
    NotInJob,
    #[error(
        "User {0} was changed by someone else since this form was shown. Nothing was saved; reload to see the change."
    )]
    ChangedSince(String),
    #[error(
        "The matching users changed since you confirmed (now {0}). Nothing was started; review the selection again."
    )]
    SelectionChanged(usize),
    #[error("There is no such job to retry in this domain.")]
    NoSuchJob,
    #[error("This job's description is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Mail(#[from] QueueError),
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
) -> QueryResult<Vec<UserRef>> {
    match selection {
        Selection::Deleted(ids) => Ok(deleted_users::of_domain(conn, domain.id, ids)?
            .into_iter()
            .map(|deleted| deleted.as_ref_user())
            .collect()),
        Selection::Users(ids) => {
            let mut found = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(ID_CHUNK) {
                found.extend(
                    users_table::table
                        .filter(users_table::domain_id.eq(domain.id))
                        .filter(users_table::id.eq_any(chunk))
                        .select(UserRef::as_select())
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
/// `expected` is how many users the Confirm step showed, when known: an "all matching"
/// selection that has grown or shrunk since is refused rather than acted on.
pub fn start_job(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    action: &Action,
    selection: &Selection,
    expected: Option<usize>,
    retry_of: Option<JobId>,
) -> Result<JobId, BulkError> {
    let Authority::User(rights) = acting.authority else {
        return Err(BulkError::NotAUser);
    };
    rights.may_manage_domain(domain.as_ref())?;
    if let Action::Reset { options, .. } = action
        && options.is_empty()
    {
        return Err(BulkError::NoOptions);
    }
    let spec = JobSpec::new(action.clone(), &rights);
    let options =
        serde_json::to_string(&spec).map_err(|err| BulkError::Damaged(err.to_string()))?;
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let selected = resolve(conn, domain, selection)?;
        if selected.is_empty() {
            return Err(BulkError::EmptySelection);
        }
        if let (Selection::AllMatching(_), Some(shown)) = (selection, expected)
            && shown != selected.len()
        {
            return Err(BulkError::SelectionChanged(selected.len()));
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
                state: JobState::Pending.as_str(),
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
                        ItemState::Skipped.as_str()
                    } else {
                        ItemState::Pending.as_str()
                    },
                    reason: refusal.map(|r| r.to_string()),
                    finished_at: refusal.map(|_| now),
                }
            })
            .collect();
        jobs::insert_items(conn, &items)?;
        acting.audit.record_in_domain(
            conn,
            domain.id,
            audit::BULK_START,
            &format!("{} of {total} users (job {job_id})", action.kind()),
        )?;
        if let Some(earlier) = retry_of {
            let retried = jobs::find(conn, earlier)?.filter(|job| job.domain_id == domain.id);
            if retried.is_none() {
                return Err(BulkError::NoSuchJob);
            }
            acting.audit.record_in_domain(
                conn,
                domain.id,
                audit::JOB_RETRY,
                &format!("job {job_id} retries the failed users of job {earlier}"),
            )?;
        }
        jobs::update_state(conn, job_id, now, now)?;
        Ok(job_id)
    })
}

fn target_of(user: &UserRef, domain: DomainRef) -> TargetUser {
    TargetUser {
        id: user.id,
        scope: user.scope,
        domain,
    }
}

/// Works on up to `batch_size` pending items, oldest first, in one transaction.
/// Each job's users in the batch are changed together with set-based statements inside
/// a savepoint; should that fail, each user is retried in a savepoint of their own, so
/// the failing user is found and left exactly as before while the others go ahead.
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
        let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
        jobs::finish_items(
            conn,
            &ids,
            ItemState::Failed,
            Some("The job's description is damaged."),
            now,
        )?;
        return Ok(());
    };
    let domain = domains::find(conn, job.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
    let rights = match current_rights(conn, &job, &spec, &domain)? {
        Ok(rights) => rights,
        Err(reason) => {
            let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
            jobs::finish_items(conn, &ids, ItemState::Skipped, Some(reason), now)?;
            jobs::skip_pending_of_job(conn, job.id, reason, now)?;
            return Ok(());
        }
    };
    if let Action::Import { welcome, .. } = spec.action {
        return crate::services::import::run::work(conn, &job, &rights, items, welcome, links, now);
    }
    let user_ids: Vec<UserId> = items.iter().filter_map(|item| item.user_id).collect();
    let mut found: HashMap<UserId, UserRef> = HashMap::new();
    // Extensions a restore may not take: those in use, and those restored before.
    let mut in_use: HashSet<String> = HashSet::new();
    if spec.action == Action::Restore {
        let deleted = deleted_users::of_domain(conn, domain.id, &user_ids)?;
        let extensions: Vec<&str> = deleted.iter().map(|user| user.extension.as_str()).collect();
        in_use = users::extensions_in_use(conn, domain.id, &extensions)?;
        found.extend(
            deleted
                .iter()
                .map(|user| (user.user_id, user.as_ref_user())),
        );
    } else {
        for chunk in user_ids.chunks(ID_CHUNK) {
            for user in users_table::table
                .filter(users_table::id.eq_any(chunk))
                .select(UserRef::as_select())
                .load(conn)?
            {
                found.insert(user.id, user);
            }
        }
    }
    let unchanged = match &spec.action {
        Action::UndoReset { job, .. } => reset_undo::unchanged_since(conn, *job, &user_ids)?,
        _ => HashSet::new(),
    };
    let mut eligible: Vec<(i64, UserRef)> = Vec::with_capacity(items.len());
    for item in items {
        let user = item
            .user_id
            .and_then(|id| found.remove(&id))
            .filter(|user| user.domain_id == job.domain_id);
        let Some(user) = user else {
            jobs::finish_items(
                conn,
                &[item.id],
                ItemState::Skipped,
                Some("The user no longer exists."),
                now,
            )?;
            continue;
        };
        if let Err(refusal) = rights.may_act_on(target_of(&user, domain.as_ref())) {
            jobs::finish_items(
                conn,
                &[item.id],
                ItemState::Skipped,
                Some(&refusal.to_string()),
                now,
            )?;
            continue;
        }
        if matches!(spec.action, Action::UndoReset { .. }) && !unchanged.contains(&user.id) {
            jobs::finish_items(
                conn,
                &[item.id],
                ItemState::Skipped,
                Some(CHANGED_SINCE),
                now,
            )?;
            continue;
        }
        if spec.action == Action::Restore && !in_use.insert(user.extension.clone()) {
            let reason = format!("Extension {} is in use.", user.extension);
            jobs::finish_items(conn, &[item.id], ItemState::Skipped, Some(&reason), now)?;
            continue;
        }
        if spec.action == Action::Welcome && user.email.is_none() {
            jobs::finish_items(conn, &[item.id], ItemState::Skipped, Some(NO_EMAIL), now)?;
            continue;
        }
        eligible.push((item.id, user));
    }
    let actor = AuditActor {
        user_id: job.actor_id,
        login: job.actor_login.clone(),
    };
    let all_users: Vec<UserRef> = eligible.iter().map(|(_, user)| user.clone()).collect();
    let work = Work {
        job: &job,
        domain: &domain,
        actor: &actor,
        links,
        now,
    };
    let together = conn.transaction(|conn| work.apply(conn, &spec.action, &all_users));
    if let Ok(over_cap) = together {
        let (capped, done): (Vec<_>, Vec<_>) = eligible
            .iter()
            .partition(|(_, user)| over_cap.contains(&user.id));
        let done: Vec<i64> = done.iter().map(|(item_id, _)| *item_id).collect();
        jobs::finish_items(conn, &done, ItemState::Done, None, now)?;
        let capped: Vec<i64> = capped.iter().map(|(item_id, _)| *item_id).collect();
        finish_over_cap(conn, &spec.action, &capped, now)?;
        return Ok(());
    }
    for (item_id, user) in eligible {
        let alone =
            conn.transaction(|conn| work.apply(conn, &spec.action, std::slice::from_ref(&user)));
        match alone {
            Ok(over_cap) if !over_cap.is_empty() => {
                finish_over_cap(conn, &spec.action, &[item_id], now)?
            }
            Ok(_) => jobs::finish_items(conn, &[item_id], ItemState::Done, None, now)?,
            Err(err) => {
                tracing::warn!(item = item_id, error = %err, "bulk item failed");
                let reason = "The database refused the change; nothing was changed for this user.";
                jobs::finish_items(conn, &[item_id], ItemState::Failed, Some(reason), now)?
            }
        };
    }
    Ok(())
}

/// Finishes the items whose message the domain's daily allowance left unsent: a welcome
/// is skipped (nothing was done), a forced reset is done without its link; both say why.
fn finish_over_cap(
    conn: &mut DbConn,
    action: &Action,
    item_ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let state = match action {
        Action::Welcome => ItemState::Skipped,
        _ => ItemState::Done,
    };
    jobs::finish_items(conn, item_ids, state, Some(OVER_DAILY_CAP), now)
}

/// Deletes `users` for job `job_id`, restorable: each is kept with everything attached
/// in Deleted users, mail still queued to them is cancelled, and each delete audited.
pub(crate) fn delete_users(
    conn: &mut DbConn,
    users: &[UserRef],
    actor: &AuditActor,
    job_id: JobId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
    outbox::cancel_queued_for(conn, &ids, outbox::CANCELLED_BY_DELETE, now)?;
    deleted_users::keep(conn, &ids, &actor.login, now)?;
    diesel::delete(users_table::table.filter(users_table::id.eq_any(&ids))).execute(conn)?;
    actor.record_for_each(conn, users, audit::USER_DELETE, |user| {
        format!("{} (bulk job {job_id})", user.full_name())
    })
}

/// Why a job stops when the person who started it may no longer run it.
pub const ACTOR_GONE: &str = "Stopped: the user who started this job no longer exists.";
pub const ACTOR_DEMOTED: &str =
    "Stopped: the user who started this job may no longer manage this domain.";

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
    let confirmed = spec.actor.rights();
    let now = ActorRights {
        user_id: actor.id,
        scope: actor.scope.min(confirmed.scope),
        domain_id: actor_domain.id,
        reseller_id: actor_domain.reseller_id,
    };
    let unchanged_home = now.domain_id == confirmed.domain_id;
    if !unchanged_home || now.may_manage_domain(domain.as_ref()).is_err() {
        return Ok(Err(ACTOR_DEMOTED));
    }
    Ok(Ok(now))
}

/// What a batch's changes are made with.
struct Work<'a> {
    job: &'a Job,
    domain: &'a Domain,
    actor: &'a AuditActor,
    links: &'a LinkContext,
    now: NaiveDateTime,
}

impl Work<'_> {
    /// The job's change to `users`, with an audit event each (and their mail); all of it
    /// or, on error, none, as the caller's savepoint makes it. Returns the users whose
    /// message was not queued because their domain's daily allowance was used up.
    fn apply(
        &self,
        conn: &mut DbConn,
        action: &Action,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, BulkError> {
        if users.is_empty() {
            return Ok(Vec::new());
        }
        let (actor, now) = (self.actor, self.now);
        match action {
            Action::Reset { options, .. } => {
                let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
                reset_undo::keep(conn, self.job.id, &ids, options, now)?;
                reset_users(conn, users, options, actor, now)?;
            }
            Action::UndoReset { job, options } => {
                let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
                let kept = reset_undo::kept_of(conn, *job, &ids)?;
                reset_undo::put_back(conn, *job, &kept, options, now)?;
                let labels: Vec<&str> = options.iter().map(|option| option.label()).collect();
                let labels = labels.join(", ");
                actor.record_for_each(conn, users, audit::USER_UNDO_RESET, |_| {
                    format!(
                        "put back what reset job {job} cleared: {labels} (bulk job {})",
                        self.job.id
                    )
                })?;
            }
            Action::Delete => delete_users(conn, users, actor, self.job.id, now)?,
            Action::Restore => {
                let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
                let kept = deleted_users::kept_of(conn, &ids)?;
                // A restored user is a change like any other: its version moves on, so
                // an `If-Match` read before the delete no longer matches.
                let rows: Vec<KeptUser> = kept
                    .iter()
                    .map(|one| KeptUser {
                        version: one.user.version.saturating_add(1),
                        updated_at: now,
                        ..one.user.clone()
                    })
                    .collect();
                kept::put_back_users(conn, &rows)?;
                kept::put_back_attached(conn, kept.iter().map(|one| &one.attached))?;
                deleted_users::forget(conn, &ids)?;
                actor.record_for_each(conn, users, audit::USER_RESTORE, |user| {
                    format!("{} (bulk job {})", user.full_name(), self.job.id)
                })?;
            }
            Action::Import { .. } => {
                return Err(BulkError::Damaged(
                    "an import's rows are applied by their plans".into(),
                ));
            }
            Action::Welcome => {
                let over_cap = self.mail(conn, users, LinkPurpose::Welcome)?;
                let welcomed: Vec<UserRef> = users
                    .iter()
                    .filter(|user| !over_cap.contains(&user.id))
                    .cloned()
                    .collect();
                actor.record_for_each(conn, &welcomed, audit::MAIL_WELCOME, |user| {
                    format!(
                        "welcome e-mail with a set-password link queued to {}",
                        user.email.as_deref().unwrap_or_default()
                    )
                })?;
                return Ok(over_cap);
            }
            Action::ForcePasswordReset => {
                force_password_reset(conn, users, now)?;
                let over_cap = self.mail(conn, users, LinkPurpose::Reset)?;
                actor.record_for_each(
                    conn,
                    users,
                    audit::PASSWORD_FORCE_RESET,
                    |user| match &user.email {
                        Some(_) if over_cap.contains(&user.id) => format!(
                            "must change the password; sessions ended; no reset link: {OVER_DAILY_CAP}"
                        ),
                        Some(email) => format!(
                            "must change the password; sessions ended; reset link queued to {email}"
                        ),
                        None => {
                            "must change the password; sessions ended; no e-mail address for a link"
                                .to_owned()
                        }
                    },
                )?;
                return Ok(over_cap);
            }
        }
        Ok(Vec::new())
    }

    /// Queues a link message to each of `users` that has an e-mail address, within the
    /// domain's daily allowance; returns those it did not mail for the allowance.
    fn mail(
        &self,
        conn: &mut DbConn,
        users: &[UserRef],
        purpose: LinkPurpose,
    ) -> Result<Vec<UserId>, QueueError> {
        let recipients: Vec<Recipient<'_>> = users
            .iter()
            .filter_map(|user| {
                user.email.as_deref().map(|email| Recipient {
                    user_id: user.id,
                    domain_id: user.domain_id,
                    extension: &user.extension,
                    name: user.full_name(),
                    email,
                })
            })
            .collect();
        let mailed = queue_link_mail(
            conn,
            &recipients,
            &self.domain.name,
            purpose,
            self.links,
            self.now,
        )?;
        Ok(mailed.over_cap)
    }
}

/// One row of the recycle form, validated.
#[derive(Debug, Clone)]
pub struct RecycleRow {
    pub user_id: UserId,
    /// The user's row version when the form was shown; a user changed since is refused.
    pub version: i32,
    pub occupant: NewOccupant,
}

/// What a recycle form saved: users recycled, and of those, welcome e-mails queued and
/// not sent for the domain's daily allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recycled {
    pub saved: usize,
    pub welcomed: usize,
    pub over_cap: usize,
}

/// Saves every row of a recycle form in one transaction: each must be a user this job
/// reset (and the actor may still act on), or nothing is saved. With `welcome`, every
/// saved user with an e-mail address is sent the welcome message (within the domain's
/// daily allowance), in the same transaction.
pub fn recycle(
    conn: &mut DbConn,
    acting: &Acting,
    job: &Job,
    rows: &[RecycleRow],
    welcome: Option<&LinkContext>,
) -> Result<Recycled, BulkError> {
    let Authority::User(rights) = acting.authority else {
        return Err(BulkError::NotAUser);
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let domain = domains::find(conn, job.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
        rights.may_manage_domain(domain.as_ref())?;
        let awaiting: Vec<UserId> = jobs::awaiting_recycle(conn, job.id)?
            .iter()
            .filter_map(|i| i.user_id)
            .collect();
        let mut saved = Vec::with_capacity(rows.len());
        for row in rows {
            let user = users::find(conn, row.user_id)?
                .filter(|user| user.domain_id == job.domain_id && awaiting.contains(&user.id))
                .ok_or(BulkError::NotInJob)?;
            rights.may_act_on(TargetUser {
                id: user.id,
                scope: user.scope,
                domain: domain.as_ref(),
            })?;
            if !recycle_user(conn, &user, row.version, &row.occupant, &acting.audit, now)? {
                return Err(BulkError::ChangedSince(user.extension));
            }
            jobs::mark_recycled(conn, job.id, user.id, now)?;
            saved.push((user, row));
        }
        let (welcomed, over_cap) = match welcome {
            Some(links) => welcome_recycled(conn, &acting.audit, &domain, &saved, links, now)?,
            None => (0, 0),
        };
        Ok(Recycled {
            saved: rows.len(),
            welcomed,
            over_cap,
        })
    })
}

/// Queues the welcome message to each recycled user with an new e-mail address, with an
/// audit event each; returns how many were queued, and how many the domain's daily
/// allowance left unsent.
fn welcome_recycled(
    conn: &mut DbConn,
    actor: &AuditActor,
    domain: &Domain,
    saved: &[(crate::db::users::User, &RecycleRow)],
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<(usize, usize), BulkError> {
    let welcomed: Vec<UserRef> = saved
        .iter()
        .filter_map(|(user, row)| {
            let email = row.occupant.email.as_ref()?;
            Some(UserRef {
                id: user.id,
                domain_id: user.domain_id,
                extension: user.extension.clone(),
                first_name: row.occupant.first_name.as_str().to_owned(),
                last_name: row.occupant.last_name.as_str().to_owned(),
                email: Some(email.as_str().to_owned()),
                scope: user.scope,
            })
        })
        .collect();
    let over_cap = welcome_users(conn, actor, domain, &welcomed, links, now)?.len();
    Ok((welcomed.len() - over_cap, over_cap))
}

/// Queues the welcome message, with a set-password link, to each of `users` (of
/// `domain`) that has an e-mail address, within the domain's daily allowance, with an
/// audit event each; returns the users the allowance left unmailed.
pub(crate) fn welcome_users(
    conn: &mut DbConn,
    actor: &AuditActor,
    domain: &Domain,
    users: &[UserRef],
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<Vec<UserId>, BulkError> {
    let recipients: Vec<Recipient<'_>> = users
        .iter()
        .filter_map(|user| {
            Some(Recipient {
                user_id: user.id,
                domain_id: user.domain_id,
                extension: &user.extension,
                name: user.full_name(),
                email: user.email.as_deref()?,
            })
        })
        .collect();
    let mailed = queue_link_mail(
        conn,
        &recipients,
        &domain.name,
        LinkPurpose::Welcome,
        links,
        now,
    )?;
    actor.record_for_each(conn, users, audit::MAIL_WELCOME, |user| {
        if mailed.over_cap.contains(&user.id) {
            format!("no welcome e-mail: {OVER_DAILY_CAP}")
        } else {
            format!(
                "welcome e-mail with a set-password link queued to {}",
                user.email.as_deref().unwrap_or_default()
            )
        }
    })?;
    Ok(mailed.over_cap)
}
