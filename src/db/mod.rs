//! The database: one connection type over SQLite and PostgreSQL, the pool that hands
//! them out, the embedded migrations of both backends, and the query modules per table.
//! Everything here returns diesel's `QueryResult` (or [`SetupError`] while connecting);
//! turning "no row" into a 404 is the caller's decision, never a finder's.

pub mod audit;
pub mod domains;
pub mod jobs;
pub mod list_sql;
pub mod outbox;
pub mod pool;
pub mod schema;
pub mod seed;
pub mod sessions;
pub mod sign_in_failures;
pub mod tokens;
pub mod users;

pub use pool::{Backend, DatabaseUrl, DbConn, Pool, PooledConn, SetupError, connect};

/// Runs the same diesel code on the concrete connection of either backend:
/// `on_backend!(conn, |c| diesel::insert_into(t).values(rows).execute(c))`.
///
/// The multi-connection's own backend cannot express some statements (a multi-row
/// INSERT, `FOR UPDATE`), so those are run on the concrete connection; where the text
/// reads the same for both, this writes it once and diesel compiles it once per
/// backend. Real dialect differences stay spelled out in a `match`.
macro_rules! on_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres($c) => $body,
            $crate::db::DbConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_backend;

/// Loads the rows of `query` for the caller's transaction to claim: on PostgreSQL
/// locked `FOR UPDATE SKIP LOCKED`, so other instances pass them by; on SQLite the
/// write transaction already holds the database.
macro_rules! load_claimed {
    ($conn:expr, $query:expr) => {
        match $conn {
            $crate::db::DbConn::Postgres(pg) => $query.for_update().skip_locked().load(pg),
            $crate::db::DbConn::Sqlite(sqlite) => $query.load(sqlite),
        }
    };
}
pub(crate) use load_claimed;

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

diesel::define_sql_function! {
    /// The database's own lower-casing (ASCII letters only on SQLite, all of Unicode on
    /// PostgreSQL). Searches apply it to both sides of a LIKE, so they always agree.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// `%text%` for LIKE, with LIKE's wildcards in `text` taken literally (escape: `\`).
pub fn contains_pattern(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// An arbitrary key for the advisory lock that serialises migrations when several
/// portal instances start against one PostgreSQL at once.
const MIGRATION_LOCK_KEY: i64 = 0x0070_6278_5f6d_6967;

/// Applies every pending migration of the connection's backend; returns how many ran.
pub fn run_migrations(conn: &mut DbConn) -> Result<usize, SetupError> {
    let applied = match conn {
        DbConn::Sqlite(sqlite) => sqlite
            .run_pending_migrations(SQLITE_MIGRATIONS)
            .map(|versions| versions.len()),
        DbConn::Postgres(pg) => {
            pg.batch_execute(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK_KEY})"))?;
            let result = pg
                .run_pending_migrations(POSTGRES_MIGRATIONS)
                .map(|versions| versions.len());
            pg.batch_execute(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK_KEY})"))?;
            result
        }
    };
    applied.map_err(|err| SetupError::Migration(err.to_string()))
}

/// Runs `work` in a transaction that writes. On SQLite it begins with `BEGIN
/// IMMEDIATE`, taking the write lock (waiting up to `busy_timeout`) before the first
/// read: a deferred transaction that reads first and then writes fails at once with
/// "database is locked" when another writer committed in between. PostgreSQL's
/// ordinary transaction is right as it is.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, work: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::Connection;
    use diesel::connection::{AnsiTransactionManager, TransactionManager};

    if let DbConn::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    } else {
        return conn.transaction(work);
    }
    let outcome = work(conn);
    if let DbConn::Sqlite(sqlite) = conn {
        match &outcome {
            Ok(_) => AnsiTransactionManager::commit_transaction(sqlite)?,
            Err(_) => AnsiTransactionManager::rollback_transaction(sqlite)?,
        }
    }
    outcome
}

/// The first row of `query`, or `None`, read without diesel's `LIMIT ?`.
///
/// SQLite (3.45 and later) plans a bound LIMIT as the constant bound to it, so it
/// re-prepares the statement whenever that parameter is bound again: with diesel's
/// `.first()` every lookup by key parsed its SQL anew, the session check on every page
/// included. Stepping the statement once and dropping it reads the same row, and the
/// statement stays prepared in diesel's cache. Use it for lookups by a unique key,
/// where there is one row or none.
pub fn first_row<'query, Q, T>(query: Q, conn: &mut DbConn) -> diesel::QueryResult<Option<T>>
where
    Q: diesel::query_dsl::LoadQuery<'query, DbConn, T>,
{
    query.load_iter(conn)?.next().transpose()
}
