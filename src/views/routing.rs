//! The Call routing page: a domain's phone numbers, auto attendants (a row per option and
//! one for the timeout), ring groups and call queues, each destination in words or the
//! badge Dead end; Change destination as a page of its own (and a fragment in the row);
//! and the Reached from lines of a user's edit page and the delete steps.

use std::collections::HashMap;

use askama::Template;

use super::Chrome;
use super::list::Column;
use crate::db::routing::{AttendantRow, GroupRow};
use crate::db::users::UserRef;
use crate::domain::ids::{AttendantId, QueueId, RingGroupId, UserId};
use crate::domain::routing::{Destination, TIMEOUT};
use crate::services::call_routing::Overview;
use crate::services::routing::{Reach, ReachKind, ReachSummary};
use crate::web::paths;

/// The names a domain's destinations are shown by.
pub struct DestinationNames {
    users: HashMap<UserId, String>,
    attendants: HashMap<AttendantId, String>,
    groups: HashMap<RingGroupId, String>,
    queues: HashMap<QueueId, String>,
}

impl DestinationNames {
    pub fn of(
        overview: &Overview,
        groups: &[GroupRow<RingGroupId>],
        queues: &[GroupRow<QueueId>],
    ) -> Self {
        DestinationNames {
            users: overview
                .users
                .values()
                .chain(overview.choices.iter().flatten())
                .map(|user| (user.id, user.label()))
                .collect(),
            attendants: overview
                .attendants
                .iter()
                .map(|a| (a.id, titled(&a.name, &a.number)))
                .collect(),
            groups: groups
                .iter()
                .map(|g| (g.id, titled(&g.name, &g.number)))
                .collect(),
            queues: queues
                .iter()
                .map(|q| (q.id, titled(&q.name, &q.number)))
                .collect(),
        }
    }

    /// A destination in words; a dead end is shown by its badge instead (empty here).
    pub fn words(&self, dest: &Destination) -> String {
        let or_id = |name: Option<&String>, id: String| name.cloned().unwrap_or(id);
        match dest {
            Destination::User(id) => or_id(self.users.get(id), id.to_string()),
            Destination::Voicemail(id) => {
                format!("Voicemail of {}", or_id(self.users.get(id), id.to_string()))
            }
            Destination::Attendant(id) => or_id(self.attendants.get(id), id.to_string()),
            Destination::RingGroup(id) => or_id(self.groups.get(id), id.to_string()),
            Destination::Queue(id) => or_id(self.queues.get(id), id.to_string()),
            Destination::Outside(number) => number.to_string(),
            Destination::Nobody => String::new(),
        }
    }
}

/// "Sales (600)".
fn titled(name: &str, number: &str) -> String {
    format!("{name} ({number})")
}

/// One choice of the Destination select.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

/// The value a destination is chosen by in the Destination select.
pub fn choice_value(dest: &Destination) -> String {
    match dest {
        Destination::User(id) => format!("user:{id}"),
        Destination::Voicemail(id) => format!("voicemail:{id}"),
        Destination::Attendant(id) => format!("attendant:{id}"),
        Destination::RingGroup(id) => format!("ring_group:{id}"),
        Destination::Queue(id) => format!("queue:{id}"),
        Destination::Outside(_) => "outside".to_owned(),
        Destination::Nobody => "nobody".to_owned(),
    }
}

/// Every destination the domain offers, `current` selected: nobody, an outside number,
/// the attendants, groups and queues, and (in a small domain) each user and their
/// voicemail.
pub fn choices(
    overview: &Overview,
    names: &DestinationNames,
    current: &Destination,
) -> Vec<Choice> {
    let selected = choice_value(current);
    let mut values: Vec<(String, String)> = vec![
        ("nobody".into(), "Nobody (dead end)".into()),
        ("outside".into(), "Outside number".into()),
    ];
    values.extend(overview.attendants.iter().map(|a| {
        let dest = Destination::Attendant(a.id);
        (choice_value(&dest), names.words(&dest))
    }));
    values.extend(overview.ring_groups.iter().map(|g| {
        let dest = Destination::RingGroup(g.id);
        (choice_value(&dest), names.words(&dest))
    }));
    values.extend(overview.queues.iter().map(|q| {
        let dest = Destination::Queue(q.id);
        (choice_value(&dest), names.words(&dest))
    }));
    for user in overview.choices.iter().flatten() {
        for dest in [Destination::User(user.id), Destination::Voicemail(user.id)] {
            values.push((choice_value(&dest), names.words(&dest)));
        }
    }
    values
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == selected,
            value,
            label,
        })
        .collect()
}

/// A phone number, or an attendant's option or timeout, with its destination.
pub struct RoutedLine {
    /// The number, or the attendant's name and number.
    pub name: String,
    /// The label, or the key ("Key 1", "Timeout").
    pub detail: String,
    pub destination: String,
    pub dead_end: bool,
    /// Change destination's page (and fragment).
    pub change_href: String,
    /// The row's id, for the fragment.
    pub row_id: String,
}

/// A member of a ring group or an agent of a queue, with its Remove button.
pub struct MemberLine {
    pub user_id: UserId,
    pub label: String,
    /// "Remove 123 from Sales".
    pub remove_label: String,
}

/// A ring group or a call queue.
pub struct GroupLine {
    pub title: String,
    pub members: Vec<MemberLine>,
    pub add_href: String,
    pub remove_href: String,
    pub version: i32,
    /// Users who may be added (a small domain); `None`: an extension is typed.
    pub candidates: Option<Vec<Choice>>,
    pub field_id: String,
}

/// "Key 3", "Timeout".
fn key_words(key: &str) -> String {
    if key == TIMEOUT {
        "Timeout".to_owned()
    } else {
        format!("Key {key}")
    }
}

/// The Call routing page's rows, from the domain's overview.
pub struct RoutingTables {
    pub numbers: Vec<RoutedLine>,
    pub options: Vec<RoutedLine>,
    pub ring_groups: Vec<GroupLine>,
    pub queues: Vec<GroupLine>,
}

impl RoutingTables {
    pub fn new(domain: &str, overview: &Overview) -> Self {
        let names = DestinationNames::of(overview, &overview.ring_groups, &overview.queues);
        let numbers = overview
            .numbers
            .iter()
            .map(|n| RoutedLine {
                name: n.number.clone(),
                detail: n.label.clone(),
                destination: names.words(&n.dest),
                dead_end: n.dest.is_dead_end(),
                change_href: paths::routing_number(domain, n.id),
                row_id: format!("number-{}", n.id),
            })
            .collect();
        let attendants: HashMap<AttendantId, &AttendantRow> =
            overview.attendants.iter().map(|a| (a.id, a)).collect();
        let options = overview
            .options
            .iter()
            .map(|o| RoutedLine {
                name: attendants
                    .get(&o.attendant_id)
                    .map(|a| titled(&a.name, &a.number))
                    .unwrap_or_default(),
                detail: key_words(&o.key),
                destination: names.words(&o.dest),
                dead_end: o.dest.is_dead_end(),
                change_href: paths::routing_option(domain, o.id),
                row_id: format!("option-{}", o.id),
            })
            .collect();
        let member_lines = |name: &str, members: Vec<UserId>| -> Vec<MemberLine> {
            members
                .into_iter()
                .map(|user_id| {
                    let user = overview.users.get(&user_id);
                    MemberLine {
                        user_id,
                        label: user
                            .map(UserRef::label)
                            .unwrap_or_else(|| user_id.to_string()),
                        remove_label: format!(
                            "Remove {} from {name}",
                            user.map_or_else(|| user_id.to_string(), |u| u.extension.clone())
                        ),
                    }
                })
                .collect()
        };
        let candidates = |members: &[UserId]| {
            overview.choices.as_ref().map(|users| {
                users
                    .iter()
                    .filter(|user| !members.contains(&user.id))
                    .map(|user| Choice {
                        value: user.id.to_string(),
                        label: user.label(),
                        selected: false,
                    })
                    .collect()
            })
        };
        let ring_groups = overview
            .ring_groups
            .iter()
            .map(|g| {
                let members: Vec<UserId> = overview
                    .members
                    .iter()
                    .filter(|m| m.group == g.id)
                    .map(|m| m.user_id)
                    .collect();
                GroupLine {
                    title: titled(&g.name, &g.number),
                    candidates: candidates(&members),
                    members: member_lines(&g.name, members),
                    add_href: paths::routing_ring_group(domain, g.id, "add"),
                    remove_href: paths::routing_ring_group(domain, g.id, "remove"),
                    version: g.version,
                    field_id: format!("ring-group-{}-member", g.id),
                }
            })
            .collect();
        let queues = overview
            .queues
            .iter()
            .map(|q| {
                let agents: Vec<UserId> = overview
                    .agents
                    .iter()
                    .filter(|a| a.group == q.id)
                    .map(|a| a.user_id)
                    .collect();
                GroupLine {
                    title: titled(&q.name, &q.number),
                    candidates: candidates(&agents),
                    members: member_lines(&q.name, agents),
                    add_href: paths::routing_queue(domain, q.id, "add"),
                    remove_href: paths::routing_queue(domain, q.id, "remove"),
                    version: q.version,
                    field_id: format!("queue-{}-member", q.id),
                }
            })
            .collect();
        RoutingTables {
            numbers,
            options,
            ring_groups,
            queues,
        }
    }
}

pub const NUMBER_COLUMNS: [Column; 4] = [
    Column::text("Number"),
    Column::text("Label"),
    Column::text("Destination"),
    Column::hidden("Change"),
];

pub const OPTION_COLUMNS: [Column; 4] = [
    Column::text("Auto attendant"),
    Column::text("Key"),
    Column::text("Destination"),
    Column::hidden("Change"),
];

pub const RING_GROUP_COLUMNS: [Column; 3] = [
    Column::text("Ring group"),
    Column::text("Members"),
    Column::hidden("Add member"),
];

pub const QUEUE_COLUMNS: [Column; 3] = [
    Column::text("Call queue"),
    Column::text("Agents"),
    Column::hidden("Add member"),
];

#[derive(Template)]
#[template(path = "routing/page.html")]
pub struct RoutingPage {
    pub chrome: Chrome,
    pub domain: String,
    pub users_href: String,
    pub routing_href: String,
    pub dead_ends_only: bool,
    pub dead_ends: i64,
    pub tables: RoutingTables,
    pub flash: Option<String>,
}

impl RoutingPage {
    /// The Phone numbers table's empty state.
    pub fn empty_numbers(&self) -> &'static str {
        if self.dead_ends_only {
            "No phone number reaches nobody."
        } else {
            "No phone numbers."
        }
    }

    /// The Auto attendants table's empty state.
    pub fn empty_options(&self) -> &'static str {
        if self.dead_ends_only {
            "No attendant option reaches nobody."
        } else {
            "No auto attendant options."
        }
    }
}

/// Change destination of one number or option: the page without JavaScript.
#[derive(Template)]
#[template(path = "routing/change.html")]
pub struct ChangePage {
    pub chrome: Chrome,
    pub domain: String,
    pub routing_href: String,
    /// What is changed: "+12125550101", "Main menu (500) Key 3".
    pub what: String,
    pub action: String,
    pub version: i32,
    pub choices: Vec<Choice>,
    /// A large domain: the destination is typed (an extension, "Voicemail of" one, a
    /// group's or queue's number, or an E.164 number).
    pub typed: bool,
    pub typed_value: String,
    pub outside: String,
    pub error: Option<String>,
}

/// The Reached from list: the first lines, then the count of each kind past them.
#[derive(Debug, Clone)]
pub struct ReachedFrom {
    pub lines: Vec<String>,
    pub more: Vec<String>,
}

/// What the delete of users without a successor leaves reaching nobody: "1 phone number
/// and 1 attendant option will reach nobody.", or nothing.
pub fn reaching_nobody(reaches: &[Reach]) -> Option<String> {
    summarized_reaching_nobody(&ReachSummary::of(reaches, 0))
}

/// [`reaching_nobody`] of references counted, not read.
pub fn summarized_reaching_nobody(summary: &ReachSummary) -> Option<String> {
    let count = |kind| summary.count(kind);
    let parts: Vec<String> = [ReachKind::Number, ReachKind::Option]
        .into_iter()
        .map(|kind| (kind, count(kind)))
        .filter(|(_, n)| *n > 0)
        .map(|(kind, n)| kind.counted(n))
        .collect();
    (!parts.is_empty()).then(|| format!("{} will reach nobody.", parts.join(" and ")))
}

/// One **Successor for {extension}** field of the Delete Users Confirm step.
pub struct SuccessorField {
    /// The field's name: `successor_{user id}`.
    pub name: String,
    pub id: String,
    pub label: String,
    /// The user's phone numbers and attendant options, which reach nobody unless a
    /// successor takes them.
    pub calls: Calls,
}

/// Phone numbers and attendant options (timeouts included) that reach some users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Calls {
    pub numbers: usize,
    pub options: usize,
}

impl Calls {
    fn of<'a>(reaches: impl Iterator<Item = &'a Reach>) -> Self {
        let mut calls = Calls::default();
        for reach in reaches {
            match reach.kind {
                ReachKind::Number => calls.numbers += 1,
                ReachKind::Option => calls.options += 1,
                _ => {}
            }
        }
        calls
    }
}

/// The successor fields of a delete: Successor for all, and one per user (of the first
/// [`REACHED_FROM_LISTED`]) that is reached from anything; each a select of the other
/// users in a small domain, a typed extension in a large one.
pub struct Successors {
    pub each: Vec<SuccessorField>,
    /// `None`: the extension is typed.
    pub choices: Option<Vec<Choice>>,
    /// The calls of the users without a field of their own: only Successor for all
    /// takes them.
    pub rest: Calls,
}

impl Successors {
    pub fn new(selected: &[UserRef], reaches: &[Reach], choices: Option<Vec<UserRef>>) -> Self {
        Self::summarized(selected, reaches, &ReachSummary::of(reaches, 0), choices)
    }

    /// The fields of a selection whose references were counted (`summary`) and read
    /// only for the users of `selected` (`reaches`).
    pub fn summarized(
        selected: &[UserRef],
        reaches: &[Reach],
        summary: &ReachSummary,
        choices: Option<Vec<UserRef>>,
    ) -> Self {
        let reached: std::collections::HashSet<UserId> =
            reaches.iter().map(|reach| reach.user).collect();
        let each: Vec<SuccessorField> = selected
            .iter()
            .filter(|user| reached.contains(&user.id))
            .take(REACHED_FROM_LISTED)
            .map(|user| SuccessorField {
                name: format!("successor_{}", user.id),
                id: format!("successor-{}", user.id),
                label: format!("Successor for {}", user.extension),
                calls: Calls::of(reaches.iter().filter(|reach| reach.user == user.id)),
            })
            .collect();
        let all = Calls {
            numbers: summary.count(ReachKind::Number),
            options: summary.count(ReachKind::Option),
        };
        let rest = each.iter().fold(all, |rest, field| Calls {
            numbers: rest.numbers.saturating_sub(field.calls.numbers),
            options: rest.options.saturating_sub(field.calls.options),
        });
        let choices = choices.map(|users| {
            std::iter::once(Choice {
                value: String::new(),
                label: "No successor".into(),
                selected: true,
            })
            .chain(users.iter().map(|user| Choice {
                value: user.extension.clone(),
                label: user.label(),
                selected: false,
            }))
            .collect()
        });
        Successors {
            each,
            choices,
            rest,
        }
    }

    /// For the script that keeps the "will reach nobody" line true as successors are
    /// chosen: each field's name with its user's numbers and options,
    /// "successor_12:1:0 successor_14:0:2".
    pub fn calls_by_field(&self) -> String {
        self.each
            .iter()
            .map(|field| {
                format!(
                    "{}:{}:{}",
                    field.name, field.calls.numbers, field.calls.options
                )
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Whether any user is reached from anything (else no field is offered).
    pub fn offered(&self) -> bool {
        !self.each.is_empty()
    }
}

/// Lines listed before the rest are counted by kind.
pub const REACHED_FROM_LISTED: usize = 50;

impl ReachedFrom {
    pub fn new(reaches: &[Reach]) -> Self {
        Self::summarized(&ReachSummary::of(reaches, REACHED_FROM_LISTED))
    }

    /// The first lines of `summary`, then the count of each kind past them.
    pub fn summarized(summary: &ReachSummary) -> Self {
        let listed = &summary.listed[..summary.listed.len().min(REACHED_FROM_LISTED)];
        ReachedFrom {
            lines: listed.iter().map(|reach| reach.line.clone()).collect(),
            more: summary
                .counts
                .iter()
                .map(|&(kind, count)| {
                    let shown = listed.iter().filter(|reach| reach.kind == kind).count();
                    (kind, count.saturating_sub(shown))
                })
                .filter(|&(_, more)| more > 0)
                .map(|(kind, more)| format!("and {} more", kind.counted(more)))
                .collect(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }
}
