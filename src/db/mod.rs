//! The database: one connection type over SQLite and PostgreSQL, the pool that hands
//! them out, the embedded migrations of both backends, how typed ids bind (`ids`), and
//! the query modules per table. Everything here returns diesel's `QueryResult` (or
//! [`SetupError`] while connecting); turning "no row" into a 404 is the caller's
//! decision, never a finder's.

pub mod api_tokens;
pub mod audit;
pub mod deleted_users;
pub mod domains;
pub mod edit_undo;
pub mod idempotency;
pub mod ids;
pub mod imports;
pub mod jobs;
pub mod kept;
pub mod list_sql;
pub mod mail_days;
pub mod outbox;
pub mod pool;
pub mod reset;
pub mod reset_undo;
pub mod routing;
pub mod schema;
mod scope;
pub mod seed;
pub mod sessions;
pub mod sign_in_failures;
pub mod tokens;
pub mod two_step;
pub mod user_set;
pub mod users;

pub use pool::{Backend, DatabaseUrl, DbConn, Pool, PooledConn, SetupError, connect, migrate};

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

    let outermost = match conn {
        DbConn::Sqlite(sqlite) => AnsiTransactionManager::transaction_manager_status_mut(sqlite)
            .transaction_depth()?
            .is_none(),
        _ => false,
    };
    // PostgreSQL, or already in a transaction (a use case that calls another): a
    // transaction or savepoint of diesel's.
    if !outermost {
        return conn.transaction(work);
    }
    if let DbConn::Sqlite(sqlite) = conn {
        AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
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
///
/// It takes either connection type. Run on the concrete connection of a backend (with
/// [`on_backend!`]), a query whose type is fixed is found in diesel's statement cache by
/// that type alone; through the multi-connection its SQL is built again on every call
/// to find it there. The session check, on every request, goes the first way.
pub fn first_row<'query, Q, C, T>(query: Q, conn: &mut C) -> diesel::QueryResult<Option<T>>
where
    C: diesel::connection::LoadConnection,
    Q: diesel::query_dsl::LoadQuery<'query, C, T>,
{
    query.load_iter(conn)?.next().transpose()
}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::migration::MigrationSource;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use diesel::sqlite::{Sqlite, SqliteConnection};

    use super::SQLITE_MIGRATIONS;

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn count(conn: &mut SqliteConnection, sql: &str) -> QueryResult<i64> {
        diesel::sql_query(sql)
            .get_result::<Count>(conn)
            .map(|c| c.n)
    }

    #[test]
    fn the_lasting_ids_migration_keeps_every_row_and_id()
    -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = SqliteConnection::establish(":memory:")?;
        conn.batch_execute("PRAGMA foreign_keys = ON")?;
        let migrations = MigrationSource::<Sqlite>::migrations(&SQLITE_MIGRATIONS)?;
        let at = migrations
            .iter()
            .position(|m| m.name().to_string().contains("sessions_and_lasting_ids"))
            .ok_or("no such migration")?;
        for migration in &migrations[..at] {
            conn.transaction(|conn| migration.run(conn))?;
        }
        conn.batch_execute(
            "INSERT INTO domains (id, name) VALUES (1, 'a.example');
             INSERT INTO users (id, domain_id, extension, scope, first_name)
                 VALUES (1, 1, '100', 7, 'Ann'), (2, 1, '101', 1, 'Bo'), (3, 1, '102', 1, 'Cy');
             INSERT INTO devices (domain_id, user_id, name) VALUES (1, 1, '100'), (1, 2, '101');
             INSERT INTO password_tokens (user_id, token_hash, purpose, expires_at)
                 VALUES (2, 'h', 'reset', '2030-01-01');
             INSERT INTO bulk_jobs (id, domain_id, actor_id, actor_login, kind)
                 VALUES (5, 1, 1, '100@a.example', 'reset');
             INSERT INTO bulk_job_items (job_id, domain_id, user_id, extension)
                 VALUES (5, 1, 2, '101');
             INSERT INTO outbox (id, user_id, recipient, kind, subject, body_text, body_html)
                 VALUES (9, 2, 'bo@a.example', 'welcome', 's', 't', 'h');
             INSERT INTO audit_events (actor_login, action, target_user_id)
                 VALUES ('100@a.example', 'user.delete', 3);
             DELETE FROM users WHERE id = 3;",
        )?;
        migrations[at].run(&mut conn)?;

        for (sql, expected) in [
            ("SELECT count(*) AS n FROM users", 2),
            ("SELECT count(*) AS n FROM devices", 2),
            (
                "SELECT count(*) AS n FROM password_tokens WHERE user_id = 2",
                1,
            ),
            (
                "SELECT count(*) AS n FROM bulk_job_items WHERE job_id = 5",
                1,
            ),
            (
                "SELECT count(*) AS n FROM outbox WHERE id = 9 AND user_id = 2",
                1,
            ),
            ("SELECT sum(users) AS n FROM user_counts", 2),
            ("SELECT count(*) AS n FROM pragma_foreign_key_check", 0),
            ("SELECT foreign_keys AS n FROM pragma_foreign_keys", 1),
        ] {
            assert_eq!(count(&mut conn, sql)?, expected, "{sql}");
        }
        let names: Vec<String> =
            diesel::sql_query("SELECT first_name AS name FROM users ORDER BY id")
                .load::<Name>(&mut conn)?
                .into_iter()
                .map(|row| row.name)
                .collect();
        assert_eq!(names, ["Ann", "Bo"]);
        // The id the audit trail names (3) is not handed out again, nor any other.
        conn.batch_execute(
            "INSERT INTO users (domain_id, extension, scope) VALUES (1, '103', 1);
             INSERT INTO bulk_jobs (domain_id, actor_login, kind) VALUES (1, 'x', 'delete');
             DELETE FROM outbox WHERE id = 9;
             INSERT INTO outbox (recipient, kind, subject, body_text, body_html)
                 VALUES ('x@a.example', 'welcome', 's', 't', 'h');",
        )?;
        assert_eq!(count(&mut conn, "SELECT max(id) AS n FROM users")?, 4);
        assert_eq!(count(&mut conn, "SELECT max(id) AS n FROM bulk_jobs")?, 6);
        assert_eq!(count(&mut conn, "SELECT max(id) AS n FROM outbox")?, 10);
        Ok(())
    }

    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
}
