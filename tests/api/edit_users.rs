//! Edit Users (issue 32): the Bulk Action dialog's Fields and Confirm steps and the API's
//! `edit` jobs set only the fields checked, by the edit form's rules; a user of a higher
//! scope is skipped, the actor's own scope never changes; **Undo edit** puts the old
//! values back for every user not changed since.

use diesel::prelude::*;
use pbx_portal::db::schema::{audit_events, users};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::bulk::{id_of, job_id_in, outcomes, step, users_field, wait_for_job};
use crate::helpers::api::Api;
use crate::helpers::*;

const ACME: &str = "/domains/acme.example";
const JOBS: &str = "/api/v1/domains/acme.example/jobs";
const USERS: &str = "/api/v1/domains/acme.example/users";

/// The editable fields of acme's `extension`, as the API reads them.
async fn fields_of(api: &Api, extension: &str) -> Result<Value, Box<dyn std::error::Error>> {
    let read = api.get(&format!("{USERS}/{extension}")).await?;
    let user = read.expect(StatusCode::OK);
    Ok(json!({
        "department": user["department"], "site": user["site"], "scope": user["scope"],
        "time_zone": user["time_zone"], "caller_id_number": user["caller_id_number"],
        "emergency_caller_id": user["emergency_caller_id"],
    }))
}

/// Starts `request` over the API and waits for its job; returns the job's id.
async fn run(app: &TestApp, api: &Api, request: Value) -> Result<i64, Box<dyn std::error::Error>> {
    let started = api.post(JOBS, &request).await?;
    let job = started.expect(StatusCode::ACCEPTED)["id"]
        .as_i64()
        .ok_or("no job id")?;
    wait_for_job(app, job).await?;
    Ok(job)
}

async fn vm_flags(
    app: &TestApp,
    extension: &'static str,
) -> Result<(bool, bool), Box<dyn std::error::Error>> {
    let id = id_of(app, "acme.example", extension).await?;
    app.query(move |conn| {
        users::table
            .find(id)
            .select((users::vm_to_email, users::vm_transcription))
            .first(conn)
    })
    .await
}

#[tokio::test]
async fn the_api_sets_only_the_fields_sent_and_undo_puts_each_users_own_value_back() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let before_110 = fields_of(&api, "110").await?;
    let before_111 = fields_of(&api, "111").await?;
    let job = run(
        &app,
        &api,
        json!({"action": "edit", "extensions": ["110", "111"], "fields": {
            "site": "Annex", "time_zone": "Europe/Paris", "caller_id_number": "+33142685300",
            "emergency_caller_id": "", "vm_transcription": true}}),
    )
    .await?;
    for extension in ["110", "111"] {
        let now = fields_of(&api, extension).await?;
        assert_eq!(now["site"], "Annex");
        assert_eq!(now["time_zone"], "Europe/Paris");
        assert_eq!(now["caller_id_number"], "+33142685300");
        assert_eq!(now["emergency_caller_id"], "");
        let (_, transcription) = vm_flags(&app, extension).await?;
        assert!(
            transcription,
            "Voicemail transcription turned on for {extension}"
        );
    }
    // Fields not sent stay as they were.
    assert_eq!(
        fields_of(&api, "110").await?["department"],
        before_110["department"]
    );
    let events: i64 = app
        .query(move |conn| {
            audit_events::table
                .filter(audit_events::action.eq("user.update"))
                .filter(audit_events::details.like(format!("%(edit job {job})")))
                .count()
                .get_result(conn)
        })
        .await?;
    assert_eq!(events, 2, "one audit event per user edited");

    run(&app, &api, json!({"action": "undo", "job": job})).await?;
    assert_eq!(fields_of(&api, "110").await?, before_110);
    assert_eq!(fields_of(&api, "111").await?, before_111);
    Ok(())
}

#[tokio::test]
async fn undo_edit_skips_a_user_changed_since() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let before = fields_of(&api, "112").await?;
    let job = run(
        &app,
        &api,
        json!({"action": "edit", "extensions": ["112", "113"], "fields": {"department": "Sales"}}),
    )
    .await?;
    api.send(
        reqwest::Method::PATCH,
        &format!("{USERS}/113"),
        Some(&json!({"site": "Moved"})),
        &[],
    )
    .await?
    .expect(StatusCode::OK);
    let undo = run(&app, &api, json!({"action": "undo", "job": job})).await?;
    assert_eq!(
        outcomes(&app, undo).await?,
        [
            ("112".to_owned(), "done".to_owned(), None),
            (
                "113".to_owned(),
                "skipped".to_owned(),
                Some("Changed since the edit.".to_owned())
            ),
        ]
    );
    assert_eq!(fields_of(&api, "112").await?, before);
    assert_eq!(fields_of(&api, "113").await?["department"], "Sales");
    Ok(())
}

#[tokio::test]
async fn a_higher_scope_is_skipped_and_the_actors_own_scope_never_changes() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.add_user("acme.example", "190", pbx_portal::domain::Scope::Reseller)
        .await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let job = run(
        &app,
        &api,
        json!({"action": "edit", "extensions": ["100", "114", "190"],
               "fields": {"scope": "Simple User", "site": "Annex"}}),
    )
    .await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(
        got[0],
        (
            "100".to_owned(),
            "done".to_owned(),
            Some("Your own scope was left as it is.".to_owned())
        )
    );
    assert_eq!(got[1], ("114".to_owned(), "done".to_owned(), None));
    assert_eq!(got[2].1, "skipped");
    assert!(
        got[2]
            .2
            .as_deref()
            .is_some_and(|reason| reason.contains("scope")),
        "{got:?}"
    );
    let own = fields_of(&api, "100").await?;
    assert_eq!(
        (own["scope"].as_str(), own["site"].as_str()),
        (Some("Office Manager"), Some("Annex"))
    );
    assert_eq!(fields_of(&api, "114").await?["scope"], "Simple User");
    assert_ne!(fields_of(&api, "190").await?["site"], "Annex");

    // An edit of nothing but one's own scope passes over oneself.
    let job = run(
        &app,
        &api,
        json!({"action": "edit", "extensions": ["100"], "fields": {"scope": "Basic User"}}),
    )
    .await?;
    assert_eq!(
        outcomes(&app, job).await?,
        [(
            "100".to_owned(),
            "skipped".to_owned(),
            Some("You cannot change your own scope.".to_owned())
        )]
    );
    Ok(())
}

#[tokio::test]
async fn refused_fields_are_named_and_start_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let before = app.db_counts().await?;
    for (fields, pointer) in [
        (json!({}), "#/fields"),
        (json!({"colour": "red"}), "#/fields/colour"),
        (json!({"scope": "Super User"}), "#/fields/scope"),
        (json!({"time_zone": "Mars/Olympus"}), "#/fields/time_zone"),
        (
            json!({"caller_id_number": "555"}),
            "#/fields/caller_id_number",
        ),
        (json!({"vm_to_email": "yes please"}), "#/fields/vm_to_email"),
        (json!({"department": 7}), "#/fields/department"),
    ] {
        let refused = api
            .post(
                JOBS,
                &json!({"action": "edit", "extensions": ["110"], "fields": fields}),
            )
            .await?;
        let problem = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
        let pointers: Vec<&str> = problem["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .filter_map(|e| e["pointer"].as_str())
                    .collect()
            })
            .unwrap_or_default();
        assert_eq!(pointers, [pointer], "{problem}");
    }
    let refused = api
        .post(
            JOBS,
            &json!({"action": "reset", "extensions": ["110"], "fields": {"site": "x"}}),
        )
        .await?;
    refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(app.db_counts().await?, before);
    Ok(())
}

#[tokio::test]
async fn the_dialog_asks_which_fields_confirms_in_a_sentence_and_starts_the_job() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "115").await?,
        id_of(&app, "acme.example", "116").await?,
    ];
    let fields_step = step(
        &app,
        &format!("{ACME}/bulk/edit/fields"),
        &users_field(&ids),
    )
    .await?;
    assert_status(&fields_step, StatusCode::OK);
    let page = fields_step.text().await?;
    for label in [
        "Change Department",
        "Change Time zone",
        "Change Voicemail transcription",
    ] {
        assert!(page.contains(&format!(">{label}</label>")), "{label}");
    }
    // Nothing checked: the step again, saying so.
    let nothing = step(
        &app,
        &format!("{ACME}/bulk/edit/confirm"),
        &users_field(&ids),
    )
    .await?;
    assert_status(&nothing, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        nothing
            .text()
            .await?
            .contains("Check at least one field to change.")
    );
    // A refused value is marked where it was typed.
    let mut refused = users_field(&ids);
    refused.extend([
        ("change", "time_zone".to_owned()),
        ("time_zone", "Mars/Olympus".to_owned()),
    ]);
    let answer = step(&app, &format!("{ACME}/bulk/edit/confirm"), &refused).await?;
    assert_status(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer.text().await?;
    assert!(page.contains("id=\"edit-time_zone-error\""), "{page}");
    assert!(page.contains("value=\"Mars/Olympus\""));
    // Department and Site: the sentence, then the job.
    let mut chosen = users_field(&ids);
    chosen.extend([
        ("change", "department".to_owned()),
        ("department", "Sales".to_owned()),
        ("change", "site".to_owned()),
        ("site", "Head Office".to_owned()),
        // Typed but not checked: not changed.
        ("caller_id_number", "+12125550142".to_owned()),
    ]);
    let confirm = step(&app, &format!("{ACME}/bulk/edit/confirm"), &chosen).await?;
    assert_status(&confirm, StatusCode::OK);
    assert!(
        confirm
            .text()
            .await?
            .contains("Set Department to Sales and Site to Head Office for 2 users.")
    );
    chosen.push(("expected", "2".to_owned()));
    let started = step(&app, &format!("{ACME}/bulk/edit"), &chosen).await?;
    assert_status(&started, StatusCode::OK);
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let user = fields_of(&api, "116").await?;
    assert_eq!(
        (user["department"].as_str(), user["site"].as_str()),
        (Some("Sales"), Some("Head Office"))
    );
    assert_eq!(user["caller_id_number"], "");
    // The finished job offers Undo edit.
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(progress.contains(">Undo edit</a>"), "{progress}");
    Ok(())
}

#[tokio::test]
async fn another_domains_users_cannot_be_edited() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let foreign = id_of(&app, "globex.example", "123").await?;
    let mut fields = users_field(&[foreign]);
    fields.extend([
        ("change", "site".to_owned()),
        ("site", "Hijacked".to_owned()),
        ("expected", "1".to_owned()),
    ]);
    let answer = step(&app, &format!("{ACME}/bulk/edit"), &fields).await?;
    assert!(answer.status().is_client_error(), "{}", answer.status());
    let site: String = app
        .query(move |conn| {
            users::table
                .find(pbx_portal::domain::UserId::new(foreign))
                .select(users::site)
                .first(conn)
        })
        .await?;
    assert_ne!(site, "Hijacked");
    let answer = step(&app, "/domains/globex.example/bulk/edit", &fields).await?;
    assert_status(&answer, StatusCode::FORBIDDEN);
    Ok(())
}

/// The hidden fields of the Bulk Action step in `page` (inside `#bulk-body`), as a
/// browser without JavaScript posts them with the step's form.
fn step_fields(page: &str) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    const HIDDEN: &str = "<input type=\"hidden\" name=\"";
    let mut rest = page
        .split_once("id=\"bulk-body\"")
        .ok_or("no step on the page")?
        .1;
    let mut fields = Vec::new();
    while let Some(at) = rest.find(HIDDEN) {
        rest = &rest[at + HIDDEN.len()..];
        let (name, after) = rest
            .split_once('"')
            .ok_or("a field without its name's end")?;
        let after = after
            .strip_prefix(" value=\"")
            .ok_or("a field without a value")?;
        let (value, after) = after.split_once('"').ok_or("a value without its end")?;
        fields.push((name.to_owned(), value.to_owned()));
        rest = after;
    }
    Ok(fields)
}

/// Posts `fields` as a plain form, as a browser without JavaScript does: no htmx header,
/// and no CSRF token but the one the page's form carries.
async fn post_plain(
    app: &TestApp,
    path: &str,
    fields: &[(String, String)],
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    Ok(app.client.post(app.url(path)).form(fields).send().await?)
}

#[tokio::test]
async fn without_javascript_edit_users_and_undo_edit_work_as_pages() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let (first, second) = (
        id_of(&app, "acme.example", "115").await?.to_string(),
        id_of(&app, "acme.example", "116").await?.to_string(),
    );
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let before = fields_of(&api, "116").await?;
    // The Users page's checked boxes post to the dialog's first step, a page here.
    let users_page = app.get(&format!("{ACME}/users")).await?.text().await?;
    assert!(users_page.contains("form=\"bulk-pages\""), "{users_page}");
    let chosen = app
        .post_form(
            &format!("{ACME}/bulk"),
            &[("user", first.as_str()), ("user", second.as_str())],
        )
        .await?;
    assert_status(&chosen, StatusCode::OK);
    let page = chosen.text().await?;
    assert!(page.contains("<h1>Bulk Action</h1>"), "{page}");
    assert!(page.contains(&format!("href=\"{ACME}/users\">Cancel</a>")));
    assert!(page.contains(&format!("formaction=\"{ACME}/bulk/edit/fields\"")));
    let carried = step_fields(&page)?;
    assert!(carried.iter().any(|(name, _)| name == "csrf_token"));
    // Fields, then Confirm, each a page carrying the selection and the token on.
    let fields_page = post_plain(&app, &format!("{ACME}/bulk/edit/fields"), &carried).await?;
    assert_status(&fields_page, StatusCode::OK);
    let page = fields_page.text().await?;
    assert!(page.contains(">Change Department</label>"), "{page}");
    let mut chosen = step_fields(&page)?;
    chosen.extend([
        ("change".to_owned(), "department".to_owned()),
        ("department".to_owned(), "Without Script".to_owned()),
    ]);
    let confirm = post_plain(&app, &format!("{ACME}/bulk/edit/confirm"), &chosen).await?;
    assert_status(&confirm, StatusCode::OK);
    let page = confirm.text().await?;
    assert!(
        page.contains("Set Department to Without Script for 2 users."),
        "{page}"
    );
    assert!(page.contains(&format!("formaction=\"{ACME}/bulk/edit\"")));
    // Confirm sends the browser to the job's page.
    let started = post_plain(&app, &format!("{ACME}/bulk/edit"), &step_fields(&page)?).await?;
    let job = crate::bulk::job_in_location(&started).ok_or("not sent to the job")?;
    wait_for_job(&app, job).await?;
    assert_eq!(
        fields_of(&api, "116").await?["department"],
        "Without Script"
    );
    // The job's page links Undo edit to its own page, whose form undoes the edit.
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(
        progress.contains(&format!("href=\"/jobs/{job}/undo\"")),
        "{progress}"
    );
    let undo_page = app.get(&format!("/jobs/{job}/undo")).await?;
    assert_status(&undo_page, StatusCode::OK);
    let page = undo_page.text().await?;
    assert!(page.contains("<h1>Undo edit</h1>"), "{page}");
    let undone = post_plain(&app, &format!("/jobs/{job}/undo"), &step_fields(&page)?).await?;
    let undo_job = crate::bulk::job_in_location(&undone).ok_or("not sent to the undo")?;
    wait_for_job(&app, undo_job).await?;
    assert_eq!(fields_of(&api, "116").await?, before);
    Ok(())
}
