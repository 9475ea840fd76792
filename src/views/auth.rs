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
