//! [`DbCounts`]: how many rows each table a request can write to holds, as one value.
//! Taken before and after a refused request, two equal values say "nothing changed";
//! two that differ name the table that did.

use diesel::dsl::count_star;
use diesel::prelude::*;
use pbx_portal::db::DbConn;
use pbx_portal::db::schema::{
    answering_rules, api_idempotency, api_tokens, audit_events, bulk_job_items, bulk_jobs,
    call_history, contacts, deleted_users, devices, domains, import_files, import_rows,
    link_mail_counts, outbox, password_tokens, reset_undo, sessions, sign_in_failures, users,
    voicemail_greetings, voicemail_messages,
};

use super::TestApp;

/// Declares [`DbCounts`] with a field per table and the query that fills it.
macro_rules! counted_tables {
    ($($table:ident),+ $(,)?) => {
        /// The number of rows in each table a request can change (see [`TestApp::db_counts`]).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub struct DbCounts {
            $(pub $table: i64,)+
        }

        fn count_rows(conn: &mut DbConn) -> QueryResult<DbCounts> {
            Ok(DbCounts {
                $($table: $table::table.select(count_star()).first(conn)?,)+
            })
        }
    };
}

counted_tables!(
    domains,
    users,
    deleted_users,
    devices,
    voicemail_messages,
    voicemail_greetings,
    answering_rules,
    contacts,
    call_history,
    bulk_jobs,
    bulk_job_items,
    reset_undo,
    import_files,
    import_rows,
    audit_events,
    outbox,
    link_mail_counts,
    password_tokens,
    sessions,
    sign_in_failures,
    api_tokens,
    api_idempotency,
);

impl TestApp {
    /// The row counts of every table a request can change, read on one connection: compare a
    /// value taken before a request with one taken after it.
    ///
    /// ```ignore
    /// let before = app.db_counts().await?;
    /// // … a request that must be refused …
    /// assert_eq!(app.db_counts().await?, before, "nothing changed");
    /// ```
    pub async fn db_counts(&self) -> Result<DbCounts, Box<dyn std::error::Error>> {
        self.query(count_rows).await
    }
}
