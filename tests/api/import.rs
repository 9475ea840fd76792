//! Import from a spreadsheet (issue 18): Check shows each row's outcome and changes
//! nothing; Import applies the rows without errors as one job, re-checking each; a row
//! whose meaning changed since the check is skipped; Download errors gives back the
//! rejected rows; Export's file imports back as updates with no errors; bad files and
//! outsiders are refused.

use diesel::prelude::*;
use pbx_portal::db::schema::{deleted_users, outbox, users};
use reqwest::StatusCode;

use crate::bulk::{id_of, job_in_location, outcomes, wait_for_job};
use crate::helpers::*;

const IMPORT: &str = "/domains/acme.example/import";

/// Checks `csv` as `file.csv`; returns the page.
async fn check(app: &TestApp, csv: &str) -> Result<String, Box<dyn std::error::Error>> {
    app.check_file(IMPORT, "file.csv", csv.as_bytes().to_vec())
        .await
}

/// The body of a check page, its checked file's key masked.
fn check_page_body(page: &str) -> Result<String, Box<dyn std::error::Error>> {
    let key = checked_file_in(page).ok_or("no checked file")?;
    Ok(masked(&part(page, "<main")?, &[(&key, "[file]")]))
}

/// Imports the checked file of `page`; returns the job id once it has finished.
async fn import(
    app: &TestApp,
    page: &str,
    welcome: bool,
) -> Result<i64, Box<dyn std::error::Error>> {
    let file = checked_file_in(page).ok_or("no checked file")?;
    let fields: &[(&str, &str)] = if welcome { &[("welcome", "1")] } else { &[] };
    let started = app
        .post_form(&format!("{IMPORT}/{file}/apply"), fields)
        .await?;
    assert_status(&started, StatusCode::SEE_OTHER);
    let job = job_in_location(&started).ok_or("not sent to a job")?;
    wait_for_job(app, job).await?;
    Ok(job)
}

/// The status of an upload to the Import page with `token` (or none) as its CSRF field.
async fn upload_with_token(
    app: &TestApp,
    token: Option<String>,
) -> Result<StatusCode, Box<dyn std::error::Error>> {
    let file = reqwest::multipart::Part::bytes(b"extension\n300\n".to_vec()).file_name("x.csv");
    let mut form = reqwest::multipart::Form::new();
    if let Some(token) = token {
        form = form.text("csrf_token", token);
    }
    let form = form.part("file", file);
    Ok(app
        .client
        .post(app.url(IMPORT))
        .multipart(form)
        .send()
        .await?
        .status())
}

async fn name_of(
    app: &TestApp,
    extension: &'static str,
) -> Result<Option<(String, String)>, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        users::table
            .inner_join(pbx_portal::db::schema::domains::table)
            .filter(pbx_portal::db::schema::domains::name.eq("acme.example"))
            .filter(users::extension.eq(extension))
            .select((users::first_name, users::last_name))
            .first::<(String, String)>(conn)
            .optional()
    })
    .await
}

const EVERY_ACTION: &str = "extension,first_name,last_name,email,site,action\r
300,Nora,Added,nora@acme.example,,\r
110,,,,Harbour Office,\r
112,Rita,Recycled,rita@acme.example,,recycle\r
113,,,,,reset\r
114,,,,,delete\r
,,,,,\r
301,Ann,,,,add\r
abc,Bad,Extension,,,\r
305,One,Twice,,,\r
305,Two,Twice,,,\r
115,,,,,frobnicate\r
399,,,,,update\r
100,,,,,delete\r
116,,,not-an-address,,update\r
";

#[tokio::test]
async fn check_shows_every_rows_outcome_and_changes_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let before = app.db_counts().await?;
    let page = check(&app, EVERY_ACTION).await?;
    // The count of each outcome, each row's outcome and message, Download errors and
    // Import 5 rows.
    assert_html_snapshot!("check_of_every_action", check_page_body(&page)?);
    // Nothing changed: only the checked file is kept, for Import.
    assert_eq!(
        app.db_counts().await?,
        DbCounts {
            import_files: before.import_files + 1,
            ..before
        }
    );
    assert!(name_of(&app, "300").await?.is_none());
    Ok(())
}

#[tokio::test]
async fn import_applies_the_rows_without_errors_as_one_job() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let page = check(&app, EVERY_ACTION).await?;
    let deleted = id_of(&app, "acme.example", "114").await?;
    let job = import(&app, &page, true).await?;
    // Back to the check page once it is imported: it says the file is gone.
    let file = checked_file_in(&page).ok_or("no checked file")?;
    let back = app.get(&format!("{IMPORT}/{file}")).await?;
    assert_status(&back, StatusCode::NOT_FOUND);
    assert!(back.text().await?.contains("This checked file is gone"));
    let got = outcomes(&app, job).await?;
    let states: Vec<(&str, &str)> = got
        .iter()
        .map(|(extension, state, _)| (extension.as_str(), state.as_str()))
        .collect();
    assert_eq!(
        states,
        [
            ("300", "done"),
            ("110", "done"),
            ("112", "done"),
            ("113", "done"),
            ("114", "done")
        ],
        "{got:?}"
    );
    assert_eq!(
        name_of(&app, "300").await?,
        Some(("Nora".into(), "Added".into()))
    );
    assert_eq!(
        name_of(&app, "112").await?,
        Some(("Rita".into(), "Recycled".into()))
    );
    assert_eq!(
        name_of(&app, "113").await?,
        Some((String::new(), String::new()))
    );
    assert!(name_of(&app, "114").await?.is_none());
    let site: String = app
        .query(|conn| {
            users::table
                .filter(users::extension.eq("110"))
                .filter(
                    users::domain_id.eq_any(
                        pbx_portal::db::schema::domains::table
                            .filter(pbx_portal::db::schema::domains::name.eq("acme.example"))
                            .select(pbx_portal::db::schema::domains::id),
                    ),
                )
                .select(users::site)
                .first(conn)
        })
        .await?;
    assert_eq!(site, "Harbour Office");
    // The delete can be undone from Deleted users.
    let kept = app
        .query(move |conn| {
            deleted_users::table
                .filter(deleted_users::user_id.eq(deleted))
                .count()
                .get_result::<i64>(conn)
        })
        .await?;
    assert_eq!(kept, 1);
    // The welcome went to the added and the recycled user, who have e-mail addresses.
    let mut welcomed: Vec<String> = app
        .query(|conn| {
            outbox::table
                .filter(outbox::kind.eq("welcome"))
                .select(outbox::recipient)
                .load(conn)
        })
        .await?;
    welcomed.sort();
    assert_eq!(welcomed, ["nora@acme.example", "rita@acme.example"]);
    // The job's page is the usual Progress step.
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(progress.contains("5 of 5 rows imported"), "{progress}");
    // The checked file is used up.
    let again = app
        .post_form(
            &format!("{IMPORT}/{}/apply", checked_file_in(&page).ok_or("id")?),
            &[],
        )
        .await?;
    assert_status(&again, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn a_row_changed_since_the_check_is_skipped_with_the_reason() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let page = check(
        &app,
        "extension,first_name,last_name,action\n300,New,Person,\n110,Changed,Name,update\n111,,,reset\n",
    )
    .await?;
    // Between Check and Import: someone takes 300 and edits 110.
    app.add_user("acme.example", "300", pbx_portal::domain::Scope::BasicUser)
        .await?;
    app.query(|conn| {
        diesel::update(users::table.filter(users::extension.eq("110")))
            .set(users::version.eq(users::version + 1))
            .execute(conn)
    })
    .await?;
    let job = import(&app, &page, false).await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(
        got,
        [
            (
                "300".to_owned(),
                "skipped".to_owned(),
                Some("Row 2: Changed since the check: it would now be Update.".to_owned())
            ),
            (
                "110".to_owned(),
                "skipped".to_owned(),
                Some("Row 3: The user was changed since the check.".to_owned())
            ),
            ("111".to_owned(), "done".to_owned(), None),
        ]
    );
    Ok(())
}

#[tokio::test]
async fn download_errors_gives_back_the_rejected_rows_with_an_error_column() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let page = check(
        &app,
        "extension;first_name;last_name\n300;Fine;Row\n301;=cmd;\n302;\"Line\nbreak\";Name\n",
    )
    .await?;
    let file = checked_file_in(&page).ok_or("no file")?;
    let download = app.get(&format!("{IMPORT}/{file}/errors.csv")).await?;
    assert_status(&download, StatusCode::OK);
    let body = download.text().await?;
    assert_eq!(
        body,
        "extension,first_name,last_name,error\r\n\
         301,'=cmd,,Row 3: Last Name is required.\r\n\
         302,\"Line\nbreak\",Name,Row 4: First Name: Remove the control characters.\r\n"
    );
    // Another user's checked file is not theirs to read.
    let globex = app.new_browser()?;
    globex.signed_in_as("9000@platform.example").await?;
    let foreign = globex.get(&format!("{IMPORT}/{file}/errors.csv")).await?;
    assert_status(&foreign, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn exports_own_file_imports_back_as_updates_with_no_errors() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let export = app
        .get("/domains/acme.example/users/export")
        .await?
        .text()
        .await?;
    let rows = export.lines().count() - 1;
    assert!(rows >= 50, "{rows} rows exported");
    let page = check(&app, &export).await?;
    // Every row an update, none an error; the columns Import does not read named.
    assert_html_snapshot!(
        "check_of_an_export",
        format!(
            "{}\n{}",
            part(&page, "class=\"import-counts\"")?,
            part(&page, "Columns not imported")?
        )
    );
    let job = import(&app, &page, false).await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(got.len(), rows);
    assert!(
        got.iter().all(|(_, state, reason)| state == "skipped"
            && reason
                .as_deref()
                .is_some_and(|r| r.ends_with("Nothing to change."))),
        "{got:?}"
    );
    Ok(())
}

#[tokio::test]
async fn bad_files_and_outsiders_are_refused_with_a_clear_message() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let refused = |body: Vec<u8>| {
        let app = &app;
        async move {
            let response = app.upload(IMPORT, "bad.csv", body).await?;
            let status = response.status();
            Ok::<_, Box<dyn std::error::Error>>((status, response.text().await?))
        }
    };
    let (status, page) = refused(b"first_name\nAnn\n".to_vec()).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The file has no extension column."));
    let (status, page) = refused(b"extension,first_name\n100,\xe9\n".to_vec()).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("The file is not UTF-8 text."));
    let (status, page) =
        refused(format!("extension\n{}", "1000\n".repeat(50_001)).into_bytes()).await?;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("more than 50,000 rows"));
    let (status, page) = refused(vec![b'1'; 6 * 1024 * 1024]).await?;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(page.contains("larger than 5 MiB"));
    let page = check(
        &app,
        "extension,domain,first_name,last_name\n300,globex.example,A,B\n",
    )
    .await?;
    assert!(page.contains("Row 2: This import is for acme.example; the row names globex.example."));

    // Without the CSRF token nothing is checked or kept.
    assert_eq!(upload_with_token(&app, None).await?, StatusCode::FORBIDDEN);

    // Another domain's manager, and a Basic User, may not import here.
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    assert_status(&globex.get(IMPORT).await?, StatusCode::FORBIDDEN);
    let upload = globex
        .upload(IMPORT, "x.csv", b"extension\n300\n".to_vec())
        .await?;
    assert_status(&upload, StatusCode::FORBIDDEN);
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(&basic.get(IMPORT).await?, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_reseller_imports_rows_of_several_domains_in_one_job() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("8000@northwind.example").await?;
    let csv = "domain,extension,first_name,last_name\n\
               acme.example,300,Acme,New\n\
               globex.example,300,Globex,New\n\
               initech.example,300,Not,Theirs\n\
               ,301,No,Domain\n";
    let page = app
        .check_file("/import", "several.csv", csv.as_bytes().to_vec())
        .await?;
    // Two adds, in acme and globex; initech's row and the row without a domain refused.
    assert_html_snapshot!("check_of_several_domains", check_page_body(&page)?);
    let file = checked_file_in(&page).ok_or("no file")?;
    let started = app.post_form(&format!("/import/{file}/apply"), &[]).await?;
    assert_status(&started, StatusCode::SEE_OTHER);
    let job = job_in_location(&started).ok_or("not sent to a job")?;
    wait_for_job(&app, job).await?;
    let added: Vec<(String, String)> = app
        .query(|conn| {
            users::table
                .inner_join(pbx_portal::db::schema::domains::table)
                .filter(users::extension.eq("300"))
                .order(pbx_portal::db::schema::domains::name)
                .select((pbx_portal::db::schema::domains::name, users::first_name))
                .load(conn)
        })
        .await?;
    assert_eq!(
        added,
        [
            ("acme.example".to_owned(), "Acme".to_owned()),
            ("globex.example".to_owned(), "Globex".to_owned())
        ]
    );
    // One job for both domains: acme's office manager, who may not open globex, cannot
    // open it, nor see it on acme's Jobs page.
    let acme = app.new_browser()?;
    acme.signed_in_as("100@acme.example").await?;
    assert_status(
        &acme.get(&format!("/jobs/{job}")).await?,
        StatusCode::FORBIDDEN,
    );
    let jobs_page = acme.get("/domains/acme.example/jobs").await?.text().await?;
    assert!(
        !jobs_page.contains(&format!("/jobs/{job}\"")),
        "{jobs_page}"
    );
    // The reseller's own Jobs page lists it.
    let all = app.get("/jobs").await?.text().await?;
    assert!(all.contains(&format!("/jobs/{job}\"")), "{all}");
    // An office manager may not import across domains.
    assert_status(&acme.get("/import").await?, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_checked_file_is_kept_a_day_and_only_for_its_uploader() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let page = check(&app, "extension,first_name,last_name\n300,New,Person\n").await?;
    let file = checked_file_in(&page).ok_or("no file")?;
    // A multipart post with another session's token is refused like any other.
    let stranger = app.new_browser()?;
    stranger.signed_in_as("100@globex.example").await?;
    let foreign = Some(stranger.csrf_token().await?);
    assert_eq!(
        upload_with_token(&app, foreign).await?,
        StatusCode::FORBIDDEN
    );
    // Another user of the same domain cannot import someone else's checked file, nor
    // see its check.
    let colleague = app.new_browser()?;
    colleague.signed_in_as("9000@platform.example").await?;
    assert_status(
        &colleague.get(&format!("{IMPORT}/{file}")).await?,
        StatusCode::NOT_FOUND,
    );
    assert_status(&app.get(&format!("{IMPORT}/{file}")).await?, StatusCode::OK);
    let theirs = colleague
        .post_form(&format!("{IMPORT}/{file}/apply"), &[])
        .await?;
    assert_status(&theirs, StatusCode::NOT_FOUND);
    // A day later the background purge has removed it.
    let kept = file.clone();
    app.query(move |conn| {
        diesel::update(
            pbx_portal::db::schema::import_files::table
                .filter(pbx_portal::db::schema::import_files::key.eq(kept)),
        )
        .set(
            pbx_portal::db::schema::import_files::created_at
                .eq(chrono::Utc::now().naive_utc() - chrono::Duration::hours(25)),
        )
        .execute(conn)
    })
    .await?;
    let purged = app
        .query(|conn| {
            pbx_portal::services::retention::purge_expired(conn, 30, chrono::Utc::now().naive_utc())
        })
        .await?;
    assert_eq!(purged, 1);
    let gone = app
        .post_form(&format!("{IMPORT}/{file}/apply"), &[])
        .await?;
    assert_status(&gone, StatusCode::NOT_FOUND);
    assert!(gone.text().await?.contains("This checked file is gone"));
    Ok(())
}
