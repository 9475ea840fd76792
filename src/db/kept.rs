//! What a delete or a reset keeps so that it can be undone: a user's row and the rows
//! attached to it, read from the live tables into one JSON document (stored in
//! `deleted_users.kept` and `reset_undo.kept`) and put back into them later. Attached
//! rows come back under new ids (nothing refers to them); the user's row under its own.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::schema::{
    answering_rules, blf_keys, call_history, contacts, devices, users, voicemail_greetings,
    voicemail_messages,
};
use super::{DbConn, on_backend};
use crate::domain::Scope;
use crate::domain::ids::{DomainId, UserId};
use crate::domain::reset::{ResetOption, ResetOptions};

/// A user's own row, less what the database derives from it.
#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = users)]
pub struct KeptUser {
    pub id: UserId,
    pub domain_id: DomainId,
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub password_hash: Option<String>,
    pub pin_hash: Option<String>,
    #[diesel(deserialize_as = i32)]
    pub scope: Scope,
    pub department: String,
    pub site: String,
    pub vm_to_email: bool,
    pub vm_transcription: bool,
    pub must_change_password: bool,
    pub is_system: bool,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub version: i32,
    /// Kept since the phone fields came (older documents have none: empty).
    #[serde(default)]
    pub time_zone: String,
    #[serde(default)]
    pub caller_id_number: String,
    #[serde(default)]
    pub emergency_caller_id: String,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = devices)]
pub struct KeptDevice {
    pub domain_id: DomainId,
    pub user_id: UserId,
    pub name: String,
    pub mac: Option<String>,
    pub model: String,
    pub is_primary: bool,
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = voicemail_messages)]
pub struct KeptMessage {
    pub domain_id: DomainId,
    pub user_id: UserId,
    pub folder: String,
    pub caller: String,
    pub duration_secs: i32,
    pub received_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = voicemail_greetings)]
pub struct KeptGreeting {
    pub domain_id: DomainId,
    pub user_id: UserId,
    pub name: String,
    pub is_active: bool,
    pub created_at: NaiveDateTime,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = answering_rules)]
pub struct KeptRule {
    pub domain_id: DomainId,
    pub user_id: UserId,
    pub time_frame: String,
    pub action: String,
    pub destination: String,
    pub priority: i32,
    /// The user it forwards to (kept before call routing came has none).
    #[serde(default)]
    pub forward_user_id: Option<UserId>,
}

/// A BLF key on one of the user's devices (named, as devices come back under new ids).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeptBlf {
    pub device: String,
    pub watched: UserId,
    pub position: i32,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = contacts)]
pub struct KeptContact {
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub first_name: String,
    pub last_name: String,
    pub phone: String,
    pub email: Option<String>,
}

#[derive(
    Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Queryable, Selectable, Insertable,
)]
#[diesel(table_name = call_history)]
pub struct KeptCall {
    pub domain_id: DomainId,
    pub user_id: UserId,
    pub user_name: String,
    pub direction: String,
    pub other_party: String,
    pub started_at: NaiveDateTime,
    pub duration_secs: i32,
}

/// One user's kept rows: the document stored for a delete or a reset.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kept {
    pub devices: Vec<KeptDevice>,
    pub voicemail_messages: Vec<KeptMessage>,
    pub voicemail_greetings: Vec<KeptGreeting>,
    pub answering_rules: Vec<KeptRule>,
    pub contacts: Vec<KeptContact>,
    pub call_history: Vec<KeptCall>,
    /// The BLF keys on the devices kept.
    #[serde(default)]
    pub blf_keys: Vec<KeptBlf>,
}

/// Which attached rows to keep: all of them (a delete), or what a reset's options
/// remove (its additional devices, not the primary one).
#[derive(Debug, Clone, Copy)]
pub enum Keep<'a> {
    Everything,
    ClearedBy(&'a ResetOptions),
}

impl Keep<'_> {
    fn takes(&self, option: ResetOption) -> bool {
        match self {
            Keep::Everything => true,
            Keep::ClearedBy(options) => options.contains(option),
        }
    }
}

/// Ids per `IN (…)` list: well inside SQLite's limit on bound values.
const ID_CHUNK: usize = 2000;
/// Rows per multi-row INSERT (each row binds at most eight values).
const INSERT_CHUNK: usize = 500;

/// The user rows of `ids`, as they are now.
pub fn users_of(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<Vec<KeptUser>> {
    let mut found = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        found.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select(KeptUser::as_select())
                .load(conn)?,
        );
    }
    Ok(found)
}

/// The attached rows `keep` names of each of `ids`, as they are now.
pub fn attached_to(
    conn: &mut DbConn,
    ids: &[UserId],
    keep: Keep<'_>,
) -> QueryResult<HashMap<UserId, Kept>> {
    let mut kept: HashMap<UserId, Kept> = ids.iter().map(|id| (*id, Kept::default())).collect();
    for chunk in ids.chunks(ID_CHUNK) {
        if keep.takes(ResetOption::AdditionalDevices) {
            let mut query = devices::table
                .filter(devices::user_id.eq_any(chunk))
                .into_boxed();
            if !matches!(keep, Keep::Everything) {
                query = query.filter(devices::is_primary.eq(false));
            }
            for row in query
                .order(devices::id)
                .select(KeptDevice::as_select())
                .load(conn)?
            {
                kept.entry(row.user_id).or_default().devices.push(row);
            }
            let mut keys = blf_keys::table
                .inner_join(devices::table)
                .filter(devices::user_id.eq_any(chunk))
                .into_boxed();
            if !matches!(keep, Keep::Everything) {
                keys = keys.filter(devices::is_primary.eq(false));
            }
            for (owner, device, watched, position) in keys
                .order(blf_keys::id)
                .select((
                    devices::user_id,
                    devices::name,
                    blf_keys::watched_user_id,
                    blf_keys::position,
                ))
                .load::<(UserId, String, UserId, i32)>(conn)?
            {
                kept.entry(owner).or_default().blf_keys.push(KeptBlf {
                    device,
                    watched,
                    position,
                });
            }
        }
        if keep.takes(ResetOption::VoicemailMessages) {
            for row in voicemail_messages::table
                .filter(voicemail_messages::user_id.eq_any(chunk))
                .order(voicemail_messages::id)
                .select(KeptMessage::as_select())
                .load(conn)?
            {
                kept.entry(row.user_id)
                    .or_default()
                    .voicemail_messages
                    .push(row);
            }
        }
        if keep.takes(ResetOption::VoicemailGreetings) {
            for row in voicemail_greetings::table
                .filter(voicemail_greetings::user_id.eq_any(chunk))
                .order(voicemail_greetings::id)
                .select(KeptGreeting::as_select())
                .load(conn)?
            {
                kept.entry(row.user_id)
                    .or_default()
                    .voicemail_greetings
                    .push(row);
            }
        }
        if keep.takes(ResetOption::AnsweringRules) {
            for row in answering_rules::table
                .filter(answering_rules::user_id.eq_any(chunk))
                .order(answering_rules::id)
                .select(KeptRule::as_select())
                .load(conn)?
            {
                kept.entry(row.user_id)
                    .or_default()
                    .answering_rules
                    .push(row);
            }
        }
        if keep.takes(ResetOption::Contacts) {
            for row in contacts::table
                .filter(contacts::user_id.eq_any(chunk))
                .order(contacts::id)
                .select(KeptContact::as_select())
                .load(conn)?
            {
                if let Some(user_id) = row.user_id {
                    kept.entry(user_id).or_default().contacts.push(row);
                }
            }
        }
        if keep.takes(ResetOption::CallHistory) {
            for row in call_history::table
                .filter(call_history::user_id.eq_any(chunk))
                .order(call_history::id)
                .select(KeptCall::as_select())
                .load(conn)?
            {
                kept.entry(row.user_id).or_default().call_history.push(row);
            }
        }
    }
    Ok(kept)
}

/// Puts user rows back under their own ids.
pub fn put_back_users(conn: &mut DbConn, rows: &[KeptUser]) -> QueryResult<usize> {
    let mut inserted = 0;
    for chunk in rows.chunks(INSERT_CHUNK / 2) {
        inserted += on_backend!(conn, |c| diesel::insert_into(users::table)
            .values(chunk)
            .execute(c))?;
    }
    Ok(inserted)
}

/// Puts attached rows back (under new ids), several users' at a time.
pub fn put_back_attached<'a>(
    conn: &mut DbConn,
    kept: impl IntoIterator<Item = &'a Kept>,
) -> QueryResult<()> {
    let mut all = Kept::default();
    let mut keys: Vec<(UserId, KeptBlf)> = Vec::new();
    for one in kept {
        if let Some(owner) = one.devices.first().map(|device| device.user_id) {
            keys.extend(one.blf_keys.iter().map(|key| (owner, key.clone())));
        }
        all.devices.extend_from_slice(&one.devices);
        all.voicemail_messages
            .extend_from_slice(&one.voicemail_messages);
        all.voicemail_greetings
            .extend_from_slice(&one.voicemail_greetings);
        all.answering_rules.extend_from_slice(&one.answering_rules);
        all.contacts.extend_from_slice(&one.contacts);
        all.call_history.extend_from_slice(&one.call_history);
    }
    for chunk in all.devices.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(devices::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in all.voicemail_messages.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(voicemail_messages::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in all.voicemail_greetings.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(voicemail_greetings::table)
            .values(chunk)
            .execute(c))?;
    }
    // A forward to someone deleted since, or a key watching them, stays out: it would
    // point at nobody.
    let mut pointed_at: Vec<UserId> = all
        .answering_rules
        .iter()
        .filter_map(|rule| rule.forward_user_id)
        .chain(keys.iter().map(|(_, key)| key.watched))
        .collect();
    pointed_at.sort_unstable();
    pointed_at.dedup();
    let present = present_users(conn, &pointed_at)?;
    all.answering_rules
        .retain(|rule| rule.forward_user_id.is_none_or(|to| present.contains(&to)));
    for chunk in all.answering_rules.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(answering_rules::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in all.contacts.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(contacts::table)
            .values(chunk)
            .execute(c))?;
    }
    for chunk in all.call_history.chunks(INSERT_CHUNK) {
        on_backend!(conn, |c| diesel::insert_into(call_history::table)
            .values(chunk)
            .execute(c))?;
    }
    for (owner, key) in keys
        .iter()
        .filter(|(_, key)| present.contains(&key.watched))
    {
        let device: Option<(i64, DomainId)> = devices::table
            .filter(devices::user_id.eq(owner))
            .filter(devices::name.eq(&key.device))
            .select((devices::id, devices::domain_id))
            .first(conn)
            .optional()?;
        if let Some((device_id, domain_id)) = device {
            on_backend!(conn, |c| diesel::insert_into(blf_keys::table)
                .values((
                    blf_keys::domain_id.eq(domain_id),
                    blf_keys::device_id.eq(device_id),
                    blf_keys::watched_user_id.eq(key.watched),
                    blf_keys::position.eq(key.position),
                ))
                .execute(c))?;
        }
    }
    Ok(())
}

/// Which of `ids` are users now.
fn present_users(
    conn: &mut DbConn,
    ids: &[UserId],
) -> QueryResult<std::collections::HashSet<UserId>> {
    let mut present = std::collections::HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(ID_CHUNK) {
        present.extend(
            users::table
                .filter(users::id.eq_any(chunk))
                .select(users::id)
                .load::<UserId>(conn)?,
        );
    }
    Ok(present)
}
