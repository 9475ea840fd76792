//! A user's time zone, caller ID number and emergency caller ID (issue 32): checked by
//! one rule on every face (the forms, the API, Import), an empty time zone meaning the
//! domain's; carried by Export and read back by Import unchanged.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::bulk::{job_in_location, wait_for_job};
use crate::helpers::api::Api;
use crate::helpers::*;

const USERS: &str = "/api/v1/domains/acme.example/users";
const ZONE_REFUSED: &str =
    "Enter a time zone such as America/New_York, or leave it empty for the domain's.";
const NUMBER_REFUSED: &str = "Enter a phone number in E.164, such as +12125550142.";

#[tokio::test]
async fn the_api_sets_reads_checks_and_clears_the_three_fields() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let created = api
        .post(
            USERS,
            &json!({"extension": "300", "first_name": "Nora", "last_name": "Added",
                    "time_zone": "europe/london", "caller_id_number": "+12125550142",
                    "emergency_caller_id": " +12125550100 "}),
        )
        .await?;
    let user = created.expect(StatusCode::CREATED);
    assert_eq!(
        user["time_zone"], "Europe/London",
        "the name as the tz database spells it"
    );
    assert_eq!(user["caller_id_number"], "+12125550142");
    assert_eq!(user["emergency_caller_id"], "+12125550100");

    // Each refused field is named by its pointer; nothing changes.
    let refused = api
        .send(
            Method::PATCH,
            &format!("{USERS}/300"),
            Some(&json!({"time_zone": "Mars/Olympus", "caller_id_number": "555-0142"})),
            &[],
        )
        .await?;
    let problem = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    let errors = problem["errors"].as_array().ok_or("no errors")?;
    let named: Vec<(&str, &str)> = errors
        .iter()
        .filter_map(|error| Some((error["pointer"].as_str()?, error["detail"].as_str()?)))
        .collect();
    assert_eq!(
        named,
        [
            ("#/time_zone", ZONE_REFUSED),
            ("#/caller_id_number", NUMBER_REFUSED)
        ]
    );
    let read = api.get(&format!("{USERS}/300")).await?;
    assert_eq!(read.expect(StatusCode::OK)["time_zone"], "Europe/London");

    // Only the fields sent change; empty clears (the domain's zone again).
    let cleared = api
        .send(
            Method::PATCH,
            &format!("{USERS}/300"),
            Some(&json!({"time_zone": "", "emergency_caller_id": ""})),
            &[],
        )
        .await?;
    let user = cleared.expect(StatusCode::OK);
    assert_eq!(user["time_zone"], "");
    assert_eq!(user["caller_id_number"], "+12125550142");
    assert_eq!(user["emergency_caller_id"], "");
    Ok(())
}

#[tokio::test]
async fn the_edit_form_saves_them_and_says_what_an_empty_zone_means() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let page = app
        .get("/domains/acme.example/users/120")
        .await?
        .text()
        .await?;
    assert!(
        page.contains("Empty means the domain's time zone (America/New_York)."),
        "{}",
        snap::part(&page, "<p class=\"hint\" id=\"time_zone-hint\"")?
    );
    let version = page
        .split("name=\"version\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .ok_or("no version")?
        .to_owned();
    let fields = |zone: &'static str, caller: &'static str| {
        vec![
            ("extension", "120"),
            ("first_name", "Ivy"),
            ("last_name", "Zone"),
            ("email", "ivy.zone@acme.example"),
            ("scope", "Basic User"),
            ("department", ""),
            ("site", ""),
            ("time_zone", zone),
            ("caller_id_number", caller),
            ("emergency_caller_id", ""),
        ]
    };
    let mut refused = fields("Mars/Olympus", "+1212");
    refused.push(("version", &version));
    let answer = app
        .post_form("/domains/acme.example/users/120", &refused)
        .await?;
    assert_status(&answer, StatusCode::UNPROCESSABLE_ENTITY);
    let page = answer.text().await?.replace("&#39;", "'");
    assert!(page.contains(ZONE_REFUSED) && page.contains(NUMBER_REFUSED));
    let mut saved = fields("Asia/Tokyo", "+81312345678");
    saved.push(("version", &version));
    let answer = app
        .post_form("/domains/acme.example/users/120", &saved)
        .await?;
    assert_eq!(answer.status().as_u16() / 100, 3, "saved and sent on");
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let user = api.get(&format!("{USERS}/120")).await?;
    let user = user.expect(StatusCode::OK);
    assert_eq!(user["time_zone"], "Asia/Tokyo");
    assert_eq!(user["caller_id_number"], "+81312345678");
    Ok(())
}

#[tokio::test]
async fn export_carries_them_and_import_reads_them_back_and_checks_them() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    api.send(
        Method::PATCH,
        &format!("{USERS}/121"),
        Some(&json!({"time_zone": "Europe/Paris", "caller_id_number": "+33142685300"})),
        &[],
    )
    .await?
    .expect(StatusCode::OK);
    app.signed_in_as("100@acme.example").await?;
    let csv = app
        .get("/domains/acme.example/users/export?q=121")
        .await?
        .text()
        .await?;
    let row = csv.lines().nth(1).ok_or("no row")?;
    // A leading + would be a formula to a spreadsheet: Export writes it as text.
    assert!(row.contains(",Europe/Paris,'+33142685300,,"), "{row}");

    // Export's own file imports back with no change and no error.
    let page = app
        .check_file(
            "/domains/acme.example/import",
            "export.csv",
            csv.into_bytes(),
        )
        .await?;
    assert!(page.contains("No change"), "{page}");
    assert!(!page.contains("Row 2:"), "{page}");

    // New values are checked by the forms' rules and applied.
    let page = app
        .check_file(
            "/domains/acme.example/import",
            "zones.csv",
            b"extension,time_zone,caller_id_number,emergency_caller_id\n\
              122,Europe/Berlin,+4930123456,\n\
              123,Atlantis/Lost,,\n\
              124,,12345,\n"
                .to_vec(),
        )
        .await?
        .replace("&#39;", "'");
    assert!(
        page.contains("Changes Time zone, Caller ID number"),
        "{page}"
    );
    assert!(
        page.contains(&format!("Row 3: Time zone: {ZONE_REFUSED}")),
        "{page}"
    );
    assert!(
        page.contains(&format!("Row 4: Caller ID number: {NUMBER_REFUSED}")),
        "{page}"
    );
    let file = checked_file_in(&page).ok_or("no checked file")?;
    let started = app
        .post_form(&format!("/domains/acme.example/import/{file}/apply"), &[])
        .await?;
    let job = job_in_location(&started).ok_or("not sent to a job")?;
    wait_for_job(&app, job).await?;
    let user = api.get(&format!("{USERS}/122")).await?;
    let user = user.expect(StatusCode::OK);
    assert_eq!(user["time_zone"], "Europe/Berlin");
    assert_eq!(user["caller_id_number"], "+4930123456");
    Ok(())
}
