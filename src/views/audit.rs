//! The audit log page.

use askama::Template;

use super::list::Column;
use super::{Chrome, Moment};
use crate::db::audit::{AuditEvent, action_label};

pub struct AuditRow {
    pub time: Moment,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub details: String,
}

impl From<AuditEvent> for AuditRow {
    fn from(event: AuditEvent) -> Self {
        AuditRow {
            time: event.created_at.into(),
            action: action_label(&event.action).to_owned(),
            actor: event.actor_login,
            target: event.target,
            details: event.details,
        }
    }
}

/// The table's columns.
pub const AUDIT_COLUMNS: [Column; 5] = [
    Column::text("When (UTC)"),
    Column::text("Who"),
    Column::text("Action"),
    Column::text("User"),
    Column::text("Details"),
];

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

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::db::audit::{USER_DELETE, USER_RESET, USER_UPDATE};
    use crate::views::{main_of, test_chrome, test_time};

    fn event(id: i64, action: &str, target: &str, details: &str, at: &str) -> AuditRow {
        AuditEvent {
            id,
            actor_login: "100@acme.example".into(),
            action: action.into(),
            target: target.into(),
            details: details.into(),
            created_at: test_time(at),
        }
        .into()
    }

    fn page(filter: &str, events: Vec<AuditRow>, older_href: Option<String>) -> AuditPage {
        AuditPage {
            chrome: test_chrome(),
            domain: "acme.example".into(),
            users_href: "/domains/acme.example/users".into(),
            audit_href: "/domains/acme.example/audit".into(),
            filter: filter.into(),
            events,
            older_href,
        }
    }

    #[test]
    fn events_with_a_link_to_older_ones() -> askama::Result<()> {
        let events = vec![
            event(3, USER_DELETE, "152", "Kim Park", "2026-11-27 14:05:09"),
            event(2, USER_RESET, "131", "name, e-mail", "2026-11-27 14:01:00"),
            event(1, USER_UPDATE, "105", "changed site", "2026-11-26 08:00:00"),
        ];
        let older = Some("/domains/acme.example/audit?q=&before=1".into());
        let html = page("", events, older).render()?;
        assert_snapshot!("audit_list", main_of(&html));
        Ok(())
    }

    #[test]
    fn no_events_at_all() -> askama::Result<()> {
        let html = page("", Vec::new(), None).render()?;
        assert_snapshot!("audit_list_empty", main_of(&html));
        Ok(())
    }

    #[test]
    fn a_filter_that_matches_nothing() -> askama::Result<()> {
        let html = page("no-such-thing", Vec::new(), None).render()?;
        assert_snapshot!("audit_list_filter_without_matches", main_of(&html));
        Ok(())
    }
}
