//! What each row of a file means for the users as they are now: its outcome (**Add**,
//! **Update**, **Recycle**, **Reset**, **Delete**, **Skip** or **Error** with a "Row N:"
//! message), decided by the same field rules and rights as the forms, and for each row
//! to apply a [`Plan`] that the job carries out and checks once more. Nothing is written.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::file::{Column, Row, Sheet};
use crate::db::DbConn;
use crate::db::domains::{self, Domain};
use crate::db::users::{self, User, UserRef};
use crate::domain::fields::{ParsedUser, TypedUser};
use crate::domain::ids::{DomainId, UserId};
use crate::domain::{ActorRights, Extension, Invalid, Refusal, Scope, TargetUser};
use crate::services::jobs::JobError;

/// What a row does, as the check table and the counts say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Add,
    Update,
    Recycle,
    Reset,
    Delete,
    Skip,
    Error,
}

impl Outcome {
    pub const ALL: [Outcome; 7] = [
        Outcome::Add,
        Outcome::Update,
        Outcome::Recycle,
        Outcome::Reset,
        Outcome::Delete,
        Outcome::Skip,
        Outcome::Error,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Add => "Add",
            Outcome::Update => "Update",
            Outcome::Recycle => "Recycle",
            Outcome::Reset => "Reset",
            Outcome::Delete => "Delete",
            Outcome::Skip => "Skip",
            Outcome::Error => "Error",
        }
    }

    /// Whether **Import** applies rows with this outcome.
    pub fn applies(self) -> bool {
        !matches!(self, Outcome::Skip | Outcome::Error)
    }
}

/// Fields an update (or a recycle, beyond the new person) sets; `None` leaves a field
/// as it is, so a column left out or empty never blanks anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub caller_id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub emergency_caller_id: Option<String>,
}

impl Changes {
    /// Only what differs from `user`.
    fn against(self, user: &User) -> Changes {
        let differs = |new: Option<String>, old: &str| new.filter(|new| new != old);
        Changes {
            first_name: differs(self.first_name, &user.first_name),
            last_name: differs(self.last_name, &user.last_name),
            email: self
                .email
                .filter(|new| Some(new.as_str()) != user.email.as_deref()),
            department: differs(self.department, &user.department),
            site: differs(self.site, &user.site),
            scope: self.scope.filter(|new| *new != user.scope.rank()),
            time_zone: differs(self.time_zone, &user.time_zone),
            caller_id_number: differs(self.caller_id_number, &user.caller_id_number),
            emergency_caller_id: differs(self.emergency_caller_id, &user.emergency_caller_id),
        }
    }

    /// The forms' names of the fields changed, e.g. "First Name, E-mail".
    pub fn describe(&self) -> String {
        [
            (self.first_name.is_some(), Column::FirstName),
            (self.last_name.is_some(), Column::LastName),
            (self.email.is_some(), Column::Email),
            (self.department.is_some(), Column::Department),
            (self.site.is_some(), Column::Site),
            (self.scope.is_some(), Column::Scope),
            (self.time_zone.is_some(), Column::TimeZone),
            (self.caller_id_number.is_some(), Column::CallerIdNumber),
            (
                self.emergency_caller_id.is_some(),
                Column::EmergencyCallerId,
            ),
        ]
        .into_iter()
        .filter_map(|(changed, column)| changed.then_some(column.label()))
        .collect::<Vec<_>>()
        .join(", ")
    }

    pub fn is_empty(&self) -> bool {
        *self == Changes::default()
    }
}

/// What applying a row does. Rows for an existing user carry the row version the check
/// saw: a user changed since is skipped rather than changed blindly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "do", rename_all = "snake_case")]
pub enum Plan {
    Add {
        first_name: String,
        last_name: String,
        email: Option<String>,
        scope: i32,
        department: String,
        site: String,
        #[serde(default)]
        time_zone: String,
        #[serde(default)]
        caller_id_number: String,
        #[serde(default)]
        emergency_caller_id: String,
    },
    Update {
        user_id: UserId,
        version: i32,
        changes: Changes,
    },
    /// The default reset, then the extension given to a new person.
    Recycle {
        user_id: UserId,
        version: i32,
        first_name: String,
        last_name: String,
        email: Option<String>,
        changes: Changes,
    },
    Reset {
        user_id: UserId,
        version: i32,
    },
    /// With a successor, the user's call routing is handed to them in the delete.
    Delete {
        user_id: UserId,
        version: i32,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        successor: Option<UserId>,
    },
}

impl Plan {
    pub fn user(&self) -> Option<(UserId, i32)> {
        match self {
            Plan::Add { .. } => None,
            Plan::Update {
                user_id, version, ..
            }
            | Plan::Recycle {
                user_id, version, ..
            }
            | Plan::Reset { user_id, version }
            | Plan::Delete {
                user_id, version, ..
            } => Some((*user_id, *version)),
        }
    }
}

/// One row, checked.
#[derive(Debug, Clone)]
pub struct CheckedRow {
    pub number: usize,
    /// Shared by every row of the domain: a file of 50,000 rows holds one copy.
    pub domain: Option<Arc<Domain>>,
    pub extension: String,
    /// The user's name now, or the new person's.
    pub name: String,
    /// The user's name before the import (empty for a row that adds).
    pub name_before: String,
    pub outcome: Outcome,
    /// "Row N: …" for an error or a skip; what an update changes.
    pub note: String,
    pub plan: Option<Plan>,
}

/// A whole file, checked.
#[derive(Debug, Clone)]
pub struct Checked {
    pub rows: Vec<CheckedRow>,
    /// Columns of the file that the import does not read.
    pub ignored_columns: Vec<String>,
}

impl Checked {
    pub fn count(&self, outcome: Outcome) -> usize {
        self.rows
            .iter()
            .filter(|row| row.outcome == outcome)
            .count()
    }

    /// How many rows **Import** applies.
    pub fn applicable(&self) -> usize {
        self.rows.iter().filter(|row| row.outcome.applies()).count()
    }

    /// What the check found per row, kept with the file until it is imported.
    pub fn summary(&self) -> Vec<RowSummary> {
        self.rows
            .iter()
            .map(|row| RowSummary {
                number: row.number,
                outcome: row.outcome,
                version: row.plan.as_ref().and_then(Plan::user).map(|(_, v)| v),
                note: (!row.note.is_empty()).then(|| row.note.clone()),
                extension: row.extension.clone(),
                name: row.name.clone(),
            })
            .collect()
    }
}

/// What the check found for one row, as kept between Check and Import: enough to show
/// the check page again (`…/import/{key}`) and to tell at Import what changed since.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RowSummary {
    #[serde(rename = "n")]
    pub number: usize,
    #[serde(rename = "o")]
    pub outcome: Outcome,
    #[serde(rename = "v", skip_serializing_if = "Option::is_none", default)]
    pub version: Option<i32>,
    /// The row's message, as the check page shows it (an error's is what Download errors
    /// writes).
    #[serde(rename = "e", skip_serializing_if = "Option::is_none", default)]
    pub note: Option<String>,
    #[serde(rename = "x", default)]
    pub extension: String,
    #[serde(rename = "m", default)]
    pub name: String,
}

/// Where a file's rows go.
#[derive(Debug, Clone, Copy)]
pub enum Reach<'a> {
    /// A domain's import page: every row is for this domain.
    Domain(&'a Domain),
    /// `/import`: each row names its domain, which the actor must manage.
    Domains,
}

/// The action a row asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wanted {
    /// Empty: add a new extension, update an existing one.
    Either,
    Add,
    Update,
    Recycle,
    Reset,
    Delete,
}

fn wanted(text: Option<&str>) -> Result<Wanted, String> {
    let Some(text) = text else {
        return Ok(Wanted::Either);
    };
    Ok(match text.to_ascii_lowercase().as_str() {
        "add" => Wanted::Add,
        "update" => Wanted::Update,
        "recycle" => Wanted::Recycle,
        "reset" => Wanted::Reset,
        "delete" => Wanted::Delete,
        _ => {
            return Err(format!(
                "Action must be add, update, recycle, reset or delete, not \"{text}\"."
            ));
        }
    })
}

/// A row that names a domain and a valid extension, waiting for its user to be known.
struct Placed {
    index: usize,
    domain: Arc<Domain>,
    extension: Extension,
    wanted: Wanted,
}

/// Checks every row of `sheet` against the users as they are now, for `rights`.
pub fn check(
    conn: &mut DbConn,
    rights: &ActorRights,
    reach: Reach<'_>,
    sheet: &Sheet,
) -> QueryResult<Checked> {
    let header = &sheet.header;
    let mut rows: Vec<CheckedRow> = Vec::with_capacity(sheet.rows.len());
    let mut placed: Vec<Placed> = Vec::with_capacity(sheet.rows.len());
    let mut domains_by_name: HashMap<String, Result<Arc<Domain>, String>> = HashMap::new();
    let home = match reach {
        Reach::Domain(domain) => Some(Arc::new(domain.clone())),
        Reach::Domains => None,
    };
    for (index, row) in sheet.rows.iter().enumerate() {
        let extension_text = row.get(header, Column::Extension).unwrap_or_default();
        let mut checked = CheckedRow {
            number: row.number,
            domain: None,
            extension: extension_text.to_owned(),
            name: String::new(),
            name_before: String::new(),
            outcome: Outcome::Error,
            note: String::new(),
            plan: None,
        };
        let verdict = first_look(
            conn,
            rights,
            home.as_ref(),
            header,
            row,
            &mut domains_by_name,
        )?;
        match verdict {
            Ok(Some((domain, extension, wanted))) => {
                checked.domain = Some(domain.clone());
                placed.push(Placed {
                    index,
                    domain,
                    extension,
                    wanted,
                });
            }
            Ok(None) => {
                checked.outcome = Outcome::Skip;
                checked.note = format!("Row {}: The row is empty.", row.number);
            }
            Err(message) => checked.note = format!("Row {}: {message}", row.number),
        }
        rows.push(checked);
    }

    // The same extension twice in one domain: every such row is an error, since which
    // one is meant cannot be told.
    let mut seen: HashMap<(DomainId, &str), Vec<usize>> = HashMap::new();
    for one in &placed {
        seen.entry((one.domain.id, one.extension.as_str()))
            .or_default()
            .push(rows[one.index].number);
    }

    let existing = existing_users(conn, &placed)?;
    for one in &placed {
        let numbers = &seen[&(one.domain.id, one.extension.as_str())];
        let row = &mut rows[one.index];
        if numbers.len() > 1 {
            let list: Vec<String> = numbers.iter().map(usize::to_string).collect();
            row.note = format!(
                "Row {}: Extension {} appears more than once in the file (rows {}).",
                row.number,
                one.extension,
                list.join(", ")
            );
            continue;
        }
        let user = existing.get(&(one.domain.id, one.extension.as_str().to_owned()));
        let source = &sheet.rows[one.index];
        row.name_before = user.map(User::full_name).unwrap_or_default();
        match decide(
            rights,
            header,
            source,
            &one.domain,
            &one.extension,
            one.wanted,
            user,
        ) {
            Ok((outcome, plan, note)) => {
                row.name = match (&plan, user) {
                    (
                        Plan::Add {
                            first_name,
                            last_name,
                            ..
                        },
                        _,
                    )
                    | (
                        Plan::Recycle {
                            first_name,
                            last_name,
                            ..
                        },
                        _,
                    ) => format!("{first_name} {last_name}").trim().to_owned(),
                    (_, Some(user)) => user.full_name(),
                    (_, None) => String::new(),
                };
                row.outcome = outcome;
                row.note = note;
                row.plan = Some(plan);
            }
            Err(message) => {
                row.name = user.map(User::full_name).unwrap_or_default();
                row.note = format!("Row {}: {message}", row.number);
            }
        }
    }
    hand_over(conn, sheet, &placed, &mut rows)?;
    Ok(Checked {
        rows,
        ignored_columns: header.ignored.clone(),
    })
}

/// Gives each delete row that names a successor the successor's user: a user of the
/// row's domain whom the file does not delete. A row whose successor is unknown or
/// deleted too becomes an error in the dialog's words; as that row then deletes nobody,
/// the rows are looked at again until none changes.
fn hand_over(
    conn: &mut DbConn,
    sheet: &Sheet,
    placed: &[Placed],
    rows: &mut [CheckedRow],
) -> QueryResult<()> {
    let named: Vec<(&Placed, Extension)> = placed
        .iter()
        .filter(|one| rows[one.index].outcome == Outcome::Delete)
        .filter_map(|one| {
            let cell = sheet.rows[one.index].get(&sheet.header, Column::Successor)?;
            Some((one, Extension::parse(cell).ok()?))
        })
        .collect();
    if named.is_empty() {
        return Ok(());
    }
    let mut wanted: HashMap<DomainId, Vec<&str>> = HashMap::new();
    for (one, successor) in &named {
        wanted
            .entry(one.domain.id)
            .or_default()
            .push(successor.as_str());
    }
    let mut found: HashMap<(DomainId, String), UserRef> = HashMap::new();
    for (domain_id, extensions) in wanted {
        for user in users::refs_with_extensions(conn, domain_id, &extensions)? {
            found.insert((domain_id, user.extension.clone()), user);
        }
    }
    loop {
        let deleting: HashSet<(DomainId, &str)> = placed
            .iter()
            .filter(|one| rows[one.index].outcome == Outcome::Delete)
            .map(|one| (one.domain.id, one.extension.as_str()))
            .collect();
        let mut changed = false;
        for (one, successor) in &named {
            let row = &mut rows[one.index];
            if row.outcome != Outcome::Delete {
                continue;
            }
            let refusal = if deleting.contains(&(one.domain.id, successor.as_str())) {
                JobError::SuccessorDeleted {
                    user: one.extension.to_string(),
                    successor: successor.to_string(),
                }
            } else if let Some(user) = found.get(&(one.domain.id, successor.to_string())) {
                if let Some(Plan::Delete { successor, .. }) = &mut row.plan {
                    *successor = Some(user.id);
                }
                row.note = format!("Hands call routing to {}", user.label());
                continue;
            } else {
                JobError::UnknownSuccessor(successor.to_string())
            };
            row.outcome = Outcome::Error;
            row.note = format!("Row {}: {refusal}", row.number);
            row.plan = None;
            changed = true;
        }
        if !changed {
            return Ok(());
        }
    }
}

/// A row's domain, extension and action, or why it is refused; `None` for a blank row.
type FirstLook = Result<Option<(Arc<Domain>, Extension, Wanted)>, String>;

/// The row's domain, extension and action, or why it is refused; `None` for a blank row.
fn first_look(
    conn: &mut DbConn,
    rights: &ActorRights,
    home: Option<&Arc<Domain>>,
    header: &super::file::Header,
    row: &Row,
    domains_by_name: &mut HashMap<String, Result<Arc<Domain>, String>>,
) -> QueryResult<FirstLook> {
    if row.is_blank() {
        return Ok(Ok(None));
    }
    if row.overlong {
        return Ok(Err(
            "The row has more fields than the first row names columns.".into(),
        ));
    }
    let named = row.get(header, Column::Domain).map(str::to_ascii_lowercase);
    let domain = match (home, named) {
        (Some(domain), None) => Arc::clone(domain),
        (Some(domain), Some(name)) if name == domain.name => Arc::clone(domain),
        (Some(domain), Some(name)) => {
            return Ok(Err(format!(
                "This import is for {}; the row names {name}. Import rows of several domains from Import on the Domains page.",
                domain.name
            )));
        }
        (None, None) => return Ok(Err("Domain is required.".into())),
        (None, Some(name)) => {
            if !domains_by_name.contains_key(&name) {
                let found = domains::find_by_name(conn, &name)?
                    .filter(|domain| rights.may_manage_domain(domain.as_ref()).is_ok())
                    .map(Arc::new)
                    .ok_or_else(|| format!("The domain {name} is not one you manage."));
                domains_by_name.insert(name.clone(), found);
            }
            match &domains_by_name[&name] {
                Ok(domain) => Arc::clone(domain),
                Err(message) => return Ok(Err(message.clone())),
            }
        }
    };
    let extension = match row.get(header, Column::Extension).map(Extension::parse) {
        None => return Ok(Err("Extension is required.".into())),
        Some(Err(invalid)) => return Ok(Err(format!("Extension: {invalid}"))),
        Some(Ok(extension)) => extension,
    };
    Ok(wanted(row.get(header, Column::Action)).map(|wanted| Some((domain, extension, wanted))))
}

/// The users the placed rows name, by domain and extension.
fn existing_users(
    conn: &mut DbConn,
    placed: &[Placed],
) -> QueryResult<HashMap<(DomainId, String), User>> {
    let mut by_domain: HashMap<DomainId, Vec<&str>> = HashMap::new();
    for one in placed {
        by_domain
            .entry(one.domain.id)
            .or_default()
            .push(one.extension.as_str());
    }
    let mut found = HashMap::with_capacity(placed.len());
    for (domain_id, extensions) in by_domain {
        for user in users::with_extensions(conn, domain_id, &extensions)? {
            found.insert((domain_id, user.extension.clone()), user);
        }
    }
    Ok(found)
}

/// The outcome, plan and note of a row whose domain, extension and action are known.
fn decide(
    rights: &ActorRights,
    header: &super::file::Header,
    row: &Row,
    domain: &Domain,
    extension: &Extension,
    wanted: Wanted,
    user: Option<&User>,
) -> Result<(Outcome, Plan, String), String> {
    let value = |column: Column| row.get(header, column);
    // Each cell read by the rule the user form uses; an empty cell is not given.
    let parsed = ParsedUser::parse(&TypedUser {
        extension: None,
        first_name: value(Column::FirstName),
        last_name: value(Column::LastName),
        email: value(Column::Email),
        scope: value(Column::Scope),
        department: value(Column::Department),
        site: value(Column::Site),
        time_zone: value(Column::TimeZone),
        caller_id_number: value(Column::CallerIdNumber),
        emergency_caller_id: value(Column::EmergencyCallerId),
    });
    let labelled =
        |column: Column| move |invalid: &Invalid| format!("{}: {invalid}", column.label());
    let text = |column: Column| -> Result<Option<String>, String> {
        let cell = match column {
            Column::Department => &parsed.department,
            _ => &parsed.site,
        };
        cell.as_ref()
            .map(|read| {
                read.as_ref()
                    .map(|text| text.as_str().to_owned())
                    .map_err(labelled(column))
            })
            .transpose()
    };
    let name = |column: Column| -> Result<String, String> {
        let cell = match column {
            Column::FirstName => &parsed.first_name,
            _ => &parsed.last_name,
        };
        match cell {
            None => Err(format!("{} is required.", column.label())),
            Some(read) => read
                .as_ref()
                .map(|name| name.as_str().to_owned())
                .map_err(labelled(column)),
        }
    };
    let email = || -> Result<Option<String>, String> {
        match &parsed.email {
            None => Ok(None),
            Some(read) => read
                .as_ref()
                .map(|email| email.as_ref().map(|email| email.as_str().to_owned()))
                .map_err(labelled(Column::Email)),
        }
    };
    let phone_field = |column: Column| -> Result<Option<String>, String> {
        let cell = match column {
            Column::TimeZone => parsed
                .time_zone
                .as_ref()
                .map(|read| read.as_ref().map(|zone| zone.as_str().to_owned())),
            Column::CallerIdNumber => parsed
                .caller_id_number
                .as_ref()
                .map(|read| read.as_ref().map(|id| id.as_str().to_owned())),
            _ => parsed
                .emergency_caller_id
                .as_ref()
                .map(|read| read.as_ref().map(|id| id.as_str().to_owned())),
        };
        cell.transpose()
            .map_err(|invalid| labelled(column)(invalid))
    };
    let scope = || -> Result<Option<Scope>, String> {
        let Some(read) = &parsed.scope else {
            return Ok(None);
        };
        let scope = *read.as_ref().map_err(labelled(Column::Scope))?;
        if scope > rights.scope {
            return Err("You cannot give a scope higher than your own.".into());
        }
        Ok(Some(scope))
    };
    let not_found = || format!("There is no user with extension {extension} in this domain.");
    let wanted = match (wanted, user) {
        (Wanted::Either, None) => Wanted::Add,
        (Wanted::Either, Some(_)) => Wanted::Update,
        (other, _) => other,
    };
    if let Some(successor) = value(Column::Successor) {
        if wanted != Wanted::Delete {
            return Err("Successor is read only on rows whose action is delete.".into());
        }
        Extension::parse(successor).map_err(|invalid| labelled(Column::Successor)(&invalid))?;
    }
    if wanted == Wanted::Add {
        if user.is_some() {
            return Err(format!(
                "Extension {extension} is already taken in this domain."
            ));
        }
        let plan = Plan::Add {
            first_name: name(Column::FirstName)?,
            last_name: name(Column::LastName)?,
            email: email()?,
            scope: scope()?.unwrap_or(Scope::BasicUser).rank(),
            department: text(Column::Department)?.unwrap_or_default(),
            site: text(Column::Site)?.unwrap_or_default(),
            time_zone: phone_field(Column::TimeZone)?.unwrap_or_default(),
            caller_id_number: phone_field(Column::CallerIdNumber)?.unwrap_or_default(),
            emergency_caller_id: phone_field(Column::EmergencyCallerId)?.unwrap_or_default(),
        };
        return Ok((Outcome::Add, plan, String::new()));
    }
    let user = user.ok_or_else(not_found)?;
    let target = TargetUser {
        id: user.id,
        scope: user.scope,
        domain: domain.as_ref(),
    };
    let (user_id, version) = (user.id, user.version);
    match wanted {
        Wanted::Update => {
            let changes = Changes {
                first_name: value(Column::FirstName)
                    .map(|_| name(Column::FirstName))
                    .transpose()?,
                last_name: value(Column::LastName)
                    .map(|_| name(Column::LastName))
                    .transpose()?,
                email: email()?,
                department: text(Column::Department)?,
                site: text(Column::Site)?,
                scope: scope()?.map(Scope::rank),
                time_zone: phone_field(Column::TimeZone)?,
                caller_id_number: phone_field(Column::CallerIdNumber)?,
                emergency_caller_id: phone_field(Column::EmergencyCallerId)?,
            }
            .against(user);
            if !changes.is_empty() {
                // Editing one's own details is allowed, never one's own scope; on
                // others, the usual rule.
                if user.id == rights.user_id {
                    if changes.scope.is_some() {
                        return Err("You cannot change your own scope.".into());
                    }
                } else {
                    rights.may_act_on(target).map_err(refused)?;
                }
            }
            let note = if changes.is_empty() {
                "No change".to_owned()
            } else {
                format!("Changes {}", changes.describe())
            };
            Ok((
                Outcome::Update,
                Plan::Update {
                    user_id,
                    version,
                    changes,
                },
                note,
            ))
        }
        Wanted::Recycle => {
            rights.may_act_on(target).map_err(refused)?;
            let plan = Plan::Recycle {
                user_id,
                version,
                first_name: name(Column::FirstName)?,
                last_name: name(Column::LastName)?,
                email: email()?,
                changes: Changes {
                    department: text(Column::Department)?,
                    site: text(Column::Site)?,
                    scope: scope()?.map(Scope::rank),
                    time_zone: phone_field(Column::TimeZone)?,
                    caller_id_number: phone_field(Column::CallerIdNumber)?,
                    emergency_caller_id: phone_field(Column::EmergencyCallerId)?,
                    ..Changes::default()
                }
                .against(user),
            };
            Ok((Outcome::Recycle, plan, String::new()))
        }
        Wanted::Reset => {
            rights.may_act_on(target).map_err(refused)?;
            Ok((
                Outcome::Reset,
                Plan::Reset { user_id, version },
                String::new(),
            ))
        }
        Wanted::Delete => {
            rights.may_act_on(target).map_err(refused)?;
            // The successor is found once every row is decided (see `hand_over`).
            let plan = Plan::Delete {
                user_id,
                version,
                successor: None,
            };
            Ok((Outcome::Delete, plan, String::new()))
        }
        Wanted::Add | Wanted::Either => Err(not_found()),
    }
}

fn refused(refusal: Refusal) -> String {
    refusal.to_string()
}
