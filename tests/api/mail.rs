//! E-mail, through a real SMTP server on loopback (`smtp_sink`): Send Welcome Email and
//! its link, Force Password Reset, the recycle form's welcome, the outbox riding out a
//! mail-server outage, one-time and expiring links, and the Super User's test message.

use std::time::Duration;

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use pbx_portal::db::schema::{bulk_job_items, outbox, password_tokens, users};
use pbx_portal::services::mail::new_token;
use reqwest::StatusCode;

use crate::bulk::{id_of, job_id_in, step, users_field, wait_for_job};
use crate::helpers::*;
use crate::smtp_sink::{ReceivedMail, SmtpSink, unused_port};

const ACME: &str = "/domains/acme.example";
const NEW_PASSWORD: &str = "a long new passphrase";
const WAIT: Duration = Duration::from_secs(20);

/// What differs from one sending of the same message to the next: its date, its
/// Message-ID, the MIME boundary, the portal's address and the link's secret.
const MAIL_FILTERS: &[(&str, &str)] = &[
    (r"(?m)^Date: .*$", "Date: [date]"),
    (r"(?mi)^Message-ID: .*$", "Message-ID: [message id]"),
    (r#"boundary="?[^";\s]+"?"#, r#"boundary="[boundary]""#),
    (r"http://127\.0\.0\.1:\d+", "[portal]"),
    (r"/password/[A-Za-z0-9_-]+", "/password/[token]"),
];

/// Snapshots a received message as its recipient sees it (see `ReceivedMail::as_seen`),
/// with the [`MAIL_FILTERS`].
macro_rules! assert_mail_snapshot {
    ($name:expr, $mail:expr $(,)?) => {{
        let seen = $mail.as_seen();
        let mut settings = insta::Settings::clone_current();
        for (pattern, replacement) in MAIL_FILTERS {
            settings.add_filter(pattern, *replacement);
        }
        settings.bind(|| insta::assert_snapshot!($name, seen));
    }};
}

/// Starts a job from its Confirm step and waits for it to finish.
async fn run_job(
    app: &TestApp,
    path: &str,
    ids: &[i64],
) -> Result<i64, Box<dyn std::error::Error>> {
    let response = step(app, path, &users_field(ids)).await?;
    assert_status(&response, StatusCode::OK);
    let job = job_id_in(&response.text().await?).ok_or("no job in the answer")?;
    wait_for_job(app, job).await?;
    Ok(job)
}

/// The path part of a link in a message (the portal's address differs per test).
fn path_of(link: &str) -> Result<String, Box<dyn std::error::Error>> {
    let after_scheme = link.split_once("://").ok_or("not a URL")?.1;
    let path = after_scheme
        .find('/')
        .map(|i| &after_scheme[i..])
        .ok_or("no path")?;
    Ok(path.to_owned())
}

fn link_in(mail: &ReceivedMail) -> Result<String, Box<dyn std::error::Error>> {
    let link = mail
        .link_containing("/password/")
        .ok_or("no set-password link in the message")?;
    path_of(&link)
}

/// Fills in the set-password form behind `path` with a fresh browser.
async fn set_password_through(
    app: &TestApp,
    path: &str,
    pin: &str,
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let browser = app.new_browser()?;
    let page = browser.get(path).await?;
    assert_status(&page, StatusCode::OK);
    let token = find_csrf_token(&page.text().await?).ok_or("no CSRF token on the form")?;
    Ok(browser
        .client
        .post(browser.url(path))
        .form(&[
            ("new_password", NEW_PASSWORD),
            ("confirm_password", NEW_PASSWORD),
            ("pin", pin),
            ("csrf_token", &token),
        ])
        .send()
        .await?)
}

async fn outbox_states(
    app: &TestApp,
) -> Result<Vec<(String, i32, String)>, Box<dyn std::error::Error>> {
    app.query(|conn| {
        outbox::table
            .order(outbox::id)
            .select((outbox::state, outbox::attempts, outbox::body_text))
            .load::<(String, i32, String)>(conn)
    })
    .await
}

#[tokio::test]
async fn welcome_email_arrives_and_its_link_sets_the_password_once() -> TestResult {
    let sink = SmtpSink::start().await?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&sink.url())?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    // 155 is in Password Required with an e-mail address; 150 has no address.
    let with_email = id_of(&app, "acme.example", "155").await?;
    let without = id_of(&app, "acme.example", "150").await?;
    let confirm = step(
        &app,
        &format!("{ACME}/bulk/welcome/confirm"),
        &users_field(&[with_email, without]),
    )
    .await?
    .text()
    .await?;
    assert!(
        confirm.contains("Send a welcome e-mail to 1 users?"),
        "{confirm}"
    );
    assert!(confirm.contains("1 of the selected users have no e-mail address"));
    assert!(sink.messages().is_empty(), "nothing is sent before Confirm");

    let job = run_job(
        &app,
        &format!("{ACME}/bulk/welcome"),
        &[with_email, without],
    )
    .await?;
    let mail = sink.wait_for(1, WAIT).await?;
    assert_eq!(mail.len(), 1);
    let address: String = app
        .query(move |conn| {
            users::table
                .find(with_email)
                .select(users::email)
                .first::<Option<String>>(conn)
        })
        .await?
        .ok_or("155 has no e-mail")?;
    assert_eq!(mail[0].to, vec![address]);
    // The domain, the extension, the login and the link, in both parts.
    assert_mail_snapshot!("welcome_email", mail[0]);

    let skipped: Vec<(String, Option<String>)> = app
        .query(move |conn| {
            bulk_job_items::table
                .filter(bulk_job_items::job_id.eq(job))
                .filter(bulk_job_items::user_id.eq(without))
                .select((bulk_job_items::state, bulk_job_items::reason))
                .load(conn)
        })
        .await?;
    assert_eq!(
        skipped,
        vec![("skipped".to_owned(), Some("No e-mail address.".to_owned()))]
    );
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(
        progress.contains("1 of 2 users welcomed, 1 skipped"),
        "{progress}"
    );

    let link = link_in(&mail[0])?;
    let saved = set_password_through(&app, &link, "2580").await?;
    assert_status(&saved, StatusCode::OK);
    let status: i32 = app
        .query(move |conn| {
            users::table
                .find(with_email)
                .select(users::status)
                .first(conn)
        })
        .await?;
    assert_eq!(status, pbx_portal::domain::Status::Active as i32);
    let newcomer = app.new_browser()?;
    assert_redirect(
        &newcomer.sign_in("155@acme.example", NEW_PASSWORD).await?,
        "/",
    );

    // The link is used up: it says so and changes nothing.
    let again = app.new_browser()?.get(&link).await?;
    assert_status(&again, StatusCode::GONE);
    assert!(again.text().await?.contains("This link has been used"));
    // Delivered mail keeps no copy of the link.
    let states = outbox_states(&app).await?;
    assert_eq!(states, vec![("sent".to_owned(), 1, String::new())]);
    Ok(())
}

#[tokio::test]
async fn mail_waits_out_an_smtp_outage_and_is_delivered_exactly_once() -> TestResult {
    let port = unused_port()?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&format!("smtp://127.0.0.1:{port}"))?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let mut ids = Vec::new();
    for extension in ["120", "121", "122", "123", "124", "125", "126", "127"] {
        ids.push(id_of(&app, "acme.example", extension).await?);
    }
    run_job(&app, &format!("{ACME}/bulk/welcome"), &ids).await?;
    // Nothing listens: every message waits, with the attempt and the reason recorded.
    let mut waited = false;
    for _ in 0..100 {
        let states = outbox_states(&app).await?;
        if states.len() == ids.len()
            && states
                .iter()
                .all(|(state, attempts, _)| state == "queued" && *attempts >= 1)
        {
            waited = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        waited,
        "the messages did not wait in the outbox: {:?}",
        outbox_states(&app).await?
    );
    let errors: Vec<Option<String>> = app
        .query(|conn| outbox::table.select(outbox::last_error).load(conn))
        .await?;
    assert!(
        errors.iter().all(|e| e
            .as_deref()
            .is_some_and(|e| e.contains("nothing is listening"))),
        "{errors:?}"
    );

    let sink = SmtpSink::start_on(port).await?;
    let delivered = sink.wait_for(ids.len(), WAIT).await?;
    // Give a duplicate every chance to arrive before counting.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let mut recipients: Vec<String> = sink.messages().iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(delivered.len(), ids.len());
    assert_eq!(recipients.len(), ids.len(), "a message arrived twice");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), ids.len());
    assert!(
        outbox_states(&app)
            .await?
            .iter()
            .all(|(state, _, _)| state == "sent")
    );
    sink.stop().await;
    Ok(())
}

#[tokio::test]
async fn force_password_reset_ends_sessions_and_mails_a_reset_link() -> TestResult {
    let sink = SmtpSink::start().await?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&sink.url())?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(&basic.get("/").await?, StatusCode::FORBIDDEN);

    let target = id_of(&app, "acme.example", "101").await?;
    let confirm = step(
        &app,
        &format!("{ACME}/bulk/force-reset/confirm"),
        &users_field(&[target]),
    )
    .await?
    .text()
    .await?;
    assert!(confirm.contains("Make 1 users choose a new password?"));
    run_job(&app, &format!("{ACME}/bulk/force-reset"), &[target]).await?;

    // The open session ended at once.
    assert_redirect(&basic.get("/").await?, "/login");
    let must_change: bool = app
        .query(move |conn| {
            users::table
                .find(target)
                .select(users::must_change_password)
                .first(conn)
        })
        .await?;
    assert!(must_change);
    // Signing in with the old password works, and leads straight to the forced change.
    let again = app.new_browser()?;
    assert_redirect(
        &again.sign_in("101@acme.example", DEMO_PASSWORD).await?,
        "/account/password",
    );

    let mail = sink.wait_for(1, WAIT).await?;
    assert_mail_snapshot!("password_reset_email", mail[0]);
    let link = link_in(&mail[0])?;
    // 101 has no voicemail PIN yet, so the form will not go without one.
    let without_pin = set_password_through(&app, &link, "").await?;
    assert_status(&without_pin, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(without_pin.text().await?.contains("Choose a voicemail PIN"));
    let saved = set_password_through(&app, &link, "2580").await?;
    assert_status(&saved, StatusCode::OK);
    let must_change: bool = app
        .query(move |conn| {
            users::table
                .find(target)
                .select(users::must_change_password)
                .first(conn)
        })
        .await?;
    assert!(
        !must_change,
        "a password chosen through the link ends the forced change"
    );
    Ok(())
}

#[tokio::test]
async fn expired_unknown_and_invalid_links_change_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let user = id_of(&app, "acme.example", "155").await?;
    let (token, hash) = new_token()?;
    app.query(move |conn| {
        diesel::insert_into(password_tokens::table)
            .values((
                password_tokens::user_id.eq(user),
                password_tokens::token_hash.eq(hash),
                password_tokens::purpose.eq("welcome"),
                password_tokens::expires_at.eq(Utc::now().naive_utc() - TimeDelta::minutes(1)),
            ))
            .execute(conn)
    })
    .await?;
    let browser = app.new_browser()?;
    let expired = browser.get(&format!("/password/{token}")).await?;
    assert_status(&expired, StatusCode::GONE);
    assert!(expired.text().await?.contains("This link has expired"));
    let posted = browser
        .post_form(
            &format!("/password/{token}"),
            &[
                ("new_password", NEW_PASSWORD),
                ("confirm_password", NEW_PASSWORD),
                ("pin", "2580"),
            ],
        )
        .await?;
    assert_status(&posted, StatusCode::GONE);
    let unknown = browser.get("/password/not-a-token").await?;
    assert_status(&unknown, StatusCode::NOT_FOUND);
    let password: Option<String> = app
        .query(move |conn| {
            users::table
                .find(user)
                .select(users::password_hash)
                .first(conn)
        })
        .await?;
    assert_eq!(password, None);
    Ok(())
}

#[tokio::test]
async fn a_link_form_with_bad_secrets_says_why_per_field_and_keeps_the_link() -> TestResult {
    let sink = SmtpSink::start().await?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&sink.url())?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let user = id_of(&app, "acme.example", "155").await?;
    run_job(&app, &format!("{ACME}/bulk/welcome"), &[user]).await?;
    let link = link_in(&sink.wait_for(1, WAIT).await?[0])?;
    let browser = app.new_browser()?;
    let page = browser.get(&link).await?;
    assert_status(&page, StatusCode::OK);
    let page = page.text().await?;
    let token = find_csrf_token(&page).ok_or("no token")?;
    let refused = browser
        .client
        .post(browser.url(&link))
        .form(&[
            ("new_password", "155"),
            ("confirm_password", "155"),
            ("pin", "1234"),
            ("csrf_token", &token),
        ])
        .send()
        .await?;
    assert_status(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    let html = refused.text().await?;
    assert!(html.contains("Use at least 10 characters."));
    assert!(html.contains("A PIN cannot be a run of digits"));
    // Nothing was used up: the right secrets still go through.
    assert_status(
        &set_password_through(&app, &link, "2580").await?,
        StatusCode::OK,
    );
    Ok(())
}

#[tokio::test]
async fn super_users_can_send_a_test_email_and_others_cannot() -> TestResult {
    let sink = SmtpSink::start().await?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&sink.url())?)
        .start()
        .await?;
    app.signed_in_as("9000@platform.example").await?;
    let sent = app
        .post_form("/mail/test", &[("to", "ops@example.com")])
        .await?;
    assert_redirect(&sent, "/domains");
    let page = app.get("/domains").await?.text().await?;
    assert!(
        page.contains("A test e-mail was sent to ops@example.com."),
        "{page}"
    );
    let mail = sink.wait_for(1, WAIT).await?;
    assert_eq!(mail[0].to, vec!["ops@example.com".to_owned()]);
    assert_mail_snapshot!("test_email", mail[0]);

    let manager = app.new_browser()?;
    manager.signed_in_as("100@acme.example").await?;
    let refused = manager
        .post_form("/mail/test", &[("to", "ops@example.com")])
        .await?;
    assert_status(&refused, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_test_email_to_a_server_that_is_down_says_so() -> TestResult {
    let port = unused_port()?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&format!("smtp://127.0.0.1:{port}"))?)
        .start()
        .await?;
    app.signed_in_as("9000@platform.example").await?;
    app.post_form("/mail/test", &[("to", "ops@example.com")])
        .await?;
    let page = app.get("/domains").await?.text().await?;
    assert!(page.contains("was not sent"), "{page}");
    assert!(page.contains(&format!("127.0.0.1:{port}")));
    Ok(())
}

/// The `version_{id}` a recycle form carries for a user.
fn version_on_form(html: &str, id: i64) -> String {
    let marker = format!(r#"name="version_{id}" value=""#);
    html.split(&marker)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned()
}

#[tokio::test]
async fn recycling_with_send_welcome_email_mails_each_new_person_with_an_address() -> TestResult {
    let sink = SmtpSink::start().await?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&sink.url())?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let (a, b) = (
        id_of(&app, "acme.example", "146").await?,
        id_of(&app, "acme.example", "147").await?,
    );
    let response = step(
        &app,
        &format!("{ACME}/bulk/reset"),
        &[
            ("user", a.to_string()),
            ("user", b.to_string()),
            ("option", "name".into()),
            ("option", "email".into()),
            ("option", "password".into()),
            ("recycle", "1".into()),
        ],
    )
    .await?;
    let job = job_id_in(&response.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    let form = app.get(&format!("/jobs/{job}/recycle")).await?;
    assert_status(&form, StatusCode::OK);
    let form = form.text().await?;
    let saved = step(
        &app,
        &format!("/jobs/{job}/recycle"),
        &[
            (&*format!("version_{a}"), version_on_form(&form, a)),
            (&*format!("version_{b}"), version_on_form(&form, b)),
            (&*format!("first_name_{a}"), "Nora".into()),
            (&*format!("last_name_{a}"), "New".into()),
            (&*format!("email_{a}"), "nora.new@acme.example".into()),
            (&*format!("first_name_{b}"), "Omar".into()),
            (&*format!("last_name_{b}"), "Other".into()),
            (&*format!("email_{b}"), "".into()),
            ("send_welcome", "1".into()),
        ],
    )
    .await?;
    assert_status(&saved, StatusCode::OK);
    assert!(
        saved
            .text()
            .await?
            .contains("A welcome e-mail is on its way.")
    );
    let mail = sink.wait_for(1, WAIT).await?;
    assert_eq!(mail[0].to, vec!["nora.new@acme.example".to_owned()]);
    assert!(
        mail[0]
            .text_body()
            .is_some_and(|text| text.starts_with("Hello Nora New,"))
    );
    // The new person sets a password through it and is Active.
    let link = link_in(&mail[0])?;
    assert_status(
        &set_password_through(&app, &link, "2580").await?,
        StatusCode::OK,
    );
    let status: i32 = app
        .query(move |conn| users::table.find(a).select(users::status).first(conn))
        .await?;
    assert_eq!(status, pbx_portal::domain::Status::Active as i32);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        sink.messages().len(),
        1,
        "Omar has no address and gets nothing"
    );
    Ok(())
}

#[tokio::test]
async fn mail_queued_before_a_restart_goes_out_once_and_an_interrupted_one_is_not_resent()
-> TestResult {
    // A portal that only queues: nothing is delivered while it runs.
    let db = TestDb::new()?;
    let first = TestApp::builder()
        .on(db.another_handle())
        .demo()
        .start()
        .await?;
    first.signed_in_as("100@acme.example").await?;
    let user = id_of(&first, "acme.example", "155").await?;
    run_job(&first, &format!("{ACME}/bulk/welcome"), &[user]).await?;
    // And a message some instance was handing over when it died: its lease has run out.
    first
        .query(move |conn| {
            diesel::insert_into(outbox::table)
                .values((
                    outbox::user_id.eq(user),
                    outbox::recipient.eq("interrupted@acme.example"),
                    outbox::kind.eq("welcome"),
                    outbox::subject.eq("Interrupted"),
                    outbox::body_text.eq("text"),
                    outbox::body_html.eq("<p>html</p>"),
                    outbox::state.eq("sending"),
                    outbox::next_attempt_at.eq(Utc::now().naive_utc() - TimeDelta::minutes(1)),
                ))
                .execute(conn)
        })
        .await?;
    assert_eq!(outbox_states(&first).await?[0].0, "queued");

    let sink = SmtpSink::start().await?;
    let mail = mailing_to(&sink.url())?;
    let second = TestApp::builder().on(db).mail(mail).start().await?;
    sink.wait_for(1, WAIT).await?;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_ne!(received[0].to, vec!["interrupted@acme.example".to_owned()]);
    let states: Vec<(String, Option<String>)> = second
        .query(|conn| {
            outbox::table
                .order(outbox::id)
                .select((outbox::state, outbox::last_error))
                .load(conn)
        })
        .await?;
    assert_eq!(states[0], ("sent".to_owned(), None));
    assert_eq!(states[1].0, "failed");
    assert!(
        states[1]
            .1
            .as_deref()
            .is_some_and(|e| e.contains("interrupted"))
    );
    Ok(())
}

#[tokio::test]
async fn the_edit_page_shows_each_users_mail_and_how_it_fared() -> TestResult {
    let port = unused_port()?;
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&format!("smtp://127.0.0.1:{port}"))?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let user = id_of(&app, "acme.example", "155").await?;
    let before = app.get(&format!("{ACME}/users/155")).await?.text().await?;
    assert_html_snapshot!(
        "user_mail_before_any",
        part(&before, "class=\"card user-mail\"")?
    );
    run_job(&app, &format!("{ACME}/bulk/welcome"), &[user]).await?;
    let mut page = String::new();
    for _ in 0..100 {
        page = app.get(&format!("{ACME}/users/155")).await?.text().await?;
        if page.contains("It will be tried again.") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // What was sent, to whom, that it waits, and why.
    let port = format!("127.0.0.1:{port}");
    assert_html_snapshot!(
        "user_mail_waiting",
        masked(
            &part(&page, "class=\"card user-mail\"")?,
            &[(&port, "[mail server]")]
        )
    );
    Ok(())
}

/// Each (state, last error) of the outbox, oldest first.
async fn outbox_outcomes(
    app: &TestApp,
) -> Result<Vec<(String, Option<String>)>, Box<dyn std::error::Error>> {
    app.query(|conn| {
        outbox::table
            .order(outbox::id)
            .select((outbox::state, outbox::last_error))
            .load(conn)
    })
    .await
}

async fn open_links_of(app: &TestApp, user: i64) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        password_tokens::table
            .filter(password_tokens::user_id.eq(user))
            .count()
            .get_result(conn)
    })
    .await
}

#[tokio::test]
async fn mail_queued_to_a_user_who_is_then_deleted_reset_or_readdressed_is_cancelled() -> TestResult
{
    // Mail stays queued here (no mailer), as it would while the mail server is down.
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let deleted = id_of(&app, "acme.example", "131").await?;
    let reset = id_of(&app, "acme.example", "132").await?;
    let readdressed = id_of(&app, "acme.example", "133").await?;
    run_job(
        &app,
        &format!("{ACME}/bulk/welcome"),
        &[deleted, reset, readdressed],
    )
    .await?;
    assert_eq!(open_links_of(&app, reset).await?, 1);

    assert_redirect(
        &app.post_form(&format!("{ACME}/users/131/delete"), &[])
            .await?,
        &format!("{ACME}/users"),
    );
    // A reset that clears only call history still cancels: the message was written for
    // the user as they were.
    let mut fields = users_field(&[reset]);
    fields.push(("option", "call_history".to_owned()));
    let started = step(&app, &format!("{ACME}/bulk/reset"), &fields).await?;
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    let page = app.get(&format!("{ACME}/users/133")).await?.text().await?;
    let version = page
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no version on the form")?
        .to_owned();
    let saved = app
        .post_form(
            &format!("{ACME}/users/133"),
            &[
                ("extension", "133"),
                ("first_name", "Moved"),
                ("last_name", "Elsewhere"),
                ("email", "moved@elsewhere.example"),
                ("scope", "Basic User"),
                ("department", ""),
                ("site", ""),
                ("version", &version),
            ],
        )
        .await?;
    assert_redirect(&saved, &format!("{ACME}/users"));

    let outcomes = outbox_outcomes(&app).await?;
    assert_eq!(outcomes.len(), 3);
    for (state, reason) in &outcomes {
        assert_eq!(state, "cancelled");
        assert!(
            reason
                .as_deref()
                .is_some_and(|r| r.starts_with("Cancelled: "))
        );
    }
    assert!(
        outcomes[0]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("deleted"))
    );
    assert!(
        outcomes[1]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("reset"))
    );
    assert!(
        outcomes[2]
            .1
            .as_deref()
            .is_some_and(|r| r.contains("e-mail address"))
    );
    assert_eq!(open_links_of(&app, reset).await?, 0);
    assert_eq!(open_links_of(&app, readdressed).await?, 0);
    let bodies: Vec<String> = outbox_states(&app)
        .await?
        .into_iter()
        .map(|(_, _, body)| body)
        .collect();
    assert!(bodies.iter().all(String::is_empty), "no link stays stored");
    Ok(())
}

#[tokio::test]
async fn only_the_message_being_handed_over_is_marked_sending() -> TestResult {
    // A mail server that accepts the connection and then says nothing: the postman
    // waits on the first message, as it would if the process died mid-handover.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = silent.local_addr()?.port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&format!("smtp://127.0.0.1:{port}"))?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "134").await?,
        id_of(&app, "acme.example", "135").await?,
        id_of(&app, "acme.example", "136").await?,
    ];
    run_job(&app, &format!("{ACME}/bulk/welcome"), &ids).await?;
    let mut states = Vec::new();
    for _ in 0..100 {
        states = outbox_outcomes(&app)
            .await?
            .into_iter()
            .map(|(state, _)| state)
            .collect::<Vec<_>>();
        if states.iter().any(|state| state == "sending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // Were the process killed now, two messages never tried would still be queued for
    // the next instance, and only one could be failed as "interrupted".
    assert_eq!(states, vec!["sending", "queued", "queued"]);
    held.abort();
    Ok(())
}

#[tokio::test]
async fn credentials_are_never_sent_to_a_server_without_starttls() -> TestResult {
    let sink = SmtpSink::start().await?;
    let url = format!("smtp://mailer:secret@127.0.0.1:{}", sink.port());
    let app = TestApp::builder()
        .demo()
        .mail(mailing_to(&url)?)
        .start()
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let user = id_of(&app, "acme.example", "137").await?;
    run_job(&app, &format!("{ACME}/bulk/welcome"), &[user]).await?;
    let mut outcome = (String::new(), None);
    for _ in 0..100 {
        outcome = outbox_outcomes(&app).await?.pop().ok_or("nothing queued")?;
        if outcome.1.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let error = outcome.1.ok_or("no delivery attempt")?;
    assert!(error.to_lowercase().contains("tls"), "{error}");
    assert!(sink.messages().is_empty(), "nothing was handed over");
    Ok(())
}
