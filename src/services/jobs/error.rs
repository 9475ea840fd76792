//! Why a job could not be started, read, steered or worked on.

use crate::domain::{Invalid, Refusal};
use crate::services::mail::QueueError;

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
    #[error("Only a reset or an edit can be undone.")]
    NotAReset,
    #[error("Nothing of this job can be put back any more.")]
    NothingToUndo,
    #[error("Select at least one user of this domain.")]
    EmptySelection,
    #[error("{0}")]
    Invalid(#[from] Invalid),
    #[error("Bulk actions are started from the portal.")]
    NotAUser,
    #[error("A user on this form was not reset by this job, or is recycled already.")]
    NotInJob,
    #[error(
        "User {0} was changed by someone else since this form was shown. Nothing was saved; reload to see the change."
    )]
    ChangedSince(String),
    #[error(
        "The matching users changed since you confirmed (now {0}). Nothing was started; review the selection again."
    )]
    SelectionChanged(usize),
    #[error("There is no such job to retry in this domain.")]
    NoSuchJob,
    #[error("There is no user with extension {0} in this domain to take over.")]
    UnknownSuccessor(String),
    #[error("{successor} is being deleted too, so cannot take over from {user}.")]
    SuccessorDeleted { user: String, successor: String },
    #[error("User {0} is not one of the users being deleted.")]
    NotSelected(String),
    #[error("This job's description is damaged: {0}")]
    Damaged(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
    #[error(transparent)]
    Mail(#[from] QueueError),
}

impl From<Refusal> for JobError {
    fn from(refusal: Refusal) -> Self {
        JobError::Refused(refusal)
    }
}
