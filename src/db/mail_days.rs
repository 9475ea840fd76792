//! The daily allowance of link mail per domain: how many welcome and password-reset
//! messages a domain's users may be sent per day (UTC, `domains.link_mail_per_day`),
//! and how many were queued each day (`link_mail_days`). It bounds what any one office
//! manager can make the portal mail to addresses of their choosing.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::schema::{domains, link_mail_days};
use super::{DbConn, on_backend};
use crate::domain::ids::DomainId;

/// The domain's cap: messages a day.
pub fn cap_of(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<i32> {
    domains::table
        .find(domain_id)
        .select(domains::link_mail_per_day)
        .first(conn)
}

/// Takes up to `wanted` messages from the domain's allowance for `day`, in the caller's
/// transaction; returns how many may be queued. The day's row is written (and on
/// PostgreSQL locked until the transaction ends) before it is read, so two jobs of one
/// domain on two instances cannot both take the last of it.
pub fn take(
    conn: &mut DbConn,
    domain_id: DomainId,
    day: NaiveDate,
    wanted: usize,
) -> QueryResult<usize> {
    if wanted == 0 {
        return Ok(0);
    }
    // Earlier days count no more: each domain keeps one row.
    diesel::delete(
        link_mail_days::table
            .filter(link_mail_days::domain_id.eq(domain_id))
            .filter(link_mail_days::day.lt(day)),
    )
    .execute(conn)?;
    on_backend!(conn, |c| diesel::insert_into(link_mail_days::table)
        .values((
            link_mail_days::domain_id.eq(domain_id),
            link_mail_days::day.eq(day),
            link_mail_days::queued.eq(0),
        ))
        .on_conflict((link_mail_days::domain_id, link_mail_days::day))
        .do_update()
        .set(link_mail_days::queued.eq(link_mail_days::queued))
        .execute(c))?;
    let queued: i32 = link_mail_days::table
        .find((domain_id, day))
        .select(link_mail_days::queued)
        .first(conn)?;
    let cap = cap_of(conn, domain_id)?;
    let left = usize::try_from(cap.saturating_sub(queued)).unwrap_or(0);
    let taken = wanted.min(left);
    if taken > 0 {
        diesel::update(link_mail_days::table.find((domain_id, day)))
            .set(
                link_mail_days::queued
                    .eq(link_mail_days::queued + i32::try_from(taken).unwrap_or(i32::MAX)),
            )
            .execute(conn)?;
    }
    Ok(taken)
}
