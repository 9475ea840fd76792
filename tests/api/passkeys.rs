//! Passkeys, as far as a test without an authenticator can take them (the browser suite
//! adds and uses real ones with Chromium's virtual authenticator): the options the
//! portal asks for (its localhost relying party, user verification required), answers
//! that are not a passkey of this portal refused with nothing opened or stored, a
//! ceremony used once, and a passkey removed only by its owner.

use chrono::Utc;
use diesel::prelude::*;
use pbx_portal::db::schema::{audit_events, passkeys, sessions, users};
use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::*;

const MANAGER: &str = "100@acme.example";

async fn begin(browser: &Browser) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
    let response = browser.post_body("/login/passkey/begin", "").await?;
    Ok((response.status(), response.json().await?))
}

async fn finish(
    browser: &Browser,
    body: &str,
) -> Result<(StatusCode, Value), Box<dyn std::error::Error>> {
    let token = browser.csrf_token().await?;
    let response = browser
        .client
        .post(browser.url("/login/passkey/finish"))
        .header("X-CSRF-Token", token)
        .header("Content-Type", "application/json")
        .body(body.to_owned())
        .send()
        .await?;
    Ok((response.status(), response.json().await?))
}

/// A well-formed answer that no authenticator of this portal made.
fn forged_assertion(user_handle: &str) -> String {
    serde_json::json!({
        "id": "AAAA",
        "rawId": "AAAA",
        "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            "signature": "MEUCIQ",
            "userHandle": user_handle,
        },
        "extensions": {},
    })
    .to_string()
}

async fn session_count(app: &TestApp) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(|conn| sessions::table.count().get_result(conn))
        .await
}

#[tokio::test]
async fn sign_in_asks_for_a_verified_passkey_of_the_localhost_relying_party() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let browser = app.new_browser()?;
    let (status, options) = begin(&browser).await?;
    assert_eq!(status, StatusCode::OK);
    let key = &options["publicKey"];
    assert_eq!(key["rpId"], "localhost");
    assert_eq!(key["userVerification"], "required");
    assert!(
        key["challenge"].as_str().is_some_and(|c| c.len() >= 43),
        "{options}"
    );

    // Nonsense, and a forged answer, open nothing.
    let before = session_count(&app).await?;
    let (status, answer) = finish(&browser, "not json").await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(answer["error"].as_str().is_some());
    let (_, options) = begin(&browser).await?;
    assert!(options["publicKey"].is_object());
    let (status, answer) = finish(&browser, &forged_assertion("cGJ4cG9ydGwAAAAAAAAAZA")).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{answer}");
    assert_eq!(session_count(&app).await?, before);
    // A ceremony is used once, and one never begun cannot be finished.
    let (status, _) = finish(&browser, &forged_assertion("cGJ4cG9ydGwAAAAAAAAAZA")).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    let stranger = app.new_browser()?;
    let (status, _) = finish(&stranger, &forged_assertion("cGJ4cG9ydGwAAAAAAAAAZA")).await?;
    assert_eq!(status, StatusCode::CONFLICT);
    // Without the CSRF token, no ceremony begins.
    let response = app
        .new_browser()?
        .client
        .post(app.browser.url("/login/passkey/begin"))
        .send()
        .await?;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn adding_a_passkey_asks_for_one_kept_on_the_device_and_stores_nothing_forged() -> TestResult
{
    let app = TestApp::builder()
        .demo()
        .signed_in(MANAGER, DEMO_PASSWORD)
        .start()
        .await?;
    for (name, status) in [
        ("", StatusCode::UNPROCESSABLE_ENTITY),
        (&"x".repeat(65) as &str, StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let response = app
            .browser
            .post_form("/account/security/passkeys/add", &[("passkey_name", name)])
            .await?;
        assert_eq!(response.status(), status, "{name:?}");
    }
    let page = app
        .browser
        .post_form(
            "/account/security/passkeys/add",
            &[("passkey_name", "Work laptop")],
        )
        .await?
        .text()
        .await?;
    assert!(page.contains(">Continue</button>"));
    assert!(
        page.contains("&#34;userVerification&#34;:&#34;required&#34;"),
        "{page}"
    );
    assert!(page.contains("&#34;id&#34;:&#34;localhost&#34;"));
    let token = page
        .split("name=\"token\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no ceremony token")?
        .to_owned();
    let forged = serde_json::json!({
        "id": "AAAA", "rawId": "AAAA", "type": "public-key",
        "response": {"attestationObject": "o2NmbXRkbm9uZQ", "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0"},
        "extensions": {},
    })
    .to_string();
    let fields = [
        ("token", token.as_str()),
        ("name", "Work laptop"),
        ("credential", forged.as_str()),
    ];
    // A name changed on its way back through the browser is read again.
    let renamed = [
        ("token", token.as_str()),
        ("name", "\u{202e}"),
        ("credential", forged.as_str()),
    ];
    let response = app
        .browser
        .post_form("/account/security/passkeys/finish", &renamed)
        .await?;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = app
        .browser
        .post_form("/account/security/passkeys/finish", &fields)
        .await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    // The ceremony was used up by that try.
    let again = app
        .browser
        .post_form("/account/security/passkeys/finish", &fields)
        .await?;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let stored: i64 = app
        .query(|conn| passkeys::table.count().get_result(conn))
        .await?;
    assert_eq!(stored, 0);
    Ok(())
}

/// Gives `extension` of acme.example a passkey row as the portal would keep one.
async fn give_passkey(
    app: &TestApp,
    extension: &'static str,
    name: &'static str,
) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        let user_id: i64 = users::table
            .filter(users::extension.eq(extension))
            .filter(
                users::domain_id.eq(pbx_portal::db::schema::domains::table
                    .filter(pbx_portal::db::schema::domains::name.eq("acme.example"))
                    .select(pbx_portal::db::schema::domains::id)
                    .single_value()
                    .assume_not_null()),
            )
            .select(users::id)
            .first(conn)?;
        diesel::insert_into(passkeys::table)
            .values((
                passkeys::user_id.eq(user_id),
                passkeys::name.eq(name),
                passkeys::credential_id.eq(format!("{extension}-{name}")),
                passkeys::passkey.eq("{}"),
                passkeys::created_at.eq(Utc::now().naive_utc()),
            ))
            .execute(conn)?;
        passkeys::table
            .filter(passkeys::user_id.eq(user_id))
            .select(passkeys::id)
            .first(conn)
    })
    .await
}

#[tokio::test]
async fn a_passkey_is_a_second_factor_and_only_its_owner_removes_it() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in(MANAGER, DEMO_PASSWORD)
        .start()
        .await?;
    let id = give_passkey(&app, "100", "Phone").await?;
    // With a passkey, the password leads to the second step, which offers it.
    let browser = app.new_browser()?;
    assert_redirect(
        &browser.sign_in(MANAGER, DEMO_PASSWORD).await?,
        "/login/two-step",
    );
    let step = browser.get("/login/two-step").await?.text().await?;
    assert!(step.contains(">Use a passkey</button>"));
    // The page lists it with its own Remove button.
    let page = app.browser.get("/account/security").await?.text().await?;
    assert!(page.contains(">Remove Phone</button>"));
    assert!(page.contains("Two-step sign-in is <strong>on</strong>"));
    // Another user cannot remove it, by its id or any other.
    let other = app.new_browser()?;
    other.signed_in_as("101@acme.example").await?;
    let forged = other
        .post_form(&format!("/account/security/passkeys/{id}/remove"), &[])
        .await?;
    assert_eq!(forged.status(), StatusCode::NOT_FOUND);
    for bad in ["x", "-1", "99999999999999999999"] {
        let response = other
            .post_form(&format!("/account/security/passkeys/{bad}/remove"), &[])
            .await?;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{bad}");
    }
    let removed = app
        .browser
        .post_form(&format!("/account/security/passkeys/{id}/remove"), &[])
        .await?;
    assert_redirect(&removed, "/account/security");
    let left: i64 = app
        .query(|conn| passkeys::table.count().get_result(conn))
        .await?;
    assert_eq!(left, 0);
    let audited: i64 = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("two_step.remove"))
                .filter(audit_events::details.eq("Passkey Phone"))
                .count()
                .get_result(conn)
        })
        .await?;
    assert_eq!(audited, 1);
    app.new_browser()?.signed_in_as(MANAGER).await?;
    Ok(())
}
