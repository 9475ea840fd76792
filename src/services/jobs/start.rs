//! Starting a job: the selection resolved (ids re-checked against the domain, or "all
//! matching" run again), and the job with one item per user written before any work
//! starts, users the actor may not touch written as skipped with the reason.

use chrono::Utc;
use diesel::QueryResult;

use super::JobError;
use super::spec::{Action, JobSpec, Selection};
use crate::db::domains::Domain;
use crate::db::jobs::{self, NewItem, NewJob};
use crate::db::users::{self, ListFilter, UserRef};
use crate::db::{DbConn, audit, deleted_users, write_transaction};
use crate::domain::TargetUser;
use crate::domain::ids::JobId;
use crate::domain::states::{ItemState, JobState};
use crate::services::{Acting, Authority};

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
        Selection::Users(ids) => users::refs_in_domain(conn, domain.id, ids),
        Selection::AllMatching(filter) => users::all_matching(
            conn,
            &ListFilter {
                domain_id: domain.id,
                ..filter.clone()
            },
        ),
    }
}

/// Confirms a job: writes it and its items (users the actor may not touch as skipped,
/// with the reason) in one transaction, and returns the job's id. The work itself is
/// done by the job runner.
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
) -> Result<JobId, JobError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser);
    };
    rights.may_manage_domain(domain.as_ref())?;
    if let Action::Reset { options, .. } = action {
        options.require_some()?;
    }
    let spec = JobSpec::new(action.clone(), &rights);
    let options = serde_json::to_string(&spec).map_err(|err| JobError::Damaged(err.to_string()))?;
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let selected = resolve(conn, domain, selection)?;
        if selected.is_empty() {
            return Err(JobError::EmptySelection);
        }
        if let (Selection::AllMatching(_), Some(shown)) = (selection, expected)
            && shown != selected.len()
        {
            return Err(JobError::SelectionChanged(selected.len()));
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
                let target = TargetUser {
                    id: user.id,
                    scope: user.scope,
                    domain: domain.as_ref(),
                };
                let refusal = rights.may_act_on(target).err();
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
                return Err(JobError::NoSuchJob);
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
