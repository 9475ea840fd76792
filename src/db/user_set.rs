//! A set of users to count or read attached rows of in SQL: named by id (checked rows)
//! or by a filter ("all matching", which may be a whole domain); the `column IN (ids)`
//! test against it, which diesel's `eq_any` cannot write for a boxed subquery on both
//! backends at once; and what the dialog steps read of such a set.

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::prelude::*;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool};
use diesel::{QueryResult, expression::is_aggregate};

use super::DbConn;
use super::pool::{Backend, MultiBackend};
use super::schema::users;
use super::users::{ListFilter, UserRef, filtered};
use crate::domain::ids::UserId;

/// The ids of some users, as a subquery.
pub type IdsQuery = users::BoxedQuery<'static, MultiBackend, BigInt>;

/// Users whose attached rows are counted or read: named by id, or every user an "all
/// matching" selection's filter matches, read by the database and never by the portal.
#[derive(Debug, Clone, Copy)]
pub enum UserSet<'a> {
    Ids(&'a [UserId]),
    Matching(&'a ListFilter),
    /// The ids [`with_kept`] wrote to this connection's temporary table.
    Kept,
}

/// SQLite's temporary table of a set's ids, private to one connection.
const KEPT_TABLE: &str = "temp.portal_chosen_users";

/// Runs `work` on the users of `set`. On SQLite a filter's ids are first written to a
/// temporary table of this connection, once: each `IN (subquery)` would otherwise
/// build its own index of them (0.4 s per count for a million users). The table is
/// dropped again whatever `work` returns, before the connection goes back to the
/// pool. PostgreSQL hashes a subquery's ids itself, so its sets are used as they are.
pub fn with_kept<T>(
    conn: &mut DbConn,
    set: UserSet<'_>,
    work: impl FnOnce(&mut DbConn, UserSet<'_>) -> QueryResult<T>,
) -> QueryResult<T> {
    let UserSet::Matching(filter) = set else {
        return work(conn, set);
    };
    if conn.backend() != Backend::Sqlite {
        return work(conn, set);
    }
    // A table left by work that panicked is not trusted: it starts empty.
    diesel::sql_query(format!("DROP TABLE IF EXISTS {KEPT_TABLE}")).execute(conn)?;
    diesel::sql_query(format!(
        "CREATE TEMP TABLE {KEPT_TABLE} (id INTEGER PRIMARY KEY)"
    ))
    .execute(conn)?;
    let done = KeepIds(filtered(filter, Backend::Sqlite).select(users::id))
        .execute(conn)
        .and_then(|_| work(conn, UserSet::Kept));
    let dropped = diesel::sql_query(format!("DROP TABLE {KEPT_TABLE}")).execute(conn);
    let found = done?;
    dropped?;
    Ok(found)
}

/// `INSERT INTO` the kept table the ids of a query.
struct KeepIds(IdsQuery);

impl QueryId for KeepIds {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for KeepIds {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        out.push_sql("INSERT INTO ");
        out.push_sql(KEPT_TABLE);
        out.push_sql(" ");
        QueryFragment::<MultiBackend>::walk_ast(&self.0, out.reborrow())
    }
}

impl diesel::RunQueryDsl<DbConn> for KeepIds {}

/// Ids per subquery of [`UserSet::queries`]: well inside SQLite's limit on bound values.
const IDS_PER_QUERY: usize = 5000;

impl UserSet<'_> {
    /// The set as subqueries of ids whose results together are the set, each user in
    /// one: a filter is one query, ids are [`IDS_PER_QUERY`] per query.
    pub fn queries(&self, backend: Backend) -> Vec<Ids> {
        match self {
            UserSet::Ids(ids) => ids
                .chunks(IDS_PER_QUERY)
                .map(|chunk| {
                    Ids::Query(
                        users::table
                            .filter(users::id.eq_any(chunk.to_vec()))
                            .select(users::id)
                            .into_boxed(),
                    )
                })
                .collect(),
            UserSet::Matching(filter) => {
                vec![Ids::Query(filtered(filter, backend).select(users::id))]
            }
            UserSet::Kept => vec![Ids::Kept],
        }
    }

    /// The set's subqueries for a test of `column` (a user id, "table.column") that
    /// a statement makes once per row of a small table: on SQLite a filter's query is
    /// then correlated to the row (`EXISTS`, a primary-key probe per row) instead of
    /// listing a million ids first. Other sets are as [`UserSet::queries`] gives them.
    pub fn queries_toward(&self, backend: Backend, column: &'static str) -> Vec<Ids> {
        match self {
            UserSet::Matching(filter) if backend == Backend::Sqlite => vec![Ids::Correlated(
                filtered(filter, backend)
                    .filter(SameUser(column))
                    .select(users::id),
            )],
            _ => self.queries(backend),
        }
    }
}

/// Where an `IN` test finds its ids: a subquery, the kept table, or a subquery
/// correlated to the tested row (see [`UserSet::queries_toward`]).
pub enum Ids {
    Query(IdsQuery),
    Kept,
    Correlated(IdsQuery),
}

/// `users.id = column`: a subquery of users correlated to a row of another table.
#[derive(Debug, Clone, Copy)]
struct SameUser(&'static str);

impl Expression for SameUser {
    type SqlType = Bool;
}

impl AppearsOnTable<users::table> for SameUser {}

impl SelectableExpression<users::table> for SameUser {}

impl ValidGrouping<()> for SameUser {
    type IsAggregate = is_aggregate::Never;
}

/// The column named varies.
impl QueryId for SameUser {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for SameUser {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql("users.id = ");
        out.push_sql(self.0);
        Ok(())
    }
}

/// `column IN (ids)`.
pub struct UserIn<C> {
    column: C,
    ids: Ids,
}

/// `column IN (ids)`: `column` (a user id) is one of the users of `ids`.
pub fn user_in<C>(column: C, ids: Ids) -> UserIn<C> {
    UserIn { column, ids }
}

impl<C> Expression for UserIn<C> {
    type SqlType = Bool;
}

impl<C: AppearsOnTable<QS>, QS> AppearsOnTable<QS> for UserIn<C> {}

impl<C: SelectableExpression<QS>, QS> SelectableExpression<QS> for UserIn<C> {}

impl<C> ValidGrouping<()> for UserIn<C> {
    type IsAggregate = is_aggregate::Never;
}

/// The subquery's text varies with the set.
impl<C> QueryId for UserIn<C> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<C: QueryFragment<MultiBackend>> QueryFragment<MultiBackend> for UserIn<C> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        match &self.ids {
            Ids::Query(query) => {
                self.column.walk_ast(out.reborrow())?;
                out.push_sql(" IN (");
                QueryFragment::<MultiBackend>::walk_ast(query, out.reborrow())?;
                out.push_sql(")");
            }
            Ids::Kept => {
                self.column.walk_ast(out.reborrow())?;
                out.push_sql(" IN (SELECT id FROM ");
                out.push_sql(KEPT_TABLE);
                out.push_sql(")");
            }
            Ids::Correlated(query) => {
                // The query compares the column itself.
                out.push_sql("EXISTS (");
                QueryFragment::<MultiBackend>::walk_ast(query, out.reborrow())?;
                out.push_sql(")");
            }
        }
        Ok(())
    }
}

/// A user that call routing points at: a number's or option's destination (or their
/// voicemail), a ring group member, a queue agent, a forward's target or a BLF key's
/// watched user. Each test is a probe of that table's index on the user.
#[derive(Debug, Clone, Copy)]
struct Reached;

impl Expression for Reached {
    type SqlType = Bool;
}

impl AppearsOnTable<users::table> for Reached {}

impl SelectableExpression<users::table> for Reached {}

impl ValidGrouping<()> for Reached {
    type IsAggregate = is_aggregate::Never;
}

impl QueryId for Reached {
    type QueryId = Reached;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for Reached {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(
            "(EXISTS (SELECT 1 FROM phone_numbers WHERE phone_numbers.dest_user_id = users.id) \
             OR EXISTS (SELECT 1 FROM attendant_options \
                WHERE attendant_options.dest_user_id = users.id) \
             OR EXISTS (SELECT 1 FROM ring_group_members \
                WHERE ring_group_members.user_id = users.id) \
             OR EXISTS (SELECT 1 FROM queue_agents WHERE queue_agents.user_id = users.id) \
             OR EXISTS (SELECT 1 FROM answering_rules \
                WHERE answering_rules.forward_user_id = users.id) \
             OR EXISTS (SELECT 1 FROM blf_keys WHERE blf_keys.watched_user_id = users.id))",
        );
        Ok(())
    }
}

/// The first `limit` users of `set` that call routing points at, in extension order:
/// those a delete's Confirm step offers a successor field each.
pub fn first_reached(
    conn: &mut DbConn,
    set: UserSet<'_>,
    limit: usize,
) -> QueryResult<Vec<UserRef>> {
    let limit_rows = i64::try_from(limit).unwrap_or(i64::MAX);
    if let UserSet::Matching(filter) = set {
        // Walked in extension order, the filter's own way, until enough are found.
        return filtered(filter, conn.backend())
            .filter(Reached)
            .order((users::ext_length, users::extension))
            .limit(limit_rows)
            .select(UserRef::as_select())
            .load(conn);
    }
    let mut found: Vec<UserRef> = Vec::new();
    for ids in set.queries(conn.backend()) {
        found.extend(
            users::table
                .into_boxed()
                .filter(user_in(users::id, ids))
                .filter(Reached)
                .order((users::ext_length, users::extension))
                .limit(limit_rows)
                .select(UserRef::as_select())
                .load::<UserRef>(conn)?,
        );
    }
    found.sort_by(|a, b| (a.extension.len(), &a.extension).cmp(&(b.extension.len(), &b.extension)));
    found.truncate(limit);
    Ok(found)
}

/// How many users of `set` have no e-mail address.
pub fn count_without_email(conn: &mut DbConn, set: UserSet<'_>) -> QueryResult<i64> {
    let mut count = 0;
    for ids in set.queries(conn.backend()) {
        count += users::table
            .into_boxed()
            .filter(user_in(users::id, ids))
            .filter(users::email.is_null())
            .count()
            .get_result::<i64>(conn)?;
    }
    Ok(count)
}

/// Whether `user` is one of `set`.
pub fn contains(conn: &mut DbConn, set: UserSet<'_>, user: UserId) -> QueryResult<bool> {
    for ids in set.queries(conn.backend()) {
        let found = users::table
            .into_boxed()
            .filter(users::id.eq(user))
            .filter(user_in(users::id, ids))
            .count()
            .get_result::<i64>(conn)?;
        if found > 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// The ids of every user of `set`: for sets known to be small.
pub fn every_id(conn: &mut DbConn, set: UserSet<'_>) -> QueryResult<Vec<UserId>> {
    let mut found = Vec::new();
    for ids in set.queries(conn.backend()) {
        found.extend(
            users::table
                .into_boxed()
                .filter(user_in(users::id, ids))
                .select(users::id)
                .load::<UserId>(conn)?,
        );
    }
    Ok(found)
}
