//! A domain's call routing: phone numbers, auto attendants with their options, ring
//! groups with their members, call queues with their agents, and the references users
//! hold to users (answering-rule forwards, BLF keys). Reads for the Call routing page,
//! "what points at these users" (one indexed read per kind), and the writes that change,
//! move or remove a reference. A destination is stored as its kind and one id column.

use std::collections::HashSet;

use diesel::prelude::*;

use super::schema::{
    answering_rules, attendant_options, auto_attendants, blf_keys, call_queues, devices,
    phone_numbers, queue_agents, ring_group_members, ring_groups,
};
use super::user_set::{UserSet, user_in};
use super::{DbConn, on_backend};
use crate::domain::ids::{
    AttendantId, DomainId, OptionId, PhoneNumberId, QueueId, RingGroupId, UserId,
};
use crate::domain::routing::{Destination, E164};

/// A destination's columns as read: kind, user, attendant, ring group, queue, outside.
type DestColumns = (
    String,
    Option<UserId>,
    Option<AttendantId>,
    Option<RingGroupId>,
    Option<QueueId>,
    Option<String>,
);

/// The destination a row's columns describe; a row the constraints would refuse reads
/// as nobody (never as someone it does not name).
fn destination((kind, user, attendant, group, queue, outside): DestColumns) -> Destination {
    match (kind.as_str(), user, attendant, group, queue, outside) {
        ("user", Some(user), ..) => Destination::User(user),
        ("voicemail", Some(user), ..) => Destination::Voicemail(user),
        ("attendant", _, Some(attendant), ..) => Destination::Attendant(attendant),
        ("ring_group", _, _, Some(group), ..) => Destination::RingGroup(group),
        ("queue", _, _, _, Some(queue), _) => Destination::Queue(queue),
        ("outside", .., Some(number)) => {
            E164::parse(&number).map_or(Destination::Nobody, Destination::Outside)
        }
        _ => Destination::Nobody,
    }
}

/// The columns that store `dest`.
fn columns_of(dest: &Destination) -> DestColumns {
    let mut columns: DestColumns = (dest.kind().to_owned(), None, None, None, None, None);
    match dest {
        Destination::User(user) | Destination::Voicemail(user) => columns.1 = Some(*user),
        Destination::Attendant(attendant) => columns.2 = Some(*attendant),
        Destination::RingGroup(group) => columns.3 = Some(*group),
        Destination::Queue(queue) => columns.4 = Some(*queue),
        Destination::Outside(number) => columns.5 = Some(number.as_str().to_owned()),
        Destination::Nobody => {}
    }
    columns
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberRow {
    pub id: PhoneNumberId,
    pub domain_id: DomainId,
    pub number: String,
    pub label: String,
    pub dest: Destination,
    pub version: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = auto_attendants)]
pub struct AttendantRow {
    pub id: AttendantId,
    pub domain_id: DomainId,
    pub name: String,
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OptionRow {
    pub id: OptionId,
    pub domain_id: DomainId,
    pub attendant_id: AttendantId,
    pub key: String,
    pub dest: Destination,
    pub version: i32,
}

/// A ring group or a call queue: a name, a number and its members' version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRow<Id> {
    pub id: Id,
    pub domain_id: DomainId,
    pub name: String,
    pub number: String,
    pub version: i32,
}

/// A member of a ring group (in `position` order) or an agent of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MemberRow<Id> {
    /// The membership's own row.
    pub id: i64,
    pub group: Id,
    pub user_id: UserId,
    pub position: i32,
}

/// An answering rule of `owner` that forwards to `to` in `time_frame`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForwardRow {
    pub rule_id: i64,
    pub owner: UserId,
    pub to: UserId,
    pub time_frame: String,
}

/// A BLF key on `owner`'s device `device_name` that watches `watched`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlfRow {
    pub id: i64,
    pub device_id: i64,
    pub device_name: String,
    pub owner: UserId,
    pub watched: UserId,
    pub position: i32,
}

/// Ids per `IN (…)` list.
const ID_CHUNK: usize = 2000;

/// `hand_numbers` and `hand_options`, which differ only in their table.
macro_rules! hand_destinations {
    ($table:ident, $conn:expr, $ids:expr, $from:expr, $to:expr) => {{
        let mut handed = 0;
        for chunk in $ids.chunks(ID_CHUNK) {
            let rows = $table::table
                .filter($table::id.eq_any(chunk))
                .filter($table::dest_user_id.eq_any($from));
            handed += match $to {
                Some(to) => diesel::update(rows)
                    .set((
                        $table::dest_user_id.eq(to),
                        $table::version.eq($table::version + 1),
                    ))
                    .execute($conn)?,
                None => diesel::update(rows)
                    .set((
                        $table::dest_kind.eq(Destination::Nobody.kind()),
                        $table::dest_user_id.eq(None::<UserId>),
                        $table::version.eq($table::version + 1),
                    ))
                    .execute($conn)?,
            };
        }
        Ok(handed)
    }};
}

macro_rules! dest_select {
    ($table:ident) => {
        (
            $table::dest_kind,
            $table::dest_user_id,
            $table::dest_attendant_id,
            $table::dest_ring_group_id,
            $table::dest_queue_id,
            $table::dest_outside,
        )
    };
}

type NumberColumns = (PhoneNumberId, DomainId, String, String, DestColumns, i32);

fn number_row((id, domain_id, number, label, dest, version): NumberColumns) -> NumberRow {
    NumberRow {
        id,
        domain_id,
        number,
        label,
        dest: destination(dest),
        version,
    }
}

macro_rules! number_select {
    () => {
        (
            phone_numbers::id,
            phone_numbers::domain_id,
            phone_numbers::number,
            phone_numbers::label,
            dest_select!(phone_numbers),
            phone_numbers::version,
        )
    };
}

type OptionColumns = (OptionId, DomainId, AttendantId, String, DestColumns, i32);

fn option_row((id, domain_id, attendant_id, key, dest, version): OptionColumns) -> OptionRow {
    OptionRow {
        id,
        domain_id,
        attendant_id,
        key,
        dest: destination(dest),
        version,
    }
}

macro_rules! option_select {
    () => {
        (
            attendant_options::id,
            attendant_options::domain_id,
            attendant_options::attendant_id,
            attendant_options::key,
            dest_select!(attendant_options),
            attendant_options::version,
        )
    };
}

/// The domain's phone numbers by number; with `dead_ends`, only those reaching nobody.
pub fn numbers(
    conn: &mut DbConn,
    domain_id: DomainId,
    dead_ends: bool,
) -> QueryResult<Vec<NumberRow>> {
    let mut query = phone_numbers::table
        .filter(phone_numbers::domain_id.eq(domain_id))
        .into_boxed();
    if dead_ends {
        query = query.filter(phone_numbers::dest_kind.eq("nobody"));
    }
    Ok(query
        .order(phone_numbers::number)
        .select(number_select!())
        .load::<NumberColumns>(conn)?
        .into_iter()
        .map(number_row)
        .collect())
}

/// The domain's auto attendants by number.
pub fn attendants(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<Vec<AttendantRow>> {
    auto_attendants::table
        .filter(auto_attendants::domain_id.eq(domain_id))
        .order((auto_attendants::number, auto_attendants::id))
        .select(AttendantRow::as_select())
        .load(conn)
}

/// The options (and timeouts) of the domain's attendants; with `dead_ends`, only those
/// reaching nobody.
pub fn options(
    conn: &mut DbConn,
    domain_id: DomainId,
    dead_ends: bool,
) -> QueryResult<Vec<OptionRow>> {
    let mut query = attendant_options::table
        .filter(attendant_options::domain_id.eq(domain_id))
        .into_boxed();
    if dead_ends {
        query = query.filter(attendant_options::dest_kind.eq("nobody"));
    }
    Ok(query
        .order(attendant_options::id)
        .select(option_select!())
        .load::<OptionColumns>(conn)?
        .into_iter()
        .map(option_row)
        .collect())
}

/// How many phone numbers, attendant options and timeouts of the domain reach nobody:
/// two counts, each over a partial index of only the dead ends.
pub fn dead_ends(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<i64> {
    let numbers: i64 = phone_numbers::table
        .filter(phone_numbers::domain_id.eq(domain_id))
        .filter(phone_numbers::dest_kind.eq("nobody"))
        .count()
        .get_result(conn)?;
    let options: i64 = attendant_options::table
        .filter(attendant_options::domain_id.eq(domain_id))
        .filter(attendant_options::dest_kind.eq("nobody"))
        .count()
        .get_result(conn)?;
    Ok(numbers + options)
}

/// The domain's ring groups by number.
pub fn ring_groups(
    conn: &mut DbConn,
    domain_id: DomainId,
) -> QueryResult<Vec<GroupRow<RingGroupId>>> {
    Ok(ring_groups::table
        .filter(ring_groups::domain_id.eq(domain_id))
        .order((ring_groups::number, ring_groups::id))
        .select((
            ring_groups::id,
            ring_groups::domain_id,
            ring_groups::name,
            ring_groups::number,
            ring_groups::version,
        ))
        .load::<(RingGroupId, DomainId, String, String, i32)>(conn)?
        .into_iter()
        .map(|(id, domain_id, name, number, version)| GroupRow {
            id,
            domain_id,
            name,
            number,
            version,
        })
        .collect())
}

/// The domain's call queues by number.
pub fn queues(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<Vec<GroupRow<QueueId>>> {
    Ok(call_queues::table
        .filter(call_queues::domain_id.eq(domain_id))
        .order((call_queues::number, call_queues::id))
        .select((
            call_queues::id,
            call_queues::domain_id,
            call_queues::name,
            call_queues::number,
            call_queues::version,
        ))
        .load::<(QueueId, DomainId, String, String, i32)>(conn)?
        .into_iter()
        .map(|(id, domain_id, name, number, version)| GroupRow {
            id,
            domain_id,
            name,
            number,
            version,
        })
        .collect())
}

/// The members of the domain's ring groups, each group's in ring order.
pub fn members(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<Vec<MemberRow<RingGroupId>>> {
    Ok(ring_group_members::table
        .filter(ring_group_members::domain_id.eq(domain_id))
        .order((
            ring_group_members::ring_group_id,
            ring_group_members::position,
        ))
        .select((
            ring_group_members::id,
            ring_group_members::ring_group_id,
            ring_group_members::user_id,
            ring_group_members::position,
        ))
        .load::<(i64, RingGroupId, UserId, i32)>(conn)?
        .into_iter()
        .map(|(id, group, user_id, position)| MemberRow {
            id,
            group,
            user_id,
            position,
        })
        .collect())
}

/// The agents of the domain's call queues, each queue's in the order added.
pub fn agents(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<Vec<MemberRow<QueueId>>> {
    Ok(queue_agents::table
        .filter(queue_agents::domain_id.eq(domain_id))
        .order((queue_agents::queue_id, queue_agents::id))
        .select((
            queue_agents::queue_id,
            queue_agents::user_id,
            queue_agents::id,
        ))
        .load::<(QueueId, UserId, i64)>(conn)?
        .into_iter()
        .map(|(group, user_id, id)| MemberRow {
            id,
            group,
            user_id,
            position: i32::try_from(id).unwrap_or(i32::MAX),
        })
        .collect())
}

/// Everything that points at any of a set of users, one indexed read per kind.
#[derive(Debug, Default, Clone)]
pub struct References {
    pub numbers: Vec<NumberRow>,
    pub options: Vec<OptionRow>,
    pub members: Vec<MemberRow<RingGroupId>>,
    pub agents: Vec<MemberRow<QueueId>>,
    pub forwards: Vec<ForwardRow>,
    pub blf_keys: Vec<BlfRow>,
}

impl References {
    pub fn is_empty(&self) -> bool {
        self.numbers.is_empty()
            && self.options.is_empty()
            && self.members.is_empty()
            && self.agents.is_empty()
            && self.forwards.is_empty()
            && self.blf_keys.is_empty()
    }

    /// How many references there are of every kind.
    pub fn len(&self) -> usize {
        self.numbers.len()
            + self.options.len()
            + self.members.len()
            + self.agents.len()
            + self.forwards.len()
            + self.blf_keys.len()
    }
}

/// How many references of each kind point at a set of users, in the order of
/// [`References`]' kinds.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ReferenceCounts {
    pub numbers: i64,
    pub options: i64,
    pub members: i64,
    pub agents: i64,
    pub forwards: i64,
    pub blf_keys: i64,
}

/// How many references of each kind point at the users of `users`, counted in SQL
/// through each table's index on the user it points at.
pub fn reference_counts(conn: &mut DbConn, users: UserSet<'_>) -> QueryResult<ReferenceCounts> {
    let backend = conn.backend();
    let mut counts = ReferenceCounts::default();
    for ids in users.queries_toward(backend, "phone_numbers.dest_user_id") {
        counts.numbers += phone_numbers::table
            .into_boxed()
            .filter(user_in(phone_numbers::dest_user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    for ids in users.queries_toward(backend, "attendant_options.dest_user_id") {
        counts.options += attendant_options::table
            .into_boxed()
            .filter(user_in(attendant_options::dest_user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    for ids in users.queries_toward(backend, "ring_group_members.user_id") {
        counts.members += ring_group_members::table
            .into_boxed()
            .filter(user_in(ring_group_members::user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    for ids in users.queries_toward(backend, "queue_agents.user_id") {
        counts.agents += queue_agents::table
            .into_boxed()
            .filter(user_in(queue_agents::user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    for ids in users.queries_toward(backend, "answering_rules.forward_user_id") {
        counts.forwards += answering_rules::table
            .into_boxed()
            .filter(user_in(answering_rules::forward_user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    for ids in users.queries_toward(backend, "blf_keys.watched_user_id") {
        counts.blf_keys += blf_keys::table
            .into_boxed()
            .filter(user_in(blf_keys::watched_user_id, ids))
            .count()
            .get_result::<i64>(conn)?;
    }
    Ok(counts)
}

/// What points at the users of `ids`: numbers and options that reach them or their
/// voicemail, their group memberships and queue places, forwards and BLF keys to them.
pub fn references_to(conn: &mut DbConn, ids: &[UserId]) -> QueryResult<References> {
    references_in(conn, UserSet::Ids(ids), None)
}

/// What points at the users of `users`, as [`references_to`] says, but no more than
/// the first `limit` references (in that order of kinds) when a limit is given: what
/// Reached from lists of a selection that may be a whole domain.
pub fn references_in(
    conn: &mut DbConn,
    users: UserSet<'_>,
    limit: Option<usize>,
) -> QueryResult<References> {
    let backend = conn.backend();
    let mut found = References::default();
    let left = |found: &References| {
        limit.map_or(i64::MAX, |limit| {
            i64::try_from(limit.saturating_sub(found.len())).unwrap_or(i64::MAX)
        })
    };
    for ids in users.queries_toward(backend, "phone_numbers.dest_user_id") {
        found.numbers.extend(
            phone_numbers::table
                .into_boxed()
                .filter(user_in(phone_numbers::dest_user_id, ids))
                .order(phone_numbers::number)
                .limit(left(&found))
                .select(number_select!())
                .load::<NumberColumns>(conn)?
                .into_iter()
                .map(number_row),
        );
    }
    for ids in users.queries_toward(backend, "attendant_options.dest_user_id") {
        found.options.extend(
            attendant_options::table
                .into_boxed()
                .filter(user_in(attendant_options::dest_user_id, ids))
                .order(attendant_options::id)
                .limit(left(&found))
                .select(option_select!())
                .load::<OptionColumns>(conn)?
                .into_iter()
                .map(option_row),
        );
    }
    for ids in users.queries_toward(backend, "ring_group_members.user_id") {
        found.members.extend(
            ring_group_members::table
                .into_boxed()
                .filter(user_in(ring_group_members::user_id, ids))
                .order((
                    ring_group_members::ring_group_id,
                    ring_group_members::position,
                ))
                .limit(left(&found))
                .select((
                    ring_group_members::id,
                    ring_group_members::ring_group_id,
                    ring_group_members::user_id,
                    ring_group_members::position,
                ))
                .load::<(i64, RingGroupId, UserId, i32)>(conn)?
                .into_iter()
                .map(|(id, group, user_id, position)| MemberRow {
                    id,
                    group,
                    user_id,
                    position,
                }),
        );
    }
    for ids in users.queries_toward(backend, "queue_agents.user_id") {
        found.agents.extend(
            queue_agents::table
                .into_boxed()
                .filter(user_in(queue_agents::user_id, ids))
                .order((queue_agents::queue_id, queue_agents::id))
                .limit(left(&found))
                .select((
                    queue_agents::queue_id,
                    queue_agents::user_id,
                    queue_agents::id,
                ))
                .load::<(QueueId, UserId, i64)>(conn)?
                .into_iter()
                .map(|(group, user_id, id)| MemberRow {
                    id,
                    group,
                    user_id,
                    position: i32::try_from(id).unwrap_or(i32::MAX),
                }),
        );
    }
    for ids in users.queries_toward(backend, "answering_rules.forward_user_id") {
        found.forwards.extend(
            answering_rules::table
                .into_boxed()
                .filter(user_in(answering_rules::forward_user_id, ids))
                .order(answering_rules::id)
                .limit(left(&found))
                .select((
                    answering_rules::id,
                    answering_rules::user_id,
                    answering_rules::forward_user_id.assume_not_null(),
                    answering_rules::time_frame,
                ))
                .load::<(i64, UserId, UserId, String)>(conn)?
                .into_iter()
                .map(|(rule_id, owner, to, time_frame)| ForwardRow {
                    rule_id,
                    owner,
                    to,
                    time_frame,
                }),
        );
    }
    for ids in users.queries_toward(backend, "blf_keys.watched_user_id") {
        found.blf_keys.extend(
            blf_keys::table
                .inner_join(devices::table)
                .into_boxed()
                .filter(user_in(blf_keys::watched_user_id, ids))
                .order(blf_keys::id)
                .limit(left(&found))
                .select((
                    blf_keys::id,
                    blf_keys::device_id,
                    devices::name,
                    devices::user_id,
                    blf_keys::watched_user_id,
                    blf_keys::position,
                ))
                .load::<(i64, i64, String, UserId, UserId, i32)>(conn)?
                .into_iter()
                .map(
                    |(id, device_id, device_name, owner, watched, position)| BlfRow {
                        id,
                        device_id,
                        device_name,
                        owner,
                        watched,
                        position,
                    },
                ),
        );
    }
    Ok(found)
}

/// The attendants of `ids`.
pub fn attendants_of(conn: &mut DbConn, ids: &[AttendantId]) -> QueryResult<Vec<AttendantRow>> {
    auto_attendants::table
        .filter(auto_attendants::id.eq_any(ids))
        .select(AttendantRow::as_select())
        .load(conn)
}

/// Sets phone number `id` (of the domain) to `dest` if it is still at `version`;
/// returns whether it did.
pub fn set_number_destination(
    conn: &mut DbConn,
    domain_id: DomainId,
    id: PhoneNumberId,
    version: i32,
    dest: &Destination,
) -> QueryResult<bool> {
    let (kind, user, attendant, group, queue, outside) = columns_of(dest);
    let changed = diesel::update(
        phone_numbers::table
            .filter(phone_numbers::id.eq(id))
            .filter(phone_numbers::domain_id.eq(domain_id))
            .filter(phone_numbers::version.eq(version)),
    )
    .set((
        phone_numbers::dest_kind.eq(kind),
        phone_numbers::dest_user_id.eq(user),
        phone_numbers::dest_attendant_id.eq(attendant),
        phone_numbers::dest_ring_group_id.eq(group),
        phone_numbers::dest_queue_id.eq(queue),
        phone_numbers::dest_outside.eq(outside),
        phone_numbers::version.eq(phone_numbers::version + 1),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// Sets attendant option `id` (of the domain) to `dest` if it is still at `version`;
/// returns whether it did.
pub fn set_option_destination(
    conn: &mut DbConn,
    domain_id: DomainId,
    id: OptionId,
    version: i32,
    dest: &Destination,
) -> QueryResult<bool> {
    let (kind, user, attendant, group, queue, outside) = columns_of(dest);
    let changed = diesel::update(
        attendant_options::table
            .filter(attendant_options::id.eq(id))
            .filter(attendant_options::domain_id.eq(domain_id))
            .filter(attendant_options::version.eq(version)),
    )
    .set((
        attendant_options::dest_kind.eq(kind),
        attendant_options::dest_user_id.eq(user),
        attendant_options::dest_attendant_id.eq(attendant),
        attendant_options::dest_ring_group_id.eq(group),
        attendant_options::dest_queue_id.eq(queue),
        attendant_options::dest_outside.eq(outside),
        attendant_options::version.eq(attendant_options::version + 1),
    ))
    .execute(conn)?;
    Ok(changed > 0)
}

/// A phone number to insert.
pub struct NewNumber<'a> {
    pub domain_id: DomainId,
    pub number: &'a str,
    pub label: &'a str,
    pub dest: Destination,
}

/// Inserts phone numbers.
pub fn insert_numbers(conn: &mut DbConn, rows: &[NewNumber<'_>]) -> QueryResult<usize> {
    let mut inserted = 0;
    for row in rows {
        let (kind, user, attendant, group, queue, outside) = columns_of(&row.dest);
        inserted += on_backend!(conn, |c| diesel::insert_into(phone_numbers::table)
            .values((
                phone_numbers::domain_id.eq(row.domain_id),
                phone_numbers::number.eq(row.number),
                phone_numbers::label.eq(row.label),
                phone_numbers::dest_kind.eq(&kind),
                phone_numbers::dest_user_id.eq(user),
                phone_numbers::dest_attendant_id.eq(attendant),
                phone_numbers::dest_ring_group_id.eq(group),
                phone_numbers::dest_queue_id.eq(queue),
                phone_numbers::dest_outside.eq(&outside),
            ))
            .execute(c))?;
    }
    Ok(inserted)
}

/// Inserts an auto attendant with its options (`(key, destination)`, the timeout's key
/// being `timeout`); returns its id.
pub fn insert_attendant(
    conn: &mut DbConn,
    domain_id: DomainId,
    name: &str,
    number: &str,
    options: &[(&str, Destination)],
) -> QueryResult<AttendantId> {
    on_backend!(conn, |c| diesel::insert_into(auto_attendants::table)
        .values((
            auto_attendants::domain_id.eq(domain_id),
            auto_attendants::name.eq(name),
            auto_attendants::number.eq(number),
        ))
        .execute(c))?;
    // Numbers are unique in a domain: the row just written is found by its number.
    let id: AttendantId = auto_attendants::table
        .filter(auto_attendants::domain_id.eq(domain_id))
        .filter(auto_attendants::number.eq(number))
        .select(auto_attendants::id)
        .first(conn)?;
    for (key, dest) in options {
        let (kind, user, attendant, group, queue, outside) = columns_of(dest);
        on_backend!(conn, |c| diesel::insert_into(attendant_options::table)
            .values((
                attendant_options::domain_id.eq(domain_id),
                attendant_options::attendant_id.eq(id),
                attendant_options::key.eq(*key),
                attendant_options::dest_kind.eq(&kind),
                attendant_options::dest_user_id.eq(user),
                attendant_options::dest_attendant_id.eq(attendant),
                attendant_options::dest_ring_group_id.eq(group),
                attendant_options::dest_queue_id.eq(queue),
                attendant_options::dest_outside.eq(&outside),
            ))
            .execute(c))?;
    }
    Ok(id)
}

/// Inserts a ring group with its members in ring order; returns its id.
pub fn insert_ring_group(
    conn: &mut DbConn,
    domain_id: DomainId,
    name: &str,
    number: &str,
    members: &[UserId],
) -> QueryResult<RingGroupId> {
    on_backend!(conn, |c| diesel::insert_into(ring_groups::table)
        .values((
            ring_groups::domain_id.eq(domain_id),
            ring_groups::name.eq(name),
            ring_groups::number.eq(number),
        ))
        .execute(c))?;
    // Numbers are unique in a domain: the row just written is found by its number.
    let id: RingGroupId = ring_groups::table
        .filter(ring_groups::domain_id.eq(domain_id))
        .filter(ring_groups::number.eq(number))
        .select(ring_groups::id)
        .first(conn)?;
    for (position, user) in (1..).zip(members) {
        add_member(conn, domain_id, id, *user, position)?;
    }
    Ok(id)
}

/// Inserts a call queue with its agents; returns its id.
pub fn insert_queue(
    conn: &mut DbConn,
    domain_id: DomainId,
    name: &str,
    number: &str,
    agents: &[UserId],
) -> QueryResult<QueueId> {
    on_backend!(conn, |c| diesel::insert_into(call_queues::table)
        .values((
            call_queues::domain_id.eq(domain_id),
            call_queues::name.eq(name),
            call_queues::number.eq(number),
        ))
        .execute(c))?;
    // Numbers are unique in a domain: the row just written is found by its number.
    let id: QueueId = call_queues::table
        .filter(call_queues::domain_id.eq(domain_id))
        .filter(call_queues::number.eq(number))
        .select(call_queues::id)
        .first(conn)?;
    for user in agents {
        add_agent(conn, domain_id, id, *user)?;
    }
    Ok(id)
}

/// Adds `user` to ring group `group` at `position`.
pub fn add_member(
    conn: &mut DbConn,
    domain_id: DomainId,
    group: RingGroupId,
    user: UserId,
    position: i32,
) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::insert_into(ring_group_members::table)
        .values((
            ring_group_members::domain_id.eq(domain_id),
            ring_group_members::ring_group_id.eq(group),
            ring_group_members::user_id.eq(user),
            ring_group_members::position.eq(position),
        ))
        .execute(c))
}

/// Adds `user` to call queue `queue`.
pub fn add_agent(
    conn: &mut DbConn,
    domain_id: DomainId,
    queue: QueueId,
    user: UserId,
) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::insert_into(queue_agents::table)
        .values((
            queue_agents::domain_id.eq(domain_id),
            queue_agents::queue_id.eq(queue),
            queue_agents::user_id.eq(user),
        ))
        .execute(c))
}

/// The last position in ring group `group` (0 when empty).
pub fn last_position(conn: &mut DbConn, group: RingGroupId) -> QueryResult<i32> {
    ring_group_members::table
        .filter(ring_group_members::ring_group_id.eq(group))
        .select(diesel::dsl::max(ring_group_members::position))
        .first::<Option<i32>>(conn)
        .map(Option::unwrap_or_default)
}

/// Removes `user` from ring group `group`; returns whether they were a member.
pub fn remove_member(conn: &mut DbConn, group: RingGroupId, user: UserId) -> QueryResult<bool> {
    diesel::delete(
        ring_group_members::table
            .filter(ring_group_members::ring_group_id.eq(group))
            .filter(ring_group_members::user_id.eq(user)),
    )
    .execute(conn)
    .map(|deleted| deleted > 0)
}

/// Removes `user` from call queue `queue`; returns whether they were an agent.
pub fn remove_agent(conn: &mut DbConn, queue: QueueId, user: UserId) -> QueryResult<bool> {
    diesel::delete(
        queue_agents::table
            .filter(queue_agents::queue_id.eq(queue))
            .filter(queue_agents::user_id.eq(user)),
    )
    .execute(conn)
    .map(|deleted| deleted > 0)
}

/// Moves ring group membership of `from` to `to` (keeping the place); returns whether
/// it moved (not when `to` is a member already: then `from`'s place is removed).
pub fn hand_member(
    conn: &mut DbConn,
    group: RingGroupId,
    from: UserId,
    to: UserId,
) -> QueryResult<bool> {
    let already: i64 = ring_group_members::table
        .filter(ring_group_members::ring_group_id.eq(group))
        .filter(ring_group_members::user_id.eq(to))
        .count()
        .get_result(conn)?;
    if already > 0 {
        remove_member(conn, group, from)?;
        return Ok(false);
    }
    diesel::update(
        ring_group_members::table
            .filter(ring_group_members::ring_group_id.eq(group))
            .filter(ring_group_members::user_id.eq(from)),
    )
    .set(ring_group_members::user_id.eq(to))
    .execute(conn)
    .map(|moved| moved > 0)
}

/// Moves queue place of `from` to `to`; as [`hand_member`].
pub fn hand_agent(
    conn: &mut DbConn,
    queue: QueueId,
    from: UserId,
    to: UserId,
) -> QueryResult<bool> {
    let already: i64 = queue_agents::table
        .filter(queue_agents::queue_id.eq(queue))
        .filter(queue_agents::user_id.eq(to))
        .count()
        .get_result(conn)?;
    if already > 0 {
        remove_agent(conn, queue, from)?;
        return Ok(false);
    }
    diesel::update(
        queue_agents::table
            .filter(queue_agents::queue_id.eq(queue))
            .filter(queue_agents::user_id.eq(from)),
    )
    .set(queue_agents::user_id.eq(to))
    .execute(conn)
    .map(|moved| moved > 0)
}

/// Points those of numbers `ids` that still reach one of `from` at `to` the same way
/// (the user, or their voicemail), or with `None` at nobody; each one's version moves on.
pub fn hand_numbers(
    conn: &mut DbConn,
    ids: &[PhoneNumberId],
    from: &[UserId],
    to: Option<UserId>,
) -> QueryResult<usize> {
    hand_destinations!(phone_numbers, conn, ids, from, to)
}

/// As [`hand_numbers`], for attendant options and timeouts.
pub fn hand_options(
    conn: &mut DbConn,
    ids: &[OptionId],
    from: &[UserId],
    to: Option<UserId>,
) -> QueryResult<usize> {
    hand_destinations!(attendant_options, conn, ids, from, to)
}

/// A row that holds a user in one place of the routing, by its own id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    /// A ring group member.
    Member,
    /// A call queue agent.
    Agent,
    /// An answering rule's forward (the rule itself goes when removed).
    Forward,
    /// A BLF key.
    Blf,
}

/// Deletes the rows `ids` of `holder`.
pub fn remove_held(conn: &mut DbConn, holder: Holder, ids: &[i64]) -> QueryResult<usize> {
    let mut removed = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        removed += match holder {
            Holder::Member => diesel::delete(
                ring_group_members::table.filter(ring_group_members::id.eq_any(chunk)),
            )
            .execute(conn)?,
            Holder::Agent => {
                diesel::delete(queue_agents::table.filter(queue_agents::id.eq_any(chunk)))
                    .execute(conn)?
            }
            Holder::Forward => {
                diesel::delete(answering_rules::table.filter(answering_rules::id.eq_any(chunk)))
                    .execute(conn)?
            }
            Holder::Blf => {
                diesel::delete(blf_keys::table.filter(blf_keys::id.eq_any(chunk))).execute(conn)?
            }
        };
    }
    Ok(removed)
}

/// Points the rows `ids` of `holder` at user `to`.
pub fn move_held(conn: &mut DbConn, holder: Holder, ids: &[i64], to: UserId) -> QueryResult<usize> {
    let mut moved = 0;
    for chunk in ids.chunks(ID_CHUNK) {
        moved += match holder {
            Holder::Member => diesel::update(
                ring_group_members::table.filter(ring_group_members::id.eq_any(chunk)),
            )
            .set(ring_group_members::user_id.eq(to))
            .execute(conn)?,
            Holder::Agent => {
                diesel::update(queue_agents::table.filter(queue_agents::id.eq_any(chunk)))
                    .set(queue_agents::user_id.eq(to))
                    .execute(conn)?
            }
            Holder::Forward => {
                diesel::update(answering_rules::table.filter(answering_rules::id.eq_any(chunk)))
                    .set(answering_rules::forward_user_id.eq(to))
                    .execute(conn)?
            }
            Holder::Blf => diesel::update(blf_keys::table.filter(blf_keys::id.eq_any(chunk)))
                .set(blf_keys::watched_user_id.eq(to))
                .execute(conn)?,
        };
    }
    Ok(moved)
}

/// The places some users hold: (ring group, user) and (call queue, user).
#[derive(Debug, Default)]
pub struct Places {
    pub groups: HashSet<(RingGroupId, UserId)>,
    pub queues: HashSet<(QueueId, UserId)>,
}

/// The ring groups and the call queues that `users` are in.
pub fn places_of(conn: &mut DbConn, users: &[UserId]) -> QueryResult<Places> {
    let groups: Vec<(RingGroupId, UserId)> = ring_group_members::table
        .filter(ring_group_members::user_id.eq_any(users))
        .select((
            ring_group_members::ring_group_id,
            ring_group_members::user_id,
        ))
        .load(conn)?;
    let queues: Vec<(QueueId, UserId)> = queue_agents::table
        .filter(queue_agents::user_id.eq_any(users))
        .select((queue_agents::queue_id, queue_agents::user_id))
        .load(conn)?;
    Ok(Places {
        groups: groups.into_iter().collect(),
        queues: queues.into_iter().collect(),
    })
}

/// Bumps the version of the ring groups of `ids` (their members changed).
pub fn touch_ring_groups(conn: &mut DbConn, ids: &[RingGroupId]) -> QueryResult<usize> {
    diesel::update(ring_groups::table.filter(ring_groups::id.eq_any(ids)))
        .set(ring_groups::version.eq(ring_groups::version + 1))
        .execute(conn)
}

/// Bumps the version of the call queues of `ids` (their agents changed).
pub fn touch_queues(conn: &mut DbConn, ids: &[QueueId]) -> QueryResult<usize> {
    diesel::update(call_queues::table.filter(call_queues::id.eq_any(ids)))
        .set(call_queues::version.eq(call_queues::version + 1))
        .execute(conn)
}

/// Points answering rule `rule_id` (a forward) at `to`, or (with `None`) deletes it.
pub fn set_forward(conn: &mut DbConn, rule_id: i64, to: Option<UserId>) -> QueryResult<usize> {
    match to {
        Some(to) => diesel::update(answering_rules::table.find(rule_id))
            .set(answering_rules::forward_user_id.eq(to))
            .execute(conn),
        None => diesel::delete(answering_rules::table.find(rule_id)).execute(conn),
    }
}

/// Points BLF key `id` at `to`, or (with `None`) deletes it.
pub fn set_blf(conn: &mut DbConn, id: i64, to: Option<UserId>) -> QueryResult<usize> {
    match to {
        Some(to) => diesel::update(blf_keys::table.find(id))
            .set(blf_keys::watched_user_id.eq(to))
            .execute(conn),
        None => diesel::delete(blf_keys::table.find(id)).execute(conn),
    }
}

/// Inserts a BLF key on device `device_id` watching `watched`.
pub fn insert_blf(
    conn: &mut DbConn,
    domain_id: DomainId,
    device_id: i64,
    watched: UserId,
    position: i32,
) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::insert_into(blf_keys::table)
        .values((
            blf_keys::domain_id.eq(domain_id),
            blf_keys::device_id.eq(device_id),
            blf_keys::watched_user_id.eq(watched),
            blf_keys::position.eq(position),
        ))
        .execute(c))
}

/// Inserts an answering rule of `owner` that forwards to `to` in `time_frame`.
pub fn insert_forward(
    conn: &mut DbConn,
    domain_id: DomainId,
    owner: UserId,
    to: UserId,
    time_frame: &str,
) -> QueryResult<usize> {
    on_backend!(conn, |c| diesel::insert_into(answering_rules::table)
        .values((
            answering_rules::domain_id.eq(domain_id),
            answering_rules::user_id.eq(owner),
            answering_rules::time_frame.eq(time_frame),
            answering_rules::action.eq("forward"),
            answering_rules::forward_user_id.eq(to),
        ))
        .execute(c))
}

/// The primary device of `user`, if any.
pub fn primary_device(conn: &mut DbConn, user: UserId) -> QueryResult<Option<i64>> {
    devices::table
        .filter(devices::user_id.eq(user))
        .filter(devices::is_primary.eq(true))
        .select(devices::id)
        .first(conn)
        .optional()
}

/// Phone number `id` as it is now.
pub fn number_by_id(conn: &mut DbConn, id: PhoneNumberId) -> QueryResult<Option<NumberRow>> {
    phone_numbers::table
        .filter(phone_numbers::id.eq(id))
        .select(number_select!())
        .first::<NumberColumns>(conn)
        .optional()
        .map(|row| row.map(number_row))
}

/// Attendant option `id` as it is now.
pub fn option_by_id(conn: &mut DbConn, id: OptionId) -> QueryResult<Option<OptionRow>> {
    attendant_options::table
        .filter(attendant_options::id.eq(id))
        .select(option_select!())
        .first::<OptionColumns>(conn)
        .optional()
        .map(|row| row.map(option_row))
}

/// Whether `user` is a member of ring group `group`.
pub fn is_member(conn: &mut DbConn, group: RingGroupId, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ring_group_members::table
            .filter(ring_group_members::ring_group_id.eq(group))
            .filter(ring_group_members::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Whether `user` is an agent of call queue `queue`.
pub fn is_agent(conn: &mut DbConn, queue: QueueId, user: UserId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        queue_agents::table
            .filter(queue_agents::queue_id.eq(queue))
            .filter(queue_agents::user_id.eq(user)),
    ))
    .get_result(conn)
}

/// Whom answering rule `rule_id` forwards to now (`None`: no such rule, or no forward).
pub fn forward_of(conn: &mut DbConn, rule_id: i64) -> QueryResult<Option<UserId>> {
    answering_rules::table
        .find(rule_id)
        .select(answering_rules::forward_user_id)
        .first::<Option<UserId>>(conn)
        .optional()
        .map(Option::flatten)
}

/// Whom BLF key `id` watches now, if it is there.
pub fn watched_by(conn: &mut DbConn, id: i64) -> QueryResult<Option<UserId>> {
    blf_keys::table
        .find(id)
        .select(blf_keys::watched_user_id)
        .first(conn)
        .optional()
}

/// The device of `owner` named `name`, if it is there.
pub fn device_named(conn: &mut DbConn, owner: UserId, name: &str) -> QueryResult<Option<i64>> {
    devices::table
        .filter(devices::user_id.eq(owner))
        .filter(devices::name.eq(name))
        .select(devices::id)
        .first(conn)
        .optional()
}

/// Which of `ids` are users of the domain.
pub fn users_in_domain(
    conn: &mut DbConn,
    domain_id: DomainId,
    ids: &[UserId],
) -> QueryResult<Vec<UserId>> {
    use super::schema::users;
    // By primary key alone, the domain compared here: given the domain too, SQLite walks
    // the domain's status index probing the ids, whatever the domain's size.
    let found: Vec<(UserId, DomainId)> = users::table
        .filter(users::id.eq_any(ids))
        .select((users::id, users::domain_id))
        .load(conn)?;
    Ok(found
        .into_iter()
        .filter(|(_, domain)| *domain == domain_id)
        .map(|(id, _)| id)
        .collect())
}

/// Whether the domain has an attendant, ring group or queue of that id.
pub fn attendant_in(conn: &mut DbConn, domain_id: DomainId, id: AttendantId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        auto_attendants::table
            .filter(auto_attendants::id.eq(id))
            .filter(auto_attendants::domain_id.eq(domain_id)),
    ))
    .get_result(conn)
}

pub fn ring_group_in(conn: &mut DbConn, domain_id: DomainId, id: RingGroupId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        ring_groups::table
            .filter(ring_groups::id.eq(id))
            .filter(ring_groups::domain_id.eq(domain_id)),
    ))
    .get_result(conn)
}

pub fn queue_in(conn: &mut DbConn, domain_id: DomainId, id: QueueId) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        call_queues::table
            .filter(call_queues::id.eq(id))
            .filter(call_queues::domain_id.eq(domain_id)),
    ))
    .get_result(conn)
}

/// Moves ring group `group` (of the domain) on to its next version if it is still at
/// `version`; returns whether it was.
pub fn bump_ring_group(
    conn: &mut DbConn,
    domain_id: DomainId,
    group: RingGroupId,
    version: i32,
) -> QueryResult<bool> {
    diesel::update(
        ring_groups::table
            .filter(ring_groups::id.eq(group))
            .filter(ring_groups::domain_id.eq(domain_id))
            .filter(ring_groups::version.eq(version)),
    )
    .set(ring_groups::version.eq(ring_groups::version + 1))
    .execute(conn)
    .map(|bumped| bumped > 0)
}

/// As [`bump_ring_group`], for a call queue.
pub fn bump_queue(
    conn: &mut DbConn,
    domain_id: DomainId,
    queue: QueueId,
    version: i32,
) -> QueryResult<bool> {
    diesel::update(
        call_queues::table
            .filter(call_queues::id.eq(queue))
            .filter(call_queues::domain_id.eq(domain_id))
            .filter(call_queues::version.eq(version)),
    )
    .set(call_queues::version.eq(call_queues::version + 1))
    .execute(conn)
    .map(|bumped| bumped > 0)
}

/// The attendant, ring group or queue of the domain with `number`, as a destination.
pub fn object_by_number(
    conn: &mut DbConn,
    domain_id: DomainId,
    number: &str,
) -> QueryResult<Option<Destination>> {
    if let Some(id) = auto_attendants::table
        .filter(auto_attendants::domain_id.eq(domain_id))
        .filter(auto_attendants::number.eq(number))
        .select(auto_attendants::id)
        .first::<AttendantId>(conn)
        .optional()?
    {
        return Ok(Some(Destination::Attendant(id)));
    }
    if let Some(id) = ring_groups::table
        .filter(ring_groups::domain_id.eq(domain_id))
        .filter(ring_groups::number.eq(number))
        .select(ring_groups::id)
        .first::<RingGroupId>(conn)
        .optional()?
    {
        return Ok(Some(Destination::RingGroup(id)));
    }
    Ok(call_queues::table
        .filter(call_queues::domain_id.eq(domain_id))
        .filter(call_queues::number.eq(number))
        .select(call_queues::id)
        .first::<QueueId>(conn)
        .optional()?
        .map(Destination::Queue))
}
