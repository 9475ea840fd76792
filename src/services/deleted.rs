//! Deleting users restorably and putting them back, as a Delete Users or Restore job
//! (and an import's delete rows) do it: each user kept with everything attached in
//! Deleted users, mail still queued to them cancelled, and every change audited.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::AuditActor;
use super::domains::DomainError;
use super::jobs::JobError;
use super::jobs::spec::Successor;
use super::jobs::work::{JobContext, UserWork};
use super::routing;
use crate::db::deleted_users::DeletedUser;
use crate::db::domains::Domain;
use crate::db::kept::{self, KeptUser};
use crate::db::users::{self, UserRef};
use crate::db::{DbConn, audit, deleted_users, outbox};
use crate::domain::ActorRights;
use crate::domain::ids::{JobId, UserId};

/// Deletes `users` for job `job_id`, restorably: each is kept with everything attached
/// in Deleted users, every reference to them in call routing handed to their successor
/// (or removed), mail still queued to them cancelled, and each delete audited.
pub fn delete_users(
    conn: &mut DbConn,
    users_to_delete: &[UserRef],
    successors: &HashMap<UserId, UserRef>,
    actor: &AuditActor,
    job_id: JobId,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<UserId> = users_to_delete.iter().map(|user| user.id).collect();
    outbox::cancel_queued_for(conn, &ids, outbox::CANCELLED_BY_DELETE, now)?;
    let handed: HashMap<UserId, UserId> = successors
        .iter()
        .map(|(user, successor)| (*user, successor.id))
        .collect();
    let moved = routing::detach(conn, &ids, &handed)?;
    deleted_users::keep(conn, &ids, moved, &actor.login, now)?;
    users::delete_many(conn, &ids)?;
    actor.record_for_each(
        conn,
        users_to_delete,
        audit::USER_DELETE,
        |user| match successors.get(&user.id) {
            Some(successor) => format!(
                "{} (bulk job {job_id}); call routing handed to {}",
                user.full_name(),
                successor.extension
            ),
            None => format!("{} (bulk job {job_id})", user.full_name()),
        },
    )
}

/// Why a delete passes over a user whose successor is gone since the job was confirmed.
pub const SUCCESSOR_GONE: &str =
    "The successor chosen for this user no longer exists; nothing was deleted.";

/// A Delete Users job's work: each user's references handed to their successor.
pub struct DeleteWork {
    chosen: HashMap<UserId, UserId>,
    /// The successors as they are now, by the user they succeed.
    successors: HashMap<UserId, UserRef>,
}

impl DeleteWork {
    pub fn new(successors: &[Successor]) -> Self {
        DeleteWork {
            chosen: successors.iter().map(|s| (s.user, s.successor)).collect(),
            successors: HashMap::new(),
        }
    }
}

impl UserWork for DeleteWork {
    fn find(
        &mut self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, UserRef>> {
        let wanted: Vec<UserId> = ids
            .iter()
            .filter_map(|id| self.chosen.get(id))
            .copied()
            .collect();
        let present: HashMap<UserId, UserRef> =
            users::refs_in_domain(conn, job.domain.id, &wanted)?
                .into_iter()
                .map(|user| (user.id, user))
                .collect();
        self.successors = self
            .chosen
            .iter()
            .filter_map(|(user, successor)| Some((*user, present.get(successor)?.clone())))
            .collect();
        Ok(users::refs_by_ids(conn, ids)?
            .into_iter()
            .map(|user| (user.id, user))
            .collect())
    }

    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        (self.chosen.contains_key(&user.id) && !self.successors.contains_key(&user.id))
            .then(|| SUCCESSOR_GONE.to_owned())
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        delete_users(
            conn,
            users,
            &self.successors,
            job.actor,
            job.job.id,
            job.now,
        )?;
        Ok(Vec::new())
    }
}

/// A Restore job's work: deleted users put back as they were. An extension in use (or
/// restored earlier in the job) passes its user over.
#[derive(Default)]
pub struct RestoreWork {
    taken: HashSet<String>,
}

impl UserWork for RestoreWork {
    fn find(
        &mut self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, UserRef>> {
        let deleted = deleted_users::of_domain(conn, job.domain.id, ids)?;
        let extensions: Vec<&str> = deleted.iter().map(|user| user.extension.as_str()).collect();
        self.taken = users::extensions_in_use(conn, job.domain.id, &extensions)?;
        Ok(deleted
            .iter()
            .map(|user| (user.user_id, user.as_ref_user()))
            .collect())
    }

    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        (!self.taken.insert(user.extension.clone()))
            .then(|| format!("Extension {} is in use.", user.extension))
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
        let kept = deleted_users::kept_of(conn, &ids)?;
        // A restored user is a change like any other: its version moves on, so an
        // `If-Match` read before the delete no longer matches.
        let rows: Vec<KeptUser> = kept
            .iter()
            .map(|one| KeptUser {
                version: one.user.version.saturating_add(1),
                updated_at: job.now,
                ..one.user.clone()
            })
            .collect();
        kept::put_back_users(conn, &rows)?;
        kept::put_back_attached(conn, kept.iter().map(|one| &one.attached))?;
        for one in &kept {
            routing::put_back(conn, one.user.domain_id, one.user.id, &one.routing)?;
        }
        deleted_users::forget(conn, &ids)?;
        job.actor
            .record_for_each(conn, users, audit::USER_RESTORE, |user| {
                format!("{} (bulk job {})", user.full_name(), job.job.id)
            })?;
        Ok(Vec::new())
    }
}

/// Up to `limit` deleted users of `domain`, the latest deleted first, older than entry
/// `before` when given: a page of Deleted users, if `rights` may manage the domain.
pub fn listed(
    conn: &mut DbConn,
    rights: &ActorRights,
    domain: &Domain,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeletedUser>, DomainError> {
    rights.may_manage_domain(domain.as_ref())?;
    Ok(deleted_users::list_page(conn, domain.id, before, limit)?)
}
