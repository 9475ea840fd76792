//! Use cases, free of web types: each takes the acting user (or, from the command line,
//! an [`AuditActor`] naming it), opens its own transaction, writes its audit event in
//! that transaction, and returns a typed error the web layer maps to an answer.

pub mod auth;
pub mod credentials;
pub mod demo;
pub mod seed;
pub mod users;

/// Who is recorded in the audit trail as having made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub user_id: Option<i64>,
    pub login: String,
}

impl AuditActor {
    /// Changes made with the `pbx-portal` command line.
    pub fn command_line() -> Self {
        Self {
            user_id: None,
            login: "command line".to_owned(),
        }
    }
}
