//! The delivery worker: a thread of its own that drains the outbox through the mailer.
//! Each message is claimed (marked `sending`, committed) just before it is handed over,
//! one at a time, and marked sent, retried with a doubling wait, or failed after; so a mail server that is
//! down delays mail without losing it, and no message is handed over twice, even across
//! a restart or by two instances sharing a PostgreSQL database.

use std::time::Duration;

use chrono::{NaiveDateTime, TimeDelta, Utc};

use super::mailer::{MailError, Mailer, Outgoing};
use crate::background::{Loops, Waker};
use crate::db::outbox::{self, Message};
use crate::db::{DbConn, Pool, write_transaction};

/// How long a claim lasts: far longer than one SMTP conversation may take.
const LEASE: TimeDelta = TimeDelta::minutes(10);
/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 10;
/// The longest wait between attempts.
const LONGEST_WAIT: Duration = Duration::from_secs(3600);
/// How often the worker looks when nothing wakes it.
const IDLE_LOOK: Duration = Duration::from_secs(1);

/// A handle to the worker; the worker stops when the last handle is dropped.
#[derive(Clone)]
pub struct Postman(Waker);

impl Postman {
    /// Starts the worker thread among `loops`: it delivers through `mailer`, first
    /// retrying after `retry_after`, then after twice as long each time.
    pub fn start(
        loops: &Loops,
        pool: Pool,
        mailer: Mailer,
        from: String,
        retry_after: Duration,
    ) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        loops
            .spawn("outbox", IDLE_LOOK, move || {
                let round = DeliveryRound {
                    mailer: &mailer,
                    from: &from,
                    retry_after,
                };
                let mut conn = pool.get().map_err(|err| err.to_string())?;
                runtime
                    .block_on(round.deliver_due(&mut conn))
                    .map_err(|err| err.to_string())
            })
            .map(Self)
    }

    /// No worker: mail waits for an instance that delivers it.
    pub fn none() -> Self {
        Self(Waker::none())
    }

    /// Tells the worker mail is waiting.
    pub fn wake(&self) {
        self.0.wake();
    }
}

/// One pass over the outbox.
pub struct DeliveryRound<'a> {
    pub mailer: &'a Mailer,
    pub from: &'a str,
    pub retry_after: Duration,
}

impl DeliveryRound<'_> {
    /// Fails messages whose sender died mid-delivery, then claims the due ones and
    /// hands each over. Returns how many it handed over or gave up.
    pub async fn deliver_due(&self, conn: &mut DbConn) -> diesel::QueryResult<usize> {
        let now = Utc::now().naive_utc();
        let interrupted = outbox::fail_interrupted(conn, now)?;
        if interrupted > 0 {
            tracing::warn!(
                interrupted,
                "messages were mid-delivery when a portal stopped; not resent"
            );
        }
        let mut handled = 0;
        loop {
            let now = Utc::now().naive_utc();
            let claimed =
                write_transaction(conn, |conn| outbox::claim_next_due(conn, now, now + LEASE))?;
            let Some(message) = claimed else {
                return Ok(handled);
            };
            self.hand_over(conn, &message).await?;
            handled += 1;
        }
    }

    /// Hands one claimed message to the mailer and records the outcome.
    async fn hand_over(&self, conn: &mut DbConn, message: &Message) -> diesel::QueryResult<()> {
        let outcome = self.mailer.send(&self.outgoing(message)).await;
        let now = Utc::now().naive_utc();
        match outcome {
            Ok(()) => {
                outbox::mark_sent(conn, message.id, now)?;
            }
            Err(MailError {
                message: error,
                retry: true,
            }) if message.attempts + 1 < MAX_ATTEMPTS => {
                tracing::warn!(id = message.id, %error, "mail not delivered; will retry");
                let next = now + self.wait_after(message.attempts + 1);
                outbox::mark_retry(conn, message.id, &error, next)?;
            }
            Err(MailError { message: error, .. }) => {
                tracing::warn!(id = message.id, %error, "mail given up");
                outbox::mark_failed(conn, message.id, &error)?;
            }
        }
        Ok(())
    }

    fn outgoing(&self, message: &Message) -> Outgoing {
        Outgoing {
            from: self.from.to_owned(),
            to: message.recipient.clone(),
            subject: message.subject.clone(),
            text: message.body_text.clone(),
            html: message.body_html.clone(),
            message_id: message_id(message.id, message.created_at),
        }
    }

    /// The wait before attempt `attempts + 1`: `retry_after`, doubled per attempt made.
    fn wait_after(&self, attempts: i32) -> TimeDelta {
        let doublings = u32::try_from(attempts.saturating_sub(1))
            .unwrap_or(0)
            .min(16);
        let wait = self
            .retry_after
            .saturating_mul(1 << doublings)
            .min(LONGEST_WAIT);
        TimeDelta::from_std(wait).unwrap_or(TimeDelta::hours(1))
    }
}

/// A message's id, the same on every attempt.
fn message_id(id: i64, created_at: NaiveDateTime) -> String {
    format!(
        "<outbox-{id}-{}@pbx-portal>",
        created_at.and_utc().timestamp()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn waits_double_from_the_first_and_stop_at_an_hour() {
        let round = DeliveryRound {
            mailer: &Mailer::memory().0,
            from: "portal@localhost",
            retry_after: Duration::from_secs(30),
        };
        assert_eq!(round.wait_after(1), TimeDelta::seconds(30));
        assert_eq!(round.wait_after(2), TimeDelta::seconds(60));
        assert_eq!(round.wait_after(4), TimeDelta::seconds(240));
        assert_eq!(round.wait_after(40), TimeDelta::hours(1));
    }
}
