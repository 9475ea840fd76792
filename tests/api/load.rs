//! Volume: hundreds of welcome messages riding out a mail-server outage, each arriving
//! exactly once; and the Users page answering a crowd of requests without one error
//! while a bulk job works through thousands of users.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use diesel::prelude::*;
use pbx_portal::db::schema::{bulk_job_items, outbox};
use reqwest::StatusCode;

use crate::bulk::{job_id_in, step, wait_for_job};
use crate::helpers::*;
use crate::smtp_sink::{SmtpSink, unused_port};

const SEED: &str = "/domains/seed-1.example";

/// Starts `action` ("welcome", "reset" …) for every user of the seeded domain.
async fn start_for_all(
    app: &TestApp,
    action: &str,
    extra: &[(&'static str, String)],
) -> Result<i64, Box<dyn std::error::Error>> {
    let mut fields = vec![("all_matching", "1".to_owned()), ("q", String::new())];
    fields.extend_from_slice(extra);
    let answer = step(app, &format!("{SEED}/bulk/{action}"), &fields).await?;
    assert_status(&answer, StatusCode::OK);
    job_id_in(&answer.text().await?).ok_or_else(|| "no job in the answer".into())
}

#[tokio::test]
async fn hundreds_of_welcome_emails_wait_out_an_outage_and_each_arrives_once() -> TestResult {
    const USERS: usize = 300;
    let port = unused_port()?;
    let app = TestApp::builder()
        .mail(mailing_to(&format!("smtp://127.0.0.1:{port}"))?)
        .seeded(USERS as u32)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let job = start_for_all(&app, "welcome", &[]).await?;
    wait_for_job(&app, job).await?;
    // Every message waits, each tried once at least.
    let mut tried = 0;
    for _ in 0..200 {
        tried = app
            .query(|conn| {
                outbox::table
                    .filter(outbox::state.eq("queued"))
                    .filter(outbox::attempts.ge(1))
                    .count()
                    .get_result::<i64>(conn)
            })
            .await?;
        if tried == USERS as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(tried, USERS as i64, "every message tried and waiting");

    let sink = SmtpSink::start_on(port).await?;
    sink.wait_for(USERS, Duration::from_secs(60)).await?;
    // Give a duplicate every chance to arrive before counting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = sink.messages();
    let mut recipients: Vec<String> = received.iter().flat_map(|m| m.to.clone()).collect();
    assert_eq!(
        recipients.len(),
        USERS,
        "{} messages for {USERS} users",
        recipients.len()
    );
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), USERS, "a user got two messages");
    let sent: i64 = app
        .query(|conn| {
            outbox::table
                .filter(outbox::state.eq("sent"))
                .count()
                .get_result(conn)
        })
        .await?;
    assert_eq!(sent, USERS as i64);
    sink.stop().await;
    Ok(())
}

/// Waits up to a minute: a job of thousands of users under load, in a debug build.
async fn wait_long_for_job(app: &TestApp, job: i64) -> TestResult {
    for _ in 0..6 {
        if wait_for_job(app, job).await.is_ok() {
            return Ok(());
        }
    }
    Err(format!("job {job} did not finish within a minute").into())
}

#[tokio::test]
async fn the_users_page_answers_every_request_while_a_bulk_job_runs() -> TestResult {
    const USERS: u32 = 4000;
    let app = TestApp::builder()
        // Small batches keep the job running, and writing, for a good while.
        .job_batch_size(100)
        .seeded(USERS)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let app = Arc::new(app);
    let views = [
        format!("{SEED}/users"),
        format!("{SEED}/users?sort=name&dir=desc&per_page=100"),
        format!("{SEED}/users?q=10&status=setup-required"),
        format!("{SEED}/users?sort=status"),
    ];
    let job = start_for_all(
        &app,
        "reset",
        &[
            ("option", "name".into()),
            ("option", "email".into()),
            ("option", "password".into()),
            ("option", "voicemail_pin".into()),
            ("option", "additional_devices".into()),
        ],
    )
    .await?;
    let running = Arc::new(AtomicBool::new(true));
    let served = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for n in 0..16 {
        let (app, running, served) = (Arc::clone(&app), Arc::clone(&running), Arc::clone(&served));
        let view = views[n % views.len()].clone();
        clients.push(tokio::spawn(async move {
            let mut errors = Vec::new();
            while running.load(Ordering::Relaxed) {
                match app.get(&view).await {
                    Ok(page) if page.status() == StatusCode::OK => {
                        served.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(page) => errors.push(format!("{view}: {}", page.status())),
                    Err(err) => errors.push(format!("{view}: {err}")),
                }
            }
            errors
        }));
    }
    let finished = wait_long_for_job(&app, job).await;
    running.store(false, Ordering::Relaxed);
    let mut errors = Vec::new();
    for client in clients {
        errors.extend(client.await?);
    }
    finished?;
    assert!(
        errors.is_empty(),
        "{} failed requests: {errors:?}",
        errors.len()
    );
    assert!(
        served.load(Ordering::Relaxed) > 16,
        "the clients were served while it ran"
    );
    let done: i64 = app
        .query(move |conn| {
            bulk_job_items::table
                .filter(bulk_job_items::job_id.eq(job))
                .filter(bulk_job_items::state.eq("done"))
                .count()
                .get_result(conn)
        })
        .await?;
    assert_eq!(done, i64::from(USERS));
    Ok(())
}
