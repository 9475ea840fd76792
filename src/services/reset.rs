//! Resetting, recycling and forcing a password change: the changes themselves, each run
//! inside a transaction (or savepoint) its caller owns, and the work of a reset job and
//! of Undo reset as the job runner calls it.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDateTime;
use diesel::QueryResult;

use super::AuditActor;
use super::jobs::JobError;
use super::jobs::work::{JobContext, UserWork};
use crate::db::audit::{self, NewAuditEvent};
use crate::db::user_set::UserSet;
use crate::db::users::{User, UserRef};
use crate::db::{DbConn, api_tokens, outbox, reset, reset_undo, sessions, tokens, two_step};
use crate::domain::fields::UserField;
use crate::domain::ids::{JobId, UserId};
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::domain::{Email, Invalid, PersonName};

/// Clears exactly the chosen kinds of information from `users`, nothing else: the row,
/// extension, scope, department, site and primary device stay. A cleared password
/// also ends the users' sessions and removes their second factors. Any reset voids the users' one-time links and cancels
/// mail still queued to them (it was written for the user as they were). Set-based: a
/// few statements for all of them, so the caller's transaction makes it all or nothing.
pub fn reset_users(
    conn: &mut DbConn,
    users_to_reset: &[UserRef],
    options: &ResetOptions,
    actor: &AuditActor,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<UserId> = users_to_reset.iter().map(|user| user.id).collect();
    reset::clear_columns(conn, &ids, options, now)?;
    if options.contains(ResetOption::Password) {
        sessions::delete_of_users(conn, &ids)?;
        // The second factors guarded the password that is gone; the next person sets
        // their own.
        two_step::remove_all_of(conn, &ids)?;
    }
    // Whatever a reset clears, the person it was for has gone: their scripts go too.
    api_tokens::delete_of_users(conn, &ids)?;
    void_links_and_mail(conn, &ids, outbox::CANCELLED_BY_RESET, now)?;
    for option in options.iter().filter(|option| option.removes_rows()) {
        reset::delete_attached(conn, &ids, option)?;
    }
    let cleared: Vec<&str> = options.iter().map(ResetOption::label).collect();
    let cleared = cleared.join(", ");
    actor.record_for_each(conn, users_to_reset, audit::USER_RESET, |user| {
        format!("{}: cleared {cleared}", user.full_name())
    })
}

/// The new person for a recycled extension.
#[derive(Debug, Clone)]
pub struct NewOccupant {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Option<Email>,
}

impl NewOccupant {
    /// The new person as typed (a recycle form's row, the API's): both names required,
    /// the e-mail address optional; else every field refused, with why.
    pub fn parse(
        first_name: &str,
        last_name: &str,
        email: &str,
    ) -> Result<Self, Vec<(UserField, Invalid)>> {
        let first = PersonName::parse_required(first_name);
        let last = PersonName::parse_required(last_name);
        let email = Email::parse_optional(email);
        match (first, last, email) {
            (Ok(first_name), Ok(last_name), Ok(email)) => Ok(NewOccupant {
                first_name,
                last_name,
                email,
            }),
            (first, last, email) => Err([
                (UserField::FirstName, first.err()),
                (UserField::LastName, last.err()),
                (UserField::Email, email.err()),
            ]
            .into_iter()
            .filter_map(|(field, refused)| refused.map(|invalid| (field, invalid)))
            .collect()),
        }
    }
}

/// How many rows each checked option that removes rows would remove for exactly these
/// users: what the Confirm step states before a reset. Each count goes through its
/// table's index on `user_id`, with the same conditions as [`reset_users`] deletes by,
/// and an "all matching" selection is counted in SQL, without reading its users.
pub fn rows_removed(
    conn: &mut DbConn,
    users: UserSet<'_>,
    options: &[ResetOption],
) -> QueryResult<Vec<(ResetOption, i64)>> {
    let mut counts = Vec::new();
    for &option in options.iter().filter(|option| option.removes_rows()) {
        let mut total = 0;
        for ids in users.queries(conn.backend()) {
            total += reset::count_attached(conn, ids, option)?;
        }
        counts.push((option, total));
    }
    Ok(counts)
}

/// Hands a (reset) user's extension to a new person: new name and e-mail, no portal
/// password and no voicemail PIN, so the user is in Password Required. Only while the
/// row still has `expected_version`, checked by the UPDATE itself, so of two saves at
/// once one wins and the other changes nothing; returns whether this one saved.
pub fn recycle_user(
    conn: &mut DbConn,
    user: &User,
    expected_version: i32,
    occupant: &NewOccupant,
    actor: &AuditActor,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let person = (
        occupant.first_name.as_str(),
        occupant.last_name.as_str(),
        occupant.email.as_ref().map(Email::as_str),
    );
    if !reset::set_new_person(conn, user.id, expected_version, person, now)? {
        return Ok(false);
    }
    sessions::delete_of_users(conn, &[user.id])?;
    api_tokens::delete_of_users(conn, &[user.id])?;
    // The previous holder's app and passkeys must never sign in as the next person.
    two_step::remove_all_of(conn, &[user.id])?;
    void_links_and_mail(conn, &[user.id], outbox::CANCELLED_BY_RESET, now)?;
    audit::record(
        conn,
        &NewAuditEvent {
            domain_id: Some(user.domain_id),
            actor_id: actor.user_id,
            actor_login: &actor.login,
            action: audit::USER_RECYCLE,
            target_user_id: Some(user.id),
            target: &user.extension,
            details: &format!(
                "now {} {}",
                occupant.first_name.as_str(),
                occupant.last_name.as_str()
            ),
        },
    )?;
    Ok(true)
}

/// Makes each of `users` choose a new password at their next sign-in, ends all their
/// sessions at once, and voids the set-password links they had.
pub fn force_password_reset(
    conn: &mut DbConn,
    users_to_force: &[UserRef],
    now: NaiveDateTime,
) -> QueryResult<()> {
    let ids: Vec<UserId> = users_to_force.iter().map(|user| user.id).collect();
    reset::require_password_change(conn, &ids, now)?;
    sessions::delete_of_users(conn, &ids)?;
    api_tokens::delete_of_users(conn, &ids)?;
    void_links_and_mail(conn, &ids, outbox::CANCELLED_BY_RESET, now)?;
    Ok(())
}

/// Voids the users' one-time links and cancels the mail still queued to them, with
/// `reason`: what was written for a user as they were is not sent to them as they are.
pub fn void_links_and_mail(
    conn: &mut DbConn,
    user_ids: &[UserId],
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    tokens::delete_of_users(conn, user_ids)?;
    outbox::cancel_queued_for(conn, user_ids, reason, now)?;
    Ok(())
}

/// Why Undo reset skips a user changed (or recycled) since the reset.
pub const CHANGED_SINCE: &str = "Changed since the reset.";

/// A reset job's work: what each user's reset clears is kept for Undo reset, then cleared.
pub struct ResetWork {
    pub options: ResetOptions,
}

impl UserWork for ResetWork {
    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
        reset_undo::keep(conn, job.job.id, &ids, &self.options, job.now)?;
        reset_users(conn, users, &self.options, job.actor, job.now)?;
        Ok(Vec::new())
    }
}

/// Undo reset's work: what reset job `reset_job` cleared (its `options`) put back, for
/// each of its users not changed since.
pub struct UndoResetWork {
    pub reset_job: JobId,
    pub options: ResetOptions,
    unchanged: HashSet<UserId>,
}

impl UndoResetWork {
    pub fn new(reset_job: JobId, options: ResetOptions) -> Self {
        Self {
            reset_job,
            options,
            unchanged: HashSet::new(),
        }
    }
}

impl UserWork for UndoResetWork {
    fn find(
        &mut self,
        conn: &mut DbConn,
        _job: &JobContext<'_>,
        ids: &[UserId],
    ) -> QueryResult<HashMap<UserId, UserRef>> {
        self.unchanged = reset_undo::unchanged_since(conn, self.reset_job, ids)?;
        Ok(crate::db::users::refs_by_ids(conn, ids)?
            .into_iter()
            .map(|user| (user.id, user))
            .collect())
    }

    fn passes_over(&mut self, user: &UserRef) -> Option<String> {
        (!self.unchanged.contains(&user.id)).then(|| CHANGED_SINCE.to_owned())
    }

    fn apply(
        &self,
        conn: &mut DbConn,
        job: &JobContext<'_>,
        users: &[UserRef],
    ) -> Result<Vec<UserId>, JobError> {
        let ids: Vec<UserId> = users.iter().map(|user| user.id).collect();
        let kept = reset_undo::kept_of(conn, self.reset_job, &ids)?;
        reset_undo::put_back(conn, self.reset_job, &kept, &self.options, job.now)?;
        let labels: Vec<&str> = self.options.iter().map(ResetOption::label).collect();
        let labels = labels.join(", ");
        job.actor
            .record_for_each(conn, users, audit::USER_UNDO_RESET, |_| {
                format!(
                    "put back what reset job {} cleared: {labels} (bulk job {})",
                    self.reset_job, job.job.id
                )
            })?;
        Ok(Vec::new())
    }
}
