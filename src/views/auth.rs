//! Sign-in, sign-out and the forced password change.

use askama::Template;

use super::Chrome;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub csrf_token: String,
    /// What was typed in Login, kept after a failed attempt.
    pub login: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/sign_out.html")]
pub struct SignOutPage {
    pub csrf_token: String,
    pub signed_in: bool,
}

#[derive(Template)]
#[template(path = "auth/change_password.html")]
pub struct ChangePasswordPage {
    pub chrome: Chrome,
    pub new_password_error: Option<String>,
    pub confirm_error: Option<String>,
}

#[derive(Template)]
#[template(path = "auth/set_password.html")]
pub struct SetPasswordPage {
    pub csrf_token: String,
    pub action: String,
    pub login: String,
    /// When the link stops working, e.g. "2026-11-27 14:05".
    pub expires: String,
    pub pin_required: bool,
    pub errors: crate::services::links::FieldErrors,
}

#[derive(Template)]
#[template(path = "auth/password_set.html")]
pub struct PasswordSetPage {
    pub login: String,
}

/// A set-password link that cannot be used (any more).
#[derive(Template)]
#[template(path = "auth/link_closed.html")]
pub struct LinkClosedPage {
    pub title: &'static str,
    pub message: &'static str,
}
