//! The rows a reset, a recycle and a forced password change write: the user columns a
//! reset clears, the attached rows each option removes (and their counts, read through
//! each table's index on `user_id`), a recycled user's new person, and the password
//! change a user is made to make. Callers own the transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConn;
use super::schema::{
    answering_rules, call_history, contacts, devices, users, voicemail_greetings,
    voicemail_messages,
};
use super::user_set::{Ids, user_in};
use crate::domain::ids::UserId;
use crate::domain::reset::{ResetOption, ResetOptions};

/// The columns of `users` a reset may clear; `None` leaves a column alone.
#[derive(AsChangeset)]
#[diesel(table_name = users)]
struct ClearedColumns {
    first_name: Option<&'static str>,
    last_name: Option<&'static str>,
    email: Option<Option<String>>,
    password_hash: Option<Option<String>>,
    pin_hash: Option<Option<String>>,
    must_change_password: Option<bool>,
    updated_at: NaiveDateTime,
}

/// Clears the user columns `options` name (name, e-mail, password, voicemail PIN) of
/// the users of `ids`, each one's version moving on.
pub fn clear_columns(
    conn: &mut DbConn,
    ids: &[UserId],
    options: &ResetOptions,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let clears = |option| options.contains(option);
    let columns = ClearedColumns {
        first_name: clears(ResetOption::Name).then_some(""),
        last_name: clears(ResetOption::Name).then_some(""),
        email: clears(ResetOption::Email).then_some(None),
        password_hash: clears(ResetOption::Password).then_some(None),
        pin_hash: clears(ResetOption::VoicemailPin).then_some(None),
        must_change_password: clears(ResetOption::Password).then_some(false),
        updated_at: now,
    };
    diesel::update(users::table.filter(users::id.eq_any(ids)))
        .set((columns, users::version.eq(users::version + 1)))
        .execute(conn)
}

/// Removes the attached rows `option` removes for the users of `ids` (additional
/// devices, voicemail messages and greetings, answering rules, contacts, call
/// history); an option that clears a column removes none.
pub fn delete_attached(
    conn: &mut DbConn,
    ids: &[UserId],
    option: ResetOption,
) -> QueryResult<usize> {
    match option {
        ResetOption::AdditionalDevices => diesel::delete(
            devices::table
                .filter(devices::user_id.eq_any(ids))
                .filter(devices::is_primary.eq(false)),
        )
        .execute(conn),
        ResetOption::VoicemailMessages => diesel::delete(
            voicemail_messages::table.filter(voicemail_messages::user_id.eq_any(ids)),
        )
        .execute(conn),
        ResetOption::VoicemailGreetings => diesel::delete(
            voicemail_greetings::table.filter(voicemail_greetings::user_id.eq_any(ids)),
        )
        .execute(conn),
        ResetOption::AnsweringRules => {
            diesel::delete(answering_rules::table.filter(answering_rules::user_id.eq_any(ids)))
                .execute(conn)
        }
        ResetOption::Contacts => {
            diesel::delete(contacts::table.filter(contacts::user_id.eq_any(ids))).execute(conn)
        }
        ResetOption::CallHistory => {
            diesel::delete(call_history::table.filter(call_history::user_id.eq_any(ids)))
                .execute(conn)
        }
        ResetOption::Name
        | ResetOption::Email
        | ResetOption::Password
        | ResetOption::VoicemailPin => Ok(0),
    }
}

/// How many rows [`delete_attached`] would remove for the users `ids` selects.
pub fn count_attached(conn: &mut DbConn, ids: Ids, option: ResetOption) -> QueryResult<i64> {
    match option {
        ResetOption::AdditionalDevices => devices::table
            .into_boxed()
            .filter(user_in(devices::user_id, ids))
            .filter(devices::is_primary.eq(false))
            .count()
            .get_result(conn),
        ResetOption::VoicemailMessages => voicemail_messages::table
            .into_boxed()
            .filter(user_in(voicemail_messages::user_id, ids))
            .count()
            .get_result(conn),
        ResetOption::VoicemailGreetings => voicemail_greetings::table
            .into_boxed()
            .filter(user_in(voicemail_greetings::user_id, ids))
            .count()
            .get_result(conn),
        ResetOption::AnsweringRules => answering_rules::table
            .into_boxed()
            .filter(user_in(answering_rules::user_id, ids))
            .count()
            .get_result(conn),
        ResetOption::Contacts => contacts::table
            .into_boxed()
            .filter(user_in(contacts::user_id, ids))
            .count()
            .get_result(conn),
        ResetOption::CallHistory => call_history::table
            .into_boxed()
            .filter(user_in(call_history::user_id, ids))
            .count()
            .get_result(conn),
        ResetOption::Name
        | ResetOption::Email
        | ResetOption::Password
        | ResetOption::VoicemailPin => Ok(0),
    }
}

/// A recycled user's new person: name and e-mail, no portal password and no voicemail
/// PIN. Only while the row still has `expected_version`, checked by the UPDATE itself,
/// so of two saves at once one wins; returns whether this one saved.
pub fn set_new_person(
    conn: &mut DbConn,
    user_id: UserId,
    expected_version: i32,
    (first_name, last_name, email): (&str, &str, Option<&str>),
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let saved = diesel::update(
        users::table
            .find(user_id)
            .filter(users::version.eq(expected_version)),
    )
    .set((
        users::first_name.eq(first_name),
        users::last_name.eq(last_name),
        users::email.eq(email),
        users::password_hash.eq(None::<String>),
        users::pin_hash.eq(None::<String>),
        users::must_change_password.eq(false),
        users::version.eq(users::version + 1),
        users::updated_at.eq(now),
    ))
    .execute(conn)?;
    Ok(saved > 0)
}

/// Makes the users of `ids` choose a new password at their next sign-in.
pub fn require_password_change(
    conn: &mut DbConn,
    ids: &[UserId],
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(users::table.filter(users::id.eq_any(ids)))
        .set((
            users::must_change_password.eq(true),
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}
