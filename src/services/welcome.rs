//! Link mail to many users at once: the welcome message (Send Welcome Email, an
//! import's or a recycle's welcome) and Force Password Reset, each within the domain's
//! daily allowance and audited per user.

use chrono::NaiveDateTime;

use super::AuditActor;
use super::jobs::JobError;
use super::jobs::work::{JobContext, UserWork};
use super::mail::{
    LinkContext, LinkPurpose, OVER_DAILY_CAP, QueueError, Recipient, queue_link_mail,
};
use super::reset::force_password_reset;
use crate::db::domains::Domain;
use crate::db::users::UserRef;
use crate::db::{DbConn, audit};
use crate::domain::ids::UserId;
use crate::domain::states::ItemState;

/// Why a user without an e-mail address is skipped by Send Welcome Email.
pub const NO_EMAIL: &str = "No e-mail address.";

/// Those of `users` with an e-mail address, as recipients.
fn recipients(users: &[UserRef]) -> Vec<Recipient<'_>> {
    users
        .iter()
        .filter_map(|user| {
            Some(Recipient {
                user_id: user.id,
                domain_id: user.domain_id,
                extension: &user.extension,
                name: user.full_name(),
                email: user.email.as_deref()?,
            })
        })
        .collect()
}

/// Queues a `purpose` link message to each of `users` with an e-mail address, within
/// the domain's daily allowance; returns those the allowance left unmailed.
fn mail_links(
    conn: &mut DbConn,
    users: &[UserRef],
    domain: &Domain,
    purpose: LinkPurpose,
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<Vec<UserId>, QueueError> {
    let mailed = queue_link_mail(conn, &recipients(users), &domain.name, purpose, links, now)?;
    Ok(mailed.over_cap)
}

/// Queues the welcome message, with a set-password link, to each of `users` (of
/// `domain`) that has an e-mail address, within the domain's daily allowance, with an
/// audit event each (saying so when the allowance left it unsent); returns the users
/// the allowance left unmailed.
pub fn welcome_users(
    conn: &mut DbConn,
    actor: &AuditActor,
    domain: &Domain,
    users: &[UserRef],
    links: &LinkContext,
    now: NaiveDateTime,
) -> Result<Vec<UserId>, JobError> {
    let over_cap = mail_links(conn, users, domain, LinkPurpose::Welcome, links, now)?;
    actor.record_for_each(conn, users, audit::MAIL_WELCOME, |user| {
        if over_cap.contains(&user.id) {
            format!("no welcome e-mail: {OVER_DAILY_CAP}")
        } else {
            format!(
                "welcome e-mail with a set-password link queued to {}",
                user.email.as_deref().unwrap_or_default()
            )
        }
    })?;
    Ok(over_cap)
}

/// A Send Welcome Email job's work: a user without an address is passed over, and one
/// the allowance left unmailed is skipped (nothing was done for them).
pub struct WelcomeWork;

impl UserWork for WelcomeWork {
    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        user.email.is_none().then(|| NO_EMAIL.to_owned())
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let over_cap = mail_links(
            conn,
            users,
            job.domain,
            LinkPurpose::Welcome,
            job.links,
            job.now,
        )?;
        let welcomed: Vec<UserRef> = users
            .iter()
            .filter(|user| !over_cap.contains(&user.id))
            .cloned()
            .collect();
        job.actor
            .record_for_each(conn, &welcomed, audit::MAIL_WELCOME, |user| {
                format!(
                    "welcome e-mail with a set-password link queued to {}",
                    user.email.as_deref().unwrap_or_default()
                )
            })?;
        Ok(over_cap)
    }

    fn unmailed_state(&self) -> ItemState {
        ItemState::Skipped
    }
}

/// A Force Password Reset job's work: the password must change, sessions end, and a
/// reset link goes to each user with an address (within the allowance).
pub struct ForceResetWork;

impl UserWork for ForceResetWork {
    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        force_password_reset(conn, users, job.now)?;
        let over_cap = mail_links(
            conn,
            users,
            job.domain,
            LinkPurpose::Reset,
            job.links,
            job.now,
        )?;
        job.actor
            .record_for_each(
                conn,
                users,
                audit::PASSWORD_FORCE_RESET,
                |user| match &user.email {
                    Some(_) if over_cap.contains(&user.id) => format!(
                        "must change the password; sessions ended; no reset link: {OVER_DAILY_CAP}"
                    ),
                    Some(email) => format!(
                        "must change the password; sessions ended; reset link queued to {email}"
                    ),
                    None => {
                        "must change the password; sessions ended; no e-mail address for a link"
                            .to_owned()
                    }
                },
            )?;
        Ok(over_cap)
    }
}
