//! The `pbx-portal` command line, run as a real process against a test database.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use diesel::prelude::*;
use pbx_portal::db::schema::{call_history, devices, domains, users};
use pbx_portal::db::{self, DatabaseUrl};

use crate::helpers::*;

/// Runs the binary with `args` on `db`, feeding it `stdin`.
pub(crate) fn portal(
    db: &TestDb,
    args: &[&str],
    stdin: &str,
) -> Result<Output, Box<dyn std::error::Error>> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pbx-portal"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(stdin.as_bytes())?;
    Ok(child.wait_with_output()?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn migrate_applies_the_schema_and_is_idempotent() -> TestResult {
    let db = TestDb::empty()?;
    let first = portal(&db, &["migrate"], "")?;
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(text(&first.stdout).contains("Migrations are up to date"));
    assert!(
        !text(&first.stdout).contains("(0 applied now)"),
        "the first run applies the schema and says so: {}",
        text(&first.stdout)
    );
    let second = portal(&db, &["migrate"], "")?;
    assert!(second.status.success());
    assert!(text(&second.stdout).contains("(0 applied now)"));
    Ok(())
}

#[test]
fn seed_makes_numbered_domains_of_users_with_attached_data() -> TestResult {
    let db = TestDb::new()?;
    let output = portal(
        &db,
        &["seed", "--domains", "2", "--users-per-domain", "50"],
        "",
    )?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let printed = text(&output.stdout);
    assert!(
        printed.contains("Seeded 2 domains (seed-1.example … seed-2.example) with 100 users"),
        "{printed}"
    );
    let pool = db::connect(&DatabaseUrl::parse(&db.url)?, 1)?;
    let mut conn = pool.get()?;
    let names: Vec<String> = domains::table
        .select(domains::name)
        .order(domains::name)
        .load(&mut conn)?;
    assert_eq!(names, ["seed-1.example", "seed-2.example"]);
    let extensions: Vec<String> = users::table
        .inner_join(domains::table)
        .filter(domains::name.eq("seed-2.example"))
        .select(users::extension)
        .order(users::extension)
        .load(&mut conn)?;
    assert_eq!(extensions.first().map(String::as_str), Some("1000"));
    assert_eq!(extensions.last().map(String::as_str), Some("1049"));
    assert_eq!(extensions.len(), 50);
    let with_password: i64 = users::table
        .filter(users::password_hash.is_not_null())
        .count()
        .get_result(&mut conn)?;
    assert_eq!(with_password, 0);
    let primaries: i64 = devices::table
        .filter(devices::is_primary.eq(true))
        .count()
        .get_result(&mut conn)?;
    assert_eq!(primaries, 100);
    let calls: i64 = call_history::table.count().get_result(&mut conn)?;
    assert_eq!(calls, 500);
    let again = portal(
        &db,
        &["seed", "--domains", "1", "--users-per-domain", "5"],
        "",
    )?;
    assert!(!again.status.success());
    assert!(text(&again.stderr).contains("seed-1.example exists already"));
    Ok(())
}

#[tokio::test]
async fn user_add_creates_a_super_user_who_can_sign_in() -> TestResult {
    let db = TestDb::new()?;
    let args = [
        "user",
        "add",
        "--domain",
        "new.example",
        "--extension",
        "200",
        "--scope",
        "Super User",
        "--first-name",
        "Ada",
        "--last-name",
        "Lovelace",
        "--email",
        "ada@new.example",
    ];
    let output = portal(&db, &args, "a long enough secret\n")?;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(
        text(&output.stdout)
            .contains("Created 200@new.example (Super User), with a portal password.")
    );
    let taken = portal(&db, &args, "")?;
    assert!(!taken.status.success());
    assert!(text(&taken.stderr).contains("Extension 200 is already taken in this domain."));
    let app = TestApp::builder().on(db).start().await?;
    let response = app
        .sign_in("200@new.example", "a long enough secret")
        .await?;
    assert_redirect(&response, "/");
    assert_redirect(&app.get("/").await?, "/domains");
    Ok(())
}

#[test]
fn user_add_without_a_password_and_with_bad_flags() -> TestResult {
    let db = TestDb::new()?;
    let base = [
        "user",
        "add",
        "--domain",
        "x.example",
        "--scope",
        "Office Manager",
        "--first-name",
        "A",
        "--last-name",
        "B",
    ];
    let no_password = portal(&db, &[&base[..], &["--extension", "300"]].concat(), "")?;
    assert!(
        no_password.status.success(),
        "{}",
        text(&no_password.stderr)
    );
    assert!(text(&no_password.stdout).contains("without a portal password"));
    let cases: [(&[&str], &str, &str); 4] = [
        (
            &["--extension", "3"],
            "",
            "--extension: An extension has 2 to 10 digits.",
        ),
        (
            &["--extension", "301", "--email", "nope"],
            "",
            "--email: Enter an e-mail address",
        ),
        (
            &["--extension", "302"],
            "short\n",
            "--password (stdin): Use at least 10 characters.",
        ),
        (&["--extension", "303"], "password123\n", "too common"),
    ];
    for (extra, stdin, message) in cases {
        let output = portal(&db, &[&base[..], extra].concat(), stdin)?;
        assert!(!output.status.success(), "{extra:?} succeeded");
        assert!(
            text(&output.stderr).contains(message),
            "{extra:?}: {}",
            text(&output.stderr)
        );
    }
    let bad_scope = portal(
        &db,
        &[
            "user",
            "add",
            "--domain",
            "x.example",
            "--extension",
            "304",
            "--scope",
            "Admin",
            "--first-name",
            "A",
            "--last-name",
            "B",
        ],
        "",
    )?;
    assert!(text(&bad_scope.stderr).contains("--scope: Choose one of the listed scopes."));
    Ok(())
}

/// Kills the process it holds when dropped, so a failing test leaves no server behind.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn demo_names_its_mail_folder_and_writes_the_mail_there() -> TestResult {
    use std::io::BufRead;

    let dir = tempfile::tempdir()?;
    let mut demo = Running(
        Command::new(env!("CARGO_BIN_EXE_pbx-portal"))
            .args(["demo", "--bind", "127.0.0.1:0"])
            .current_dir(dir.path())
            .env_remove("DATABASE_URL")
            .env_remove("SMTP_URL")
            .env_remove("MAIL_DIR")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()?,
    );
    let stdout = demo.0.stdout.take().ok_or("no stdout")?;
    let mut banner = Vec::new();
    for line in std::io::BufReader::new(stdout).lines() {
        let line = line?;
        let last = line.starts_with("The portal is at ");
        banner.push(line);
        if last {
            break;
        }
    }
    let folder = dir.path().join("pbx-portal-demo-mail");
    let expected = format!("Outgoing mail is written to {}", folder.display());
    assert!(banner.contains(&expected), "{banner:?}");
    let address = banner
        .last()
        .and_then(|line| line.strip_prefix("The portal is at "))
        .ok_or("no address in the banner")?
        .trim_end_matches('/')
        .to_owned();

    let browser = Browser {
        address,
        client: new_client()?,
    };
    browser.signed_in_as("100@acme.example").await?;
    let started = crate::bulk::step(
        &browser,
        "/domains/acme.example/bulk/welcome",
        &[("all_matching", "1".into()), ("q", "155".into())],
    )
    .await?;
    assert_status(&started, reqwest::StatusCode::OK);
    let mut written = Vec::new();
    for _ in 0..200 {
        written = std::fs::read_dir(&folder)?
            .filter_map(Result::ok)
            .filter(|entry| entry.path().extension().is_some_and(|ext| ext == "eml"))
            .map(|entry| std::fs::read_to_string(entry.path()))
            .collect::<Result<Vec<String>, _>>()?;
        // lettre writes the file in place: wait for the whole message, not the name.
        if written.iter().any(|mail| mail.contains("/password/")) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        written.len(),
        1,
        "one welcome message in {}",
        folder.display()
    );
    assert!(written[0].contains("Subject: Your phone portal login for acme.example"));
    assert!(written[0].contains("/password/"));
    Ok(())
}
