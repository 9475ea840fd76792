//! The nine smaller defects an attack from outside found (issue 29), each as the request
//! an attacker sends and the answer it gets now.

use diesel::prelude::*;
use pbx_portal::config::MailSettings;
use pbx_portal::db::schema::{domains, outbox, users};
use pbx_portal::services::mail::OVER_DAILY_CAP;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::bulk::{job_in_location, wait_for_job};
use crate::helpers::api::{Api, assert_counts};
use crate::helpers::*;

const ACME: &str = "/domains/acme.example";

async fn manager() -> Result<(TestApp, Api), Box<dyn std::error::Error>> {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let token = app.create_token("tests").await?;
    let api = Api::new(&app, Some(&token))?;
    Ok((app, api))
}

/// 1. Re-submitting an old **Import N rows** form after checking another file.
#[tokio::test]
async fn an_old_import_form_never_starts_another_file() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let import = format!("{ACME}/import");
    let first = app
        .check_file(
            &import,
            "adds.csv",
            b"extension,first_name,last_name,action\n300,New,Person,add\n".to_vec(),
        )
        .await?;
    let first_key = checked_file_in(&first).ok_or("no checked file")?;
    assert!(
        first_key.len() >= 40,
        "a random key, not an id: {first_key}"
    );
    let started = app
        .post_form(&format!("{import}/{first_key}/apply"), &[])
        .await?;
    wait_for_job(&app, job_in_location(&started).ok_or("no job")?).await?;

    // A second file, whose check the user never confirms.
    let second = app
        .check_file(
            &import,
            "deletes.csv",
            b"extension,action\n102,delete\n".to_vec(),
        )
        .await?;
    let second_key = checked_file_in(&second).ok_or("no checked file")?;
    assert_ne!(second_key, first_key);
    let before = app.db_counts().await?;
    assert_eq!(before.bulk_jobs, 1);
    // Back, a second tab or a double click sends the first form again.
    let again = app
        .post_form(&format!("{import}/{first_key}/apply"), &[])
        .await?;
    assert_status(&again, StatusCode::NOT_FOUND);
    for guess in ["1", "2", "3"] {
        let forged = app
            .post_form(&format!("{import}/{guess}/apply"), &[])
            .await?;
        assert_status(&forged, StatusCode::NOT_FOUND);
    }
    assert!(app.user_exists("acme.example", "102").await?);
    assert_eq!(app.db_counts().await?, before, "nothing started or changed");
    Ok(())
}

/// 2. Telling other customers' domains from names that do not exist.
#[tokio::test]
async fn a_domain_that_does_not_exist_answers_as_another_customers_does() -> TestResult {
    let (app, api) = manager().await?;
    // One that exists (another reseller's customer), one that does not.
    for domain in ["initech.example", "no-such.example"] {
        let page = app.get(&format!("/domains/{domain}/users")).await?;
        assert_status(&page, StatusCode::FORBIDDEN);
        assert!(
            page.text()
                .await?
                .contains("This domain is not one you manage.")
        );
        for path in [
            format!("/api/v1/domains/{domain}/users"),
            format!("/api/v1/domains/{domain}/users/100"),
        ] {
            let answer = api.get(&path).await?;
            let body = answer.expect(StatusCode::FORBIDDEN);
            assert_eq!(body["detail"], "This domain is not one you manage.");
        }
        let job = api
            .post(
                &format!("/api/v1/domains/{domain}/jobs"),
                &json!({"action": "welcome", "extensions": ["100"]}),
            )
            .await?;
        job.expect(StatusCode::FORBIDDEN);
    }
    // A Super User, who could open it if it existed, is told there is none.
    let support = app.new_browser()?;
    support.signed_in_as("9000@platform.example").await?;
    assert_status(
        &support.get("/domains/no-such.example/users").await?,
        StatusCode::NOT_FOUND,
    );
    Ok(())
}

/// The set-password links in the queued messages, oldest first.
async fn queued_links(app: &TestApp) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let bodies: Vec<String> = app
        .query(|conn| {
            outbox::table
                .order(outbox::id)
                .select(outbox::body_text)
                .load(conn)
        })
        .await?;
    Ok(bodies
        .iter()
        .filter_map(|body| {
            let start = body.find("/password/")?;
            let rest = &body[start..];
            let end = rest.find(|c: char| c.is_whitespace()).unwrap_or(rest.len());
            Some(rest[..end].to_owned())
        })
        .collect())
}

/// 3. A second welcome or reset e-mail leaving the first link working.
#[tokio::test]
async fn a_new_link_voids_the_earlier_unused_link_of_its_purpose() -> TestResult {
    let (app, api) = manager().await?;
    let welcome = json!({"action": "welcome", "extensions": ["120"]});
    assert_counts(&api.run_job("acme.example", &welcome).await?, 1, 0, 0)?;
    let first = queued_links(&app).await?;
    assert_eq!(first.len(), 1, "{first:?}");
    assert_counts(&api.run_job("acme.example", &welcome).await?, 1, 0, 0)?;
    // The first message, not yet sent, is cancelled and its link cleared with it.
    let second = queued_links(&app).await?;
    assert_eq!(second.len(), 1, "{second:?}");
    assert_ne!(second, first);
    let states: Vec<(String, Option<String>)> = app
        .query(|conn| {
            outbox::table
                .order(outbox::id)
                .select((outbox::state, outbox::last_error))
                .load(conn)
        })
        .await?;
    assert_eq!(
        states,
        [
            (
                "cancelled".to_owned(),
                Some(pbx_portal::db::outbox::CANCELLED_BY_NEWER_LINK.to_owned())
            ),
            ("queued".to_owned(), None)
        ]
    );
    let stranger = app.new_browser()?;
    assert_status(&stranger.get(&first[0]).await?, StatusCode::NOT_FOUND);
    assert_status(&stranger.get(&second[0]).await?, StatusCode::OK);
    Ok(())
}

/// 4. A fresh token, or a bad one, to get past the API's rate limit.
#[tokio::test]
async fn the_api_rate_limit_is_per_owner_and_refused_tokens_are_limited_per_address() -> TestResult
{
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .api_rate_limit(5)
        .start()
        .await?;
    let first = Api::new(&app, Some(&app.create_token("first").await?))?;
    for _ in 0..5 {
        first.get("/api/v1/domains").await?.expect(StatusCode::OK);
    }
    first
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::TOO_MANY_REQUESTS);
    // A new token of the same owner brings no new requests.
    let second = Api::new(&app, Some(&app.create_token("second").await?))?;
    let refused = second.get("/api/v1/domains").await?;
    refused.expect(StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.header("retry-after").is_some());
    // Another user's limit is their own.
    let other = Api::signed_as(&app, "100@globex.example").await?;
    other.get("/api/v1/domains").await?.expect(StatusCode::OK);

    // Guessing tokens from one address is limited too, whatever the guess.
    let forged = |n: usize| format!("pbx_{n}_guess");
    for n in 0..5 {
        Api::new(&app, Some(&forged(n)))?
            .get("/api/v1/domains")
            .await?
            .expect(StatusCode::UNAUTHORIZED);
    }
    Api::new(&app, Some(&forged(99)))?
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::TOO_MANY_REQUESTS);
    Api::new(&app, None)?
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::TOO_MANY_REQUESTS);
    // Once the address has used up its refusals, no token from it is looked up, not
    // even a right one (a guess that happens to be right learns nothing).
    other
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}

/// 5. An office manager mailing chosen text to as many outside addresses as they like.
#[tokio::test]
async fn a_domains_daily_cap_of_link_mail_skips_the_rest_and_the_job_says_so() -> TestResult {
    let (app, api) = manager().await?;
    app.query(|conn| {
        diesel::update(domains::table.filter(domains::name.eq("acme.example")))
            .set(domains::link_mail_per_day.eq(2))
            .execute(conn)
    })
    .await?;
    let welcome = json!({"action": "welcome", "extensions": ["120", "121", "122"]});
    let job = api.run_job("acme.example", &welcome).await?;
    assert_counts(&job, 2, 0, 1)?;
    let queued: i64 = app
        .query(|conn| outbox::table.count().get_result(conn))
        .await?;
    assert_eq!(queued, 2);
    let progress = app
        .get(&format!("/jobs/{}", job["id"]))
        .await?
        .text()
        .await?;
    assert!(progress.contains(OVER_DAILY_CAP), "{progress}");
    assert!(
        progress.contains("1 user was not e-mailed"),
        "the job's line says so: {progress}"
    );

    // A forced reset still ends the sessions and asks for a new password; only its
    // e-mail is left out, and its outcome says why.
    let forced = json!({"action": "force_password_reset", "extensions": ["123"]});
    let job = api.run_job("acme.example", &forced).await?;
    assert_counts(&job, 1, 0, 0)?;
    let queued: i64 = app
        .query(|conn| outbox::table.count().get_result(conn))
        .await?;
    assert_eq!(queued, 2);
    let must_change: bool = app
        .query(|conn| {
            users::table
                .inner_join(domains::table)
                .filter(domains::name.eq("acme.example"))
                .filter(users::extension.eq("123"))
                .select(users::must_change_password)
                .first(conn)
        })
        .await?;
    assert!(must_change);
    let progress = app
        .get(&format!("/jobs/{}", job["id"]))
        .await?
        .text()
        .await?;
    assert!(progress.contains(OVER_DAILY_CAP), "{progress}");

    // Another domain's allowance is its own.
    let globex = Api::signed_as(&app, "100@globex.example").await?;
    let theirs = json!({"action": "welcome", "extensions": ["120", "121", "122"]});
    assert_counts(&globex.run_job("globex.example", &theirs).await?, 3, 0, 0)?;
    Ok(())
}

/// When a mail server falls silent.
#[derive(Clone, Copy)]
enum Silent {
    /// Before its greeting: it has nothing.
    FromTheStart,
    /// Once it has the whole message: it may have kept it.
    AfterTheMessage,
}

/// A mail server that falls silent for good at `when`.
async fn silent_mail_server(when: Silent) -> std::io::Result<u16> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                if let Silent::FromTheStart = when {
                    tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                    return;
                }
                let mut lines = BufReader::new(read).lines();
                let _ = write.write_all(b"220 silent ESMTP\r\n").await;
                let mut in_data = false;
                while let Ok(Some(line)) = lines.next_line().await {
                    let answer: &[u8] = if in_data {
                        if line == "." {
                            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
                        }
                        continue;
                    } else if line.starts_with("EHLO") {
                        b"250 silent\r\n"
                    } else if line.starts_with("DATA") {
                        in_data = true;
                        b"354 go on\r\n"
                    } else {
                        b"250 ok\r\n"
                    };
                    let _ = write.write_all(answer).await;
                }
            });
        }
    });
    Ok(port)
}

/// 6. A mail server that accepts a message and never answers, holding the outbox.
#[tokio::test]
async fn a_mail_server_that_never_answers_holds_one_message_for_its_deadline_only() -> TestResult {
    let port = silent_mail_server(Silent::AfterTheMessage).await?;
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .mail(MailSettings {
            send_deadline: std::time::Duration::from_millis(500),
            ..mailing_to(&format!("smtp://127.0.0.1:{port}"))?
        })
        .start()
        .await?;
    let api = Api::new(&app, Some(&app.create_token("tests").await?))?;
    let welcome = json!({"action": "welcome", "extensions": ["120", "121"]});
    assert_counts(&api.run_job("acme.example", &welcome).await?, 2, 0, 0)?;
    let mut states = Vec::new();
    for _ in 0..200 {
        states = app
            .query(|conn| {
                outbox::table
                    .order(outbox::id)
                    .select((outbox::state, outbox::attempts, outbox::last_error))
                    .load::<(String, i32, Option<String>)>(conn)
            })
            .await?;
        if states.iter().all(|(state, ..)| state == "failed") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(states.len(), 2);
    for (state, attempts, error) in &states {
        // Both were handed over in turn (the first did not hold the second), each
        // once: it may have arrived, so it is never sent again.
        assert_eq!(state, "failed", "{states:?}");
        assert_eq!(*attempts, 1, "{states:?}");
        assert!(
            error
                .as_deref()
                .is_some_and(|e| e.contains("may have arrived")),
            "{states:?}"
        );
    }
    Ok(())
}

/// The other side of 6: a server that never even greets has nothing, so the message
/// waits and is tried again rather than given up.
#[tokio::test]
async fn a_mail_server_that_never_greets_leaves_the_message_to_be_tried_again() -> TestResult {
    let port = silent_mail_server(Silent::FromTheStart).await?;
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .mail(MailSettings {
            send_deadline: std::time::Duration::from_millis(300),
            ..mailing_to(&format!("smtp://127.0.0.1:{port}"))?
        })
        .start()
        .await?;
    let api = Api::new(&app, Some(&app.create_token("tests").await?))?;
    let welcome = json!({"action": "welcome", "extensions": ["120"]});
    assert_counts(&api.run_job("acme.example", &welcome).await?, 1, 0, 0)?;
    let mut state = None;
    for _ in 0..200 {
        state = app
            .query(|conn| {
                outbox::table
                    .select((outbox::state, outbox::attempts, outbox::last_error))
                    .first::<(String, i32, Option<String>)>(conn)
                    .optional()
            })
            .await?;
        if state
            .as_ref()
            .is_some_and(|(_, attempts, _)| *attempts >= 1)
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (state, attempts, error) = state.ok_or("no message")?;
    assert!(attempts >= 1, "tried: {attempts}");
    assert_ne!(state, "failed", "not given up: {error:?}");
    assert!(
        error
            .as_deref()
            .is_some_and(|e| e.contains("did not answer")),
        "{error:?}"
    );
    Ok(())
}

/// 7. An `If-Match` read before a delete still matching after Restore.
#[tokio::test]
async fn a_version_read_before_a_delete_does_not_match_after_restore() -> TestResult {
    let (_app, api) = manager().await?;
    let user = "/api/v1/domains/acme.example/users/140";
    let read = api.get(user).await?;
    read.expect(StatusCode::OK);
    let etag = read.header("etag").ok_or("no ETag")?.to_owned();
    let delete = json!({"action": "delete", "extensions": ["140"]});
    assert_counts(&api.run_job("acme.example", &delete).await?, 1, 0, 0)?;
    let restore = json!({"action": "restore", "extensions": ["140"]});
    assert_counts(&api.run_job("acme.example", &restore).await?, 1, 0, 0)?;
    let stale = api
        .send(
            Method::PATCH,
            user,
            Some(&json!({"site": "Overwritten"})),
            &[("If-Match", &etag)],
        )
        .await?;
    stale.expect(StatusCode::PRECONDITION_FAILED);
    let now = api.get(user).await?;
    assert_ne!(now.header("etag"), Some(etag.as_str()));
    assert_ne!(now.expect(StatusCode::OK)["site"], "Overwritten");
    Ok(())
}

/// 8. Names that read falsely in audit and job lines (U+202E turns text around), and
/// CSV cells that a spreadsheet runs as formulas in their full-width spelling.
#[tokio::test]
async fn names_refuse_format_characters_and_exports_neutralise_full_width_formulas() -> TestResult {
    let (app, api) = manager().await?;
    let reversed = "Ada\u{202E}ecalevoL";
    let mut form = vec![
        ("extension", "160"),
        ("first_name", reversed),
        ("last_name", "Newhire"),
        ("email", ""),
        ("scope", "Basic User"),
        ("department", ""),
        ("site", ""),
    ];
    let refused = app.post_form(&format!("{ACME}/users/new"), &form).await?;
    assert_status(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused
            .text()
            .await?
            .contains("Remove the invisible formatting characters")
    );
    form[1] = ("first_name", "Ada");
    form[5] = ("department", "Sales\u{200B}");
    let refused = app.post_form(&format!("{ACME}/users/new"), &form).await?;
    assert_status(&refused, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!app.user_exists("acme.example", "160").await?);

    let answer = api
        .send(
            Method::PATCH,
            "/api/v1/domains/acme.example/users/120",
            Some(&json!({"last_name": "\u{2066}Smith\u{2069}"})),
            &[],
        )
        .await?;
    let body = answer.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["errors"][0]["pointer"], "#/last_name");

    let token = app
        .post_form(
            "/account/tokens",
            &[("name", "sync\u{202E}exe"), ("expires_in_days", "30")],
        )
        .await?;
    assert_status(&token, StatusCode::UNPROCESSABLE_ENTITY);

    let checked = app
        .check_file(
            &format!("{ACME}/import"),
            "names.csv",
            "extension,first_name,last_name,action\n301,\u{FEFF}Eve,Smith,add\n"
                .as_bytes()
                .to_vec(),
        )
        .await?;
    assert!(
        checked.contains("Remove the invisible formatting characters"),
        "{checked}"
    );

    // A full-width equals sign is no format character, so the name is kept, and the
    // export neutralises it as it does "=".
    let saved = api
        .send(
            Method::PATCH,
            "/api/v1/domains/acme.example/users/121",
            Some(&json!({"first_name": "\u{FF1D}HYPERLINK(\"x\")"})),
            &[],
        )
        .await?;
    saved.expect(StatusCode::OK);
    let csv = app
        .get(&format!("{ACME}/users/export?q=121"))
        .await?
        .text()
        .await?;
    assert!(
        csv.contains("\"'\u{FF1D}HYPERLINK(\"\"x\"\")\""),
        "neutralised: {csv}"
    );
    Ok(())
}

/// 9. An encoded path that the router takes for the API but the token check did not.
#[tokio::test]
async fn the_api_token_check_reads_the_path_as_routed() -> TestResult {
    let (app, api) = manager().await?;
    let anonymous = Api::new(&app, None)?;
    for path in [
        "/%61pi/v1/domains",
        "/api/v1/%64omains",
        "/api/%76%31/domains",
    ] {
        anonymous.get(path).await?.expect(StatusCode::UNAUTHORIZED);
        api.get(path).await?.expect(StatusCode::OK);
    }
    // A state change by that spelling: refused for its missing token, not its CSRF.
    let started = anonymous
        .post(
            "/%61pi/v1/domains/acme.example/jobs",
            &json!({"action": "delete", "extensions": ["102"]}),
        )
        .await?;
    started.expect(StatusCode::UNAUTHORIZED);
    assert!(app.user_exists("acme.example", "102").await?);
    Ok(())
}
