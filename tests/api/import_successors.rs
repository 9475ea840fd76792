//! Import's `successor` column (issue 31): a delete row hands the user's call routing to
//! a user of the domain whom the file does not delete, in the delete's transaction; a
//! successor unknown, deleted too, invalid or on a row that does not delete is an error
//! naming the row, and Restore takes it all back.

use reqwest::StatusCode;

use crate::bulk::{id_of, job_in_location, outcomes, wait_for_job};
use crate::call_routing::{reached_from, restore};
use crate::helpers::*;

const IMPORT: &str = "/domains/globex.example/import";

/// Checks `csv` on globex's Import page; returns the page.
async fn check(app: &TestApp, csv: &str) -> Result<String, Box<dyn std::error::Error>> {
    let page = app
        .check_file(IMPORT, "leavers.csv", csv.as_bytes().to_vec())
        .await?;
    Ok(page.replace("&#39;", "'"))
}

#[tokio::test]
async fn a_successor_that_cannot_take_over_is_an_error_naming_the_row() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let before = app.db_counts().await?;
    let page = check(
        &app,
        "extension,action,successor\n\
         124,delete,124\n\
         123,delete,126\n\
         126,delete,\n\
         125,update,127\n\
         128,delete,999\n\
         129,delete,12x\n",
    )
    .await?;
    for message in [
        "Row 2: 124 is being deleted too, so cannot take over from 124.",
        "Row 3: 126 is being deleted too, so cannot take over from 123.",
        "Row 5: Successor is read only on rows whose action is delete.",
        "Row 6: There is no user with extension 999 in this domain to take over.",
        "Row 7: Successor: ",
    ] {
        assert!(page.contains(message), "{message} in {page}");
    }
    // 126's row deletes without a successor; nothing changed but the kept file.
    assert!(page.contains(">Import 1 rows</button>"), "{page}");
    assert_eq!(
        app.db_counts().await?,
        DbCounts {
            import_files: before.import_files + 1,
            ..before
        }
    );
    Ok(())
}

#[tokio::test]
async fn a_delete_row_hands_the_users_call_routing_to_its_successor() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let id_124 = id_of(&app, "globex.example", "124").await?;
    let id_123 = id_of(&app, "globex.example", "123").await?;
    let reaching_124 = reached_from(&app, "124").await?;
    let reaching_123 = reached_from(&app, "123").await?;
    let page = check(
        &app,
        "extension,action,successor\n124,delete,127\n123,delete,\n",
    )
    .await?;
    assert!(
        page.contains("Hands call routing to 127 Hugo Hughes"),
        "{page}"
    );
    let file = checked_file_in(&page).ok_or("no checked file")?;
    let started = app
        .post_form(&format!("{IMPORT}/{file}/apply"), &[])
        .await?;
    assert_status(&started, StatusCode::SEE_OTHER);
    let job = job_in_location(&started).ok_or("not sent to a job")?;
    wait_for_job(&app, job).await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(
        got,
        [
            ("124".to_owned(), "done".to_owned(), None),
            ("123".to_owned(), "done".to_owned(), None),
        ]
    );
    // 124's references are 127's now (127 was a Support agent already: once, in its
    // own place); 123's number reaches nobody.
    assert_eq!(
        reached_from(&app, "127").await?,
        [
            "Main menu (500) key 3: 127 Hugo Hughes",
            "Support (700) queue agent: 127 Hugo Hughes",
            "129 Jonas Jensen forwards to 127 Hugo Hughes",
            "BLF key on 125 Farid Fischer's phone watches 127 Hugo Hughes",
        ]
    );
    let users = app
        .get("/domains/globex.example/users")
        .await?
        .text()
        .await?;
    assert!(users.contains("dead ends in call routing"), "{users}");

    restore(&app, &[id_124, id_123]).await?;
    assert_eq!(reached_from(&app, "124").await?, reaching_124);
    assert_eq!(reached_from(&app, "123").await?, reaching_123);
    assert_eq!(
        reached_from(&app, "127").await?,
        ["Support (700) queue agent: 127 Hugo Hughes"]
    );
    Ok(())
}

#[tokio::test]
async fn a_successor_deleted_between_check_and_import_skips_the_row() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let page = check(&app, "extension,action,successor\n124,delete,127\n").await?;
    app.query(|conn| {
        use diesel::prelude::*;
        use pbx_portal::db::schema::{domains, users};
        let globex = domains::table
            .filter(domains::name.eq("globex.example"))
            .select(domains::id)
            .first::<pbx_portal::domain::ids::DomainId>(conn)?;
        // 127 is renumbered: no user has extension 127 any more.
        diesel::update(
            users::table
                .filter(users::domain_id.eq(globex))
                .filter(users::extension.eq("127")),
        )
        .set(users::extension.eq("1127"))
        .execute(conn)
    })
    .await?;
    let file = checked_file_in(&page).ok_or("no checked file")?;
    let started = app
        .post_form(&format!("{IMPORT}/{file}/apply"), &[])
        .await?;
    assert_status(&started, StatusCode::SEE_OTHER);
    let job = job_in_location(&started).ok_or("not sent to a job")?;
    wait_for_job(&app, job).await?;
    assert_eq!(
        outcomes(&app, job).await?,
        [(
            "124".to_owned(),
            "skipped".to_owned(),
            Some(
                "Row 2: There is no user with extension 127 in this domain to take over."
                    .to_owned()
            )
        )]
    );
    assert!(app.user_exists("globex.example", "124").await?);
    Ok(())
}
