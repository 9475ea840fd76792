//! Signing in and out, the one generic error, and the forced password change.

use crate::bulk::id_of;
use crate::helpers::*;
use pbx_portal::domain::Scope;
use reqwest::StatusCode;

const GENERIC_ERROR: &str = "The login or password is not correct.";

#[tokio::test]
async fn the_sign_in_page_opens_without_a_session_and_carries_a_csrf_token() -> TestResult {
    let app = TestApp::builder().start().await?;
    let response = app.get("/login").await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    assert!(find_csrf_token(&html).is_some());
    Ok(())
}

#[tokio::test]
async fn an_office_manager_signs_in_and_lands_on_the_users_page() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app.sign_in("100@acme.example", DEMO_PASSWORD).await?;
    assert_redirect(&response, "/");
    assert_redirect(&app.get("/").await?, "/domains/acme.example/users");
    let page = app.get("/domains/acme.example/users").await?;
    assert_status(&page, StatusCode::OK);
    let html = page.text().await?;
    // Signed in as whom, and the way out.
    assert_html_snapshot!("header_of_an_office_manager", part(&html, "<header")?);
    Ok(())
}

#[tokio::test]
async fn the_login_is_case_insensitive_in_its_domain_part() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app.sign_in(" 100@ACME.example ", DEMO_PASSWORD).await?;
    assert_redirect(&response, "/");
    Ok(())
}

#[tokio::test]
async fn every_wrong_sign_in_gets_the_same_generic_error() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let attempts = [
        ("100@acme.example", "wrong-password"),
        ("199@acme.example", DEMO_PASSWORD),
        ("100@nowhere.example", DEMO_PASSWORD),
        ("not a login", DEMO_PASSWORD),
        ("150@acme.example", DEMO_PASSWORD),
        ("9990@acme.example", DEMO_PASSWORD),
        ("100@acme.example", ""),
    ];
    let mut pages = Vec::new();
    for (login, password) in attempts {
        let response = app.sign_in(login, password).await?;
        assert_status(&response, StatusCode::UNAUTHORIZED);
        let html = response.text().await?;
        assert!(html.contains(GENERIC_ERROR), "{login}: {html}");
        pages.push(html.replace(&format!("value=\"{login}\""), "value=\"LOGIN\""));
    }
    // Apart from the login typed back into the field, the answers are identical: none
    // tells which part was wrong.
    let without_tokens: Vec<String> = pages
        .iter()
        .map(|html| match find_csrf_token(html) {
            Some(token) => html.replace(&token, "TOKEN"),
            None => html.clone(),
        })
        .collect();
    assert!(without_tokens.windows(2).all(|pair| pair[0] == pair[1]));
    assert_redirect(&app.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn an_overlong_password_is_refused_like_any_wrong_one() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app
        .sign_in("100@acme.example", &"x".repeat(100_000))
        .await?;
    assert_status(&response, StatusCode::UNAUTHORIZED);
    assert!(response.text().await?.contains(GENERIC_ERROR));
    Ok(())
}

#[tokio::test]
async fn without_a_session_every_page_redirects_to_sign_in() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    for path in [
        "/",
        "/domains",
        "/domains/acme.example/users",
        "/account/password",
        "/domains/nowhere.example/users",
    ] {
        assert_redirect(&app.get(path).await?, "/login");
    }
    assert_status(&app.get("/login").await?, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn signing_out_ends_the_session() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.post_form("/logout", &[]).await?;
    assert_redirect(&response, "/login");
    assert_redirect(&app.get("/domains/acme.example/users").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn the_session_cookie_is_http_only_and_same_site_strict() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app.sign_in("100@acme.example", DEMO_PASSWORD).await?;
    let cookie = set_session_cookie(&response)?;
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Strict"), "{cookie}");
    Ok(())
}

#[tokio::test]
async fn sign_in_renews_the_session_and_its_csrf_token() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let before = find_csrf_token(&app.get("/login").await?.text().await?).ok_or("no token")?;
    app.signed_in_as("100@acme.example").await?;
    let after = app.csrf_token().await?;
    assert_ne!(before, after);
    Ok(())
}

#[tokio::test]
async fn a_user_with_must_change_password_is_sent_to_change_it_first() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app.sign_in("158@acme.example", DEMO_PASSWORD).await?;
    assert_redirect(&response, "/account/password");
    for path in ["/", "/domains", "/domains/acme.example/users"] {
        assert_redirect(&app.get(path).await?, "/account/password");
    }
    assert_status(&app.get("/account/password").await?, StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn the_forced_change_refuses_bad_passwords_and_says_why() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.sign_in("158@acme.example", DEMO_PASSWORD).await?;
    let cases = [
        ("short", "short", "Use at least 10 characters."),
        (
            "password123",
            "password123",
            "This password is too common. Choose another.",
        ),
        (
            "a long new secret",
            "a different secret",
            "The two passwords do not match.",
        ),
    ];
    for (new, confirm, message) in cases {
        let response = app
            .post_form(
                "/account/password",
                &[("new_password", new), ("confirm_password", confirm)],
            )
            .await?;
        assert_status(&response, StatusCode::UNPROCESSABLE_ENTITY);
        let html = response.text().await?;
        assert!(html.contains(message), "{message}");
    }
    assert_redirect(&app.get("/").await?, "/account/password");
    Ok(())
}

#[tokio::test]
async fn after_the_forced_change_the_new_password_works_and_the_old_does_not() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.sign_in("158@acme.example", DEMO_PASSWORD).await?;
    let new_password = "blue lagoon at dawn";
    let response = app
        .post_form(
            "/account/password",
            &[
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await?;
    assert_redirect(&response, "/");
    // 158 is a Basic User: past the change, the start page refuses it, as it should.
    assert_status(&app.get("/").await?, StatusCode::FORBIDDEN);
    app.post_form("/logout", &[]).await?;
    assert_status(
        &app.sign_in("158@acme.example", DEMO_PASSWORD).await?,
        StatusCode::UNAUTHORIZED,
    );
    assert_redirect(&app.sign_in("158@acme.example", new_password).await?, "/");
    Ok(())
}

#[tokio::test]
async fn nobody_changes_a_password_here_without_a_pending_forced_change() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    assert_redirect(&app.get("/account/password").await?, "/");
    let response = app
        .post_form(
            "/account/password",
            &[
                ("new_password", "taken over now"),
                ("confirm_password", "taken over now"),
            ],
        )
        .await?;
    assert_redirect(&response, "/");
    app.post_form("/logout", &[]).await?;
    assert_redirect(&app.sign_in("100@acme.example", DEMO_PASSWORD).await?, "/");
    assert_status(
        &app.sign_in("100@acme.example", "taken over now").await?,
        StatusCode::UNAUTHORIZED,
    );
    Ok(())
}

#[tokio::test]
async fn a_password_change_ends_the_users_other_sessions_but_not_this_one() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let other = app.new_browser()?;
    assert_redirect(
        &other.sign_in("158@acme.example", DEMO_PASSWORD).await?,
        "/account/password",
    );
    assert_redirect(
        &app.sign_in("158@acme.example", DEMO_PASSWORD).await?,
        "/account/password",
    );
    let new_password = "green fields forever";
    let response = app
        .post_form(
            "/account/password",
            &[
                ("new_password", new_password),
                ("confirm_password", new_password),
            ],
        )
        .await?;
    assert_redirect(&response, "/");
    assert_status(&app.get("/").await?, StatusCode::FORBIDDEN);
    assert_redirect(&other.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn repeated_failures_throttle_the_login_whether_or_not_it_exists() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    for login in ["101@acme.example", "199@acme.example"] {
        for _ in 0..5 {
            let response = app.sign_in(login, "wrong-password").await?;
            assert_status(&response, StatusCode::UNAUTHORIZED);
        }
        // Now even the right password is refused, unchecked, with the same words for a
        // login that exists and one that does not.
        let throttled = app.sign_in(login, DEMO_PASSWORD).await?;
        assert_status(&throttled, StatusCode::TOO_MANY_REQUESTS);
        let html = throttled.text().await?;
        assert!(html.contains("Too many failed sign-ins. Wait 15 minutes, then try again."));
        assert!(!html.contains(GENERIC_ERROR));
    }
    // Other logins from the same address still sign in.
    app.signed_in_as("100@acme.example").await?;
    Ok(())
}

#[tokio::test]
async fn a_successful_sign_in_clears_the_logins_earlier_failures() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    for _ in 0..4 {
        app.sign_in("100@acme.example", "wrong-password").await?;
    }
    app.signed_in_as("100@acme.example").await?;
    let other = app.new_browser()?;
    for _ in 0..4 {
        assert_status(
            &other.sign_in("100@acme.example", "wrong-password").await?,
            StatusCode::UNAUTHORIZED,
        );
    }
    other.signed_in_as("100@acme.example").await?;
    Ok(())
}

#[tokio::test]
async fn many_failures_from_one_address_throttle_every_login_from_it() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // Spread over many logins, so no single login reaches its own limit.
    for n in 0..50 {
        let login = format!("{}@acme.example", 1000 + n);
        assert_status(
            &app.sign_in(&login, "wrong-password").await?,
            StatusCode::UNAUTHORIZED,
        );
    }
    let throttled = app.sign_in("100@acme.example", DEMO_PASSWORD).await?;
    assert_status(&throttled, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

/// The `Set-Cookie` of the session cookie in an answer.
fn set_session_cookie(response: &reqwest::Response) -> Result<String, Box<dyn std::error::Error>> {
    Ok(response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("pbx_session="))
        .ok_or("no session cookie")?
        .to_owned())
}

/// The session cookie a sign-in answer sets, as a `Cookie` header value.
fn session_cookie_of(response: &reqwest::Response) -> Result<String, Box<dyn std::error::Error>> {
    let set = set_session_cookie(response)?;
    Ok(set.split(';').next().unwrap_or_default().to_owned())
}

/// A GET carrying exactly `cookie`, as a thief with a copy of it would send it.
async fn get_with_cookie(
    app: &TestApp,
    path: &str,
    cookie: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?
        .get(app.url(path))
        .header("Cookie", cookie)
        .send()
        .await?)
}

#[tokio::test]
async fn a_cookie_copied_before_sign_out_opens_nothing_afterwards() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let response = app.sign_in("100@acme.example", DEMO_PASSWORD).await?;
    let copy = session_cookie_of(&response)?;
    let users = "/domains/acme.example/users";
    assert_status(&get_with_cookie(&app, users, &copy).await?, StatusCode::OK);
    assert_redirect(&app.post_form("/logout", &[]).await?, "/login");
    assert_redirect(&get_with_cookie(&app, users, &copy).await?, "/login");
    assert_redirect(&get_with_cookie(&app, "/", &copy).await?, "/login");
    Ok(())
}

#[tokio::test]
async fn a_deleted_users_cookie_never_signs_in_as_a_user_created_later() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.add_user("acme.example", "170", Scope::OfficeManager)
        .await?;
    let copy = session_cookie_of(&app.sign_in("170@acme.example", "fixture password").await?)?;
    let old_id = id_of(&app, "acme.example", "170").await?;
    app.query(move |conn| {
        pbx_portal::db::users::delete(conn, pbx_portal::domain::UserId::new(old_id))
    })
    .await?;
    app.add_user("globex.example", "171", Scope::OfficeManager)
        .await?;
    let new_id = id_of(&app, "globex.example", "171").await?;
    assert!(new_id > old_id, "the id {old_id} was handed out again");
    for path in [
        "/domains/globex.example/users",
        "/domains/acme.example/users",
        "/",
    ] {
        assert_redirect(&get_with_cookie(&app, path, &copy).await?, "/login");
    }
    Ok(())
}

#[tokio::test]
async fn the_login_is_throttled_however_it_is_typed() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    for typed in [
        "101@acme.example",
        "101 @acme.example",
        "\t101@ACME.example",
        "101\u{a0}@acme.example",
        " 1 0 1 @ acme.example\u{200b}",
    ] {
        assert_status(
            &app.sign_in(typed, "wrong-password").await?,
            StatusCode::UNAUTHORIZED,
        );
    }
    let throttled = app.sign_in("101@acme.example", DEMO_PASSWORD).await?;
    assert_status(&throttled, StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

#[tokio::test]
async fn spaces_typed_into_a_login_do_not_stop_the_right_password() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    assert_redirect(
        &app.sign_in("100\u{a0}@acme.example\t", DEMO_PASSWORD)
            .await?,
        "/",
    );
    Ok(())
}

/// A browser whose requests come from another loopback address.
fn browser_from(app: &TestApp, address: [u8; 4]) -> Result<Browser, reqwest::Error> {
    Ok(Browser {
        address: app.address.clone(),
        client: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .local_address(std::net::IpAddr::from(address))
            .build()?,
    })
}

#[tokio::test]
async fn a_guesser_elsewhere_cannot_lock_the_real_user_out() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let guesser = browser_from(&app, [127, 0, 0, 2])?;
    for _ in 0..5 {
        assert_status(
            &guesser
                .sign_in("100@acme.example", "wrong-password")
                .await?,
            StatusCode::UNAUTHORIZED,
        );
    }
    // The guesser's address is done with this login, even with the right password…
    assert_status(
        &guesser.sign_in("100@acme.example", DEMO_PASSWORD).await?,
        StatusCode::TOO_MANY_REQUESTS,
    );
    // …while the user, from an address that has not failed, signs in.
    let user = browser_from(&app, [127, 0, 0, 3])?;
    assert_redirect(&user.sign_in("100@acme.example", DEMO_PASSWORD).await?, "/");
    Ok(())
}

#[tokio::test]
async fn concurrent_guesses_never_get_past_the_limit() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let mut guesses = Vec::new();
    for _ in 0..16 {
        let browser = app.new_browser()?;
        guesses.push(tokio::spawn(async move {
            browser
                .sign_in("100@acme.example", "wrong-password")
                .await
                .map(|response| response.status())
                .map_err(|err| err.to_string())
        }));
    }
    let mut checked = 0;
    for guess in guesses {
        let status = guess.await??;
        match status {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => {}
            other => return Err(format!("unexpected answer {other}").into()),
        }
    }
    assert_eq!(
        checked, 5,
        "exactly the limit's worth of guesses was checked"
    );
    assert_status(
        &app.sign_in("100@acme.example", DEMO_PASSWORD).await?,
        StatusCode::TOO_MANY_REQUESTS,
    );
    Ok(())
}

#[tokio::test]
async fn the_sessions_page_signs_out_one_session_or_all_of_them() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let laptop = app.new_browser()?;
    assert_redirect(
        &laptop.sign_in("100@acme.example", DEMO_PASSWORD).await?,
        "/",
    );
    app.signed_in_as("100@acme.example").await?;
    let page = app.get("/account/sessions").await?.text().await?;
    assert_eq!(page.matches("aria-label=\"Sign out ").count(), 2, "{page}");
    assert_eq!(page.matches("This browser").count(), 1);
    // The other session is the one without the "This browser" badge.
    let other_action = page
        .split("<tr>")
        .filter(|row| row.contains("/account/sessions/") && !row.contains("This browser"))
        .find_map(|row| {
            let start = row.find("action=\"")? + "action=\"".len();
            Some(row[start..start + row[start..].find('"')?].to_owned())
        })
        .ok_or("no other session listed")?;
    assert_redirect(
        &app.post_form(&other_action, &[]).await?,
        "/account/sessions",
    );
    assert_redirect(&laptop.get("/").await?, "/login");
    let page = app.get("/account/sessions").await?.text().await?;
    assert_eq!(page.matches("aria-label=\"Sign out ").count(), 1);
    // Ending it again, or ending a session id that is not one's own, finds nothing.
    assert_status(
        &app.post_form(&other_action, &[]).await?,
        StatusCode::NOT_FOUND,
    );
    assert_redirect(
        &app.post_form("/account/sessions/end-all", &[]).await?,
        "/login",
    );
    assert_redirect(&app.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn an_office_manager_ends_another_users_sessions_but_not_a_higher_ones() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let employee = app.new_browser()?;
    employee.signed_in_as("102@acme.example").await?;
    app.signed_in_as("100@acme.example").await?;
    let page = app
        .get("/domains/acme.example/users/102")
        .await?
        .text()
        .await?;
    assert!(page.contains("1 open session."), "{page}");
    let ended = app
        .post_form("/domains/acme.example/users/102/sessions/end", &[])
        .await?;
    assert_redirect(&ended, "/domains/acme.example/users/102");
    let page = app
        .get("/domains/acme.example/users/102")
        .await?
        .text()
        .await?;
    assert!(page.contains("1 session of user 102 was ended."));
    assert!(page.contains("0 open sessions."));
    assert_redirect(&employee.get("/").await?, "/login");
    // Not one's own (that is the Sessions page's job), not another domain's.
    assert_status(
        &app.post_form("/domains/acme.example/users/100/sessions/end", &[])
            .await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &app.post_form("/domains/globex.example/users/101/sessions/end", &[])
            .await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}
