//! Undo reset (issue 17): a reset keeps what it cleared; Undo reset puts exactly that
//! back, as a job, for every user not changed since; sessions the reset ended stay
//! ended; outsiders cannot undo; the retention period ends it.

use diesel::prelude::*;
use pbx_portal::db::Backend;
use pbx_portal::db::kept::{self, Keep, Kept, KeptUser};
use pbx_portal::db::schema::{reset_undo, users};
use pbx_portal::domain::ids::UserId;
use pbx_portal::domain::reset::ResetOptions;
use reqwest::StatusCode;

use crate::bulk::{
    greetings_fault, id_of, job_id_in, outcomes, reset, step, users_field, wait_for_job,
};
use crate::helpers::*;
use crate::jobs::audit_details;

/// What a reset with every option clears, as the database holds it.
async fn clearable(app: &TestApp, id: i64) -> Result<(KeptUser, Kept), Box<dyn std::error::Error>> {
    app.query(move |conn| {
        let ids = [UserId::new(id)];
        let user = kept::users_of(conn, &ids)?
            .into_iter()
            .next()
            .ok_or(diesel::result::Error::NotFound)?;
        let every = ResetOptions::from_keys([
            "additional_devices",
            "voicemail_messages",
            "voicemail_greetings",
            "answering_rules",
            "contacts",
            "call_history",
        ]);
        let attached = kept::attached_to(conn, &ids, Keep::ClearedBy(&every))?
            .remove(&ids[0])
            .unwrap_or_default();
        Ok((user, attached))
    })
    .await
}

/// The fields a reset clears and Undo reset puts back, with what is attached.
fn restorable(kept: &(KeptUser, Kept)) -> impl PartialEq + std::fmt::Debug + use<> {
    let (user, attached) = kept.clone();
    (
        user.first_name,
        user.last_name,
        user.email,
        user.password_hash,
        user.pin_hash,
        attached,
    )
}

fn every_option() -> ResetOptions {
    ResetOptions::from_keys([
        "name",
        "email",
        "password",
        "voicemail_pin",
        "additional_devices",
        "voicemail_messages",
        "voicemail_greetings",
        "answering_rules",
        "contacts",
        "call_history",
    ])
}

async fn htmx_get(app: &Browser, path: &str) -> reqwest::Result<reqwest::Response> {
    app.client
        .get(app.url(path))
        .header("HX-Request", "true")
        .send()
        .await
}

#[tokio::test]
async fn undo_puts_back_exactly_what_the_reset_cleared_and_skips_users_changed_since() -> TestResult
{
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "130").await?,
        id_of(&app, "acme.example", "131").await?,
        id_of(&app, "acme.example", "132").await?,
    ];
    let their_browser = app.new_browser()?;
    their_browser.signed_in_as("130@acme.example").await?;
    let before = clearable(&app, ids[0]).await?;
    let job = reset(&app, &ids, &every_option(), false).await?;
    assert_ne!(
        restorable(&clearable(&app, ids[0]).await?),
        restorable(&before)
    );
    let page = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(page.contains("Undo reset"));

    // Changes after the reset: 131 renamed, 132 recycled (both move the row version on).
    let (renamed, recycled) = (ids[1], ids[2]);
    app.query(move |conn| {
        diesel::update(users::table.filter(users::id.eq_any([renamed, recycled])))
            .set((
                users::first_name.eq("Changed"),
                users::version.eq(users::version + 1),
            ))
            .execute(conn)
    })
    .await?;

    let confirm = htmx_get(&app, &format!("/jobs/{job}/undo")).await?;
    assert_status(&confirm, StatusCode::OK);
    assert!(
        confirm
            .text()
            .await?
            .contains("Put back what the reset cleared for 3 users?")
    );
    let started = app
        .client
        .post(app.url(&format!("/jobs/{job}/undo")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", app.csrf_token().await?)
        .send()
        .await?;
    assert_status(&started, StatusCode::OK);
    let undo = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, undo).await?;
    let got = outcomes(&app, undo).await?;
    let changed = Some("Changed since the reset.".to_owned());
    assert_eq!(
        got,
        [
            ("130".to_owned(), "done".to_owned(), None),
            ("131".to_owned(), "skipped".to_owned(), changed.clone()),
            ("132".to_owned(), "skipped".to_owned(), changed),
        ]
    );
    assert_eq!(
        restorable(&clearable(&app, ids[0]).await?),
        restorable(&before),
        "name, e-mail, password and PIN hashes and every attached row as they were"
    );
    // The reset ended the user's session; putting the password back does not revive it.
    assert_redirect(&their_browser.get("/").await?, "/login");
    // 131 and 132 can still be put back should they be changed back; 130 is done.
    let left: Vec<UserId> = app
        .query(move |conn| {
            reset_undo::table
                .filter(reset_undo::job_id.eq(job))
                .select(reset_undo::user_id)
                .order(reset_undo::user_id)
                .load(conn)
        })
        .await?;
    assert_eq!(left, [UserId::new(ids[1]), UserId::new(ids[2])]);
    Ok(())
}

#[tokio::test]
async fn only_a_reset_of_ones_own_domain_can_be_undone_and_only_while_kept() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "133").await?;
    let job = reset(&app, &[id], &ResetOptions::defaults(), false).await?;
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    assert_status(
        &htmx_get(&globex, &format!("/jobs/{job}/undo")).await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &globex.post_form(&format!("/jobs/{job}/undo"), &[]).await?,
        StatusCode::FORBIDDEN,
    );
    // Without JavaScript: the Confirm page, then the job's page.
    let confirm_page = app.get(&format!("/jobs/{job}/undo")).await?;
    assert_status(&confirm_page, StatusCode::OK);
    let undone = app.post_form(&format!("/jobs/{job}/undo"), &[]).await?;
    assert_status(&undone, StatusCode::SEE_OTHER);
    let location = undone
        .headers()
        .get("location")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let undo: i64 = location
        .trim_start_matches("/jobs/")
        .parse()
        .map_err(|_| format!("not a job: {location}"))?;
    wait_for_job(&app, undo).await?;
    // Nothing left to put back: no Undo reset, and asking is refused.
    assert!(
        !app.get(&format!("/jobs/{job}"))
            .await?
            .text()
            .await?
            .contains("Undo reset")
    );
    assert_status(
        &htmx_get(&app, &format!("/jobs/{job}/undo")).await?,
        StatusCode::BAD_REQUEST,
    );
    // A job that is not a reset has nothing to undo.
    assert_status(
        &htmx_get(&app, &format!("/jobs/{undo}/undo")).await?,
        StatusCode::BAD_REQUEST,
    );
    Ok(())
}

#[tokio::test]
async fn after_the_retention_period_a_reset_can_no_longer_be_undone() -> TestResult {
    let app = TestApp::builder().demo().retention_days(0).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "134").await?;
    let job = reset(&app, &[id], &ResetOptions::defaults(), false).await?;
    let mut kept = 1;
    for _ in 0..100 {
        kept = app
            .query(move |conn| {
                reset_undo::table
                    .filter(reset_undo::job_id.eq(job))
                    .count()
                    .get_result::<i64>(conn)
            })
            .await?;
        if kept == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(kept, 0, "purged at the job worker's next look");
    assert!(
        !app.get(&format!("/jobs/{job}"))
            .await?
            .text()
            .await?
            .contains("Undo reset")
    );
    Ok(())
}

#[tokio::test]
async fn retry_failed_of_an_undo_puts_back_only_the_users_it_failed() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let (fine, broken) = (
        id_of(&app, "acme.example", "145").await?,
        id_of(&app, "acme.example", "144").await?,
    );
    let options = ResetOptions::from_keys(["name", "voicemail_greetings"]);
    let reset_job = reset(&app, &[fine, broken], &options, false).await?;
    greetings_fault(&app, broken, "INSERT").await?;
    let started = step(&app, &format!("/jobs/{reset_job}/undo"), &[]).await?;
    let undo = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, undo).await?;
    let states: Vec<(String, String)> = outcomes(&app, undo)
        .await?
        .into_iter()
        .map(|(extension, state, _)| (extension, state))
        .collect();
    assert_eq!(
        states,
        [
            ("144".into(), "failed".into()),
            ("145".into(), "done".into())
        ]
    );

    // Retry failed: the Undo reset's Confirm step for the failed user alone.
    let confirm = htmx_get(&app, &format!("/jobs/{undo}/retry")).await?;
    assert_status(&confirm, StatusCode::OK);
    let confirm = confirm.text().await?;
    // The reset's Undo for 144 alone, naming the undo it retries.
    assert_html_snapshot!(
        "undo_retry_confirm",
        masked_ids(
            &tidy(&confirm),
            &[
                (broken, "[144]"),
                (fine, "[145]"),
                (reset_job, "[reset job]"),
                (undo, "[undo job]")
            ]
        )
    );

    // A user already put back cannot be named again.
    let mut again = users_field(&[fine]);
    again.push(("retry_of", undo.to_string()));
    let refused = step(&app, &format!("/jobs/{reset_job}/undo"), &again).await?;
    assert_status(&refused, StatusCode::BAD_REQUEST);

    app.query(|conn| {
        let drop = match conn.backend() {
            Backend::Sqlite => "DROP TRIGGER inject_fault",
            Backend::Postgres => "DROP TRIGGER inject_fault ON voicemail_greetings",
        };
        diesel::sql_query(drop).execute(conn)
    })
    .await?;
    let mut chosen = users_field(&[broken]);
    chosen.push(("retry_of", undo.to_string()));
    let started = step(&app, &format!("/jobs/{reset_job}/undo"), &chosen).await?;
    assert_status(&started, StatusCode::OK);
    let retry = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, retry).await?;
    let got = outcomes(&app, retry).await?;
    assert_eq!(got, [("144".to_owned(), "done".to_owned(), None)]);
    assert_eq!(
        audit_details(&app, "job.retry").await?,
        [format!(
            "job {retry} retries the failed users of job {undo}"
        )]
    );
    Ok(())
}
