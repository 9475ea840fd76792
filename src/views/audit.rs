//! The audit log page.

use askama::Template;

use super::Chrome;
use crate::db::audit::{AuditEvent, action_label};

pub struct AuditRow {
    pub time: String,
    pub iso_time: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
}

impl From<AuditEvent> for AuditRow {
    fn from(event: AuditEvent) -> Self {
        AuditRow {
            time: event.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            iso_time: event.created_at.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
            action: action_label(&event.action).to_owned(),
            actor: event.actor_login,
            target: event.target,
            details: event.details,
        }
    }
}

#[derive(Template)]
#[template(path = "audit/list.html")]
pub struct AuditPage {
    pub chrome: Chrome,
    pub domain: String,
    pub users_href: String,
    pub audit_href: String,
    pub filter: String,
    pub events: Vec<AuditRow>,
    pub older_href: Option<String>,
}
