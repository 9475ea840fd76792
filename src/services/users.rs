//! Creating, editing and deleting single users. Each use case checks the actor's rights
//! inside its transaction, against the rows as they are then, and writes its audit
//! event in that same transaction.

use crate::db::write_transaction;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::Acting;
use super::credentials::{HashError, hash_secret};
use super::reset::void_links_and_mail;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::deleted_users;
use crate::db::domains::{self, Domain, NewDomain};
use crate::db::users::{self, NewUser, User, UserChangeset};
use crate::db::{DbConn, outbox};
use crate::domain::{DomainName, Email, Extension, NewPassword, Refusal, TargetUser};

pub use crate::domain::fields::UserDetails;

#[derive(Debug, thiserror::Error)]
pub enum UserChangeError {
    #[error("Extension {0} is already taken in this domain.")]
    ExtensionTaken(String),
    #[error("There is no user with extension {0} in this domain.")]
    NotFound(String),
    #[error("There is no user with extension {0} in this domain to take over.")]
    NoSuccessor(String),
    #[error("A user cannot take over from themself.")]
    SelfSuccessor,
    #[error("{0}")]
    Refused(Refusal),
    #[error("You cannot give a scope higher than your own.")]
    ScopeTooHigh,
    #[error("You cannot change your own scope.")]
    OwnScope,
    #[error(
        "Someone else changed this user while you were editing. Reload the page to see their changes."
    )]
    Conflict,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Database(DieselError),
}

impl From<DieselError> for UserChangeError {
    fn from(err: DieselError) -> Self {
        UserChangeError::Database(err)
    }
}

impl From<Refusal> for UserChangeError {
    fn from(refusal: Refusal) -> Self {
        UserChangeError::Refused(refusal)
    }
}

/// The user with `extension` in `domain`, or `NotFound` naming the extension.
fn existing_user(
    conn: &mut DbConn,
    domain: &Domain,
    extension: &Extension,
) -> Result<User, UserChangeError> {
    users::find_by_extension(conn, domain.id, extension.as_str())?
        .ok_or_else(|| UserChangeError::NotFound(extension.to_string()))
}

fn target(user: &User, domain: &Domain) -> TargetUser {
    TargetUser {
        id: user.id,
        scope: user.scope,
        domain: domain.as_ref(),
    }
}

/// Creates a user in `domain`, with a portal password when one is given.
pub fn create_user(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
    details: &UserDetails,
    password: Option<&NewPassword>,
) -> Result<User, UserChangeError> {
    acting.may_manage_domain(domain.as_ref())?;
    if !acting.may_grant(details.scope) {
        return Err(UserChangeError::ScopeTooHigh);
    }
    let password_hash = password.map(|p| hash_secret(p.expose())).transpose()?;
    let extension = extension.as_str();
    let created = write_transaction(conn, |conn| {
        if users::find_by_extension(conn, domain.id, extension)?.is_some() {
            return Err(UserChangeError::ExtensionTaken(extension.to_owned()));
        }
        let user = users::insert(
            conn,
            &NewUser {
                domain_id: domain.id,
                extension,
                first_name: details.first_name.as_str(),
                last_name: details.last_name.as_str(),
                email: details.email.as_ref().map(Email::as_str),
                password_hash: password_hash.as_deref(),
                scope: details.scope,
                department: details.department.as_str(),
                site: details.site.as_str(),
                vm_to_email: false,
                must_change_password: false,
                is_system: false,
                time_zone: details.time_zone.as_str(),
                caller_id_number: details.caller_id_number.as_str(),
                emergency_caller_id: details.emergency_caller_id.as_str(),
            },
        )?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                action: audit::USER_CREATE,
                target_user_id: Some(user.id),
                target: extension,
                details: &format!("{} ({})", user.full_name(), details.scope),
            },
        )?;
        Ok(user)
    });
    // Two creators racing for one extension: the unique index decides, with the same answer.
    match created {
        Err(UserChangeError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(UserChangeError::ExtensionTaken(extension.to_owned())),
        other => other,
    }
}

/// Saves new details for the user with `extension`, provided nobody changed the user
/// since `expected_version` was read.
pub fn update_user(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
    expected_version: i32,
    details: &UserDetails,
) -> Result<User, UserChangeError> {
    acting.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let user = existing_user(conn, domain, extension)?;
        let is_self = acting.user_id() == Some(user.id);
        if !is_self {
            // Editing details is allowed on oneself; on others, the usual rule.
            acting.may_act_on(target(&user, domain))?;
        }
        if is_self && details.scope != user.scope {
            return Err(UserChangeError::OwnScope);
        }
        if !acting.may_grant(details.scope) {
            return Err(UserChangeError::ScopeTooHigh);
        }
        let changes = UserChangeset {
            first_name: details.first_name.as_str(),
            last_name: details.last_name.as_str(),
            email: details.email.as_ref().map(Email::as_str),
            scope: details.scope,
            department: details.department.as_str(),
            site: details.site.as_str(),
            time_zone: details.time_zone.as_str(),
            caller_id_number: details.caller_id_number.as_str(),
            emergency_caller_id: details.emergency_caller_id.as_str(),
        };
        let what_changed = changes.describe_against(&user);
        let now = chrono::Utc::now().naive_utc();
        if users::update_details(conn, user.id, expected_version, &changes, now)? == 0 {
            return Err(UserChangeError::Conflict);
        }
        if changes.email != user.email.as_deref() {
            // A link mailed to the old address must not set the password any more.
            void_links_and_mail(conn, &[user.id], outbox::CANCELLED_BY_NEW_EMAIL, now)?;
        }
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                action: audit::USER_UPDATE,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &what_changed,
            },
        )?;
        users::find(conn, user.id)?.ok_or(UserChangeError::NotFound(extension.to_string()))
    })
}

/// What a deletion removed, for the message that confirms it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeletedUser {
    pub extension: String,
    pub name: String,
}

impl DeletedUser {
    pub fn message(&self) -> String {
        if self.name.is_empty() {
            format!("User {} was deleted.", self.extension)
        } else {
            format!("User {} ({}) was deleted.", self.extension, self.name)
        }
    }
}

/// Deletes the user with `extension` and everything attached to it, in one transaction,
/// handing what reaches them in call routing to the user with extension `successor`
/// (a user of the domain other than them) when one is named.
pub fn delete_user(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
    successor: Option<&Extension>,
) -> Result<DeletedUser, UserChangeError> {
    delete_handing_over(conn, acting, domain, extension, None, successor)
}

/// [`delete_user`], provided the user is still at `expected_version` when one is given
/// (`Conflict` otherwise): a delete based on what was read, not on what is there now.
pub fn delete_user_at(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
    expected_version: Option<i32>,
) -> Result<DeletedUser, UserChangeError> {
    delete_handing_over(conn, acting, domain, extension, expected_version, None)
}

fn delete_handing_over(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    extension: &Extension,
    expected_version: Option<i32>,
    successor: Option<&Extension>,
) -> Result<DeletedUser, UserChangeError> {
    acting.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let user = existing_user(conn, domain, extension)?;
        acting.may_act_on(target(&user, domain))?;
        if expected_version.is_some_and(|version| version != user.version) {
            return Err(UserChangeError::Conflict);
        }
        let mut handed = std::collections::HashMap::new();
        if let Some(successor) = successor {
            let taker = users::find_by_extension(conn, domain.id, successor.as_str())?
                .ok_or_else(|| UserChangeError::NoSuccessor(successor.to_string()))?;
            if taker.id == user.id {
                return Err(UserChangeError::SelfSuccessor);
            }
            handed.insert(user.id, taker.id);
        }
        let now = chrono::Utc::now().naive_utc();
        outbox::cancel_queued_for(conn, &[user.id], outbox::CANCELLED_BY_DELETE, now)?;
        let moved = super::routing::detach(conn, &[user.id], &handed)?;
        deleted_users::keep(conn, &[user.id], moved, &acting.audit.login, now)?;
        users::delete(conn, user.id)?;
        let deleted = DeletedUser {
            extension: user.extension.clone(),
            name: user.full_name(),
        };
        let details = match successor {
            Some(successor) => format!("{}; call routing handed to {successor}", deleted.name),
            None => deleted.name.clone(),
        };
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                action: audit::USER_DELETE,
                target_user_id: Some(user.id),
                target: &user.extension,
                details: &details,
            },
        )?;
        Ok(deleted)
    })
}

/// The domain called `name`, created (without a reseller) when it does not exist.
pub fn domain_or_create(conn: &mut DbConn, name: &DomainName) -> Result<Domain, DieselError> {
    match domains::find_by_name(conn, name.as_str())? {
        Some(domain) => Ok(domain),
        None => domains::insert(
            conn,
            &NewDomain {
                name: name.as_str(),
                description: "",
                reseller_id: None,
                portal_security: false,
                time_zone: domains::DEFAULT_TIME_ZONE,
            },
        ),
    }
}

/// What a user's edit page shows beside the form.
#[derive(Debug)]
pub struct Activity {
    /// Their latest messages, newest first.
    pub mail: Vec<outbox::Message>,
    /// How many live sessions they have.
    pub open_sessions: i64,
    /// Whether they have two-step sign-in on (never which factors).
    pub two_step_on: bool,
    /// Every reference to them in call routing.
    pub reached_from: Vec<super::routing::Reach>,
}

/// The edit page's [`Activity`] of `user` (of `domain`), with `mail_limit` messages.
pub fn activity(
    conn: &mut DbConn,
    domain: &Domain,
    user_id: crate::domain::ids::UserId,
    mail_limit: i64,
    now: chrono::NaiveDateTime,
) -> Result<Activity, DieselError> {
    Ok(Activity {
        mail: outbox::recent_for_user(conn, user_id, mail_limit)?,
        open_sessions: super::sessions::count_of(conn, user_id, now)?,
        two_step_on: crate::db::two_step::has_factor(conn, user_id)?,
        reached_from: super::routing::reached_from(conn, domain.id, &[user_id])?,
    })
}
