//! Noting when a session or an API token was last used, for the Sessions and API tokens
//! pages: written in the background, so no request waits for it, and at most once a
//! minute per row and instance (the caller claims the write through
//! [`crate::services::sessions::LastSeenNotes`]). A failed write costs only the
//! accuracy of those pages, and is logged.

use std::fmt::Display;

use crate::db::DbConn;
use crate::state::AppState;

/// Runs `touch` on a pooled connection after the request, logging a failure as "could
/// not note {what}'s last use" with the row's `id`.
pub fn note_in_background<F>(
    state: &AppState,
    what: &'static str,
    id: impl Display + Send + 'static,
    touch: F,
) where
    F: FnOnce(&mut DbConn) -> diesel::QueryResult<usize> + Send + 'static,
{
    let state = state.clone();
    actix_web::rt::spawn(async move {
        if let Err(err) = state.db(touch).await {
            tracing::warn!(%id, error = %err, "could not note {what}'s last use");
        }
    });
}
