//! The recycle form of a reset with Recycle Users: each reset user given to a new
//! person, all rows in one transaction, with the welcome message when asked.

use chrono::Utc;

use super::jobs::JobError;
use super::mail::LinkContext;
use super::reset::{NewOccupant, recycle_user};
use super::welcome::welcome_users;
use super::{Acting, Authority};
use crate::db::domains;
use crate::db::jobs::{self, Job};
use crate::db::users::{self, User, UserRef};
use crate::db::write_transaction;
use crate::domain::TargetUser;
use crate::domain::ids::UserId;

/// One row of the recycle form, validated.
#[derive(Debug, Clone)]
pub struct RecycleRow {
    pub user_id: UserId,
    /// The user's row version when the form was shown; a user changed since is refused.
    pub version: i32,
    pub occupant: NewOccupant,
}

/// What a recycle form saved: users recycled, and of those, welcome e-mails queued and
/// not sent for the domain's daily allowance.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recycled {
    pub saved: usize,
    pub welcomed: usize,
    pub over_cap: usize,
}

/// Saves every row of a recycle form in one transaction: each must be a user this job
/// reset (and the actor may still act on), or nothing is saved. With `welcome`, every
/// saved user with an e-mail address is sent the welcome message (within the domain's
/// daily allowance), in the same transaction.
pub fn recycle(
    conn: &mut crate::db::DbConn,
    acting: &Acting,
    job: &Job,
    rows: &[RecycleRow],
    welcome: Option<&LinkContext>,
) -> Result<Recycled, JobError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser);
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let domain = domains::find(conn, job.domain_id)?.ok_or(diesel::result::Error::NotFound)?;
        rights.may_manage_domain(domain.as_ref())?;
        let awaiting: Vec<UserId> = jobs::awaiting_recycle(conn, job.id)?
            .iter()
            .filter_map(|i| i.user_id)
            .collect();
        let mut saved: Vec<(User, &RecycleRow)> = Vec::with_capacity(rows.len());
        for row in rows {
            let user = users::find(conn, row.user_id)?
                .filter(|user| user.domain_id == job.domain_id && awaiting.contains(&user.id))
                .ok_or(JobError::NotInJob)?;
            rights.may_act_on(TargetUser {
                id: user.id,
                scope: user.scope,
                domain: domain.as_ref(),
            })?;
            if !recycle_user(conn, &user, row.version, &row.occupant, &acting.audit, now)? {
                return Err(JobError::ChangedSince(user.extension));
            }
            jobs::mark_recycled(conn, job.id, user.id, now)?;
            saved.push((user, row));
        }
        let Some(links) = welcome else {
            return Ok(Recycled {
                saved: rows.len(),
                welcomed: 0,
                over_cap: 0,
            });
        };
        // Each recycled user with a new e-mail address, as they are now.
        let to_welcome: Vec<UserRef> = saved
            .iter()
            .filter_map(|(user, row)| {
                let email = row.occupant.email.as_ref()?;
                Some(UserRef {
                    id: user.id,
                    domain_id: user.domain_id,
                    extension: user.extension.clone(),
                    first_name: row.occupant.first_name.as_str().to_owned(),
                    last_name: row.occupant.last_name.as_str().to_owned(),
                    email: Some(email.as_str().to_owned()),
                    scope: user.scope,
                })
            })
            .collect();
        let over_cap = welcome_users(conn, &acting.audit, &domain, &to_welcome, links, now)?.len();
        Ok(Recycled {
            saved: rows.len(),
            welcomed: to_welcome.len() - over_cap,
            over_cap,
        })
    })
}
