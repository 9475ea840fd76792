//! **Import {N} rows**: the kept file is checked again, each row still meaning what the
//! check showed becomes an item of one bulk job with its [`Plan`], the others are
//! skipped at once with the reason; then the worker applies the plans, re-checking each
//! row against the user as it is (still free, unchanged since, still within the
//! actor's rights) in the same transaction that finishes its item.

use std::collections::{HashMap, HashSet};

use chrono::{NaiveDateTime, Utc};
use diesel::prelude::*;

use super::check::{self, Changes, CheckedRow, Outcome, Plan, Reach, RowSummary};
use super::file;
use crate::db::audit;
use crate::db::domains::{self, Domain};
use crate::db::imports::{self, ImportFile, NewImportRow};
use crate::db::jobs::{self, Item, Job, NewItem, NewJob};
use crate::db::users::{self, NewUser, User, UserRef};
use crate::db::{DbConn, outbox, write_transaction};
use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::reset::ResetOptions;
use crate::domain::states::{ItemState, JobState};
use crate::domain::{ActorRights, Email, PersonName, Scope, TargetUser};
use crate::services::deleted::{SUCCESSOR_GONE, delete_users};
use crate::services::jobs::JobError;
use crate::services::jobs::spec::{Action, JobSpec};
use crate::services::mail::{LinkContext, OVER_DAILY_CAP};
use crate::services::reset::{NewOccupant, recycle_user, reset_users, void_links_and_mail};
use crate::services::welcome::welcome_users;
use crate::services::{Acting, AuditActor, Authority};

/// Why **Import** starts nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(
        "This checked file is gone: it was imported already, or checked more than a day ago. Check the file again."
    )]
    FileGone,
    #[error("{0}")]
    File(#[from] file::FileError),
    #[error("No row of this file can be imported: fix the errors and check it again.")]
    NothingToImport,
    /// Rows with errors, by their number in the sheet (the column names are row 1).
    #[error("{} rows have errors; nothing was started.", .0.len())]
    RowErrors(Vec<(usize, String)>),
    #[error("No row changes anything: nothing was started.")]
    NoChange,
    #[error("{0}")]
    Job(#[from] JobError),
    #[error("no randomness for a checked file's key: {0}")]
    Random(#[from] getrandom::Error),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<crate::domain::Refusal> for ImportError {
    fn from(refusal: crate::domain::Refusal) -> Self {
        ImportError::Job(JobError::Refused(refusal))
    }
}

/// The checked file `file_key` of the acting user for `reach`, checked again and
/// started as a job. An import across domains is one job whose own domain is that of
/// its first row, naming the others.
pub fn start(
    conn: &mut DbConn,
    acting: &Acting,
    reach: Reach<'_>,
    file_key: &str,
    welcome: bool,
) -> Result<JobId, ImportError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser.into());
    };
    let now = Utc::now().naive_utc();
    write_transaction(conn, |conn| {
        let kept = imports::find_file(conn, file_key, rights.user_id)?
            .filter(|kept| kept.domain_id == reach.domain().map(|domain| domain.id))
            .ok_or(ImportError::FileGone)?;
        if let Reach::Domain(domain) = reach {
            rights.may_manage_domain(domain.as_ref())?;
        }
        let sheet = file::read(kept.content.as_bytes())?;
        let now_checked = check::check(conn, &rights, reach, &sheet)?;
        drop(sheet);
        let before: Vec<RowSummary> = serde_json::from_str(&kept.checked)
            .map_err(|err| JobError::Damaged(err.to_string()))?;
        let by_number: HashMap<usize, &CheckedRow> = now_checked
            .rows
            .iter()
            .map(|row| (row.number, row))
            .collect();
        let home_domain = reach.domain().map(|domain| domain.id);
        // Each row the check found applicable, as it is now, in its domain (a row whose
        // domain went out of reach meanwhile is left out, as an error would be).
        let rows: Vec<(&RowSummary, &CheckedRow, DomainId)> = before
            .iter()
            .filter(|was| was.outcome.applies())
            .filter_map(|was| {
                let row = *by_number.get(&was.number)?;
                let domain = row.domain.as_ref().map(|d| d.id).or(home_domain)?;
                Some((was, row, domain))
            })
            .collect();
        let Some(home) = rows.first().map(|(_, _, domain)| *domain) else {
            return Err(ImportError::NothingToImport);
        };
        let mut also: Vec<DomainId> = rows
            .iter()
            .map(|(_, _, domain)| *domain)
            .filter(|id| *id != home)
            .collect();
        also.sort();
        also.dedup();
        let spec = JobSpec::new(Action::Import { welcome, also }, &rights);
        let options =
            serde_json::to_string(&spec).map_err(|err| JobError::Damaged(err.to_string()))?;
        let total = i32::try_from(rows.len()).unwrap_or(i32::MAX);
        let job_id = jobs::insert_job(
            conn,
            &NewJob {
                domain_id: home,
                actor_id: acting.audit.user_id,
                actor_login: &acting.audit.login,
                kind: "import",
                options: &options,
                state: JobState::Pending.as_str(),
                total,
            },
        )?;
        // Items and plans go in chunks, so a file of 50,000 rows never has them all in
        // memory at once.
        for chunk in rows.chunks(ITEM_CHUNK) {
            let mut items = Vec::with_capacity(chunk.len());
            let mut plans = Vec::with_capacity(chunk.len());
            for (was, row, domain_id) in chunk {
                let version = row.plan.as_ref().and_then(Plan::user).map(|(_, v)| v);
                let reason = changed_meaning(was, row, version);
                if reason.is_none()
                    && let Some(plan) = &row.plan
                {
                    plans.push(NewImportRow {
                        job_id,
                        domain_id: *domain_id,
                        extension: row.extension.clone(),
                        row_number: i32::try_from(row.number).unwrap_or(i32::MAX),
                        plan: serde_json::to_string(plan)
                            .map_err(|err| JobError::Damaged(err.to_string()))?,
                    });
                }
                items.push(NewItem {
                    job_id,
                    domain_id: *domain_id,
                    user_id: row.plan.as_ref().and_then(Plan::user).map(|(id, _)| id),
                    extension: row.extension.clone(),
                    user_name: row.name_before.clone(),
                    state: if reason.is_some() {
                        ItemState::Skipped.as_str()
                    } else {
                        ItemState::Pending.as_str()
                    },
                    finished_at: reason.as_ref().map(|_| now),
                    reason,
                });
            }
            jobs::insert_items(conn, &items)?;
            imports::insert_rows(conn, &plans)?;
        }
        imports::forget_file(conn, kept.id)?;
        acting.audit.record_in_domain(
            conn,
            home,
            audit::BULK_START,
            &format!(
                "import of {total} rows from {} (job {job_id})",
                kept.file_name
            ),
        )?;
        jobs::update_state(conn, job_id, now, now)?;
        Ok(job_id)
    })
}

/// Items (and plans) written per statement when an import starts.
const ITEM_CHUNK: usize = 1000;

/// Why a row the check found applicable is skipped at once: it is an error now, its
/// outcome changed, or its user was changed since the check.
fn changed_meaning(was: &RowSummary, row: &CheckedRow, version: Option<i32>) -> Option<String> {
    if row.outcome == Outcome::Error {
        Some(row.note.clone())
    } else if row.outcome != was.outcome {
        Some(format!(
            "Row {}: Changed since the check: it would now be {}.",
            row.number,
            row.outcome.label()
        ))
    } else if version != was.version {
        Some(format!(
            "Row {}: The user was changed since the check.",
            row.number
        ))
    } else {
        None
    }
}

/// One item with its plan and, for a row about an existing user, that user now (and a
/// delete's successor).
struct Ready<'a> {
    item: &'a Item,
    number: i32,
    plan: Plan,
    user: Option<User>,
    successor: Option<UserRef>,
}

/// Works on a batch of an import job's items, domain by domain: each row re-checked,
/// then applied. Rows of a domain the actor may no longer manage are skipped.
#[allow(clippy::too_many_arguments)]
pub fn work(
    conn: &mut DbConn,
    job: &Job,
    rights: &ActorRights,
    items: &[&Item],
    welcome: bool,
    links: &LinkContext,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let mut by_domain: Vec<(DomainId, Vec<&Item>)> = Vec::new();
    for item in items {
        match by_domain.iter_mut().find(|(id, _)| *id == item.domain_id) {
            Some((_, grouped)) => grouped.push(item),
            None => by_domain.push((item.domain_id, vec![item])),
        }
    }
    for (domain_id, grouped) in by_domain {
        let domain = domains::find(conn, domain_id)?;
        let refusal = match &domain {
            None => Some(crate::domain::Refusal::OtherDomain),
            Some(domain) => rights.may_manage_domain(domain.as_ref()).err(),
        };
        match (domain, refusal) {
            (Some(domain), None) => {
                work_in_domain(conn, job, &domain, rights, &grouped, welcome, links, now)?
            }
            (_, refusal) => {
                let ids: Vec<i64> = grouped.iter().map(|item| item.id).collect();
                let reason = refusal.map(|r| r.to_string()).unwrap_or_default();
                jobs::finish_items(conn, &ids, ItemState::Skipped, Some(&reason), now)?;
                let keys: Vec<(DomainId, String)> = grouped
                    .iter()
                    .map(|item| (item.domain_id, item.extension.clone()))
                    .collect();
                imports::forget_rows(conn, job.id, &keys)?;
            }
        }
    }
    Ok(())
}

/// Works on the items of one domain.
#[allow(clippy::too_many_arguments)]
fn work_in_domain(
    conn: &mut DbConn,
    job: &Job,
    domain: &Domain,
    rights: &ActorRights,
    items: &[&Item],
    welcome: bool,
    links: &LinkContext,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let keys: Vec<(DomainId, String)> = items
        .iter()
        .map(|item| (item.domain_id, item.extension.clone()))
        .collect();
    let mut plans = imports::plans_of(conn, job.id, &keys)?;
    let user_ids: Vec<_> = items.iter().filter_map(|item| item.user_id).collect();
    let mut current: HashMap<_, User> = HashMap::with_capacity(user_ids.len());
    for user in users::find_many(conn, &user_ids)? {
        current.insert(user.id, user);
    }
    let adds: Vec<&str> = items
        .iter()
        .filter(|item| item.user_id.is_none())
        .map(|item| item.extension.as_str())
        .collect();
    let taken = users::extensions_in_use(conn, domain.id, &adds)?;
    let mut ready = Vec::with_capacity(items.len());
    let mut skipped: Vec<(i64, String)> = Vec::new();
    let mut planned: Vec<(&Item, i32, Plan)> = Vec::with_capacity(items.len());
    for item in items {
        let Some((number, plan)) = plans.remove(&(item.domain_id, item.extension.clone())) else {
            skipped.push((item.id, "The row's plan is missing.".into()));
            continue;
        };
        match serde_json::from_str::<Plan>(&plan) {
            Ok(plan) => planned.push((item, number, plan)),
            Err(_) => skipped.push((item.id, format!("Row {number}: The row's plan is damaged."))),
        }
    }
    let successors = successors_of(conn, domain, planned.iter().map(|(_, _, plan)| plan))?;
    for (item, number, plan) in planned {
        let user = plan.user().and_then(|(id, _)| current.remove(&id));
        let successor = match plan {
            Plan::Delete {
                successor: Some(id),
                ..
            } => match successors.get(&id) {
                Some(successor) => Some(successor.clone()),
                None => {
                    skipped.push((item.id, format!("Row {number}: {SUCCESSOR_GONE}")));
                    continue;
                }
            },
            _ => None,
        };
        match still_good(
            rights,
            domain,
            &plan,
            user.as_ref(),
            &taken,
            &item.extension,
        ) {
            Ok(()) => ready.push(Ready {
                item,
                number,
                plan,
                user,
                successor,
            }),
            Err(reason) => skipped.push((item.id, format!("Row {number}: {reason}"))),
        }
    }
    for (item_id, reason) in &skipped {
        jobs::finish_items(conn, &[*item_id], ItemState::Skipped, Some(reason), now)?;
    }
    let actor = AuditActor {
        user_id: job.actor_id,
        login: job.actor_login.clone(),
    };
    let apply = Apply {
        job,
        domain,
        actor: &actor,
        links,
        welcome,
        now,
    };
    let together = conn.transaction(|conn| apply.rows(conn, &ready));
    if let Ok(unmailed) = together {
        let (capped, done): (Vec<&Ready<'_>>, Vec<&Ready<'_>>) = ready
            .iter()
            .partition(|one| unmailed.contains(&one.item.extension));
        let done: Vec<i64> = done.iter().map(|one| one.item.id).collect();
        jobs::finish_items(conn, &done, ItemState::Done, None, now)?;
        let capped: Vec<i64> = capped.iter().map(|one| one.item.id).collect();
        jobs::finish_items(conn, &capped, ItemState::Done, Some(OVER_DAILY_CAP), now)?;
    } else {
        for one in &ready {
            let alone = conn.transaction(|conn| apply.rows(conn, std::slice::from_ref(one)));
            match alone {
                Ok(unmailed) => {
                    let note = (!unmailed.is_empty()).then_some(OVER_DAILY_CAP);
                    jobs::finish_items(conn, &[one.item.id], ItemState::Done, note, now)?
                }
                Err(err) => {
                    tracing::warn!(item = one.item.id, error = %err, "import row failed");
                    let reason = format!(
                        "Row {}: The database refused the change; nothing was changed for this row.",
                        one.number
                    );
                    jobs::finish_items(conn, &[one.item.id], ItemState::Failed, Some(&reason), now)?
                }
            };
        }
    }
    imports::forget_rows(conn, job.id, &keys)?;
    Ok(())
}

/// The successors the delete rows among `plans` name, as they are now in `domain`, by
/// id: one missing is gone since the check.
fn successors_of<'a>(
    conn: &mut DbConn,
    domain: &Domain,
    plans: impl Iterator<Item = &'a Plan>,
) -> QueryResult<HashMap<UserId, UserRef>> {
    let ids: Vec<UserId> = plans
        .filter_map(|plan| match plan {
            Plan::Delete { successor, .. } => *successor,
            _ => None,
        })
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::refs_in_domain(conn, domain.id, &ids)?
        .into_iter()
        .map(|user| (user.id, user))
        .collect())
}

/// Whether a row checked before may still be applied to things as they are now.
fn still_good(
    rights: &ActorRights,
    domain: &Domain,
    plan: &Plan,
    user: Option<&User>,
    taken: &HashSet<String>,
    extension: &str,
) -> Result<(), String> {
    if let Plan::Add { scope, .. } = plan {
        if taken.contains(extension) {
            return Err(format!(
                "Extension {extension} is already taken in this domain."
            ));
        }
        if Scope::from_rank(*scope).is_none_or(|scope| scope > rights.scope) {
            return Err("You cannot give a scope higher than your own.".into());
        }
        return Ok(());
    }
    let (Some(user), Some((_, version))) = (user.filter(|u| u.domain_id == domain.id), plan.user())
    else {
        return Err("The user no longer exists.".into());
    };
    if user.version != version {
        return Err("The user was changed since the check.".into());
    }
    let target = TargetUser {
        id: user.id,
        scope: user.scope,
        domain: domain.as_ref(),
    };
    let granted = |changes: &Changes| {
        changes
            .scope
            .is_none_or(|rank| Scope::from_rank(rank).is_some_and(|s| s <= rights.scope))
    };
    match plan {
        Plan::Update { changes, .. } if changes.is_empty() => Err("Nothing to change.".into()),
        Plan::Update { changes, .. } if user.id == rights.user_id => match changes.scope {
            Some(_) => Err("You cannot change your own scope.".into()),
            None => Ok(()),
        },
        Plan::Update { changes, .. } | Plan::Recycle { changes, .. } => {
            rights.may_act_on(target).map_err(|r| r.to_string())?;
            if granted(changes) {
                Ok(())
            } else {
                Err("You cannot give a scope higher than your own.".into())
            }
        }
        Plan::Reset { .. } | Plan::Delete { .. } | Plan::Add { .. } => {
            rights.may_act_on(target).map_err(|r| r.to_string())
        }
    }
}

/// What applying rows is done with.
struct Apply<'a> {
    job: &'a Job,
    domain: &'a Domain,
    actor: &'a AuditActor,
    links: &'a LinkContext,
    welcome: bool,
    now: NaiveDateTime,
}

impl Apply<'_> {
    /// Applies `rows`, all or none (the caller's savepoint): resets, deletes, adds and
    /// updates each as a few set-based statements for the whole batch, recycles one by
    /// one, then the welcome to each added or recycled user with an e-mail address.
    /// Returns the extensions whose welcome the domain's daily allowance left unsent.
    fn rows(&self, conn: &mut DbConn, rows: &[Ready<'_>]) -> Result<Vec<String>, JobError> {
        let (actor, now) = (self.actor, self.now);
        let mut resets: Vec<UserRef> = Vec::new();
        let mut deletes: Vec<UserRef> = Vec::new();
        let mut successors: HashMap<UserId, UserRef> = HashMap::new();
        let mut adds: Vec<NewUser<'_>> = Vec::new();
        let mut updates: Vec<(&User, &Changes)> = Vec::new();
        for one in rows {
            match (&one.plan, &one.user) {
                (Plan::Reset { .. }, Some(user)) => resets.push(user_ref(user)),
                (Plan::Delete { .. }, Some(user)) => {
                    if let Some(successor) = &one.successor {
                        successors.insert(user.id, successor.clone());
                    }
                    deletes.push(user_ref(user))
                }
                (Plan::Update { changes, .. }, Some(user)) => updates.push((user, changes)),
                (
                    Plan::Add {
                        first_name,
                        last_name,
                        email,
                        scope,
                        department,
                        site,
                        time_zone,
                        caller_id_number,
                        emergency_caller_id,
                    },
                    _,
                ) => adds.push(NewUser {
                    domain_id: self.domain.id,
                    extension: &one.item.extension,
                    first_name,
                    last_name,
                    email: email.as_deref(),
                    password_hash: None,
                    scope: Scope::from(*scope),
                    department,
                    site,
                    vm_to_email: false,
                    must_change_password: false,
                    is_system: false,
                    time_zone,
                    caller_id_number,
                    emergency_caller_id,
                }),
                _ => {}
            }
        }
        if !resets.is_empty() {
            reset_users(conn, &resets, &ResetOptions::defaults(), actor, now)?;
        }
        if !deletes.is_empty() {
            delete_users(conn, &deletes, &successors, actor, self.job.id, now)?;
        }
        let mut welcomed = self.add(conn, &adds)?;
        self.update(conn, &updates)?;
        for one in rows {
            if let (
                Plan::Recycle {
                    first_name,
                    last_name,
                    email,
                    changes,
                    ..
                },
                Some(user),
            ) = (&one.plan, &one.user)
            {
                welcomed.push(self.recycle(conn, user, first_name, last_name, email, changes)?);
            }
        }
        welcomed.retain(|user| user.email.is_some());
        if !self.welcome || welcomed.is_empty() {
            return Ok(Vec::new());
        }
        let over_cap = welcome_users(conn, actor, self.domain, &welcomed, self.links, now)?;
        Ok(welcomed
            .into_iter()
            .filter(|user| over_cap.contains(&user.id))
            .map(|user| user.extension)
            .collect())
    }

    /// Adds the users of `adds`, with an audit event each.
    fn add(&self, conn: &mut DbConn, adds: &[NewUser<'_>]) -> Result<Vec<UserRef>, JobError> {
        if adds.is_empty() {
            return Ok(Vec::new());
        }
        let added = users::insert_many(conn, self.domain.id, adds)?;
        let scopes: HashMap<&str, Scope> =
            adds.iter().map(|new| (new.extension, new.scope)).collect();
        self.actor
            .record_for_each(conn, &added, audit::USER_CREATE, |user| {
                let scope = scopes
                    .get(user.extension.as_str())
                    .copied()
                    .unwrap_or(user.scope);
                format!(
                    "{} as {scope} (import job {})",
                    user.full_name(),
                    self.job.id
                )
            })?;
        Ok(added)
    }

    /// Sets what each update changes, where the user is still as checked, with an audit
    /// event each; a user changed meanwhile fails the batch (and is found alone).
    fn update(&self, conn: &mut DbConn, updates: &[(&User, &Changes)]) -> Result<(), JobError> {
        let changing: Vec<&(&User, &Changes)> = updates
            .iter()
            .filter(|(_, changes)| !changes.is_empty())
            .collect();
        if changing.is_empty() {
            return Ok(());
        }
        let rows: Vec<UpdateRow<'_>> = changing
            .iter()
            .map(|(user, changes)| UpdateRow {
                id: user.id,
                version: user.version,
                changes,
            })
            .collect();
        let json =
            serde_json::to_string(&rows).map_err(|err| JobError::Damaged(err.to_string()))?;
        if users::update_many_from_json(conn, &json, self.now)? != rows.len() {
            let first = changing.first().map(|(user, _)| user.extension.clone());
            return Err(JobError::ChangedSince(first.unwrap_or_default()));
        }
        let new_email: Vec<_> = changing
            .iter()
            .filter(|(_, changes)| changes.email.is_some())
            .map(|(user, _)| user.id)
            .collect();
        if !new_email.is_empty() {
            void_links_and_mail(conn, &new_email, outbox::CANCELLED_BY_NEW_EMAIL, self.now)?;
        }
        let described: HashMap<_, String> = changing
            .iter()
            .map(|(user, changes)| (user.id, changes.describe().to_lowercase()))
            .collect();
        let refs: Vec<UserRef> = changing.iter().map(|(user, _)| user_ref(user)).collect();
        self.actor
            .record_for_each(conn, &refs, audit::USER_UPDATE, |user| {
                format!(
                    "changed {} (import job {})",
                    described.get(&user.id).map_or("", String::as_str),
                    self.job.id
                )
            })?;
        Ok(())
    }

    /// The default reset, then the extension given to the new person (and the other
    /// columns the row sets).
    fn recycle(
        &self,
        conn: &mut DbConn,
        user: &User,
        first_name: &str,
        last_name: &str,
        email: &Option<String>,
        changes: &Changes,
    ) -> Result<UserRef, JobError> {
        let damaged = |what: &str| JobError::Damaged(format!("the row's {what} is not valid"));
        let occupant = NewOccupant {
            first_name: PersonName::parse_required(first_name)
                .map_err(|_| damaged("first name"))?,
            last_name: PersonName::parse_required(last_name).map_err(|_| damaged("last name"))?,
            email: email
                .as_deref()
                .map(Email::parse)
                .transpose()
                .map_err(|_| damaged("e-mail"))?,
        };
        reset_users(
            conn,
            &[user_ref(user)],
            &ResetOptions::defaults(),
            self.actor,
            self.now,
        )?;
        let after_reset = user.version + 1;
        if !recycle_user(conn, user, after_reset, &occupant, self.actor, self.now)? {
            return Err(JobError::ChangedSince(user.extension.clone()));
        }
        let recycled = users::find(conn, user.id)?.ok_or(diesel::result::Error::NotFound)?;
        self.update(conn, &[(&recycled, changes)])?;
        let mut named = user_ref(&recycled);
        named.email = occupant.email.map(|email| email.as_str().to_owned());
        Ok(named)
    }
}

/// One update as [`users::update_many_from_json`] reads it.
#[derive(serde::Serialize)]
struct UpdateRow<'a> {
    id: crate::domain::ids::UserId,
    version: i32,
    #[serde(flatten)]
    changes: &'a Changes,
}

fn user_ref(user: &User) -> UserRef {
    UserRef {
        id: user.id,
        domain_id: user.domain_id,
        extension: user.extension.clone(),
        first_name: user.first_name.clone(),
        last_name: user.last_name.clone(),
        email: user.email.clone(),
        scope: user.scope,
    }
}

impl Reach<'_> {
    /// The domain of a domain's import page.
    pub fn domain(&self) -> Option<&Domain> {
        match self {
            Reach::Domain(domain) => Some(domain),
            Reach::Domains => None,
        }
    }
}

/// Checks `csv_text` for `domain`, keeps it and starts it as one job, in the caller's
/// transaction: rows sent whole (the API's import), where any row with an error, or
/// rows that change nothing, start nothing.
pub fn start_rows(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    csv_text: &str,
    welcome: bool,
) -> Result<JobId, ImportError> {
    let Authority::User(rights) = acting.authority else {
        return Err(JobError::NotAUser.into());
    };
    let sheet = file::read(csv_text.as_bytes())?;
    // Kept before it is judged: a refusal below rolls the caller's transaction back.
    let (file_key, checked) = check_and_keep(
        conn,
        &rights,
        Reach::Domain(domain),
        "api-import.csv",
        csv_text,
        &sheet,
    )?;
    let errors: Vec<(usize, String)> = checked
        .rows
        .iter()
        .filter(|row| row.outcome == Outcome::Error)
        .map(|row| (row.number, row.note.clone()))
        .collect();
    if !errors.is_empty() {
        return Err(ImportError::RowErrors(errors));
    }
    if checked.applicable() == 0 {
        return Err(ImportError::NoChange);
    }
    start(conn, acting, Reach::Domain(domain), &file_key, welcome)
}

/// Checks `sheet` (the file `content` as read) for `reach` and keeps it with what the
/// check found, for **Import**; returns the key its addresses name it by, and the check.
pub fn check_and_keep(
    conn: &mut DbConn,
    rights: &ActorRights,
    reach: Reach<'_>,
    file_name: &str,
    content: &str,
    sheet: &file::Sheet,
) -> Result<(String, check::Checked), ImportError> {
    let checked = check::check(conn, rights, reach, sheet)?;
    let key = keep_checked(conn, rights, reach.domain(), file_name, content, &checked)?;
    Ok((key, checked))
}

/// Keeps a checked file; returns the key its addresses name it by.
fn keep_checked(
    conn: &mut DbConn,
    rights: &ActorRights,
    domain: Option<&Domain>,
    file_name: &str,
    content: &str,
    checked: &check::Checked,
) -> Result<String, ImportError> {
    let summary = serde_json::to_string(&checked.summary())
        .map_err(|err| diesel::result::Error::SerializationError(err.into()))?;
    let (key, _) = crate::services::mail::new_token()?;
    imports::insert_file(
        conn,
        &imports::NewImportFile {
            key: &key,
            actor_id: rights.user_id,
            domain_id: domain.map(|d| d.id),
            file_name,
            created_at: Utc::now().naive_utc(),
            content,
            checked: &summary,
        },
    )?;
    Ok(key)
}

/// The kept file `file_key` of `rights`' user, for Download errors.
pub fn kept_file(
    conn: &mut DbConn,
    rights: &ActorRights,
    file_key: &str,
) -> Result<ImportFile, ImportError> {
    imports::find_file(conn, file_key, rights.user_id)?.ok_or(ImportError::FileGone)
}
