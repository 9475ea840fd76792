//! Bulk jobs and their items: a job row and one item per user, written before any work
//! starts, so progress survives a reload and a restart. Items are claimed in batches by
//! the job worker; on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so several portal
//! instances can share one job without doing an item twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{bulk_job_items, bulk_jobs};
use super::{DbConn, load_claimed};
use std::collections::HashMap;

use crate::domain::ids::{DomainId, JobId, UserId};
use crate::domain::listing::Total;
use crate::domain::states::{ItemState, JobState, JobStatus};

/// The stored texts, for queries.
const PENDING: &str = ItemState::Pending.as_str();
const SKIPPED: &str = ItemState::Skipped.as_str();
const FAILED: &str = ItemState::Failed.as_str();
const DONE: &str = ItemState::Done.as_str();
const JOB_PENDING: &str = JobState::Pending.as_str();
const RUNNING: &str = JobState::Running.as_str();
const FINISHED: &str = JobState::Finished.as_str();

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = bulk_jobs)]
pub struct Job {
    pub id: JobId,
    pub domain_id: DomainId,
    pub actor_id: Option<UserId>,
    pub actor_login: String,
    pub kind: String,
    pub options: String,
    #[diesel(deserialize_as = String)]
    pub state: JobState,
    pub total: i32,
    pub created_at: NaiveDateTime,
    pub started_at: Option<NaiveDateTime>,
    pub finished_at: Option<NaiveDateTime>,
    pub stopped_at: Option<NaiveDateTime>,
    pub stopped_by: Option<String>,
}

impl Job {
    pub fn status(&self) -> JobStatus {
        JobStatus::of(self.state, self.stopped_at.is_some())
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = bulk_jobs)]
pub struct NewJob<'a> {
    pub domain_id: DomainId,
    pub actor_id: Option<UserId>,
    pub actor_login: &'a str,
    pub kind: &'a str,
    pub options: &'a str,
    pub state: &'static str,
    pub total: i32,
}

#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = bulk_job_items)]
pub struct NewItem {
    pub job_id: JobId,
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub extension: String,
    pub user_name: String,
    pub state: &'static str,
    pub reason: Option<String>,
    pub finished_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bulk_job_items)]
pub struct Item {
    pub id: i64,
    pub job_id: JobId,
    pub domain_id: DomainId,
    pub user_id: Option<UserId>,
    pub extension: String,
    pub user_name: String,
    #[diesel(deserialize_as = String)]
    pub state: ItemState,
    pub reason: Option<String>,
}

/// Inserts a job and returns its id.
pub fn insert_job(conn: &mut DbConn, job: &NewJob<'_>) -> QueryResult<JobId> {
    match conn {
        DbConn::Postgres(pg) => diesel::insert_into(bulk_jobs::table)
            .values(job)
            .returning(bulk_jobs::id)
            .get_result(pg),
        DbConn::Sqlite(sqlite) => {
            diesel::insert_into(bulk_jobs::table)
                .values(job)
                .execute(sqlite)?;
            diesel::select(diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "last_insert_rowid()",
            ))
            .get_result(sqlite)
        }
    }
}

/// Rows per multi-row INSERT (well inside SQLite's limit on bound values).
const INSERT_CHUNK: usize = 500;
/// Items per UPDATE that ends them: a whole batch at the default size.
const FINISH_CHUNK: usize = 2000;

/// Inserts a job's items, several hundred rows per statement.
pub fn insert_items(conn: &mut DbConn, items: &[NewItem]) -> QueryResult<usize> {
    let sqlite = match conn {
        DbConn::Postgres(pg) => return insert_items_as_arrays(pg, items),
        DbConn::Sqlite(sqlite) => sqlite,
    };
    let mut inserted = 0;
    for chunk in items.chunks(INSERT_CHUNK) {
        inserted += diesel::insert_into(bulk_job_items::table)
            .values(chunk)
            .execute(sqlite)?;
    }
    Ok(inserted)
}

/// PostgreSQL takes every item in one statement, a column per array: a multi-row
/// VALUES of 500 rows is 4,000 parameters to bind, and the statement is parsed and
/// planned anew for every chunk (a reset of 10,000 users spent about as long on that as
/// on inserting the rows). Rows go in in the given order, so ids follow it.
fn insert_items_as_arrays(pg: &mut PgConnection, items: &[NewItem]) -> QueryResult<usize> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamp};
    diesel::sql_query(
        "INSERT INTO bulk_job_items \
         (job_id, domain_id, user_id, extension, user_name, state, reason, finished_at) \
         SELECT j, d, u, e, n, s, r, f FROM UNNEST($1::bigint[], $2::bigint[], \
         $3::bigint[], $4::text[], $5::text[], $6::text[], $7::text[], $8::timestamp[]) \
         WITH ORDINALITY AS item(j, d, u, e, n, s, r, f, position) ORDER BY position",
    )
    .bind::<Array<BigInt>, _>(items.iter().map(|item| item.job_id).collect::<Vec<_>>())
    .bind::<Array<BigInt>, _>(items.iter().map(|item| item.domain_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<BigInt>>, _>(items.iter().map(|item| item.user_id).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        items
            .iter()
            .map(|item| item.extension.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(
        items
            .iter()
            .map(|item| item.user_name.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(items.iter().map(|item| item.state).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        items
            .iter()
            .map(|item| item.reason.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Nullable<Timestamp>>, _>(
        items
            .iter()
            .map(|item| item.finished_at)
            .collect::<Vec<_>>(),
    )
    .execute(pg)
}

pub fn find(conn: &mut DbConn, id: JobId) -> QueryResult<Option<Job>> {
    bulk_jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .optional()
}

/// How many of a job's items are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally {
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub skipped: i64,
}

impl Tally {
    pub fn total(&self) -> i64 {
        self.pending + self.done + self.failed + self.skipped
    }

    pub fn processed(&self) -> i64 {
        self.done + self.failed + self.skipped
    }
}

pub fn tally(conn: &mut DbConn, job_id: JobId) -> QueryResult<Tally> {
    Ok(tallies(conn, &[job_id])?
        .remove(&job_id)
        .unwrap_or_default())
}

/// How many of the job's finished items carry `reason` (a note such as the daily mail
/// allowance's).
pub fn count_with_reason(conn: &mut DbConn, job_id: JobId, reason: &str) -> QueryResult<i64> {
    bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job_id))
        .filter(bulk_job_items::reason.eq(reason))
        .count()
        .get_result(conn)
}

/// The tallies of several jobs in one query (the Jobs page's rows); the index on
/// (job_id, state, id) answers it without reading the items.
pub fn tallies(conn: &mut DbConn, job_ids: &[JobId]) -> QueryResult<HashMap<JobId, Tally>> {
    let rows: Vec<(JobId, String, i64)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq_any(job_ids))
        .group_by((bulk_job_items::job_id, bulk_job_items::state))
        .select((
            bulk_job_items::job_id,
            bulk_job_items::state,
            diesel::dsl::count_star(),
        ))
        .load(conn)?;
    let mut tallies: HashMap<JobId, Tally> = HashMap::new();
    for (job_id, state, count) in rows {
        let state = ItemState::try_from(state)
            .map_err(|err| diesel::result::Error::DeserializationError(err.into()))?;
        let tally = tallies.entry(job_id).or_default();
        match state {
            ItemState::Pending => tally.pending = count,
            ItemState::Done => tally.done = count,
            ItemState::Failed => tally.failed = count,
            ItemState::Skipped => tally.skipped = count,
        }
    }
    Ok(tallies)
}

/// Whose jobs a Jobs page lists.
#[derive(Debug, Clone)]
pub enum JobsOf {
    /// Every domain's (a Super User's `/jobs`).
    Every,
    /// These domains' (one domain's page, or the domains a Reseller looks after).
    Domains(Vec<DomainId>),
}

/// Where a page of jobs starts: the newest, just older than a job, or just newer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobsFrom {
    Newest,
    OlderThan(JobId),
    NewerThan(JobId),
}

/// Up to `limit` jobs from `from`, newest first.
pub fn list_page(
    conn: &mut DbConn,
    of: &JobsOf,
    from: JobsFrom,
    limit: i64,
) -> QueryResult<Vec<Job>> {
    let mut query = bulk_jobs::table.into_boxed();
    if let JobsOf::Domains(domain_ids) = of {
        query = query.filter(bulk_jobs::domain_id.eq_any(domain_ids.clone()));
    }
    let mut listed = match from {
        JobsFrom::Newest => query.order(bulk_jobs::id.desc()),
        JobsFrom::OlderThan(id) => query
            .filter(bulk_jobs::id.lt(id))
            .order(bulk_jobs::id.desc()),
        // The page just newer than `id`: the oldest of those, read upwards, turned round.
        JobsFrom::NewerThan(id) => query
            .filter(bulk_jobs::id.gt(id))
            .order(bulk_jobs::id.asc()),
    }
    .limit(limit)
    .select(Job::as_select())
    .load(conn)?;
    if let JobsFrom::NewerThan(_) = from {
        listed.reverse();
    }
    Ok(listed)
}

/// How many jobs a Jobs page counts before it says "10,000+".
pub const COUNT_CAP: i64 = 10_000;

/// How many jobs `of` has, counted up to [`COUNT_CAP`].
pub fn count(conn: &mut DbConn, of: &JobsOf) -> QueryResult<Total> {
    let mut query = bulk_jobs::table.select(bulk_jobs::id).into_boxed();
    if let JobsOf::Domains(domain_ids) = of {
        query = query.filter(bulk_jobs::domain_id.eq_any(domain_ids.clone()));
    }
    let ids: Vec<JobId> = query.limit(COUNT_CAP + 1).load(conn)?;
    let found = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    Ok(if found > COUNT_CAP {
        Total::AtLeast(COUNT_CAP)
    } else {
        Total::Exactly(found)
    })
}

/// Up to `limit` items of a job after the item `after` (0 for the first), in order:
/// its results file, read in keyset chunks.
pub fn items_after(
    conn: &mut DbConn,
    job_id: JobId,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Item>> {
    bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job_id))
        .filter(bulk_job_items::id.gt(after))
        .order(bulk_job_items::id)
        .limit(limit)
        .select(Item::as_select())
        .load(conn)
}

/// The users a job failed, in the job's order: whom Retry failed is for.
pub fn failed_users(conn: &mut DbConn, job_id: JobId) -> QueryResult<Vec<UserId>> {
    let ids: Vec<Option<UserId>> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job_id))
        .filter(bulk_job_items::state.eq(FAILED))
        .order(bulk_job_items::id)
        .select(bulk_job_items::user_id)
        .load(conn)?;
    Ok(ids.into_iter().flatten().collect())
}

/// On PostgreSQL, locks the job's row until the transaction ends, so that two
/// transactions ending a job take turns (SQLite's write lock already makes them).
fn lock_job_row(conn: &mut DbConn, job_id: JobId) -> QueryResult<()> {
    if let DbConn::Postgres(pg) = conn {
        bulk_jobs::table
            .find(job_id)
            .select(bulk_jobs::id)
            .for_update()
            .first::<i64>(pg)?;
    }
    Ok(())
}

/// Stops a job: the items still pending are skipped with `reason`, and the job ends as
/// stopped by `by`. Items a worker has claimed are locked by it until its batch
/// commits (PostgreSQL), and the update waits for them and then leaves them, done; on
/// SQLite the batch and this take turns for the write lock. Items go first and the job
/// row second, the order the worker takes them in, so the two cannot deadlock.
/// Returns false when the job had already ended.
pub fn stop(
    conn: &mut DbConn,
    job_id: JobId,
    by: &str,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    skip_pending_of_job(conn, job_id, reason, now)?;
    lock_job_row(conn, job_id)?;
    let ended = diesel::update(
        bulk_jobs::table
            .find(job_id)
            .filter(bulk_jobs::state.ne(FINISHED)),
    )
    .set((
        bulk_jobs::state.eq(FINISHED),
        bulk_jobs::finished_at.eq(now),
        bulk_jobs::stopped_at.eq(now),
        bulk_jobs::stopped_by.eq(by),
    ))
    .execute(conn)?;
    Ok(ended > 0)
}

/// The users a job reset that are not recycled yet: what a recycle form lists.
pub fn awaiting_recycle(conn: &mut DbConn, job_id: JobId) -> QueryResult<Vec<Item>> {
    bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job_id))
        .filter(bulk_job_items::state.eq(DONE))
        .filter(bulk_job_items::recycled_at.is_null())
        .order(bulk_job_items::id)
        .select(Item::as_select())
        .load(conn)
}

/// Marks a job's item for `user_id` recycled.
pub fn mark_recycled(
    conn: &mut DbConn,
    job_id: JobId,
    user_id: UserId,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(job_id))
            .filter(bulk_job_items::user_id.eq(user_id))
            .filter(bulk_job_items::recycled_at.is_null()),
    )
    .set(bulk_job_items::recycled_at.eq(now))
    .execute(conn)
}

/// A job's items for the Progress step: every failed and skipped one (up to `limit`),
/// then done ones, so nobody who needs attention is hidden behind the count.
pub fn outcomes(conn: &mut DbConn, job_id: JobId, limit: i64) -> QueryResult<Vec<Item>> {
    let mut listed: Vec<Item> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job_id))
        .filter(bulk_job_items::state.eq_any([FAILED, SKIPPED]))
        .order(bulk_job_items::id)
        .limit(limit)
        .select(Item::as_select())
        .load(conn)?;
    let room = limit - i64::try_from(listed.len()).unwrap_or(limit);
    if room > 0 {
        listed.extend(
            bulk_job_items::table
                .filter(bulk_job_items::job_id.eq(job_id))
                .filter(bulk_job_items::state.eq(DONE))
                .order(bulk_job_items::id)
                .limit(room)
                .select(Item::as_select())
                .load(conn)?,
        );
    }
    Ok(listed)
}

/// The claim's condition, written out rather than bound: only a literal `'pending'`
/// lets either database answer from the partial index of pending items, whatever plan
/// it caches for the statement (a bound state left PostgreSQL's generic plan reading
/// every item of every job, 20–35 ms a claim).
const IS_PENDING: &str = "bulk_job_items.state = 'pending'";

/// Takes up to `limit` pending items, oldest first, for this transaction to work on.
/// On PostgreSQL the rows stay locked until it ends, and other instances skip them.
pub fn claim_pending(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Item>> {
    load_claimed!(
        conn,
        bulk_job_items::table
            .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(IS_PENDING))
            .order(bulk_job_items::id)
            .limit(limit)
            .select(Item::as_select())
    )
}

/// Skips every item of the job still pending, with `reason`: the job stops.
pub fn skip_pending_of_job(
    conn: &mut DbConn,
    job_id: JobId,
    reason: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::update(
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(job_id))
            .filter(bulk_job_items::state.eq(PENDING)),
    )
    .set((
        bulk_job_items::state.eq(SKIPPED),
        bulk_job_items::reason.eq(reason),
        bulk_job_items::finished_at.eq(now),
    ))
    .execute(conn)
}

/// Ends items in one state (with one reason), e.g. all the users a batch reset.
pub fn finish_items(
    conn: &mut DbConn,
    item_ids: &[i64],
    state: ItemState,
    reason: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut finished = 0;
    for chunk in item_ids.chunks(FINISH_CHUNK) {
        finished += diesel::update(bulk_job_items::table.filter(bulk_job_items::id.eq_any(chunk)))
            .set((
                bulk_job_items::state.eq(state.as_str()),
                bulk_job_items::reason.eq(reason),
                bulk_job_items::finished_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(finished)
}

/// Marks the job running (the first time, as of `began`), or finished (as of `ended`)
/// when no item is pending. On
/// PostgreSQL the job row is locked first, so two instances finishing a job's last items
/// at once take turns, and the second sees the first's items as finished.
pub fn update_state(
    conn: &mut DbConn,
    job_id: JobId,
    began: NaiveDateTime,
    ended: NaiveDateTime,
) -> QueryResult<()> {
    lock_job_row(conn, job_id)?;
    diesel::update(
        bulk_jobs::table
            .find(job_id)
            .filter(bulk_jobs::state.eq(JOB_PENDING)),
    )
    .set((
        bulk_jobs::state.eq(RUNNING),
        bulk_jobs::started_at.eq(began),
    ))
    .execute(conn)?;
    let any_pending: bool = diesel::select(diesel::dsl::exists(
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(job_id))
            .filter(bulk_job_items::state.eq(PENDING)),
    ))
    .get_result(conn)?;
    if !any_pending {
        diesel::update(
            bulk_jobs::table
                .find(job_id)
                .filter(bulk_jobs::state.ne(FINISHED)),
        )
        .set((
            bulk_jobs::state.eq(FINISHED),
            bulk_jobs::finished_at.eq(ended),
        ))
        .execute(conn)?;
    }
    Ok(())
}

/// How many jobs are in each state, for `/metrics`.
pub fn count_by_state(conn: &mut DbConn) -> QueryResult<Vec<(JobState, i64)>> {
    let rows: Vec<(String, i64)> = bulk_jobs::table
        .group_by(bulk_jobs::state)
        .select((bulk_jobs::state, diesel::dsl::count_star()))
        .load(conn)?;
    rows.into_iter()
        .map(|(state, count)| {
            JobState::try_from(state)
                .map(|state| (state, count))
                .map_err(|err| diesel::result::Error::DeserializationError(err.into()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_claims_written_out_state_is_pending() {
        assert_eq!(IS_PENDING, format!("bulk_job_items.state = '{PENDING}'"));
    }
}
