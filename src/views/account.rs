//! The signed-in user's own account pages: their open sessions.

use askama::Template;

use super::Chrome;
use crate::routes::paths;
use crate::services::sessions::OwnSession;

/// One row of the Sessions page.
pub struct SessionRow {
    pub device: String,
    pub address: String,
    pub signed_in_at: String,
    pub last_seen_at: String,
    pub is_current: bool,
    /// Where its **Sign out {device}** button posts.
    pub end_action: String,
}

impl From<OwnSession> for SessionRow {
    fn from(session: OwnSession) -> Self {
        Self {
            end_action: paths::account_session_end(session.id),
            device: session.device,
            address: session.address,
            signed_in_at: session.signed_in_at.format("%Y-%m-%d %H:%M").to_string(),
            last_seen_at: session.last_seen_at.format("%Y-%m-%d %H:%M").to_string(),
            is_current: session.is_current,
        }
    }
}

#[derive(Template)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub chrome: Chrome,
    pub login: String,
    pub sessions: Vec<SessionRow>,
    pub end_all_action: &'static str,
    pub flash: Option<String>,
}
