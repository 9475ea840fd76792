//! The API's matrices: every route under `/api/v1` is in the OpenAPI document and the
//! document names no other (so a route cannot be added undocumented, nor documented
//! after it is gone), and each one is served behind a bearer token; every kind of
//! caller that is not the domain's (no token, a malformed, revoked or expired one,
//! another domain's office manager, a Basic User, another reseller) is refused on every
//! route, changes nothing and sees none of the domain's data; the API takes no session
//! cookie and needs no CSRF token; generated bad input never gets a server error; and
//! the rate limit answers 429 with a `Retry-After`.

use std::collections::BTreeSet;

use chrono::{TimeDelta, Utc};
use diesel::prelude::*;
use pbx_portal::db::schema::{api_tokens, users};
use pbx_portal::domain::Scope;
use proptest::prelude::*;
use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::api::{Answer, Api};
use crate::helpers::*;

type Failure = Box<dyn std::error::Error>;

/// Every route of the API, as the OpenAPI document names it.
const ROUTES: [(&str, &str); 10] = [
    ("GET", "/api/v1/domains"),
    ("GET", "/api/v1/domains/{domain}/users"),
    ("POST", "/api/v1/domains/{domain}/users"),
    ("GET", "/api/v1/domains/{domain}/users/{extension}"),
    ("PATCH", "/api/v1/domains/{domain}/users/{extension}"),
    ("DELETE", "/api/v1/domains/{domain}/users/{extension}"),
    ("POST", "/api/v1/domains/{domain}/jobs"),
    ("GET", "/api/v1/jobs/{id}"),
    ("POST", "/api/v1/jobs/{id}/stop"),
    ("POST", "/api/v1/jobs/{id}/retry"),
];

/// The keys of an OpenAPI path item that are operations.
const OPERATIONS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

const ACME: &str = "acme.example";
const PROBLEM: &str = "application/problem+json";

/// A route's path with concrete values for its parameters.
fn concrete(template: &str, domain: &str, extension: &str, job: i64) -> String {
    template
        .replace("{domain}", domain)
        .replace("{extension}", extension)
        .replace("{id}", &job.to_string())
}

/// A body that would change something, were the request accepted.
fn body_for(method: &str, template: &str, extension: &str) -> Option<Value> {
    match (method, template.rsplit('/').next()) {
        ("POST", Some("users")) => Some(json!({
            "extension": "170",
            "first_name": "Intruder",
            "last_name": "Planted",
            "scope": "Office Manager",
        })),
        ("PATCH", _) => Some(json!({ "first_name": "Hacked", "scope": "Office Manager" })),
        ("POST", Some("jobs")) => Some(json!({ "action": "delete", "extensions": [extension] })),
        _ => None,
    }
}

fn method_of(name: &str) -> Result<Method, Failure> {
    Ok(Method::from_bytes(name.as_bytes())?)
}

/// Whether `security` (an OpenAPI security requirement list) demands the bearer token:
/// at least one requirement, and each of them names the `bearer` scheme (an empty
/// requirement would make the token optional).
fn requires_bearer(security: &Value) -> bool {
    security.as_array().is_some_and(|requirements| {
        !requirements.is_empty()
            && requirements
                .iter()
                .all(|requirement| requirement.get("bearer").is_some())
    })
}

/// What is wrong with `answer` as a refusal with `status`, if anything: the status, a
/// problem document saying the same, and, for 401, a Bearer challenge.
fn refusal_problem(answer: &Answer, status: StatusCode) -> Option<String> {
    if answer.status != status {
        return Some(format!("answered {} ({})", answer.status, answer.body));
    }
    if answer.header("content-type") != Some(PROBLEM) {
        return Some(format!(
            "answered {:?}, not a problem document",
            answer.header("content-type")
        ));
    }
    if answer.body["status"] != status.as_u16() {
        return Some(format!("problem document says {}", answer.body["status"]));
    }
    let challenge = answer.header("www-authenticate").unwrap_or_default();
    if status == StatusCode::UNAUTHORIZED && !challenge.starts_with("Bearer") {
        return Some(format!("401 with the challenge {challenge:?}"));
    }
    None
}

/// Everything a refused request could have changed: each user's row, each token (its
/// "last used" aside: a live token's use is noted even when the request is refused), and
/// the row count of every table.
async fn fingerprint(app: &TestApp) -> Result<(String, DbCounts), Failure> {
    let rows = app
        .query(|conn| {
            type UserRow = (
                i64,
                i32,
                String,
                String,
                Option<String>,
                Option<String>,
                bool,
                i32,
            );
            let user_rows: Vec<UserRow> = users::table
                .order(users::id)
                .select((
                    users::id,
                    users::version,
                    users::first_name,
                    users::last_name,
                    users::email,
                    users::password_hash,
                    users::must_change_password,
                    users::scope,
                ))
                .load(conn)?;
            type TokenRow = (i64, i64, String, chrono::NaiveDateTime);
            let tokens: Vec<TokenRow> = api_tokens::table
                .order(api_tokens::id)
                .select((
                    api_tokens::id,
                    api_tokens::user_id,
                    api_tokens::name,
                    api_tokens::expires_at,
                ))
                .load(conn)?;
            Ok(format!("{user_rows:?} {tokens:?}"))
        })
        .await?;
    Ok((rows, app.db_counts().await?))
}

/// A token made now by `login` on the API tokens page of a browser of its own.
async fn token_of(app: &TestApp, login: &str, password: &str) -> Result<String, Failure> {
    let browser = app.new_browser()?;
    assert_redirect(&browser.sign_in(login, password).await?, "/");
    browser.create_token(&format!("matrix of {login}")).await
}

/// The row id of a token `pbx_{id}_{secret}`.
fn token_id(token: &str) -> Result<i64, Failure> {
    let (id, _) = token
        .strip_prefix("pbx_")
        .and_then(|rest| rest.split_once('_'))
        .ok_or("not a token")?;
    Ok(id.parse()?)
}

#[tokio::test]
async fn every_api_route_is_in_the_openapi_document() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let nobody = Api::new(&app, None)?;
    let answer = nobody.get("/api/openapi.json").await?;
    let document = answer.expect(StatusCode::OK).clone();
    assert!(
        answer
            .header("content-type")
            .is_some_and(|kind| kind.starts_with("application/json")),
        "{:?}",
        answer.header("content-type")
    );
    assert!(
        document["openapi"]
            .as_str()
            .is_some_and(|version| version.starts_with("3.1")),
        "openapi: {}",
        document["openapi"]
    );
    // The whole document, as a script's author reads it: a change to any route, field,
    // example or answer shows here.
    // (The portal's own version aside: a release changes nothing a script relies on.)
    insta::assert_json_snapshot!("openapi", document, {".info.version" => "[version]"});

    let served: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|(method, path)| ((*method).to_owned(), (*path).to_owned()))
        .collect();
    let paths = document["paths"]
        .as_object()
        .ok_or("the document has no paths")?;
    let mut documented = BTreeSet::new();
    let mut unguarded = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().ok_or("a path item that is no object")?;
        for (method, operation) in item {
            if !OPERATIONS.contains(&method.as_str()) {
                continue;
            }
            documented.insert((method.to_ascii_uppercase(), path.clone()));
            // An operation's own list replaces the document's (`[]` would make it public).
            let security = operation.get("security").unwrap_or(&document["security"]);
            if !requires_bearer(security) {
                unguarded.push(format!("{method} {path}: {security}"));
            }
        }
    }
    assert_eq!(
        documented, served,
        "the routes documented (left) are not the routes served (right)"
    );
    assert!(
        unguarded.is_empty(),
        "operations that do not require the bearer token: {unguarded:#?}"
    );
    let scheme = &document["components"]["securitySchemes"]["bearer"];
    assert_eq!(scheme["type"], "http", "bearer scheme: {scheme}");
    assert!(
        scheme["scheme"]
            .as_str()
            .is_some_and(|name| name.eq_ignore_ascii_case("bearer")),
        "bearer scheme: {scheme}"
    );

    // Each route is served: without a token it asks for one (an unrouted path would
    // answer 404).
    let mut failures = Vec::new();
    for (method, template) in ROUTES {
        let path = concrete(template, ACME, "101", 1);
        let body = body_for(method, template, "101");
        let answer = nobody
            .send(method_of(method)?, &path, body.as_ref(), &[])
            .await?;
        if let Some(wrong) = refusal_problem(&answer, StatusCode::UNAUTHORIZED) {
            failures.push(format!("{method} {path}: {wrong}"));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    // The token is checked before the body, path or query is read: no one without a
    // token learns how a request would be judged.
    let client = reqwest::Client::new();
    for (method, path) in [
        ("POST", "/api/v1/domains/acme.example/users"),
        ("PATCH", "/api/v1/domains/acme.example/users/101"),
        ("POST", "/api/v1/domains/acme.example/jobs"),
        ("GET", "/api/v1/domains/acme.example/users?limit=many"),
        ("GET", "/api/v1/jobs/not-a-number"),
    ] {
        let response = client
            .request(method_of(method)?, app.url(path))
            .header("Content-Type", "application/json")
            .body("{")
            .send()
            .await?;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path} with a malformed request and no token"
        );
    }
    // Under /api/v1 the token is checked first, even on a path that is no route; with
    // a live one, such a path is a 404 problem document.
    let unrouted = nobody.get("/api/v1/domains/acme.example/phones").await?;
    unrouted.expect(StatusCode::UNAUTHORIZED);
    let owner = Api::signed_as(&app, "100@acme.example").await?;
    let unrouted = owner.get("/api/v1/domains/acme.example/phones").await?;
    unrouted.expect(StatusCode::NOT_FOUND);
    assert!(unrouted.header("www-authenticate").is_none());

    // The page that renders the document runs no inline or evaluated script.
    let docs = app.get("/api/docs").await?;
    assert_status(&docs, StatusCode::OK);
    let kind = docs
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    assert!(kind.starts_with("text/html"), "{kind}");
    let policies: Vec<String> = docs
        .headers()
        .get_all("content-security-policy")
        .iter()
        .filter_map(|value| value.to_str().ok().map(str::to_owned))
        .collect();
    assert!(!policies.is_empty(), "no Content-Security-Policy");
    for policy in &policies {
        assert!(policy.contains("script-src 'self'"), "{policy}");
        assert!(!policy.contains("unsafe-eval"), "{policy}");
        let script_src = policy
            .split(';')
            .map(str::trim)
            .find(|directive| directive.starts_with("script-src"))
            .unwrap_or_default();
        assert!(!script_src.contains("unsafe-inline"), "{policy}");
    }
    // A whole page whose only scripts are files of the portal's own.
    assert_html_snapshot!("api_docs_page", docs.text().await?);
    Ok(())
}

/// How a caller of the matrix should be refused.
enum Expect {
    /// No live token: 401 everywhere.
    Unauthorized,
    /// A live token of someone who does not manage acme: 403 on every route of acme and
    /// its jobs; the domain list answers with the caller's own domains (none: 403).
    Forbidden(Option<&'static [&'static str]>),
}

struct Caller {
    who: &'static str,
    api: Api,
    headers: Vec<(&'static str, String)>,
    expect: Expect,
}

impl Caller {
    fn bearer(app: &TestApp, who: &'static str, token: &str) -> Result<Self, Failure> {
        Ok(Self {
            who,
            api: Api::new(app, Some(token))?,
            headers: Vec::new(),
            expect: Expect::Unauthorized,
        })
    }

    fn header(app: &TestApp, who: &'static str, authorization: String) -> Result<Self, Failure> {
        Ok(Self {
            who,
            api: Api::new(app, None)?,
            headers: vec![("Authorization", authorization)],
            expect: Expect::Unauthorized,
        })
    }

    fn live(who: &'static str, api: Api, domains: Option<&'static [&'static str]>) -> Self {
        Self {
            who,
            api,
            headers: Vec::new(),
            expect: Expect::Forbidden(domains),
        }
    }
}

/// The extension the matrix aims at, and a last name planted on it that only acme's
/// own managers may see.
const TARGET: &str = "130";
const PLANTED_NAME: &str = "Quillfeather";

#[tokio::test]
async fn outsiders_are_refused_on_every_api_route_and_change_nothing() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // Another reseller (Contoso, which has initech.example) with a login of its own.
    app.add_user("initech.example", "900", Scope::Reseller)
        .await?;
    let owner_token = token_of(&app, "100@acme.example", DEMO_PASSWORD).await?;
    let owner = Api::new(&app, Some(&owner_token))?;
    owner
        .send(
            Method::PATCH,
            &format!("/api/v1/domains/{ACME}/users/{TARGET}"),
            Some(&json!({ "last_name": PLANTED_NAME })),
            &[],
        )
        .await?
        .expect(StatusCode::OK);
    let finished = owner
        .run_job(ACME, &json!({ "action": "welcome", "extensions": ["110"] }))
        .await?;
    assert_eq!(finished["state"], "finished", "{finished}");
    let job = finished["id"].as_i64().ok_or("no job id")?;

    // acme's own manager sees what the outsiders must not.
    let listed = owner
        .get(&format!("/api/v1/domains/{ACME}/users?limit=100"))
        .await?;
    let listed = listed.expect(StatusCode::OK);
    let mut secrets: Vec<String> = listed["users"]
        .as_array()
        .ok_or("no users")?
        .iter()
        .filter_map(|user| user["email"].as_str().map(str::to_owned))
        .collect();
    assert!(secrets.len() > 40, "acme's addresses: {secrets:?}");
    assert!(listed.to_string().contains(PLANTED_NAME));
    secrets.push(PLANTED_NAME.to_owned());
    for (_, template) in ROUTES.iter().filter(|(method, _)| *method == "GET") {
        let path = concrete(template, ACME, TARGET, job);
        owner.get(&path).await?.expect(StatusCode::OK);
    }

    // Two tokens of acme's own manager, one to revoke and one to expire.
    let own_browser = app.new_browser()?;
    own_browser.signed_in_as("100@acme.example").await?;
    let to_revoke = own_browser.create_token("to revoke").await?;
    let to_expire = own_browser.create_token("to expire").await?;
    let globex = Api::signed_as(&app, "100@globex.example").await?;
    let basic = Api::signed_as(&app, "101@acme.example").await?;
    let initech = Api::new(
        &app,
        Some(&token_of(&app, "900@initech.example", FIXTURE_PASSWORD).await?),
    )?;
    for token in [&to_revoke, &to_expire] {
        // Live until now.
        Api::new(&app, Some(token))?
            .get("/api/v1/domains")
            .await?
            .expect(StatusCode::OK);
    }
    let revoked_id = token_id(&to_revoke)?;
    let revoke_action = format!("/account/tokens/{revoked_id}/revoke");
    let page = own_browser.get("/account/tokens").await?.text().await?;
    assert!(
        page.contains(&format!("action=\"{revoke_action}\"")),
        "no {revoke_action} on the tokens page"
    );
    assert_redirect(
        &own_browser.post_form(&revoke_action, &[]).await?,
        "/account/tokens",
    );
    let expired_id = token_id(&to_expire)?;
    let past = Utc::now().naive_utc() - TimeDelta::minutes(1);
    let expired = app
        .query(move |conn| {
            diesel::update(api_tokens::table.filter(api_tokens::id.eq(expired_id)))
                .set(api_tokens::expires_at.eq(past))
                .execute(conn)
        })
        .await?;
    assert_eq!(expired, 1, "the token to expire is there");

    let callers = [
        Caller {
            who: "no token",
            api: Api::new(&app, None)?,
            headers: Vec::new(),
            expect: Expect::Unauthorized,
        },
        Caller::bearer(&app, "a made-up token", "pbx_1_nonsense")?,
        Caller::bearer(
            &app,
            "a live token's id with another secret",
            &format!("pbx_{}_{}", token_id(&owner_token)?, "0".repeat(43)),
        )?,
        Caller::header(&app, "an empty Bearer", "Bearer ".to_owned())?,
        Caller::header(&app, "a live token without a scheme", owner_token.clone())?,
        Caller::header(
            &app,
            "a live token in the Basic scheme",
            format!("Basic {owner_token}"),
        )?,
        Caller::header(
            &app,
            "a password in the Basic scheme",
            "Basic MTAwQGFjbWUuZXhhbXBsZTpkZW1vLXBhc3N3b3Jk".to_owned(),
        )?,
        Caller::bearer(&app, "a revoked token of acme's manager", &to_revoke)?,
        Caller::bearer(&app, "an expired token of acme's manager", &to_expire)?,
        Caller::live(
            "globex's office manager",
            globex,
            Some(&["globex.example"][..]),
        ),
        Caller::live("a Basic User of acme", basic, None),
        Caller::live("another reseller", initech, Some(&["initech.example"][..])),
    ];
    let before = fingerprint(&app).await?;
    let mut failures = Vec::new();
    for (method, template) in ROUTES {
        let path = concrete(template, ACME, TARGET, job);
        let body = body_for(method, template, TARGET);
        for caller in &callers {
            let headers: Vec<(&str, &str)> = caller
                .headers
                .iter()
                .map(|(name, value)| (*name, value.as_str()))
                .collect();
            let answer = caller
                .api
                .send(method_of(method)?, &path, body.as_ref(), &headers)
                .await?;
            let wrong = match (&caller.expect, template) {
                (Expect::Unauthorized, _) => refusal_problem(&answer, StatusCode::UNAUTHORIZED),
                (Expect::Forbidden(Some(own)), "/api/v1/domains") => {
                    let names: Vec<&str> = answer.body["domains"]
                        .as_array()
                        .map(|domains| domains.iter().filter_map(|d| d["name"].as_str()).collect())
                        .unwrap_or_default();
                    (answer.status != StatusCode::OK || names != *own)
                        .then(|| format!("answered {} listing {names:?}", answer.status))
                }
                (Expect::Forbidden(_), _) => refusal_problem(&answer, StatusCode::FORBIDDEN),
            };
            if let Some(wrong) = wrong {
                failures.push(format!("{}: {method} {path} {wrong}", caller.who));
            }
            let shown = answer.body.to_string();
            if let Some(secret) = secrets
                .iter()
                .find(|secret| shown.contains(secret.as_str()))
            {
                failures.push(format!(
                    "{}: {method} {path} showed acme's {secret}",
                    caller.who
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(
        fingerprint(&app).await?,
        before,
        "a refused request changed something"
    );
    // The owner's token still works: no refusal took anything from it.
    let target = owner
        .get(&format!("/api/v1/domains/{ACME}/users/{TARGET}"))
        .await?;
    assert_eq!(target.expect(StatusCode::OK)["last_name"], PLANTED_NAME);
    Ok(())
}

#[tokio::test]
async fn the_api_takes_no_session_cookie_and_needs_no_csrf_token() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    // The cookie opens the pages ...
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::OK,
    );
    let before = fingerprint(&app).await?;
    // ... but not the API, not even with the session's CSRF token.
    let csrf = app.csrf_token().await?;
    let listed = app.get("/api/v1/domains").await?;
    let forged_job = app
        .client
        .post(app.url("/api/v1/domains/acme.example/jobs"))
        .header("X-CSRF-Token", &csrf)
        .json(&json!({ "action": "delete", "extensions": ["130"] }))
        .send()
        .await?;
    for response in [listed, forged_job] {
        assert_status(&response, StatusCode::UNAUTHORIZED);
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(header("content-type"), PROBLEM);
        assert!(header("www-authenticate").starts_with("Bearer"));
    }
    assert_eq!(
        fingerprint(&app).await?,
        before,
        "the cookie changed something"
    );

    // A token needs no CSRF token, from any origin: the request reaches the handler.
    let api = Api::signed_as(&app, "100@acme.example").await?;
    let cross_site = [
        ("Origin", "https://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ];
    let refused = api
        .send(
            Method::POST,
            "/api/v1/domains/acme.example/jobs",
            Some(&json!({ "action": "welcome", "extensions": ["199"] })),
            &cross_site,
        )
        .await?;
    let problem = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        problem["errors"][0]["pointer"], "#/extensions/0",
        "{problem}"
    );
    let changed = api
        .send(
            Method::PATCH,
            "/api/v1/domains/acme.example/users/131",
            Some(&json!({ "department": "Cross-site but bearer" })),
            &cross_site,
        )
        .await?;
    assert_eq!(
        changed.expect(StatusCode::OK)["department"],
        "Cross-site but bearer"
    );
    Ok(())
}

/// One generated request, sent with a live token of acme's office manager.
#[derive(Debug, Clone)]
struct Case {
    method: &'static str,
    path: String,
    body: Option<String>,
    headers: Vec<(&'static str, Vec<u8>)>,
}

/// Percent-encodes every byte outside unreserved URL characters.
fn encode(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(*byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn hex(text: &str) -> String {
    text.bytes().map(|byte| format!("{byte:02x}")).collect()
}

const SCOPES: &[&str] = &[
    "Basic User",
    "Simple User",
    "Office Manager",
    "Reseller",
    "Super User",
    "No Portal",
];
const ACTIONS: &[&str] = &[
    "reset",
    "delete",
    "welcome",
    "force_password_reset",
    "restore",
    "undo",
    "import",
    "recycle",
];
const STATUSES: &[&str] = &["setup-required", "password-required", "active"];
const OPTIONS: &[&str] = &[
    "name",
    "email",
    "password",
    "voicemail_pin",
    "additional_devices",
    "voicemail_messages",
    "voicemail_greetings",
    "answering_rules",
    "contacts",
    "call_history",
];
/// Numbers no field can hold.
const HUGE_NUMBERS: &[&str] = &[
    "1e999",
    "-1e999",
    "123456789012345678901234567890",
    "18446744073709551616",
    "-9223372036854775809",
    "-0",
    "0.5",
    "1E400",
];
/// Bodies that are not JSON objects, or not JSON.
const BROKEN_BODIES: &[&str] = &[
    "",
    "{",
    "{\"extension\":}",
    "[1,2",
    "null",
    "\"text\"",
    "{\"a\":\"\\ud800\"}",
    "{\"first_name\":\"x\",\"first_name\":\"y\"}",
    "\u{0}",
    "{} {}",
];

/// Text that tries hard to be trouble, without control characters.
fn printable() -> BoxedStrategy<String> {
    prop_oneof![
        Just(String::new()),
        Just("\u{202e}\u{200b}\u{feff}e\u{301}\u{1f600}".to_owned()),
        Just("' OR 1=1; DROP TABLE users; --".to_owned()),
        Just("%_\\%".to_owned()),
        Just("Ǆž ß İı ﬃ Σσς".to_owned()),
        "\\PC{0,30}",
        "[0-9]{1,12}",
        ".{200,400}",
    ]
    .boxed()
}

/// Text that tries hard to be trouble, sometimes with control characters (NUL too).
fn text() -> BoxedStrategy<String> {
    prop_oneof![
        6 => printable(),
        1 => Just("\u{0}".to_owned()),
        1 => Just("a\u{0}b".to_owned()),
        1 => "[\\x00-\\x1f\\x7f]{1,4}",
    ]
    .boxed()
}

fn string(text: String) -> String {
    Value::String(text).to_string()
}

fn one_of(values: &'static [&'static str]) -> BoxedStrategy<String> {
    prop::sample::select(values)
        .prop_map(|value| string(value.to_owned()))
        .boxed()
}

fn object(pairs: &[(String, String)]) -> String {
    let members: Vec<String> = pairs
        .iter()
        .map(|(key, value)| format!("{}:{value}", string(key.clone())))
        .collect();
    format!("{{{}}}", members.join(","))
}

fn array(items: &[String]) -> String {
    format!("[{}]", items.join(","))
}

/// Any JSON value, as text: nested arrays and objects, odd numbers and odd strings.
fn json_value() -> BoxedStrategy<String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        any::<bool>().prop_map(|flag| flag.to_string()),
        any::<i64>().prop_map(|number| number.to_string()),
        any::<u64>().prop_map(|number| number.to_string()),
        (-1e6f64..1e6).prop_map(|number| Value::from(number).to_string()),
        prop::sample::select(HUGE_NUMBERS).prop_map(str::to_owned),
        text().prop_map(string),
    ];
    leaf.prop_recursive(3, 32, 5, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(|items| array(&items)),
            prop::collection::vec((text(), inner), 0..5).prop_map(|pairs| object(&pairs)),
        ]
    })
    .boxed()
}

/// An extension as text: mostly one of acme's, sometimes a free one, or anything.
fn extension() -> BoxedStrategy<String> {
    prop_oneof![
        8 => "1[0-5][0-9]",
        1 => "1[6-9][0-9]",
        1 => text(),
    ]
    .prop_map(string)
    .boxed()
}

/// A value of the type a known field takes, with trouble in it.
fn plausible(field: &str) -> BoxedStrategy<String> {
    match field {
        "extension" => extension(),
        "email" => prop_oneof![
            "[a-z]{1,8}@[a-z]{1,8}\\.example".prop_map(string),
            text().prop_map(string),
        ]
        .boxed(),
        "scope" => prop_oneof![3 => one_of(SCOPES), 1 => text().prop_map(string)].boxed(),
        "action" => one_of(ACTIONS),
        "extensions" => prop::collection::vec(extension(), 1..5)
            .prop_map(|items| array(&items))
            .boxed(),
        "filter" => (
            prop::option::of(text().prop_map(string)),
            prop::option::of(prop_oneof![3 => one_of(STATUSES), 1 => text().prop_map(string)]),
            prop::option::of(any::<bool>().prop_map(|flag| flag.to_string())),
        )
            .prop_map(|(q, status, system)| {
                let pairs: Vec<(String, String)> =
                    [("q", q), ("status", status), ("system", system)]
                        .into_iter()
                        .filter_map(|(key, value)| value.map(|value| (key.to_owned(), value)))
                        .collect();
                object(&pairs)
            })
            .boxed(),
        "options" => prop::collection::vec(
            prop_oneof![6 => one_of(OPTIONS), 1 => text().prop_map(string)],
            0..4,
        )
        .prop_map(|items| array(&items))
        .boxed(),
        "recycle" | "welcome" => any::<bool>().prop_map(|flag| flag.to_string()).boxed(),
        "job" => prop_oneof![4 => 1i64..5, 1 => any::<i64>()]
            .prop_map(|id| id.to_string())
            .boxed(),
        "expected" => (0u32..70).prop_map(|n| n.to_string()).boxed(),
        "rows" => prop::collection::vec(import_row(), 0..4)
            .prop_map(|rows| array(&rows))
            .boxed(),
        _ => text().prop_map(string).boxed(),
    }
}

/// A field and its value: mostly of its type, now and then any JSON value.
fn field(name: &'static str) -> BoxedStrategy<(String, String)> {
    (
        Just(name.to_owned()),
        prop_oneof![12 => plausible(name), 1 => json_value()],
    )
        .boxed()
}

/// An object of `fixed` members, then `required` fields (rarely left out), any of
/// `optional`, and now and then a field of no known name.
fn object_of(
    fixed: BoxedStrategy<Vec<(String, String)>>,
    required: &[&'static str],
    optional: &[&'static str],
) -> BoxedStrategy<String> {
    let mut members: Vec<BoxedStrategy<Option<(String, String)>>> = Vec::new();
    for name in required {
        members.push(prop::option::weighted(0.95, field(name)).boxed());
    }
    for name in optional {
        members.push(prop::option::of(field(name)).boxed());
    }
    members.push(prop::option::weighted(0.05, (printable(), json_value())).boxed());
    (fixed, members)
        .prop_map(|(mut pairs, chosen)| {
            pairs.extend(chosen.into_iter().flatten());
            object(&pairs)
        })
        .boxed()
}

/// An import row: the file's columns, with values good and bad.
fn import_row() -> BoxedStrategy<String> {
    let action = prop_oneof![
        4 => one_of(&["add", "update", "delete", "reset", "recycle"]),
        1 => text().prop_map(string),
    ];
    let domain = prop_oneof![
        4 => one_of(&["acme.example", "globex.example", "initech.example"]),
        1 => text().prop_map(string),
    ];
    let fixed = (action, prop::option::of(domain))
        .prop_map(|(action, domain)| {
            let mut pairs = vec![("action".to_owned(), action)];
            pairs.extend(domain.map(|domain| ("domain".to_owned(), domain)));
            pairs
        })
        .boxed();
    object_of(
        fixed,
        &["extension"],
        &[
            "first_name",
            "last_name",
            "email",
            "scope",
            "department",
            "site",
        ],
    )
}

/// A job request: an action, with the fields it reads (now and then one it does not).
fn job_body() -> BoxedStrategy<String> {
    (prop::sample::select(ACTIONS), any::<bool>())
        .prop_flat_map(|(action, by_filter)| {
            let selection = if by_filter { "filter" } else { "extensions" };
            let (required, optional): (Vec<&'static str>, Vec<&'static str>) = match action {
                "reset" => (vec![selection], vec!["options", "recycle"]),
                "delete" | "welcome" | "force_password_reset" => (vec![selection], vec![]),
                "restore" => (vec!["extensions"], vec![]),
                "undo" => (vec!["job"], vec!["extensions"]),
                "import" => (vec!["rows"], vec!["welcome"]),
                _ => (vec!["job", "rows"], vec!["welcome"]),
            };
            // Now and then a field the action does not read, or `expected`.
            let stray = prop::option::weighted(0.15, prop::sample::select(JOB_FIELDS));
            (Just((action, required, optional)), stray)
        })
        .prop_flat_map(|((action, mut required, optional), stray)| {
            required
                .extend(stray.filter(|name| !required.contains(name) && !optional.contains(name)));
            let fixed = vec![("action".to_owned(), string(action.to_owned()))];
            object_of(Just(fixed).boxed(), &required, &optional)
        })
        .boxed()
}

/// A JSON body for a route whose fields are `fields`: any mix of them (and the odd
/// unknown one) with any values, another JSON value, or no JSON at all.
fn any_body(fields: &'static [&'static str]) -> BoxedStrategy<String> {
    let name = prop_oneof![
        8 => prop::sample::select(fields).prop_map(str::to_owned),
        1 => text(),
    ];
    let pair = name.prop_flat_map(|name| {
        let value = prop_oneof![3 => plausible(&name), 1 => json_value()];
        (Just(name), value)
    });
    prop_oneof![
        12 => prop::collection::vec(pair, 0..7).prop_map(|pairs| object(&pairs)),
        1 => json_value(),
        1 => prop::sample::select(BROKEN_BODIES).prop_map(str::to_owned),
    ]
    .boxed()
}

const USER_FIELDS: &[&str] = &[
    "extension",
    "first_name",
    "last_name",
    "email",
    "scope",
    "department",
    "site",
];
const JOB_FIELDS: &[&str] = &[
    "action",
    "extensions",
    "filter",
    "options",
    "recycle",
    "job",
    "rows",
    "welcome",
    "expected",
];

/// Words of the routes.
const ROUTE_WORDS: &[&str] = &[
    "domains",
    "users",
    "jobs",
    "acme.example",
    "globex.example",
    "initech.example",
    "stop",
    "retry",
    "130",
    "1",
    "v1",
    "api",
];
/// Segments that are dot segments, encoded slashes, NUL, not UTF-8 or broken escapes.
const ODD_SEGMENTS: &[&str] = &["..", ".", "", "%2e%2e", "%2F", "%00", "%FF%FE", "%", "%zz"];

/// A path segment, percent-encoded as a client would send it (dot segments as such).
fn segment() -> BoxedStrategy<String> {
    prop_oneof![
        4 => prop::sample::select(ROUTE_WORDS).prop_map(str::to_owned),
        1 => prop::sample::select(ODD_SEGMENTS).prop_map(str::to_owned),
        1 => "-?[0-9]{1,25}",
        2 => "\\PC{1,12}".prop_map(|text| encode(text.as_bytes())),
        1 => "[\\x00-\\x1f\\x7f]{1,3}".prop_map(|text| encode(text.as_bytes())),
        1 => ".{100,250}".prop_map(|text| encode(text.as_bytes())),
        1 => "[a-z]{1000,3000}",
        1 => prop::collection::vec(any::<u8>(), 1..12).prop_map(|bytes| encode(&bytes)),
    ]
    .boxed()
}

/// Paths under `/api/v1`: the routes' own words among junk, any method.
fn random_paths() -> BoxedStrategy<Case> {
    (
        prop::sample::select(&["GET", "POST", "PATCH", "DELETE", "PUT"][..]),
        prop::collection::vec(segment(), 1..6),
    )
        .prop_map(|(method, segments)| Case {
            method,
            path: format!("/api/v1/{}", segments.join("/")),
            body: matches!(method, "POST" | "PATCH" | "PUT").then(|| "{}".to_owned()),
            headers: Vec::new(),
        })
        .boxed()
}

/// A Users page cursor: random hex, not hex at all, or a well-formed one of odd parts.
fn cursor() -> BoxedStrategy<String> {
    prop_oneof![
        1 => "[0-9a-f]{0,80}",
        1 => "[0-9a-zA-Z%]{1,40}",
        1 => Just("0".repeat(2000)),
        4 => ("[0-9]{1,12}", 0i32..6, "\\PC{0,70}", printable()).prop_map(
            |(extension, status, first, last)| {
                hex(&format!("{extension}\u{1f}{status}\u{1f}{first}\u{1f}{last}"))
            }
        ),
    ]
    .boxed()
}

/// The Users list's query: each parameter absent, as the list reads it, or trouble.
fn random_queries() -> BoxedStrategy<Case> {
    let choice = |values: &'static [&'static str]| {
        prop::option::of(prop_oneof![
            12 => prop::sample::select(values).prop_map(str::to_owned),
            1 => printable(),
            1 => text(),
        ])
    };
    (
        prop::option::of(prop_oneof![12 => printable(), 1 => text()]),
        choice(STATUSES),
        choice(&["extension", "name", "status"]),
        choice(&["asc", "desc"]),
        prop::option::of(prop_oneof![
            8 => "[1-9][0-9]?",
            1 => "0|-[0-9]{1,3}|[0-9]{3}",
            1 => "[0-9]{10,25}",
            1 => printable(),
        ]),
        prop::option::weighted(0.3, cursor()),
        choice(&["true", "false"]),
    )
        .prop_map(|(q, status, sort, dir, limit, cursor, system)| {
            let params: Vec<(&str, String)> = [
                ("q", q),
                ("status", status),
                ("sort", sort),
                ("dir", dir),
                ("limit", limit),
                ("cursor", cursor),
                ("system", system),
            ]
            .into_iter()
            .filter_map(|(name, value)| value.map(|value| (name, value)))
            .collect();
            let query = serde_urlencoded::to_string(&params).unwrap_or_default();
            Case {
                method: "GET",
                path: format!("/api/v1/domains/{ACME}/users?{query}"),
                body: None,
                headers: Vec::new(),
            }
        })
        .boxed()
}

/// Bodies for adding and changing users: mostly of the shape each route reads, with
/// trouble in the values, sometimes anything at all.
fn random_user_bodies() -> BoxedStrategy<Case> {
    let fields = &[
        "first_name",
        "last_name",
        "email",
        "scope",
        "department",
        "site",
    ];
    let post = |body| Case {
        method: "POST",
        path: format!("/api/v1/domains/{ACME}/users"),
        body: Some(body),
        headers: Vec::new(),
    };
    let patch = |(extension, body): (String, String)| Case {
        method: "PATCH",
        path: format!("/api/v1/domains/{ACME}/users/{extension}"),
        body: Some(body),
        headers: Vec::new(),
    };
    let nothing = || Just(Vec::new()).boxed();
    prop_oneof![
        3 => object_of(nothing(), &["extension"], fields).prop_map(post),
        1 => any_body(USER_FIELDS).prop_map(post),
        3 => ("1[0-5][0-9]", object_of(nothing(), &[], fields)).prop_map(patch),
        1 => ("1[0-5][0-9]", any_body(USER_FIELDS)).prop_map(patch),
    ]
    .boxed()
}

/// Job requests: mostly of an action with the fields it reads, sometimes anything.
fn random_job_bodies() -> BoxedStrategy<Case> {
    prop_oneof![5 => job_body(), 1 => any_body(JOB_FIELDS)]
        .prop_map(|body| Case {
            method: "POST",
            path: format!("/api/v1/domains/{ACME}/jobs"),
            body: Some(body),
            headers: Vec::new(),
        })
        .boxed()
}

/// Header values of valid header bytes only: visible ASCII, space, tab and obs-text.
fn header_value() -> BoxedStrategy<Vec<u8>> {
    let byte = prop_oneof![8 => 0x20u8..0x7f, 1 => Just(b'\t'), 1 => 0x80u8..=0xff];
    prop_oneof![
        prop::sample::select(
            &[
                "*",
                "fixed-key",
                "\"1-1\"",
                "W/\"131-1\"",
                "\"131-1\", *",
                ""
            ][..]
        )
        .prop_map(|value| value.as_bytes().to_vec()),
        "\"[0-9]{1,4}-[0-9]{1,3}\"".prop_map(String::into_bytes),
        prop::collection::vec(byte.clone(), 0..40),
        prop::collection::vec(byte, 250..300),
    ]
    .boxed()
}

fn random_headers() -> BoxedStrategy<Case> {
    (0usize..4, "1[0-5][0-9]", header_value(), any::<bool>())
        .prop_map(|(route, extension, value, exists)| {
            let user = format!("/api/v1/domains/{ACME}/users/{extension}");
            let welcome = if exists { "110" } else { "199" };
            let job = json!({ "action": "welcome", "extensions": [welcome] }).to_string();
            let (method, path, body, header) = match route {
                0 => (
                    "PATCH",
                    user,
                    Some(json!({ "department": "Sales" }).to_string()),
                    "If-Match",
                ),
                1 => ("DELETE", user, None, "If-Match"),
                2 => (
                    "POST",
                    format!("/api/v1/domains/{ACME}/jobs"),
                    Some(job),
                    "Idempotency-Key",
                ),
                _ => (
                    "POST",
                    "/api/v1/jobs/1/retry".to_owned(),
                    None,
                    "Idempotency-Key",
                ),
            };
            Case {
                method,
                path,
                body,
                headers: vec![(header, value)],
            }
        })
        .boxed()
}

/// Cases that once found a fault, sent every time whatever the generator draws.
fn known_cases() -> Vec<Case> {
    let job = |body: Value| Case {
        method: "POST",
        path: format!("/api/v1/domains/{ACME}/jobs"),
        body: Some(body.to_string()),
        headers: Vec::new(),
    };
    let nul = "\u{0}";
    vec![
        // A search with NUL, too short for the search index and long enough for it.
        job(json!({ "action": "welcome", "filter": { "q": nul } })),
        job(json!({ "action": "welcome", "filter": { "q": "a\u{0}b" } })),
        job(json!({ "action": "force_password_reset", "filter": { "q": nul.repeat(4) } })),
        // NUL in an import row's domain and fields.
        job(json!({ "action": "import", "rows": [{
            "action": "add", "extension": "170", "first_name": "A", "domain": "acme\u{0}.example",
        }] })),
        job(json!({ "action": "import", "rows": [{
            "action": "update", "extension": "131", "first_name": nul, "site": nul,
        }] })),
    ]
}

/// Sends `case` with `token`; what is wrong with the answer, if anything: a server
/// error, or (under `/api/`) a refusal that is not a problem document.
async fn check_case(
    client: &reqwest::Client,
    address: &str,
    token: &str,
    case: &Case,
) -> Result<Option<String>, Failure> {
    let mut request = client
        .request(method_of(case.method)?, format!("{address}{}", case.path))
        .bearer_auth(token);
    if let Some(body) = &case.body {
        request = request
            .header("Content-Type", "application/json")
            .body(body.clone());
    }
    for (name, value) in &case.headers {
        request = request.header(*name, HeaderValue::from_bytes(value)?);
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(err) => return Ok(Some(format!("no answer: {err}"))),
    };
    let status = response.status();
    let under_api = response.url().path().starts_with("/api/");
    let kind = response
        .headers()
        .get("content-type")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let text = response.text().await?;
    if status.is_server_error() {
        return Ok(Some(format!("{status}: {text}")));
    }
    if status.is_client_error() && under_api {
        let said = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|problem| problem["status"].as_u64());
        if kind.as_deref() != Some(PROBLEM) || said != Some(u64::from(status.as_u16())) {
            return Ok(Some(format!("{status} as {kind:?}: {text}")));
        }
    }
    Ok(None)
}

fn shortened(text: &str) -> String {
    let mut short: String = text.chars().take(160).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

#[tokio::test]
async fn bad_input_to_the_api_never_gets_a_server_error() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let token = token_of(&app, "100@acme.example", DEMO_PASSWORD).await?;
    let owner = Api::new(&app, Some(&token))?;
    // Jobs last: a generated delete or reset may take many of the users the others need.
    let mut all = cases(random_paths(), 30)?;
    all.extend(cases(random_queries(), 30)?);
    all.extend(cases(random_headers(), 15)?);
    all.extend(cases(random_user_bodies(), 40)?);
    all.extend(cases(random_job_bodies(), 30)?);
    all.extend(known_cases());
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let address = app.url("");
    let mut failures = Vec::new();
    for case in &all {
        if let Some(wrong) = check_case(&client, &address, &token, case).await? {
            let body = case.body.as_deref().map(shortened).unwrap_or_default();
            failures.push(format!(
                "{} {} {body} {:?}: {}",
                case.method,
                shortened(&case.path),
                case.headers,
                shortened(&wrong)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases: {failures:#?}",
        failures.len(),
        all.len()
    );
    // The token still works: nothing generated took it from its owner.
    owner.get("/api/v1/domains").await?.expect(StatusCode::OK);
    Ok(())
}

#[tokio::test]
async fn the_rate_limit_answers_429_with_retry_after() -> TestResult {
    let app = TestApp::builder().demo().api_rate_limit(5).start().await?;
    let first = Api::signed_as(&app, "100@acme.example").await?;
    let second = Api::signed_as(&app, "100@globex.example").await?;
    for _ in 0..5 {
        first.get("/api/v1/domains").await?.expect(StatusCode::OK);
    }
    let limited = first.get("/api/v1/domains").await?;
    let problem = limited.expect(StatusCode::TOO_MANY_REQUESTS);
    let retry_after: u64 = limited
        .header("retry-after")
        .ok_or("no Retry-After")?
        .parse()?;
    assert!(
        (1..=60).contains(&retry_after),
        "Retry-After: {retry_after}"
    );
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(&format!("{retry_after} seconds")),
        "{detail}"
    );
    assert!(
        limited.body.get("domains").is_none(),
        "a refusal shows no data"
    );
    // Another user's token has a bucket of its own.
    for _ in 0..5 {
        second.get("/api/v1/domains").await?.expect(StatusCode::OK);
    }
    second
        .get("/api/v1/domains")
        .await?
        .expect(StatusCode::TOO_MANY_REQUESTS);
    Ok(())
}
