//! The daily allowance of link mail per domain: how many welcome and password-reset
//! messages a domain's users may be sent per day (UTC, `domains.link_mail_per_day`),
//! and how many were queued on the domain's latest day (`link_mail_counts`, one row per
//! domain). It bounds what any one office manager can make the portal mail to addresses
//! of their choosing.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::{domains, link_mail_counts};
use super::{DbConn, on_backend};
use crate::domain::ids::DomainId;

/// Takes up to `wanted` messages from the domain's allowance for `today`, in the
/// caller's transaction; returns how many may be queued. The domain's row is written
/// (and on PostgreSQL locked until the transaction ends) before it is read, so two jobs
/// of one domain on two instances cannot both take the last of it; and its day never
/// moves back, so a clock that is behind cannot open the day before again.
pub fn take(
    conn: &mut DbConn,
    domain_id: DomainId,
    today: NaiveDate,
    wanted: usize,
) -> QueryResult<usize> {
    if wanted == 0 {
        return Ok(0);
    }
    on_backend!(conn, |c| diesel::insert_into(link_mail_counts::table)
        .values((
            link_mail_counts::domain_id.eq(domain_id),
            link_mail_counts::day.eq(today),
            link_mail_counts::queued.eq(0),
        ))
        .on_conflict(link_mail_counts::domain_id)
        .do_update()
        .set(link_mail_counts::queued.eq(link_mail_counts::queued))
        .execute(c))?;
    let (day, queued): (NaiveDate, i32) = link_mail_counts::table
        .find(domain_id)
        .select((link_mail_counts::day, link_mail_counts::queued))
        .first(conn)?;
    let (day, queued) = if day < today {
        (today, 0)
    } else {
        (day, queued)
    };
    let cap: i32 = domains::table
        .find(domain_id)
        .select(domains::link_mail_per_day)
        .first(conn)?;
    let left = usize::try_from(cap.saturating_sub(queued)).unwrap_or(0);
    let taken = wanted.min(left);
    diesel::update(link_mail_counts::table.find(domain_id))
        .set((
            link_mail_counts::day.eq(day),
            link_mail_counts::queued
                .eq(queued.saturating_add(i32::try_from(taken).unwrap_or(i32::MAX))),
        ))
        .execute(conn)?;
    Ok(taken)
}
