//! Bulk jobs over the API: every action the pages offer, started for extensions or a
//! filter and followed to its end; an `Idempotency-Key` that makes a retried request
//! harmless (also when two copies race); Stop and Retry failed; and the refusals, each
//! with the value it is about.

use diesel::prelude::*;
use pbx_portal::db::schema::{
    bulk_job_items, bulk_jobs, domains, outbox, users, voicemail_messages,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::api::{Api, assert_counts};
use crate::helpers::snap::{href_with_id, time_or_null};
use crate::helpers::*;

const JOBS: &str = "/api/v1/domains/acme.example/jobs";

/// Snapshots a job as the API gives it, its id, address, times and items cursor masked.
macro_rules! assert_job_snapshot {
    ($name:expr, $job:expr $(,)?) => {
        insta::assert_json_snapshot!($name, $job, {
            ".id" => "[id]",
            ".href" => href_with_id(),
            ".created_at" => "[time]",
            ".finished_at" => time_or_null(),
            ".next_cursor" => cursor_or_null(),
        })
    };
}

/// A redaction for the items cursor: absent stays `null`, an item id becomes `[cursor]`.
fn cursor_or_null() -> insta::internals::Redaction {
    insta::dynamic_redaction(|value, _| {
        if value.as_i64().is_some() || value.as_u64().is_some() {
            insta::internals::Content::from("[cursor]")
        } else {
            value
        }
    })
}

async fn manager(run_jobs: bool) -> Result<(TestApp, Api), Box<dyn std::error::Error>> {
    let app = TestApp::builder().demo().run_jobs(run_jobs).start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    Ok((app, api))
}

async fn voicemail_of(
    app: &TestApp,
    extension: &'static str,
) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        voicemail_messages::table
            .inner_join(users::table.inner_join(domains::table))
            .filter(domains::name.eq("acme.example"))
            .filter(users::extension.eq(extension))
            .count()
            .get_result(conn)
    })
    .await
}

#[tokio::test]
async fn a_reset_of_three_users_runs_once_per_idempotency_key() -> TestResult {
    let (app, api) = manager(true).await?;
    assert!(
        voicemail_of(&app, "131").await? > 0,
        "the demo user has voicemail"
    );
    let request = json!({
        "action": "reset",
        "extensions": ["131", "132", "133"],
        "options": ["voicemail_messages", "contacts"],
    });
    let key = [("Idempotency-Key", "offboarding-2026-12-01")];
    let first = api.send(Method::POST, JOBS, Some(&request), &key).await?;
    let job = first.expect(StatusCode::ACCEPTED).clone();
    assert_eq!(job["action"], "reset");
    assert_eq!(job["total"], 3);
    assert_eq!(first.header("location"), job["href"].as_str());
    let again = api.send(Method::POST, JOBS, Some(&request), &key).await?;
    assert_eq!(again.expect(StatusCode::ACCEPTED)["id"], job["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    let other = json!({"action": "delete", "extensions": ["131"]});
    let reused = api.send(Method::POST, JOBS, Some(&other), &key).await?;
    reused.expect(StatusCode::UNPROCESSABLE_ENTITY);

    let done = api.wait(job["href"].as_str().ok_or("no href")?).await?;
    // Its state, counts and each user's outcome.
    assert_job_snapshot!("job_reset_finished", done);
    assert_eq!(voicemail_of(&app, "131").await?, 0);
    let jobs: i64 = app
        .query(|conn| bulk_jobs::table.count().get_result(conn))
        .await?;
    assert_eq!(jobs, 1, "one job for the key, none for the refused request");

    // Items page by cursor.
    let href = done["href"].as_str().ok_or("no href")?;
    let first_page = api.get(&format!("{href}?limit=2")).await?;
    let first_page = first_page.expect(StatusCode::OK).clone();
    assert_job_snapshot!("job_items_first_page", first_page);
    let cursor = first_page["next_cursor"].as_i64().ok_or("no cursor")?;
    let rest = api.get(&format!("{href}?limit=2&cursor={cursor}")).await?;
    assert_job_snapshot!("job_items_last_page", rest.expect(StatusCode::OK));
    Ok(())
}

#[tokio::test]
async fn two_racing_copies_of_a_keyed_request_start_one_job() -> TestResult {
    let (app, api) = manager(false).await?;
    let request = json!({"action": "welcome", "extensions": ["120", "121"]});
    let send = |api: Api, request: Value| async move {
        api.send(
            Method::POST,
            JOBS,
            Some(&request),
            &[("Idempotency-Key", "race")],
        )
        .await
    };
    let copies = (0..4).map(|_| send(api.clone(), request.clone()));
    let mut ids = Vec::new();
    for answer in futures_util::future::join_all(copies).await {
        ids.push(answer?.expect(StatusCode::ACCEPTED)["id"].clone());
    }
    assert!(ids.windows(2).all(|pair| pair[0] == pair[1]), "{ids:?}");
    let jobs: i64 = app
        .query(|conn| bulk_jobs::table.count().get_result(conn))
        .await?;
    assert_eq!(jobs, 1);
    Ok(())
}

#[tokio::test]
async fn every_bulk_action_of_the_pages_runs_over_the_api() -> TestResult {
    let (app, api) = manager(true).await?;
    let welcome = api
        .run_job(
            "acme.example",
            &json!({"action": "welcome", "extensions": ["120", "150"]}),
        )
        .await?;
    assert_job_snapshot!("job_welcome_finished", welcome);
    let queued: i64 = app
        .query(|conn| outbox::table.count().get_result(conn))
        .await?;
    assert_eq!(queued, 1);

    let forced = api
        .run_job(
            "acme.example",
            &json!({"action": "force_password_reset", "filter": {"q": "121"}, "expected": 1}),
        )
        .await?;
    assert_counts(&forced, 1, 0, 0)?;
    let user = api.get("/api/v1/domains/acme.example/users/121").await?;
    assert_eq!(user.expect(StatusCode::OK)["must_change_password"], true);

    let deleted = api
        .run_job(
            "acme.example",
            &json!({"action": "delete", "extensions": ["122", "123"]}),
        )
        .await?;
    assert_counts(&deleted, 2, 0, 0)?;
    api.get("/api/v1/domains/acme.example/users/122")
        .await?
        .expect(StatusCode::NOT_FOUND);
    let restored = api
        .run_job(
            "acme.example",
            &json!({"action": "restore", "extensions": ["122"]}),
        )
        .await?;
    assert_counts(&restored, 1, 0, 0)?;
    api.get("/api/v1/domains/acme.example/users/122")
        .await?
        .expect(StatusCode::OK);

    // A reset with Recycle Users, its recycle, and an undo of another reset.
    let reset = api
        .run_job(
            "acme.example",
            &json!({"action": "reset", "extensions": ["124"], "recycle": true}),
        )
        .await?;
    assert_counts(&reset, 1, 0, 0)?;
    let recycled = api
        .post(
            JOBS,
            &json!({"action": "recycle", "job": reset["id"], "rows": [{"extension": "124", "first_name": "Nia", "last_name": "New", "email": "nia@acme.example"}], "welcome": true}),
        )
        .await?;
    insta::assert_json_snapshot!("job_recycle_answer", recycled.expect(StatusCode::OK));
    let user = api.get("/api/v1/domains/acme.example/users/124").await?;
    let user = user.expect(StatusCode::OK);
    assert_eq!(
        (user["first_name"].as_str(), user["status"].as_str()),
        (Some("Nia"), Some("password-required"))
    );

    let before = voicemail_of(&app, "125").await?;
    let cleared = api
        .run_job(
            "acme.example",
            &json!({"action": "reset", "extensions": ["125"], "options": ["voicemail_messages"]}),
        )
        .await?;
    assert_eq!(voicemail_of(&app, "125").await?, 0);
    let undone = api
        .run_job(
            "acme.example",
            &json!({"action": "undo", "job": cleared["id"]}),
        )
        .await?;
    assert_job_snapshot!("job_undo_finished", undone);
    assert_eq!(voicemail_of(&app, "125").await?, before);

    // Import rows: one added, one updated, as one job.
    let imported = api
        .run_job(
            "acme.example",
            &json!({"action": "import", "rows": [
                {"extension": "180", "first_name": "Imre", "last_name": "Port"},
                {"extension": "126", "department": "Imported"},
            ]}),
        )
        .await?;
    assert_job_snapshot!("job_import_finished", imported);
    let user = api.get("/api/v1/domains/acme.example/users/126").await?;
    assert_eq!(user.expect(StatusCode::OK)["department"], "Imported");
    api.get("/api/v1/domains/acme.example/users/180")
        .await?
        .expect(StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn a_job_request_is_refused_with_the_value_it_is_about() -> TestResult {
    let (app, api) = manager(true).await?;
    // Each refusal, with the value it is about (a JSON pointer) and why.
    let cases = [
        (
            json!({"action": "delete", "extensions": ["120", "999"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/extensions/1",
        ),
        (
            json!({"action": "delete", "extensions": ["12x"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/extensions/0",
        ),
        (
            json!({"action": "delete", "extensions": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/extensions",
        ),
        (
            json!({"action": "delete"}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/extensions",
        ),
        (
            json!({"action": "reset", "extensions": ["120"], "options": ["everything"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/options/0",
        ),
        (
            json!({"action": "reset", "extensions": ["120"], "options": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/options",
        ),
        (
            json!({"action": "welcome", "extensions": ["120"], "options": ["name"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/options",
        ),
        (
            json!({"action": "welcome", "filter": {"status": "asleep"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/filter/status",
        ),
        (
            json!({"action": "welcome", "filter": {"q": "a\u{0}b"}}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/filter/q",
        ),
        (
            json!({"action": "restore", "extensions": ["120"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/extensions/0",
        ),
        (
            json!({"action": "import", "rows": [{"extension": "181", "first_name": "x".repeat(100)}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/rows/0",
        ),
        (
            json!({"action": "import", "rows": [{"first_name": "No extension"}]}),
            StatusCode::UNPROCESSABLE_ENTITY,
            "#/rows",
        ),
    ];
    let mut answers = Vec::new();
    for (request, status, pointer) in cases {
        let refused = api.post(JOBS, &request).await?;
        let body = refused.expect(status);
        let pointers: Vec<&str> = body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["pointer"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert!(pointers.contains(&pointer), "{request}: {body}");
        answers.push(json!({"request": request, "answer": body}));
    }
    insta::assert_json_snapshot!("job_requests_refused", answers);
    let grown = api
        .post(
            JOBS,
            &json!({"action": "welcome", "filter": {"status": "setup-required"}, "expected": 99}),
        )
        .await?;
    grown.expect(StatusCode::CONFLICT);
    let self_delete = api
        .run_job(
            "acme.example",
            &json!({"action": "delete", "extensions": ["100"]}),
        )
        .await?;
    assert_counts(&self_delete, 0, 0, 1)?;
    assert_eq!(
        self_delete["items"][0]["reason"],
        "You cannot do this to your own user."
    );
    let jobs: i64 = app
        .query(|conn| bulk_jobs::table.count().get_result(conn))
        .await?;
    assert_eq!(
        jobs, 1,
        "only the delete that skipped the manager was started"
    );
    Ok(())
}

#[tokio::test]
async fn stop_and_retry_failed_over_the_api() -> TestResult {
    let (app, api) = manager(false).await?;
    let started = api
        .post(
            JOBS,
            &json!({"action": "welcome", "extensions": ["120", "121", "122"]}),
        )
        .await?;
    let job = started.expect(StatusCode::ACCEPTED).clone();
    // Nobody works on jobs here: it waits until it is stopped.
    assert_job_snapshot!("job_started", job);
    let id = job["id"].as_i64().ok_or("no id")?;
    let stopped = api
        .send(Method::POST, &format!("/api/v1/jobs/{id}/stop"), None, &[])
        .await?;
    assert_job_snapshot!("job_stopped", stopped.expect(StatusCode::OK));
    let nothing_failed = api
        .send(Method::POST, &format!("/api/v1/jobs/{id}/retry"), None, &[])
        .await?;
    assert_eq!(
        nothing_failed.expect(StatusCode::BAD_REQUEST)["detail"],
        "This job had no failed users to retry."
    );

    // One user of the job failed: Retry failed starts a job for that user alone.
    app.query(move |conn| {
        diesel::update(
            bulk_job_items::table
                .filter(bulk_job_items::job_id.eq(id))
                .filter(bulk_job_items::extension.eq("121")),
        )
        .set((
            bulk_job_items::state.eq("failed"),
            bulk_job_items::reason.eq("Mail server down."),
        ))
        .execute(conn)
    })
    .await?;
    let retried = api
        .send(Method::POST, &format!("/api/v1/jobs/{id}/retry"), None, &[])
        .await?;
    let retry = retried.expect(StatusCode::ACCEPTED);
    assert_job_snapshot!("job_retry_started", retry);
    let retry_id = retry["id"].as_i64().ok_or("no id")?;
    assert_ne!(retry_id, id);
    let detail = api.get(&format!("/api/v1/jobs/{retry_id}")).await?;
    // The failed user alone, waiting.
    assert_job_snapshot!("job_retry_detail", detail.expect(StatusCode::OK));
    let unknown = api.get("/api/v1/jobs/999999").await?;
    unknown.expect(StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn a_job_is_acted_on_only_under_its_own_domain() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let reseller = Api::signed_as(&app, "8000@northwind.example").await?;
    let reset = reseller
        .run_job(
            "globex.example",
            &json!({"action": "reset", "extensions": ["110"], "recycle": true}),
        )
        .await?;
    assert_counts(&reset, 1, 0, 0)?;
    let row = json!([{"extension": "110", "first_name": "Wrong", "last_name": "Domain"}]);
    for (action, body) in [
        (
            "recycle",
            json!({"action": "recycle", "job": reset["id"], "rows": row}),
        ),
        ("undo", json!({"action": "undo", "job": reset["id"]})),
    ] {
        let refused = reseller.post(JOBS, &body).await?;
        let body = refused.expect(StatusCode::NOT_FOUND);
        assert_eq!(
            body["detail"], "There is no such job in this domain.",
            "{action}"
        );
    }
    let user = reseller
        .get("/api/v1/domains/globex.example/users/110")
        .await?;
    assert_ne!(user.expect(StatusCode::OK)["first_name"], "Wrong");
    Ok(())
}
