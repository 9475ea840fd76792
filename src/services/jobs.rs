//! A bulk job as its pages read it: the job of a domain the actor manages (refused
//! otherwise), its progress, and the users its recycle form is for. The rights check
//! is inside each function, so no page can show a job without it.

use std::collections::{HashMap, HashSet};

use chrono::Utc;

use super::bulk::{Action, JobSpec, Selection};
use super::mail::OVER_DAILY_CAP;
use super::{Acting, Authority};
use crate::db::audit;
use crate::db::domains::{self, Domain};
use crate::db::idempotency;
use crate::db::jobs::{self, Item, Job, JobsFrom, JobsOf, Tally};
use crate::db::reset_undo;
use crate::db::users::{self, User};
use crate::db::{DbConn, write_transaction};
use crate::domain::access::DomainReach;
use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::listing::Total;
use crate::domain::reset::ResetOptions;
use crate::domain::states::{ItemState, JobState};
use crate::domain::{ActorRights, Refusal, TargetUser};

/// Outcomes listed on the Progress step; the rest are counted.
pub const OUTCOMES_LISTED: i64 = 200;

#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("There is no such job.")]
    NotFound,
    #[error("{0}")]
    Refused(Refusal),
    #[error("This job was not a reset with Recycle Users.")]
    NotARecyclingReset,
    #[error("The reset is still running; recycle when it is done.")]
    StillRunning,
    #[error("This job had no failed users to retry.")]
    NothingFailed,
    #[error("Only a reset can be undone.")]
    NotAReset,
    #[error("Nothing of this reset can be put back any more.")]
    NothingToUndo,
    #[error("This job's description is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for JobError {
    fn from(refusal: Refusal) -> Self {
        JobError::Refused(refusal)
    }
}

/// The job and its domain, if `rights` may manage that domain.
pub fn accessible(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
) -> Result<(Job, Domain), JobError> {
    let job = jobs::find(conn, job_id)?.ok_or(JobError::NotFound)?;
    let domain = domains::find(conn, job.domain_id)?.ok_or(JobError::NotFound)?;
    rights.may_manage_domain(domain.as_ref())?;
    may_manage_other_domains(conn, rights, &job)?;
    Ok((job, domain))
}

/// The other domains a job's items are in (an import across domains), beyond its own.
fn other_domains(job: &Job) -> Vec<DomainId> {
    match JobSpec::of(job).map(|spec| spec.action) {
        Ok(Action::Import { also, .. }) => also,
        _ => Vec::new(),
    }
}

/// Refuses a job with items in a domain `rights` may not manage.
fn may_manage_other_domains(
    conn: &mut DbConn,
    rights: &ActorRights,
    job: &Job,
) -> Result<(), JobError> {
    for id in other_domains(job) {
        let domain = domains::find(conn, id)?.ok_or(Refusal::OtherDomain)?;
        rights.may_manage_domain(domain.as_ref())?;
    }
    Ok(())
}

/// What the Progress step shows of a job.
#[derive(Debug)]
pub struct JobProgress {
    pub job: Job,
    pub domain: Domain,
    pub action: Action,
    pub tally: Tally,
    /// The first [`OUTCOMES_LISTED`] items that are no longer pending.
    pub outcomes: Vec<Item>,
    /// Whether the job (a reset) still keeps what it cleared of some user.
    pub kept_for_undo: bool,
    /// Users the job sent no e-mail for the domain's daily allowance (once it has ended).
    pub unmailed_over_cap: i64,
}

impl JobProgress {
    pub fn finished(&self) -> bool {
        self.job.state == JobState::Finished
    }

    /// Whether Undo reset applies: a reset that has ended and still keeps what it
    /// cleared (until the retention period ends).
    pub fn undoable(&self) -> bool {
        self.finished() && matches!(self.action, Action::Reset { .. }) && self.kept_for_undo
    }

    /// Whether Retry failed applies: the job has ended with failed users.
    pub fn retryable(&self) -> bool {
        // An import's failed rows are retried by checking the file again.
        self.finished() && self.tally.failed > 0 && !matches!(self.action, Action::Import { .. })
    }

    /// Whether the step ends with Next to the recycle form.
    pub fn leads_to_recycling(&self) -> bool {
        self.finished()
            && self.tally.done > 0
            && matches!(self.action, Action::Reset { recycle: true, .. })
    }
}

/// A job's progress, if `rights` may manage its domain.
pub fn progress(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
) -> Result<JobProgress, JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    let action = spec_of(&job)?.action;
    let tally = jobs::tally(conn, job_id)?;
    let outcomes = jobs::outcomes(conn, job_id, OUTCOMES_LISTED)?
        .into_iter()
        .filter(|item| item.state != ItemState::Pending)
        .collect();
    let kept_for_undo =
        matches!(action, Action::Reset { .. }) && reset_undo::any_of_job(conn, job_id)?;
    let sends_mail = matches!(
        action,
        Action::Welcome | Action::ForcePasswordReset | Action::Import { welcome: true, .. }
    );
    let unmailed_over_cap = if sends_mail && job.state == JobState::Finished {
        jobs::count_with_reason(conn, job_id, OVER_DAILY_CAP)?
    } else {
        0
    };
    Ok(JobProgress {
        job,
        domain,
        action,
        tally,
        outcomes,
        kept_for_undo,
        unmailed_over_cap,
    })
}

fn spec_of(job: &Job) -> Result<JobSpec, JobError> {
    JobSpec::of(job).map_err(|err| JobError::Damaged(err.to_string()))
}

/// A finished reset with Recycle Users, the users it reset that are not recycled yet
/// and that `rights` may act on, and their domain.
pub fn recycle_candidates(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
) -> Result<(Job, Domain, Vec<User>), JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    if !matches!(spec_of(&job)?.action, Action::Reset { recycle: true, .. }) {
        return Err(JobError::NotARecyclingReset);
    }
    if job.state != JobState::Finished {
        return Err(JobError::StillRunning);
    }
    let mut candidates = Vec::new();
    for item in jobs::awaiting_recycle(conn, job.id)? {
        let Some(user) = item.user_id.map(|id| users::find(conn, id)).transpose()? else {
            continue;
        };
        let Some(user) = user.filter(|user| user.domain_id == domain.id) else {
            continue;
        };
        let target = TargetUser {
            id: user.id,
            scope: user.scope,
            domain: domain.as_ref(),
        };
        if rights.may_act_on(target).is_ok() {
            candidates.push(user);
        }
    }
    Ok((job, domain, candidates))
}

/// The reason a stopped job gives each user it did not get to.
pub const STOPPED: &str = "Stopped.";

/// Stops a job of a domain `acting` manages, in one transaction with its audit event.
/// Users already done stay done; those not yet started are skipped with [`STOPPED`].
/// Stopping a job that has ended changes nothing and records nothing; says whether
/// this call stopped it.
pub fn stop(conn: &mut DbConn, acting: &Acting, job_id: JobId) -> Result<bool, JobError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::Refused(Refusal::ScopeTooLow));
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let (job, domain) = accessible(conn, &rights, job_id)?;
        if !job.status().is_open() {
            return Ok(false);
        }
        let stopped = jobs::stop(conn, job.id, &acting.audit.login, STOPPED, now)?;
        if stopped {
            let tally = jobs::tally(conn, job.id)?;
            acting.audit.record_in_domain(
                conn,
                domain.id,
                audit::JOB_STOP,
                &format!(
                    "job {} ({}): {} done, {} skipped",
                    job.id, job.kind, tally.done, tally.skipped
                ),
            )?;
        }
        Ok(stopped)
    })
}

/// What Retry failed offers: the job's action, for the users it failed.
#[derive(Debug)]
pub struct Retry {
    pub job: Job,
    pub domain: Domain,
    pub action: Action,
    pub selection: Selection,
}

/// The action and failed users of an ended job of a domain `rights` manages.
pub fn retry(conn: &mut DbConn, rights: &ActorRights, job_id: JobId) -> Result<Retry, JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    if job.status().is_open() {
        return Err(JobError::StillRunning);
    }
    let action = spec_of(&job)?.action;
    let failed = jobs::failed_users(conn, job.id)?;
    if failed.is_empty() {
        return Err(JobError::NothingFailed);
    }
    // A failed restore leaves its users deleted: they are retried from there.
    let selection = if action == Action::Restore {
        Selection::Deleted(failed)
    } else {
        Selection::Users(failed)
    };
    Ok(Retry {
        job,
        domain,
        action,
        selection,
    })
}

/// One row of a Jobs page.
#[derive(Debug)]
pub struct JobSummary {
    pub job: Job,
    pub action: Option<Action>,
    pub domain_name: String,
    pub tally: Tally,
}

/// Whose jobs a Jobs page shows.
#[derive(Debug, Clone, Copy)]
pub enum JobsPage {
    /// One domain's (`/domains/{domain}/jobs`).
    Domain(DomainId),
    /// Every domain the actor may open (`/jobs`).
    Reachable,
}

/// A page of jobs, newest first, and what lies beyond it.
#[derive(Debug)]
pub struct JobsListing {
    pub rows: Vec<JobSummary>,
    /// Whether there are newer jobs than the first row (a **Previous page**).
    pub newer: bool,
    /// Whether there are older jobs than the last row (a **Next page**).
    pub older: bool,
    pub total: Total,
}

/// Up to `limit` jobs newest first from `from`, each with its domain's name and tally,
/// of domains `rights` manages, with whether more lie either side and how many there are.
pub fn list(
    conn: &mut DbConn,
    rights: &ActorRights,
    page: JobsPage,
    from: JobsFrom,
    limit: i64,
) -> Result<JobsListing, JobError> {
    if !rights.scope.manages_users() {
        return Err(Refusal::ScopeTooLow.into());
    }
    let (of, names): (JobsOf, HashMap<DomainId, String>) = match page {
        JobsPage::Domain(domain_id) => {
            let domain = domains::find(conn, domain_id)?.ok_or(JobError::NotFound)?;
            rights.may_manage_domain(domain.as_ref())?;
            (
                JobsOf::Domains(vec![domain.id]),
                HashMap::from([(domain.id, domain.name)]),
            )
        }
        JobsPage::Reachable => {
            let mut reachable = domains::list_reachable(conn, rights.reach())?;
            if !reachable.iter().any(|domain| domain.id == rights.domain_id)
                && let Some(own) = domains::find(conn, rights.domain_id)?
            {
                reachable.push(own);
            }
            let of = match rights.reach() {
                DomainReach::Every => JobsOf::Every,
                _ => JobsOf::Domains(reachable.iter().map(|domain| domain.id).collect()),
            };
            let names = reachable
                .into_iter()
                .map(|domain| (domain.id, domain.name))
                .collect();
            (of, names)
        }
    };
    let mut listed = jobs::list_page(conn, &of, from, limit + 1)?;
    let beyond = i64::try_from(listed.len()).unwrap_or(i64::MAX) > limit;
    if beyond {
        match from {
            JobsFrom::NewerThan(_) => listed.remove(0),
            _ => listed.remove(listed.len() - 1),
        };
    }
    let (newer, older) = match (from, listed.first(), listed.last()) {
        (_, None, _) | (_, _, None) => (false, false),
        (JobsFrom::Newest, ..) => (false, beyond),
        (JobsFrom::OlderThan(_), Some(first), _) => (
            !jobs::list_page(conn, &of, JobsFrom::NewerThan(first.id), 1)?.is_empty(),
            beyond,
        ),
        (JobsFrom::NewerThan(_), _, Some(last)) => (
            beyond,
            !jobs::list_page(conn, &of, JobsFrom::OlderThan(last.id), 1)?.is_empty(),
        ),
    };
    let total = jobs::count(conn, &of)?;
    // A job across domains is listed only to those who may open it.
    let mut hidden = HashSet::new();
    for job in &listed {
        if may_manage_other_domains(conn, rights, job).is_err() {
            hidden.insert(job.id);
        }
    }
    listed.retain(|job| !hidden.contains(&job.id));
    let ids: Vec<JobId> = listed.iter().map(|job| job.id).collect();
    let mut tallies = jobs::tallies(conn, &ids)?;
    let rows = listed
        .into_iter()
        .map(|job| JobSummary {
            action: JobSpec::of(&job).ok().map(|spec| spec.action),
            domain_name: match other_domains(&job).len() {
                0 => names.get(&job.domain_id).cloned().unwrap_or_default(),
                others => format!(
                    "{} and {others} more",
                    names.get(&job.domain_id).map_or("", String::as_str)
                ),
            },
            tally: tallies.remove(&job.id).unwrap_or_default(),
            job,
        })
        .collect();
    Ok(JobsListing {
        rows,
        newer,
        older,
        total,
    })
}

/// What Undo reset offers: a reset job's options, for the users it still keeps.
#[derive(Debug)]
pub struct Undo {
    pub job: Job,
    pub domain: Domain,
    pub options: ResetOptions,
    pub users: Vec<UserId>,
}

/// The ended reset job of a domain `rights` manages, with the users it can put back.
pub fn undo(conn: &mut DbConn, rights: &ActorRights, job_id: JobId) -> Result<Undo, JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    let Action::Reset { options, .. } = spec_of(&job)?.action else {
        return Err(JobError::NotAReset);
    };
    if job.status().is_open() {
        return Err(JobError::StillRunning);
    }
    let users = reset_undo::users_of_job(conn, job.id)?;
    if users.is_empty() {
        return Err(JobError::NothingToUndo);
    }
    Ok(Undo {
        job,
        domain,
        options,
        users,
    })
}

/// How long an `Idempotency-Key` is remembered.
pub const IDEMPOTENCY_HOURS: i64 = 24;

/// What a job start with an idempotency key came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Once {
    /// This request started the job.
    Started(JobId),
    /// The same request came before (with this key) and started this job.
    Replayed(JobId),
    /// The key was used for another request.
    KeyReused,
}

/// Runs `start` (which writes a job and returns its id) once per `key` of `user_id`:
/// a request retried with the same key and `fingerprint` gets the job the first one
/// started. The key is claimed in the transaction that writes the job, before the job,
/// so of two requests racing with one key the second waits for the first and then
/// finds its job; a start that fails leaves the key unused.
pub fn start_once<E>(
    conn: &mut DbConn,
    user_id: UserId,
    key: &str,
    fingerprint: &str,
    start: impl FnOnce(&mut DbConn) -> Result<JobId, E>,
) -> Result<Once, E>
where
    E: From<diesel::result::Error>,
{
    let now = Utc::now().naive_utc();
    let replay = |used: Option<idempotency::UsedKey>| match used {
        Some(used) if used.fingerprint == fingerprint => Once::Replayed(used.job_id),
        _ => Once::KeyReused,
    };
    // Forgetting old keys is nobody's transaction: it holds no lock while a job starts.
    idempotency::purge_before(conn, now - chrono::TimeDelta::hours(IDEMPOTENCY_HOURS))?;
    write_transaction(conn, |conn| {
        if let Some(used) = idempotency::find(conn, user_id, key)? {
            return Ok(replay(Some(used)));
        }
        let claimed = write_transaction(conn, |conn| {
            idempotency::insert(
                conn,
                &idempotency::NewKey {
                    user_id,
                    key,
                    fingerprint,
                    job_id: JobId::new(0),
                    created_at: now,
                },
            )
        });
        match claimed {
            Ok(_) => {}
            Err(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::UniqueViolation,
                _,
            )) => return Ok(replay(idempotency::find(conn, user_id, key)?)),
            Err(err) => return Err(err.into()),
        }
        let job_id = start(conn)?;
        idempotency::set_job(conn, user_id, key, job_id)?;
        Ok(Once::Started(job_id))
    })
}
