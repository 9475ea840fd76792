//! How a delete hands places over (issue 31): in a ring group the successor takes the
//! first place the leavers held and the other places go; a successor who owns a forward
//! to the leaver has it removed (nobody forwards to themself); Restore puts each back.

use diesel::prelude::*;
use pbx_portal::db::routing;
use pbx_portal::db::schema::users;
use reqwest::StatusCode;

use crate::bulk::{id_of, job_id_in, wait_for_job};
use crate::call_routing::{delete_with, globex_id, reached_from, restore};
use crate::helpers::*;

/// The extensions of globex's Sales members, in ring order.
async fn sales(app: &TestApp) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let domain = globex_id(app).await?;
    app.query(move |conn| {
        let members = routing::members(conn, domain)?;
        members
            .iter()
            .map(|member| {
                users::table
                    .find(member.user_id)
                    .select(users::extension)
                    .first::<String>(conn)
            })
            .collect()
    })
    .await
}

/// Deletes globex's `extensions` with `successor` for all and waits for the job.
async fn delete_handing_to(
    app: &TestApp,
    extensions: &[&'static str],
    successor: &str,
) -> Result<Vec<i64>, Box<dyn std::error::Error>> {
    let mut ids = Vec::new();
    for extension in extensions {
        ids.push(id_of(app, "globex.example", extension).await?);
    }
    let started = delete_with(app, &ids, &[("successor_all".to_owned(), successor)]).await?;
    assert_status(&started, StatusCode::OK);
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(app, job).await?;
    Ok(ids)
}

#[tokio::test]
async fn the_successor_takes_the_first_place_the_leavers_held_in_a_group() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    assert_eq!(sales(&app).await?, ["123", "125", "126"]);
    let ids = delete_handing_to(&app, &["125", "126"], "128").await?;
    assert_eq!(sales(&app).await?, ["123", "128"]);
    restore(&app, &ids).await?;
    assert_eq!(sales(&app).await?, ["123", "125", "126"]);
    Ok(())
}

#[tokio::test]
async fn a_successor_already_in_the_group_keeps_their_own_place() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let ids = delete_handing_to(&app, &["125", "126"], "123").await?;
    assert_eq!(sales(&app).await?, ["123"]);
    restore(&app, &ids).await?;
    assert_eq!(sales(&app).await?, ["123", "125", "126"]);
    Ok(())
}

#[tokio::test]
async fn a_successor_who_forwards_to_the_leaver_loses_that_forward_not_gains_a_loop() -> TestResult
{
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let before = reached_from(&app, "124").await?;
    assert!(before.contains(&"129 Jonas Jensen forwards to 124 Emma Evans".to_owned()));
    let ids = delete_handing_to(&app, &["124"], "129").await?;
    let now = reached_from(&app, "129").await?;
    assert!(
        !now.iter().any(|line| line.contains("forwards to")),
        "{now:?}"
    );
    assert!(
        now.contains(&"Main menu (500) key 3: 129 Jonas Jensen".to_owned()),
        "{now:?}"
    );
    restore(&app, &ids).await?;
    assert_eq!(reached_from(&app, "124").await?, before);
    Ok(())
}
