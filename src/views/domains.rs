//! The domain picker of Resellers and Super Users.

use askama::Template;

use super::Chrome;
use crate::db::domains::Domain;
use crate::routes::paths;

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
