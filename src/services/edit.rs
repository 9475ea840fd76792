//! Edit Users as a job: the fields set on each user (what they held kept for Undo edit),
//! the actor's own row edited too but never their scope, and Undo edit putting back the
//! old values for every user not changed since.

use std::collections::{HashMap, HashSet};

use diesel::QueryResult;

use crate::db::users::UserRef;
use crate::db::{DbConn, audit, edit_undo, reset_undo};
use crate::domain::Scope;
use crate::domain::edit::FieldEdit;
use crate::domain::ids::{JobId, UserId};
use crate::services::jobs::JobError;
use crate::services::jobs::work::{JobContext, UserWork};

/// Why Edit Users passes over the actor when the edit changes nothing but the scope.
pub const OWN_SCOPE: &str = "You cannot change your own scope.";
/// What the actor's own item says when the edit changed their other fields.
pub const OWN_SCOPE_KEPT: &str = "Your own scope was left as it is.";
/// Why an edit passes over every user when its scope is above the actor's now.
pub const SCOPE_ABOVE_OWN: &str = "You cannot give a scope higher than your own.";
/// Why Undo edit skips a user changed since the edit.
pub const CHANGED_SINCE_EDIT: &str = "Changed since the edit.";

/// An Edit Users job's work.
pub struct EditWork {
    pub edit: FieldEdit,
    /// Who confirmed the job: their own row is edited less the scope.
    pub actor: UserId,
    /// The actor's scope now: an edit to a scope above it (the actor demoted since
    /// Confirm) gives it to nobody.
    pub highest: Scope,
}

impl UserWork for EditWork {
    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        if self
            .edit
            .scope
            .is_some_and(|rank| Scope::from(rank) > self.highest)
        {
            return Some(SCOPE_ABOVE_OWN.to_owned());
        }
        (user.id == self.actor && self.edit.without_scope().is_empty())
            .then(|| OWN_SCOPE.to_owned())
    }

    fn done_note(&self, user: &UserRef) -> Option<&'static str> {
        (user.id == self.actor && self.edit.changes_scope()).then_some(OWN_SCOPE_KEPT)
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let (own, others): (Vec<UserId>, Vec<UserId>) = users
            .iter()
            .map(|user| user.id)
            .partition(|id| *id == self.actor);
        edit_undo::keep_and_apply(conn, job.job.id, &others, &self.edit, job.now)?;
        let own_edit = self.edit.without_scope();
        edit_undo::keep_and_apply(conn, job.job.id, &own, &own_edit, job.now)?;
        let described = |edit: &FieldEdit| {
            let labels: Vec<&str> = edit.fields().iter().map(|field| field.label()).collect();
            format!(
                "changed {} (edit job {})",
                labels.join(", ").to_lowercase(),
                job.job.id
            )
        };
        let (for_others, for_own) = (described(&self.edit), described(&own_edit));
        job.actor
            .record_for_each(conn, users, audit::USER_UPDATE, |user| {
                if user.id == self.actor {
                    for_own.clone()
                } else {
                    for_others.clone()
                }
            })?;
        Ok(Vec::new())
    }
}

/// Undo edit's work: what edit job `edit_job` set (`edit`) put back, for each of its
/// users not changed since.
pub struct UndoEditWork {
    edit_job: JobId,
    edit: FieldEdit,
    unchanged: HashSet<UserId>,
}

impl UndoEditWork {
    pub fn new(edit_job: JobId, edit: FieldEdit) -> Self {
        Self {
            edit_job,
            edit,
            unchanged: HashSet::new(),
        }
    }
}

impl UserWork for UndoEditWork {
    fn find(
        &mut self,
        conn: &mut DbConn,
        _job: &JobContext<'_>,
        ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, UserRef>> {
        self.unchanged = reset_undo::unchanged_since(conn, self.edit_job, ids)?;
        Ok(crate::db::users::refs_by_ids(conn, ids)?
            .into_iter()
            .map(|user| (user.id, user))
            .collect())
    }

    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        (!self.unchanged.contains(&user.id)).then(|| CHANGED_SINCE_EDIT.to_owned())
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
        let kept = edit_undo::kept_of(conn, self.edit_job, &ids)?;
        edit_undo::put_back(conn, self.edit_job, &kept, &self.edit, job.now)?;
        job.actor
            .record_for_each(conn, users, audit::USER_UNDO_EDIT, |_| {
                format!(
                    "put back what edit job {} set (bulk job {})",
                    self.edit_job, job.job.id
                )
            })?;
        Ok(Vec::new())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ids::DomainId;

    fn user(id: i64) -> UserRef {
        UserRef {
            id: UserId::new(id),
            domain_id: DomainId::new(1),
            extension: format!("{id}"),
            first_name: String::new(),
            last_name: String::new(),
            email: None,
            scope: Scope::BasicUser,
        }
    }

    fn work(scope: Option<Scope>, site: Option<&str>, highest: Scope) -> EditWork {
        EditWork {
            edit: FieldEdit {
                scope: scope.map(Scope::rank),
                site: site.map(str::to_owned),
                ..FieldEdit::default()
            },
            actor: UserId::new(100),
            highest,
        }
    }

    #[test]
    fn a_scope_above_the_actors_own_now_is_given_to_nobody() {
        let mut demoted = work(Some(Scope::OfficeManager), Some("Annex"), Scope::SimpleUser);
        assert_eq!(
            demoted.passes_over(&user(7)).as_deref(),
            Some(SCOPE_ABOVE_OWN)
        );
        let mut allowed = work(Some(Scope::SimpleUser), None, Scope::OfficeManager);
        assert_eq!(allowed.passes_over(&user(7)), None);
    }

    #[test]
    fn the_actor_is_edited_less_the_scope_and_passed_over_for_the_scope_alone() {
        let mut scope_only = work(Some(Scope::BasicUser), None, Scope::OfficeManager);
        assert_eq!(
            scope_only.passes_over(&user(100)).as_deref(),
            Some(OWN_SCOPE)
        );
        let both = work(Some(Scope::BasicUser), Some("Annex"), Scope::OfficeManager);
        assert_eq!(both.done_note(&user(100)), Some(OWN_SCOPE_KEPT));
        assert_eq!(both.done_note(&user(7)), None);
    }
}
