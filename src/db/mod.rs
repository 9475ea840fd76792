//! The database: one connection type over SQLite and PostgreSQL, the pool that hands
//! them out, the embedded migrations of both backends, and the query modules per table.
//! Everything here returns diesel's `QueryResult` (or [`SetupError`] while connecting);
//! turning "no row" into a 404 is the caller's decision, never a finder's.

pub mod audit;
pub mod domains;
pub mod pool;
pub mod schema;
pub mod seed;
pub mod users;

pub use pool::{Backend, DatabaseUrl, DbConn, Pool, PooledConn, SetupError, connect};

use diesel::connection::SimpleConnection;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

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
