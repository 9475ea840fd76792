//! The `pbx-portal` command line (SPEC section 7): serve | migrate | demo | seed |
//! user add. It turns flags and environment into settings and calls the library.

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use pbx_portal::config::{
    DEFAULT_API_REQUESTS_PER_MINUTE, DEFAULT_LINK_VALID_HOURS, DEFAULT_MAIL_FROM,
    DEFAULT_RETENTION_DAYS, MailSettings, MailTransport, MetricsToken, SessionKey, Settings,
    parse_trusted_proxies,
};
use pbx_portal::db::{self, DatabaseUrl};
use pbx_portal::domain::fields::{ParsedUser, TypedUser};
use pbx_portal::domain::{DomainName, Extension, NewPassword};
use pbx_portal::email::SmtpUrl;
use pbx_portal::jobs::runner::DEFAULT_BATCH_SIZE;
use pbx_portal::services::{Acting, demo, seed, users};
use pbx_portal::startup::Application;
use pbx_portal::views::results_cache::{DEFAULT_CACHE_MIB, mib_to_bytes};

type CliResult = Result<(), Box<dyn std::error::Error>>;

/// `PORTAL_TRUSTED_PROXIES` parsed (a type of its own: clap takes a `Vec` for a list of
/// flags, and this is one flag).
type TrustedProxies = Vec<std::net::IpAddr>;

#[derive(Parser)]
#[command(
    name = "pbx-portal",
    version,
    about = "Admin portal of a hosted phone system"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the portal (migrations are applied at start).
    Serve(ServeArgs),
    /// Apply pending migrations and exit.
    Migrate(DatabaseArgs),
    /// Load the demo data into an empty database, then serve it.
    Demo(DemoArgs),
    /// Make synthetic domains full of users, for benchmarks.
    Seed(SeedArgs),
    /// Manage users from the shell.
    #[command(subcommand)]
    User(UserCommand),
}

#[derive(Args)]
struct DatabaseArgs {
    /// sqlite:///abs/path.db, sqlite://relative.db or postgres://user@host/db
    #[arg(long, env = "DATABASE_URL", default_value = "sqlite://pbx-portal.db")]
    database_url: String,
}

#[derive(Args)]
struct ServeArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Address to listen on.
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// The address people reach the portal at; https:// marks the cookie Secure.
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// At least 64 random characters; encrypts session cookies. Without it, a key is
    /// generated at start and sessions end when the process does.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    session_key: Option<String>,
    /// Most pooled database connections (default: SQLite two per core, PostgreSQL 8).
    #[arg(long, env = "PORTAL_DB_POOL_SIZE", value_parser = clap::value_parser!(u32).range(1..=1000))]
    db_pool_size: Option<u32>,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PORTAL_WORKERS")]
    workers: Option<usize>,
    /// Work on bulk jobs (true), or only serve pages and leave jobs to other instances
    /// sharing the database (false).
    #[arg(long, env = "PORTAL_RUN_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    run_jobs: bool,
    /// Users a bulk job changes per transaction: smaller holds SQLite's write lock for
    /// less time, larger finishes sooner.
    #[arg(long, env = "PORTAL_JOB_BATCH_SIZE", default_value_t = DEFAULT_BATCH_SIZE,
          value_parser = clap::value_parser!(u32).range(1..=10_000))]
    job_batch_size: u32,
    /// MiB of rendered Users-page results kept for reuse while the domain's users are
    /// unchanged; 0 turns the cache off.
    #[arg(long, env = "PORTAL_PAGE_CACHE_MIB", default_value_t = DEFAULT_CACHE_MIB,
          value_parser = clap::value_parser!(u32).range(0..=4096))]
    page_cache_mib: u32,
    /// Days a deleted user, and what a reset cleared, can be put back (0: until the job
    /// worker's next look).
    #[arg(long, env = "PORTAL_RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    retention_days: u32,
    /// API requests one user may make per minute over all their tokens, and requests
    /// with a missing or refused token one client address may make (0: no limit).
    #[arg(long, env = "PORTAL_API_RATE_LIMIT", default_value_t = DEFAULT_API_REQUESTS_PER_MINUTE)]
    api_rate_limit: u32,
    /// Load balancers (IP addresses, comma-separated) whose X-Forwarded-For names the
    /// client, e.g. 127.0.0.1 behind an nginx on the same machine.
    #[arg(long, env = "PORTAL_TRUSTED_PROXIES", default_value = "", value_parser = parse_trusted_proxies)]
    trusted_proxies: TrustedProxies,
    /// At least 32 random characters that open /metrics from anywhere, as
    /// `Authorization: Bearer …`; without it only requests made on this machine may.
    #[arg(long, env = "PORTAL_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    #[command(flatten)]
    mail: MailArgs,
    /// Write outgoing mail as .eml files into this folder instead of sending it.
    #[arg(long, env = "MAIL_DIR", conflicts_with = "smtp_url")]
    mail_dir: Option<PathBuf>,
}

#[derive(Args)]
struct MailArgs {
    /// smtp://[user:pass@]host:port (STARTTLS when offered; required with a user and password
    /// unless ?tls=opportunistic) or smtps://…
    #[arg(long, env = "SMTP_URL", hide_env_values = true)]
    smtp_url: Option<String>,
    /// The From of outgoing mail.
    #[arg(long, env = "MAIL_FROM", default_value = DEFAULT_MAIL_FROM)]
    mail_from: String,
    /// Hours a set-password link stays valid.
    #[arg(long, env = "PASSWORD_LINK_HOURS", default_value_t = DEFAULT_LINK_VALID_HOURS,
          value_parser = clap::value_parser!(u32).range(1..=8760))]
    link_valid_hours: u32,
    /// Seconds before the first retry of a failed delivery (doubling after).
    #[arg(long, env = "MAIL_RETRY_SECONDS", default_value_t = 30.0)]
    mail_retry_seconds: f64,
}

impl MailArgs {
    /// The mail settings, with `fallback` as the transport when no SMTP_URL is given.
    fn settings(
        &self,
        fallback: MailTransport,
    ) -> Result<MailSettings, Box<dyn std::error::Error>> {
        let transport = match &self.smtp_url {
            Some(url) => MailTransport::Smtp(SmtpUrl::parse(url)?),
            None => fallback,
        };
        let retry_after = std::time::Duration::try_from_secs_f64(self.mail_retry_seconds)
            .map_err(|_| "MAIL_RETRY_SECONDS must be a positive number of seconds")?;
        Ok(MailSettings {
            transport,
            from: self.mail_from.clone(),
            link_valid_hours: self.link_valid_hours,
            retry_after,
            send_deadline: pbx_portal::config::DEFAULT_SEND_DEADLINE,
        })
    }
}

#[derive(Args)]
struct DemoArgs {
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://pbx-portal-demo.db"
    )]
    database_url: String,
    #[arg(long, env = "PORTAL_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    #[arg(long, env = "PUBLIC_URL")]
    public_url: Option<String>,
    /// Without it, a key is generated once and kept beside the database.
    #[arg(long, env = "SESSION_KEY", hide_env_values = true)]
    session_key: Option<String>,
    #[command(flatten)]
    mail: MailArgs,
    /// Where mail goes when SMTP_URL is not set.
    #[arg(long, env = "MAIL_DIR", default_value = "pbx-portal-demo-mail")]
    mail_dir: PathBuf,
    /// Work on bulk jobs (true), or leave them pending for another instance (false),
    /// as `serve --run-jobs` does.
    #[arg(long, env = "PORTAL_RUN_JOBS", default_value_t = true, action = clap::ArgAction::Set)]
    run_jobs: bool,
    /// Days a deleted user, and what a reset cleared, can be put back (0: until the job
    /// worker's next look).
    #[arg(long, env = "PORTAL_RETENTION_DAYS", default_value_t = DEFAULT_RETENTION_DAYS,
          value_parser = clap::value_parser!(u32).range(0..=3650))]
    retention_days: u32,
}

#[derive(Args)]
struct SeedArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    /// Number of domains: seed-1.example … seed-N.example.
    #[arg(long)]
    domains: u32,
    /// Users in each domain, extensions from 1000 upward.
    #[arg(long)]
    users_per_domain: u32,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user (and its domain if new); the password is read from stdin.
    Add(UserAddArgs),
}

#[derive(Args)]
struct UserAddArgs {
    #[command(flatten)]
    database: DatabaseArgs,
    #[arg(long)]
    domain: String,
    #[arg(long)]
    extension: String,
    /// A scope by name, e.g. "Office Manager".
    #[arg(long)]
    scope: String,
    #[arg(long)]
    first_name: String,
    #[arg(long)]
    last_name: String,
    #[arg(long)]
    email: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let outcome = match Cli::parse().command {
        Command::Serve(args) => serve(args),
        Command::Migrate(args) => migrate(&args),
        Command::Demo(args) => run_demo(args),
        Command::Seed(args) => run_seed(&args),
        Command::User(UserCommand::Add(args)) => user_add(&args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("pbx-portal: {err}");
            ExitCode::FAILURE
        }
    }
}

fn open_pool(database_url: &str) -> Result<db::Pool, Box<dyn std::error::Error>> {
    Ok(db::connect(&DatabaseUrl::parse(database_url)?, 2)?)
}

fn serve(args: ServeArgs) -> CliResult {
    let session_key = match &args.session_key {
        Some(text) => SessionKey::from_text(text)?,
        None => {
            tracing::warn!(
                "SESSION_KEY is not set: sessions will end when this process stops, and \
                 authenticator apps cannot be set up"
            );
            SessionKey::for_this_process()
        }
    };
    let database_url = DatabaseUrl::parse(&args.database.database_url)?;
    let settings = Settings {
        db_pool_size: args
            .db_pool_size
            .unwrap_or_else(|| database_url.default_pool_size()),
        database_url,
        bind: args.bind,
        public_url: args.public_url,
        session_key,
        workers: args.workers,
        run_jobs: args.run_jobs,
        job_batch_size: args.job_batch_size,
        results_cache_bytes: mib_to_bytes(args.page_cache_mib),
        retention_days: args.retention_days,
        api_requests_per_minute: args.api_rate_limit,
        trusted_proxies: args.trusted_proxies,
        metrics_token: args
            .metrics_token
            .as_deref()
            .map(MetricsToken::from_text)
            .transpose()?,
        mail: args.mail.settings(match args.mail_dir {
            Some(dir) => MailTransport::Folder(dir),
            None => MailTransport::None,
        })?,
    };
    if matches!(settings.mail.transport, MailTransport::None) {
        tracing::warn!("neither SMTP_URL nor MAIL_DIR is set: e-mail waits in the outbox");
    }
    run_server(settings, None)
}

fn run_server(settings: Settings, banner: Option<String>) -> CliResult {
    let host = settings
        .bind
        .rsplit_once(':')
        .map_or("127.0.0.1", |(host, _)| host)
        .to_owned();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let system = actix_web::rt::System::with_tokio_rt(|| runtime);
    system.block_on(async move {
        let app = Application::build(settings)?;
        // A loopback address is printed as localhost: passkeys refuse IP addresses.
        let address = pbx_portal::services::passkeys::passkey_address(&format!(
            "http://{host}:{}/",
            app.port()
        ));
        match banner {
            Some(banner) => println!("{banner}\nThe portal is at {address}"),
            None => tracing::info!(%address, "pbx-portal listening"),
        }
        app.run_until_signalled().await?;
        Ok(())
    })
}

fn migrate(args: &DatabaseArgs) -> CliResult {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let applied = db::migrate(&url)?;
    println!("Migrations are up to date ({applied} applied now).");
    Ok(())
}

/// The demo keeps its generated session key beside its database, so sessions survive a
/// restart of the demo.
fn demo_session_key(
    url: &DatabaseUrl,
    configured: Option<&str>,
) -> Result<SessionKey, Box<dyn std::error::Error>> {
    if let Some(text) = configured {
        return Ok(SessionKey::from_text(text)?);
    }
    let path = PathBuf::from(match url.sqlite_path() {
        Some(db_path) => format!("{db_path}.session-key"),
        None => "pbx-portal-demo.session-key".to_owned(),
    });
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text.trim().to_owned(),
        Err(_) => {
            let text = SessionKey::generate_text()?;
            std::fs::write(&path, &text).map_err(|err| {
                format!("cannot keep the session key in {}: {err}", path.display())
            })?;
            text
        }
    };
    Ok(SessionKey::from_text(&text)?)
}

fn absolute(path: &std::path::Path) -> std::io::Result<PathBuf> {
    if path.is_absolute() {
        Ok(path.to_path_buf())
    } else {
        Ok(std::env::current_dir()?.join(path))
    }
}

fn run_demo(args: DemoArgs) -> CliResult {
    let url = DatabaseUrl::parse(&args.database_url)?;
    let pool = db::connect(&url, 1)?;
    let loaded = match demo::load_demo(&mut *pool.get()?) {
        Ok(()) => "Loaded the demo data.".to_owned(),
        Err(demo::DemoError::NotEmpty) => {
            "The database holds data already; serving it as it is.".to_owned()
        }
        Err(err) => return Err(err.into()),
    };
    drop(pool);
    let mut banner = format!(
        "{loaded} Database: {url:?}\nDemo logins (password: {}):",
        demo::DEMO_PASSWORD
    );
    for (login, what) in demo::DEMO_LOGINS {
        banner.push_str(&format!("\n  {login:<24} {what}"));
    }
    let settings = Settings {
        session_key: demo_session_key(&url, args.session_key.as_deref())?,
        db_pool_size: url.default_pool_size(),
        database_url: url,
        bind: args.bind,
        public_url: args.public_url,
        workers: None,
        run_jobs: args.run_jobs,
        job_batch_size: DEFAULT_BATCH_SIZE,
        results_cache_bytes: mib_to_bytes(DEFAULT_CACHE_MIB),
        retention_days: args.retention_days,
        api_requests_per_minute: DEFAULT_API_REQUESTS_PER_MINUTE,
        trusted_proxies: Vec::new(),
        metrics_token: None,
        mail: args
            .mail
            .settings(MailTransport::Folder(absolute(&args.mail_dir)?))?,
    };
    match &settings.mail.transport {
        MailTransport::Folder(dir) => {
            banner.push_str(&format!("\nOutgoing mail is written to {}", dir.display()));
        }
        MailTransport::Smtp(url) => banner.push_str(&format!("\nOutgoing mail goes to {url:?}")),
        MailTransport::None => {}
    }
    run_server(settings, Some(banner))
}

fn run_seed(args: &SeedArgs) -> CliResult {
    let pool = open_pool(&args.database.database_url)?;
    let summary = seed::seed(&mut *pool.get()?, args.domains, args.users_per_domain)?;
    println!(
        "Seeded {} domains ({} … {}) with {} users and {} attached rows in {:.2} s.",
        summary.domains,
        seed::seed_domain_name(1),
        seed::seed_domain_name(args.domains.max(1)),
        summary.users,
        summary.attached_rows,
        summary.elapsed.as_secs_f64()
    );
    Ok(())
}

/// Names the flag whose value was refused.
fn field<T>(name: &str, result: Result<T, pbx_portal::domain::Invalid>) -> Result<T, String> {
    result.map_err(|invalid| format!("--{name}: {invalid}"))
}

fn user_add(args: &UserAddArgs) -> CliResult {
    let domain_name = field("domain", DomainName::parse(&args.domain))?;
    let extension = field("extension", Extension::parse(&args.extension))?;
    let parsed = ParsedUser::parse(&TypedUser {
        first_name: Some(&args.first_name),
        last_name: Some(&args.last_name),
        email: Some(args.email.as_deref().unwrap_or_default()),
        scope: Some(&args.scope),
        department: Some(""),
        site: Some(""),
        ..TypedUser::default()
    });
    if let Some((refused, invalid)) = parsed.refusals().first() {
        return Err(format!("--{}: {invalid}", refused.key().replace('_', "-")).into());
    }
    let details = parsed
        .details()
        .ok_or("the user's details could not be read")?;
    let mut typed = String::new();
    std::io::stdin().read_to_string(&mut typed)?;
    let typed = typed.trim_end_matches(['\r', '\n']);
    let password = if typed.is_empty() {
        None
    } else {
        Some(field(
            "password (stdin)",
            NewPassword::parse(typed, &extension),
        )?)
    };
    let pool = open_pool(&args.database.database_url)?;
    let mut conn = pool.get()?;
    let domain = users::domain_or_create(&mut conn, &domain_name)?;
    let user = users::create_user(
        &mut conn,
        &Acting::command_line(),
        &domain,
        &extension,
        &details,
        password.as_ref(),
    )?;
    println!(
        "Created {}@{} ({}), {}.",
        user.extension,
        domain.name,
        details.scope,
        if password.is_some() {
            "with a portal password"
        } else {
            "without a portal password"
        }
    );
    Ok(())
}
