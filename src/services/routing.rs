//! Call routing as the portal changes it: what reaches a set of users ("Reached from",
//! in SPEC's wording), handing those references to a successor or removing them when
//! the users are deleted (kept, so that Restore puts them back unless changed since).
//! Callers own the transaction.

use std::collections::{HashMap, HashSet};

use diesel::QueryResult;

use crate::db::DbConn;
use crate::db::routing::{self, Holder, References};
use crate::db::user_set::UserSet;
use crate::db::users;
use crate::domain::ids::{
    AttendantId, DomainId, OptionId, PhoneNumberId, QueueId, RingGroupId, UserId,
};
use crate::domain::routing::{Destination, MovedReference, TIMEOUT};

/// What kind of reference a Reached from line is: its count is given by kind past the
/// lines listed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ReachKind {
    Number,
    Option,
    Member,
    Agent,
    Forward,
    Blf,
}

impl ReachKind {
    /// "3 phone numbers", "1 attendant option".
    pub fn counted(self, count: usize) -> String {
        let (one, many) = match self {
            ReachKind::Number => ("phone number", "phone numbers"),
            ReachKind::Option => ("attendant option", "attendant options"),
            ReachKind::Member => ("ring group membership", "ring group memberships"),
            ReachKind::Agent => ("queue place", "queue places"),
            ReachKind::Forward => ("forward", "forwards"),
            ReachKind::Blf => ("BLF key", "BLF keys"),
        };
        format!("{count} {}", if count == 1 { one } else { many })
    }
}

/// One line of Reached from: the user it reaches, what kind of reference, and the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reach {
    pub user: UserId,
    pub kind: ReachKind,
    pub line: String,
    /// Whether it is a number, option or timeout, which reaches nobody without a successor.
    pub routes_calls: bool,
}

/// The words for the pieces of a domain's routing that Reached from names.
struct Names {
    users: HashMap<UserId, String>,
    attendants: HashMap<AttendantId, String>,
    groups: HashMap<RingGroupId, String>,
    queues: HashMap<QueueId, String>,
}

impl Names {
    fn user(&self, id: UserId) -> String {
        self.users
            .get(&id)
            .cloned()
            .unwrap_or_else(|| id.to_string())
    }

    /// A destination that reaches a user, as a line names it.
    fn reached(&self, dest: &Destination) -> String {
        match dest {
            Destination::Voicemail(user) => format!("Voicemail of {}", self.user(*user)),
            Destination::User(user) => self.user(*user),
            _ => String::new(),
        }
    }
}

fn names_for(conn: &mut DbConn, domain_id: DomainId, refs: &References) -> QueryResult<Names> {
    let mut ids: HashSet<UserId> = HashSet::new();
    ids.extend(refs.numbers.iter().filter_map(|n| n.dest.user()));
    ids.extend(refs.options.iter().filter_map(|o| o.dest.user()));
    ids.extend(refs.members.iter().map(|m| m.user_id));
    ids.extend(refs.agents.iter().map(|a| a.user_id));
    ids.extend(refs.forwards.iter().flat_map(|f| [f.owner, f.to]));
    ids.extend(refs.blf_keys.iter().flat_map(|b| [b.owner, b.watched]));
    let ids: Vec<UserId> = ids.into_iter().collect();
    let users = users::refs_by_ids(conn, &ids)?
        .iter()
        .map(|user| (user.id, user.label()))
        .collect();
    let attendant_ids: Vec<AttendantId> = refs.options.iter().map(|o| o.attendant_id).collect();
    let attendants = routing::attendants_of(conn, &attendant_ids)?
        .into_iter()
        .map(|a| (a.id, format!("{} ({})", a.name, a.number)))
        .collect();
    let groups = if refs.members.is_empty() {
        HashMap::new()
    } else {
        routing::ring_groups(conn, domain_id)?
            .into_iter()
            .map(|g| (g.id, format!("{} ({})", g.name, g.number)))
            .collect()
    };
    let queues = if refs.agents.is_empty() {
        HashMap::new()
    } else {
        routing::queues(conn, domain_id)?
            .into_iter()
            .map(|q| (q.id, format!("{} ({})", q.name, q.number)))
            .collect()
    };
    Ok(Names {
        users,
        attendants,
        groups,
        queues,
    })
}

/// Every reference to the users of `ids` (of `domain_id`), one line each in SPEC's
/// wording: numbers, attendant options and timeouts, group and queue places, forwards,
/// BLF keys; in that order, each kind in the order stored.
pub fn reached_from(
    conn: &mut DbConn,
    domain_id: DomainId,
    ids: &[UserId],
) -> QueryResult<Vec<Reach>> {
    let refs = routing::references_to(conn, ids)?;
    lines_of(conn, domain_id, &refs)
}

/// Reached from of a selection that may be a whole domain, read no further than it is
/// shown: the first `listed` references as lines, and how many there are of each kind,
/// counted in SQL.
pub fn reached_from_set(
    conn: &mut DbConn,
    domain_id: DomainId,
    users: UserSet<'_>,
    listed: usize,
) -> QueryResult<ReachSummary> {
    let refs = routing::references_in(conn, users, Some(listed))?;
    let counts = routing::reference_counts(conn, users)?;
    let count = |n: i64| usize::try_from(n).unwrap_or(usize::MAX);
    Ok(ReachSummary {
        listed: lines_of(conn, domain_id, &refs)?,
        counts: [
            (ReachKind::Number, count(counts.numbers)),
            (ReachKind::Option, count(counts.options)),
            (ReachKind::Member, count(counts.members)),
            (ReachKind::Agent, count(counts.agents)),
            (ReachKind::Forward, count(counts.forwards)),
            (ReachKind::Blf, count(counts.blf_keys)),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect(),
    })
}

/// What Reached from shows of a set of references: the first lines, and how many
/// references there are of each kind (those with none left out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReachSummary {
    pub listed: Vec<Reach>,
    pub counts: Vec<(ReachKind, usize)>,
}

impl ReachSummary {
    /// The summary of every reference, read: the first `listed` of them as lines.
    pub fn of(reaches: &[Reach], listed: usize) -> Self {
        let mut counts: Vec<(ReachKind, usize)> = Vec::new();
        for reach in reaches {
            match counts.iter_mut().find(|(kind, _)| *kind == reach.kind) {
                Some((_, count)) => *count += 1,
                None => counts.push((reach.kind, 1)),
            }
        }
        counts.sort();
        ReachSummary {
            listed: reaches.iter().take(listed).cloned().collect(),
            counts,
        }
    }

    /// How many references of `kind` there are.
    pub fn count(&self, kind: ReachKind) -> usize {
        self.counts
            .iter()
            .find(|(counted, _)| *counted == kind)
            .map_or(0, |(_, count)| *count)
    }
}

/// The references of `refs` as Reached from lines, in their order.
fn lines_of(conn: &mut DbConn, domain_id: DomainId, refs: &References) -> QueryResult<Vec<Reach>> {
    if refs.is_empty() {
        return Ok(Vec::new());
    }
    let names = names_for(conn, domain_id, refs)?;
    let mut lines = Vec::new();
    for number in &refs.numbers {
        if let Some(user) = number.dest.user() {
            lines.push(Reach {
                user,
                kind: ReachKind::Number,
                line: format!("{} rings {}", number.number, names.reached(&number.dest)),
                routes_calls: true,
            });
        }
    }
    for option in &refs.options {
        if let Some(user) = option.dest.user() {
            let attendant = names
                .attendants
                .get(&option.attendant_id)
                .cloned()
                .unwrap_or_default();
            let key = if option.key == TIMEOUT {
                "timeout".to_owned()
            } else {
                format!("key {}", option.key)
            };
            lines.push(Reach {
                user,
                kind: ReachKind::Option,
                line: format!("{attendant} {key}: {}", names.reached(&option.dest)),
                routes_calls: true,
            });
        }
    }
    for member in &refs.members {
        let group = names.groups.get(&member.group).cloned().unwrap_or_default();
        lines.push(Reach {
            user: member.user_id,
            kind: ReachKind::Member,
            line: format!("{group} ring group member: {}", names.user(member.user_id)),
            routes_calls: false,
        });
    }
    for agent in &refs.agents {
        let queue = names.queues.get(&agent.group).cloned().unwrap_or_default();
        lines.push(Reach {
            user: agent.user_id,
            kind: ReachKind::Agent,
            line: format!("{queue} queue agent: {}", names.user(agent.user_id)),
            routes_calls: false,
        });
    }
    for forward in &refs.forwards {
        lines.push(Reach {
            user: forward.to,
            kind: ReachKind::Forward,
            line: format!(
                "{} forwards to {}",
                names.user(forward.owner),
                names.user(forward.to)
            ),
            routes_calls: false,
        });
    }
    for key in &refs.blf_keys {
        lines.push(Reach {
            user: key.watched,
            kind: ReachKind::Blf,
            line: format!(
                "BLF key on {}'s phone watches {}",
                names.user(key.owner),
                names.user(key.watched)
            ),
            routes_calls: false,
        });
    }
    Ok(lines)
}

/// Hands every reference to the users of `ids` to their successor (`successors`), or
/// removes it where they have none (a number, option or timeout then reaches nobody);
/// returns what was moved or removed, per user, for Restore.
pub fn detach(
    conn: &mut DbConn,
    ids: &[UserId],
    successors: &HashMap<UserId, UserId>,
) -> QueryResult<HashMap<UserId, Vec<MovedReference>>> {
    let refs = routing::references_to(conn, ids)?;
    let mut moved: HashMap<UserId, Vec<MovedReference>> = HashMap::new();
    let mut keep = |user: UserId, reference: MovedReference| {
        moved.entry(user).or_default().push(reference);
    };

    // Numbers and options, one statement per successor (and one for nobody).
    let mut numbers: HashMap<Option<UserId>, Vec<PhoneNumberId>> = HashMap::new();
    for number in refs.numbers {
        let Some(user) = number.dest.user() else {
            continue;
        };
        let successor = successors.get(&user).copied();
        numbers.entry(successor).or_default().push(number.id);
        let now = successor.map_or(Destination::Nobody, |to| number.dest.handed_to(to));
        let (id, was) = (number.id, number.dest);
        keep(user, MovedReference::Number { id, was, now });
    }
    for (to, rows) in numbers {
        routing::hand_numbers(conn, &rows, ids, to)?;
    }
    let mut options: HashMap<Option<UserId>, Vec<OptionId>> = HashMap::new();
    for option in refs.options {
        let Some(user) = option.dest.user() else {
            continue;
        };
        let successor = successors.get(&user).copied();
        options.entry(successor).or_default().push(option.id);
        let now = successor.map_or(Destination::Nobody, |to| option.dest.handed_to(to));
        let (id, was) = (option.id, option.dest);
        keep(user, MovedReference::Option { id, was, now });
    }
    for (to, rows) in options {
        routing::hand_options(conn, &rows, ids, to)?;
    }

    // Groups and queues: the successor takes the first place a leaver held in each,
    // unless already there; every other place of a leaver goes.
    let mut wanted: Vec<UserId> = successors.values().copied().collect();
    wanted.sort();
    wanted.dedup();
    let mut held = routing::places_of(conn, &wanted)?;
    let mut members = Handover::default();
    let mut groups = Vec::new();
    for member in refs.members {
        let successor = successors
            .get(&member.user_id)
            .copied()
            .filter(|to| held.groups.insert((member.group, *to)));
        members.add(member.id, successor);
        groups.push(member.group);
        keep(
            member.user_id,
            MovedReference::Member {
                group: member.group,
                position: member.position,
                successor,
            },
        );
    }
    members.apply(conn, Holder::Member)?;
    routing::touch_ring_groups(conn, &groups)?;
    let mut agents = Handover::default();
    let mut queues = Vec::new();
    for agent in refs.agents {
        let successor = successors
            .get(&agent.user_id)
            .copied()
            .filter(|to| held.queues.insert((agent.group, *to)));
        agents.add(agent.id, successor);
        queues.push(agent.group);
        keep(
            agent.user_id,
            MovedReference::Agent {
                queue: agent.group,
                successor,
            },
        );
    }
    agents.apply(conn, Holder::Agent)?;
    routing::touch_queues(conn, &queues)?;

    // Forwards and BLF keys: nobody forwards to or watches themself, so a successor
    // who owns one removes it.
    let mut forwards = Handover::default();
    for forward in refs.forwards {
        let successor = successors
            .get(&forward.to)
            .copied()
            .filter(|successor| *successor != forward.owner);
        forwards.add(forward.rule_id, successor);
        keep(
            forward.to,
            MovedReference::Forward {
                rule_id: forward.rule_id,
                owner: forward.owner,
                time_frame: forward.time_frame,
                successor,
            },
        );
    }
    forwards.apply(conn, Holder::Forward)?;
    let mut keys = Handover::default();
    for key in refs.blf_keys {
        let successor = successors
            .get(&key.watched)
            .copied()
            .filter(|successor| *successor != key.owner);
        keys.add(key.id, successor);
        keep(
            key.watched,
            MovedReference::Blf {
                key_id: key.id,
                owner: key.owner,
                device: key.device_name,
                position: key.position,
                successor,
            },
        );
    }
    keys.apply(conn, Holder::Blf)?;
    Ok(moved)
}

/// Rows of one kind that hold a leaving user: those that go, and those that point at
/// each successor instead.
#[derive(Default)]
struct Handover {
    removed: Vec<i64>,
    moved: HashMap<UserId, Vec<i64>>,
}

impl Handover {
    fn add(&mut self, row: i64, successor: Option<UserId>) {
        match successor {
            Some(to) => self.moved.entry(to).or_default().push(row),
            None => self.removed.push(row),
        }
    }

    /// Removes first, so a successor never meets a place still held.
    fn apply(self, conn: &mut DbConn, holder: Holder) -> QueryResult<()> {
        routing::remove_held(conn, holder, &self.removed)?;
        for (to, rows) in self.moved {
            routing::move_held(conn, holder, &rows, to)?;
        }
        Ok(())
    }
}

/// Why Restore leaves a reference as it is.
pub const CHANGED_SINCE_DELETE: &str = "Changed since the delete.";

/// Puts back what a delete moved or removed of `user`'s references (the user is back,
/// in `domain_id`), each unless it was changed since; returns how many were left.
pub fn put_back(
    conn: &mut DbConn,
    domain_id: DomainId,
    user: UserId,
    moved: &[MovedReference],
) -> QueryResult<usize> {
    let mut left = 0;
    for reference in moved {
        let restored = match reference {
            MovedReference::Number { id, was, now } => match routing::number_by_id(conn, *id)? {
                Some(number) if number.dest == *now => routing::set_number_destination(
                    conn,
                    number.domain_id,
                    *id,
                    number.version,
                    was,
                )?,
                _ => false,
            },
            MovedReference::Option { id, was, now } => match routing::option_by_id(conn, *id)? {
                Some(option) if option.dest == *now => routing::set_option_destination(
                    conn,
                    option.domain_id,
                    *id,
                    option.version,
                    was,
                )?,
                _ => false,
            },
            MovedReference::Member {
                group,
                position,
                successor,
            } => {
                let back = if routing::is_member(conn, *group, user)? {
                    false
                } else {
                    match successor {
                        Some(successor) if routing::is_member(conn, *group, *successor)? => {
                            routing::hand_member(conn, *group, *successor, user)?
                        }
                        Some(_) => false,
                        None => routing::add_member(conn, domain_id, *group, user, *position)? > 0,
                    }
                };
                if back {
                    routing::touch_ring_groups(conn, &[*group])?;
                }
                back
            }
            MovedReference::Agent { queue, successor } => {
                let back = if routing::is_agent(conn, *queue, user)? {
                    false
                } else {
                    match successor {
                        Some(successor) if routing::is_agent(conn, *queue, *successor)? => {
                            routing::hand_agent(conn, *queue, *successor, user)?
                        }
                        Some(_) => false,
                        None => routing::add_agent(conn, domain_id, *queue, user)? > 0,
                    }
                };
                if back {
                    routing::touch_queues(conn, &[*queue])?;
                }
                back
            }
            MovedReference::Forward {
                rule_id,
                owner,
                time_frame,
                successor,
            } => match successor {
                Some(successor) => {
                    routing::forward_of(conn, *rule_id)? == Some(*successor)
                        && routing::set_forward(conn, *rule_id, Some(user))? > 0
                }
                None => {
                    users::find(conn, *owner)?.is_some()
                        && routing::insert_forward(conn, domain_id, *owner, user, time_frame)? > 0
                }
            },
            MovedReference::Blf {
                key_id,
                owner,
                device,
                position,
                successor,
            } => match successor {
                Some(successor) => {
                    routing::watched_by(conn, *key_id)? == Some(*successor)
                        && routing::set_blf(conn, *key_id, Some(user))? > 0
                }
                None => match routing::device_named(conn, *owner, device)? {
                    Some(device_id) => {
                        routing::insert_blf(conn, domain_id, device_id, user, *position)? > 0
                    }
                    None => false,
                },
            },
        };
        if !restored {
            left += 1;
        }
    }
    Ok(left)
}
