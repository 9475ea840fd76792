//! A delete with a successor killed again and again (issue 31): at every kill each user
//! is wholly deleted with every reference handed to the successor, or wholly in place
//! with every reference as it was; numbers and attendant options never lose their
//! destination; one audit event per finished item.

use std::collections::HashMap;

use pbx_portal::db::routing::{References, references_to};
use pbx_portal::db::schema::{attendant_options, phone_numbers};
use pbx_portal::domain::ids::UserId;

use super::*;

/// The seeded user whose place the others' call routing goes to.
const SUCCESSOR: &str = "1000";

/// How many references of each kind point at each user of `references`.
fn per_user(references: &References) -> HashMap<UserId, [usize; 6]> {
    let mut counts: HashMap<UserId, [usize; 6]> = HashMap::new();
    let mut count = |user: Option<UserId>, kind: usize| {
        if let Some(user) = user {
            counts.entry(user).or_default()[kind] += 1;
        }
    };
    for number in &references.numbers {
        count(number.dest.user(), 0);
    }
    for option in &references.options {
        count(option.dest.user(), 1);
    }
    for member in &references.members {
        count(Some(member.user_id), 2);
    }
    for agent in &references.agents {
        count(Some(agent.user_id), 3);
    }
    for forward in &references.forwards {
        count(Some(forward.to), 4);
    }
    for key in &references.blf_keys {
        count(Some(key.watched), 5);
    }
    counts
}

/// Numbers and attendant options of the domain that reach somebody.
fn reaching(conn: &mut DbConn) -> QueryResult<(i64, i64)> {
    let numbers = phone_numbers::table
        .filter(phone_numbers::dest_user_id.is_not_null())
        .count()
        .get_result(conn)?;
    let options = attendant_options::table
        .filter(attendant_options::dest_user_id.is_not_null())
        .count()
        .get_result(conn)?;
    Ok((numbers, options))
}

/// Checks, on whatever a kill left behind, that each finished user is gone with nothing
/// pointing at them any more, each pending user is in place with exactly the references
/// they had, and nothing reaching somebody was lost.
fn check_delete_consistent(
    conn: &mut DbConn,
    job: i64,
    before: &HashMap<UserId, [usize; 6]>,
    reaching_before: (i64, i64),
) -> Result<Progress, Box<dyn std::error::Error>> {
    let items: Vec<(String, UserId)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job))
        .select((
            bulk_job_items::state,
            bulk_job_items::user_id.assume_not_null(),
        ))
        .load(conn)?;
    let in_state = |wanted: &str| -> Vec<UserId> {
        items
            .iter()
            .filter(|(state, _)| state == wanted)
            .map(|(_, id)| *id)
            .collect()
    };
    let (done, pending) = (in_state("done"), in_state("pending"));
    assert_eq!(
        done.len() + pending.len(),
        items.len(),
        "no item failed or was skipped"
    );
    let live_done: i64 = users::table
        .filter(users::id.eq_any(&done))
        .count()
        .get_result(conn)?;
    assert_eq!(live_done, 0, "a user the delete finished is still there");
    let kept_done: i64 = deleted_users::table
        .filter(deleted_users::user_id.eq_any(&done))
        .count()
        .get_result(conn)?;
    assert_eq!(
        kept_done,
        i64::try_from(done.len())?,
        "a deleted user is not kept"
    );
    assert!(
        references_to(conn, &done)?.is_empty(),
        "something still points at a deleted user"
    );
    let live_pending: i64 = users::table
        .filter(users::id.eq_any(&pending))
        .count()
        .get_result(conn)?;
    assert_eq!(live_pending, i64::try_from(pending.len())?);
    let now = per_user(&references_to(conn, &pending)?);
    for user in &pending {
        assert_eq!(
            now.get(user),
            before.get(user),
            "the references to user {user}, still pending, changed"
        );
    }
    assert_eq!(
        reaching(conn)?,
        reaching_before,
        "a number or option lost its destination though a successor was given"
    );
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq("user.delete"))
        .count()
        .get_result(conn)?;
    assert_eq!(
        events,
        i64::try_from(done.len())?,
        "audit events and finished items differ"
    );
    let state: String = bulk_jobs::table
        .find(job)
        .select(bulk_jobs::state)
        .first(conn)?;
    Ok(Progress {
        done: i64::try_from(done.len())?,
        pending: i64::try_from(pending.len())?,
        finished: state == "finished",
    })
}

#[tokio::test]
async fn a_delete_with_a_successor_killed_again_and_again_hands_each_users_routing_over_once()
-> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let (successor, leaving, before, reaching_before) = {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || -> Result<_, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let conn: &mut DbConn = &mut conn;
            let seeded: Vec<(UserId, String)> = users::table
                .filter(users::extension.ne("999"))
                .select((users::id, users::extension))
                .load(conn)
                .map_err(|e| e.to_string())?;
            let successor = seeded
                .iter()
                .find(|(_, extension)| extension == SUCCESSOR)
                .map(|(id, _)| *id)
                .ok_or("no successor seeded")?;
            let leaving: Vec<UserId> = seeded
                .iter()
                .map(|(id, _)| *id)
                .filter(|id| *id != successor)
                .collect();
            let references = references_to(conn, &leaving).map_err(|e| e.to_string())?;
            let reaching = reaching(conn).map_err(|e| e.to_string())?;
            Ok((successor, leaving, per_user(&references), reaching))
        })
        .await??
    };
    assert!(
        before.len() > 100,
        "seed gives many of the users call routing"
    );
    let server = Server::start(&db.url, &key).await?;
    let browser = &server.browser;
    assert_redirect(&browser.sign_in(MANAGER, MANAGER_PASSWORD).await?, "/");
    let ids: Vec<i64> = leaving.iter().map(|id| id.get()).collect();
    let mut fields = crate::bulk::users_field(&ids);
    fields.push(("expected", ids.len().to_string()));
    fields.push(("successor_all", SUCCESSOR.to_owned()));
    let deleting =
        crate::bulk::step(browser, "/domains/seed-1.example/bulk/delete", &fields).await?;
    assert_status(&deleting, StatusCode::OK);
    let job = crate::bulk::job_id_in(&deleting.text().await?).ok_or("no delete job")?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_delete_consistent(conn, job, &before, reaching_before)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the delete finished before it could be killed twice"
    );
    assert_eq!(
        survived.last,
        Progress {
            done: i64::try_from(leaving.len())?,
            pending: 0,
            finished: true,
        }
    );
    // Every number and option that reached somebody reaches the successor now.
    let handed = {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || -> Result<[usize; 6], String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let references = references_to(&mut conn, &[successor]).map_err(|e| e.to_string())?;
            Ok(per_user(&references).remove(&successor).unwrap_or_default())
        })
        .await??
    };
    assert_eq!(
        (i64::try_from(handed[0])?, i64::try_from(handed[1])?),
        reaching_before
    );
    Ok(())
}
