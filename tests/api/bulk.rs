//! Bulk Action: the dialog's steps, reset (each option exactly), delete, skipped and
//! forged users, all-or-nothing per user, resuming after a restart, and recycling.

use std::time::Duration;

use diesel::prelude::*;
use pbx_portal::db::schema::{
    answering_rules, audit_events, bulk_job_items, bulk_jobs, call_history, contacts, devices,
    domains, users, voicemail_greetings, voicemail_messages,
};
use pbx_portal::domain::Scope;
use pbx_portal::domain::reset::{ResetOption, ResetOptions};
use reqwest::StatusCode;

use crate::helpers::*;
use pbx_portal::db::Backend;

const ACME: &str = "/domains/acme.example";

/// A user's attached rows and cleared-able fields, to compare before and after.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Snapshot {
    first_name: String,
    last_name: String,
    email: Option<String>,
    has_password: bool,
    has_pin: bool,
    scope: i32,
    department: String,
    site: String,
    primary_devices: i64,
    other_devices: i64,
    messages: i64,
    greetings: i64,
    rules: i64,
    contacts: i64,
    calls: i64,
}

pub(crate) async fn id_of(
    app: &TestApp,
    domain: &'static str,
    extension: &'static str,
) -> Result<i64, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        users::table
            .inner_join(domains::table)
            .filter(domains::name.eq(domain))
            .filter(users::extension.eq(extension))
            .select(users::id)
            .first(conn)
    })
    .await
}

async fn snapshot(app: &TestApp, id: i64) -> Result<Snapshot, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        let (first_name, last_name, email, password, pin, scope, department, site) = users::table
            .find(id)
            .select((
                users::first_name,
                users::last_name,
                users::email,
                users::password_hash,
                users::pin_hash,
                users::scope,
                users::department,
                users::site,
            ))
            .first::<(
                String,
                String,
                Option<String>,
                Option<String>,
                Option<String>,
                i32,
                String,
                String,
            )>(conn)?;
        let count = |n: QueryResult<i64>| n;
        Ok(Snapshot {
            first_name,
            last_name,
            email,
            has_password: password.is_some(),
            has_pin: pin.is_some(),
            scope,
            department,
            site,
            primary_devices: count(
                devices::table
                    .filter(devices::user_id.eq(id))
                    .filter(devices::is_primary.eq(true))
                    .count()
                    .get_result(conn),
            )?,
            other_devices: count(
                devices::table
                    .filter(devices::user_id.eq(id))
                    .filter(devices::is_primary.eq(false))
                    .count()
                    .get_result(conn),
            )?,
            messages: voicemail_messages::table
                .filter(voicemail_messages::user_id.eq(id))
                .count()
                .get_result(conn)?,
            greetings: voicemail_greetings::table
                .filter(voicemail_greetings::user_id.eq(id))
                .count()
                .get_result(conn)?,
            rules: answering_rules::table
                .filter(answering_rules::user_id.eq(id))
                .count()
                .get_result(conn)?,
            contacts: contacts::table
                .filter(contacts::user_id.eq(id))
                .count()
                .get_result(conn)?,
            calls: call_history::table
                .filter(call_history::user_id.eq(id))
                .count()
                .get_result(conn)?,
        })
    })
    .await
}

/// Gives a user a voicemail PIN, so that clearing it shows.
async fn give_pin(app: &TestApp, id: i64) -> TestResult {
    app.query(move |conn| {
        diesel::update(users::table.find(id))
            .set(users::pin_hash.eq("$argon2id$pin"))
            .execute(conn)
    })
    .await?;
    Ok(())
}

/// Posts one dialog step as htmx does.
pub(crate) async fn step(
    app: &Browser,
    path: &str,
    fields: &[(&str, String)],
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let token = app.csrf_token().await?;
    Ok(app
        .client
        .post(app.url(path))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(fields)
        .send()
        .await?)
}

pub(crate) fn users_field(ids: &[i64]) -> Vec<(&'static str, String)> {
    ids.iter().map(|id| ("user", id.to_string())).collect()
}

fn with_options(
    mut fields: Vec<(&'static str, String)>,
    options: &ResetOptions,
    recycle: bool,
) -> Vec<(&'static str, String)> {
    fields.extend(options.iter().map(|o| ("option", o.key().to_owned())));
    if recycle {
        fields.push(("recycle", "1".into()));
    }
    fields
}

/// The job id the progress fragment polls.
pub(crate) fn job_id_in(html: &str) -> Option<i64> {
    let start = html.find("/jobs/")? + "/jobs/".len();
    let digits: String = html[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// The job a plain form's Confirm sent the browser to (`303 /jobs/{id}`).
pub(crate) fn job_in_location(response: &reqwest::Response) -> Option<i64> {
    response
        .headers()
        .get("location")?
        .to_str()
        .ok()?
        .strip_prefix("/jobs/")?
        .parse()
        .ok()
}

pub(crate) async fn wait_for_job(app: &TestApp, job_id: i64) -> TestResult {
    for _ in 0..200 {
        let state = app
            .query(move |conn| {
                bulk_jobs::table
                    .find(job_id)
                    .select(bulk_jobs::state)
                    .first::<String>(conn)
            })
            .await?;
        if state == "finished" {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Err(format!("job {job_id} did not finish").into())
}

pub(crate) async fn outcomes(
    app: &TestApp,
    job_id: i64,
) -> Result<Vec<(String, String, Option<String>)>, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        bulk_job_items::table
            .filter(bulk_job_items::job_id.eq(job_id))
            .order(bulk_job_items::id)
            .select((
                bulk_job_items::extension,
                bulk_job_items::state,
                bulk_job_items::reason,
            ))
            .load(conn)
    })
    .await
}

/// Resets the users with the options and waits for the job; returns its id.
pub(crate) async fn reset(
    app: &TestApp,
    ids: &[i64],
    options: &ResetOptions,
    recycle: bool,
) -> Result<i64, Box<dyn std::error::Error>> {
    let response = step(
        app,
        &format!("{ACME}/bulk/reset"),
        &with_options(users_field(ids), options, recycle),
    )
    .await?;
    assert_status(&response, StatusCode::OK);
    let job_id = job_id_in(&response.text().await?).ok_or("no job in the answer")?;
    wait_for_job(app, job_id).await?;
    Ok(job_id)
}

#[tokio::test]
async fn the_dialog_lists_the_selection_answers_plain_posts_with_pages_and_refuses_bad_selections()
-> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "130").await?,
        id_of(&app, "acme.example", "131").await?,
    ];
    let response = step(&app, &format!("{ACME}/bulk"), &users_field(&ids)).await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    // The selection, counted and named, carried on to the action chosen.
    assert_html_snapshot!(
        "dialog_of_two_users",
        masked_ids(&tidy(&html), &[(ids[0], "[130]"), (ids[1], "[131]")])
    );
    let direct = app
        .post_form(&format!("{ACME}/bulk"), &[("user", &ids[0].to_string())])
        .await?;
    // Without JavaScript the step is a page of its own, its form carrying the token on.
    assert_status(&direct, StatusCode::OK);
    let page = direct.text().await?;
    assert!(page.contains("<h1>Bulk Action</h1>"), "{page}");
    assert!(page.contains(r#"<input type="hidden" name="csrf_token""#));
    assert!(page.contains(r#"formaction="/domains/acme.example/bulk/reset/options""#));
    assert_status(
        &step(&app, &format!("{ACME}/bulk"), &[]).await?,
        StatusCode::BAD_REQUEST,
    );
    assert_status(
        &step(&app, &format!("{ACME}/bulk"), &[("user", "x1".into())]).await?,
        StatusCode::BAD_REQUEST,
    );
    Ok(())
}

#[tokio::test]
async fn the_options_step_checks_the_five_defaults_and_leaves_recycle_off() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [id_of(&app, "acme.example", "130").await?];
    let html = step(
        &app,
        &format!("{ACME}/bulk/reset/options"),
        &users_field(&ids),
    )
    .await?
    .text()
    .await?;
    // The five defaults checked, the other options and Recycle Users not.
    assert_html_snapshot!(
        "reset_options_defaults",
        masked_ids(&tidy(&html), &[(ids[0], "[130]")])
    );
    let none = step(
        &app,
        &format!("{ACME}/bulk/reset/confirm"),
        &users_field(&ids),
    )
    .await?;
    assert_status(&none, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        none.text()
            .await?
            .contains("Choose at least one kind of information to clear.")
    );
    Ok(())
}

#[tokio::test]
async fn confirm_summarises_and_back_keeps_the_choice() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let before = app.db_counts().await?;
    let ids = [id_of(&app, "acme.example", "130").await?];
    let options = ResetOptions::from_keys(["name", "call_history"]);
    let confirm = step(
        &app,
        &format!("{ACME}/bulk/reset/confirm"),
        &with_options(users_field(&ids), &options, true),
    )
    .await?
    .text()
    .await?;
    // What is cleared (the two options chosen, nothing else) and what it removes.
    assert_html_snapshot!(
        "reset_confirm_of_two_options",
        masked_ids(&tidy(&confirm), &[(ids[0], "[130]")])
    );
    let mut back = with_options(users_field(&ids), &options, true);
    back.push(("returning", "1".into()));
    let options_again = step(&app, &format!("{ACME}/bulk/reset/options"), &back)
        .await?
        .text()
        .await?;
    // Back: the two options and Recycle Users still checked, the defaults not.
    assert_html_snapshot!(
        "reset_options_kept_on_back",
        masked_ids(&tidy(&options_again), &[(ids[0], "[130]")])
    );
    assert_eq!(
        app.db_counts().await?,
        before,
        "nothing starts or changes before Confirm"
    );
    Ok(())
}

#[tokio::test]
async fn a_default_reset_clears_exactly_the_five_defaults() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "131").await?;
    give_pin(&app, id).await?;
    let before = snapshot(&app, id).await?;
    reset(&app, &[id], &ResetOptions::defaults(), false).await?;
    let after = snapshot(&app, id).await?;
    let expected = Snapshot {
        first_name: String::new(),
        last_name: String::new(),
        email: None,
        has_password: false,
        has_pin: false,
        other_devices: 0,
        ..before.clone()
    };
    assert_eq!(after, expected);
    assert_eq!(after.primary_devices, 1);
    let page = app
        .get(&format!("{ACME}/users?q=131"))
        .await?
        .text()
        .await?;
    // Nameless and in Setup Required, its primary device kept.
    assert_html_snapshot!(
        "users_row_after_a_default_reset",
        masked_ids(&part(&page, "<tbody")?, &[(id, "[131]")])
    );
    Ok(())
}

#[tokio::test]
async fn each_option_clears_its_own_data_and_nothing_else() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    // 135 has no additional device to clear (extension mod 3 is 0), so it is left out.
    let extensions = [
        "131", "132", "133", "134", "136", "137", "138", "139", "140", "141",
    ];
    for (option, extension) in ResetOption::ALL.into_iter().zip(extensions) {
        let id = id_of(&app, "acme.example", extension).await?;
        give_pin(&app, id).await?;
        let before = snapshot(&app, id).await?;
        reset(&app, &[id], &ResetOptions::from_keys([option.key()]), false).await?;
        let after = snapshot(&app, id).await?;
        let mut expected = before.clone();
        match option {
            ResetOption::Name => {
                expected.first_name.clear();
                expected.last_name.clear();
            }
            ResetOption::Email => expected.email = None,
            ResetOption::Password => expected.has_password = false,
            ResetOption::VoicemailPin => expected.has_pin = false,
            ResetOption::AdditionalDevices => expected.other_devices = 0,
            ResetOption::VoicemailMessages => expected.messages = 0,
            ResetOption::VoicemailGreetings => expected.greetings = 0,
            ResetOption::AnsweringRules => expected.rules = 0,
            ResetOption::Contacts => expected.contacts = 0,
            ResetOption::CallHistory => expected.calls = 0,
        }
        assert_eq!(after, expected, "{}", option.label());
        assert_ne!(after, before, "{} had something to clear", option.label());
    }
    let shared = app
        .query(|conn| {
            contacts::table
                .filter(contacts::user_id.is_null())
                .count()
                .get_result::<i64>(conn)
        })
        .await?;
    assert_eq!(shared, 25, "shared domain contacts stay");
    Ok(())
}

#[tokio::test]
async fn self_and_higher_scopes_are_skipped_with_the_reason_and_forged_ids_fall_away() -> TestResult
{
    let app = TestApp::builder().demo().start().await?;
    app.add_user("acme.example", "190", Scope::Reseller).await?;
    app.signed_in_as("100@acme.example").await?;
    let me = id_of(&app, "acme.example", "100").await?;
    let higher = id_of(&app, "acme.example", "190").await?;
    let ordinary = id_of(&app, "acme.example", "141").await?;
    let foreign = id_of(&app, "globex.example", "101").await?;
    let foreign_before = snapshot(&app, foreign).await?;
    let job = reset(
        &app,
        &[me, higher, ordinary, foreign],
        &ResetOptions::defaults(),
        false,
    )
    .await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(
        got,
        [
            (
                "100".to_owned(),
                "skipped".to_owned(),
                Some("You cannot do this to your own user.".to_owned())
            ),
            ("141".to_owned(), "done".to_owned(), None),
            (
                "190".to_owned(),
                "skipped".to_owned(),
                Some("This user has a higher scope (Reseller) than yours.".to_owned())
            ),
        ]
    );
    assert_eq!(snapshot(&app, foreign).await?, foreign_before);
    assert!(snapshot(&app, me).await?.has_password);
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(
        progress.contains("1 of 3 users reset, 2 skipped"),
        "{progress}"
    );
    Ok(())
}

#[tokio::test]
async fn all_matching_runs_the_filter_again_on_the_server() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let fields = with_options(
        vec![
            ("all_matching", "1".into()),
            ("status", "password-required".into()),
        ],
        &ResetOptions::from_keys(["email"]),
        false,
    );
    let response = step(&app, &format!("{ACME}/bulk/reset"), &fields).await?;
    let job = job_id_in(&response.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    let extensions: Vec<String> = outcomes(&app, job)
        .await?
        .into_iter()
        .map(|o| o.0)
        .collect();
    assert_eq!(extensions, ["155", "156", "157"]);
    Ok(())
}

#[tokio::test]
async fn all_matching_past_one_chunk_writes_every_user_once_in_extension_order() -> TestResult {
    // More users than the job's start reads at a time (5,000), and a count to check.
    let app = TestApp::builder()
        .seeded(5300)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let mut expected: Vec<String> = app
        .query(|conn| {
            users::table
                .inner_join(domains::table)
                .filter(domains::name.eq("seed-1.example"))
                .filter(users::is_system.eq(false))
                .select(users::extension)
                .load(conn)
        })
        .await?;
    expected.sort_by(|a, b| (a.len(), a).cmp(&(b.len(), b)));
    let path = "/domains/seed-1.example/bulk/reset";
    let mut fields = with_options(
        vec![("all_matching", "1".into())],
        &ResetOptions::from_keys(["email"]),
        false,
    );
    fields.push(("expected", (expected.len() - 1).to_string()));
    let changed = step(&app, path, &fields).await?;
    assert_status(&changed, StatusCode::CONFLICT);
    assert_eq!(
        app.query(|conn| bulk_jobs::table.count().get_result::<i64>(conn))
            .await?,
        0
    );
    fields.pop();
    fields.push(("expected", expected.len().to_string()));
    let response = step(&app, path, &fields).await?;
    let job = job_id_in(&response.text().await?).ok_or("no job")?;
    let items: Vec<String> = outcomes(&app, job)
        .await?
        .into_iter()
        .map(|outcome| outcome.0)
        .collect();
    assert_eq!(items.len(), expected.len());
    assert!(items == expected, "each user once, in extension order");
    let total: i32 = app
        .query(move |conn| {
            bulk_jobs::table
                .find(job)
                .select(bulk_jobs::total)
                .first(conn)
        })
        .await?;
    assert_eq!(usize::try_from(total)?, expected.len());
    Ok(())
}

#[tokio::test]
async fn delete_users_confirms_with_the_count_then_deletes_in_a_job() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&app, "acme.example", "142").await?,
        id_of(&app, "acme.example", "143").await?,
    ];
    let confirm = step(
        &app,
        &format!("{ACME}/bulk/delete/confirm"),
        &users_field(&ids),
    )
    .await?
    .text()
    .await?;
    assert!(
        confirm.contains("Delete 2 users? You can restore them from Deleted users for 30 days.")
    );
    assert!(app.user_exists("acme.example", "142").await?);
    let response = step(&app, &format!("{ACME}/bulk/delete"), &users_field(&ids)).await?;
    let job = job_id_in(&response.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    assert!(!app.user_exists("acme.example", "142").await?);
    assert!(!app.user_exists("acme.example", "143").await?);
    assert!(
        app.get(&format!("/jobs/{job}"))
            .await?
            .text()
            .await?
            .contains("2 of 2 users deleted")
    );
    Ok(())
}

/// A fault in the middle of one user's reset: after its name is cleared, deleting its
/// greetings fails.
pub(crate) async fn inject_greetings_fault(app: &TestApp, broken: i64) -> TestResult {
    greetings_fault(app, broken, "DELETE").await
}

/// Makes the database refuse to `event` (DELETE or INSERT) a voicemail greeting of the
/// user `broken`, as a trigger named `inject_fault`.
pub(crate) async fn greetings_fault(app: &TestApp, broken: i64, event: &str) -> TestResult {
    let row = if event == "INSERT" { "NEW" } else { "OLD" };
    let sql = match app.backend() {
        Backend::Sqlite => vec![format!(
            "CREATE TRIGGER inject_fault BEFORE {event} ON voicemail_greetings WHEN {row}.user_id = {broken}
             BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )],
        Backend::Postgres => vec![
            "CREATE FUNCTION inject_fault() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN RAISE EXCEPTION 'injected fault'; END $$".to_owned(),
            format!(
                "CREATE TRIGGER inject_fault BEFORE {event} ON voicemail_greetings FOR EACH ROW
                 WHEN ({row}.user_id = {broken}) EXECUTE FUNCTION inject_fault()"
            ),
        ],
    };
    app.query(move |conn| {
        for statement in &sql {
            diesel::sql_query(statement.as_str()).execute(conn)?;
        }
        Ok(())
    })
    .await?;
    Ok(())
}

#[tokio::test]
async fn a_user_whose_reset_fails_is_left_exactly_as_before() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let broken = id_of(&app, "acme.example", "144").await?;
    let fine = id_of(&app, "acme.example", "145").await?;
    inject_greetings_fault(&app, broken).await?;
    let before = snapshot(&app, broken).await?;
    let options = ResetOptions::from_keys(["name", "email", "voicemail_greetings"]);
    let job = reset(&app, &[broken, fine], &options, false).await?;
    let got = outcomes(&app, job).await?;
    assert_eq!(got[0].1, "failed");
    assert_eq!(
        got[0].2.as_deref(),
        Some("The database refused the change; nothing was changed for this user."),
        "{got:?}"
    );
    assert_eq!(got[1].1, "done");
    assert_eq!(snapshot(&app, broken).await?, before, "never half reset");
    assert_eq!(snapshot(&app, fine).await?.first_name, "");
    Ok(())
}

#[tokio::test]
async fn a_job_left_unfinished_is_completed_after_a_restart_and_nothing_twice() -> TestResult {
    use pbx_portal::db::{DatabaseUrl, connect};
    use pbx_portal::services::jobs::spec::{Action, Selection};
    use pbx_portal::services::jobs::start::start_job;
    use pbx_portal::services::{Acting, AuditActor, Authority};

    // The job is written with no server running (as if it stopped right after Confirm);
    // the next server to start finishes it.
    let db = TestDb::new()?;
    let url = db.url.clone();
    let job = tokio::task::spawn_blocking(move || -> Result<i64, String> {
        let pool = connect(&DatabaseUrl::parse(&url).map_err(|e| e.to_string())?, 2)
            .map_err(|e| e.to_string())?;
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        pbx_portal::services::demo::load_demo(&mut conn).map_err(|e| e.to_string())?;
        let domain = pbx_portal::db::domains::find_by_name(&mut conn, "acme.example")
            .map_err(|e| e.to_string())?
            .ok_or("no acme")?;
        let manager = pbx_portal::db::users::find_by_extension(&mut conn, domain.id, "100")
            .map_err(|e| e.to_string())?
            .ok_or("no manager")?;
        let ids: Vec<pbx_portal::domain::UserId> = users::table
            .filter(users::domain_id.eq(domain.id))
            .filter(users::extension.between("110", "149"))
            .select(users::id)
            .load(&mut conn)
            .map_err(|e| e.to_string())?;
        let acting = Acting {
            authority: Authority::User(pbx_portal::domain::ActorRights {
                user_id: manager.id,
                scope: Scope::OfficeManager,
                domain_id: domain.id,
                reseller_id: domain.reseller_id,
            }),
            audit: AuditActor {
                user_id: Some(manager.id),
                login: "100@acme.example".into(),
            },
        };
        let action = Action::Reset {
            options: ResetOptions::defaults(),
            recycle: false,
        };
        start_job(
            &mut conn,
            &acting,
            &domain,
            &action,
            &Selection::Users(ids),
            None,
            None,
        )
        .map(|job| job.get())
        .map_err(|e| e.to_string())
    })
    .await??;
    let app = TestApp::builder().on(db).start().await?;
    wait_for_job(&app, job).await?;
    let states: Vec<String> = outcomes(&app, job)
        .await?
        .into_iter()
        .map(|o| o.1)
        .collect();
    assert_eq!(states.len(), 40);
    assert!(states.iter().all(|s| s == "done"), "{states:?}");
    let resets = app
        .query(|conn| {
            audit_events::table
                .filter(audit_events::action.eq("user.reset"))
                .count()
                .get_result::<i64>(conn)
        })
        .await?;
    assert_eq!(resets, 40, "one audit event per item, none twice");
    Ok(())
}

#[tokio::test]
async fn recycle_validates_every_row_then_hands_the_extensions_over() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let a = id_of(&app, "acme.example", "146").await?;
    let b = id_of(&app, "acme.example", "147").await?;
    let old_call_names = app
        .query(move |conn| {
            call_history::table
                .filter(call_history::user_id.eq(a))
                .select(call_history::user_name)
                .load::<String>(conn)
        })
        .await?;
    let job = reset(&app, &[a, b], &ResetOptions::defaults(), true).await?;
    let progress = app.get(&format!("/jobs/{job}")).await?.text().await?;
    // Next (to Recycle Users), not Close.
    assert_html_snapshot!(
        "recycle_next_after_the_reset",
        masked_ids(
            &part(&progress, "<div class=\"dialog-actions\"")?,
            &[(job, "[job]")]
        )
    );
    let form = app
        .get(&format!("/jobs/{job}/recycle"))
        .await?
        .text()
        .await?;
    let ids = [(a, "[146]"), (b, "[147]"), (job, "[job]")];
    // A row per extension, "E-mail recommended" (acme.example has portal security on).
    assert_html_snapshot!(
        "recycle_form",
        masked_ids(
            &part(&form, "<form class=\"bulk-step recycle-form\"")?,
            &ids
        )
    );
    let version = |html: &str, id: i64| -> String {
        let marker = format!(r#"name="version_{id}" value=""#);
        html.split(&marker)
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned()
    };
    let (version_a, version_b) = (version(&form, a), version(&form, b));
    let invalid = step(
        &app,
        &format!("/jobs/{job}/recycle"),
        &[
            (&*format!("version_{a}"), version_a.clone()),
            (&*format!("version_{b}"), version_b.clone()),
            (&*format!("first_name_{a}"), "Nora".into()),
            (&*format!("last_name_{a}"), "New".into()),
            (&*format!("email_{a}"), "nora@acme.example".into()),
            (&*format!("first_name_{b}"), "".into()),
            (&*format!("last_name_{b}"), "Blank".into()),
            (&*format!("email_{b}"), "not-an-address".into()),
        ],
    )
    .await?;
    assert_status(&invalid, StatusCode::UNPROCESSABLE_ENTITY);
    let html = invalid.text().await?;
    assert_eq!(
        html.matches("This name is required.").count(),
        1,
        "one error, for the row whose first name is blank"
    );
    assert_eq!(
        html.matches("Enter an e-mail address").count(),
        1,
        "one error, for the row whose address is bad"
    );
    // What was typed is kept, each error beside its field.
    assert_html_snapshot!(
        "recycle_form_refused",
        masked_ids(&part(&html, "<form")?, &ids)
    );
    assert_eq!(
        snapshot(&app, a).await?.first_name,
        "",
        "nothing is saved until every row is valid"
    );
    let valid_fields = [
        (&*format!("version_{a}"), version_a.clone()),
        (&*format!("version_{b}"), version_b.clone()),
        (&*format!("first_name_{a}"), "Nora".into()),
        (&*format!("last_name_{a}"), "New".into()),
        (&*format!("email_{a}"), "nora@acme.example".into()),
        (&*format!("first_name_{b}"), "Omar".into()),
        (&*format!("last_name_{b}"), "Other".into()),
        (&*format!("email_{b}"), "".into()),
    ];
    let valid = step(&app, &format!("/jobs/{job}/recycle"), &valid_fields).await?;
    assert_status(&valid, StatusCode::OK);
    assert_html_snapshot!("recycle_saved", tidy(&valid.text().await?));
    let recycled = snapshot(&app, a).await?;
    assert_eq!(
        (recycled.first_name.as_str(), recycled.email.as_deref()),
        ("Nora", Some("nora@acme.example"))
    );
    assert!(!recycled.has_password && !recycled.has_pin);
    let page = app
        .get(&format!("{ACME}/users?q=146"))
        .await?
        .text()
        .await?;
    assert_html_snapshot!(
        "users_row_after_recycle",
        masked_ids(&part(&page, "<tbody")?, &[(a, "[146]")])
    );
    let call_names = app
        .query(move |conn| {
            call_history::table
                .filter(call_history::user_id.eq(a))
                .select(call_history::user_name)
                .load::<String>(conn)
        })
        .await?;
    assert_eq!(call_names, old_call_names, "old calls keep the old name");
    // A second Save (a double submit, or the form reopened later) changes nothing.
    let again = step(&app, &format!("/jobs/{job}/recycle"), &valid_fields).await?;
    assert_status(&again, StatusCode::UNPROCESSABLE_ENTITY);
    // Reopened, the form has nobody left to recycle.
    let reopened = app
        .get(&format!("/jobs/{job}/recycle"))
        .await?
        .text()
        .await?;
    assert_html_snapshot!(
        "recycle_form_after_save",
        masked_ids(&part(&reopened, "id=\"bulk-body\"")?, &ids)
    );
    Ok(())
}

#[tokio::test]
async fn another_domains_job_is_refused_and_unknown_jobs_are_404() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let id = id_of(&app, "acme.example", "148").await?;
    let job = reset(&app, &[id], &ResetOptions::defaults(), true).await?;
    let other = app.new_browser()?;
    other.signed_in_as("100@globex.example").await?;
    assert_status(
        &other.get(&format!("/jobs/{job}")).await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &other.get(&format!("/jobs/{job}/recycle")).await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &other
            .post_form(&format!("/jobs/{job}/recycle"), &[])
            .await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(&app.get("/jobs/999999").await?, StatusCode::NOT_FOUND);
    assert_status(&app.get("/jobs/not-a-number").await?, StatusCode::NOT_FOUND);
    // Another domain's office manager cannot start a job on acme users either.
    let forged = step(
        &other,
        "/domains/acme.example/bulk/reset",
        &with_options(users_field(&[id]), &ResetOptions::defaults(), false),
    )
    .await;
    assert_status(&forged?, StatusCode::FORBIDDEN);
    Ok(())
}

#[tokio::test]
async fn a_page_only_instance_shows_the_job_running_until_a_job_instance_finishes_it() -> TestResult
{
    let db = TestDb::new()?;
    let second = db.another_handle();
    let pages = TestApp::builder()
        .on(db)
        .demo()
        .run_jobs(false)
        .start()
        .await?;
    pages.signed_in_as("100@acme.example").await?;
    let ids = [
        id_of(&pages, "acme.example", "111").await?,
        id_of(&pages, "acme.example", "112").await?,
        id_of(&pages, "acme.example", "113").await?,
    ];
    let started = step(
        &pages,
        &format!("{ACME}/bulk/reset"),
        &with_options(users_field(&ids), &ResetOptions::defaults(), false),
    )
    .await?
    .text()
    .await?;
    let job = job_id_in(&started).ok_or("no job")?;
    for html in [
        started,
        pages.get(&format!("/jobs/{job}")).await?.text().await?,
    ] {
        assert!(html.contains("0 of 3 users reset"), "{html}");
    }
    let workers = TestApp::builder().on(second).start().await?;
    wait_for_job(&workers, job).await?;
    let finished = pages.get(&format!("/jobs/{job}")).await?.text().await?;
    assert!(finished.contains("3 of 3 users reset"));
    Ok(())
}

#[tokio::test]
async fn an_all_matching_selection_that_changed_since_confirm_starts_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let before = app.db_counts().await?;
    let fields = vec![
        ("all_matching", "1".to_owned()),
        ("status", "password-required".to_owned()),
        ("expected", "2".to_owned()),
    ];
    let response = step(&app, &format!("{ACME}/bulk/delete"), &fields).await?;
    assert_status(&response, StatusCode::CONFLICT);
    assert!(
        response
            .text()
            .await?
            .contains("The matching users changed since you confirmed (now 3).")
    );
    assert_eq!(app.db_counts().await?, before, "nothing started or changed");
    Ok(())
}

#[tokio::test]
async fn two_recycle_saves_at_once_save_once() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let second = app.new_browser()?;
    second.signed_in_as("100@acme.example").await?;
    let a = id_of(&app, "acme.example", "145").await?;
    let job = reset(&app, &[a], &ResetOptions::defaults(), true).await?;
    let version: i32 = app
        .query(move |conn| users::table.find(a).select(users::version).first(conn))
        .await?;
    let path = format!("/jobs/{job}/recycle");
    let fields = |first: &str| {
        vec![
            (format!("version_{a}"), version.to_string()),
            (format!("first_name_{a}"), first.to_owned()),
            (format!("last_name_{a}"), "Racer".to_owned()),
            (format!("email_{a}"), String::new()),
        ]
    };
    let (one, two) = (fields("Ada"), fields("Bea"));
    let one: Vec<(&str, String)> = one.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let two: Vec<(&str, String)> = two.iter().map(|(n, v)| (n.as_str(), v.clone())).collect();
    let (first, other) = tokio::join!(step(&app, &path, &one), step(&second, &path, &two));
    let mut statuses = vec![first?.status(), other?.status()];
    statuses.sort();
    assert_eq!(statuses[0], StatusCode::OK, "{statuses:?}");
    assert!(
        statuses[1].is_client_error(),
        "the later save is refused: {statuses:?}"
    );
    let recycles = app
        .query(move |conn| {
            audit_events::table
                .filter(audit_events::target_user_id.eq(a))
                .filter(audit_events::action.eq("user.recycle"))
                .count()
                .get_result::<i64>(conn)
        })
        .await?;
    assert_eq!(recycles, 1, "one save, one audit event");
    Ok(())
}

#[tokio::test]
async fn a_job_stops_when_its_actor_is_demoted_or_deleted_before_it_runs() -> TestResult {
    for demote in [true, false] {
        let db = TestDb::new()?;
        let second = db.another_handle();
        let pages = TestApp::builder()
            .on(db)
            .demo()
            .run_jobs(false)
            .start()
            .await?;
        pages
            .add_user("acme.example", "171", Scope::OfficeManager)
            .await?;
        assert_redirect(
            &pages
                .sign_in("171@acme.example", "fixture password")
                .await?,
            "/",
        );
        let ids = [
            id_of(&pages, "acme.example", "111").await?,
            id_of(&pages, "acme.example", "112").await?,
        ];
        let before = snapshot(&pages, ids[0]).await?;
        let started = step(
            &pages,
            &format!("{ACME}/bulk/reset"),
            &with_options(users_field(&ids), &ResetOptions::defaults(), false),
        )
        .await?
        .text()
        .await?;
        let job = job_id_in(&started).ok_or("no job")?;
        let actor = id_of(&pages, "acme.example", "171").await?;
        pages
            .query(move |conn| {
                if demote {
                    diesel::update(users::table.find(actor))
                        .set(users::scope.eq(Scope::BasicUser.rank()))
                        .execute(conn)
                } else {
                    diesel::delete(users::table.find(actor)).execute(conn)
                }
            })
            .await?;
        let workers = TestApp::builder().on(second).start().await?;
        wait_for_job(&workers, job).await?;
        let expected = if demote {
            pbx_portal::jobs::runner::ACTOR_DEMOTED
        } else {
            pbx_portal::jobs::runner::ACTOR_GONE
        };
        for (_, state, reason) in outcomes(&workers, job).await? {
            assert_eq!(
                (state.as_str(), reason.as_deref()),
                ("skipped", Some(expected))
            );
        }
        assert_eq!(
            snapshot(&workers, ids[0]).await?,
            before,
            "nobody was reset"
        );
    }
    Ok(())
}

/// A step's page without the hidden fields that carry its selection (ids, or the
/// filter), its white space collapsed.
fn without_carried(html: &str) -> String {
    let mut kept = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<input type=\"hidden\"") {
        kept.push_str(&rest[..start]);
        rest = rest[start..].split_once('>').map_or("", |(_, after)| after);
    }
    kept.push_str(rest);
    kept.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[tokio::test]
async fn an_all_matching_selection_confirms_exactly_as_its_users_named_by_id() -> TestResult {
    // "All matching" is counted in SQL without reading its users; checked rows are
    // read. Each Confirm step must say the same of the same users: counts of what a
    // reset removes, Reached from past its 50 lines, successor fields, users without
    // an e-mail address.
    let app = TestApp::builder()
        .seeded(400)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let every_option: Vec<&str> = ResetOption::ALL.iter().map(|o| o.key()).collect();
    // The seed's most common status, as a filter that leaves some users out.
    let statuses: Vec<i32> = app
        .query(|conn| {
            users::table
                .filter(users::is_system.eq(false))
                .select(users::status)
                .load(conn)
        })
        .await?;
    let common = pbx_portal::domain::Status::ALL
        .into_iter()
        .max_by_key(|status| statuses.iter().filter(|s| **s == status.code()).count())
        .ok_or("no statuses")?;
    for status in [None, Some(common)] {
        let ids: Vec<i64> = app
            .query(move |conn| {
                let mut query = users::table
                    .inner_join(domains::table)
                    .filter(domains::name.eq("seed-1.example"))
                    .filter(users::is_system.eq(false))
                    .select(users::id)
                    .into_boxed();
                if let Some(status) = status {
                    query = query.filter(users::status.eq(status.code()));
                }
                query.load(conn)
            })
            .await?;
        assert!(
            ids.len() > 60,
            "more users than a step lists: {}",
            ids.len()
        );
        let mut matching = vec![("all_matching", "1".to_owned())];
        if let Some(status) = status {
            let param = pbx_portal::domain::listing::status_param(status);
            matching.push(("status", param.to_owned()));
        }
        for (path, options) in [
            ("bulk/reset/confirm", every_option.clone()),
            ("bulk/reset/confirm", vec!["voicemail-messages", "name"]),
            ("bulk/delete/confirm", Vec::new()),
            ("bulk/welcome/confirm", Vec::new()),
            ("bulk/force-reset/confirm", Vec::new()),
        ] {
            let options = ResetOptions::from_keys(options);
            let path = format!("/domains/seed-1.example/{path}");
            let named = step(
                &app,
                &path,
                &with_options(users_field(&ids), &options, false),
            )
            .await?;
            assert_status(&named, StatusCode::OK);
            let named = named.text().await?;
            let all = step(
                &app,
                &path,
                &with_options(matching.clone(), &options, false),
            )
            .await?;
            assert_status(&all, StatusCode::OK);
            let all = all.text().await?;
            assert_eq!(without_carried(&all), without_carried(&named), "{path}");
            let expected = format!("name=\"expected\" value=\"{}\"", ids.len());
            assert!(all.contains(&expected), "{path}: {all}");
        }
    }
    Ok(())
}
