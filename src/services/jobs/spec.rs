//! What a job is: its [`Action`], the [`Selection`] of users it was started for, and the
//! [`JobSpec`] kept in `bulk_jobs.options` (the action and the actor's rights when the
//! job was confirmed). The words pages use for an action live in `views::jobs`.

use serde::{Deserialize, Serialize};

use super::error::JobError;
use crate::db::jobs::Job;
use crate::db::users::ListFilter;
use crate::domain::edit::FieldEdit;
use crate::domain::ids::{DomainId, JobId, ResellerId, UserId};
use crate::domain::reset::ResetOptions;
use crate::domain::{ActorRights, Scope};

/// Which users a job is for, as the page or the API named them.
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
    /// Each user deleted, and every reference to them in call routing handed to their
    /// successor (removed where they have none).
    Delete {
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        successors: Vec<Successor>,
    },
    /// A welcome message with a set-password link to each user with an e-mail address.
    Welcome,
    /// `must_change_password`, every session ended, and a reset link where there is an
    /// e-mail address.
    ForcePasswordReset,
    /// Deleted users put back as they were, from what their delete kept.
    Restore,
    /// What the reset job `job` cleared (its `options`) put back, for each of its users
    /// not changed since.
    UndoReset { job: JobId, options: ResetOptions },
    /// Edit Users: the fields `fields` sets on each user (never the actor's own scope).
    Edit { fields: FieldEdit },
    /// What the edit job `job` set (its `fields`) put back to what each user held, for
    /// each of its users not changed since.
    UndoEdit { job: JobId, fields: FieldEdit },
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
    /// The job's `kind` column, as the audit log and the API name it.
    pub fn kind(&self) -> &'static str {
        match self {
            Action::Reset { .. } => "reset",
            Action::Delete { .. } => "delete",
            Action::Welcome => "welcome",
            Action::ForcePasswordReset => "force_password_reset",
            Action::Restore => "restore",
            Action::UndoReset { .. } => "undo_reset",
            Action::Edit { .. } => "edit",
            Action::UndoEdit { .. } => "undo_edit",
            Action::Import { .. } => "import",
        }
    }

    /// Whether the actor's own user is acted on too: an edit (less the scope) and its
    /// undo; every other action passes over the actor, as nobody resets or deletes
    /// themself.
    pub fn includes_actor(&self) -> bool {
        matches!(self, Action::Edit { .. } | Action::UndoEdit { .. })
    }

    /// Whether the job may queue mail (so its progress counts what the cap left unsent).
    pub fn sends_mail(&self) -> bool {
        matches!(
            self,
            Action::Welcome | Action::ForcePasswordReset | Action::Import { welcome: true, .. }
        )
    }
}

/// The user who takes a deleted user's place in call routing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Successor {
    pub user: UserId,
    pub successor: UserId,
}

/// The actor's rights when the job was confirmed; every item is checked against them
/// again when it is worked on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
struct ActorSnapshot {
    user_id: UserId,
    scope: Scope,
    domain_id: DomainId,
    reseller_id: Option<ResellerId>,
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
                scope: rights.scope,
                domain_id: rights.domain_id,
                reseller_id: rights.reseller_id,
            },
        }
    }

    pub fn of(job: &Job) -> Result<JobSpec, JobError> {
        serde_json::from_str(&job.options).map_err(|err| JobError::Damaged(err.to_string()))
    }

    /// The rights the job was confirmed with.
    pub fn confirmed_rights(&self) -> ActorRights {
        ActorRights {
            user_id: self.actor.user_id,
            scope: self.actor.scope,
            domain_id: self.actor.domain_id,
            reseller_id: self.actor.reseller_id,
        }
    }
}
