//! The signed-in user's own account pages: their open sessions and their API tokens.

use askama::Template;

use super::list::Column;
use super::users::FormField;
use super::{Chrome, Moment};
use crate::db::api_tokens::ApiToken;
use crate::services::sessions::OwnSession;
use crate::web::paths;

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

/// The Sessions table's columns: the session, then its Sign out button.
pub const SESSION_COLUMNS: [Column; 5] = [
    Column::text("Device"),
    Column::text("Address"),
    Column::text("Signed in (UTC)"),
    Column::text("Last seen (UTC)"),
    Column::hidden("Actions"),
];

#[derive(Template)]
#[template(path = "account/sessions.html")]
pub struct SessionsPage {
    pub chrome: Chrome,
    pub login: String,
    pub sessions: Vec<SessionRow>,
    /// The user's API tokens, listed by name: **Sign out everywhere** revokes them too
    /// unless **Also revoke API tokens** is unchecked.
    pub tokens: Vec<TokenRow>,
    pub tokens_href: &'static str,
    pub end_all_action: &'static str,
    pub flash: Option<String>,
}

/// The columns of a list of API tokens, as the Sessions page shows it.
pub const TOKEN_COLUMNS: [Column; 4] = [
    Column::text("Name"),
    Column::text("Created (UTC)"),
    Column::text("Expires (UTC)"),
    Column::text("Last used (UTC)"),
];

/// The API tokens page's columns: those of [`TOKEN_COLUMNS`], then its Revoke button.
pub const TOKEN_COLUMNS_WITH_REVOKE: [Column; 5] = [
    Column::text("Name"),
    Column::text("Created (UTC)"),
    Column::text("Expires (UTC)"),
    Column::text("Last used (UTC)"),
    Column::hidden("Actions"),
];

/// One row of the API tokens page.
pub struct TokenRow {
    pub name: String,
    pub created: Moment,
    pub expires: Moment,
    pub last_used: Option<Moment>,
    pub expired: bool,
    /// Where its **Revoke {name}** button posts.
    pub revoke_action: String,
}

impl TokenRow {
    pub fn new(token: ApiToken, now: chrono::NaiveDateTime) -> Self {
        Self {
            revoke_action: paths::account_token_revoke(token.id),
            created: token.created_at.into(),
            expires: token.expires_at.into(),
            last_used: token.last_used_at.map(Moment::from),
            expired: token.expires_at <= now,
            name: token.name,
        }
    }
}

/// A token just made, shown once.
pub struct CreatedToken {
    pub name: String,
    pub secret: String,
    pub expires: Moment,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
pub struct TokensPage {
    pub chrome: Chrome,
    pub login: String,
    pub tokens: Vec<TokenRow>,
    pub created: Option<CreatedToken>,
    pub name: FormField,
    pub days: FormField,
    pub max_days: u32,
    pub create_action: &'static str,
    pub flash: Option<String>,
}

/// The Current password step: a guarded form's fields kept, and the password asked for.
#[derive(Template)]
#[template(path = "account/confirm_password.html")]
pub struct ConfirmPasswordPage {
    pub chrome: Chrome,
    /// What is being done, as the step names it: "Creating an API token".
    pub what: &'static str,
    pub minutes: i64,
    /// Where the guarded form posts, and this step with it.
    pub action: String,
    /// The guarded form's own fields, sent again with the password.
    pub kept: Vec<(String, String)>,
    pub error: Option<String>,
    pub cancel_href: String,
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::domain::ids::SessionId;
    use crate::views::{main_of, test_chrome, test_time};

    #[test]
    fn own_sessions_with_this_browser_marked() -> askama::Result<()> {
        let session = |id, device: &str, address: &str, is_current| {
            SessionRow::from(OwnSession {
                id: SessionId::new(id),
                device: device.into(),
                address: address.into(),
                signed_in_at: test_time("2026-11-27 08:10:00"),
                last_seen_at: test_time("2026-11-27 14:05:00"),
                is_current,
            })
        };
        let html = SessionsPage {
            chrome: test_chrome(),
            login: "100@acme.example".into(),
            sessions: vec![
                session(7, "Firefox on Windows", "192.0.2.10", true),
                session(4, "Safari on iPhone", "198.51.100.23", false),
            ],
            tokens: vec![TokenRow::new(
                ApiToken {
                    id: crate::domain::ids::ApiTokenId::new(3),
                    user_id: crate::domain::ids::UserId::new(1),
                    name: "nightly sync".into(),
                    created_at: test_time("2026-11-20 09:00:00"),
                    expires_at: test_time("2027-02-18 09:00:00"),
                    last_used_at: None,
                },
                test_time("2026-11-27 14:05:00"),
            )],
            tokens_href: paths::ACCOUNT_TOKENS,
            end_all_action: paths::ACCOUNT_SESSIONS_END_ALL,
            flash: Some("That session was signed out.".into()),
        }
        .render()?;
        assert_snapshot!("account_sessions", main_of(&html));
        Ok(())
    }

    #[test]
    fn the_current_password_step_keeps_what_was_typed() -> askama::Result<()> {
        let html = ConfirmPasswordPage {
            chrome: test_chrome(),
            what: "Creating an API token",
            minutes: 10,
            action: paths::ACCOUNT_TOKENS.into(),
            kept: vec![
                ("name".into(), "nightly \"sync\" <b>".into()),
                ("expires_in_days".into(), "90".into()),
            ],
            error: Some("That is not your current password.".into()),
            cancel_href: paths::ACCOUNT_TOKENS.into(),
        }
        .render()?;
        assert_snapshot!("confirm_password", main_of(&html));
        Ok(())
    }
}
