//! How failed sign-in attempts are counted and limited, for every step that checks
//! something a guesser could try: the password (signing in, the Current password step)
//! and the second step's codes. Failures count per login and address, and per address.

use chrono::{NaiveDateTime, TimeDelta};

use crate::db::{DbConn, sign_in_failures};

/// How far back failed sign-ins count.
pub const THROTTLE_MINUTES: i64 = 15;
/// Failures for one login from one address within the window before that address may
/// not try that login again (another address still may: a guesser cannot lock the
/// real user out).
pub const FAILURES_PER_LOGIN_AND_ADDRESS: i64 = 5;
/// Failures from one address within the window, over every login, before it is refused
/// altogether (offices share addresses, hence more than per login).
pub const FAILURES_PER_ADDRESS: i64 = 50;

fn window_start(now: NaiveDateTime) -> NaiveDateTime {
    now - TimeDelta::minutes(THROTTLE_MINUTES)
}

/// Locks the counts of `login` from `address` for this transaction (so attempts at once
/// cannot slip past a limit together) and says whether they are over a limit.
pub fn count_attempt(
    conn: &mut DbConn,
    login: &str,
    address: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<bool> {
    sign_in_failures::lock_for_counting(conn, login, address)?;
    let (by_pair, by_address) =
        sign_in_failures::count_since(conn, login, address, window_start(now))?;
    Ok(by_pair >= FAILURES_PER_LOGIN_AND_ADDRESS || by_address >= FAILURES_PER_ADDRESS)
}

/// Records a failed attempt, and forgets those older than the window.
pub fn record_failure(
    conn: &mut DbConn,
    login: &str,
    address: &str,
    now: NaiveDateTime,
) -> diesel::QueryResult<()> {
    sign_in_failures::record(conn, login, address, now, window_start(now))
}
