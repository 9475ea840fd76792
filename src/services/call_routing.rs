//! The Call routing page's use cases: a domain's routing as the page shows it, and its
//! changes (Change destination, Add member, Remove member), each rights-checked,
//! version-checked, audited and in one transaction.

use std::collections::{HashMap, HashSet};

use super::{Acting, Authority};
use crate::db::domains::Domain;
use crate::db::routing::{self, AttendantRow, GroupRow, MemberRow, NumberRow, OptionRow};
use crate::db::user_set::{self, UserSet};
use crate::db::users::{self, UserRef};
use crate::db::{DbConn, audit, write_transaction};
use crate::domain::ids::{OptionId, PhoneNumberId, QueueId, RingGroupId, UserId};
use crate::domain::routing::{Destination, E164};
use crate::domain::{ActorRights, Refusal};

/// Domains up to this many users offer every user in a select; larger ones a typed field.
pub const SELECT_UP_TO: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum RoutingError {
    #[error("{0}")]
    Refused(Refusal),
    #[error("There is no such phone number, option, group or queue in this domain.")]
    NotFound,
    #[error("That destination is not in this domain.")]
    ForeignDestination,
    #[error("That user is not in this domain.")]
    ForeignUser,
    #[error(
        "Someone else changed this since the page was shown. Nothing was saved; reload to see the change."
    )]
    Conflict,
    #[error("User {0} is already a member.")]
    AlreadyMember(String),
    #[error("{0} names no user, voicemail, attendant, ring group or queue of this domain.")]
    Unknown(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for RoutingError {
    fn from(refusal: Refusal) -> Self {
        RoutingError::Refused(refusal)
    }
}

/// A domain's call routing, as the page lists it, with the users it names.
#[derive(Debug, Default)]
pub struct Overview {
    pub numbers: Vec<NumberRow>,
    pub attendants: Vec<AttendantRow>,
    pub options: Vec<OptionRow>,
    pub ring_groups: Vec<GroupRow<RingGroupId>>,
    pub members: Vec<MemberRow<RingGroupId>>,
    pub queues: Vec<GroupRow<QueueId>>,
    pub agents: Vec<MemberRow<QueueId>>,
    /// The users the routing names, by id.
    pub users: HashMap<UserId, UserRef>,
    /// Every user of the domain, by extension, when it is small enough for a select.
    pub choices: Option<Vec<UserRef>>,
    pub dead_ends: i64,
}

/// The domain's call routing (only its dead ends, with `dead_ends_only`; groups and
/// queues are then left out), if `rights` may manage the domain.
pub fn overview(
    conn: &mut DbConn,
    rights: &ActorRights,
    domain: &Domain,
    dead_ends_only: bool,
) -> Result<Overview, RoutingError> {
    rights.may_manage_domain(domain.as_ref())?;
    let numbers = routing::numbers(conn, domain.id, dead_ends_only)?;
    let attendants = routing::attendants(conn, domain.id)?;
    let options = routing::options(conn, domain.id, dead_ends_only)?;
    let (ring_groups, members, queues, agents) = if dead_ends_only {
        Default::default()
    } else {
        (
            routing::ring_groups(conn, domain.id)?,
            routing::members(conn, domain.id)?,
            routing::queues(conn, domain.id)?,
            routing::agents(conn, domain.id)?,
        )
    };
    let mut named: Vec<UserId> = numbers
        .iter()
        .filter_map(|n| n.dest.user())
        .chain(options.iter().filter_map(|o| o.dest.user()))
        .chain(members.iter().map(|m| m.user_id))
        .chain(agents.iter().map(|a| a.user_id))
        .collect();
    named.sort_unstable();
    named.dedup();
    let users = users::refs_by_ids(conn, &named)?
        .into_iter()
        .map(|user| (user.id, user))
        .collect();
    let dead_ends = routing::dead_ends(conn, domain.id)?;
    let choices = users::some_of_domain(conn, domain.id, SELECT_UP_TO + 1)?;
    let choices = (choices.len() <= SELECT_UP_TO).then_some(choices);
    Ok(Overview {
        numbers,
        attendants,
        options,
        ring_groups,
        members,
        queues,
        agents,
        users,
        choices,
        dead_ends,
    })
}

/// Who may succeed the users of `deleting` in a small domain (every other user, by
/// extension); `None` in a large one, where the successor's extension is typed.
pub fn successor_choices(
    conn: &mut DbConn,
    domain_id: crate::domain::ids::DomainId,
    deleting: UserSet<'_>,
) -> diesel::QueryResult<Option<Vec<UserRef>>> {
    let users = users::some_of_domain(conn, domain_id, SELECT_UP_TO + 1)?;
    if users.len() > SELECT_UP_TO {
        return Ok(None);
    }
    // A small domain: its selection is small too.
    let deleting: HashSet<UserId> = user_set::every_id(conn, deleting)?.into_iter().collect();
    Ok(Some(
        users
            .into_iter()
            .filter(|user| !deleting.contains(&user.id))
            .collect(),
    ))
}

/// How many phone numbers, attendant options and timeouts of the domain reach nobody.
pub fn dead_ends(conn: &mut DbConn, domain: &Domain) -> diesel::QueryResult<i64> {
    routing::dead_ends(conn, domain.id)
}

/// What Change destination changes.
#[derive(Debug, Clone, Copy)]
pub enum Routed {
    Number(PhoneNumberId),
    Option(OptionId),
}

fn user_of(acting: &Acting) -> Result<ActorRights, RoutingError> {
    match acting.authority {
        Authority::User(rights) => Ok(rights),
        Authority::CommandLine => Err(Refusal::ScopeTooLow.into()),
    }
}

/// Refuses a destination outside the domain.
fn check_in_domain(
    conn: &mut DbConn,
    domain: &Domain,
    dest: &Destination,
) -> Result<(), RoutingError> {
    let inside = match dest {
        Destination::User(user) | Destination::Voicemail(user) => {
            !routing::users_in_domain(conn, domain.id, &[*user])?.is_empty()
        }
        Destination::Attendant(id) => routing::attendant_in(conn, domain.id, *id)?,
        Destination::RingGroup(id) => routing::ring_group_in(conn, domain.id, *id)?,
        Destination::Queue(id) => routing::queue_in(conn, domain.id, *id)?,
        Destination::Outside(_) | Destination::Nobody => true,
    };
    if inside {
        Ok(())
    } else {
        Err(RoutingError::ForeignDestination)
    }
}

/// Change destination: sets a phone number's or attendant option's destination, if it
/// is still at `version`.
pub fn change_destination(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    what: Routed,
    version: i32,
    dest: &Destination,
) -> Result<(), RoutingError> {
    let rights = user_of(acting)?;
    rights.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        check_in_domain(conn, domain, dest)?;
        let (changed, target, was) = match what {
            Routed::Number(id) => {
                let number = routing::number_by_id(conn, id)?
                    .filter(|number| number.domain_id == domain.id)
                    .ok_or(RoutingError::NotFound)?;
                let changed = routing::set_number_destination(conn, domain.id, id, version, dest)?;
                (changed, number.number, number.dest)
            }
            Routed::Option(id) => {
                let option = routing::option_by_id(conn, id)?
                    .filter(|option| option.domain_id == domain.id)
                    .ok_or(RoutingError::NotFound)?;
                let changed = routing::set_option_destination(conn, domain.id, id, version, dest)?;
                let attendant = routing::attendants_of(conn, &[option.attendant_id])?
                    .into_iter()
                    .next()
                    .map(|a| format!("{} ({})", a.name, a.number))
                    .unwrap_or_default();
                (changed, format!("{attendant} {}", option.key), option.dest)
            }
        };
        if !changed {
            return Err(RoutingError::Conflict);
        }
        acting.audit.record_in_domain(
            conn,
            domain.id,
            audit::ROUTING_CHANGE,
            &format!("{target}: {} to {}", describe(&was), describe(dest)),
        )?;
        Ok(())
    })
}

/// A destination as the audit trail records it: its kind and id, or the number.
fn describe(dest: &Destination) -> String {
    match dest {
        Destination::User(id) => format!("user {id}"),
        Destination::Voicemail(id) => format!("voicemail of user {id}"),
        Destination::Attendant(id) => format!("attendant {id}"),
        Destination::RingGroup(id) => format!("ring group {id}"),
        Destination::Queue(id) => format!("queue {id}"),
        Destination::Outside(number) => number.to_string(),
        Destination::Nobody => "nobody".to_owned(),
    }
}

/// A ring group or a call queue, whose members Add member and Remove change.
#[derive(Debug, Clone, Copy)]
pub enum Group {
    Ring(RingGroupId),
    Queue(QueueId),
}

/// Add member (`add`) or Remove (`!add`): one user in or out of a group or queue still
/// at `version`.
pub fn change_member(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    group: Group,
    version: i32,
    user: UserId,
    add: bool,
) -> Result<(), RoutingError> {
    let rights = user_of(acting)?;
    rights.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let member = users::find(conn, user)?
            .filter(|found| found.domain_id == domain.id)
            .ok_or(RoutingError::ForeignUser)?;
        let bumped = match group {
            Group::Ring(id) => routing::bump_ring_group(conn, domain.id, id, version)?,
            Group::Queue(id) => routing::bump_queue(conn, domain.id, id, version)?,
        };
        if !bumped {
            let exists = match group {
                Group::Ring(id) => routing::ring_group_in(conn, domain.id, id)?,
                Group::Queue(id) => routing::queue_in(conn, domain.id, id)?,
            };
            return Err(if exists {
                RoutingError::Conflict
            } else {
                RoutingError::NotFound
            });
        }
        let (is_member, name) = match group {
            Group::Ring(id) => (
                routing::is_member(conn, id, user)?,
                format!("ring group {id}"),
            ),
            Group::Queue(id) => (routing::is_agent(conn, id, user)?, format!("queue {id}")),
        };
        match (add, is_member) {
            (true, true) => return Err(RoutingError::AlreadyMember(member.extension)),
            (false, false) => return Err(RoutingError::Conflict),
            (true, false) => match group {
                Group::Ring(id) => {
                    let last = routing::last_position(conn, id)?;
                    routing::add_member(conn, domain.id, id, user, last + 1)?;
                }
                Group::Queue(id) => {
                    routing::add_agent(conn, domain.id, id, user)?;
                }
            },
            (false, true) => match group {
                Group::Ring(id) => {
                    routing::remove_member(conn, id, user)?;
                }
                Group::Queue(id) => {
                    routing::remove_agent(conn, id, user)?;
                }
            },
        }
        let (action, details) = if add {
            (
                audit::ROUTING_MEMBER_ADD,
                format!("{} added to {name}", member.extension),
            )
        } else {
            (
                audit::ROUTING_MEMBER_REMOVE,
                format!("{} removed from {name}", member.extension),
            )
        };
        audit::record(
            conn,
            &audit::NewAuditEvent {
                domain_id: Some(domain.id),
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                action,
                target_user_id: Some(member.id),
                target: &member.extension,
                details: &details,
            },
        )?;
        Ok(())
    })
}

/// A destination typed in a large domain's Destination field: an outside number
/// (`+…`), "Voicemail of" an extension, an extension, or an attendant's, ring group's or
/// queue's number.
pub fn resolve_typed(
    conn: &mut DbConn,
    domain: &Domain,
    typed: &str,
) -> Result<Destination, RoutingError> {
    let text = typed.trim();
    let unknown = || RoutingError::Unknown(text.to_owned());
    if text.starts_with('+') {
        return E164::parse(text)
            .map(Destination::Outside)
            .map_err(|_| unknown());
    }
    let lower = text.to_lowercase();
    let (voicemail, number) = match lower.strip_prefix("voicemail of") {
        Some(rest) => (true, rest.trim()),
        None => (false, lower.as_str()),
    };
    // "124 Emma Evans" reads as 124, as a suggestion would be typed.
    let number = number.split_whitespace().next().unwrap_or_default();
    if let Some(user) = users::find_by_extension(conn, domain.id, number)? {
        return Ok(if voicemail {
            Destination::Voicemail(user.id)
        } else {
            Destination::User(user.id)
        });
    }
    if voicemail {
        return Err(unknown());
    }
    let by_number = routing::object_by_number(conn, domain.id, number)?;
    by_number.ok_or_else(unknown)
}

/// The user of the domain with `extension`, for a typed Add member.
pub fn user_by_extension(
    conn: &mut DbConn,
    domain: &Domain,
    extension: &str,
) -> Result<UserId, RoutingError> {
    users::find_by_extension(conn, domain.id, extension.trim())?
        .map(|user| user.id)
        .ok_or_else(|| RoutingError::Unknown(extension.trim().to_owned()))
}
