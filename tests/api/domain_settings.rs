//! Domain settings (`/domains/{domain}/settings`): who may open and save them, the
//! Current password step in front of Save, the version check, bad input, and the audit
//! event each save leaves.

use diesel::prelude::*;
use pbx_portal::db::schema::{audit_events, domains};
use reqwest::StatusCode;

use crate::helpers::*;

const SETTINGS: &str = "/domains/acme.example/settings";

/// The domain's (portal security, time zone, require two-step, version).
async fn stored(
    app: &TestApp,
    name: &'static str,
) -> Result<(bool, String, bool, i32), Box<dyn std::error::Error>> {
    app.query(move |conn| {
        domains::table
            .filter(domains::name.eq(name))
            .select((
                domains::portal_security,
                domains::time_zone,
                domains::require_two_step,
                domains::settings_version,
            ))
            .first(conn)
    })
    .await
}

async fn settings_events(app: &TestApp) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    app.query(|conn| {
        audit_events::table
            .filter(audit_events::action.eq("domain.settings"))
            .order(audit_events::id)
            .select(audit_events::details)
            .load(conn)
    })
    .await
}

#[tokio::test]
async fn an_office_manager_saves_the_settings_and_the_change_is_audited() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let users_page = app
        .browser
        .get("/domains/acme.example/users")
        .await?
        .text()
        .await?;
    assert!(users_page.contains(&format!("href=\"{SETTINGS}\">Domain settings</a>")));
    let page = app.browser.get(SETTINGS).await?.text().await?;
    assert_html_snapshot!("domain_settings_page", part(&page, "<main")?);
    let (security, zone, two_step, version) = stored(&app, "acme.example").await?;
    assert!(security && !two_step);
    assert_eq!(zone, "America/New_York");

    let version_text = version.to_string();
    let response = app
        .browser
        .post_form(
            SETTINGS,
            &[
                ("version", version_text.as_str()),
                ("time_zone", "europe/london"),
                ("require_two_step", "on"),
            ],
        )
        .await?;
    assert_redirect(&response, SETTINGS);
    assert_eq!(
        stored(&app, "acme.example").await?,
        (false, "Europe/London".to_owned(), true, version + 1)
    );
    // Under the rule just turned on, and with no second factor, the manager is taken to
    // Security like everyone under it; the message waits there.
    assert_redirect(&app.browser.get(SETTINGS).await?, "/account/security");
    let page = app.browser.get("/account/security").await?.text().await?;
    assert!(page.contains("The settings of acme.example were saved."));
    assert!(page.contains("Your domain requires two-step sign-in"));
    assert_eq!(
        settings_events(&app).await?,
        [
            "Portal security: on → off; Time zone: America/New_York → Europe/London; Require two-step sign-in: off → on"
        ]
    );
    // Another domain's settings are not touched.
    assert_eq!(stored(&app, "globex.example").await?.3, 1);
    Ok(())
}

#[tokio::test]
async fn a_save_made_from_an_older_page_is_refused_and_shows_the_settings_as_saved() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let first = [
        ("version", "1"),
        ("time_zone", "Europe/Paris"),
        ("portal_security", "on"),
    ];
    let response = app.browser.post_form(SETTINGS, &first).await?;
    assert_redirect(&response, SETTINGS);
    // A second tab, opened before that save, posts version 1 again.
    let stale = [
        ("version", "1"),
        ("time_zone", "Asia/Tokyo"),
        ("require_two_step", "on"),
    ];
    let response = app.browser.post_form(SETTINGS, &stale).await?;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let page = response.text().await?;
    assert!(page.contains("Someone else saved these settings"));
    assert!(
        page.contains("value=\"Europe/Paris\""),
        "shows what is saved"
    );
    assert!(page.contains("name=\"version\" value=\"2\""));
    assert_eq!(
        stored(&app, "acme.example").await?,
        (true, "Europe/Paris".to_owned(), false, 2)
    );
    assert_eq!(settings_events(&app).await?.len(), 1);
    Ok(())
}

#[tokio::test]
async fn bad_input_is_refused_and_saves_nothing() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    // A NUL byte is refused before any handler, as everywhere (400).
    let response = app
        .browser
        .post_form(SETTINGS, &[("version", "1"), ("time_zone", "UTC\u{0}")])
        .await?;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    for zone in ["Mars/Olympus", "", &"A".repeat(5000)] {
        let response = app
            .browser
            .post_form(SETTINGS, &[("version", "1"), ("time_zone", zone)])
            .await?;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{zone:?}"
        );
        let page = response.text().await?;
        assert!(page.contains("Enter a time zone such as America/New_York"));
    }
    for version in ["", "x", "99999999999"] {
        let response = app
            .browser
            .post_form(SETTINGS, &[("version", version), ("time_zone", "UTC")])
            .await?;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{version:?}");
    }
    // A version that was never the domain's is a conflict, not a save.
    let response = app
        .browser
        .post_form(SETTINGS, &[("version", "7"), ("time_zone", "UTC")])
        .await?;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    assert_eq!(stored(&app, "acme.example").await?.3, 1);
    assert!(settings_events(&app).await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn only_the_domains_managers_may_open_or_save_its_settings() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let save = [
        ("version", "1"),
        ("time_zone", "Asia/Tokyo"),
        ("require_two_step", "on"),
    ];
    // A Basic User of the domain, and another domain's Office Manager.
    for (login, status) in [
        ("101@acme.example", StatusCode::FORBIDDEN),
        ("100@globex.example", StatusCode::FORBIDDEN),
    ] {
        let browser = app.new_browser()?;
        browser.signed_in_as(login).await?;
        assert_eq!(browser.get(SETTINGS).await?.status(), status, "{login}");
        assert_eq!(
            browser.post_form(SETTINGS, &save).await?.status(),
            status,
            "{login}"
        );
    }
    // A domain that does not exist answers as another customer's would.
    let browser = app.new_browser()?;
    browser.signed_in_as("100@globex.example").await?;
    let missing = browser.get("/domains/nowhere.example/settings").await?;
    assert_eq!(missing.status(), StatusCode::FORBIDDEN);
    // Without a session, sign in first; without the CSRF token, refused.
    let stranger = app.new_browser()?;
    assert_redirect(&stranger.get(SETTINGS).await?, "/login");
    assert_eq!(stored(&app, "acme.example").await?.3, 1);
    // The Reseller of acme.example may.
    let reseller = app.new_browser()?;
    reseller.signed_in_as("8000@northwind.example").await?;
    let response = reseller.post_form(SETTINGS, &save).await?;
    assert_redirect(&response, SETTINGS);
    assert_eq!(
        stored(&app, "acme.example").await?,
        (false, "Asia/Tokyo".to_owned(), true, 2)
    );
    Ok(())
}

#[tokio::test]
async fn saving_asks_for_the_current_password_when_it_is_not_recent() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    age_passwords(&app, Some(11)).await?;
    let save = [
        ("version", "1"),
        ("time_zone", "Asia/Tokyo"),
        ("require_two_step", "on"),
    ];
    let response = app.browser.post_form(SETTINGS, &save).await?;
    assert_eq!(response.status(), StatusCode::OK);
    let page = response.text().await?;
    assert!(page.contains("Saving Domain settings asks for your current password"));
    // What was typed is kept for after Confirm.
    assert!(page.contains("name=\"time_zone\" value=\"Asia/Tokyo\""));
    assert!(page.contains("name=\"require_two_step\" value=\"on\""));
    assert_eq!(stored(&app, "acme.example").await?.3, 1);

    let mut wrong = save.to_vec();
    wrong.push(("current_password", "guess"));
    let response = app.browser.post_form(SETTINGS, &wrong).await?;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(stored(&app, "acme.example").await?.3, 1);

    let mut right = save.to_vec();
    right.push(("current_password", DEMO_PASSWORD));
    let response = app.browser.post_form(SETTINGS, &right).await?;
    assert_redirect(&response, SETTINGS);
    assert_eq!(
        stored(&app, "acme.example").await?,
        (false, "Asia/Tokyo".to_owned(), true, 2)
    );
    Ok(())
}
