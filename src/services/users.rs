//! Creating users: from the command line now, from the Add User page later. One
//! transaction writes the user and its audit event.

use diesel::Connection;
use diesel::result::{DatabaseErrorKind, Error as DieselError};

use super::AuditActor;
use super::credentials::{HashError, hash_secret};
use crate::db::DbConn;
use crate::db::audit::{self, NewAuditEvent};
use crate::db::domains::{self, Domain, NewDomain};
use crate::db::users::{self, NewUser, User};
use crate::domain::{DomainName, Email, Extension, NewPassword, PersonName, Scope, ShortText};

/// A user to create, every field already validated.
#[derive(Debug, Clone)]
pub struct UserDraft {
    pub extension: Extension,
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Option<Email>,
    pub scope: Scope,
    pub department: ShortText,
    pub site: ShortText,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("Extension {0} is already taken in this domain.")]
    ExtensionTaken(String),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error(transparent)]
    Database(DieselError),
}

impl From<DieselError> for CreateUserError {
    fn from(err: DieselError) -> Self {
        CreateUserError::Database(err)
    }
}

/// Creates a user in `domain`, with a portal password when one is given.
pub fn create_user(
    conn: &mut DbConn,
    domain: &Domain,
    draft: &UserDraft,
    password: Option<&NewPassword>,
    actor: &AuditActor,
) -> Result<User, CreateUserError> {
    let password_hash = password.map(|p| hash_secret(p.expose())).transpose()?;
    let extension = draft.extension.as_str();
    let created = conn.transaction(|conn| {
        if users::find_by_extension(conn, domain.id, extension)?.is_some() {
            return Err(CreateUserError::ExtensionTaken(extension.to_owned()));
        }
        let user = users::insert(
            conn,
            &NewUser {
                domain_id: domain.id,
                extension,
                first_name: draft.first_name.as_str(),
                last_name: draft.last_name.as_str(),
                email: draft.email.as_ref().map(Email::as_str),
                password_hash: password_hash.as_deref(),
                scope: draft.scope.rank(),
                department: draft.department.as_str(),
                site: draft.site.as_str(),
                vm_to_email: false,
                must_change_password: false,
                is_system: false,
            },
        )?;
        audit::record(
            conn,
            &NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: actor.user_id,
                actor_login: &actor.login,
                action: "user.create",
                target_user_id: Some(user.id),
                target: extension,
                details: &format!("created with scope {}", draft.scope),
            },
        )?;
        Ok(user)
    });
    // Two creators racing for one extension: the unique index decides, with the same answer.
    match created {
        Err(CreateUserError::Database(DieselError::DatabaseError(
            DatabaseErrorKind::UniqueViolation,
            _,
        ))) => Err(CreateUserError::ExtensionTaken(extension.to_owned())),
        other => other,
    }
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
            },
        ),
    }
}
