//! Template databases, made once and copied by every test: one with every migration
//! applied, and one holding the demo data as well.
//!
//! "Once" holds across processes, since `cargo nextest` runs each test in a process of
//! its own: a template is named after what it is made of, and whoever finds it missing
//! makes it under a temporary name and renames it when complete, so no test ever sees a
//! half-made one. (Two processes that find a SQLite template missing at once both make
//! it, and the second rename replaces the first file with an equal one; PostgreSQL
//! templates are made under an advisory lock.) Within a process a mutex keeps the
//! threads of `cargo test` from making one twice.
//! - The migrated template is keyed by a hash of the files under `migrations/<backend>`,
//!   so it lasts from one build to the next until a migration changes.
//! - The demo template is keyed by that hash and the test binary (its path, size and
//!   modification time): what it holds is whatever this build's `load_demo` writes.
//!
//! SQLite templates are files under `CARGO_TARGET_TMPDIR/test-templates`, left in the
//! default rollback-journal mode and closed before the rename, so the one file is the
//! whole database (tests switch their copies to WAL when they open them). PostgreSQL
//! templates are databases `portal_tpl_…` on the `TEST_DATABASE_URL` server; nobody
//! may connect to them (`ALLOW_CONNECTIONS false`), as `CREATE DATABASE … TEMPLATE`
//! fails while any session is connected to its template.

use std::error::Error;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::UNIX_EPOCH;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pbx_portal::db::{DbConn, run_migrations};
use pbx_portal::services::demo;
use sha2::{Digest, Sha256};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// What a template holds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Contents {
    /// The schema: every migration applied, no rows.
    Migrated,
    /// The schema and the demo data of SPEC section 7.
    Demo,
}

/// Templates this process has found or made, and the lock its threads (`cargo test`
/// runs tests on several) take to find or make one.
#[derive(Default)]
struct Known {
    sqlite_migrated: Option<PathBuf>,
    sqlite_demo: Option<PathBuf>,
    postgres_migrated: Option<String>,
    postgres_demo: Option<String>,
}

static KNOWN: Mutex<Known> = Mutex::new(Known {
    sqlite_migrated: None,
    sqlite_demo: None,
    postgres_migrated: None,
    postgres_demo: None,
});

/// An arbitrary key for the advisory lock that serialises making PostgreSQL templates
/// (not the one `run_migrations` takes).
const TEMPLATE_LOCK_KEY: i64 = 0x0070_6278_5f74_706c;

/// The SQLite template file holding `contents`, made if missing.
pub fn sqlite(contents: Contents) -> Fallible<PathBuf> {
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    let migrated = match &known.sqlite_migrated {
        Some(path) => path.clone(),
        None => {
            let name = format!("sqlite-{}.db", migrations_key("sqlite")?);
            let path = sqlite_file("sqlite-", &name, |partial| {
                run_migrations(&mut open_sqlite(partial)?)?;
                Ok(())
            })?;
            known.sqlite_migrated.insert(path).clone()
        }
    };
    if contents == Contents::Migrated {
        return Ok(migrated);
    }
    if let Some(path) = &known.sqlite_demo {
        return Ok(path.clone());
    }
    let name = format!("sqlite-demo-{}.db", build_key("sqlite")?);
    let path = sqlite_file("sqlite-demo-", &name, |partial| {
        fs::copy(&migrated, partial)?;
        demo::load_demo(&mut open_sqlite(partial)?)?;
        Ok(())
    })?;
    Ok(known.sqlite_demo.insert(path).clone())
}

/// The template file `name` (starting with `kind`), made by `make` (which writes the
/// file it is given) if missing. Making one removes the templates of that kind made for
/// other builds or migrations more than an hour ago, and any an interrupted run left
/// half made.
fn sqlite_file(
    kind: &str,
    name: &str,
    make: impl FnOnce(&Path) -> Fallible<()>,
) -> Fallible<PathBuf> {
    let folder = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-templates");
    let path = folder.join(name);
    if path.exists() {
        return Ok(path);
    }
    fs::create_dir_all(&folder)?;
    let partial = folder.join(format!("{name}.{}.partial", random_hex()?));
    // The connection `make` opens is closed when it returns, before the rename.
    let made = make(&partial).and_then(|()| Ok(fs::rename(&partial, &path)?));
    if made.is_err() {
        let _ = fs::remove_file(&partial);
    }
    made?;
    remove_old(&folder, kind, &path);
    Ok(path)
}

/// Removes the files in `folder` of `kind` but `keep` that are over an hour old.
fn remove_old(folder: &Path, kind: &str, keep: &Path) {
    let hour = std::time::Duration::from_secs(3600);
    let Ok(entries) = fs::read_dir(folder) else {
        return;
    };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        // `sqlite-` would also take in `sqlite-demo-…`.
        let other_kind = kind == "sqlite-" && name.starts_with("sqlite-demo-");
        let old = entry
            .metadata()
            .and_then(|about| about.modified())
            .is_ok_and(|modified| modified.elapsed().is_ok_and(|age| age > hour));
        if name.starts_with(kind) && !other_kind && path != keep && old {
            let _ = fs::remove_file(&path);
        }
    }
}

/// A connection as the portal opens one, less WAL: the template stays one file.
fn open_sqlite(path: &Path) -> Fallible<DbConn> {
    let path = path.to_str().ok_or("a template path that is not UTF-8")?;
    let mut conn = SqliteConnection::establish(path)?;
    conn.batch_execute(
        "PRAGMA busy_timeout = 5000;
         PRAGMA journal_mode = DELETE;
         PRAGMA foreign_keys = ON;",
    )?;
    Ok(DbConn::Sqlite(conn))
}

/// The name of the PostgreSQL template database on `server` holding `contents`, made
/// if missing.
pub fn postgres(server: &str, contents: Contents) -> Fallible<String> {
    let mut known = KNOWN.lock().unwrap_or_else(PoisonError::into_inner);
    let found = match contents {
        Contents::Migrated => &known.postgres_migrated,
        Contents::Demo => &known.postgres_demo,
    };
    if let Some(name) = found {
        return Ok(name.clone());
    }
    let mut admin = PgConnection::establish(server)?;
    let migrated = format!("portal_tpl_{}", migrations_key("postgres")?);
    postgres_database(&mut admin, server, &migrated, None, |conn| {
        run_migrations(conn)?;
        Ok(())
    })?;
    known.postgres_migrated = Some(migrated.clone());
    if contents == Contents::Migrated {
        return Ok(migrated);
    }
    let with_demo = format!("portal_tpl_demo_{}", build_key("postgres")?);
    postgres_database(&mut admin, server, &with_demo, Some(&migrated), |conn| {
        demo::load_demo(conn)?;
        Ok(())
    })?;
    Ok(known.postgres_demo.insert(with_demo).clone())
}

/// Database `name`, made if missing: a copy of `template` (or a new database) that
/// `fill` is given a connection to, renamed to `name` once that connection is closed.
fn postgres_database(
    admin: &mut PgConnection,
    server: &str,
    name: &str,
    template: Option<&str>,
    fill: impl FnOnce(&mut DbConn) -> Fallible<()>,
) -> Fallible<()> {
    if database_exists(admin, name)? {
        return Ok(());
    }
    admin.batch_execute(&format!("SELECT pg_advisory_lock({TEMPLATE_LOCK_KEY})"))?;
    let made = (|| -> Fallible<()> {
        // Another process may have made it while this one waited for the lock.
        if database_exists(admin, name)? {
            return Ok(());
        }
        let partial = format!("portal_tpl_tmp_{}", random_hex()?);
        let copy_of = template.map_or(String::new(), |t| format!(" TEMPLATE {t}"));
        admin.batch_execute(&format!("CREATE DATABASE {partial}{copy_of}"))?;
        let filled = database_url(server, &partial).and_then(|url| {
            let mut conn = DbConn::Postgres(PgConnection::establish(&url)?);
            fill(&mut conn)
        });
        if let Err(err) = filled {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {partial} WITH (FORCE)"));
            return Err(err);
        }
        // The server waits a few seconds for the closed session to end before
        // refusing the rename.
        admin.batch_execute(&format!("ALTER DATABASE {partial} RENAME TO {name}"))?;
        admin.batch_execute(&format!(
            "ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false"
        ))?;
        Ok(())
    })();
    admin.batch_execute(&format!("SELECT pg_advisory_unlock({TEMPLATE_LOCK_KEY})"))?;
    made
}

fn database_exists(admin: &mut PgConnection, name: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(admin)
}

/// The URL of database `name` on the server `server` (a URL ending in a database name).
pub fn database_url(server: &str, name: &str) -> Fallible<String> {
    let (base, _) = server
        .rsplit_once('/')
        .ok_or("TEST_DATABASE_URL needs a database name")?;
    Ok(format!("{base}/{name}"))
}

/// A hash of the names and contents of every file under `migrations/<backend>`.
fn migrations_key(backend: &str) -> Fallible<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut hasher = Sha256::new();
    hash_files(&root, &root, &mut hasher)?;
    Ok(hex(&hasher.finalize()[..8]))
}

fn hash_files(root: &Path, folder: &Path, hasher: &mut Sha256) -> Fallible<()> {
    let mut paths = fs::read_dir(folder)?
        .map(|entry| entry.map(|e| e.path()))
        .collect::<Result<Vec<_>, _>>()?;
    paths.sort();
    for path in paths {
        if path.is_dir() {
            hash_files(root, &path, hasher)?;
        } else {
            let name = path.strip_prefix(root)?.to_string_lossy().into_owned();
            let contents = fs::read(&path)?;
            for part in [name.as_bytes(), &contents] {
                hasher.update(part.len().to_le_bytes());
                hasher.update(part);
            }
        }
    }
    Ok(())
}

/// The migrations' key and this test binary's path, size and modification time.
fn build_key(backend: &str) -> Fallible<String> {
    let binary = std::env::current_exe()?;
    let about = fs::metadata(&binary)?;
    let modified = about.modified()?.duration_since(UNIX_EPOCH)?.as_nanos();
    let mut hasher = Sha256::new();
    hasher.update(migrations_key(backend)?);
    hasher.update(binary.to_string_lossy().as_bytes());
    hasher.update(about.len().to_le_bytes());
    hasher.update(modified.to_le_bytes());
    Ok(hex(&hasher.finalize()[..8]))
}

pub fn random_hex() -> Fallible<String> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes)?;
    Ok(hex(&bytes))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
