//! The recycle form of a reset with Recycle Users: a fragment in the dialog and a page
//! at `/jobs/{id}/recycle`.

use askama::Template;

use super::super::Chrome;
use super::super::users::FormField;
use crate::db::domains::Domain;
use crate::db::users::User;
use crate::domain::ids::UserId;

/// One row of the recycle form.
pub struct RecycleRowView {
    pub user_id: UserId,
    /// The user's row version when the form was shown.
    pub version: i32,
    pub extension: String,
    pub first_name: FormField,
    pub last_name: FormField,
    pub email: FormField,
    pub email_recommended: bool,
}

impl RecycleRowView {
    /// A recycle form row for `user`, as it is now.
    pub fn of(user: User, domain: &Domain) -> Self {
        RecycleRowView {
            user_id: user.id,
            version: user.version,
            email_recommended: domain.portal_security || user.vm_to_email || user.vm_transcription,
            first_name: FormField::new(user.first_name),
            last_name: FormField::new(user.last_name),
            email: FormField::new(user.email.unwrap_or_default()),
            extension: user.extension,
        }
    }
}

pub struct RecycleForm {
    pub action: String,
    /// For browsers without JavaScript, which post the form themselves.
    pub csrf_token: String,
    pub rows: Vec<RecycleRowView>,
    pub error: Option<String>,
    pub saved: Option<String>,
    pub users_href: String,
    /// Whether "Send Welcome Email" is checked.
    pub send_welcome: bool,
}

#[derive(Template)]
#[template(path = "jobs/recycle_fragment.html")]
pub struct RecycleFragment {
    pub form: RecycleForm,
}

#[derive(Template)]
#[template(path = "jobs/recycle.html")]
pub struct RecyclePage {
    pub chrome: Chrome,
    pub domain: String,
    pub form: RecycleForm,
}
