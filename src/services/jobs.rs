//! A bulk job as its pages read it: the job of a domain the actor manages (refused
//! otherwise), its progress, and the users its recycle form is for. The rights check
//! is inside each function, so no page can show a job without it.

use super::bulk::{Action, JobSpec};
use crate::db::DbConn;
use crate::db::domains::{self, Domain};
use crate::db::jobs::{self, Item, Job, Tally};
use crate::db::users::{self, User};
use crate::domain::ids::JobId;
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
    Ok((job, domain))
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
}

impl JobProgress {
    pub fn finished(&self) -> bool {
        self.job.state == JobState::Finished
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
    Ok(JobProgress {
        job,
        domain,
        action,
        tally,
        outcomes,
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
