//! The stored states of a bulk job, of each of its items and of an outgoing message.
//! Each is text in the database (readable in plain SQL, checked by a CHECK
//! constraint); here it is an enum, decoded in one place: a value the code does not
//! know is an error when the row is read, never silently taken for another state.

use std::fmt;

/// A state text the code does not know.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} state {value:?}")]
pub struct UnknownState {
    what: &'static str,
    value: String,
}

macro_rules! stored_state {
    ($(#[$doc:meta])* $name:ident, $what:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant),+
        }

        impl $name {
            /// Every state, in the order declared.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The text the database stores.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = UnknownState;

            fn try_from(value: String) -> Result<Self, UnknownState> {
                match value.as_str() {
                    $($text => Ok($name::$variant),)+
                    _ => Err(UnknownState { what: $what, value }),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

stored_state!(
    /// Where a bulk job is: waiting for a worker, being worked on, or over.
    JobState, "job", {
        Pending => "pending",
        Running => "running",
        Finished => "finished",
    }
);

/// What the pages say of a job: its stored state, or Stopped for a job someone
/// stopped (stored as finished, with who stopped it and when).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobStatus {
    Pending,
    Running,
    Finished,
    Stopped,
}

impl JobStatus {
    pub fn of(state: JobState, stopped: bool) -> Self {
        match state {
            JobState::Pending => JobStatus::Pending,
            JobState::Running => JobStatus::Running,
            JobState::Finished if stopped => JobStatus::Stopped,
            JobState::Finished => JobStatus::Finished,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobStatus::Pending => "Pending",
            JobStatus::Running => "Running",
            JobStatus::Finished => "Finished",
            JobStatus::Stopped => "Stopped",
        }
    }

    /// Whether the job still has users to work on (and so may be stopped).
    pub fn is_open(self) -> bool {
        matches!(self, JobStatus::Pending | JobStatus::Running)
    }
}

stored_state!(
    /// One user's outcome in a bulk job.
    ItemState, "job item", {
        Pending => "pending",
        Done => "done",
        Failed => "failed",
        Skipped => "skipped",
    }
);

stored_state!(
    /// Where an outgoing message is: waiting, being handed to the mail server, handed
    /// over, given up, or cancelled before it went out.
    MailState, "mail", {
        Queued => "queued",
        Sending => "sending",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_read_back_what_they_store_and_refuse_the_unknown() {
        for state in [
            ItemState::Pending,
            ItemState::Done,
            ItemState::Failed,
            ItemState::Skipped,
        ] {
            assert_eq!(ItemState::try_from(state.as_str().to_owned()), Ok(state));
        }
        assert_eq!(
            MailState::try_from("cancelled".to_owned()),
            Ok(MailState::Cancelled)
        );
        let unknown = JobState::try_from("stopped-ish".to_owned());
        assert_eq!(
            unknown.map_err(|err| err.to_string()),
            Err("unknown job state \"stopped-ish\"".to_owned())
        );
    }
}
