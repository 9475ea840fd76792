//! Connections and the pool. The backend is chosen once, from the URL's scheme, and the
//! pool's manager establishes that concrete connection type directly, so a PostgreSQL
//! URL never falls through to SQLite (which would take any string as a file name) and
//! a failed connection reports libpq's own message.

use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::r2d2::R2D2Connection;
use diesel::sqlite::SqliteConnection;
use diesel::{Connection, ConnectionError};

/// One connection, to whichever backend the portal runs on.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

impl DbConn {
    /// Which database this connection is to.
    pub fn backend(&self) -> Backend {
        match self {
            DbConn::Postgres(_) => Backend::Postgres,
            DbConn::Sqlite(_) => Backend::Sqlite,
        }
    }
}

pub type Pool = r2d2::Pool<Manager>;
pub type PooledConn = r2d2::PooledConnection<Manager>;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A parsed `DATABASE_URL`: `sqlite:///abs/path.db`, `sqlite://relative.db` or
/// `postgres://…` (also `postgresql://…`).
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    backend: Backend,
    /// What the backend's `establish` takes: a file path, or the URL itself.
    target: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(
        "unsupported database URL (expected sqlite:///abs/path.db, sqlite://relative.db or postgres://…)"
    )]
    UnsupportedUrl,
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("cannot prepare the database connection: {0}")]
    Prepare(#[from] diesel::result::Error),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] r2d2::Error),
    #[error("cannot apply migrations: {0}")]
    Migration(String),
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, SetupError> {
        let url = url.trim();
        if let Some(path) = url.strip_prefix("sqlite://") {
            if path.is_empty() {
                return Err(SetupError::UnsupportedUrl);
            }
            return Ok(Self {
                backend: Backend::Sqlite,
                target: path.to_owned(),
            });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self {
                backend: Backend::Postgres,
                target: url.to_owned(),
            });
        }
        Err(SetupError::UnsupportedUrl)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Pooled connections when none are configured. SQLite: two per core, since it
    /// writes one transaction at a time and reads use the cores; more connections only
    /// held more page caches and allocator arenas (peak RSS under `bench/run`'s load
    /// 62 MiB with 8 on 2 cores, 50 MiB with 4, throughput within the noise).
    /// PostgreSQL: 8, for its queries wait on the network as well.
    pub fn default_pool_size(&self) -> u32 {
        match self.backend {
            Backend::Sqlite => std::thread::available_parallelism()
                .map_or(2, |cores| u32::try_from(cores.get()).unwrap_or(1))
                .saturating_mul(2)
                .max(2),
            Backend::Postgres => 8,
        }
    }

    /// The SQLite file, for SQLite URLs.
    pub fn sqlite_path(&self) -> Option<&str> {
        (self.backend == Backend::Sqlite).then_some(self.target.as_str())
    }

    fn establish(&self) -> Result<DbConn, SetupError> {
        match self.backend {
            Backend::Postgres => Ok(DbConn::Postgres(PgConnection::establish(&self.target)?)),
            Backend::Sqlite => {
                let mut conn = SqliteConnection::establish(&self.target)?;
                // busy_timeout first: connections opened together at start would
                // otherwise fail with "database is locked" while one switches to WAL.
                // No memory-mapped reads: every page a scan touched stayed resident in
                // the process (peak 66 MiB under bench/run's load, 58 MiB without),
                // for a gain only the search scan showed (about a quarter faster).
                conn.batch_execute(
                    "PRAGMA busy_timeout = 5000;
                     PRAGMA journal_mode = WAL;
                     PRAGMA synchronous = NORMAL;
                     PRAGMA foreign_keys = ON;
                     PRAGMA mmap_size = 0;",
                )?;
                Ok(DbConn::Sqlite(conn))
            }
        }
    }
}

/// Passwords in PostgreSQL URLs stay out of logs.
impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.backend {
            Backend::Sqlite => write!(f, "sqlite://{}", self.target),
            Backend::Postgres => {
                let without_credentials = match self.target.split_once('@') {
                    Some((_, host)) => format!("postgres://…@{host}"),
                    None => self.target.clone(),
                };
                f.write_str(&without_credentials)
            }
        }
    }
}

/// The r2d2 manager: establishes the backend the URL names.
pub struct Manager {
    url: DatabaseUrl,
}

impl r2d2::ManageConnection for Manager {
    type Connection = DbConn;
    type Error = SetupError;

    fn connect(&self) -> Result<DbConn, SetupError> {
        self.url.establish()
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), SetupError> {
        Ok(conn.batch_execute("SELECT 1")?)
    }

    fn has_broken(&self, conn: &mut DbConn) -> bool {
        super::on_backend!(conn, |c| c.is_broken())
    }
}

/// Connects once and applies the pending migrations; says how many there were.
pub fn migrate(url: &DatabaseUrl) -> Result<usize, SetupError> {
    super::run_migrations(&mut url.establish()?)
}

/// Connects once directly (so a bad URL or a server that is down fails at once with
/// the real reason), applies pending migrations, and builds the pool.
pub fn connect(url: &DatabaseUrl, max_size: u32) -> Result<Pool, SetupError> {
    migrate(url)?;
    let pool = r2d2::Pool::builder()
        .max_size(max_size)
        .min_idle(Some(1))
        .test_on_check_out(false)
        .connection_timeout(Duration::from_secs(10))
        .build(Manager { url: url.clone() })?;
    Ok(pool)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_pools_follow_the_cores_and_postgres_pools_are_eight() -> Result<(), SetupError> {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let sqlite = DatabaseUrl::parse("sqlite://portal.db")?.default_pool_size();
        assert_eq!(usize::try_from(sqlite).ok(), Some((cores * 2).max(2)));
        let postgres = DatabaseUrl::parse("postgres://portal@localhost/portal")?;
        assert_eq!(postgres.default_pool_size(), 8);
        Ok(())
    }

    #[test]
    fn sqlite_urls_name_a_file_absolute_or_relative() {
        let absolute = DatabaseUrl::parse("sqlite:///var/lib/portal.db");
        assert_eq!(
            absolute.as_ref().ok().and_then(|u| u.sqlite_path()),
            Some("/var/lib/portal.db")
        );
        let relative = DatabaseUrl::parse("sqlite://portal.db");
        assert_eq!(
            relative.as_ref().ok().and_then(|u| u.sqlite_path()),
            Some("portal.db")
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn postgres_urls_select_postgres_and_hide_passwords_in_debug() -> Result<(), SetupError> {
        let url = DatabaseUrl::parse("postgres://portal:s3cret@db.internal:5432/portal")?;
        assert_eq!(url.backend(), Backend::Postgres);
        assert!(!format!("{url:?}").contains("s3cret"));
        assert!(DatabaseUrl::parse("postgresql://localhost/portal").is_ok());
        Ok(())
    }

    #[test]
    fn other_schemes_are_refused() {
        assert!(matches!(
            DatabaseUrl::parse("mysql://x/y"),
            Err(SetupError::UnsupportedUrl)
        ));
        assert!(matches!(
            DatabaseUrl::parse("portal.db"),
            Err(SetupError::UnsupportedUrl)
        ));
    }
}
