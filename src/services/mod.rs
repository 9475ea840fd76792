//! Use cases, free of web types: each takes the [`Acting`] party (a signed-in user's
//! rights, or the command line), checks them, opens its own transaction, writes its
//! audit event in that transaction, and returns a typed error the web layer maps to an
//! answer.

pub mod api_tokens;
pub mod audit_log;
pub mod auth;
pub mod call_routing;
pub mod credentials;
pub mod deleted;
pub mod demo;
pub mod domain_settings;
pub mod domains;
pub mod edit;
pub mod import;
pub mod jobs;
pub mod links;
pub mod mail;
pub mod passkeys;
pub mod recycle;
pub mod reset;
pub mod retention;
pub mod routing;
pub mod sealing;
pub mod second_step;
pub mod seed;
pub mod sessions;
pub mod test_mail;
pub mod throttle;
pub mod two_step;
pub mod users;
pub mod users_page;
pub mod welcome;

use crate::domain::ids::UserId;
use crate::domain::{ActorRights, DomainRef, Refusal, Scope, TargetUser};

/// Who is recorded in the audit trail as having made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditActor {
    pub user_id: Option<UserId>,
    pub login: String,
}

impl AuditActor {
    /// Records one `action` event per user, with the details `describe` gives each.
    pub fn record_for_each(
        &self,
        conn: &mut crate::db::DbConn,
        users: &[crate::db::users::UserRef],
        action: &str,
        describe: impl Fn(&crate::db::users::UserRef) -> String,
    ) -> diesel::QueryResult<()> {
        let details: Vec<String> = users.iter().map(describe).collect();
        let events: Vec<crate::db::audit::NewAuditEvent> = users
            .iter()
            .zip(&details)
            .map(|(user, details)| crate::db::audit::NewAuditEvent {
                domain_id: Some(user.domain_id),
                actor_id: self.user_id,
                actor_login: &self.login,
                action,
                target_user_id: Some(user.id),
                target: &user.extension,
                details,
            })
            .collect();
        crate::db::audit::record_many(conn, &events)
    }

    /// Records one `action` event in a domain that names no user (a job started,
    /// stopped or retried).
    pub fn record_in_domain(
        &self,
        conn: &mut crate::db::DbConn,
        domain_id: crate::domain::ids::DomainId,
        action: &str,
        details: &str,
    ) -> diesel::QueryResult<()> {
        crate::db::audit::record(
            conn,
            &crate::db::audit::NewAuditEvent {
                domain_id: Some(domain_id),
                actor_id: self.user_id,
                actor_login: &self.login,
                action,
                target_user_id: None,
                target: "",
                details,
            },
        )
    }
}

/// Whose rights a change is made with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Authority {
    /// The `pbx-portal` command line: whoever can run it owns the installation.
    CommandLine,
    /// A signed-in user, limited by SPEC section 4.
    User(ActorRights),
}

/// The acting party every service function takes, so that no change can skip the
/// permission check or the audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acting {
    pub authority: Authority,
    pub audit: AuditActor,
}

impl Acting {
    /// Changes made with the `pbx-portal` command line.
    pub fn command_line() -> Self {
        Self {
            authority: Authority::CommandLine,
            audit: AuditActor {
                user_id: None,
                login: "command line".to_owned(),
            },
        }
    }

    pub fn may_manage_domain(&self, domain: DomainRef) -> Result<(), Refusal> {
        match &self.authority {
            Authority::CommandLine => Ok(()),
            Authority::User(rights) => rights.may_manage_domain(domain),
        }
    }

    pub fn may_act_on(&self, target: TargetUser) -> Result<(), Refusal> {
        match &self.authority {
            Authority::CommandLine => Ok(()),
            Authority::User(rights) => rights.may_act_on(target),
        }
    }

    /// Whether the actor may give a user this scope: never one above their own.
    pub fn may_grant(&self, scope: Scope) -> bool {
        match &self.authority {
            Authority::CommandLine => true,
            Authority::User(rights) => scope <= rights.scope,
        }
    }

    /// The acting user's id, when it is a user.
    pub fn user_id(&self) -> Option<UserId> {
        match &self.authority {
            Authority::CommandLine => None,
            Authority::User(rights) => Some(rights.user_id),
        }
    }
}
