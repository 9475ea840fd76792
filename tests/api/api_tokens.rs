//! The API tokens page and what a token is worth: made with **Create token** (the
//! secret shown once, only its hash stored), listed with its last use, revoked with
//! **Revoke {name}**, and refused from the moment it is revoked, expires, or its owner is
//! deleted, reset or made to reset their password. Audit events name the token.

use diesel::prelude::*;
use pbx_portal::db::schema::{api_tokens, audit_events};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::api::{Api, new_token_in};
use crate::helpers::*;

async fn manager_app() -> Result<TestApp, Box<dyn std::error::Error>> {
    TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await
}

#[tokio::test]
async fn a_token_is_shown_once_stored_hashed_and_works_until_revoked() -> TestResult {
    let app = manager_app().await?;
    let page = app.browser.get("/account/tokens").await?.text().await?;
    // The form to make one, and a list that says there are none yet.
    assert_html_snapshot!("tokens_page_before_any", part(&page, "<main")?);

    let secret = app.browser.create_token("nightly sync").await?;
    assert!(secret.starts_with("pbx_"));
    let random_part = secret.splitn(3, '_').nth(2).unwrap_or_default();
    assert!(random_part.len() >= 43, "at least 256 bits: {secret}");
    let stored: Vec<String> = app
        .query(|conn| api_tokens::table.select(api_tokens::token_hash).load(conn))
        .await?;
    assert_eq!(stored.len(), 1);
    assert!(!stored[0].contains(random_part), "only a hash is kept");

    let api = Api::new(&app, Some(&secret))?;
    let domains = api.get("/api/v1/domains").await?;
    insta::assert_json_snapshot!(
        "domains_of_an_office_manager",
        domains.expect(StatusCode::OK)
    );

    // Reading the page again shows the token without its secret, and its last use.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let page = app.browser.get("/account/tokens").await?.text().await?;
    assert!(!page.contains(&secret) && new_token_in(&page).is_none());
    let action = page
        .split("action=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .find(|action| action.ends_with("/revoke"))
        .ok_or("no Revoke form")?
        .to_owned();
    // Listed by name, with its last use (a time, not "Never") and a Revoke button.
    assert_html_snapshot!(
        "tokens_list_after_use",
        masked(&part(&page, "<table")?, &[(&action, "[revoke action]")])
    );
    let revoked = app.browser.post_form(&action, &[]).await?;
    assert_redirect(&revoked, "/account/tokens");
    let page = app.browser.get("/account/tokens").await?.text().await?;
    assert_html_snapshot!(
        "tokens_after_revoke",
        format!(
            "{}\n{}",
            part(&page, "id=\"status-message\"")?,
            part(&page, "<table")?
        )
    );
    let refused = api.get("/api/v1/domains").await?;
    insta::assert_json_snapshot!(
        "revoked_token_refused",
        refused.expect(StatusCode::UNAUTHORIZED)
    );
    assert!(
        refused
            .header("www-authenticate")
            .is_some_and(|v| v.starts_with("Bearer"))
    );

    // Revoking it again (a copied form) finds nothing.
    let again = app.browser.post_form(&action, &[]).await?;
    assert_status(&again, StatusCode::NOT_FOUND);

    let events: Vec<(String, String)> = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.like("api_token.%"))
                .order(audit_events::id)
                .select((audit_events::action, audit_events::details))
                .load(conn)
        })
        .await?;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0].0, "api_token.create");
    assert_eq!(
        events[1],
        ("api_token.revoke".to_owned(), "nightly sync".to_owned())
    );
    Ok(())
}

#[tokio::test]
async fn the_token_form_says_what_is_wrong_and_makes_nothing() -> TestResult {
    let app = manager_app().await?;
    app.browser.create_token("ci").await?;
    let before = app.db_counts().await?;
    let cases = [
        ("", "30", "Give the token a name."),
        ("ci", "30", "You already have a token called ci."),
        (
            "other",
            "0",
            "Expires in days is a whole number from 1 to 365.",
        ),
        (
            "other",
            "366",
            "Expires in days is a whole number from 1 to 365.",
        ),
        (
            "other",
            "ten",
            "Expires in days is a whole number from 1 to 365.",
        ),
    ];
    for (name, days, message) in cases {
        let response = app
            .browser
            .post_form(
                "/account/tokens",
                &[("name", name), ("expires_in_days", days)],
            )
            .await?;
        assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
        let page = response.text().await?;
        assert!(page.contains(message), "{name}/{days}: {message}");
        assert!(new_token_in(&page).is_none());
    }
    assert_eq!(
        app.db_counts().await?,
        before,
        "a refused form made something"
    );
    // A form without the CSRF token makes nothing either.
    let forged = app
        .browser
        .client
        .post(app.browser.url("/account/tokens"))
        .form(&[("name", "forged"), ("expires_in_days", "30")])
        .send()
        .await?;
    assert_status(&forged, StatusCode::FORBIDDEN);
    assert_eq!(
        app.db_counts().await?,
        before,
        "a forged form made something"
    );
    Ok(())
}

#[tokio::test]
async fn a_token_ends_when_it_expires_or_its_owner_is_reset_forced_or_deleted() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let owner = Api::signed_as(&app, "100@acme.example").await?;
    owner.get("/api/v1/domains").await?.expect(StatusCode::OK);

    // Expired: the same token, its expiry moved into the past.
    app.query(|conn| {
        diesel::update(api_tokens::table)
            .set(
                api_tokens::expires_at
                    .eq(chrono::Utc::now().naive_utc() - chrono::TimeDelta::seconds(1)),
            )
            .execute(conn)
    })
    .await?;
    owner
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::UNAUTHORIZED);

    // The reseller's tokens act on the managers of acme: each way of ending a person's
    // access ends their tokens at once.
    let reseller = Api::signed_as(&app, "8000@northwind.example").await?;
    for (extension, how) in [
        (
            "110",
            json!({"action": "reset", "extensions": ["110"], "options": ["voicemail_messages"]}),
        ),
        (
            "111",
            json!({"action": "force_password_reset", "extensions": ["111"]}),
        ),
        ("112", json!({"action": "delete", "extensions": ["112"]})),
    ] {
        let browser = app.new_browser()?;
        browser
            .signed_in_as(&format!("{extension}@acme.example"))
            .await?;
        let token = browser.create_token("mine").await?;
        let theirs = Api::new(&app, Some(&token))?;
        // A Basic User's token works for what a Basic User may do: nothing on the API.
        theirs
            .get("/api/v1/domains")
            .await?
            .expect(StatusCode::FORBIDDEN);
        let job = reseller.run_job("acme.example", &how).await?;
        assert_eq!(job["done"], 1, "{job}");
        theirs
            .get("/api/v1/domains")
            .await?
            .expect(StatusCode::UNAUTHORIZED);
    }
    let left: Vec<String> = app
        .query(|conn| api_tokens::table.select(api_tokens::name).load(conn))
        .await?;
    assert!(!left.contains(&"mine".to_owned()), "{left:?}");
    Ok(())
}

#[tokio::test]
async fn audit_events_of_api_changes_name_the_token() -> TestResult {
    let app = manager_app().await?;
    let secret = app.browser.create_token("hr sync").await?;
    let api = Api::new(&app, Some(&secret))?;
    api.send(
        reqwest::Method::PATCH,
        "/api/v1/domains/acme.example/users/120",
        Some(&json!({"department": "Leavers"})),
        &[],
    )
    .await?
    .expect(StatusCode::OK);
    let actors: Vec<String> = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("user.update"))
                .select(audit_events::actor_login)
                .load(conn)
        })
        .await?;
    assert_eq!(actors, ["100@acme.example (API token 1, hr sync)"]);
    Ok(())
}

#[tokio::test]
async fn one_user_holds_at_most_25_tokens() -> TestResult {
    let app = manager_app().await?;
    for number in 0..25 {
        app.browser
            .create_token(&format!("script {number}"))
            .await?;
    }
    let before = app.db_counts().await?;
    assert_eq!(before.api_tokens, 25);
    let refused = app
        .browser
        .post_form(
            "/account/tokens",
            &[("name", "one more"), ("expires_in_days", "30")],
        )
        .await?;
    assert_status(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.text().await?;
    assert!(page.contains("You have 25 tokens, the most one may hold. Revoke one first."));
    assert!(new_token_in(&page).is_none());
    assert_eq!(app.db_counts().await?, before, "the 26th was refused whole");
    Ok(())
}
