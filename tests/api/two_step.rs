//! Two-step sign-in (SPEC "Two-step sign-in"): an authenticator app turned on from the
//! Security page, the sign-in's second step (no session before it, codes once each,
//! recovery codes once each, throttled like passwords), Turn off, New recovery codes,
//! the domain's Require two-step sign-in, an office manager's Reset two-step sign-in,
//! and a reset or recycle taking the factors with the password. Codes are computed here
//! from the secret the page shows, as an app would.

use chrono::Utc;
use diesel::prelude::*;
use pbx_portal::db::schema::{
    api_tokens, audit_events, authenticator_apps, domains, recovery_codes, sessions, users,
};
use reqwest::StatusCode;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::api::Api;
use crate::helpers::*;

const SECURITY: &str = "/account/security";
const SECOND_STEP: &str = "/login/two-step";
const MANAGER: &str = "100@acme.example";

/// The text of the element whose opening tag contains `marker`, up to `end`.
fn between<'a>(html: &'a str, marker: &str, end: &str) -> Option<&'a str> {
    let start = html.find(marker)? + marker.len();
    let stop = html[start..].find(end)? + start;
    Some(&html[start..stop])
}

fn secret_in(html: &str) -> Result<String, String> {
    between(html, "<code id=\"app-secret\">", "</code>")
        .map(str::to_owned)
        .ok_or_else(|| format!("no secret shown: {html}"))
}

fn recovery_codes_in(html: &str) -> Vec<String> {
    let Some(list) = between(html, "id=\"recovery-codes\">", "</ul>") else {
        return Vec::new();
    };
    list.split("<code>")
        .skip(1)
        .filter_map(|item| item.split("</code>").next())
        .map(str::to_owned)
        .collect()
}

/// The app's code for the step `steps` away from now.
fn code(secret: &str, steps: i64) -> Result<String, Box<dyn std::error::Error>> {
    let bytes = Secret::Encoded(secret.to_owned())
        .to_bytes()
        .map_err(|e| format!("{e:?}"))?;
    let totp = TOTP::new(Algorithm::SHA1, 6, 1, 30, bytes).map_err(|e| format!("{e:?}"))?;
    let at = Utc::now().timestamp() + steps * 30;
    Ok(totp.generate(u64::try_from(at)?))
}

/// Turns on an authenticator app for the signed-in `browser`: returns its secret and
/// the recovery codes shown.
async fn turn_on_app(
    browser: &Browser,
) -> Result<(String, Vec<String>), Box<dyn std::error::Error>> {
    let page = browser
        .post_form("/account/security/app/set-up", &[])
        .await?;
    assert_eq!(page.status(), StatusCode::OK);
    let secret = secret_in(&page.text().await?)?;
    // The previous step's code, so that the current one is still unused for sign-in.
    let earlier = code(&secret, -1)?;
    let turned_on = browser
        .post_form("/account/security/app/turn-on", &[("code", &earlier)])
        .await?;
    assert_eq!(turned_on.status(), StatusCode::OK);
    let page = turned_on.text().await?;
    assert!(
        page.contains("Two-step sign-in is <strong>on</strong>"),
        "{page}"
    );
    Ok((secret, recovery_codes_in(&page)))
}

/// The demo, its office manager signed in with an authenticator app on: the app's
/// secret and the recovery codes shown.
async fn manager_with_an_app() -> Result<(TestApp, String, Vec<String>), Box<dyn std::error::Error>>
{
    let app = TestApp::builder()
        .demo()
        .signed_in(MANAGER, DEMO_PASSWORD)
        .start()
        .await?;
    let (secret, codes) = turn_on_app(&app.browser).await?;
    Ok((app, secret, codes))
}

async fn count(app: &TestApp, action: &'static str) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        audit_events::table
            .filter(audit_events::action.eq(action))
            .count()
            .get_result(conn)
    })
    .await
}

async fn sessions_of(
    app: &TestApp,
    extension: &'static str,
) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        sessions::table
            .inner_join(users::table)
            .filter(users::extension.eq(extension))
            .count()
            .get_result(conn)
    })
    .await
}

/// Signs `login` in with the demo password on a new browser; the answer must be the
/// second step.
async fn to_second_step(app: &TestApp, login: &str) -> Result<Browser, Box<dyn std::error::Error>> {
    let browser = app.new_browser()?;
    let response = browser.sign_in(login, DEMO_PASSWORD).await?;
    assert_redirect(&response, SECOND_STEP);
    Ok(browser)
}

async fn enter_code(
    browser: &Browser,
    code: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    browser.post_form(SECOND_STEP, &[("code", code)]).await
}

#[tokio::test]
async fn an_app_turned_on_is_asked_for_after_the_password_and_no_session_exists_before()
-> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in(MANAGER, DEMO_PASSWORD)
        .start()
        .await?;
    let page = app.browser.get(SECURITY).await?.text().await?;
    assert_html_snapshot!("security_page_off", part(&page, "<main")?);
    // A wrong code does not turn it on.
    app.browser
        .post_form("/account/security/app/set-up", &[])
        .await?;
    let wrong = app
        .browser
        .post_form("/account/security/app/turn-on", &[("code", "000000")])
        .await?;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.text().await?.contains("That code is not right"));
    let (secret, codes) = turn_on_app(&app.browser).await?;
    assert_eq!(secret.len(), 32);
    assert!(
        secret
            .bytes()
            .all(|b| b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b))
    );
    assert_eq!(codes.len(), 10);
    assert_eq!(count(&app, "two_step.add").await?, 1);
    // The secret is kept sealed, never as typed.
    let stored: String = app
        .query(|conn| {
            authenticator_apps::table
                .select(authenticator_apps::secret_sealed)
                .first(conn)
        })
        .await?;
    assert!(stored.starts_with("v1.") && !stored.contains(&secret));
    // Shown once: the page again shows neither the codes nor the secret.
    let again = app.browser.get(SECURITY).await?.text().await?;
    assert!(recovery_codes_in(&again).is_empty());
    assert!(!again.contains(&secret));
    assert!(again.contains("10 of your recovery codes are unused"));

    let sessions_before = sessions_of(&app, "100").await?;
    let browser = to_second_step(&app, MANAGER).await?;
    // The password alone opened no session and opens no page.
    assert_eq!(sessions_of(&app, "100").await?, sessions_before);
    assert_redirect(&browser.get("/domains/acme.example/users").await?, "/login");
    let step = browser.get(SECOND_STEP).await?.text().await?;
    assert_html_snapshot!("second_step_page", part(&step, "<main")?);
    // A wrong code keeps the step open.
    let wrong = enter_code(&browser, "123456").await?;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong.text().await?.contains("That code is not right"));
    let right = enter_code(&browser, &code(&secret, 0)?).await?;
    assert_redirect(&right, "/");
    assert_eq!(
        browser.get("/domains/acme.example/users").await?.status(),
        StatusCode::OK
    );
    assert_eq!(sessions_of(&app, "100").await?, sessions_before + 1);
    assert_eq!(count(&app, "two_step.use").await?, 1);
    // The step is used up: posting to it again opens nothing.
    let used = enter_code(&browser, &code(&secret, 0)?).await?;
    assert_redirect(&used, "/login");
    Ok(())
}

#[tokio::test]
async fn a_code_works_once_and_a_recovery_code_once() -> TestResult {
    let (app, secret, codes) = manager_with_an_app().await?;
    let current = code(&secret, 0)?;
    let first = to_second_step(&app, MANAGER).await?;
    assert_redirect(&enter_code(&first, &current).await?, "/");
    // A copy of the same code, replayed in another sign-in within its window.
    let thief = to_second_step(&app, MANAGER).await?;
    assert_eq!(
        enter_code(&thief, &current).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    // The code turned on with (the previous step's) is no use either.
    assert_eq!(
        enter_code(&thief, &code(&secret, -1)?).await?.status(),
        StatusCode::UNAUTHORIZED
    );

    // A recovery code, typed in capitals with spaces, signs in once.
    let typed = codes[3].to_uppercase().replace('-', " ");
    let lost_phone = to_second_step(&app, MANAGER).await?;
    assert_redirect(&enter_code(&lost_phone, &typed).await?, "/");
    let again = to_second_step(&app, MANAGER).await?;
    assert_eq!(
        enter_code(&again, &codes[3]).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect(&enter_code(&again, &codes[4]).await?, "/");
    let left: i64 = app
        .query(|conn| {
            recovery_codes::table
                .filter(recovery_codes::used_at.is_null())
                .count()
                .get_result(conn)
        })
        .await?;
    assert_eq!(left, 8);
    // Only their hashes are kept.
    let stored: Vec<String> = app
        .query(|conn| {
            recovery_codes::table
                .select(recovery_codes::code_hash)
                .load(conn)
        })
        .await?;
    assert!(
        codes
            .iter()
            .all(|code| !stored.iter().any(|hash| hash.contains(code.as_str())))
    );
    // New recovery codes replace every old one.
    let page = app
        .browser
        .post_form("/account/security/recovery-codes", &[])
        .await?
        .text()
        .await?;
    let fresh = recovery_codes_in(&page);
    assert_eq!(fresh.len(), 10);
    assert!(page.contains("Download recovery codes"));
    let old = to_second_step(&app, MANAGER).await?;
    assert_eq!(
        enter_code(&old, &codes[5]).await?.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_redirect(&enter_code(&old, &fresh[0]).await?, "/");
    Ok(())
}

#[tokio::test]
async fn wrong_codes_are_throttled_like_passwords() -> TestResult {
    let (app, secret, _) = manager_with_an_app().await?;
    let guesser = to_second_step(&app, MANAGER).await?;
    for guess in ["111111", "222222", "333333", "444444", "555555"] {
        assert_eq!(
            enter_code(&guesser, guess).await?.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    // The sixth try, even the right code, is throttled; so is the password from here.
    let throttled = enter_code(&guesser, &code(&secret, 0)?).await?;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(throttled.text().await?.contains("Too many failed sign-ins"));
    let again = app.new_browser()?;
    let response = again.sign_in(MANAGER, DEMO_PASSWORD).await?;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

#[tokio::test]
async fn a_step_is_bound_to_its_browser_and_expires() -> TestResult {
    let (app, secret, _) = manager_with_an_app().await?;
    let _victim = to_second_step(&app, MANAGER).await?;
    // Another browser, with no step of its own, cannot pass the victim's.
    let other = app.new_browser()?;
    assert_redirect(&enter_code(&other, &code(&secret, 0)?).await?, "/login");
    // A step past its five minutes is refused, even with a right code.
    let late = to_second_step(&app, MANAGER).await?;
    app.query(|conn| {
        diesel::update(pbx_portal::db::schema::sign_in_challenges::table)
            .set(
                pbx_portal::db::schema::sign_in_challenges::expires_at
                    .eq(Utc::now().naive_utc() - chrono::TimeDelta::seconds(1)),
            )
            .execute(conn)
    })
    .await?;
    let refused = enter_code(&late, &code(&secret, 0)?).await?;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert!(refused.text().await?.contains("This sign-in has expired"));
    Ok(())
}

#[tokio::test]
async fn turning_it_off_removes_every_factor() -> TestResult {
    let (app, _, _) = manager_with_an_app().await?;
    let off = app.browser.post_form("/account/security/off", &[]).await?;
    assert_redirect(&off, SECURITY);
    let page = app.browser.get(SECURITY).await?.text().await?;
    assert!(page.contains("Two-step sign-in is off."));
    let left: (i64, i64) = app
        .query(|conn| {
            Ok((
                authenticator_apps::table.count().get_result(conn)?,
                recovery_codes::table.count().get_result(conn)?,
            ))
        })
        .await?;
    assert_eq!(left, (0, 0));
    assert_eq!(count(&app, "two_step.remove").await?, 1);
    // The password alone signs in again.
    app.new_browser()?.signed_in_as(MANAGER).await?;
    Ok(())
}

#[tokio::test]
async fn every_change_on_the_page_asks_for_a_recent_password() -> TestResult {
    let (app, _, _) = manager_with_an_app().await?;
    age_passwords(&app, Some(11)).await?;
    for action in [
        "/account/security/app/set-up",
        "/account/security/recovery-codes",
        "/account/security/off",
    ] {
        let response = app.browser.post_form(action, &[]).await?;
        assert_eq!(response.status(), StatusCode::OK, "{action}");
        assert!(
            response.text().await?.contains("Current password"),
            "{action}"
        );
    }
    assert_eq!(count(&app, "two_step.remove").await?, 0);
    assert_eq!(count(&app, "two_step.recovery_codes").await?, 0);
    let off = app
        .browser
        .post_form(
            "/account/security/off",
            &[("current_password", DEMO_PASSWORD)],
        )
        .await?;
    assert_redirect(&off, SECURITY);
    assert_eq!(count(&app, "two_step.remove").await?, 1);
    Ok(())
}

#[tokio::test]
async fn the_domains_rule_keeps_its_managers_on_security_until_a_factor_is_on() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // A token made before the rule: the API is not held (tokens are their own key).
    let api = Api::signed_as(&app, MANAGER).await?;
    app.query(|conn| {
        diesel::update(domains::table.filter(domains::name.eq("acme.example")))
            .set(domains::require_two_step.eq(true))
            .execute(conn)
    })
    .await?;
    let manager = app.new_browser()?;
    manager.signed_in_as(MANAGER).await?;
    for page in ["/", "/domains/acme.example/users", "/account/tokens"] {
        assert_redirect(&manager.get(page).await?, SECURITY);
    }
    // Sessions stays open, as for a forced password change: ending one's own sessions
    // is a remedy, never a risk.
    assert_eq!(
        manager.get("/account/sessions").await?.status(),
        StatusCode::OK
    );
    let held = manager.get(SECURITY).await?.text().await?;
    assert!(held.contains("Your domain requires two-step sign-in"));
    api.get("/api/v1/domains/acme.example/users")
        .await?
        .expect(StatusCode::OK);
    // Neither another domain's manager, nor the Reseller over acme.example, is held.
    for (login, domain) in [
        ("100@globex.example", "globex.example"),
        ("8000@northwind.example", "acme.example"),
    ] {
        let other = app.new_browser()?;
        other.signed_in_as(login).await?;
        assert_eq!(
            other
                .get(&format!("/domains/{domain}/users"))
                .await?
                .status(),
            StatusCode::OK,
            "{login}"
        );
    }
    // With a factor on, the manager goes on.
    turn_on_app(&manager).await?;
    assert_eq!(
        manager.get("/domains/acme.example/users").await?.status(),
        StatusCode::OK
    );
    Ok(())
}

#[tokio::test]
async fn a_manager_resets_another_users_two_step_sign_in_and_their_sessions_and_tokens_end()
-> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let worker = app.new_browser()?;
    worker.signed_in_as("101@acme.example").await?;
    turn_on_app(&worker).await?;
    let token = worker.create_token("phone").await?;
    let manager = app.new_browser()?;
    manager.signed_in_as(MANAGER).await?;
    let edit = manager
        .get("/domains/acme.example/users/101")
        .await?
        .text()
        .await?;
    assert!(edit.contains("Two-step sign-in is <strong>on</strong>"));
    assert!(edit.contains(">Reset two-step sign-in</button>"));
    let reset = manager
        .post_form("/domains/acme.example/users/101/two-step/reset", &[])
        .await?;
    assert_redirect(&reset, "/domains/acme.example/users/101");
    // The worker's session and token end; their factors are gone.
    assert_redirect(&worker.get(SECURITY).await?, "/login");
    Api::new(&app, Some(&token))?
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::UNAUTHORIZED);
    let apps: i64 = app
        .query(|conn| authenticator_apps::table.count().get_result(conn))
        .await?;
    assert_eq!(apps, 0);
    assert_eq!(count(&app, "two_step.reset").await?, 1);
    app.new_browser()?.signed_in_as("101@acme.example").await?;
    // Nothing left to reset; another domain's manager may not; nor on oneself.
    let again = manager
        .post_form("/domains/acme.example/users/101/two-step/reset", &[])
        .await?;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let other = app.new_browser()?;
    other.signed_in_as("100@globex.example").await?;
    let forged = other
        .post_form("/domains/acme.example/users/101/two-step/reset", &[])
        .await?;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    turn_on_app(&manager).await?;
    let own = manager
        .post_form("/domains/acme.example/users/100/two-step/reset", &[])
        .await?;
    assert_eq!(own.status(), StatusCode::FORBIDDEN);
    let tokens: i64 = app
        .query(|conn| api_tokens::table.count().get_result(conn))
        .await?;
    assert_eq!(tokens, 0);
    Ok(())
}

/// Whether the user with `extension` in acme.example has an authenticator app.
async fn has_app(
    app: &TestApp,
    extension: &'static str,
) -> Result<bool, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        diesel::select(diesel::dsl::exists(
            authenticator_apps::table
                .inner_join(users::table)
                .filter(users::extension.eq(extension)),
        ))
        .get_result(conn)
    })
    .await
}

#[tokio::test]
async fn a_reset_of_the_password_and_a_recycle_take_the_factors_with_them() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    for worker in ["102@acme.example", "103@acme.example", "104@acme.example"] {
        let browser = app.new_browser()?;
        browser.signed_in_as(worker).await?;
        turn_on_app(&browser).await?;
    }
    let api = Api::signed_as(&app, MANAGER).await?;
    // A reset that keeps the password keeps the factors.
    let kept = api
        .run_job(
            "acme.example",
            &serde_json::json!({"action": "reset", "extensions": ["102"], "options": ["contacts"]}),
        )
        .await?;
    crate::helpers::api::assert_counts(&kept, 1, 0, 0)?;
    assert!(has_app(&app, "102").await?);
    // A reset that clears it removes them.
    let cleared = api
        .run_job(
            "acme.example",
            &serde_json::json!({"action": "reset", "extensions": ["102"], "options": ["password"]}),
        )
        .await?;
    crate::helpers::api::assert_counts(&cleared, 1, 0, 0)?;
    assert!(!has_app(&app, "102").await?);
    // A recycle hands the seat to a new person without the old one's factors, even
    // when the reset before it kept the password.
    let reset = api
        .run_job(
            "acme.example",
            &serde_json::json!({"action": "reset", "extensions": ["103"], "options": ["name"], "recycle": true}),
        )
        .await?;
    assert!(has_app(&app, "103").await?);
    api.post(
        "/api/v1/domains/acme.example/jobs",
        &serde_json::json!({"action": "recycle", "job": reset["id"], "rows": [{"extension": "103", "first_name": "Nia", "last_name": "New", "email": "nia@acme.example"}]}),
    )
    .await?
    .expect(StatusCode::OK);
    assert!(!has_app(&app, "103").await?);
    // Nobody else's factors were touched.
    assert!(has_app(&app, "104").await?);
    Ok(())
}
