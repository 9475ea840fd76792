//! Deleting one user: the confirmation, everything attached removed in one transaction,
//! the audit event, and every refusal of SPEC section 4.

use diesel::prelude::*;
use pbx_portal::db::schema::{audit_events, call_history, devices, users};
use pbx_portal::domain::Scope;
use reqwest::StatusCode;

use crate::helpers::*;

const ACME: &str = "/domains/acme.example/users";

async fn attached_rows(
    app: &TestApp,
    user_id: i64,
) -> Result<(i64, i64), Box<dyn std::error::Error>> {
    app.query(move |conn| {
        let devices: i64 = devices::table
            .filter(devices::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        let calls: i64 = call_history::table
            .filter(call_history::user_id.eq(user_id))
            .count()
            .get_result(conn)?;
        Ok((devices, calls))
    })
    .await
}

async fn id_of(app: &TestApp, extension: &'static str) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        users::table
            .inner_join(pbx_portal::db::schema::domains::table)
            .filter(pbx_portal::db::schema::domains::name.eq("acme.example"))
            .filter(users::extension.eq(extension))
            .select(users::id)
            .first(conn)
    })
    .await
}

#[tokio::test]
async fn without_javascript_the_button_leads_to_a_confirmation_whose_no_keeps_the_view()
-> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.get(&format!("{ACME}/101/delete?sort=name&q=1")).await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    // Whom, what goes with them, Yes, and a No that leads back to the same view.
    assert_html_snapshot!("delete_confirmation", part(&html, "role=\"dialog\"")?);
    assert!(
        app.user_exists("acme.example", "101").await?,
        "opening the confirmation deletes nothing"
    );
    Ok(())
}

#[tokio::test]
async fn yes_deletes_the_user_and_everything_attached_then_says_so() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "101").await?;
    assert_ne!(attached_rows(&app, id).await?, (0, 0));
    let response = app
        .post_form(&format!("{ACME}/101/delete?q=10"), &[])
        .await?;
    assert_redirect(&response, "/domains/acme.example/users?q=10");
    let page = app.get(&format!("{ACME}?q=10")).await?.text().await?;
    assert!(page.contains("User 101 (Ben Larsen) was deleted."));
    assert!(!listed_extensions(&page).contains(&"101".to_owned()));
    let again = app.get(&format!("{ACME}?q=10")).await?.text().await?;
    assert!(!again.contains("was deleted."), "the message shows once");
    assert!(!app.user_exists("acme.example", "101").await?);
    assert_eq!(attached_rows(&app, id).await?, (0, 0));
    let events = app
        .query(move |conn| {
            audit_events::table
                .filter(audit_events::target_user_id.eq(id))
                .select((
                    audit_events::actor_login,
                    audit_events::action,
                    audit_events::target,
                ))
                .load::<(String, String, String)>(conn)
        })
        .await?;
    assert_eq!(
        events,
        [(
            "100@acme.example".to_owned(),
            "user.delete".to_owned(),
            "101".to_owned()
        )]
    );
    Ok(())
}

#[tokio::test]
async fn the_dialog_posts_with_the_header_token_and_gets_the_message_as_text() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let token = app.csrf_token().await?;
    let response = app
        .client
        .post(app.url(&format!("{ACME}/151/delete")))
        .header("X-CSRF-Token", token)
        .header("HX-Request", "true")
        .send()
        .await?;
    assert_status(&response, StatusCode::OK);
    assert_eq!(response.text().await?, "User 151 was deleted.");
    assert!(!app.user_exists("acme.example", "151").await?);
    Ok(())
}

#[tokio::test]
async fn nobody_deletes_their_own_user() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let confirm = app.get(&format!("{ACME}/100/delete")).await?;
    assert_status(&confirm, StatusCode::FORBIDDEN);
    let response = app.post_form(&format!("{ACME}/100/delete"), &[]).await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await?
            .contains("You cannot do this to your own user.")
    );
    assert!(app.user_exists("acme.example", "100").await?);
    Ok(())
}

#[tokio::test]
async fn nobody_deletes_a_user_of_higher_scope() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.add_user("acme.example", "190", Scope::Reseller).await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.post_form(&format!("{ACME}/190/delete"), &[]).await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert!(
        response
            .text()
            .await?
            .contains("This user has a higher scope (Reseller) than yours.")
    );
    assert!(app.user_exists("acme.example", "190").await?);
    Ok(())
}

#[tokio::test]
async fn a_forged_delete_of_another_domains_user_changes_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form("/domains/globex.example/users/101/delete", &[])
        .await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert!(app.user_exists("globex.example", "101").await?);
    assert_status(
        &app.get("/domains/globex.example/users/101/delete").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

#[tokio::test]
async fn deletes_without_a_token_or_below_office_manager_change_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let no_token = app
        .client
        .post(app.url(&format!("{ACME}/102/delete")))
        .send()
        .await?;
    assert_status(&no_token, StatusCode::FORBIDDEN);
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(
        &basic.post_form(&format!("{ACME}/102/delete"), &[]).await?,
        StatusCode::FORBIDDEN,
    );
    assert!(app.user_exists("acme.example", "102").await?);
    Ok(())
}

#[tokio::test]
async fn unknown_users_and_malformed_extensions_are_404() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    assert_status(
        &app.post_form(&format!("{ACME}/199/delete"), &[]).await?,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &app.post_form(&format!("{ACME}/abc/delete"), &[]).await?,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &app.get(&format!("{ACME}/199/delete")).await?,
        StatusCode::NOT_FOUND,
    );
    Ok(())
}

#[tokio::test]
async fn a_reseller_and_a_super_user_delete_in_their_domains() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("8000@northwind.example").await?;
    assert_redirect(
        &app.post_form(&format!("{ACME}/110/delete"), &[]).await?,
        ACME,
    );
    assert_status(
        &app.post_form("/domains/initech.example/users/110/delete", &[])
            .await?,
        StatusCode::FORBIDDEN,
    );
    let root = app.new_browser()?;
    root.signed_in_as("9000@platform.example").await?;
    assert_redirect(
        &root
            .post_form("/domains/initech.example/users/110/delete", &[])
            .await?,
        "/domains/initech.example/users",
    );
    assert!(!app.user_exists("acme.example", "110").await?);
    assert!(!app.user_exists("initech.example", "110").await?);
    Ok(())
}
