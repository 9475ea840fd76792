//! The Security page (`/account/security`): two-step sign-in as its owner sees it.

use askama::Template;
use qrcode::QrCode;
use qrcode::render::svg;

use super::{Chrome, Moment};
use crate::domain::one_time_codes::percent_encoded;

/// An authenticator app being set up: what the person scans or types.
pub struct AppSetup {
    /// The QR code of the app's `otpauth://` address, as an SVG `data:` address.
    pub qr_src: String,
    /// The secret in base32 capitals, for typing instead.
    pub secret: String,
    pub code_error: Option<String>,
}

impl AppSetup {
    /// `None` if the address is too long for a QR code (it never is: about 120 bytes).
    pub fn new(otpauth_uri: &str, secret: String) -> Option<Self> {
        let code = QrCode::new(otpauth_uri.as_bytes()).ok()?;
        let image = code
            .render::<svg::Color>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build();
        Some(Self {
            qr_src: format!(
                "data:image/svg+xml;charset=utf-8,{}",
                percent_encoded(&image)
            ),
            secret,
            code_error: None,
        })
    }
}

/// Ten recovery codes just made, shown once.
pub struct NewRecoveryCodes {
    pub codes: Vec<String>,
    /// The same codes as a text file to download, one a line.
    pub download_href: String,
}

impl NewRecoveryCodes {
    pub fn new(codes: Vec<String>) -> Self {
        let text: String = codes.iter().map(|code| format!("{code}\n")).collect();
        Self {
            download_href: format!("data:text/plain;charset=utf-8,{}", percent_encoded(&text)),
            codes,
        }
    }
}

/// A passkey as listed.
pub struct PasskeyLine {
    pub name: String,
    pub added: Moment,
    pub remove_action: String,
}

/// A passkey being added: the browser is to create it with `options`.
pub struct AddingPasskey {
    pub name: String,
    pub token: String,
    /// The creation options (JSON) for `navigator.credentials.create`.
    pub options: String,
}

#[derive(Template)]
#[template(path = "account/security.html")]
pub struct SecurityPage {
    pub chrome: Chrome,
    pub flash: Option<String>,
    pub error: Option<String>,
    /// The user's domain requires two-step sign-in of them.
    pub required: bool,
    pub app_on: bool,
    pub setup: Option<AppSetup>,
    pub passkeys: Vec<PasskeyLine>,
    pub recovery_codes_left: i64,
    pub new_codes: Option<NewRecoveryCodes>,
    /// Whether the portal's address allows passkeys (a host name, not an IP).
    pub passkeys_available: bool,
    /// **Passkey name** as typed, and why it was refused.
    pub passkey_name: crate::views::users::FormField,
    pub adding: Option<AddingPasskey>,
}

impl SecurityPage {
    pub fn is_on(&self) -> bool {
        self.app_on || !self.passkeys.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{main_of, test_chrome};

    fn page() -> SecurityPage {
        SecurityPage {
            chrome: test_chrome(),
            flash: None,
            error: None,
            required: false,
            app_on: false,
            setup: None,
            passkeys: Vec::new(),
            recovery_codes_left: 0,
            new_codes: None,
            passkeys_available: true,
            passkey_name: crate::views::users::FormField::default(),
            adding: None,
        }
    }

    #[test]
    fn without_a_factor_the_page_offers_to_set_one_up() -> Result<(), askama::Error> {
        insta::assert_snapshot!(main_of(&page().render()?));
        Ok(())
    }

    #[test]
    fn setting_up_shows_the_qr_code_the_secret_and_the_code_field() -> Result<(), askama::Error> {
        let setup = AppSetup::new("otpauth://totp/x:y?secret=GEZDGNBV", "GEZDGNBV".into());
        assert!(setup.is_some());
        let html = SecurityPage { setup, ..page() }.render()?;
        assert!(html.contains("src=\"data:image/svg+xml;charset=utf-8,%3C"));
        assert!(html.contains("alt=\"QR code"));
        assert!(html.contains("<code id=\"app-secret\">GEZDGNBV</code>"));
        assert!(html.contains(">Turn on</button>"));
        Ok(())
    }

    #[test]
    fn new_codes_are_shown_once_with_their_download() -> Result<(), askama::Error> {
        let codes = vec![
            "abcd-efgh-jkmn-pqrs".to_owned(),
            "0123-4567-89ab-cdef".to_owned(),
        ];
        let html = SecurityPage {
            app_on: true,
            recovery_codes_left: 2,
            new_codes: Some(NewRecoveryCodes::new(codes)),
            ..page()
        }
        .render()?;
        insta::assert_snapshot!(main_of(&html));
        Ok(())
    }
}
