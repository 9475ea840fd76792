//! The Users page.

use askama::Template;

use super::Chrome;
use crate::db::users::User;

/// One table row, ready to show.
pub struct UserRow {
    pub extension: String,
    pub name: String,
    pub email: String,
    pub department: String,
    pub site: String,
    pub scope: &'static str,
    pub status: &'static str,
    pub status_class: &'static str,
    pub must_change_password: bool,
}

impl From<User> for UserRow {
    fn from(user: User) -> Self {
        let status = user.status();
        UserRow {
            name: user.full_name(),
            scope: user.scope().label(),
            status: status.label(),
            status_class: match status {
                crate::domain::Status::SetupRequired => "setup",
                crate::domain::Status::PasswordRequired => "password",
                crate::domain::Status::Active => "active",
            },
            must_change_password: user.must_change_password,
            extension: user.extension,
            email: user.email.unwrap_or_default(),
            department: user.department,
            site: user.site,
        }
    }
}

#[derive(Template)]
#[template(path = "users/list.html")]
pub struct UsersPage {
    pub chrome: Chrome,
    pub domain: String,
    pub total: i64,
    pub rows: Vec<UserRow>,
}
