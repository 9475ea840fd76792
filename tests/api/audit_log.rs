//! The audit log page: every change, newest first, with a filter.

use reqwest::StatusCode;

use crate::helpers::*;

#[tokio::test]
async fn the_audit_log_lists_changes_newest_first_and_filters_them() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    app.post_form("/domains/acme.example/users/151/delete", &[])
        .await?;
    app.post_form("/domains/acme.example/users/152/delete", &[])
        .await?;
    let page = app.get("/domains/acme.example/audit").await?;
    assert_status(&page, StatusCode::OK);
    let html = page.text().await?;
    // Newest first: who deleted whom, and what the user was.
    assert_html_snapshot!("audit_log_of_two_deletes", part(&html, "<tbody")?);
    let by_action = app
        .get("/domains/acme.example/audit?q=delete")
        .await?
        .text()
        .await?;
    assert_eq!(by_action.matches("<td>Delete user</td>").count(), 2);
    assert_eq!(
        cells_after(&by_action, "<time datetime=").len(),
        2,
        "a row per event"
    );
    let by_user = app
        .get("/domains/acme.example/audit?q=152")
        .await?
        .text()
        .await?;
    assert_eq!(by_user.matches("<td>Delete user</td>").count(), 1);
    let nothing = app
        .get("/domains/acme.example/audit?q=no-such-thing")
        .await?;
    assert_status(&nothing, StatusCode::OK);
    assert!(
        cells_after(&nothing.text().await?, "<time datetime=").is_empty(),
        "no events listed"
    );
    Ok(())
}

#[tokio::test]
async fn another_domains_audit_log_is_refused() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    assert_status(
        &app.get("/domains/globex.example/audit").await?,
        StatusCode::FORBIDDEN,
    );
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(
        &basic.get("/domains/acme.example/audit").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}
