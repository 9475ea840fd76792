//! The Jobs pages' read: a page of jobs newest first (one domain's, or every domain
//! the actor may open), each with its domain's name and tally, paged by keyset.

use std::collections::{HashMap, HashSet};

use super::spec::{Action, JobSpec};
use super::{JobError, may_manage_other_domains, other_domains};
use crate::db::DbConn;
use crate::db::domains;
use crate::db::jobs::{self, Job, JobsFrom, JobsOf, Tally};
use crate::domain::access::DomainReach;
use crate::domain::ids::{DomainId, JobId};
use crate::domain::listing::Total;
use crate::domain::{ActorRights, Refusal};

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
