//! Jobs as their pages and the API read and steer them: the job of a domain the actor
//! manages (refused otherwise), its progress, Stop, Retry failed, Undo reset and the
//! users its recycle form is for. The rights check is inside each function, so no page
//! can show a job without it. Starting a job is [`start`]; the runner's side of each
//! action is [`work`].

mod error;
pub mod listing;
pub mod once;
pub mod request;
pub mod spec;
pub mod start;
pub mod work;

use chrono::Utc;

pub use self::error::JobError;
use self::spec::{Action, JobSpec, Selection};
use super::mail::OVER_DAILY_CAP;
use super::{Acting, Authority};
use crate::db::audit;
use crate::db::domains::{self, Domain};
use crate::db::jobs::{self, Item, Job, Tally};
use crate::db::reset_undo;
use crate::db::users::{self, User};
use crate::db::{DbConn, write_transaction};
use crate::domain::edit::FieldEdit;
use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::reset::ResetOptions;
use crate::domain::states::{ItemState, JobState};
use crate::domain::{ActorRights, Refusal, TargetUser};

/// Outcomes listed on the Progress step; the rest are counted.
pub const OUTCOMES_LISTED: i64 = 200;

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
pub(crate) fn other_domains(job: &Job) -> Vec<DomainId> {
    match JobSpec::of(job).map(|spec| spec.action) {
        Ok(Action::Import { also, .. }) => also,
        _ => Vec::new(),
    }
}

/// Refuses a job with items in a domain `rights` may not manage.
pub(crate) fn may_manage_other_domains(
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
        self.finished()
            && matches!(self.action, Action::Reset { .. } | Action::Edit { .. })
            && self.kept_for_undo
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
    let action = JobSpec::of(&job)?.action;
    let tally = jobs::tally(conn, job_id)?;
    let outcomes = jobs::outcomes(conn, job_id, OUTCOMES_LISTED)?
        .into_iter()
        .filter(|item| item.state != ItemState::Pending)
        .collect();
    let kept_for_undo = matches!(action, Action::Reset { .. } | Action::Edit { .. })
        && reset_undo::any_of_job(conn, job_id)?;
    let unmailed_over_cap = if action.sends_mail() && job.state == JobState::Finished {
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

/// A finished reset with Recycle Users, the users it reset that are not recycled yet
/// and that `rights` may act on, and their domain.
pub fn recycle_candidates(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
) -> Result<(Job, Domain, Vec<User>), JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    if !matches!(
        JobSpec::of(&job)?.action,
        Action::Reset { recycle: true, .. }
    ) {
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
    let action = JobSpec::of(&job)?.action;
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

/// What a job undone changed: a reset's options, or an edit's fields.
#[derive(Debug, Clone)]
pub enum Undone {
    Reset(ResetOptions),
    Edit(FieldEdit),
}

impl Undone {
    /// The job that puts back what job `job` changed.
    pub fn action(&self, job: JobId) -> Action {
        match self {
            Undone::Reset(options) => Action::UndoReset {
                job,
                options: options.clone(),
            },
            Undone::Edit(fields) => Action::UndoEdit {
                job,
                fields: fields.clone(),
            },
        }
    }
}

/// What Undo reset and Undo edit offer: what the job changed, for the users it still
/// keeps.
#[derive(Debug)]
pub struct Undo {
    pub job: Job,
    pub domain: Domain,
    pub undone: Undone,
    pub users: Vec<UserId>,
}

/// The ended reset or edit job of a domain `rights` manages, with the users it can put
/// back.
pub fn undo(conn: &mut DbConn, rights: &ActorRights, job_id: JobId) -> Result<Undo, JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    let undone = match JobSpec::of(&job)?.action {
        Action::Reset { options, .. } => Undone::Reset(options),
        Action::Edit { fields } => Undone::Edit(fields),
        _ => return Err(JobError::NotAReset),
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
        undone,
        users,
    })
}

/// A job with its domain and its tally now, if `rights` may manage its domain.
pub fn with_tally(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
) -> Result<(Job, Domain, Tally), JobError> {
    let (job, domain) = accessible(conn, rights, job_id)?;
    let tally = jobs::tally(conn, job_id)?;
    Ok((job, domain, tally))
}

/// Up to `limit` of a job's items in its order after item `after` (0: from the first),
/// if `rights` may manage its domain.
pub fn items_after(
    conn: &mut DbConn,
    rights: &ActorRights,
    job_id: JobId,
    after: i64,
    limit: i64,
) -> Result<Vec<Item>, JobError> {
    accessible(conn, rights, job_id)?;
    Ok(jobs::items_after(conn, job_id, after, limit)?)
}

/// How many jobs are in each state, and how many messages wait in the outbox in each
/// state: the backlog `/metrics` reports.
#[derive(Debug)]
pub struct Backlog {
    pub jobs: Vec<(JobState, i64)>,
    pub outbox: Vec<(crate::domain::states::MailState, i64)>,
}

pub fn backlog(conn: &mut DbConn) -> diesel::QueryResult<Backlog> {
    Ok(Backlog {
        jobs: jobs::count_by_state(conn)?,
        outbox: crate::db::outbox::depth(conn)?,
    })
}
