//! Runs the SQL on standard input against a SQLite database file, through the SQLite
//! the portal itself is built with. `bench/run` times its plain-SQL ceiling with this:
//! the schema's search index needs FTS5 options newer than the `sqlite3` shell that
//! Debian ships, and the ceiling should be the same engine the portal runs on.
//!   cargo run --release --example sql -- DB_FILE < script.sql

use std::io::Read;

use diesel::connection::SimpleConnection;
use diesel::{Connection, SqliteConnection};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: sql DB_FILE < script.sql")?;
    let mut script = String::new();
    std::io::stdin().read_to_string(&mut script)?;
    let mut conn = SqliteConnection::establish(&path)?;
    conn.batch_execute(&script)?;
    Ok(())
}
