//! A job asked for in one request (the API): an action for users named by extension or
//! by filter, Undo reset of all or some of a reset's users, Retry failed, or import
//! rows; each started in one transaction, once per idempotency key when one is given.

use std::collections::{HashMap, HashSet};

use super::once::{Once, start_once};
use super::spec::{Action, Selection};
use super::start::{NamedSuccessors, start_job};
use super::{JobError, retry, undo};
use crate::db::domains::Domain;
use crate::db::users::{self, ListFilter};
use crate::db::{DbConn, deleted_users, write_transaction};
use crate::domain::Extension;
use crate::domain::ids::{JobId, UserId};
use crate::services::import::run::{ImportError, start_rows};
use crate::services::{Acting, Authority};

/// Whom an action is for.
#[derive(Debug, Clone)]
pub enum Named {
    /// Users of the domain by extension (deleted users, for a restore: the latest
    /// deleted with each extension).
    Extensions(Vec<Extension>),
    /// "All matching users" of the Users page's filter.
    Filter(ListFilter),
    /// Checked rows, by id (deleted users', for a restore).
    Ids(Vec<UserId>),
}

/// What one request asks to start.
#[derive(Debug, Clone)]
pub enum JobRequest {
    Action {
        domain: Domain,
        action: Action,
        users: Named,
        /// How many users the caller expects a filter to match now.
        expected: Option<usize>,
        /// A delete's successors.
        successors: NamedSuccessors,
    },
    /// Undo reset of reset job `job`, for the users of `only` or all it still keeps;
    /// with `domain`, a job of another domain is refused. `retry_of`: the Undo reset
    /// job whose failed users this retries.
    Undo {
        domain: Option<Domain>,
        job: JobId,
        only: Option<Named>,
        retry_of: Option<JobId>,
    },
    /// The failed users of job `job`, with its action.
    Retry { job: JobId },
    /// Rows of a spreadsheet, as CSV, checked and started whole.
    Import {
        domain: Domain,
        csv: String,
        welcome: bool,
    },
}

/// An extension a request named that names no user, by its place in the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unknown {
    pub index: usize,
    pub extension: String,
    pub deleted: bool,
}

impl Unknown {
    pub fn message(&self) -> String {
        if self.deleted {
            format!(
                "There is no deleted user with extension {} in this domain.",
                self.extension
            )
        } else {
            format!(
                "There is no user with extension {} in this domain.",
                self.extension
            )
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    #[error(transparent)]
    Job(#[from] JobError),
    #[error(transparent)]
    Import(#[from] ImportError),
    #[error("{} extensions name no user of this domain.", .0.len())]
    Unknown(Vec<Unknown>),
    #[error("There is no such job in this domain.")]
    NotInDomain,
    #[error("None of these users can be put back any more.")]
    NoneToPutBack,
    #[error("An import is retried by checking its file again.")]
    ImportRetried,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// An idempotency key and what identifies the request sent with it.
pub struct Key {
    pub key: String,
    pub fingerprint: String,
}

/// Starts what `request` asks, in one transaction: once per `key` of the acting user
/// when a key is given (a request repeated with it gets the job the first started).
pub fn start_requested(
    conn: &mut DbConn,
    acting: &Acting,
    request: &JobRequest,
    key: Option<&Key>,
) -> Result<Once, RequestError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser.into());
    };
    let start = |conn: &mut DbConn| start_now(conn, acting, request);
    match key {
        Some(key) => start_once(conn, rights.user_id, &key.key, &key.fingerprint, start),
        None => write_transaction(conn, start).map(Once::Started),
    }
}

fn start_now(
    conn: &mut DbConn,
    acting: &Acting,
    request: &JobRequest,
) -> Result<JobId, RequestError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser.into());
    };
    match request {
        JobRequest::Action {
            domain,
            action,
            users,
            expected,
            successors,
        } => {
            let selection = match users {
                Named::Filter(filter) => Selection::AllMatching(filter.clone()),
                Named::Extensions(extensions) if *action == Action::Restore => {
                    Selection::Deleted(users_named(conn, domain, extensions, true)?)
                }
                Named::Extensions(extensions) => {
                    Selection::Users(users_named(conn, domain, extensions, false)?)
                }
                Named::Ids(ids) if *action == Action::Restore => Selection::Deleted(ids.clone()),
                Named::Ids(ids) => Selection::Users(ids.clone()),
            };
            let action = match action {
                Action::Delete { .. } if !successors.is_empty() => Action::Delete {
                    successors: super::start::successors(conn, domain, &selection, successors)?,
                },
                other => other.clone(),
            };
            Ok(start_job(
                conn, acting, domain, &action, &selection, *expected, None,
            )?)
        }
        JobRequest::Undo {
            domain,
            job,
            only,
            retry_of,
        } => {
            let undo = undo(conn, &rights, *job)?;
            if domain
                .as_ref()
                .is_some_and(|domain| undo.domain.id != domain.id)
            {
                return Err(RequestError::NotInDomain);
            }
            let mut users = undo.users;
            if let Some(only) = only {
                let chosen: HashSet<UserId> = match only {
                    Named::Ids(ids) => ids.iter().copied().collect(),
                    Named::Extensions(extensions) => {
                        users_named(conn, &undo.domain, extensions, false)?
                            .into_iter()
                            .collect()
                    }
                    Named::Filter(filter) => users::all_matching(conn, filter)?
                        .into_iter()
                        .map(|user| user.id)
                        .collect(),
                };
                users.retain(|id| chosen.contains(id));
                if users.is_empty() {
                    return Err(RequestError::NoneToPutBack);
                }
            }
            let action = undo.undone.action(undo.job.id);
            Ok(start_job(
                conn,
                acting,
                &undo.domain,
                &action,
                &Selection::Users(users),
                None,
                *retry_of,
            )?)
        }
        JobRequest::Retry { job } => {
            let retry = retry(conn, &rights, *job)?;
            if matches!(retry.action, Action::Import { .. }) {
                return Err(RequestError::ImportRetried);
            }
            Ok(start_job(
                conn,
                acting,
                &retry.domain,
                &retry.action,
                &retry.selection,
                None,
                Some(retry.job.id),
            )?)
        }
        JobRequest::Import {
            domain,
            csv,
            welcome,
        } => Ok(start_rows(conn, acting, domain, csv, *welcome)?),
    }
}

/// The users `extensions` name in the domain (deleted users when `deleted`), each once;
/// every extension that names none is refused.
fn users_named(
    conn: &mut DbConn,
    domain: &Domain,
    extensions: &[Extension],
    deleted: bool,
) -> Result<Vec<UserId>, RequestError> {
    let wanted: Vec<&str> = extensions.iter().map(Extension::as_str).collect();
    let found: HashMap<String, UserId> = if deleted {
        deleted_users::latest_with_extensions(conn, domain.id, &wanted)?
    } else {
        users::ids_with_extensions(conn, domain.id, &wanted)?
    }
    .into_iter()
    .collect();
    let unknown: Vec<Unknown> = wanted
        .iter()
        .enumerate()
        .filter(|(_, extension)| !found.contains_key(**extension))
        .map(|(index, extension)| Unknown {
            index,
            extension: (*extension).to_owned(),
            deleted,
        })
        .collect();
    if !unknown.is_empty() {
        return Err(RequestError::Unknown(unknown));
    }
    let mut ids: Vec<UserId> = wanted
        .iter()
        .filter_map(|extension| found.get(*extension).copied())
        .collect();
    ids.sort();
    ids.dedup();
    Ok(ids)
}
