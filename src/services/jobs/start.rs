//! Starting a job: the selection resolved (ids re-checked against the domain, or "all
//! matching" run again), and the job with one item per user written before any work
//! starts, users the actor may not touch written as skipped with the reason. Before
//! that, the selection as the dialog's steps see it ([`Chosen`]): read no further than
//! a step shows, what its Confirm states counted in SQL.

use chrono::Utc;
use diesel::QueryResult;

use super::JobError;
use std::collections::HashMap;

use super::spec::{Action, JobSpec, Selection, Successor};
use crate::db::domains::Domain;
use crate::db::jobs::{self, NewItem, NewJob};
use crate::db::user_set::{self, UserSet};
use crate::db::users::{self, ListFilter, UserRef};
use crate::db::{DbConn, audit, deleted_users, write_transaction};
use crate::domain::TargetUser;
use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::reset::ResetOption;
use crate::domain::states::{ItemState, JobState};
use crate::services::routing::{self, Reach, ReachSummary};
use crate::services::{Acting, Authority};
use crate::services::{call_routing, reset};

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

/// The selected users as the steps of the Bulk Action dialog see them, read no further
/// than a step shows them: every user of a selection that names them (checked rows, as
/// many as one form carries); of an "all matching" selection, which may be a whole
/// domain, how many match and the first of them, what is attached to them being
/// counted in SQL through [`Chosen::set`].
#[derive(Debug, Clone)]
pub struct Chosen {
    /// How many users are selected.
    pub count: usize,
    /// Every selected user, or the first of an "all matching" selection in extension
    /// order.
    pub users: Vec<UserRef>,
    domain_id: DomainId,
    ids: Vec<UserId>,
    matching: Option<ListFilter>,
}

impl Chosen {
    /// The users of `domain` a step names, every one of them.
    pub fn named(domain: &Domain, users: Vec<UserRef>) -> Self {
        Chosen {
            domain_id: domain.id,
            count: users.len(),
            ids: users.iter().map(|user| user.id).collect(),
            users,
            matching: None,
        }
    }

    /// The selected users, for counting what is attached to them.
    pub fn set(&self) -> UserSet<'_> {
        match &self.matching {
            Some(filter) => UserSet::Matching(filter),
            None => UserSet::Ids(&self.ids),
        }
    }

    /// Whether [`Chosen::users`] is every selected user.
    fn is_every_user_read(&self) -> bool {
        self.users.len() == self.count
    }

    /// Whether `user` is one of the selected users.
    pub fn contains(&self, conn: &mut DbConn, user: UserId) -> QueryResult<bool> {
        if self.is_every_user_read() {
            return Ok(self.users.iter().any(|chosen| chosen.id == user));
        }
        user_set::contains(conn, self.set(), user)
    }

    /// How many of the selected users have no e-mail address.
    pub fn without_email(&self, conn: &mut DbConn) -> QueryResult<usize> {
        if self.is_every_user_read() {
            return Ok(self
                .users
                .iter()
                .filter(|user| user.email.is_none())
                .count());
        }
        let count = user_set::count_without_email(conn, self.set())?;
        Ok(usize::try_from(count).unwrap_or(usize::MAX))
    }

    /// How many rows each of `options` that removes rows would remove for the
    /// selected users: what the Confirm step of a reset states.
    pub fn rows_removed(
        &self,
        conn: &mut DbConn,
        options: &[ResetOption],
    ) -> QueryResult<Vec<(ResetOption, i64)>> {
        user_set::with_kept(conn, self.set(), |conn, set| {
            reset::rows_removed(conn, set, options)
        })
    }

    /// Reached from of the selected users: its first `listed` lines, and counts.
    pub fn reached(&self, conn: &mut DbConn, listed: usize) -> QueryResult<ReachSummary> {
        routing::reached_from_set(conn, self.domain_id, self.set(), listed)
    }

    /// What the Confirm step of a delete states and offers: Reached from (its first
    /// `listed` lines, and counts), and a successor field for each of the first
    /// `listed` selected users that call routing points at, with what reaches them.
    pub fn delete_preview(&self, conn: &mut DbConn, listed: usize) -> QueryResult<DeletePreview> {
        let domain_id = self.domain_id;
        let offered = user_set::first_reached(conn, self.set(), listed)?;
        let offered_ids: Vec<UserId> = offered.iter().map(|user| user.id).collect();
        let offered_reaches = routing::reached_from(conn, domain_id, &offered_ids)?;
        let choices = call_routing::successor_choices(conn, domain_id, self.set())?;
        Ok(DeletePreview {
            reached: self.reached(conn, listed)?,
            offered,
            offered_reaches,
            choices,
        })
    }
}

/// What the Confirm step of a delete states and offers (see [`Chosen::delete_preview`]).
pub struct DeletePreview {
    pub reached: ReachSummary,
    /// The users offered a successor field each, and every reference to them.
    pub offered: Vec<UserRef>,
    pub offered_reaches: Vec<Reach>,
    /// Who may succeed them, in a small domain.
    pub choices: Option<Vec<UserRef>>,
}

/// The selected users of `domain`, as a dialog step sees them: of an "all matching"
/// selection, the count and the first `first` users.
pub fn chosen(
    conn: &mut DbConn,
    domain: &Domain,
    selection: &Selection,
    first: usize,
) -> QueryResult<Chosen> {
    let Selection::AllMatching(filter) = selection else {
        return Ok(Chosen::named(domain, resolve(conn, domain, selection)?));
    };
    let filter = ListFilter {
        domain_id: domain.id,
        ..filter.clone()
    };
    let count = users::matching_count(conn, &filter)?;
    let first = users::first_matching(conn, &filter, i64::try_from(first).unwrap_or(i64::MAX))?;
    Ok(Chosen {
        domain_id: domain.id,
        count: usize::try_from(count).unwrap_or(usize::MAX),
        users: first,
        ids: Vec::new(),
        matching: Some(filter),
    })
}

/// Users of an "all matching" selection read and written as items at a time.
const START_CHUNK: usize = 5_000;

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
        // "All matching" is read as ids first (8 bytes a user), then a chunk of users at
        // a time, so a selection of a million never sits in memory whole.
        let (matching, selected) = match selection {
            Selection::AllMatching(filter) => {
                let filter = ListFilter {
                    domain_id: domain.id,
                    ..filter.clone()
                };
                (users::all_matching_ids(conn, &filter)?, Vec::new())
            }
            other => (Vec::new(), resolve(conn, domain, other)?),
        };
        let count = matching.len() + selected.len();
        if count == 0 {
            return Err(JobError::EmptySelection);
        }
        if let (Selection::AllMatching(_), Some(shown)) = (selection, expected)
            && shown != count
        {
            return Err(JobError::SelectionChanged(count));
        }
        let taking_over = match action {
            Action::Delete { successors } => taking_over(successors),
            _ => HashMap::new(),
        };
        let total = i32::try_from(count).unwrap_or(i32::MAX);
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
        let write_items = |conn: &mut DbConn, users: &[UserRef]| -> Result<(), JobError> {
            check_not_taking_over(conn, users, &taking_over)?;
            let items: Vec<NewItem> = users
                .iter()
                .map(|user| {
                    let target = TargetUser {
                        id: user.id,
                        scope: user.scope,
                        domain: domain.as_ref(),
                    };
                    let refusal = if user.id == rights.user_id && action.includes_actor() {
                        None
                    } else {
                        rights.may_act_on(target).err()
                    };
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
            Ok(())
        };
        write_items(conn, &selected)?;
        for ids in matching.chunks(START_CHUNK) {
            let users = users::refs_in_domain(conn, domain.id, ids)?;
            write_items(conn, &users)?;
        }
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

/// Whose references a successor takes, as a face named them: the user's id (the dialog)
/// or extension (the API, an import row).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SuccessorOf {
    Id(UserId),
    Extension(String),
}

/// The successors a delete was given, by extension: **Successor for all**, and per user
/// (**Successor for {extension}**), which wins over it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NamedSuccessors {
    pub all: Option<String>,
    pub each: Vec<(SuccessorOf, String)>,
}

impl NamedSuccessors {
    pub fn is_empty(&self) -> bool {
        self.all.is_none() && self.each.is_empty()
    }
}

/// Each selected user's successor, as `named` names them: a user of the domain who is
/// not being deleted. An unknown extension, a successor being deleted too, or a user
/// named who is not selected is refused.
pub fn successors(
    conn: &mut DbConn,
    domain: &Domain,
    selection: &Selection,
    named: &NamedSuccessors,
) -> Result<Vec<Successor>, JobError> {
    if named.is_empty() {
        return Ok(Vec::new());
    }
    let selected = resolve(conn, domain, selection)?;
    let mut wanted: Vec<&str> = named.each.iter().map(|(_, to)| to.as_str()).collect();
    wanted.extend(named.all.as_deref());
    let found: HashMap<String, UserRef> = users::refs_with_extensions(conn, domain.id, &wanted)?
        .into_iter()
        .map(|user| (user.extension.clone(), user))
        .collect();
    let successor = |extension: &str| {
        found
            .get(extension)
            .map(|user| user.id)
            .ok_or_else(|| JobError::UnknownSuccessor(extension.to_owned()))
    };
    let all = named.all.as_deref().map(successor).transpose()?;
    let mut each: HashMap<UserId, UserId> = HashMap::new();
    for (of, to) in &named.each {
        let user = selected
            .iter()
            .find(|user| match of {
                SuccessorOf::Id(id) => user.id == *id,
                SuccessorOf::Extension(extension) => user.extension == *extension,
            })
            .ok_or_else(|| {
                JobError::NotSelected(match of {
                    SuccessorOf::Id(id) => id.to_string(),
                    SuccessorOf::Extension(extension) => extension.clone(),
                })
            })?;
        each.insert(user.id, successor(to)?);
    }
    let chosen: Vec<Successor> = selected
        .iter()
        .filter_map(|user| {
            let successor = each.get(&user.id).copied().or(all)?;
            Some(Successor {
                user: user.id,
                successor,
            })
        })
        .collect();
    check_successors(conn, &selected, &chosen)?;
    Ok(chosen)
}

/// Refuses a successor who is among the users being deleted.
fn check_successors(
    conn: &mut DbConn,
    selected: &[UserRef],
    successors: &[Successor],
) -> Result<(), JobError> {
    check_not_taking_over(conn, selected, &taking_over(successors))
}

/// Each successor, and the first user (in selection order) they are to succeed.
fn taking_over(successors: &[Successor]) -> HashMap<UserId, UserId> {
    let mut taking_over = HashMap::new();
    for chosen in successors {
        taking_over.entry(chosen.successor).or_insert(chosen.user);
    }
    taking_over
}

/// Refuses any of `users` (being deleted) who is to take over from another:
/// `taking_over` maps each successor to the user they succeed.
fn check_not_taking_over(
    conn: &mut DbConn,
    users: &[UserRef],
    taking_over: &HashMap<UserId, UserId>,
) -> Result<(), JobError> {
    let Some((successor, user)) = users
        .iter()
        .find_map(|successor| Some((successor, *taking_over.get(&successor.id)?)))
    else {
        return Ok(());
    };
    let succeeded = users::refs_by_ids(conn, &[user])?;
    Err(JobError::SuccessorDeleted {
        user: succeeded
            .first()
            .map_or_else(|| user.to_string(), |user| user.extension.clone()),
        successor: successor.extension.clone(),
    })
}
