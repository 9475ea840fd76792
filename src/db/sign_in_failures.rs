//! Failed sign-ins of the recent past, counted per login and address together and per
//! address alone, so repeated guessing is slowed down whatever login it aims at, and a
//! guesser elsewhere cannot lock the real user out.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::sign_in_failures;

/// Makes the counting and recording of attempts for `login` and for `address` one at a
/// time until the transaction ends, so concurrent attempts cannot all count the same
/// failures and all pass. SQLite's write transaction (`BEGIN IMMEDIATE`) already is;
/// PostgreSQL takes a transaction-scoped advisory lock per key, always login first.
pub fn lock_for_counting(conn: &mut DbConn, login: &str, address: &str) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        for key in [login, address] {
            diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
                .bind::<diesel::sql_types::Text, _>(key)
                .execute(pg)?;
        }
    }
    Ok(())
}

/// Failures since `since`: (for this login from this address, from this address).
pub fn count_since(
    conn: &mut DbConn,
    login: &str,
    address: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let by_pair = sign_in_failures::table
        .filter(sign_in_failures::login.eq(login))
        .filter(sign_in_failures::address.eq(address))
        .filter(sign_in_failures::failed_at.ge(since))
        .count()
        .get_result(conn)?;
    let by_address = sign_in_failures::table
        .filter(sign_in_failures::address.eq(address))
        .filter(sign_in_failures::failed_at.ge(since))
        .count()
        .get_result(conn)?;
    Ok((by_pair, by_address))
}

/// Records a failure, and forgets those older than `forget_before`.
pub fn record(
    conn: &mut DbConn,
    login: &str,
    address: &str,
    now: NaiveDateTime,
    forget_before: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::failed_at.lt(forget_before)))
        .execute(conn)?;
    diesel::insert_into(sign_in_failures::table)
        .values((
            sign_in_failures::login.eq(login),
            sign_in_failures::address.eq(address),
            sign_in_failures::failed_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// A successful sign-in clears the failures of its login from its address.
pub fn forget(conn: &mut DbConn, login: &str, address: &str) -> QueryResult<usize> {
    diesel::delete(
        sign_in_failures::table
            .filter(sign_in_failures::login.eq(login))
            .filter(sign_in_failures::address.eq(address)),
    )
    .execute(conn)
}
