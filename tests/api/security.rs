//! Security headers and answers to malformed requests.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_refuse_framing() -> TestResult {
    let app = spawn_app().await?;
    let response = app.get("/login").await?;
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let csp = header("content-security-policy");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(header("x-frame-options"), "DENY");
    assert_eq!(header("x-content-type-options"), "nosniff");
    assert_eq!(header("cache-control"), "no-store");
    Ok(())
}

#[tokio::test]
async fn htmx_and_the_stylesheet_are_served_from_the_binary() -> TestResult {
    let app = spawn_app().await?;
    let htmx = app.get("/static/vendor/htmx/htmx.min.js").await?;
    assert_status(&htmx, StatusCode::OK);
    let content_type = htmx
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(content_type.contains("javascript"), "{content_type}");
    assert!(htmx.text().await?.contains("htmx"));
    assert_status(&app.get("/static/css/app.css").await?, StatusCode::OK);
    assert_status(
        &app.get("/static/vendor/htmx/LICENSE").await?,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &app.get("/static/../Cargo.toml").await?,
        StatusCode::NOT_FOUND,
    );
    Ok(())
}

#[tokio::test]
async fn a_malformed_form_gets_a_400_not_a_crash() -> TestResult {
    let app = spawn_demo().await?;
    let response = app.post_body("/login", "login=100%40acme.example").await?;
    assert_status(&response, StatusCode::BAD_REQUEST);
    assert!(
        response
            .text()
            .await?
            .contains("The form could not be read")
    );
    Ok(())
}

#[tokio::test]
async fn non_utf8_input_is_refused_cleanly() -> TestResult {
    let app = spawn_demo().await?;
    let response = app
        .post_body("/login", b"login=%FF%FE100&password=%C3%28".to_vec())
        .await?;
    assert!(response.status().is_client_error(), "{}", response.status());
    Ok(())
}

#[tokio::test]
async fn health_answers_when_the_database_does() -> TestResult {
    let app = spawn_app().await?;
    let response = app.get("/health").await?;
    assert_status(&response, StatusCode::OK);
    assert_eq!(response.text().await?, "ok");
    Ok(())
}

#[tokio::test]
async fn htmx_requests_get_readable_fragments_and_redirect_headers() -> TestResult {
    let app = spawn_demo().await?;
    let anonymous = app
        .client
        .get(app.url("/domains/acme.example/users"))
        .header("HX-Request", "true")
        .header("HX-Target", "users-results")
        .send()
        .await?;
    assert_status(&anonymous, StatusCode::UNAUTHORIZED);
    assert_eq!(
        anonymous
            .headers()
            .get("hx-redirect")
            .and_then(|v| v.to_str().ok()),
        Some("/login")
    );
    app.signed_in_as("100@acme.example").await?;
    let refused = app
        .client
        .get(app.url("/domains/globex.example/users"))
        .header("HX-Request", "true")
        .header("HX-Target", "users-results")
        .send()
        .await?;
    assert_status(&refused, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.text().await?,
        r#"<p class="alert error" role="alert">This domain is not one you manage.</p>"#
    );
    let no_token = app
        .client
        .post(app.url("/domains/acme.example/users/101/delete"))
        .header("HX-Request", "true")
        .send()
        .await?;
    assert_status(&no_token, StatusCode::FORBIDDEN);
    assert!(
        no_token
            .text()
            .await?
            .starts_with(r#"<p class="alert error" role="alert">"#)
    );
    Ok(())
}
