//! The Deleted users page: a domain's deleted users, the latest first, each with a
//! checkbox, and Restore, whose Confirm and Progress steps appear below the table.

use askama::Template;

use super::list::Column;
use super::{Chrome, Moment};
use crate::db::deleted_users::DeletedUser;

pub struct DeletedRow {
    pub user_id: String,
    pub extension: String,
    pub name: String,
    pub email: String,
    pub deleted: Moment,
    pub by: String,
}

impl From<DeletedUser> for DeletedRow {
    fn from(user: DeletedUser) -> Self {
        DeletedRow {
            user_id: user.user_id.to_string(),
            name: format!("{} {}", user.first_name, user.last_name)
                .trim()
                .to_owned(),
            extension: user.extension,
            email: user.email.unwrap_or_default(),
            deleted: user.deleted_at.into(),
            by: user.deleted_by,
        }
    }
}

/// The table's columns: a checkbox per row (no heading), then the user and its deletion.
pub const DELETED_COLUMNS: [Column; 6] = [
    Column::blank("select"),
    Column::text("Extension"),
    Column::text("Name"),
    Column::text("E-mail"),
    Column::text("Deleted"),
    Column::text("By"),
];

#[derive(Template)]
#[template(path = "users/deleted.html")]
pub struct DeletedUsersPage {
    pub chrome: Chrome,
    pub domain: String,
    pub users_href: String,
    /// Where Restore posts the selection: its Confirm step.
    pub confirm_href: String,
    pub rows: Vec<DeletedRow>,
    pub older_href: Option<String>,
    pub retention_days: u32,
}

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::views::{main_of, test_chrome};

    fn page(rows: Vec<DeletedRow>, older_href: Option<String>) -> DeletedUsersPage {
        DeletedUsersPage {
            chrome: test_chrome(),
            domain: "acme.example".into(),
            users_href: "/domains/acme.example/users".into(),
            confirm_href: "/domains/acme.example/users/deleted/restore/confirm".into(),
            rows,
            older_href,
            retention_days: 30,
        }
    }

    /// Each deleted user with a checkbox named by extension, when and by whom; Restore.
    #[test]
    fn deleted_users() -> askama::Result<()> {
        let row = DeletedRow {
            user_id: "42".into(),
            extension: "130".into(),
            name: "Ada Lovelace".into(),
            email: "ada@acme.example".into(),
            deleted: Moment {
                text: "2026-11-27 14:05:00 UTC".into(),
                iso: "2026-11-27T14:05:00Z".into(),
            },
            by: "100@acme.example".into(),
        };
        let html = page(
            vec![row],
            Some("/domains/acme.example/users/deleted?before=7".into()),
        )
        .render()?;
        assert_snapshot!("deleted_users", main_of(&html));
        Ok(())
    }

    /// Nobody deleted: says so, and offers no Restore.
    #[test]
    fn no_deleted_users() -> askama::Result<()> {
        let html = page(Vec::new(), None).render()?;
        assert!(html.contains("No users were deleted in the last 30 days."));
        assert!(!html.contains(">Restore</button>"));
        Ok(())
    }
}
