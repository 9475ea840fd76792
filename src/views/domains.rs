//! The domain picker of Resellers and Super Users.

use askama::Template;

use super::Chrome;
use super::list::Column;
use crate::db::domains::Domain;
use crate::web::paths;

pub struct DomainLink {
    pub name: String,
    pub description: String,
    pub users_path: String,
}

impl From<Domain> for DomainLink {
    fn from(domain: Domain) -> Self {
        DomainLink {
            users_path: paths::users(&domain.name),
            name: domain.name,
            description: domain.description,
        }
    }
}

/// The table's columns.
pub const DOMAIN_COLUMNS: [Column; 2] = [Column::text("Domain"), Column::text("Description")];

#[derive(Template)]
#[template(path = "domains/list.html")]
pub struct DomainListPage {
    pub chrome: Chrome,
    pub domains: Vec<DomainLink>,
    /// The outcome of the last action, e.g. a test e-mail.
    pub flash: Option<String>,
    /// For Super Users: where mail goes, and the test e-mail form.
    pub mail_delivery: Option<String>,
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::domain::ids::{DomainId, ResellerId};
    use crate::views::{main_of, test_chrome, test_time};

    fn domain(id: i64, name: &str, description: &str) -> Domain {
        Domain {
            id: DomainId::new(id),
            name: name.into(),
            description: description.into(),
            reseller_id: Some(ResellerId::new(1)),
            portal_security: true,
            created_at: test_time("2026-01-05 09:30:00"),
            data_version: 1,
            dead_ends: 0,
            time_zone: "America/New_York".into(),
            require_two_step: false,
            settings_version: 1,
        }
    }

    fn links() -> Vec<DomainLink> {
        vec![
            domain(1, "acme.example", "Acme Corporation").into(),
            domain(2, "globex.example", "").into(),
        ]
    }

    /// A Reseller's picker: links only, no mail delivery section.
    #[test]
    fn a_resellers_domains() -> askama::Result<()> {
        let html = DomainListPage {
            chrome: test_chrome(),
            domains: links(),
            flash: None,
            mail_delivery: None,
        }
        .render()?;
        assert_snapshot!("domains_list", main_of(&html));
        Ok(())
    }

    /// A Super User's picker also says where mail goes and offers a test e-mail.
    #[test]
    fn a_super_users_domains_with_mail_delivery() -> askama::Result<()> {
        let html = DomainListPage {
            chrome: test_chrome(),
            domains: links(),
            flash: Some("A test e-mail was sent to ops@example.com.".into()),
            mail_delivery: Some(
                "Mail is delivered to the mail server at \"smtp://mail.example:587\".".into(),
            ),
        }
        .render()?;
        assert_snapshot!("domains_list_super_user", main_of(&html));
        Ok(())
    }
}
