//! The tenancy, scope and CSRF matrices: every route that changes state, or shows a
//! domain's data, tried by every kind of outsider (nobody signed in, a Basic User of the
//! domain, another domain's office manager, another reseller), and every unsafe route
//! tried without a token, with another session's token and from another origin. None
//! of them changes anything (the database's fingerprint stays the same), each gets a
//! clear refusal, and no refused answer shows the data it guards.

use diesel::prelude::*;
use pbx_portal::db::schema::{sessions, users};
use pbx_portal::domain::Scope;
use reqwest::StatusCode;

use crate::bulk::{id_of, job_id_in, step, users_field, wait_for_job};
use crate::helpers::*;

/// Everything a refused request could have changed: each user's row, the target's
/// sessions, and the row count of every table but `sessions` (outsiders sign in as
/// others while the matrix runs).
async fn fingerprint(app: &TestApp) -> Result<(String, DbCounts), Box<dyn std::error::Error>> {
    let rows = app
        .query(|conn| {
            type Row = (i64, i32, String, Option<String>, Option<String>, bool);
            let rows: Vec<Row> = users::table
                .order(users::id)
                .select((
                    users::id,
                    users::version,
                    users::first_name,
                    users::email,
                    users::password_hash,
                    users::must_change_password,
                ))
                .load(conn)?;
            let target_sessions: Vec<i64> = sessions::table
                .inner_join(users::table)
                .filter(users::extension.eq("102"))
                .select(sessions::id)
                .order(sessions::id)
                .load(conn)?;
            Ok(format!("{rows:?} {target_sessions:?}"))
        })
        .await?;
    let counts = DbCounts {
        sessions: 0,
        ..app.db_counts().await?
    };
    Ok((rows, counts))
}

/// One request of the matrix.
struct Probe {
    method: &'static str,
    path: String,
    fields: Vec<(&'static str, String)>,
}

impl Probe {
    fn get(path: String) -> Self {
        Self {
            method: "GET",
            path,
            fields: Vec::new(),
        }
    }

    fn post(path: String, fields: Vec<(&'static str, String)>) -> Self {
        Self {
            method: "POST",
            path,
            fields,
        }
    }

    /// Sends it as htmx would (with the session's token in the header, when it has one).
    async fn send(
        &self,
        browser: &Browser,
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        let request = match self.method {
            "GET" => browser.client.get(browser.url(&self.path)),
            _ => {
                let token = browser.csrf_token().await.unwrap_or_default();
                browser
                    .client
                    .post(browser.url(&self.path))
                    .header("X-CSRF-Token", token)
                    .form(&self.fields)
            }
        };
        Ok(request.header("HX-Request", "true").send().await?)
    }
}

/// The demo, with a finished acme reset (with Recycle Users) whose recycle form waits.
struct Scene {
    app: TestApp,
    job: i64,
    /// A user of acme the probes aim at, and a last name only acme's pages show.
    target: i64,
    secret: String,
}

async fn scene() -> Result<Scene, Box<dyn std::error::Error>> {
    let app = TestApp::builder().demo().start().await?;
    // Another reseller (Contoso) with a login of its own.
    app.add_user("initech.example", "900", Scope::Reseller)
        .await?;
    app.signed_in_as("100@acme.example").await?;
    let recycled = id_of(&app, "acme.example", "140").await?;
    let mut fields = users_field(&[recycled]);
    fields.extend([
        ("option", "password".to_owned()),
        ("recycle", "1".to_owned()),
    ]);
    let started = step(&app, "/domains/acme.example/bulk/reset", &fields).await?;
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    let target = id_of(&app, "acme.example", "102").await?;
    // The target is signed in somewhere: no outsider may end that session.
    app.new_browser()?.signed_in_as("102@acme.example").await?;
    let secret: String = app
        .query(move |conn| {
            users::table
                .find(target)
                .select(users::last_name)
                .first(conn)
        })
        .await?;
    Ok(Scene {
        app,
        job,
        target,
        secret,
    })
}

fn probes(job: i64, target: i64) -> Vec<Probe> {
    let acme = "/domains/acme.example";
    let one = || users_field(&[target]);
    let with = |mut fields: Vec<(&'static str, String)>, extra: &[(&'static str, &str)]| {
        fields.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        fields
    };
    vec![
        Probe::get(format!("{acme}/users")),
        Probe::get(format!("{acme}/users/export")),
        Probe::get(format!("{acme}/users/102")),
        Probe::get(format!("{acme}/users/102/delete")),
        Probe::get(format!("{acme}/audit")),
        Probe::get(format!("{acme}/jobs")),
        Probe::get(format!("{acme}/users/deleted")),
        Probe::get(format!("{acme}/import")),
        Probe::post(format!("{acme}/import"), Vec::new()),
        Probe::post(format!("{acme}/import/1/apply"), Vec::new()),
        Probe::get(format!("{acme}/import/1/errors.csv")),
        Probe::post(format!("{acme}/users/deleted/restore/confirm"), one()),
        Probe::post(format!("{acme}/users/deleted/restore"), one()),
        Probe::get(format!("/jobs/{job}")),
        Probe::get(format!("/jobs/{job}/recycle")),
        Probe::get(format!("/jobs/{job}/retry")),
        Probe::get(format!("/jobs/{job}/undo")),
        Probe::post(format!("/jobs/{job}/undo"), Vec::new()),
        Probe::get(format!("/jobs/{job}/results.csv")),
        Probe::post(format!("/jobs/{job}/stop"), Vec::new()),
        Probe::post(
            format!("{acme}/users/new"),
            vec![
                ("extension", "170".into()),
                ("first_name", "Intruder".into()),
                ("last_name", "Planted".into()),
                ("email", String::new()),
                ("scope", "Office Manager".into()),
                ("department", String::new()),
                ("site", String::new()),
                ("version", "0".into()),
            ],
        ),
        Probe::post(
            format!("{acme}/users/102"),
            vec![
                ("extension", "102".into()),
                ("first_name", "Hacked".into()),
                ("last_name", "Hacked".into()),
                ("email", String::new()),
                ("scope", "Office Manager".into()),
                ("department", String::new()),
                ("site", String::new()),
                ("version", "1".into()),
            ],
        ),
        Probe::post(format!("{acme}/users/102/delete"), Vec::new()),
        Probe::post(format!("{acme}/users/102/sessions/end"), Vec::new()),
        Probe::post(format!("{acme}/bulk"), one()),
        Probe::post(format!("{acme}/bulk/reset/options"), one()),
        Probe::post(
            format!("{acme}/bulk/reset/confirm"),
            with(one(), &[("option", "name")]),
        ),
        Probe::post(
            format!("{acme}/bulk/reset"),
            with(one(), &[("option", "name")]),
        ),
        Probe::post(format!("{acme}/bulk/delete/confirm"), one()),
        Probe::post(format!("{acme}/bulk/delete"), one()),
        Probe::post(format!("{acme}/bulk/welcome/confirm"), one()),
        Probe::post(format!("{acme}/bulk/welcome"), one()),
        Probe::post(format!("{acme}/bulk/force-reset/confirm"), one()),
        Probe::post(format!("{acme}/bulk/force-reset"), one()),
        // Refused before its fields are read, so plain names do.
        Probe::post(
            format!("/jobs/{job}/recycle"),
            vec![
                ("first_name", "Intruder".into()),
                ("last_name", "Planted".into()),
            ],
        ),
        Probe::post(
            "/mail/test".into(),
            vec![("to", "outsider@example.com".into())],
        ),
    ]
}

#[tokio::test]
async fn outsiders_change_nothing_and_see_nothing_of_another_domain() -> TestResult {
    let scene = scene().await?;
    let app = &scene.app;
    // acme's own manager does see the data the outsiders must not.
    let own_view = app
        .get("/domains/acme.example/users/102")
        .await?
        .text()
        .await?;
    assert!(own_view.contains(&scene.secret));
    let before = fingerprint(app).await?;

    let anonymous = app.new_browser()?;
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    let other_manager = app.new_browser()?;
    other_manager.signed_in_as("100@globex.example").await?;
    let other_reseller = app.new_browser()?;
    assert_redirect(
        &other_reseller
            .sign_in("900@initech.example", "fixture password")
            .await?,
        "/",
    );

    let mut failures = Vec::new();
    for probe in probes(scene.job, scene.target) {
        for (who, browser) in [
            ("nobody", &anonymous),
            ("a Basic User of acme", &basic),
            ("globex's office manager", &other_manager),
            ("another reseller", &other_reseller),
        ] {
            let answer = probe.send(browser).await?;
            let status = answer.status();
            let body = answer.text().await?;
            let refused = match who {
                // Not signed in: sent to sign in (htmx gets 401 with HX-Redirect).
                "nobody" => status == StatusCode::UNAUTHORIZED || status == StatusCode::SEE_OTHER,
                _ => status == StatusCode::FORBIDDEN,
            };
            if !refused {
                failures.push(format!(
                    "{who}: {} {} answered {status}",
                    probe.method, probe.path
                ));
            }
            if body.contains(&scene.secret) {
                failures.push(format!(
                    "{who}: {} {} showed acme's data",
                    probe.method, probe.path
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        fingerprint(app).await?,
        before,
        "a refused request changed something"
    );
    Ok(())
}

#[tokio::test]
async fn ids_from_another_domain_and_unknown_ids_are_refused_in_ones_own_domain() -> TestResult {
    let scene = scene().await?;
    let app = &scene.app;
    let before = fingerprint(app).await?;
    let globex = app.new_browser()?;
    globex.signed_in_as("100@globex.example").await?;
    // acme's user ids, posted to globex's own dialog: they fall away, nothing starts.
    for action in [
        "bulk/reset",
        "bulk/delete",
        "bulk/welcome",
        "bulk/force-reset",
    ] {
        let mut fields = users_field(&[scene.target]);
        fields.push(("option", "name".into()));
        let answer = step(
            &globex,
            &format!("/domains/globex.example/{action}"),
            &fields,
        )
        .await?;
        assert_status(&answer, StatusCode::BAD_REQUEST);
        assert!(!answer.text().await?.contains(&scene.secret));
    }
    // A job that does not exist, and a token that was never issued.
    assert_status(&globex.get("/jobs/999999").await?, StatusCode::NOT_FOUND);
    assert_status(
        &globex.get("/jobs/999999/recycle").await?,
        StatusCode::NOT_FOUND,
    );
    assert_status(
        &globex.get("/password/never-issued").await?,
        StatusCode::NOT_FOUND,
    );
    // An extension globex does not have.
    assert_status(
        &globex.get("/domains/globex.example/users/999").await?,
        StatusCode::NOT_FOUND,
    );
    assert_eq!(fingerprint(app).await?, before);
    Ok(())
}

/// Who sends a request, where to, with which fields.
type UnsafeRoute = (&'static str, String, Vec<(&'static str, String)>);

/// Every unsafe route, with fields that would change something were it accepted.
fn unsafe_routes(job: i64, target: i64) -> Vec<UnsafeRoute> {
    let acme = "/domains/acme.example";
    let one = || users_field(&[target]);
    vec![
        (
            "acme",
            format!("{acme}/users/new"),
            vec![
                ("extension", "171".into()),
                ("first_name", "Forged".into()),
                ("last_name", "Request".into()),
                ("scope", "Basic User".into()),
            ],
        ),
        (
            "acme",
            format!("{acme}/users/102"),
            vec![
                ("first_name", "Forged".into()),
                ("last_name", "Request".into()),
                ("scope", "Basic User".into()),
                ("version", "1".into()),
            ],
        ),
        ("acme", format!("{acme}/users/102/delete"), Vec::new()),
        ("acme", format!("{acme}/bulk/reset"), {
            let mut fields = one();
            fields.push(("option", "name".into()));
            fields
        }),
        ("acme", format!("{acme}/bulk/delete"), one()),
        ("acme", format!("{acme}/bulk/welcome"), one()),
        ("acme", format!("{acme}/bulk/force-reset"), one()),
        (
            "acme",
            format!("/jobs/{job}/recycle"),
            vec![("first_name", "Forged".into())],
        ),
        ("acme", format!("/jobs/{job}/stop"), Vec::new()),
        ("acme", format!("{acme}/users/deleted/restore"), one()),
        ("acme", format!("/jobs/{job}/undo"), Vec::new()),
        ("acme", format!("{acme}/import"), Vec::new()),
        ("acme", format!("{acme}/import/1/apply"), Vec::new()),
        ("super", "/import".into(), Vec::new()),
        ("super", "/import/1/apply".into(), Vec::new()),
        ("acme", "/logout".into(), Vec::new()),
        (
            "acme",
            "/account/password".into(),
            vec![
                ("new_password", "a forged new password".into()),
                ("confirm_password", "a forged new password".into()),
            ],
        ),
        (
            "super",
            "/mail/test".into(),
            vec![("to", "forged@example.com".into())],
        ),
        (
            "nobody",
            "/login".into(),
            vec![
                ("login", "100@acme.example".into()),
                ("password", DEMO_PASSWORD.into()),
            ],
        ),
        (
            "nobody",
            "/password/some-token".into(),
            vec![
                ("new_password", "a forged new password".into()),
                ("confirm_password", "a forged new password".into()),
            ],
        ),
    ]
}

#[tokio::test]
async fn every_unsafe_route_refuses_a_missing_foreign_or_cross_site_token() -> TestResult {
    let scene = scene().await?;
    let app = &scene.app;
    let manager = app.new_browser()?;
    manager.signed_in_as("100@acme.example").await?;
    let super_user = app.new_browser()?;
    super_user.signed_in_as("9000@platform.example").await?;
    let nobody = app.new_browser()?;
    nobody.get("/login").await?;
    let stranger = app.new_browser()?;
    stranger.signed_in_as("100@globex.example").await?;
    let foreign_token = stranger.csrf_token().await?;
    let before = fingerprint(app).await?;

    let mut failures = Vec::new();
    for (who, path, fields) in unsafe_routes(scene.job, scene.target) {
        let browser = match who {
            "acme" => &manager,
            "super" => &super_user,
            _ => &nobody,
        };
        let own_token = browser.csrf_token().await?;
        let attempts = [
            ("no token", None, None),
            ("another session's token", Some(foreign_token.clone()), None),
            (
                "a forged Origin",
                Some(own_token),
                Some("https://evil.example"),
            ),
        ];
        for (how, token, origin) in attempts {
            let mut form = fields.clone();
            if let Some(token) = token {
                form.push(("csrf_token", token));
            }
            let mut request = browser.client.post(browser.url(&path)).form(&form);
            if let Some(origin) = origin {
                request = request.header("Origin", origin);
            }
            let status = request.send().await?.status();
            if status != StatusCode::FORBIDDEN {
                failures.push(format!("POST {path} with {how} answered {status}"));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        fingerprint(app).await?,
        before,
        "a refused request changed something"
    );
    // The sessions are intact: nothing signed anybody out.
    assert_status(
        &manager.get("/domains/acme.example/users").await?,
        StatusCode::OK,
    );
    Ok(())
}
