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

/// The second step of a sign-in: a code, or a passkey.
#[derive(Template)]
#[template(path = "auth/second_step.html")]
pub struct SecondStepPage {
    pub csrf_token: String,
    pub login: String,
    pub has_passkey: bool,
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

#[cfg(test)]
mod tests {
    use insta::assert_snapshot;

    use super::*;
    use crate::services::links::FieldErrors;
    use crate::views::{main_of, test_chrome};

    #[test]
    fn sign_in() -> askama::Result<()> {
        let html = LoginPage {
            csrf_token: "csrf-token".into(),
            login: String::new(),
            error: None,
        }
        .render()?;
        assert_snapshot!("sign_in", main_of(&html));
        Ok(())
    }

    #[test]
    fn sign_in_after_a_failed_attempt_keeps_the_login() -> askama::Result<()> {
        let html = LoginPage {
            csrf_token: "csrf-token".into(),
            login: "100@acme.example".into(),
            error: Some("The login or password is not correct.".into()),
        }
        .render()?;
        assert_snapshot!("sign_in_failed", main_of(&html));
        Ok(())
    }

    #[test]
    fn sign_out_when_signed_in_and_when_not() -> askama::Result<()> {
        let signed_in = SignOutPage {
            csrf_token: "csrf-token".into(),
            signed_in: true,
        }
        .render()?;
        assert_snapshot!("sign_out_signed_in", main_of(&signed_in));
        let signed_out = SignOutPage {
            csrf_token: "csrf-token".into(),
            signed_in: false,
        }
        .render()?;
        assert_snapshot!("sign_out_signed_out", main_of(&signed_out));
        Ok(())
    }

    #[test]
    fn change_password() -> askama::Result<()> {
        let html = ChangePasswordPage {
            chrome: test_chrome(),
            new_password_error: None,
            confirm_error: None,
        }
        .render()?;
        assert_snapshot!("change_password", main_of(&html));
        Ok(())
    }

    #[test]
    fn change_password_marks_each_refused_field() -> askama::Result<()> {
        let html = ChangePasswordPage {
            chrome: test_chrome(),
            new_password_error: Some("Use at least 10 characters.".into()),
            confirm_error: Some("The two passwords do not match.".into()),
        }
        .render()?;
        assert_snapshot!("change_password_with_errors", main_of(&html));
        Ok(())
    }

    fn set_password(pin_required: bool, errors: FieldErrors) -> SetPasswordPage {
        SetPasswordPage {
            csrf_token: "csrf-token".into(),
            action: "/password/link-token".into(),
            login: "155@acme.example".into(),
            expires: "2026-11-27 14:05".into(),
            pin_required,
            errors,
        }
    }

    #[test]
    fn set_password_with_a_pin_required() -> askama::Result<()> {
        let html = set_password(true, FieldErrors::default()).render()?;
        assert_snapshot!("set_password_pin_required", main_of(&html));
        Ok(())
    }

    #[test]
    fn set_password_marks_each_refused_field() -> askama::Result<()> {
        let errors = FieldErrors {
            new_password: Some("Use at least 10 characters.".into()),
            confirm_password: None,
            pin: Some("A PIN cannot be a run of digits such as 1234.".into()),
        };
        let html = set_password(false, errors).render()?;
        assert_snapshot!("set_password_pin_optional_with_errors", main_of(&html));
        Ok(())
    }

    #[test]
    fn password_set() -> askama::Result<()> {
        let html = PasswordSetPage {
            login: "155@acme.example".into(),
        }
        .render()?;
        assert_snapshot!("password_set", main_of(&html));
        Ok(())
    }

    #[test]
    fn link_closed() -> askama::Result<()> {
        let html = LinkClosedPage {
            title: "This link has been used",
            message: "This set-password link has been used already; each link works once.",
        }
        .render()?;
        assert_snapshot!("link_closed_used", main_of(&html));
        Ok(())
    }
}
