//! Security headers and answers to malformed requests.

use crate::helpers::*;
use reqwest::StatusCode;

#[tokio::test]
async fn pages_carry_a_strict_content_security_policy_and_refuse_framing() -> TestResult {
    let app = TestApp::builder().start().await?;
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
    let app = TestApp::builder().start().await?;
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
    let app = TestApp::builder().demo().start().await?;
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
    let app = TestApp::builder().demo().start().await?;
    let response = app
        .post_body("/login", b"login=%FF%FE100&password=%C3%28".to_vec())
        .await?;
    assert!(response.status().is_client_error(), "{}", response.status());
    Ok(())
}

#[tokio::test]
async fn health_answers_when_the_database_does() -> TestResult {
    let app = TestApp::builder().start().await?;
    let response = app.get("/health").await?;
    assert_status(&response, StatusCode::OK);
    assert_eq!(response.text().await?, "ok");
    Ok(())
}

#[tokio::test]
async fn htmx_requests_get_readable_fragments_and_redirect_headers() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
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

/// Inserts a row into `table` with SQL of its own, deletes the newest row, inserts
/// again, and returns (deleted id, next id).
fn newest_deleted_then_next(
    conn: &mut pbx_portal::db::DbConn,
    table: &str,
    insert: &str,
) -> diesel::QueryResult<(i64, i64)> {
    use diesel::RunQueryDsl;
    use diesel::sql_types::BigInt;
    #[derive(diesel::QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let newest = |conn: &mut pbx_portal::db::DbConn| -> diesel::QueryResult<i64> {
        diesel::sql_query(format!("SELECT max(id) AS id FROM {table}"))
            .get_result::<Id>(conn)
            .map(|row| row.id)
    };
    diesel::sql_query(insert.replace("$N", "1")).execute(conn)?;
    let deleted = newest(conn)?;
    diesel::sql_query(format!("DELETE FROM {table} WHERE id = {deleted}")).execute(conn)?;
    diesel::sql_query(insert.replace("$N", "2")).execute(conn)?;
    Ok((deleted, newest(conn)?))
}

#[tokio::test]
async fn ids_of_deleted_rows_are_never_handed_out_again() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let tables: [(&str, &str); 7] = [
        (
            "users",
            "INSERT INTO users (domain_id, extension, scope) \
             SELECT id, '80$N', 1 FROM domains WHERE name = 'acme.example'",
        ),
        (
            "password_tokens",
            "INSERT INTO password_tokens (user_id, token_hash, purpose, expires_at) \
             SELECT min(id), 'hash-$N', 'welcome', CURRENT_TIMESTAMP FROM users",
        ),
        (
            "bulk_jobs",
            "INSERT INTO bulk_jobs (domain_id, actor_login, kind, state) \
             SELECT min(id), 'test', 'delete', 'finished' FROM domains",
        ),
        (
            "outbox",
            "INSERT INTO outbox (recipient, kind, subject, body_text, body_html, state) \
             VALUES ('a$N@example.com', 'welcome', 's', 't', 'h', 'cancelled')",
        ),
        (
            "sessions",
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at, expires_at) \
             SELECT 'session-$N', min(id), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users",
        ),
        (
            "api_tokens",
            "INSERT INTO api_tokens (user_id, name, token_hash, created_at, expires_at) \
             SELECT min(id), 'token-$N', 'hash-$N', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users",
        ),
        (
            "import_files",
            "INSERT INTO import_files (key, actor_id, file_name, created_at, content, checked) \
             SELECT 'key-$N', min(id), 'f.csv', CURRENT_TIMESTAMP, 'c', '[]' FROM users",
        ),
    ];
    for (table, insert) in tables {
        let (deleted, next) = app
            .query(move |conn| newest_deleted_then_next(conn, table, insert))
            .await?;
        assert!(next > deleted, "{table}: id {deleted} was handed out again");
    }
    Ok(())
}

#[tokio::test]
async fn a_device_row_moves_its_users_domain_on_whatever_its_own_domain_says() -> TestResult {
    use diesel::prelude::*;
    use pbx_portal::db::schema::{devices, domains, users};
    let app = TestApp::builder().demo().start().await?;
    let version_of_acme = |conn: &mut pbx_portal::db::DbConn| {
        domains::table
            .filter(domains::name.eq("acme.example"))
            .select(domains::data_version)
            .first::<i64>(conn)
    };
    let (acme_user, globex) = app
        .query(|conn| {
            let acme_user = users::table
                .inner_join(domains::table)
                .filter(domains::name.eq("acme.example"))
                .filter(users::extension.eq("110"))
                .select(users::id)
                .first::<i64>(conn)?;
            let globex = domains::table
                .filter(domains::name.eq("globex.example"))
                .select(domains::id)
                .first::<i64>(conn)?;
            Ok((acme_user, globex))
        })
        .await?;
    let before = app.query(version_of_acme).await?;
    // A device row that names the wrong domain (written by plain SQL, say) still counts
    // on the acme user's row of the Users page.
    app.query(move |conn| {
        diesel::insert_into(devices::table)
            .values((
                devices::domain_id.eq(globex),
                devices::user_id.eq(acme_user),
                devices::name.eq("odd-device"),
            ))
            .execute(conn)
    })
    .await?;
    let inserted = app.query(version_of_acme).await?;
    assert!(inserted > before, "an insert moves the user's domain on");
    app.query(|conn| {
        diesel::delete(devices::table.filter(devices::name.eq("odd-device"))).execute(conn)
    })
    .await?;
    assert!(
        app.query(version_of_acme).await? > inserted,
        "a delete moves the user's domain on"
    );
    Ok(())
}
