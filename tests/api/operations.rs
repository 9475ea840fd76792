//! What a provider running the portal relies on: `/health`, `/metrics` (readable from
//! this machine or with the token, never through a proxy), and client addresses taken
//! from a load balancer's `X-Forwarded-For` only when it is a trusted proxy.

use reqwest::StatusCode;

use crate::helpers::*;

const METRICS_TOKEN: &str = "a-metrics-token-of-forty-characters-long";

#[tokio::test]
async fn health_says_ok_when_the_database_answers() -> TestResult {
    let app = TestApp::builder().start().await?;
    let health = app.get("/health").await?;
    assert_status(&health, StatusCode::OK);
    assert_eq!(
        health
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store")
    );
    assert_eq!(health.text().await?, "ok");
    Ok(())
}

#[tokio::test]
async fn health_answers_503_within_seconds_when_no_database_connection_can_be_had() -> TestResult {
    let app = TestApp::builder().start().await?;
    // Every connection of the server's pool (four in tests) held elsewhere.
    let pool = app.pool.clone();
    let held = tokio::task::spawn_blocking(move || {
        (0..pool.max_size())
            .map(|_| pool.get())
            .collect::<Result<Vec<_>, _>>()
    })
    .await??;
    let started = std::time::Instant::now();
    let health = app.get("/health").await?;
    assert_status(&health, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(
        health.text().await?,
        "database unreachable",
        "no detail leaks"
    );
    drop(held);
    assert_status(&app.get("/health").await?, StatusCode::OK);
    Ok(())
}

/// GET /metrics with `headers`.
async fn metrics(app: &TestApp, headers: &[(&str, &str)]) -> reqwest::Result<reqwest::Response> {
    let mut request = app.browser.client.get(app.url("/metrics"));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request.send().await
}

#[tokio::test]
async fn metrics_count_answers_by_route_and_say_how_jobs_mail_and_the_pool_are() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .metrics_token(METRICS_TOKEN)
        .start()
        .await?;
    for _ in 0..3 {
        assert_status(
            &app.get("/domains/acme.example/users").await?,
            StatusCode::OK,
        );
    }
    assert_status(&app.get("/no/such/page/4f9d").await?, StatusCode::NOT_FOUND);
    let answer = metrics(&app, &[]).await?;
    assert_status(&answer, StatusCode::OK);
    assert!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/openmetrics-text")),
    );
    let text = answer.text().await?;
    assert!(
        text.contains(
            r#"pbx_portal_http_requests_total{method="GET",route="/domains/{domain}/users",status="200"} 3"#
        ),
        "{text}"
    );
    // A stray path is counted under one label, never by its own name.
    assert!(
        text.contains(r#"route="unmatched",status="404"} 1"#),
        "{text}"
    );
    assert!(!text.contains("4f9d"));
    assert!(text.contains("pbx_portal_http_request_duration_seconds_bucket{"));
    for state in ["pending", "running", "finished"] {
        assert!(
            text.contains(&format!("pbx_portal_jobs{{state=\"{state}\"}}")),
            "{state}"
        );
    }
    assert!(text.contains(r#"pbx_portal_outbox_messages{state="queued"}"#));
    assert!(text.contains("pbx_portal_db_connections_max 4"), "{text}");
    assert!(text.contains(r#"pbx_portal_db_connections{state="in_use"}"#));
    assert!(text.contains("pbx_portal_draining 0"));
    Ok(())
}

#[tokio::test]
async fn metrics_are_not_for_anyone_a_proxy_forwards_unless_they_bring_the_token() -> TestResult {
    let app = TestApp::builder()
        .metrics_token(METRICS_TOKEN)
        .trusted_proxies(vec!["127.0.0.1".parse()?])
        .start()
        .await?;
    let bearer = format!("Bearer {METRICS_TOKEN}");
    let refused: [&[(&str, &str)]; 6] = [
        &[("X-Forwarded-For", "203.0.113.7")],
        &[("Forwarded", "for=203.0.113.7")],
        &[("X-Real-IP", "203.0.113.7")],
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("Authorization", "Bearer wrong"),
        ],
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("Authorization", "Basic YTpi"),
        ],
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("Authorization", &bearer[..bearer.len() - 1]),
        ],
    ];
    for headers in refused {
        let answer = metrics(&app, headers).await?;
        assert_status(&answer, StatusCode::NOT_FOUND);
        assert!(!answer.text().await?.contains("pbx_portal_"), "{headers:?}");
    }
    let with_token = metrics(
        &app,
        &[
            ("X-Forwarded-For", "203.0.113.7"),
            ("Authorization", &bearer),
        ],
    )
    .await?;
    assert_status(&with_token, StatusCode::OK);
    assert!(
        with_token
            .text()
            .await?
            .contains("pbx_portal_http_requests_total")
    );
    Ok(())
}

/// Five wrong passwords for 100@acme.example from 203.0.113.7, then the right one from
/// 203.0.113.8: the status of that last sign-in.
async fn guessed_then_signed_in_elsewhere(
    app: &TestApp,
) -> Result<StatusCode, Box<dyn std::error::Error>> {
    let guesser = app.new_browser()?;
    for _ in 0..5 {
        let wrong = guesser
            .sign_in_with(
                "100@acme.example",
                "wrong",
                &[("X-Forwarded-For", "203.0.113.7")],
            )
            .await?;
        assert_status(&wrong, StatusCode::UNAUTHORIZED);
    }
    let owner = app.new_browser()?;
    let signed_in = owner
        .sign_in_with(
            "100@acme.example",
            DEMO_PASSWORD,
            &[("X-Forwarded-For", "203.0.113.8")],
        )
        .await?;
    if signed_in.status() == StatusCode::SEE_OTHER {
        let sessions = owner.get("/account/sessions").await?.text().await?;
        assert!(
            sessions.contains("203.0.113.8"),
            "the session keeps the client's address"
        );
    }
    Ok(signed_in.status())
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_clients_guessing_does_not_lock_out_another() -> TestResult {
    let behind = TestApp::builder()
        .demo()
        .trusted_proxies(vec!["127.0.0.1".parse()?])
        .start()
        .await?;
    assert_eq!(
        guessed_then_signed_in_elsewhere(&behind).await?,
        StatusCode::SEE_OTHER
    );
    // Without the proxy trusted, the header is the client's own word: both "clients"
    // are the one peer, and the guesses throttle the login from it.
    let direct = TestApp::builder().demo().start().await?;
    assert_eq!(
        guessed_then_signed_in_elsewhere(&direct).await?,
        StatusCode::TOO_MANY_REQUESTS
    );
    Ok(())
}
