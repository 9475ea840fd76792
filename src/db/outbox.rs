//! The outbox: messages queued in the transaction of the change that causes them, and
//! their delivery state. A message is claimed (`sending`, with a lease) in a transaction
//! of its own just before it is handed to the mail server, one at a time, so no
//! instance, and no restart, ever hands it over twice, and a message that was never
//! handed over is never mistaken for one that may have been. Mail to a user who is
//! deleted, reset or given another address before it goes out is cancelled.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::outbox;
use super::{DbConn, load_claimed, on_backend};
use crate::domain::ids::{DomainId, UserId};
use crate::domain::states::MailState;

/// The stored texts, for queries.
const QUEUED: &str = MailState::Queued.as_str();
const SENDING: &str = MailState::Sending.as_str();
const SENT: &str = MailState::Sent.as_str();
const FAILED: &str = MailState::Failed.as_str();
const CANCELLED: &str = MailState::Cancelled.as_str();

/// Why queued mail was not sent.
pub const CANCELLED_BY_RESET: &str = "Cancelled: the user was reset before it was sent.";
pub const CANCELLED_BY_DELETE: &str = "Cancelled: the user was deleted before it was sent.";
pub const CANCELLED_BY_NEW_EMAIL: &str =
    "Cancelled: the user's e-mail address changed before it was sent.";
pub const CANCELLED_BY_NEWER_LINK: &str =
    "Cancelled: a newer message with a new link was queued before it was sent.";

/// What is left of a message once delivered or given up: the link it carried is
/// one-time and secret, so it does not stay in the database.
const DELIVERED_BODY: &str = "";

#[derive(Debug, Insertable)]
#[diesel(table_name = outbox)]
pub struct NewMessage<'a> {
    pub domain_id: Option<DomainId>,
    pub user_id: Option<UserId>,
    pub recipient: &'a str,
    pub kind: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub next_attempt_at: NaiveDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Message {
    pub id: i64,
    pub user_id: Option<UserId>,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    #[diesel(deserialize_as = String)]
    pub state: MailState,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
}

/// Rows per multi-row INSERT.
const INSERT_CHUNK: usize = 200;

pub fn queue_many(conn: &mut DbConn, messages: &[NewMessage<'_>]) -> QueryResult<usize> {
    let mut queued = 0;
    for chunk in messages.chunks(INSERT_CHUNK) {
        queued += on_backend!(conn, |c| diesel::insert_into(outbox::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(queued)
}

/// Claims the oldest message that is due, marking it `sending` until `lease_until`.
/// Call it in a transaction of its own and commit before sending: one message at a
/// time, so at most the one being handed over is `sending` when a process dies.
pub fn claim_next_due(
    conn: &mut DbConn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
) -> QueryResult<Option<Message>> {
    let claimed: Option<Message> = load_claimed!(
        conn,
        outbox::table
            .filter(outbox::state.eq(QUEUED))
            .filter(outbox::next_attempt_at.le(now))
            .order(outbox::id)
            .limit(1)
            .select(Message::as_select())
    )?
    .pop();
    if let Some(message) = &claimed {
        diesel::update(outbox::table.find(message.id))
            .set((
                outbox::state.eq(SENDING),
                outbox::next_attempt_at.eq(lease_until),
            ))
            .execute(conn)?;
    }
    Ok(claimed)
}

/// Cancels the messages still queued to `user_ids`, with `reason`, and clears their
/// bodies (the links they carried are void).
pub fn cancel_queued_for(
    conn: &mut DbConn,
    user_ids: &[UserId],
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    cancel_queued(conn, user_ids, None, reason, now)
}

/// Cancels the messages of `kind` still queued to `user_ids` (their links were just
/// voided by a newer one), with `reason`, and clears their bodies.
pub fn cancel_queued_of_kind(
    conn: &mut DbConn,
    user_ids: &[UserId],
    kind: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    cancel_queued(conn, user_ids, Some(kind), reason, now)
}

fn cancel_queued(
    conn: &mut DbConn,
    user_ids: &[UserId],
    kind: Option<&str>,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let cancelled_now = (
        outbox::state.eq(CANCELLED),
        outbox::last_error.eq(reason),
        outbox::next_attempt_at.eq(now),
        outbox::body_text.eq(DELIVERED_BODY),
        outbox::body_html.eq(DELIVERED_BODY),
    );
    let mut cancelled = 0;
    for chunk in user_ids.chunks(500) {
        let queued = outbox::table
            .filter(outbox::user_id.eq_any(chunk))
            .filter(outbox::state.eq(QUEUED));
        cancelled += match kind {
            Some(kind) => diesel::update(queued.filter(outbox::kind.eq(kind)))
                .set(cancelled_now)
                .execute(conn)?,
            None => diesel::update(queued).set(cancelled_now).execute(conn)?,
        };
    }
    Ok(cancelled)
}

pub fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::state.eq(SENDING)))
        .set((
            outbox::state.eq(SENT),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::sent_at.eq(now),
            outbox::last_error.eq(None::<String>),
            outbox::body_text.eq(DELIVERED_BODY),
            outbox::body_html.eq(DELIVERED_BODY),
        ))
        .execute(conn)
}

/// Puts a message back in the queue after a failed attempt, to be tried at `next_at`.
pub fn mark_retry(
    conn: &mut DbConn,
    id: i64,
    error: &str,
    next_at: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::state.eq(SENDING)))
        .set((
            outbox::state.eq(QUEUED),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(next_at),
        ))
        .execute(conn)
}

/// Gives a message up for good.
pub fn mark_failed(conn: &mut DbConn, id: i64, error: &str) -> QueryResult<usize> {
    diesel::update(outbox::table.find(id).filter(outbox::state.eq(SENDING)))
        .set((
            outbox::state.eq(FAILED),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::last_error.eq(error),
            outbox::body_text.eq(DELIVERED_BODY),
            outbox::body_html.eq(DELIVERED_BODY),
        ))
        .execute(conn)
}

/// Why a message whose sender vanished mid-delivery is not tried again.
pub const INTERRUPTED: &str = "Delivery was interrupted (the portal stopped while handing it to the mail server). It may have arrived, so it is not sent again; send a new one if it did not.";

/// Messages whose lease ran out while `sending`: their sender stopped mid-delivery.
/// Whether the mail server took them is unknown, and sending twice is the one thing
/// promised never to happen, so they are failed with [`INTERRUPTED`].
pub fn fail_interrupted(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .filter(outbox::state.eq(SENDING))
            .filter(outbox::next_attempt_at.lt(now)),
    )
    .set((
        outbox::state.eq(FAILED),
        outbox::last_error.eq(INTERRUPTED),
        outbox::body_text.eq(DELIVERED_BODY),
        outbox::body_html.eq(DELIVERED_BODY),
    ))
    .execute(conn)
}

/// A user's most recent messages, newest first: their mail state on the edit page.
pub fn recent_for_user(
    conn: &mut DbConn,
    user_id: UserId,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    outbox::table
        .filter(outbox::user_id.eq(user_id))
        .order(outbox::id.desc())
        .limit(limit)
        .select(Message::as_select())
        .load(conn)
}

/// Messages waiting to be handed over (queued, or being handed over now), for
/// `/metrics`: read from the (state, next_attempt_at) index.
pub fn depth(conn: &mut DbConn) -> QueryResult<Vec<(MailState, i64)>> {
    let mut depth = Vec::with_capacity(2);
    for state in [MailState::Queued, MailState::Sending] {
        let count = outbox::table
            .filter(outbox::state.eq(state.as_str()))
            .count()
            .get_result(conn)?;
        depth.push((state, count));
    }
    Ok(depth)
}
