//! Every state-changing request needs the session's CSRF token and must not come from
//! another site.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn sign_in_without_a_token_is_refused() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.get("/login").await?;
    let response = app
        .client
        .post(app.url("/login"))
        .form(&[("login", "100@acme.example"), ("password", DEMO_PASSWORD)])
        .send()
        .await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert_redirect(&app.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn sign_in_with_a_wrong_or_foreign_token_is_refused() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let other_browser = new_client()?;
    let foreign_page = other_browser
        .get(app.url("/login"))
        .send()
        .await?
        .text()
        .await?;
    let foreign_token = find_csrf_token(&foreign_page).ok_or("no token")?;
    app.get("/login").await?;
    for token in [foreign_token.as_str(), "0000", ""] {
        let response = app
            .client
            .post(app.url("/login"))
            .form(&[
                ("login", "100@acme.example"),
                ("password", DEMO_PASSWORD),
                ("csrf_token", token),
            ])
            .send()
            .await?;
        assert_status(&response, StatusCode::FORBIDDEN);
    }
    assert_redirect(&app.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn the_token_is_accepted_in_the_x_csrf_token_header() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app
        .post_body("/login", "login=100%40acme.example&password=demo-password")
        .await?;
    assert_redirect(&response, "/");
    Ok(())
}

#[tokio::test]
async fn sign_out_without_a_token_changes_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.client.post(app.url("/logout")).send().await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::OK,
    );
    Ok(())
}

#[tokio::test]
async fn a_request_from_another_origin_is_refused_even_with_the_token() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let token = app.csrf_token().await?;
    for (header, value) in [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let response = app
            .client
            .post(app.url("/logout"))
            .header(header, value)
            .form(&[("csrf_token", token.as_str())])
            .send()
            .await?;
        assert_status(&response, StatusCode::FORBIDDEN);
    }
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::OK,
    );
    let same_origin = app
        .client
        .post(app.url("/logout"))
        .header("Origin", app.address.clone())
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await?;
    assert_redirect(&same_origin, "/login");
    Ok(())
}

#[tokio::test]
async fn a_refused_password_change_leaves_the_password_alone() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.sign_in("158@acme.example", DEMO_PASSWORD).await?;
    let response = app
        .client
        .post(app.url("/account/password"))
        .form(&[
            ("new_password", "a fresh long secret"),
            ("confirm_password", "a fresh long secret"),
        ])
        .send()
        .await?;
    assert_status(&response, StatusCode::FORBIDDEN);
    assert_redirect(&app.get("/").await?, "/account/password");
    Ok(())
}
