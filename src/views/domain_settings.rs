//! The Domain settings page of a domain.

use askama::Template;

use super::Chrome;
use super::users::FormField;

#[derive(Template)]
#[template(path = "domains/settings.html")]
pub struct DomainSettingsPage {
    pub chrome: Chrome,
    pub domain: String,
    pub action: String,
    pub users_href: String,
    /// The settings version the page was read at, posted back with Save.
    pub version: i32,
    pub portal_security: bool,
    pub time_zone: FormField,
    pub require_two_step: bool,
    pub time_zones: &'static [&'static str],
    /// Why the page could not be saved as a whole (someone else saved first).
    pub error: Option<String>,
    pub flash: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::views::{main_of, test_chrome};

    fn page() -> DomainSettingsPage {
        DomainSettingsPage {
            chrome: test_chrome(),
            domain: "acme.example".into(),
            action: "/domains/acme.example/settings".into(),
            users_href: "/domains/acme.example/users".into(),
            version: 3,
            portal_security: true,
            time_zone: FormField::new("America/New_York"),
            require_two_step: false,
            time_zones: &["America/New_York", "Europe/London"],
            error: None,
            flash: Some("The settings of acme.example were saved.".into()),
        }
    }

    #[test]
    fn the_page_shows_each_setting_as_saved() -> Result<(), askama::Error> {
        insta::assert_snapshot!(main_of(&page().render()?));
        Ok(())
    }

    #[test]
    fn a_refused_time_zone_is_shown_with_its_reason() -> Result<(), askama::Error> {
        let mut page = page();
        page.time_zone.value = "Mars/Olympus".into();
        page.time_zone.error = Some("Enter a time zone such as America/New_York.".into());
        let html = page.render()?;
        assert!(html.contains("aria-invalid=\"true\""));
        assert!(html.contains("Enter a time zone such as America/New_York."));
        assert!(html.contains("value=\"Mars/Olympus\""));
        Ok(())
    }
}
