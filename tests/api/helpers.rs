//! Test servers, started with [`TestApp::builder`]; their databases, each a copy of a
//! template migrated once per run (see `templates`); a browser-like client, named
//! assertions, the row counts that say "nothing changed" (`counts`) and what snapshots
//! need (`snap`).

pub mod api;
mod counts;
pub mod snap;
mod templates;

use std::path::PathBuf;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pbx_portal::config::{MailSettings, MailTransport, SessionKey, Settings};
use pbx_portal::db::domains;
use pbx_portal::db::{DatabaseUrl, DbConn, Pool};
use pbx_portal::domain::{Extension, NewPassword, PersonName, Scope, ShortText};
use pbx_portal::email::SmtpUrl;
use pbx_portal::services::Acting;
use pbx_portal::services::demo;
use pbx_portal::services::users::{UserDetails, create_user};
use pbx_portal::startup::Application;
use reqwest::StatusCode;
use reqwest::redirect::Policy;
use templates::Contents;

pub use counts::DbCounts;
pub(crate) use snap::{assert_html_snapshot, element, masked, masked_ids, masked_json, part, tidy};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const DEMO_PASSWORD: &str = "demo-password";

/// The password of users made by [`TestApp::add_user`] (and the seeded office manager).
pub const FIXTURE_PASSWORD: &str = "fixture password";

/// The office manager [`TestAppBuilder::seeded`] adds to the seeded domain.
pub const SEED_MANAGER: &str = "999@seed-1.example";

/// A database of its own for one test: a SQLite file in a temporary folder, or, when
/// `TEST_DATABASE_URL` is set, a new PostgreSQL database on that server, dropped after.
/// Both are copies of a template migrated once per run (see `templates`).
pub struct TestDb {
    pub url: String,
    _folder: Option<tempfile::TempDir>,
    postgres_drop: Option<(String, String)>,
}

impl TestDb {
    /// A database with every migration applied and no rows.
    pub fn new() -> Result<Self, Box<dyn std::error::Error>> {
        Self::made(Some(Contents::Migrated))
    }

    /// A database holding the demo data of SPEC section 7.
    pub fn demo() -> Result<Self, Box<dyn std::error::Error>> {
        Self::made(Some(Contents::Demo))
    }

    /// A database with nothing in it, not even the schema.
    pub fn empty() -> Result<Self, Box<dyn std::error::Error>> {
        Self::made(None)
    }

    /// A copy of the template holding `contents`, or (`None`) a new database.
    fn made(contents: Option<Contents>) -> Result<Self, Box<dyn std::error::Error>> {
        match std::env::var("TEST_DATABASE_URL") {
            Ok(server) if !server.is_empty() => {
                let name = format!("portal_test_{}", templates::random_hex()?);
                let copy_of = match contents {
                    Some(contents) => {
                        format!(" TEMPLATE {}", templates::postgres(&server, contents)?)
                    }
                    None => String::new(),
                };
                let mut admin = PgConnection::establish(&server)?;
                admin.batch_execute(&format!("CREATE DATABASE {name}{copy_of}"))?;
                Ok(Self {
                    url: templates::database_url(&server, &name)?,
                    _folder: None,
                    postgres_drop: Some((server, name)),
                })
            }
            _ => {
                let folder = tempfile::tempdir()?;
                let path: PathBuf = folder.path().join("portal.db");
                if let Some(contents) = contents {
                    std::fs::copy(templates::sqlite(contents)?, &path)?;
                }
                Ok(Self {
                    url: format!("sqlite://{}", path.display()),
                    _folder: Some(folder),
                    postgres_drop: None,
                })
            }
        }
    }
}

impl TestDb {
    /// The same database again, for a second portal instance; the first one cleans up.
    pub fn another_handle(&self) -> Self {
        Self {
            url: self.url.clone(),
            _folder: None,
            postgres_drop: None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((server, name)) = &self.postgres_drop
            && let Ok(mut admin) = PgConnection::establish(server)
        {
            let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// A running portal, its pool, and a first browser ([`Browser`]) on it.
pub struct TestApp {
    pub browser: Browser,
    pub pool: Pool,
    /// Held so the database lives as long as the server.
    _db: TestDb,
}

impl std::ops::Deref for TestApp {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

/// A client with its own cookie jar that does not follow redirects, so tests see each 303.
/// A clone shares the jar.
#[derive(Clone)]
pub struct Browser {
    pub address: String,
    pub client: reqwest::Client,
}

/// How a test's portal starts: [`TestApp::builder`], the steps that differ from the
/// defaults, then [`start`](Self::start).
///
/// ```ignore
/// let app = TestApp::builder().demo().run_jobs(false).start().await?;
/// ```
#[must_use]
pub struct TestAppBuilder {
    db: Option<TestDb>,
    demo: bool,
    seeded_users: Option<u32>,
    sign_in: Option<(String, String)>,
    run_jobs: bool,
    job_batch_size: u32,
    retention_days: u32,
    api_requests_per_minute: u32,
    trusted_proxies: Vec<std::net::IpAddr>,
    metrics_token: Option<String>,
    mail: MailSettings,
}

impl TestApp {
    /// A portal on a database of its own with the schema and no rows, that works on
    /// bulk jobs in batches of the default size and only queues mail.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            db: None,
            demo: false,
            seeded_users: None,
            sign_in: None,
            run_jobs: true,
            job_batch_size: pbx_portal::jobs::runner::DEFAULT_BATCH_SIZE,
            retention_days: pbx_portal::config::DEFAULT_RETENTION_DAYS,
            api_requests_per_minute: 0,
            trusted_proxies: Vec::new(),
            metrics_token: None,
            mail: MailSettings::queued_only(),
        }
    }
}

impl TestAppBuilder {
    /// On `db` (as it is) rather than on a database of its own.
    pub fn on(mut self, db: TestDb) -> Self {
        self.db = Some(db);
        self
    }

    /// With the demo data of SPEC section 7: a copy of the demo template, or, on a
    /// database given with [`on`](Self::on), loaded into it once the portal runs.
    pub fn demo(mut self) -> Self {
        self.demo = true;
        self
    }

    /// With one seeded domain, `seed-1.example`, of `users` users with attached data,
    /// and its office manager [`SEED_MANAGER`] (password [`FIXTURE_PASSWORD`]).
    pub fn seeded(mut self, users: u32) -> Self {
        self.seeded_users = Some(users);
        self
    }

    /// With the first browser signed in through the form (checked to work), once the
    /// data is there.
    pub fn signed_in(mut self, login: &str, password: &str) -> Self {
        self.sign_in = Some((login.to_owned(), password.to_owned()));
        self
    }

    /// Whether the portal works on bulk jobs (and delivers mail).
    pub fn run_jobs(mut self, run_jobs: bool) -> Self {
        self.run_jobs = run_jobs;
        self
    }

    /// How many items of a bulk job it does per batch.
    pub fn job_batch_size(mut self, size: u32) -> Self {
        self.job_batch_size = size;
        self
    }

    /// How many days deleted users and reset data are kept (0: purged at the job
    /// worker's next look).
    pub fn retention_days(mut self, days: u32) -> Self {
        self.retention_days = days;
        self
    }

    /// How many API requests a token may make per minute (the default here: no limit).
    pub fn api_rate_limit(mut self, per_minute: u32) -> Self {
        self.api_requests_per_minute = per_minute;
        self
    }

    /// Believes `X-Forwarded-For` from these peers.
    pub fn trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> Self {
        self.trusted_proxies = proxies;
        self
    }

    /// Opens `/metrics` to requests carrying `token`.
    pub fn metrics_token(mut self, token: &str) -> Self {
        self.metrics_token = Some(token.to_owned());
        self
    }

    /// How it sends mail (see [`mailing_to`]).
    pub fn mail(mut self, mail: MailSettings) -> Self {
        self.mail = mail;
        self
    }

    /// Starts the portal; returns once its data is in place and, if asked, its first
    /// browser is signed in.
    pub async fn start(self) -> Result<TestApp, Box<dyn std::error::Error>> {
        let Self {
            db,
            demo: with_demo,
            seeded_users,
            sign_in,
            run_jobs,
            job_batch_size,
            retention_days,
            api_requests_per_minute,
            trusted_proxies,
            metrics_token,
            mail,
        } = self;
        let load_demo = with_demo && db.is_some();
        let db = match db {
            Some(db) => db,
            None if with_demo => TestDb::demo()?,
            None => TestDb::new()?,
        };
        let settings = Settings {
            database_url: DatabaseUrl::parse(&db.url)?,
            bind: "127.0.0.1:0".into(),
            public_url: None,
            session_key: SessionKey::from_text(&SessionKey::generate_text()?)?,
            db_pool_size: 4,
            workers: Some(1),
            run_jobs,
            job_batch_size,
            results_cache_bytes: 4 << 20,
            retention_days,
            api_requests_per_minute,
            trusted_proxies,
            metrics_token: metrics_token
                .as_deref()
                .map(pbx_portal::config::MetricsToken::from_text)
                .transpose()?,
            mail,
        };
        let app = Application::build(settings)?;
        let address = format!("http://127.0.0.1:{}", app.port());
        let pool = app.pool();
        tokio::spawn(app.run_until_stopped());
        let app = TestApp {
            browser: Browser {
                address,
                client: new_client()?,
            },
            pool,
            _db: db,
        };
        if load_demo {
            app.run(demo::load_demo).await?;
        }
        if let Some(users) = seeded_users {
            app.run(move |conn| pbx_portal::services::seed::seed(conn, 1, users).map(drop))
                .await?;
            app.add_user("seed-1.example", "999", Scope::OfficeManager)
                .await?;
        }
        if let Some((login, password)) = sign_in {
            assert_redirect(&app.sign_in(&login, &password).await?, "/");
        }
        Ok(app)
    }
}

/// Mail settings that deliver to `smtp_url`, retrying after a fifth of a second
/// (doubling), so an outage test does not wait half a minute.
pub fn mailing_to(smtp_url: &str) -> Result<MailSettings, Box<dyn std::error::Error>> {
    Ok(MailSettings {
        transport: MailTransport::Smtp(SmtpUrl::parse(smtp_url)?),
        retry_after: std::time::Duration::from_millis(200),
        ..MailSettings::queued_only()
    })
}

pub fn new_client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
}

impl TestApp {
    /// The backend this test's database is on.
    pub fn backend(&self) -> pbx_portal::db::Backend {
        if self._db.url.starts_with("postgres") {
            pbx_portal::db::Backend::Postgres
        } else {
            pbx_portal::db::Backend::Sqlite
        }
    }

    /// A second browser, with cookies of its own, on the same portal.
    pub fn new_browser(&self) -> Result<Browser, reqwest::Error> {
        Ok(Browser {
            address: self.address.clone(),
            client: new_client()?,
        })
    }

    /// Runs `work` on a connection of the test's database, off the async threads.
    async fn run<T: Send + 'static, E: std::fmt::Display>(
        &self,
        work: impl FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
    ) -> Result<T, Box<dyn std::error::Error>> {
        let pool = self.pool.clone();
        let result = tokio::task::spawn_blocking(move || -> Result<T, String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            work(&mut conn).map_err(|e| e.to_string())
        })
        .await??;
        Ok(result)
    }

    /// Runs a query on the test's database.
    pub async fn query<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut DbConn) -> QueryResult<T> + Send + 'static,
    ) -> Result<T, Box<dyn std::error::Error>> {
        self.run(work).await
    }
}

impl Browser {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Result<reqwest::Response> {
        self.client.get(self.url(path)).send().await
    }

    /// Posts a form as a browser would, adding the session's CSRF token (taken from
    /// `token_page`, a page that shows it).
    pub async fn post_form(
        &self,
        path: &str,
        fields: &[(&str, &str)],
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        let token = self.csrf_token().await?;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        Ok(self.client.post(self.url(path)).form(&form).send().await?)
    }

    /// Uploads `bytes` as the file field `file` named `file_name`, as the Import form
    /// does (multipart, with the session's CSRF token as a field before the file).
    pub async fn upload(
        &self,
        path: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        let token = self.csrf_token().await?;
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str("text/csv")?;
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", token)
            .part("file", part);
        Ok(self
            .client
            .post(self.url(path))
            .multipart(form)
            .send()
            .await?)
    }

    /// Checks a file on the import page `path` as **Check** does: the upload is answered
    /// with a redirect to the check's own page, which is read; returns that page.
    pub async fn check_file(
        &self,
        path: &str,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<String, Box<dyn std::error::Error>> {
        let checked = self.upload(path, file_name, bytes).await?;
        assert_eq!(checked.status(), StatusCode::SEE_OTHER, "for {path}");
        let location = checked
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or("no check page to go to")?
            .to_owned();
        assert!(location.starts_with(&format!("{path}/")), "{location}");
        let page = self.get(&location).await?;
        assert_status(&page, StatusCode::OK);
        Ok(page.text().await?)
    }

    /// The CSRF token of this client's session, read from a page that carries it.
    pub async fn csrf_token(&self) -> Result<String, Box<dyn std::error::Error>> {
        for page in ["/", "/account/password", "/logout"] {
            let response = self.get(page).await?;
            let shows_a_page =
                response.status() == StatusCode::OK || response.status() == StatusCode::FORBIDDEN;
            if shows_a_page && let Some(token) = find_csrf_token(&response.text().await?) {
                return Ok(token);
            }
        }
        let login = self.get("/login").await?.text().await?;
        find_csrf_token(&login).ok_or_else(|| "no CSRF token on the sign-in page".into())
    }

    /// Posts a raw form body with the session's token in the `X-CSRF-Token` header, as
    /// htmx does, so the body can be anything a test wants to try.
    pub async fn post_body(
        &self,
        path: &str,
        body: impl Into<reqwest::Body>,
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        let token = self.csrf_token().await?;
        Ok(self
            .client
            .post(self.url(path))
            .header("X-CSRF-Token", token)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await?)
    }

    /// Signs in through the form; returns the answer to the POST.
    pub async fn sign_in(
        &self,
        login: &str,
        password: &str,
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        self.sign_in_with(login, password, &[]).await
    }

    /// Signs in through the form, sending `headers` with the POST (e.g. what a proxy
    /// adds); returns the answer to the POST.
    pub async fn sign_in_with(
        &self,
        login: &str,
        password: &str,
        headers: &[(&str, &str)],
    ) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
        let page = self.get("/login").await?.text().await?;
        let token = find_csrf_token(&page).ok_or("no CSRF token on the sign-in page")?;
        let mut request = self.client.post(self.url("/login")).form(&[
            ("login", login),
            ("password", password),
            ("csrf_token", &token),
        ]);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Ok(request.send().await?)
    }

    /// Signs in and checks it worked.
    pub async fn signed_in_as(&self, login: &str) -> TestResult {
        let response = self.sign_in(login, DEMO_PASSWORD).await?;
        assert_redirect(&response, "/");
        Ok(())
    }
}

pub fn find_csrf_token(html: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].to_owned())
}

#[track_caller]
pub fn assert_redirect(response: &reqwest::Response, location: &str) {
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "expected a redirect to {location}"
    );
    let actual = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok());
    assert_eq!(actual, Some(location));
}

#[track_caller]
pub fn assert_status(response: &reqwest::Response, status: StatusCode) {
    assert_eq!(response.status(), status, "for {}", response.url());
}

/// Fixtures straight into the database, as the command line would make them.
impl TestApp {
    /// Creates a user with a name and the given scope in an existing domain.
    pub async fn add_user(
        &self,
        domain: &'static str,
        extension: &'static str,
        scope: Scope,
    ) -> TestResult {
        let pool = self.pool.clone();
        tokio::task::spawn_blocking(move || -> Result<(), String> {
            let mut conn = pool.get().map_err(|e| e.to_string())?;
            let domain = domains::find_by_name(&mut conn, domain)
                .map_err(|e| e.to_string())?
                .ok_or("no such domain")?;
            let details = UserDetails {
                first_name: PersonName::parse("Fixture").map_err(|e| e.to_string())?,
                last_name: PersonName::parse(extension).map_err(|e| e.to_string())?,
                email: None,
                scope,
                department: ShortText::parse("").map_err(|e| e.to_string())?,
                site: ShortText::parse("").map_err(|e| e.to_string())?,
                time_zone: Default::default(),
                caller_id_number: Default::default(),
                emergency_caller_id: Default::default(),
            };
            let extension = Extension::parse(extension).map_err(|e| e.to_string())?;
            let password =
                NewPassword::parse(FIXTURE_PASSWORD, &extension).map_err(|e| e.to_string())?;
            create_user(
                &mut conn,
                &Acting::command_line(),
                &domain,
                &extension,
                &details,
                Some(&password),
            )
            .map(|_| ())
            .map_err(|e| e.to_string())
        })
        .await??;
        Ok(())
    }

    /// Whether a user with this extension exists in the domain.
    pub async fn user_exists(
        &self,
        domain: &'static str,
        extension: &'static str,
    ) -> Result<bool, Box<dyn std::error::Error>> {
        self.query(move |conn| {
            let domain =
                domains::find_by_name(conn, domain)?.ok_or(diesel::result::Error::NotFound)?;
            Ok(pbx_portal::db::users::find_by_extension(conn, domain.id, extension)?.is_some())
        })
        .await
    }
}

/// The text of every element a page marks with `marker` (e.g. `<td>`), crudely: enough
/// to read a column back out of a rendered table.
pub fn cells_after(html: &str, marker: &str) -> Vec<String> {
    html.match_indices(marker)
        .filter_map(|(start, _)| {
            let rest = &html[start + marker.len()..];
            let end = rest.find('<')?;
            Some(rest[..end].trim().to_owned())
        })
        .collect()
}

/// The extensions listed in a Users page's table, in order.
pub fn listed_extensions(html: &str) -> Vec<String> {
    cells_after(html, "data-delete-extension=\"")
        .into_iter()
        .map(|cell| cell.split('"').next().unwrap_or_default().to_owned())
        .collect()
}

/// The key of the checked file a Check page names (in its Import or Download errors
/// address).
pub fn checked_file_in(html: &str) -> Option<String> {
    let start = html.find("/import/")? + "/import/".len();
    let key: String = html[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_'))
        .collect();
    (!key.is_empty()).then_some(key)
}

/// The href of the link with the given id.
pub fn link_href(html: &str, id: &str) -> Option<String> {
    let marker = format!("id=\"{id}\" href=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')? + start;
    Some(html[start..end].replace("&#38;", "&").replace("&amp;", "&"))
}

/// `n` values drawn from `strategy`, the same ones every run (the bad-input tests).
pub fn cases<S: proptest::strategy::Strategy>(
    strategy: S,
    n: usize,
) -> Result<Vec<S::Value>, String> {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    (0..n)
        .map(|_| {
            strategy
                .new_tree(&mut runner)
                .map(|tree| tree.current())
                .map_err(|err| err.to_string())
        })
        .collect()
}

/// Makes every session's password as old as `minutes` ago (`None`: never given, as for
/// a session opened before the portal kept it).
pub async fn age_passwords(app: &TestApp, minutes: Option<i64>) -> TestResult {
    let at = minutes.map(|m| chrono::Utc::now().naive_utc() - chrono::TimeDelta::minutes(m));
    app.query(move |conn| {
        diesel::update(pbx_portal::db::schema::sessions::table)
            .set(pbx_portal::db::schema::sessions::password_confirmed_at.eq(at))
            .execute(conn)
    })
    .await?;
    Ok(())
}
