//! An Edit Users job killed again and again (issue 32): at every kill each user is wholly
//! edited (both fields set, what they held kept for Undo edit, one audit event) or wholly
//! as before; in the end every user is edited once.

use diesel::dsl::count_star;
use pbx_portal::db::schema::reset_undo;

use super::*;

/// What the edit sets.
const DEPARTMENT: &str = "Crash Edited";
const SITE: &str = "Annex";

/// Checks, on whatever a kill left behind, that each finished user has both fields and
/// what they held kept once, each pending user neither, and one audit event per finished
/// item.
fn check_edit_consistent(
    conn: &mut DbConn,
    job: i64,
) -> Result<Progress, Box<dyn std::error::Error>> {
    let states: Vec<(String, i64)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job))
        .group_by(bulk_job_items::state)
        .select((bulk_job_items::state, count_star()))
        .load(conn)?;
    let count_of = |wanted: &str| {
        states
            .iter()
            .find(|(state, _)| state == wanted)
            .map_or(0, |(_, n)| *n)
    };
    let (done, pending) = (count_of("done"), count_of("pending"));
    // Every seeded user and the manager, whose own row an edit changes too.
    assert_eq!(done + pending, i64::from(USERS) + 1, "{states:?}");
    let users_in = |state: &'static str| {
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(job))
            .filter(bulk_job_items::state.eq(state))
            .select(bulk_job_items::user_id.assume_not_null())
    };
    let half_edited: i64 = users::table
        .filter(users::id.eq_any(users_in("done")))
        .filter(users::department.ne(DEPARTMENT).or(users::site.ne(SITE)))
        .count()
        .get_result(conn)?;
    assert_eq!(half_edited, 0, "a finished user lacks part of the edit");
    let kept: i64 = reset_undo::table
        .filter(reset_undo::job_id.eq(job))
        .count()
        .get_result(conn)?;
    assert_eq!(kept, done, "what each finished user held is kept once");
    let touched: i64 = users::table
        .filter(users::id.eq_any(users_in("pending")))
        .filter(users::department.eq(DEPARTMENT).or(users::site.eq(SITE)))
        .count()
        .get_result(conn)?;
    assert_eq!(touched, 0, "a user still pending was edited");
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq("user.update"))
        .count()
        .get_result(conn)?;
    assert_eq!(events, done, "audit events and finished items differ");
    let state: String = bulk_jobs::table
        .find(job)
        .select(bulk_jobs::state)
        .first(conn)?;
    Ok(Progress {
        done,
        pending,
        finished: state == "finished",
    })
}

#[tokio::test]
async fn an_edit_killed_again_and_again_edits_every_user_once_and_wholly() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let server = Server::start(&db.url, &key).await?;
    let browser = &server.browser;
    assert_redirect(&browser.sign_in(MANAGER, MANAGER_PASSWORD).await?, "/");
    // Every user of the domain, the manager too.
    let answer = crate::bulk::step(
        browser,
        "/domains/seed-1.example/bulk/edit",
        &[
            ("all_matching", "1".into()),
            ("q", "".into()),
            ("change", "department".into()),
            ("department", DEPARTMENT.into()),
            ("change", "site".into()),
            ("site", SITE.into()),
        ],
    )
    .await?;
    assert_status(&answer, StatusCode::OK);
    let job = crate::bulk::job_id_in(&answer.text().await?).ok_or("no job in the answer")?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_edit_consistent(conn, job)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the edit finished before it could be killed twice"
    );
    assert_eq!(survived.last, all_done(i64::from(USERS) + 1));
    Ok(())
}
