//! What the job runner (`jobs::runner`) asks of each action's service: the users a
//! batch's items name, why a user is passed over, and the change itself. Each action's
//! work lives beside its service (`services::reset`, `services::deleted`,
//! `services::welcome`); an import's rows are worked by `services::import::run`.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::JobError;
use crate::db::DbConn;
use crate::db::domains::Domain;
use crate::db::jobs::Job;
use crate::db::users::{self, UserRef};
use crate::domain::ids::UserId;
use crate::domain::states::ItemState;
use crate::services::AuditActor;
use crate::services::mail::LinkContext;

/// The job a batch works on, and what its changes are made with.
pub struct JobContext<'a> {
    pub job: &'a Job,
    pub domain: &'a Domain,
    /// Who the audit trail names: the job's actor.
    pub actor: &'a AuditActor,
    pub links: &'a LinkContext,
    pub now: NaiveDateTime,
}

/// One action's work on users, as the runner calls it for each batch: `find`, then
/// `passes_over` for each user the actor may still act on, then `apply` to the rest
/// (together in a savepoint, or one by one should that fail).
pub trait UserWork {
    /// The users `ids` name, by id: live users by default (the runner drops those of
    /// another domain).
    fn find(
        &mut self,
        conn: &mut DbConn,
        _job: &JobContext<'_>,
        ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, UserRef>> {
        Ok(users::refs_by_ids(conn, ids)?
            .into_iter()
            .map(|user| (user.id, user))
            .collect())
    }

    /// Why this action passes over `user`, if it does; asked once per user, in item order.
    fn passes_over(&mut self, _user: &UserRef) -> Option<String> {
        None
    }

    /// The change to `users`, with an audit event each (and their mail): all of it or,
    /// on error, none, as the caller's savepoint makes it. Returns the users whose
    /// message the domain's daily allowance left unsent.
    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError>;

    /// A note for the item of `user`, done: what the work left out for them.
    fn done_note(&self, _user: &UserRef) -> Option<&'static str> {
        None
    }

    /// How an item ends whose message the daily allowance left unsent: done (the change
    /// was made without its link) unless the message was the whole of the work.
    fn unmailed_state(&self) -> ItemState {
        ItemState::Done
    }
}
