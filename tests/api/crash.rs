//! Crash safety, with the real binary: a bulk reset of a few thousand users while the
//! server is killed with SIGKILL again and again, and two instances sharing one job while
//! one of them is killed. At every kill no user is half reset and the audit trail holds
//! exactly one event per finished item; in the end every job completes and nothing was
//! done twice. The same for an Undo reset (each user wholly put back or still wholly
//! reset), a Restore (each user wholly back or still deleted) and an Import (each row
//! applied wholly or not at all, and once) killed again and again.
//! A SIGTERM mid-job: the instance tells systemd it stops, answers the request in
//! flight, finishes the batch in hand, exits 0, and the next instance does the rest.
//! And the mail postman killed while handing a message over: only that one message was
//! claimed, and every message not yet tried goes out after the restart.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use diesel::dsl::count_star;
use diesel::prelude::*;
use pbx_portal::db::schema::{
    audit_events, bulk_job_items, bulk_jobs, deleted_users, devices, outbox, reset_undo, users,
};
use pbx_portal::db::{self, DatabaseUrl, DbConn, Pool};
use reqwest::StatusCode;

use crate::helpers::*;
use crate::smtp_sink::unused_port;

mod edit;
mod successors;

const USERS: u32 = 3000;
const MANAGER: &str = "999@seed-1.example";
const MANAGER_PASSWORD: &str = "crash test manager password";

/// A `pbx-portal serve` process; killed (SIGKILL) when dropped.
struct Server {
    child: Child,
    browser: Browser,
}

impl Server {
    async fn start(db_url: &str, session_key: &str) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_mailing(db_url, session_key, None).await
    }

    /// A server that delivers mail to `smtp_url` (none: mail stays queued).
    async fn start_mailing(
        db_url: &str,
        session_key: &str,
        smtp_url: Option<&str>,
    ) -> Result<Self, Box<dyn std::error::Error>> {
        Self::start_with(db_url, session_key, |command| {
            if let Some(url) = smtp_url {
                command.env("SMTP_URL", url);
            }
        })
        .await
    }

    /// A server whose command `configure` adjusts before it is started.
    async fn start_with(
        db_url: &str,
        session_key: &str,
        configure: impl FnOnce(&mut Command),
    ) -> Result<Self, Box<dyn std::error::Error>> {
        let port = unused_port()?;
        let mut command = Command::new(env!("CARGO_BIN_EXE_pbx-portal"));
        command
            .args(["serve", "--bind", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", db_url)
            .env("SESSION_KEY", session_key)
            .env("RUST_LOG", "error")
            // Small batches, so kills fall between batches as well as inside them.
            .env("PORTAL_JOB_BATCH_SIZE", "100")
            .env_remove("SMTP_URL")
            .env_remove("MAIL_DIR")
            .env_remove("NOTIFY_SOCKET")
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        configure(&mut command);
        let child = command.spawn()?;
        let server = Self {
            child,
            browser: Browser {
                address: format!("http://127.0.0.1:{port}"),
                client: new_client()?,
            },
        };
        for _ in 0..400 {
            if let Ok(health) = server.browser.get("/health").await
                && health.status() == StatusCode::OK
            {
                return Ok(server);
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        Err("the server did not come up".into())
    }

    /// SIGTERM, as systemd stops a service: returns how the process ended, waiting up
    /// to `patience` for it.
    async fn terminate(
        mut self,
        patience: Duration,
    ) -> Result<std::process::ExitStatus, Box<dyn std::error::Error>> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()?;
        assert!(sent.success(), "kill -TERM failed");
        let deadline = std::time::Instant::now() + patience;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait()? {
                return Ok(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!("the server was still running {patience:?} after SIGTERM").into())
    }

    /// SIGKILL: no shutdown, no chance to finish what it was doing.
    fn kill(mut self) -> std::io::Result<()> {
        self.child.kill()?;
        self.child.wait()?;
        Ok(())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A database with one seeded domain of `USERS` users and an office manager.
fn seeded_db() -> Result<(TestDb, Pool), Box<dyn std::error::Error>> {
    let db = TestDb::new()?;
    let run = |args: &[&str], stdin: &str| -> Result<(), Box<dyn std::error::Error>> {
        let output = crate::cli::portal(&db, args, stdin)?;
        if !output.status.success() {
            return Err(String::from_utf8_lossy(&output.stderr).into_owned().into());
        }
        Ok(())
    };
    run(
        &[
            "seed",
            "--domains",
            "1",
            "--users-per-domain",
            &USERS.to_string(),
        ],
        "",
    )?;
    run(
        &[
            "user",
            "add",
            "--domain",
            "seed-1.example",
            "--extension",
            "999",
            "--scope",
            "Office Manager",
            "--first-name",
            "Crash",
            "--last-name",
            "Tester",
        ],
        &format!("{MANAGER_PASSWORD}\n"),
    )?;
    let pool = db::connect(&DatabaseUrl::parse(&db.url)?, 2)?;
    Ok((db, pool))
}

/// Confirms a default reset of every seeded user; returns the job's id.
async fn start_reset(server: &Server) -> Result<i64, Box<dyn std::error::Error>> {
    let browser = &server.browser;
    let signed_in = browser.sign_in(MANAGER, MANAGER_PASSWORD).await?;
    assert_redirect(&signed_in, "/");
    let answer = crate::bulk::step(
        browser,
        "/domains/seed-1.example/bulk/reset",
        &[
            ("all_matching", "1".into()),
            ("q", "".into()),
            ("option", "name".into()),
            ("option", "email".into()),
            ("option", "password".into()),
            ("option", "voicemail_pin".into()),
            ("option", "additional_devices".into()),
        ],
    )
    .await?;
    assert_status(&answer, StatusCode::OK);
    crate::bulk::job_id_in(&answer.text().await?).ok_or_else(|| "no job in the answer".into())
}

/// What the database says about a job, checked for consistency.
#[derive(Debug, Default, PartialEq, Eq)]
struct Progress {
    done: i64,
    pending: i64,
    finished: bool,
}

/// Checks, on whatever a kill left behind, that every finished item's user is wholly
/// reset and every pending one wholly untouched, with one audit event per finished item.
fn check_consistent(conn: &mut DbConn, job: i64) -> Result<Progress, Box<dyn std::error::Error>> {
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
    // Every seeded user is done or pending; the manager, who is in the domain too, is
    // skipped (nobody resets themselves).
    assert_eq!(
        done + pending,
        i64::from(USERS),
        "no item failed or vanished: {states:?}"
    );
    assert_eq!(count_of("skipped"), 1, "{states:?}");
    let done_users = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job))
        .filter(bulk_job_items::state.eq("done"))
        .select(bulk_job_items::user_id.assume_not_null());
    let pending_users = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(job))
        .filter(bulk_job_items::state.eq("pending"))
        .select(bulk_job_items::user_id.assume_not_null());
    // Finished users: name, e-mail and extra devices all gone.
    let half_done: i64 = users::table
        .filter(users::id.eq_any(done_users))
        .filter(users::first_name.ne("").or(users::email.is_not_null()))
        .count()
        .get_result(conn)?;
    assert_eq!(
        half_done, 0,
        "a finished user kept part of what a reset clears"
    );
    let extra_devices_left: i64 = devices::table
        .filter(devices::user_id.eq_any(done_users))
        .filter(devices::is_primary.eq(false))
        .count()
        .get_result(conn)?;
    assert_eq!(extra_devices_left, 0);
    // Pending users: not touched at all.
    let touched: i64 = users::table
        .filter(users::id.eq_any(pending_users))
        .filter(users::first_name.eq("").or(users::version.ne(1)))
        .count()
        .get_result(conn)?;
    assert_eq!(touched, 0, "a user still pending was changed");
    // One audit event per finished item, never two for one user.
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq("user.reset"))
        .count()
        .get_result(conn)?;
    assert_eq!(events, done, "audit events and finished items differ");
    let twice: Vec<Option<i64>> = audit_events::table
        .filter(audit_events::action.eq("user.reset"))
        .group_by(audit_events::target_user_id)
        .having(count_star().gt(1))
        .select(audit_events::target_user_id)
        .load(conn)?;
    assert!(twice.is_empty(), "users reset twice: {twice:?}");
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

/// Runs `check` on one snapshot of the database (a server may be working meanwhile).
async fn checked<F>(pool: &Pool, check: F) -> Result<Progress, Box<dyn std::error::Error>>
where
    F: FnOnce(&mut DbConn) -> Result<Progress, Box<dyn std::error::Error>> + Send + 'static,
{
    let pool = pool.clone();
    tokio::task::spawn_blocking(move || -> Result<Progress, String> {
        let mut pooled = pool.get().map_err(|e| e.to_string())?;
        let conn: &mut DbConn = &mut pooled;
        conn.transaction(|conn| {
            if matches!(conn, DbConn::Postgres(_)) {
                diesel::sql_query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    .execute(conn)?;
            }
            check(conn).map_err(|e| diesel::result::Error::QueryBuilderError(e.to_string().into()))
        })
        .map_err(|e| e.to_string())
    })
    .await?
    .map_err(Into::into)
}

async fn progress(pool: &Pool, job: i64) -> Result<Progress, Box<dyn std::error::Error>> {
    checked(pool, move |conn| check_consistent(conn, job)).await
}

/// The job's progress once it has finished, or after 20 s.
async fn progress_at_the_end(
    pool: &Pool,
    job: i64,
) -> Result<Progress, Box<dyn std::error::Error>> {
    let mut seen = Progress::default();
    for _ in 0..400 {
        seen = progress(pool, job).await?;
        if seen.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(seen)
}

fn session_key() -> Result<String, Box<dyn std::error::Error>> {
    Ok(pbx_portal::config::SessionKey::generate_text()?)
}

/// What a job's kills and its last run came to.
struct Survived {
    kills: u32,
    /// Kills that fell after the first item was done and before the job finished.
    killed_midway: u32,
    last: Progress,
}

/// Kills `server` (SIGKILL) at once, then after ever longer pauses (before the first
/// batch commits, inside one, between two), checking the database with `check` after
/// each kill and starting a new instance until the job has finished; then lets a last
/// instance finish whatever is left.
async fn kill_again_and_again<F>(
    db: &TestDb,
    key: &str,
    pool: &Pool,
    server: Server,
    check: F,
) -> Result<Survived, Box<dyn std::error::Error>>
where
    F: Fn(&mut DbConn) -> Result<Progress, Box<dyn std::error::Error>> + Clone + Send + 'static,
{
    let mut pause = Duration::from_millis(0);
    let mut server = Some(server);
    let (mut kills, mut killed_midway) = (0, 0);
    for _ in 0..40 {
        tokio::time::sleep(pause).await;
        if let Some(running) = server.take() {
            running.kill()?;
            kills += 1;
        }
        let seen = checked(pool, check.clone()).await?;
        if seen.finished {
            break;
        }
        if seen.done > 0 {
            killed_midway += 1;
        }
        server = Some(Server::start(&db.url, key).await?);
        pause += Duration::from_millis(40);
    }
    let last = Server::start(&db.url, key).await?;
    let mut seen = Progress::default();
    for _ in 0..400 {
        seen = checked(pool, check.clone()).await?;
        if seen.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    last.kill()?;
    Ok(Survived {
        kills,
        killed_midway,
        last: seen,
    })
}

#[tokio::test]
async fn sigterm_mid_job_finishes_what_is_in_hand_then_the_next_instance_goes_on() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let dir = tempfile::tempdir()?;
    // systemd's side of Type=notify: a datagram socket named by NOTIFY_SOCKET.
    let notify_path = dir.path().join("notify");
    let notify = std::os::unix::net::UnixDatagram::bind(&notify_path)?;
    notify.set_read_timeout(Some(Duration::from_secs(30)))?;
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path)?;
    let server = Server::start_with(&db.url, &key, |command| {
        command
            .env("NOTIFY_SOCKET", &notify_path)
            .env("RUST_LOG", "info")
            .stderr(log);
    })
    .await?;
    let mut message = [0u8; 256];
    let mut heard = || -> std::io::Result<String> {
        let length = notify.recv(&mut message)?;
        Ok(String::from_utf8_lossy(&message[..length])
            .trim()
            .to_owned())
    };
    assert_eq!(heard()?, "READY=1", "told systemd it serves");

    let job = start_reset(&server).await?;
    for _ in 0..400 {
        let seen = progress(&pool, job).await?;
        if seen.done > 0 || seen.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    // A request in flight when the signal comes is answered whole.
    let export = {
        let browser = server.browser.clone();
        tokio::spawn(async move {
            let response = browser.get("/domains/seed-1.example/users/export").await?;
            let status = response.status();
            let body = response.text().await?;
            Ok::<_, reqwest::Error>((status, body))
        })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let browser = server.browser.clone();
    let ended = server.terminate(Duration::from_secs(40)).await?;
    assert!(ended.success(), "a SIGTERM is a clean exit: {ended:?}");
    assert_eq!(heard()?, "STOPPING=1", "told systemd it stops");
    let (status, csv) = export.await??;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        csv.lines().count(),
        USERS as usize + 2,
        "header, every user, the manager"
    );
    assert!(
        browser.get("/health").await.is_err(),
        "nothing listens after the exit"
    );
    let log = std::fs::read_to_string(&log_path)?;
    assert!(log.contains("stopping: no new connections"), "{log}");
    assert!(log.contains("stopped after its current round"), "{log}");

    // The batch in hand was finished, no other was started: nothing is half done, and
    // the rest waits for the next instance.
    let stopped = progress(&pool, job).await?;
    assert!(
        stopped.done > 0 && !stopped.finished,
        "the stop fell mid-job: {stopped:?}"
    );
    let next = Server::start(&db.url, &key).await?;
    let seen = progress_at_the_end(&pool, job).await?;
    assert_eq!(seen, all_done(i64::from(USERS)));
    next.kill()?;
    Ok(())
}

/// The end every job of `users` items must reach, whatever the kills.
fn all_done(users: i64) -> Progress {
    Progress {
        done: users,
        pending: 0,
        finished: true,
    }
}

#[tokio::test]
async fn a_reset_killed_again_and_again_completes_with_every_user_reset_once() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let server = Server::start(&db.url, &key).await?;
    let job = start_reset(&server).await?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_consistent(conn, job)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the job finished before it could be killed twice"
    );
    assert!(
        survived.killed_midway >= 1,
        "no kill fell between the first user and the last"
    );
    assert_eq!(survived.last, all_done(i64::from(USERS)));
    Ok(())
}

#[tokio::test]
async fn two_instances_share_a_job_and_one_killed_midway_leaves_it_to_the_other() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let first = Server::start(&db.url, &key).await?;
    let second = Server::start(&db.url, &key).await?;
    let job = start_reset(&first).await?;
    for _ in 0..400 {
        let seen = progress(&pool, job).await?;
        if seen.done > 0 || seen.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill()?;
    let seen = progress_at_the_end(&pool, job).await?;
    assert_eq!(seen.done, i64::from(USERS));
    assert!(seen.finished, "the surviving instance finished the job");
    // The job's page, from the survivor, says so.
    second.browser.sign_in(MANAGER, MANAGER_PASSWORD).await?;
    let page = second
        .browser
        .get(&format!("/jobs/{job}"))
        .await?
        .text()
        .await?;
    // The manager's own user is among those selected, and skipped.
    let total = USERS + 1;
    assert!(
        page.contains(&format!("{USERS} of {total} users reset, 1 skipped")),
        "{page}"
    );
    second.kill()?;
    Ok(())
}

/// What the database says about an Undo reset of the reset `reset`, checked on whatever
/// a kill left behind: every user the undo finished has its name back and nothing kept
/// any more; every one still pending is still reset, with what was kept still there; one
/// audit event per finished item.
fn check_undo_consistent(
    conn: &mut DbConn,
    undo: i64,
    reset: i64,
) -> Result<Progress, Box<dyn std::error::Error>> {
    let states: Vec<(String, i64)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(undo))
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
    assert_eq!(done + pending, i64::from(USERS), "{states:?}");
    let users_in = |state: &'static str| {
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(undo))
            .filter(bulk_job_items::state.eq(state))
            .select(bulk_job_items::user_id.assume_not_null())
    };
    let still_reset: i64 = users::table
        .filter(users::id.eq_any(users_in("done")))
        .filter(users::first_name.eq(""))
        .count()
        .get_result(conn)?;
    assert_eq!(still_reset, 0, "a user the undo finished is still reset");
    let kept_after_undo: i64 = reset_undo::table
        .filter(reset_undo::job_id.eq(reset))
        .filter(reset_undo::user_id.eq_any(users_in("done")))
        .count()
        .get_result(conn)?;
    assert_eq!(kept_after_undo, 0, "what was put back is still kept");
    let put_back_early: i64 = users::table
        .filter(users::id.eq_any(users_in("pending")))
        .filter(users::first_name.ne(""))
        .count()
        .get_result(conn)?;
    assert_eq!(put_back_early, 0, "a user still pending was put back");
    let kept_pending: i64 = reset_undo::table
        .filter(reset_undo::job_id.eq(reset))
        .filter(reset_undo::user_id.eq_any(users_in("pending")))
        .count()
        .get_result(conn)?;
    assert_eq!(kept_pending, pending, "a pending user lost what was kept");
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq("user.undo_reset"))
        .count()
        .get_result(conn)?;
    assert_eq!(events, done, "audit events and finished items differ");
    let state: String = bulk_jobs::table
        .find(undo)
        .select(bulk_jobs::state)
        .first(conn)?;
    Ok(Progress {
        done,
        pending,
        finished: state == "finished",
    })
}

#[tokio::test]
async fn an_undo_killed_again_and_again_puts_every_user_back_once() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let server = Server::start(&db.url, &key).await?;
    let reset = start_reset(&server).await?;
    for _ in 0..400 {
        if progress(&pool, reset).await?.finished {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let browser = &server.browser;
    let answer = browser
        .client
        .post(browser.url(&format!("/jobs/{reset}/undo")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", browser.csrf_token().await?)
        .send()
        .await?;
    assert_status(&answer, StatusCode::OK);
    let undo = crate::bulk::job_id_in(&answer.text().await?).ok_or("no undo job")?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_undo_consistent(conn, undo, reset)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the undo finished before it could be killed twice"
    );
    assert_eq!(survived.last, all_done(i64::from(USERS)));
    Ok(())
}

/// What the database says about the Restore job `restore`, checked on whatever a kill
/// left behind: every user it finished is live again and no longer kept as deleted;
/// every one still pending is still deleted and kept; one audit event per finished item.
fn check_restore_consistent(
    conn: &mut DbConn,
    restore: i64,
) -> Result<Progress, Box<dyn std::error::Error>> {
    let states: Vec<(String, i64)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(restore))
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
    assert_eq!(done + pending, i64::from(USERS), "{states:?}");
    let users_in = |state: &'static str| {
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(restore))
            .filter(bulk_job_items::state.eq(state))
            .select(bulk_job_items::user_id.assume_not_null())
    };
    let live_done: i64 = users::table
        .filter(users::id.eq_any(users_in("done")))
        .count()
        .get_result(conn)?;
    assert_eq!(live_done, done, "a user the restore finished is not back");
    let kept_done: i64 = deleted_users::table
        .filter(deleted_users::user_id.eq_any(users_in("done")))
        .count()
        .get_result(conn)?;
    assert_eq!(kept_done, 0, "a restored user is still kept as deleted");
    let live_pending: i64 = users::table
        .filter(users::id.eq_any(users_in("pending")))
        .count()
        .get_result(conn)?;
    assert_eq!(live_pending, 0, "a user still pending is back");
    let kept_pending: i64 = deleted_users::table
        .filter(deleted_users::user_id.eq_any(users_in("pending")))
        .count()
        .get_result(conn)?;
    assert_eq!(kept_pending, pending, "a pending user is no longer kept");
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq("user.restore"))
        .count()
        .get_result(conn)?;
    assert_eq!(events, done, "audit events and finished items differ");
    let state: String = bulk_jobs::table
        .find(restore)
        .select(bulk_jobs::state)
        .first(conn)?;
    Ok(Progress {
        done,
        pending,
        finished: state == "finished",
    })
}

#[tokio::test]
async fn a_restore_killed_again_and_again_brings_every_user_back_once() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let server = Server::start(&db.url, &key).await?;
    let browser = &server.browser;
    assert_redirect(&browser.sign_in(MANAGER, MANAGER_PASSWORD).await?, "/");
    let deleting = crate::bulk::step(
        browser,
        "/domains/seed-1.example/bulk/delete",
        &[("all_matching", "1".into()), ("q", "".into())],
    )
    .await?;
    assert_status(&deleting, StatusCode::OK);
    let delete = crate::bulk::job_id_in(&deleting.text().await?).ok_or("no delete job")?;
    let deleted_state = move |conn: &mut DbConn| -> QueryResult<String> {
        bulk_jobs::table
            .find(delete)
            .select(bulk_jobs::state)
            .first(conn)
    };
    for _ in 0..400 {
        let pool = pool.clone();
        let state = tokio::task::spawn_blocking(move || -> Result<String, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            deleted_state(&mut conn).map_err(|e| e.to_string())
        })
        .await??;
        if state == "finished" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let ids: Vec<i64> = {
        let pool = pool.clone();
        tokio::task::spawn_blocking(move || -> Result<Vec<i64>, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            deleted_users::table
                .select(deleted_users::user_id)
                .load(&mut conn)
                .map_err(|e| e.to_string())
        })
        .await??
    };
    assert_eq!(
        ids.len(),
        USERS as usize,
        "every seeded user was deleted and kept"
    );
    let mut fields = crate::bulk::users_field(&ids);
    fields.push(("expected", ids.len().to_string()));
    let restoring = crate::bulk::step(
        browser,
        "/domains/seed-1.example/users/deleted/restore",
        &fields,
    )
    .await?;
    assert_status(&restoring, StatusCode::OK);
    let restore = crate::bulk::job_id_in(&restoring.text().await?).ok_or("no restore job")?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_restore_consistent(conn, restore)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the restore finished before it could be killed twice"
    );
    assert_eq!(survived.last, all_done(i64::from(USERS)));
    Ok(())
}

/// The outbox's states, oldest message first.
async fn outbox_states(pool: &Pool) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let pool = pool.clone();
    Ok(
        tokio::task::spawn_blocking(move || -> Result<Vec<String>, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            outbox::table
                .order(outbox::id)
                .select(outbox::state)
                .load(&mut conn)
                .map_err(|e| e.to_string())
        })
        .await??,
    )
}

#[tokio::test]
async fn a_postman_killed_mid_handover_leaves_every_untried_message_queued() -> TestResult {
    let db = TestDb::new()?;
    let migrated = crate::cli::portal(&db, &["migrate"], "")?;
    assert!(migrated.status.success());
    let pool = db::connect(&DatabaseUrl::parse(&db.url)?, 2)?;
    let queue = pool.clone();
    tokio::task::spawn_blocking(move || -> Result<usize, String> {
        let mut conn = queue.get().map_err(|e| e.to_string())?;
        for name in ["a", "b", "c"] {
            diesel::insert_into(outbox::table)
                .values((
                    outbox::recipient.eq(format!("{name}@acme.example")),
                    outbox::kind.eq("welcome"),
                    outbox::subject.eq(format!("Message {name}")),
                    outbox::body_text.eq("text"),
                    outbox::body_html.eq("<p>html</p>"),
                ))
                .execute(&mut conn)
                .map_err(|e| e.to_string())?;
        }
        Ok(3)
    })
    .await??;
    // A mail server that takes the connection and never answers: the postman is stuck
    // handing over the first message when the process is killed.
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let silent_url = format!("smtp://127.0.0.1:{}", silent.local_addr()?.port());
    let key = session_key()?;
    let stuck = Server::start_mailing(&db.url, &key, Some(&silent_url)).await?;
    let mut states = Vec::new();
    for _ in 0..200 {
        states = outbox_states(&pool).await?;
        if states.iter().any(|state| state == "sending") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    stuck.kill()?;
    assert_eq!(states, vec!["sending", "queued", "queued"]);

    let sink = crate::smtp_sink::SmtpSink::start().await?;
    let _next = Server::start_mailing(&db.url, &key, Some(&sink.url())).await?;
    sink.wait_for(2, Duration::from_secs(20)).await?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let received: Vec<Vec<String>> = sink.messages().into_iter().map(|mail| mail.to).collect();
    assert_eq!(
        received,
        vec![
            vec!["b@acme.example".to_owned()],
            vec!["c@acme.example".to_owned()]
        ],
        "the untried messages go out once; the one mid-handover is never resent"
    );
    assert_eq!(
        outbox_states(&pool).await?,
        vec!["sending", "sent", "sent"],
        "the interrupted one waits for its lease to run out, then fails as interrupted"
    );
    drop(silent);
    Ok(())
}

/// Extensions the import crash test adds (after the seeded 1000..) and updates.
const IMPORT_ADDS: std::ops::Range<u32> = 7000..8500;
const IMPORT_UPDATES: std::ops::Range<u32> = 1000..2500;

/// At any instant of an import: every added row's user exists exactly when its item is
/// done, every updated row's site is set exactly when its item is done, one audit event
/// per done item, and a plan kept for each pending item only.
fn check_import_consistent(
    conn: &mut DbConn,
    import: i64,
) -> Result<Progress, Box<dyn std::error::Error>> {
    use pbx_portal::db::schema::import_rows;
    let items: Vec<(String, String)> = bulk_job_items::table
        .filter(bulk_job_items::job_id.eq(import))
        .select((bulk_job_items::extension, bulk_job_items::state))
        .load(conn)?;
    let total = IMPORT_ADDS.len() + IMPORT_UPDATES.len();
    assert_eq!(items.len(), total);
    let live: std::collections::HashMap<String, String> = users::table
        .select((users::extension, users::site))
        .load::<(String, String)>(conn)?
        .into_iter()
        .collect();
    let (mut done, mut pending) = (0_i64, 0_i64);
    for (extension, state) in &items {
        let is_done = match state.as_str() {
            "done" => true,
            "pending" => false,
            other => return Err(format!("item {extension} is {other}").into()),
        };
        let number: u32 = extension.parse()?;
        let applied = if IMPORT_ADDS.contains(&number) {
            live.contains_key(extension)
        } else {
            live.get(extension).is_some_and(|site| site == "Imported")
        };
        assert_eq!(applied, is_done, "row {extension} half applied ({state})");
        if is_done {
            done += 1;
        } else {
            pending += 1;
        }
    }
    let events: i64 = audit_events::table
        .filter(audit_events::action.eq_any(["user.create", "user.update"]))
        .filter(audit_events::details.like(format!("%import job {import})%")))
        .count()
        .get_result(conn)?;
    assert_eq!(events, done, "audit events and finished rows differ");
    let plans: i64 = import_rows::table
        .filter(import_rows::job_id.eq(import))
        .count()
        .get_result(conn)?;
    assert_eq!(plans, pending, "plans kept and pending rows differ");
    let state: String = bulk_jobs::table
        .find(import)
        .select(bulk_jobs::state)
        .first(conn)?;
    Ok(Progress {
        done,
        pending,
        finished: state == "finished",
    })
}

#[tokio::test]
async fn an_import_killed_again_and_again_applies_every_row_once() -> TestResult {
    let (db, pool) = seeded_db()?;
    let key = session_key()?;
    let server = Server::start(&db.url, &key).await?;
    let browser = &server.browser;
    assert_redirect(&browser.sign_in(MANAGER, MANAGER_PASSWORD).await?, "/");
    let mut csv = String::from("extension,first_name,last_name,site,action\n");
    for extension in IMPORT_ADDS {
        csv.push_str(&format!("{extension},New,Hire {extension},,add\n"));
    }
    for extension in IMPORT_UPDATES {
        csv.push_str(&format!("{extension},,,Imported,update\n"));
    }
    let import_page = "/domains/seed-1.example/import";
    let page = browser
        .check_file(import_page, "big.csv", csv.into_bytes())
        .await?;
    let file = checked_file_in(&page).ok_or("no checked file")?;
    let started = browser
        .post_form(&format!("{import_page}/{file}/apply"), &[])
        .await?;
    assert_status(&started, StatusCode::SEE_OTHER);
    let import = crate::bulk::job_in_location(&started).ok_or("not sent to a job")?;
    let survived = kill_again_and_again(&db, &key, &pool, server, move |conn| {
        check_import_consistent(conn, import)
    })
    .await?;
    assert!(
        survived.kills >= 2,
        "the import finished before it could be killed twice"
    );
    assert_eq!(
        survived.last,
        all_done(i64::try_from(IMPORT_ADDS.len() + IMPORT_UPDATES.len())?)
    );
    Ok(())
}
