//! Add User and the edit page: server-side validation with a message per bad field,
//! taken extensions, scope limits, and optimistic concurrency.

use diesel::prelude::*;
use pbx_portal::db::schema::{audit_events, users};
use reqwest::StatusCode;

use crate::helpers::*;

const ACME: &str = "/domains/acme.example/users";

fn form<'a>(
    extension: &'a str,
    first: &'a str,
    email: &'a str,
    scope: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("extension", extension),
        ("first_name", first),
        ("last_name", "Newhire"),
        ("email", email),
        ("scope", scope),
        ("department", "Sales"),
        ("site", "Head Office"),
    ]
}

#[tokio::test]
async fn the_add_user_page_offers_scopes_up_to_ones_own() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.get(&format!("{ACME}/new")).await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    // Up to Office Manager: an office manager cannot give higher scopes.
    assert_html_snapshot!(
        "scopes_offered_to_an_office_manager",
        part(&html, "<select")?
    );
    Ok(())
}

#[tokio::test]
async fn adding_a_user_saves_it_and_says_so() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &form("160", "Nina", "nina@acme.example", "Simple User"),
        )
        .await?;
    assert_redirect(&response, ACME);
    let page = app.get(&format!("{ACME}?q=160")).await?.text().await?;
    assert!(page.contains("User 160 (Nina Newhire) was added."));
    assert_eq!(listed_extensions(&page), ["160"]);
    assert!(page.contains("Password Required"));
    let actions = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::target.eq("160"))
                .select(audit_events::action)
                .load::<String>(conn)
        })
        .await?;
    assert_eq!(actions, ["user.create"]);
    Ok(())
}

#[tokio::test]
async fn a_taken_extension_is_refused_with_a_clear_message_and_the_typing_kept() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &form("101", "Nina", "nina@acme.example", "Basic User"),
        )
        .await?;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await?;
    // The error beside the extension, and what was typed kept.
    assert_html_snapshot!(
        "add_user_extension_taken",
        part(&html, "class=\"card stacked user-form\"")?
    );
    Ok(())
}

#[tokio::test]
async fn bad_fields_are_each_reported_and_nothing_is_saved() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let before = app.db_counts().await?;
    let long_name = "N".repeat(65);
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &form("1x", &long_name, "not-an-address", "Emperor"),
        )
        .await?;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    let html = response.text().await?;
    for message in [
        "An extension has digits only.",
        "Use at most 64 characters.",
        "Enter an e-mail address such as name@example.com.",
        "Choose one of the listed scopes.",
    ] {
        assert!(html.contains(message), "{message}");
    }
    assert_eq!(app.db_counts().await?, before, "nothing saved");
    Ok(())
}

#[tokio::test]
async fn nobody_grants_a_scope_above_their_own() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &form("161", "Nina", "", "Super User"),
        )
        .await?;
    assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        response
            .text()
            .await?
            .contains("You cannot give a scope higher than your own.")
    );
    assert!(!app.user_exists("acme.example", "161").await?);
    Ok(())
}

#[tokio::test]
async fn editing_saves_the_changes_and_records_what_changed() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let edit = app.get(&format!("{ACME}/105")).await?;
    assert_status(&edit, StatusCode::OK);
    let html = edit.text().await?;
    // The user's details filled in, the extension and its version carried.
    assert_html_snapshot!(
        "edit_user_form",
        part(&html, "class=\"card stacked user-form\"")?
    );
    let version = html
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no version")?
        .to_owned();
    let mut fields = form("999", "Renamed", "renamed@acme.example", "Advanced User");
    fields.push(("version", &version));
    let response = app.post_form(&format!("{ACME}/105"), &fields).await?;
    assert_redirect(&response, ACME);
    let saved = app
        .query(|conn| {
            users::table
                .filter(users::extension.eq("105"))
                .filter(users::first_name.eq("Renamed"))
                .select((users::email, users::scope))
                .first::<(Option<String>, i32)>(conn)
        })
        .await?;
    assert_eq!(saved, (Some("renamed@acme.example".to_owned()), 3));
    assert!(
        !app.user_exists("acme.example", "999").await?,
        "the extension is read-only"
    );
    let details = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("user.update"))
                .select(audit_events::details)
                .first::<String>(conn)
        })
        .await?;
    assert!(
        details.starts_with("changed first name, last name, e-mail, scope"),
        "{details}"
    );
    // The same old version again: someone (this test) changed the user since.
    let stale = app.post_form(&format!("{ACME}/105"), &fields).await?;
    assert_status(&stale, StatusCode::CONFLICT);
    assert!(
        stale
            .text()
            .await?
            .contains("Someone else changed this user while you were editing.")
    );
    Ok(())
}

#[tokio::test]
async fn own_scope_cannot_be_changed_and_other_domains_users_cannot_be_edited() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let mut fields = form("100", "Me", "", "Basic User");
    fields.push(("version", "1"));
    let own = app.post_form(&format!("{ACME}/100"), &fields).await?;
    assert_status(&own, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        own.text()
            .await?
            .contains("You cannot change your own scope.")
    );
    assert_status(
        &app.get("/domains/globex.example/users/101").await?,
        StatusCode::FORBIDDEN,
    );
    let forged = app
        .post_form("/domains/globex.example/users/101", &fields)
        .await?;
    assert_status(&forged, StatusCode::FORBIDDEN);
    assert_status(
        &app.get(&format!("{ACME}/199")).await?,
        StatusCode::NOT_FOUND,
    );
    Ok(())
}

#[tokio::test]
async fn many_editors_saving_at_once_all_succeed() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let token = app.csrf_token().await?;
    let mut saves = Vec::new();
    for extension in 120..140 {
        let client = app.client.clone();
        let url = app.url(&format!("{ACME}/{extension}"));
        let token = token.clone();
        saves.push(tokio::spawn(async move {
            client
                .post(url)
                .header("X-CSRF-Token", token)
                .form(&[
                    ("first_name", "Same"),
                    ("last_name", "Time"),
                    ("scope", "Basic User"),
                    ("version", "1"),
                ])
                .send()
                .await
                .map(|response| response.status())
        }));
    }
    for save in saves {
        assert_eq!(save.await??, StatusCode::SEE_OTHER);
    }
    let renamed = app
        .query(|conn| {
            users::table
                .filter(users::first_name.eq("Same"))
                .count()
                .get_result::<i64>(conn)
        })
        .await?;
    assert_eq!(renamed, 20);
    Ok(())
}
