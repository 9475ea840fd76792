//! `/api/v1/domains/{domain}/users`: the Users page's list (its filters, a cursor, at
//! most 100 rows), and one user by extension: read, create, update (`PATCH`, only the
//! fields sent) and delete. Each user carries an `ETag` of its row's id and version; an
//! `If-Match` that names another is refused with 412 before anything changes.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{ApiError, ApiResult, Problem, Refusals};
use crate::db::domains::Domain;
use crate::db::users::{ListedUser, User};
use crate::domain::fields::{ParsedUser, TypedUser};
use crate::domain::listing::{Cursor, ListParams, ListView, status_param};
use crate::domain::{Extension, Invalid, Scope};
use crate::error::{AppError, FieldProblem};
use crate::routes::managed::{managed_domain_of, managed_user};
use crate::services::users::{self as user_service, UserChangeError};
use crate::services::users_page::{self, ListedPage, PageOf};
use crate::services::{routing, two_step};
use crate::state::AppState;
use crate::web::api_caller::ApiCaller;

/// Most users one list request returns, and how many unless asked.
pub const MAX_LIMIT: u32 = 100;
pub const DEFAULT_LIMIT: u32 = 50;

/// One user as the list gives it.
#[derive(Serialize, ToSchema)]
pub struct UserSummary {
    #[schema(example = "101")]
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    /// The scope's name, e.g. `Office Manager`.
    #[schema(example = "Basic User")]
    pub scope: String,
    /// `setup-required`, `password-required` or `active`, as the Users page filters.
    #[schema(example = "active")]
    pub status: String,
    pub department: String,
    pub site: String,
    pub must_change_password: bool,
    pub system: bool,
    /// Phones and other devices of the user.
    pub devices: i64,
}

impl From<ListedUser> for UserSummary {
    fn from(user: ListedUser) -> Self {
        Self {
            status: status_param(user.status).to_owned(),
            scope: user.scope.label().to_owned(),
            extension: user.extension,
            first_name: user.first_name,
            last_name: user.last_name,
            email: user.email,
            department: user.department,
            site: user.site,
            must_change_password: user.must_change_password,
            system: user.is_system,
            devices: user.device_count,
        }
    }
}

/// One user as read: its details, and every reference to it in call routing.
#[derive(Serialize, ToSchema)]
pub struct UserRead {
    #[serde(flatten)]
    pub user: UserOut,
    /// What reaches the user, one line each as the portal words it ("+12125550101 rings
    /// 123 Daniel Diaz", "Main menu (500) key 3: 124 Emma Evans", …).
    pub reached_from: Vec<String>,
    /// Whether the user signs in in two steps (an authenticator app or a passkey is
    /// on); which factors, never.
    pub two_step: bool,
}

/// One user, as read, created or updated (its `ETag` in the header).
#[derive(Serialize, ToSchema)]
pub struct UserOut {
    #[schema(example = "101")]
    pub extension: String,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    #[schema(example = "Basic User")]
    pub scope: String,
    #[schema(example = "active")]
    pub status: String,
    pub department: String,
    pub site: String,
    /// An IANA time zone, or empty for the domain's.
    #[schema(example = "America/New_York")]
    pub time_zone: String,
    /// E.164, or empty.
    #[schema(example = "+12125550142")]
    pub caller_id_number: String,
    /// E.164, or empty.
    #[schema(example = "+12125550100")]
    pub emergency_caller_id: String,
    pub must_change_password: bool,
    pub system: bool,
    /// The row's version: it moves on with every change (the `ETag` carries it).
    pub version: i32,
}

impl From<&User> for UserOut {
    fn from(user: &User) -> Self {
        Self {
            extension: user.extension.clone(),
            first_name: user.first_name.clone(),
            last_name: user.last_name.clone(),
            email: user.email.clone(),
            scope: user.scope.label().to_owned(),
            status: status_param(user.status).to_owned(),
            department: user.department.clone(),
            site: user.site.clone(),
            time_zone: user.time_zone.clone(),
            caller_id_number: user.caller_id_number.clone(),
            emergency_caller_id: user.emergency_caller_id.clone(),
            must_change_password: user.must_change_password,
            system: user.is_system,
            version: user.version,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UserPage {
    pub users: Vec<UserSummary>,
    /// How many users match; a lower bound when `total_exact` is false (a broad search
    /// is counted up to a cap, as on the Users page).
    pub total: i64,
    pub total_exact: bool,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// The Users page's filters and sort, a page size and a cursor.
#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct UsersQuery {
    /// Part of an extension, a name or an e-mail address (at most 100 characters).
    q: Option<String>,
    /// `setup-required`, `password-required` or `active`.
    status: Option<String>,
    /// Include system users (voicemail, conference rooms).
    system: Option<bool>,
    /// `extension` (default), `name` or `status`.
    sort: Option<String>,
    /// `asc` (default) or `desc`.
    dir: Option<String>,
    /// Users per page, 1 to 100 (default 50).
    limit: Option<u32>,
    /// The `next_cursor` of the page before.
    cursor: Option<String>,
}

/// A cursor as the API hands it out: the Users page's keyset position, hex-encoded so
/// that it is one opaque, URL-safe word.
fn encode_cursor(cursor: &Cursor) -> String {
    cursor
        .encode()
        .bytes()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

fn decode_cursor(text: &str) -> Result<String, AppError> {
    let invalid = || {
        AppError::BadRequest(
            "This cursor is not valid. Start again without one, and pass each page's next_cursor."
                .into(),
        )
    };
    if !text.len().is_multiple_of(2) || text.len() > 1024 {
        return Err(invalid());
    }
    let bytes = (0..text.len())
        .step_by(2)
        .map(|at| u8::from_str_radix(text.get(at..at + 2).unwrap_or("x"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|_| invalid())?;
    let decoded = String::from_utf8(bytes).map_err(|_| invalid())?;
    Cursor::decode(&decoded).map_err(|_| invalid())?;
    Ok(decoded)
}

fn bad_request(invalid: Invalid) -> ApiError {
    ApiError(AppError::BadRequest(invalid.to_string()))
}

/// List the users of a domain
///
/// The Users page's list: the same search, status filter and sort, a page of at most
/// 100 users, and a cursor to the next page.
#[utoipa::path(
    operation_id = "list_users",
    tag = "users",
    params(("domain" = String, Path, description = "The domain's name."), UsersQuery),
    responses(
        Refusals,
        (status = 200, description = "A page of users.", body = UserPage),
        (status = 400, description = "A filter, sort, limit or cursor not understood.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a domain the token's owner manages.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "For a Super User, no such domain (anyone else gets 403 for a domain that does not exist).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/domains/{domain}/users")]
pub async fn list(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<UsersQuery>,
) -> ApiResult<HttpResponse> {
    let domain = managed_domain_of(&caller.rights(), &caller.domain, &state, &path).await?;
    let query = query.into_inner();
    let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(
            AppError::BadRequest(format!("limit is a number from 1 to {MAX_LIMIT}.")).into(),
        );
    }
    let after = query.cursor.as_deref().map(decode_cursor).transpose()?;
    let view = ListView::parse(&ListParams {
        q: query.q,
        status: query.status,
        sort: query.sort,
        dir: query.dir,
        system: query
            .system
            .filter(|system| *system)
            .map(|_| "1".to_owned()),
        after,
        ..ListParams::default()
    })
    .map_err(bad_request)?;
    let page = PageOf {
        per_page: limit,
        ..PageOf::view(domain.id, &view)
    };
    let ListedPage {
        rows,
        total,
        has_next,
    } = state.db(move |conn| users_page::read(conn, &page)).await?;
    let next_cursor = has_next
        .then(|| rows.last().map(|last| encode_cursor(&last.cursor())))
        .flatten();
    Ok(HttpResponse::Ok().json(UserPage {
        total: total.lower_bound(),
        total_exact: total.is_exact(),
        users: rows.into_iter().map(UserSummary::from).collect(),
        next_cursor,
    }))
}

/// The `ETag` of a user's row: its id and version, so that a user deleted and added
/// again under the same extension never matches an old tag.
pub fn etag(user: &User) -> String {
    format!("\"{}-{}\"", user.id, user.version)
}

/// Whether the request's `If-Match` pins the change to the user's current tag: `Ok(true)`
/// when it names that tag, `Ok(false)` without one or with `*` (any user that exists),
/// and a 412 when it names only other tags. Tags compare strongly (RFC 9110): a weak
/// tag never matches.
fn check_if_match(req: &HttpRequest, user: &User) -> Result<bool, ApiError> {
    let Some(value) = req.headers().get(header::IF_MATCH) else {
        return Ok(false);
    };
    let current = etag(user);
    let listed: Vec<&str> = value
        .to_str()
        .map(|text| text.split(',').map(str::trim).collect())
        .unwrap_or_default();
    if listed.contains(&"*") {
        return Ok(false);
    }
    if listed.contains(&current.as_str()) {
        Ok(true)
    } else {
        Err(stale(&user.extension, Some(&current)))
    }
}

/// The 412 of an `If-Match` that names another version than the user's (`now`, when
/// known).
fn stale(extension: &str, now: Option<&str>) -> ApiError {
    let now = now
        .map(|tag| format!(" (its ETag is now {tag})"))
        .unwrap_or_default();
    ApiError(AppError::PreconditionFailed(format!(
        "User {extension} was changed since you read it{now}. Read it again, then send your change with the new ETag."
    )))
}

fn with_user(mut response: actix_web::HttpResponseBuilder, user: &User) -> HttpResponse {
    if let Ok(tag) = HeaderValue::from_str(&etag(user)) {
        response.insert_header((header::ETAG, tag));
    }
    response.json(UserOut::from(user))
}

/// The domain and the user a path names.
async fn user_of_path(
    caller: &ApiCaller,
    state: &AppState,
    (domain_name, extension): (String, String),
) -> Result<(Domain, User), ApiError> {
    let domain = managed_domain_of(&caller.rights(), &caller.domain, state, &domain_name).await?;
    let wanted = Extension::parse(&extension).map_err(|_| {
        ApiError(AppError::NotFound(format!(
            "There is no user with extension {extension} in this domain."
        )))
    })?;
    let user = managed_user(&caller.rights(), state, &domain, wanted).await?;
    Ok((domain, user))
}

/// Read one user
#[utoipa::path(
    operation_id = "read_user",
    tag = "users",
    params(
        ("domain" = String, Path, description = "The domain's name."),
        ("extension" = String, Path, description = "The user's extension."),
    ),
    responses(
        Refusals,
        (status = 200, description = "The user and what reaches it in call routing; its ETag in the header.", body = UserRead,
            headers(("ETag" = String, description = "The row's id and version."))),
        (status = 403, description = "Not a domain the token's owner manages.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or, for a Super User, no such domain; anyone else gets 403 for a domain that does not exist).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/domains/{domain}/users/{extension}")]
pub async fn read(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (domain, user) = user_of_path(&caller, &state, path.into_inner()).await?;
    let (domain_id, user_id) = (domain.id, user.id);
    let (reached, two_step) = state
        .db(move |conn| {
            let reached = routing::reached_from(conn, domain_id, &[user_id])?;
            Ok::<_, AppError>((reached, two_step::is_on(conn, user_id)?))
        })
        .await?;
    let mut response = HttpResponse::Ok();
    if let Ok(tag) = HeaderValue::from_str(&etag(&user)) {
        response.insert_header((header::ETAG, tag));
    }
    Ok(response.json(UserRead {
        user: UserOut::from(&user),
        reached_from: reached.into_iter().map(|reach| reach.line).collect(),
        two_step,
    }))
}

/// A new user's details. Absent fields are empty; the scope is Basic User unless given.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserIn {
    #[schema(example = "150")]
    extension: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    #[serde(default)]
    email: String,
    /// A scope's name, never above your own.
    #[schema(example = "Basic User")]
    scope: Option<String>,
    #[serde(default)]
    department: String,
    #[serde(default)]
    site: String,
    /// An IANA name; empty or left out for the domain's.
    #[serde(default)]
    time_zone: String,
    /// E.164; empty or left out for none.
    #[serde(default)]
    caller_id_number: String,
    /// E.164; empty or left out for none.
    #[serde(default)]
    emergency_caller_id: String,
}

/// The fields to change; those not sent keep their value. An empty `email` removes the
/// address.
#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct UserChangesIn {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    scope: Option<String>,
    department: Option<String>,
    site: Option<String>,
    /// Empty for the domain's.
    time_zone: Option<String>,
    /// Empty for none.
    caller_id_number: Option<String>,
    /// Empty for none.
    emergency_caller_id: Option<String>,
}

/// Fields refused, each named by its JSON pointer.
fn refusal_of(parsed: &ParsedUser) -> ApiError {
    let fields: Vec<FieldProblem> = parsed
        .refusals()
        .into_iter()
        .map(|(field, invalid)| FieldProblem {
            pointer: format!("#/{}", field.key()),
            detail: invalid.to_string(),
        })
        .collect();
    let message = match fields.as_slice() {
        [only] => only.detail.clone(),
        _ => "Some fields were not accepted; each is named in errors.".to_owned(),
    };
    ApiError(AppError::Unprocessable { message, fields })
}

/// Add a user
#[utoipa::path(
    operation_id = "create_user",
    tag = "users",
    params(("domain" = String, Path, description = "The domain's name.")),
    request_body = NewUserIn,
    responses(
        Refusals,
        (status = 201, description = "The user as added; its address in Location, its ETag in the header.", body = UserOut),
        (status = 400, description = "A body that is not such JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not your domain, or a scope above your own.", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The extension is taken.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields not accepted, each named in errors.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/domains/{domain}/users")]
pub async fn create(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<NewUserIn>,
) -> ApiResult<HttpResponse> {
    let domain = managed_domain_of(&caller.rights(), &caller.domain, &state, &path).await?;
    let body = body.into_inner();
    let parsed = ParsedUser::parse(&TypedUser {
        extension: Some(&body.extension),
        first_name: Some(&body.first_name),
        last_name: Some(&body.last_name),
        email: Some(&body.email),
        scope: Some(body.scope.as_deref().unwrap_or(Scope::BasicUser.label())),
        department: Some(&body.department),
        site: Some(&body.site),
        time_zone: Some(&body.time_zone),
        caller_id_number: Some(&body.caller_id_number),
        emergency_caller_id: Some(&body.emergency_caller_id),
    });
    let (Some(Ok(extension)), Some(details)) = (parsed.extension.clone(), parsed.details()) else {
        return Err(refusal_of(&parsed));
    };
    let acting = caller.acting();
    let in_domain = domain.clone();
    let created = state
        .db(move |conn| {
            Ok::<_, AppError>(user_service::create_user(
                conn, &acting, &in_domain, &extension, &details, None,
            ))
        })
        .await?
        .map_err(ApiError::from)?;
    let mut response = HttpResponse::Created();
    response.insert_header((
        header::LOCATION,
        format!(
            "/api/v1/domains/{}/users/{}",
            domain.name, created.extension
        ),
    ));
    Ok(with_user(response, &created))
}

/// Change a user
///
/// Only the fields sent change. With `If-Match`, the change is made only if the user
/// is still at that ETag (412 otherwise).
#[utoipa::path(
    operation_id = "update_user",
    tag = "users",
    params(
        ("domain" = String, Path, description = "The domain's name."),
        ("extension" = String, Path, description = "The user's extension."),
        ("If-Match" = Option<String>, Header, description = "The ETag the change was based on."),
    ),
    request_body = UserChangesIn,
    responses(
        Refusals,
        (status = 200, description = "The user as saved; its new ETag in the header.", body = UserOut),
        (status = 403, description = "Not your domain or user, or a scope you may not give.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or, for a Super User, no such domain; anyone else gets 403 for a domain that does not exist).", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The user changed since the ETag in If-Match.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Fields not accepted, each named in errors.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/domains/{domain}/users/{extension}")]
pub async fn update(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Json<UserChangesIn>,
) -> ApiResult<HttpResponse> {
    let (domain, user) = user_of_path(&caller, &state, path.into_inner()).await?;
    let guarded = check_if_match(&req, &user)?;
    let changes = body.into_inner();
    // A field not sent keeps its value, read by the same rule as one sent.
    let parsed = ParsedUser::parse(&TypedUser {
        extension: None,
        first_name: Some(changes.first_name.as_deref().unwrap_or(&user.first_name)),
        last_name: Some(changes.last_name.as_deref().unwrap_or(&user.last_name)),
        email: Some(
            changes
                .email
                .as_deref()
                .unwrap_or(user.email.as_deref().unwrap_or_default()),
        ),
        scope: Some(changes.scope.as_deref().unwrap_or(user.scope.label())),
        department: Some(changes.department.as_deref().unwrap_or(&user.department)),
        site: Some(changes.site.as_deref().unwrap_or(&user.site)),
        time_zone: Some(changes.time_zone.as_deref().unwrap_or(&user.time_zone)),
        caller_id_number: Some(
            changes
                .caller_id_number
                .as_deref()
                .unwrap_or(&user.caller_id_number),
        ),
        emergency_caller_id: Some(
            changes
                .emergency_caller_id
                .as_deref()
                .unwrap_or(&user.emergency_caller_id),
        ),
    });
    let Some(details) = parsed.details() else {
        return Err(refusal_of(&parsed));
    };
    let acting = caller.acting();
    let extension = Extension::parse(&user.extension).map_err(bad_request)?;
    let version = user.version;
    let updated = state
        .db(move |conn| {
            Ok::<_, AppError>(user_service::update_user(
                conn, &acting, &domain, &extension, version, &details,
            ))
        })
        .await?;
    match updated {
        Ok(saved) => Ok(with_user(HttpResponse::Ok(), &saved)),
        // Changed between the read above and the save: with If-Match that is a stale tag.
        Err(UserChangeError::Conflict) if guarded => Err(stale(&user.extension, None)),
        Err(err) => Err(err.into()),
    }
}

/// Delete a user
///
/// As on the Users page: everything attached goes with the user, and the user can be
/// restored from Deleted users (or a `restore` job) during the retention period.
#[utoipa::path(
    operation_id = "delete_user",
    tag = "users",
    params(
        ("domain" = String, Path, description = "The domain's name."),
        ("extension" = String, Path, description = "The user's extension."),
        ("If-Match" = Option<String>, Header, description = "The ETag the delete was based on."),
    ),
    responses(
        Refusals,
        (status = 204, description = "Deleted."),
        (status = 403, description = "Not your domain, or a user you may not delete (yourself, a higher scope).", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such user (or, for a Super User, no such domain; anyone else gets 403 for a domain that does not exist).", body = Problem, content_type = "application/problem+json"),
        (status = 412, description = "The user changed since the ETag in If-Match.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/domains/{domain}/users/{extension}")]
pub async fn delete(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> ApiResult<HttpResponse> {
    let (domain, user) = user_of_path(&caller, &state, path.into_inner()).await?;
    let guarded = check_if_match(&req, &user)?;
    let acting = caller.acting();
    let extension = Extension::parse(&user.extension).map_err(bad_request)?;
    let version = guarded.then_some(user.version);
    state
        .db(move |conn| user_service::delete_user_at(conn, &acting, &domain, &extension, version))
        .await
        .map_err(|err| match err {
            AppError::Conflict(_) => stale(&user.extension, None),
            other => ApiError(other),
        })?;
    Ok(HttpResponse::NoContent().finish())
}
