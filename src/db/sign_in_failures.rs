//! Failed sign-ins of the recent past, counted per login typed and per client address,
//! so repeated guessing is slowed down whatever login it aims at.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::sign_in_failures;

/// Failures since `since`: (for this login, from this address).
pub fn count_since(
    conn: &mut DbConn,
    login: &str,
    address: &str,
    since: NaiveDateTime,
) -> QueryResult<(i64, i64)> {
    let by_login = sign_in_failures::table
        .filter(sign_in_failures::login.eq(login))
        .filter(sign_in_failures::failed_at.ge(since))
        .count()
        .get_result(conn)?;
    let by_address = sign_in_failures::table
        .filter(sign_in_failures::address.eq(address))
        .filter(sign_in_failures::failed_at.ge(since))
        .count()
        .get_result(conn)?;
    Ok((by_login, by_address))
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

/// A successful sign-in clears the login's failures (not the address's).
pub fn forget_login(conn: &mut DbConn, login: &str) -> QueryResult<usize> {
    diesel::delete(sign_in_failures::table.filter(sign_in_failures::login.eq(login))).execute(conn)
}
