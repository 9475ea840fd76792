//! A stolen session is not a lasting key (issue 29): a copy of a session cookie cannot
//! make an API token without the current password (unless it was given in the last ten
//! minutes), and every remedy a victim or their manager reaches for (Sign out
//! everywhere, End sessions, a password set through a link) ends the tokens too. Each
//! test is the attacker's request, then the answer now.

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use pbx_portal::db::schema::{api_tokens, audit_events, domains, password_tokens, sessions, users};
use pbx_portal::services::mail::token_hash;
use reqwest::StatusCode;

use crate::helpers::api::{Api, new_token_in};
use crate::helpers::*;

async fn token_count(app: &TestApp) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(|conn| api_tokens::table.count().get_result(conn))
        .await
}

/// A year-long token asked for through `browser`'s session, with `extra` fields.
async fn ask_for_token(
    browser: &Browser,
    extra: &[(&str, &str)],
) -> Result<(StatusCode, String), Box<dyn std::error::Error>> {
    let mut fields = vec![("name", "backdoor"), ("expires_in_days", "365")];
    fields.extend_from_slice(extra);
    let response = browser.post_form("/account/tokens", &fields).await?;
    Ok((response.status(), response.text().await?))
}

#[tokio::test]
async fn a_copied_cookie_cannot_make_a_token_without_the_current_password() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    // The thief holds a copy of a cookie whose password was given 11 minutes ago.
    age_passwords(&app, Some(11)).await?;
    let (status, page) = ask_for_token(&app.browser, &[]).await?;
    assert_eq!(status, StatusCode::OK);
    // Asked for the current password, what was typed kept for after Confirm.
    assert_html_snapshot!("token_asks_for_the_password", part(&page, "<main")?);
    assert!(new_token_in(&page).is_none());
    assert_eq!(token_count(&app).await?, 0);

    // A guess is refused, and makes nothing.
    let (status, page) = ask_for_token(&app.browser, &[("current_password", "guess")]).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("That is not your current password."));
    assert!(new_token_in(&page).is_none());
    assert_eq!(token_count(&app).await?, 0);

    // The owner, who knows it, goes on with what they typed.
    let (status, page) =
        ask_for_token(&app.browser, &[("current_password", DEMO_PASSWORD)]).await?;
    assert_eq!(status, StatusCode::OK);
    let secret = new_token_in(&page).ok_or("no new token")?;
    assert_html_snapshot!(
        "token_made_after_the_password",
        masked(
            &part(&page, "class=\"card new-token\"")?,
            &[(&secret, "[secret]")]
        )
    );
    // Given now, it is not asked again within ten minutes.
    let again = app.create_token("second").await?;
    assert!(again.starts_with("pbx_"));
    assert_eq!(token_count(&app).await?, 2);

    // A session that has no time of its password (opened before it was kept) is asked.
    age_passwords(&app, None).await?;
    let (_, page) = ask_for_token(&app.browser, &[]).await?;
    assert!(page.contains("Current password"));
    assert_eq!(token_count(&app).await?, 2);
    Ok(())
}

#[tokio::test]
async fn wrong_current_passwords_are_throttled_like_sign_ins() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    age_passwords(&app, Some(30)).await?;
    for n in 0..5 {
        let guess = format!("guess {n}");
        let (status, _) = ask_for_token(&app.browser, &[("current_password", &guess)]).await?;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // The thief's sixth try, even the right password, is throttled.
    let (status, page) =
        ask_for_token(&app.browser, &[("current_password", DEMO_PASSWORD)]).await?;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("Too many failed sign-ins"), "{page}");
    assert_eq!(token_count(&app).await?, 0);
    // A password too long to hash is refused unhashed.
    let long = "x".repeat(2000);
    let (status, _) = ask_for_token(&app.browser, &[("current_password", &long)]).await?;
    assert_ne!(status, StatusCode::OK);
    assert_eq!(token_count(&app).await?, 0);
    Ok(())
}

#[tokio::test]
async fn sign_out_everywhere_revokes_tokens_unless_the_box_is_unchecked() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    // The thief's token, made while the victim's password was recent.
    let stolen = app.create_token("made by a thief").await?;
    let thief = Api::new(&app, Some(&stolen))?;
    thief.get("/api/v1/domains").await?.expect(StatusCode::OK);

    // The victim signs in elsewhere and sees the token listed under their sessions.
    let victim = app.new_browser()?;
    victim.signed_in_as("100@acme.example").await?;
    let page = victim.get("/account/sessions").await?.text().await?;
    // The token listed, and Also revoke API tokens checked by default.
    assert_html_snapshot!(
        "sessions_page_tokens_and_end_all",
        format!(
            "{}\n{}",
            part(&page, "aria-labelledby=\"session-tokens-heading\"")?,
            part(&page, "aria-labelledby=\"end-all-heading\"")?
        )
    );
    let ended = victim
        .post_form("/account/sessions/end-all", &[("revoke_tokens", "yes")])
        .await?;
    assert_redirect(&ended, "/login");
    thief
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::UNAUTHORIZED);
    assert_redirect(&app.get("/").await?, "/login");
    assert_eq!(token_count(&app).await?, 0);
    let details: Vec<String> = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("sessions.end"))
                .select(audit_events::details)
                .load(conn)
        })
        .await?;
    assert!(
        details
            .iter()
            .any(|d| d.contains("signed out everywhere (2 sessions) and revoked 1 API tokens")),
        "{details:?}"
    );

    // Unchecked, the sessions end and the tokens stay.
    victim.signed_in_as("100@acme.example").await?;
    let kept = victim.create_token("nightly sync").await?;
    let ended = victim.post_form("/account/sessions/end-all", &[]).await?;
    assert_redirect(&ended, "/login");
    assert_redirect(&victim.get("/").await?, "/login");
    Api::new(&app, Some(&kept))?
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_managers_end_sessions_revokes_the_users_tokens() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let employee = app.new_browser()?;
    employee.signed_in_as("102@acme.example").await?;
    let token = employee.create_token("made with a stolen cookie").await?;
    let script = Api::new(&app, Some(&token))?;
    // 102 is a Basic User: the token works, and is refused only what 102 may not do.
    assert_ne!(
        script.get("/api/v1/domains").await?.status,
        StatusCode::UNAUTHORIZED
    );
    app.signed_in_as("100@acme.example").await?;
    let ended = app
        .post_form("/domains/acme.example/users/102/sessions/end", &[])
        .await?;
    assert_redirect(&ended, "/domains/acme.example/users/102");
    let page = app
        .get("/domains/acme.example/users/102")
        .await?
        .text()
        .await?;
    assert!(
        page.contains("1 session of user 102 was ended. 1 API token was revoked."),
        "{page}"
    );
    script
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::UNAUTHORIZED);
    assert_redirect(&employee.get("/").await?, "/login");
    let details: Vec<(String, String)> = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("sessions.end"))
                .select((audit_events::actor_login, audit_events::details))
                .load(conn)
        })
        .await?;
    assert_eq!(
        details,
        [(
            "100@acme.example".to_owned(),
            "ended 1 sessions and revoked 1 API tokens".to_owned()
        )]
    );
    Ok(())
}

#[tokio::test]
async fn a_password_confirmed_in_one_session_leaves_the_others_asking() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let thief = app.new_browser()?;
    thief.signed_in_as("100@acme.example").await?;
    age_passwords(&app, Some(20)).await?;
    // The owner confirms their password in their own session and makes a token.
    let (status, page) =
        ask_for_token(&app.browser, &[("current_password", DEMO_PASSWORD)]).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(new_token_in(&page).is_some());
    // The other session is still asked.
    let (status, page) = ask_for_token(&thief, &[]).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Current password"), "{page}");
    assert!(new_token_in(&page).is_none());
    assert_eq!(token_count(&app).await?, 1);
    Ok(())
}

#[tokio::test]
async fn a_password_set_through_a_link_revokes_the_users_tokens() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let victim = app.new_browser()?;
    victim.signed_in_as("100@acme.example").await?;
    let stolen = victim.create_token("made by a thief").await?;
    let thief = Api::new(&app, Some(&stolen))?;
    thief.get("/api/v1/domains").await?.expect(StatusCode::OK);

    // The victim asks for a reset link and sets a new password through it.
    let link = "a-set-password-link-for-the-test-0123456789ab";
    let hash = token_hash(link);
    app.query(move |conn| {
        let user_id: i64 = users::table
            .inner_join(domains::table)
            .filter(domains::name.eq("acme.example"))
            .filter(users::extension.eq("100"))
            .select(users::id)
            .first(conn)?;
        diesel::insert_into(password_tokens::table)
            .values((
                password_tokens::user_id.eq(user_id),
                password_tokens::token_hash.eq(hash),
                password_tokens::purpose.eq("reset"),
                password_tokens::expires_at.eq(Utc::now().naive_utc() + TimeDelta::hours(1)),
            ))
            .execute(conn)
    })
    .await?;
    let page = victim.get(&format!("/password/{link}")).await?;
    assert_status(&page, StatusCode::OK);
    let set = victim
        .post_form(
            &format!("/password/{link}"),
            &[
                ("new_password", "a brand new passphrase"),
                ("confirm_password", "a brand new passphrase"),
                ("pin", "480213"),
            ],
        )
        .await?;
    assert!(set.status().is_redirection() || set.status().is_success());
    thief
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::UNAUTHORIZED);
    assert_eq!(token_count(&app).await?, 0);
    let details: Vec<String> = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("password.set"))
                .select(audit_events::details)
                .load(conn)
        })
        .await?;
    assert!(
        details.iter().any(|d| d.contains("revoked 1 API tokens")),
        "{details:?}"
    );
    Ok(())
}

#[tokio::test]
async fn a_token_asked_for_while_the_sessions_end_never_outlives_them() -> TestResult {
    use pbx_portal::services::api_tokens::{self as token_service, TokenError};
    use pbx_portal::services::sessions::{self as session_service, Client};
    let app = TestApp::builder().demo().start().await?;
    let owner = app
        .query(|conn| {
            let id: i64 = users::table
                .inner_join(domains::table)
                .filter(domains::name.eq("acme.example"))
                .filter(users::extension.eq("100"))
                .select(users::id)
                .first(conn)?;
            pbx_portal::db::users::find(conn, pbx_portal::domain::UserId::new(id))?
                .ok_or(diesel::result::Error::NotFound)
        })
        .await?;
    let login = "100@acme.example";
    for round in 0..20 {
        // A session whose password is recent, and, at once, a token asked for on its
        // strength and Sign out everywhere (with its tokens).
        let session = app
            .query({
                let owner = owner.clone();
                move |conn| {
                    let now = Utc::now().naive_utc();
                    session_service::open(conn, owner.id, &Client::default(), now)
                        .map_err(|err| diesel::result::Error::QueryBuilderError(err.into()))?;
                    let id: i64 = sessions::table
                        .filter(sessions::user_id.eq(owner.id))
                        .order(sessions::id.desc())
                        .select(sessions::id)
                        .first(conn)?;
                    Ok(pbx_portal::domain::SessionId::new(id))
                }
            })
            .await?;
        let (maker, ender) = (app.pool.clone(), app.pool.clone());
        let (made, ended) = (owner.clone(), owner.clone());
        let name = format!("race {round}");
        let make = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut conn = maker.get().map_err(|e| e.to_string())?;
            let now = Utc::now().naive_utc();
            match token_service::create(&mut conn, &made, session, login, (&name, 30), now) {
                Ok(_) | Err(TokenError::SessionEnded) => Ok(()),
                Err(err) => Err(err.to_string()),
            }
        });
        let end = tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut conn = ender.get().map_err(|e| e.to_string())?;
            session_service::end_all_own(&mut conn, &ended, login, true)
                .map(drop)
                .map_err(|e| e.to_string())
        });
        make.await??;
        end.await??;
        assert_eq!(
            token_count(&app).await?,
            0,
            "round {round}: a token outlived the sessions it was made on"
        );
    }
    // Asked for on a session already ended, nothing is made.
    let ended = pbx_portal::domain::SessionId::new(i64::MAX);
    let refused = app
        .query(move |conn| {
            Ok(token_service::create(
                conn,
                &owner,
                ended,
                login,
                ("late", 30),
                Utc::now().naive_utc(),
            )
            .err()
            .map(|err| err.to_string()))
        })
        .await?;
    assert_eq!(
        refused.as_deref(),
        Some("Your session has ended. Sign in again.")
    );
    assert_eq!(token_count(&app).await?, 0);
    Ok(())
}
