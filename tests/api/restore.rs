//! Deleted users and Restore (issue 17): a delete keeps the user and everything
//! attached; Restore puts them back exactly, as a job, skipping an extension in use;
//! their old sessions stay ended; the retention period ends in a purge; outsiders see
//! and restore nothing.

use diesel::prelude::*;
use pbx_portal::db::kept::{self, Keep, Kept, KeptUser};
use pbx_portal::db::schema::{audit_events, deleted_users};
use pbx_portal::domain::Scope;
use pbx_portal::domain::ids::UserId;
use reqwest::StatusCode;

use crate::bulk::{id_of, job_id_in, outcomes, step, users_field, wait_for_job};
use crate::helpers::*;

const ACME: &str = "/domains/acme.example";

/// A user's row and every row attached to it, as the database holds them.
async fn everything_of(
    app: &TestApp,
    id: i64,
) -> Result<(Option<KeptUser>, Kept), Box<dyn std::error::Error>> {
    app.query(move |conn| {
        let ids = [UserId::new(id)];
        let user = kept::users_of(conn, &ids)?.into_iter().next();
        let attached = kept::attached_to(conn, &ids, Keep::Everything)?
            .remove(&ids[0])
            .unwrap_or_default();
        Ok((user, attached))
    })
    .await
}

async fn audit_count(
    app: &TestApp,
    action: &'static str,
) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        audit_events::table
            .filter(audit_events::action.eq(action))
            .count()
            .get_result(conn)
    })
    .await
}

/// Restores the deleted users `ids` through the Confirm step and waits for the job.
async fn restore(app: &TestApp, ids: &[i64]) -> Result<i64, Box<dyn std::error::Error>> {
    let confirm = step(
        app,
        &format!("{ACME}/users/deleted/restore/confirm"),
        &users_field(ids),
    )
    .await?;
    assert_status(&confirm, StatusCode::OK);
    let confirm = confirm.text().await?;
    let question = match ids.len() {
        1 => "Restore 1 user?".to_owned(),
        n => format!("Restore {n} users?"),
    };
    assert!(confirm.contains(&question), "{confirm}");
    let mut fields = users_field(ids);
    fields.push(("expected", ids.len().to_string()));
    let started = step(app, &format!("{ACME}/users/deleted/restore"), &fields).await?;
    assert_status(&started, StatusCode::OK);
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(app, job).await?;
    Ok(job)
}

#[tokio::test]
async fn a_deleted_user_comes_back_exactly_and_their_old_sessions_stay_ended() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "140").await?;
    let their_browser = app.new_browser()?;
    their_browser.signed_in_as("140@acme.example").await?;
    let before = everything_of(&app, id).await?;
    assert!(
        before.0.is_some() && !before.1.devices.is_empty() && !before.1.call_history.is_empty()
    );

    let deleted = app
        .post_form(&format!("{ACME}/users/140/delete"), &[])
        .await?;
    assert_status(&deleted, StatusCode::SEE_OTHER);
    assert!(!app.user_exists("acme.example", "140").await?);
    let gone = everything_of(&app, id).await?;
    assert_eq!(
        gone,
        (None, Kept::default()),
        "nothing of the user is left live"
    );
    let page = app.get(&format!("{ACME}/users/deleted")).await?;
    assert_status(&page, StatusCode::OK);
    let page = page.text().await?;
    // The user, when and by whom, to select for Restore.
    assert_html_snapshot!(
        "deleted_users_list",
        masked_ids(&part(&page, "<tbody")?, &[(id, "[140]")])
    );

    let job = restore(&app, &[id]).await?;
    assert_eq!(outcomes(&app, job).await?[0].1, "done");
    // Close on its Progress step leads back to Deleted users.
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert_html_snapshot!(
        "restore_progress_closes_to_deleted_users",
        masked_ids(
            &part(&progress, "<div class=\"dialog-actions\"")?,
            &[(job, "[job]")]
        )
    );
    let (restored, attached) = everything_of(&app, id).await?;
    let (restored, was) = (restored.ok_or("not restored")?, before.0.ok_or("no row")?);
    // A restore is a change: the version moves on, so an If-Match read before the
    // delete no longer matches; everything else is as it was.
    assert_eq!(restored.version, was.version + 1);
    assert!(restored.updated_at >= was.updated_at);
    assert_eq!(
        (
            KeptUser {
                version: was.version,
                updated_at: was.updated_at,
                ..restored
            },
            attached
        ),
        (was, before.1),
        "row and attached rows as they were"
    );
    let page = app
        .get(&format!("{ACME}/users/deleted"))
        .await?
        .text()
        .await?;
    assert_html_snapshot!("deleted_users_after_restore", part(&page, "<tbody")?);
    assert_eq!(audit_count(&app, "user.restore").await?, 1);
    // The restored user's old session ended with the delete and stays ended.
    assert_redirect(&their_browser.get("/").await?, "/login");
    Ok(())
}

#[tokio::test]
async fn restore_skips_an_extension_in_use_again_and_restores_the_rest() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "141").await?,
        id_of(&app, "acme.example", "142").await?,
    ];
    let confirm = step(
        &app,
        &format!("{ACME}/bulk/delete/confirm"),
        &users_field(&ids),
    )
    .await?;
    assert!(
        confirm
            .text()
            .await?
            .contains("Delete 2 users? You can restore them from Deleted users for 30 days.")
    );
    let started = step(&app, &format!("{ACME}/bulk/delete"), &users_field(&ids)).await?;
    wait_for_job(&app, job_id_in(&started.text().await?).ok_or("no job")?).await?;
    // Extension 141 is free at once, and taken again.
    app.add_user("acme.example", "141", Scope::BasicUser)
        .await?;
    let job = restore(&app, &ids).await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(
        got,
        [
            (
                "141".to_owned(),
                "skipped".to_owned(),
                Some("Extension 141 is in use.".to_owned())
            ),
            ("142".to_owned(), "done".to_owned(), None),
        ]
    );
    assert!(app.user_exists("acme.example", "142").await?);
    let still_deleted: i64 = app
        .query(|conn| deleted_users::table.count().get_result(conn))
        .await?;
    assert_eq!(still_deleted, 1, "141 stays restorable");
    Ok(())
}

#[tokio::test]
async fn after_the_retention_period_the_kept_users_are_purged_and_audited() -> TestResult {
    let app = TestApp::builder().demo().retention_days(0).start().await?;
    app.signed_in_as("100@acme.example").await?;
    let deleted = app
        .post_form(&format!("{ACME}/users/143/delete"), &[])
        .await?;
    assert_status(&deleted, StatusCode::SEE_OTHER);
    let mut left = 1;
    for _ in 0..100 {
        left = app
            .query(|conn| deleted_users::table.count().get_result::<i64>(conn))
            .await?;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "purged at the job worker's next look");
    assert_eq!(audit_count(&app, "purge").await?, 1);
    Ok(())
}

#[tokio::test]
async fn outsiders_neither_see_nor_restore_another_domains_deleted_users() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "144").await?;
    app.post_form(&format!("{ACME}/users/144/delete"), &[])
        .await?;
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    assert_status(
        &globex.get(&format!("{ACME}/users/deleted")).await?,
        StatusCode::FORBIDDEN,
    );
    let foreign = step(
        &globex,
        &format!("{ACME}/users/deleted/restore"),
        &users_field(&[id]),
    )
    .await?;
    assert_status(&foreign, StatusCode::FORBIDDEN);
    // Through their own domain, acme's deleted user is no one.
    let own_path = step(
        &globex,
        "/domains/globex.example/users/deleted/restore",
        &users_field(&[id]),
    )
    .await?;
    assert_status(&own_path, StatusCode::BAD_REQUEST);
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_status(
        &basic.get(&format!("{ACME}/users/deleted")).await?,
        StatusCode::FORBIDDEN,
    );
    assert!(!app.user_exists("acme.example", "144").await?);
    Ok(())
}
