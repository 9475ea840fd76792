//! Bulk jobs over the API: `POST /api/v1/domains/{domain}/jobs` starts any bulk action
//! the pages offer (reset with options, delete, welcome, force password reset, restore,
//! undo of a reset, import rows; and recycle rows after a reset), for users named by
//! extension or by the Users page's filter; `GET /api/v1/jobs/{id}` follows one (state,
//! counts, each user's outcome by cursor); `stop` and `retry` act on one. A job start
//! with an `Idempotency-Key` is done once per key: a retried request gets the same job.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::{ApiResult, Problem, Refusals};
use crate::db::domains::Domain;
use crate::db::jobs::{Item, Job, Tally};
use crate::db::users::ListFilter;
use crate::domain::edit::{EditField, FieldEdit};
use crate::domain::ids::JobId;
use crate::domain::listing::{parse_search, parse_status};
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::domain::{Extension, Scope};
use crate::error::{AppError, FieldProblem};
use crate::routes::managed::managed_domain_of;
use crate::services::import::run::ImportError;
use crate::services::jobs::once::Once;
use crate::services::jobs::request::{JobRequest, Key, Named, RequestError, start_requested};
use crate::services::jobs::spec::Action;
use crate::services::jobs::start::{NamedSuccessors, SuccessorOf};
use crate::services::jobs::{self as job_service, JobError};
use crate::services::recycle::{self, RecycleRow};
use crate::services::reset::NewOccupant;
use crate::state::AppState;
use crate::web::api_caller::ApiCaller;

/// Most extensions one job may name.
const MAX_EXTENSIONS: usize = 100_000;
/// Most items one read of a job returns, and how many unless asked.
const MAX_ITEMS: i64 = 1000;
const DEFAULT_ITEMS: i64 = 100;
/// Longest `Idempotency-Key`.
const MAX_KEY_CHARS: usize = 255;

/// What a job does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobAction {
    Reset,
    Delete,
    Welcome,
    ForcePasswordReset,
    Restore,
    Undo,
    Import,
    Recycle,
    Edit,
}

/// The Users page's filter: "all matching users".
#[derive(Debug, Deserialize, ToSchema, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FilterIn {
    /// Part of an extension, a name or an e-mail address.
    q: Option<String>,
    /// `setup-required`, `password-required` or `active`.
    status: Option<String>,
    /// Include system users.
    #[serde(default)]
    system: bool,
}

/// A bulk action and whom it is for. Which fields apply depends on `action`:
/// - `reset`: `extensions` or `filter`; `options` (the Reset Users keys, the defaults
///   unless given) and `recycle`.
/// - `delete`: `extensions` or `filter`; `successors`, who takes over each user's call
///   routing (extension to extension; without one, what reached the user reaches nobody).
/// - `welcome`, `force_password_reset`: `extensions` or `filter`.
/// - `restore`: `extensions` of deleted users (the latest deleted with each).
/// - `edit`: `extensions` or `filter`; `fields`, only the fields to set (`department`,
///   `site`, `scope`, `time_zone`, `caller_id_number`, `emergency_caller_id` as text, an
///   empty text clearing it; `vm_to_email`, `vm_transcription` as true or false).
/// - `undo`: `job`, a reset or edit job; `extensions` to put back only some of its users.
/// - `import`: `rows`, each an object with the import file's columns (`extension`,
///   `action`, `first_name`, …); `welcome`. Rows with errors refuse the whole request.
/// - `recycle`: `job`, a finished reset with Recycle Users, and `rows` of `extension`,
///   `first_name`, `last_name`, `email`; `welcome`. Done at once (no job).
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JobIn {
    action: JobAction,
    #[schema(example = json!(["101", "102", "103"]))]
    extensions: Option<Vec<String>>,
    filter: Option<FilterIn>,
    /// Reset Users options: `name`, `email`, `password`, `voicemail_pin`,
    /// `additional_devices`, `voicemail_messages`, `voicemail_greetings`,
    /// `answering_rules`, `contacts`, `call_history`.
    options: Option<Vec<String>>,
    #[serde(default)]
    recycle: bool,
    /// The job an `undo` or `recycle` is for.
    job: Option<i64>,
    #[schema(value_type = Option<Vec<Object>>)]
    rows: Option<Vec<serde_json::Map<String, serde_json::Value>>>,
    #[serde(default)]
    welcome: bool,
    /// How many users you expect the selection to hold: a filter that matches another
    /// number now is refused (409) rather than acted on.
    expected: Option<usize>,
    /// For `delete`: each deleted user's successor, by extension (`{"124": "127"}`), a
    /// user of the domain who is not being deleted. Numbers, attendant options, groups,
    /// queues, forwards and BLF keys that reached the user reach the successor.
    #[schema(example = json!({"124": "127"}))]
    successors: Option<std::collections::BTreeMap<String, String>>,
    /// For `edit`: the fields to set, and only those.
    #[schema(value_type = Option<Object>, example = json!({"department": "Sales", "vm_to_email": true}))]
    fields: Option<serde_json::Map<String, serde_json::Value>>,
}

/// A job's state and counts.
#[derive(Serialize, ToSchema)]
pub struct JobOut {
    pub id: i64,
    /// The domain the job is in.
    pub domain: String,
    /// `reset`, `delete`, `welcome`, `force_password_reset`, `restore`, `undo_reset`,
    /// `edit`, `undo_edit` or `import`.
    pub action: String,
    /// `pending`, `running`, `finished` or `stopped`.
    pub state: String,
    pub total: i64,
    pub pending: i64,
    pub done: i64,
    pub failed: i64,
    pub skipped: i64,
    /// UTC, RFC 3339.
    pub created_at: String,
    pub finished_at: Option<String>,
    /// Where to follow it.
    pub href: String,
}

/// One user's outcome in a job.
#[derive(Serialize, ToSchema)]
pub struct ItemOut {
    pub extension: String,
    /// The user's name before the job.
    pub name: String,
    /// `pending`, `done`, `failed` or `skipped`.
    pub outcome: String,
    pub reason: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct JobDetail {
    #[serde(flatten)]
    pub job: JobOut,
    /// Users in the order the job lists them, from `cursor` on.
    pub items: Vec<ItemOut>,
    /// Pass as `cursor` for the next items; absent after the last.
    pub next_cursor: Option<i64>,
}

/// What a recycle saved.
#[derive(Serialize, ToSchema)]
pub struct RecycledOut {
    pub recycled: usize,
    /// Welcome e-mails queued (users with an address, when `welcome` was asked).
    pub welcome_emails: usize,
    /// Welcome e-mails not sent: the domain had sent its most welcome and reset e-mails
    /// for the day (UTC).
    pub welcome_emails_over_daily_cap: usize,
}

fn rfc3339(at: chrono::NaiveDateTime) -> String {
    at.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl JobOut {
    fn of(job: &Job, domain: &str, tally: &Tally) -> Self {
        Self {
            id: job.id.get(),
            domain: domain.to_owned(),
            action: job.kind.clone(),
            state: job.status().label().to_ascii_lowercase(),
            total: i64::from(job.total),
            pending: tally.pending,
            done: tally.done,
            failed: tally.failed,
            skipped: tally.skipped,
            created_at: rfc3339(job.created_at),
            finished_at: job.finished_at.map(rfc3339),
            href: format!("/api/v1/jobs/{}", job.id),
        }
    }
}

impl From<Item> for ItemOut {
    fn from(item: Item) -> Self {
        Self {
            extension: item.extension,
            name: item.user_name,
            outcome: item.state.as_str().to_owned(),
            reason: item.reason,
        }
    }
}

fn unprocessable(pointer: &str, detail: impl Into<String>) -> AppError {
    let detail = detail.into();
    AppError::Unprocessable {
        message: detail.clone(),
        fields: vec![FieldProblem {
            pointer: pointer.to_owned(),
            detail,
        }],
    }
}

fn many_unprocessable(fields: Vec<FieldProblem>) -> AppError {
    match fields.as_slice() {
        [only] => unprocessable(&only.pointer, only.detail.clone()),
        _ => AppError::Unprocessable {
            message: format!(
                "{} values were not accepted; each is named in errors.",
                fields.len()
            ),
            fields,
        },
    }
}

/// Refuses a field sent that `action` does not read.
fn refuse_unused(request: &JobIn) -> Result<(), AppError> {
    use JobAction as A;
    let action = request.action;
    let sent = [
        (
            "extensions",
            request.extensions.is_some(),
            !matches!(action, A::Import | A::Recycle),
        ),
        (
            "filter",
            request.filter.is_some(),
            matches!(
                action,
                A::Reset | A::Delete | A::Welcome | A::ForcePasswordReset | A::Edit
            ),
        ),
        ("options", request.options.is_some(), action == A::Reset),
        ("recycle", request.recycle, action == A::Reset),
        (
            "job",
            request.job.is_some(),
            matches!(action, A::Undo | A::Recycle),
        ),
        (
            "rows",
            request.rows.is_some(),
            matches!(action, A::Import | A::Recycle),
        ),
        (
            "welcome",
            request.welcome,
            matches!(action, A::Import | A::Recycle),
        ),
        ("expected", request.expected.is_some(), action != A::Recycle),
        (
            "successors",
            request.successors.is_some(),
            action == A::Delete,
        ),
        ("fields", request.fields.is_some(), action == A::Edit),
    ];
    let unused: Vec<FieldProblem> = sent
        .into_iter()
        .filter(|(_, present, applies)| *present && !applies)
        .map(|(field, _, _)| FieldProblem {
            pointer: format!("#/{field}"),
            detail: format!("{field} does not apply to this action."),
        })
        .collect();
    if unused.is_empty() {
        Ok(())
    } else {
        Err(many_unprocessable(unused))
    }
}

/// The extensions named, each checked as the forms check one.
fn parsed_extensions(extensions: &[String]) -> Result<Vec<Extension>, AppError> {
    if extensions.is_empty() {
        return Err(unprocessable("#/extensions", "Select at least one user."));
    }
    if extensions.len() > MAX_EXTENSIONS {
        return Err(unprocessable(
            "#/extensions",
            format!("Select at most {MAX_EXTENSIONS} users at once."),
        ));
    }
    let mut refused = Vec::new();
    let mut parsed = Vec::with_capacity(extensions.len());
    for (index, text) in extensions.iter().enumerate() {
        match Extension::parse(text) {
            Ok(extension) => parsed.push(extension),
            Err(invalid) => refused.push(FieldProblem {
                pointer: format!("#/extensions/{index}"),
                detail: invalid.to_string(),
            }),
        }
    }
    if refused.is_empty() {
        Ok(parsed)
    } else {
        Err(many_unprocessable(refused))
    }
}

/// A filter as the Users page reads one.
fn filter_of(domain: &Domain, filter: &FilterIn) -> Result<ListFilter, AppError> {
    let search = parse_search(filter.q.as_deref())
        .map_err(|invalid| unprocessable("#/filter/q", invalid.to_string()))?;
    let status = parse_status(filter.status.as_deref())
        .map_err(|invalid| unprocessable("#/filter/status", invalid.to_string()))?;
    Ok(ListFilter {
        domain_id: domain.id,
        search,
        status,
        include_system: filter.system,
    })
}

/// The Reset Users options named, or the defaults; an unknown one is refused.
fn reset_options(options: Option<&[String]>) -> Result<ResetOptions, AppError> {
    let Some(options) = options else {
        return Ok(ResetOptions::defaults());
    };
    let unknown: Vec<FieldProblem> = options
        .iter()
        .enumerate()
        .filter(|(_, key)| ResetOption::from_key(key).is_none())
        .map(|(index, key)| FieldProblem {
            pointer: format!("#/options/{index}"),
            detail: format!("{key} is not a Reset Users option."),
        })
        .collect();
    if !unknown.is_empty() {
        return Err(many_unprocessable(unknown));
    }
    let chosen = ResetOptions::from_keys(options.iter().map(String::as_str));
    chosen
        .require_some()
        .map_err(|invalid| unprocessable("#/options", invalid.to_string()))?;
    Ok(chosen)
}

/// Import rows as the CSV the import reads: one column per key, in the order keys first
/// appear; numbers and booleans as text, null as empty.
fn rows_as_csv(rows: &[serde_json::Map<String, serde_json::Value>]) -> Result<Vec<u8>, AppError> {
    let mut columns: Vec<&str> = Vec::new();
    for row in rows {
        for key in row.keys() {
            if !columns.contains(&key.as_str()) {
                columns.push(key);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let failed = |err: csv::Error| AppError::Internal(format!("rows as CSV: {err}"));
    writer.write_record(&columns).map_err(failed)?;
    for (index, row) in rows.iter().enumerate() {
        // What a spreadsheet would never hold: refused here, naming the value.
        let controlled = row.iter().find(|(key, value)| {
            let refused = |text: &str| {
                text.chars()
                    .any(|c| c.is_control() && c != '\n' && c != '\t')
            };
            refused(key) || value.as_str().is_some_and(refused)
        });
        if let Some((key, _)) = controlled {
            return Err(unprocessable(
                &format!("#/rows/{index}/{key}"),
                "A row's values cannot contain control characters (such as NUL).",
            ));
        }
        let mut record = Vec::with_capacity(columns.len());
        for column in &columns {
            record.push(match row.get(*column) {
                None | Some(serde_json::Value::Null) => String::new(),
                Some(serde_json::Value::String(text)) => text.clone(),
                Some(serde_json::Value::Number(number)) => number.to_string(),
                Some(serde_json::Value::Bool(flag)) => flag.to_string(),
                Some(_) => {
                    return Err(unprocessable(
                        &format!("#/rows/{index}/{column}"),
                        "A row's values are text, numbers or true/false.",
                    ));
                }
            });
        }
        writer.write_record(&record).map_err(failed)?;
    }
    writer
        .into_inner()
        .map_err(|err| AppError::Internal(format!("rows as CSV: {err}")))
}

/// Whom the request names: `extensions` or `filter`, one of them.
fn named(domain: &Domain, request: &JobIn) -> Result<Named, AppError> {
    match (&request.extensions, &request.filter) {
        (Some(extensions), None) => Ok(Named::Extensions(parsed_extensions(extensions)?)),
        (None, Some(filter)) => Ok(Named::Filter(filter_of(domain, filter)?)),
        (Some(_), Some(_)) => Err(unprocessable(
            "#/filter",
            "Name the users by extensions or by filter, not both.",
        )),
        (None, None) => Err(unprocessable(
            "#/extensions",
            "Name the users: extensions, or a filter.",
        )),
    }
}

/// The job `request` asks for in `domain`, read and checked; `import_csv` holds an
/// import's rows as CSV.
fn request_of(
    domain: Domain,
    request: &JobIn,
    import_csv: Option<String>,
    highest: Scope,
) -> Result<JobRequest, AppError> {
    let action = match request.action {
        JobAction::Import => {
            let csv =
                import_csv.ok_or_else(|| unprocessable("#/rows", "Send the rows to import."))?;
            return Ok(JobRequest::Import {
                domain,
                csv,
                welcome: request.welcome,
            });
        }
        JobAction::Undo => {
            let job =
                JobId::new(request.job.ok_or_else(|| {
                    unprocessable("#/job", "Name the reset or edit job to undo.")
                })?);
            let only = request
                .extensions
                .as_deref()
                .map(parsed_extensions)
                .transpose()?
                .map(Named::Extensions);
            return Ok(JobRequest::Undo {
                domain: Some(domain),
                job,
                only,
                retry_of: None,
            });
        }
        JobAction::Reset => Action::Reset {
            options: reset_options(request.options.as_deref())?,
            recycle: request.recycle,
        },
        JobAction::Delete => Action::Delete {
            successors: Vec::new(),
        },
        JobAction::Welcome => Action::Welcome,
        JobAction::ForcePasswordReset => Action::ForcePasswordReset,
        JobAction::Restore => Action::Restore,
        JobAction::Edit => Action::Edit {
            fields: edit_of(request.fields.as_ref(), highest)?,
        },
        JobAction::Recycle => return Err(AppError::Internal("recycle is not a job".into())),
    };
    let successors = NamedSuccessors {
        all: None,
        each: request
            .successors
            .iter()
            .flatten()
            .map(|(user, successor)| (SuccessorOf::Extension(user.clone()), successor.clone()))
            .collect(),
    };
    Ok(JobRequest::Action {
        successors,
        users: named(&domain, request)?,
        domain,
        action,
        expected: request.expected,
    })
}

/// An edit's `fields`, each read by the edit form's rule: text as text, the two
/// voicemail switches as true or false; an unknown or refused field named by its pointer.
fn edit_of(
    fields: Option<&serde_json::Map<String, serde_json::Value>>,
    highest: Scope,
) -> Result<FieldEdit, AppError> {
    let fields = fields
        .filter(|fields| !fields.is_empty())
        .ok_or_else(|| unprocessable("#/fields", "Name at least one field to set."))?;
    let mut typed: Vec<(EditField, String)> = Vec::with_capacity(fields.len());
    let mut problems = Vec::new();
    for (key, value) in fields {
        let pointer = format!("#/fields/{key}");
        let Some(field) = EditField::from_key(key) else {
            problems.push(FieldProblem {
                pointer,
                detail: format!("{key} is not a field Edit Users sets."),
            });
            continue;
        };
        let text = match (field.is_switch(), value) {
            (true, serde_json::Value::Bool(on)) => Some(if *on { "on" } else { "off" }.to_owned()),
            (false, serde_json::Value::String(text)) => Some(text.clone()),
            _ => None,
        };
        match text {
            Some(text) => typed.push((field, text)),
            None => problems.push(FieldProblem {
                pointer,
                detail: if field.is_switch() {
                    "Send true or false.".to_owned()
                } else {
                    "Send text (empty to clear).".to_owned()
                },
            }),
        }
    }
    if !problems.is_empty() {
        return Err(many_unprocessable(problems));
    }
    FieldEdit::parse(
        typed.iter().map(|(field, text)| (*field, text.as_str())),
        highest,
    )
    .map_err(|refused| {
        many_unprocessable(
            refused
                .into_iter()
                .map(|(field, invalid)| FieldProblem {
                    pointer: format!("#/fields/{}", field.key()),
                    detail: invalid.to_string(),
                })
                .collect(),
        )
    })
}

/// What the API answers to a request that started nothing: each value refused named by
/// its place in the request.
fn refusal_of(err: RequestError) -> AppError {
    match err {
        RequestError::Unknown(unknown) => many_unprocessable(
            unknown
                .iter()
                .map(|one| FieldProblem {
                    pointer: format!("#/extensions/{}", one.index),
                    detail: one.message(),
                })
                .collect(),
        ),
        RequestError::Import(ImportError::File(err)) => unprocessable("#/rows", err.to_string()),
        RequestError::Import(ImportError::RowErrors(rows)) => many_unprocessable(
            rows.into_iter()
                .map(|(number, note)| FieldProblem {
                    // Row 1 of the sheet is its column names.
                    pointer: format!("#/rows/{}", number.saturating_sub(2)),
                    detail: note,
                })
                .collect(),
        ),
        RequestError::Job(
            err @ (JobError::UnknownSuccessor(_)
            | JobError::SuccessorDeleted { .. }
            | JobError::NotSelected(_)),
        ) => unprocessable("#/successors", err.to_string()),
        RequestError::Import(err @ ImportError::NoChange) => {
            unprocessable("#/rows", err.to_string())
        }
        other => other.into(),
    }
}

/// The request's `Idempotency-Key`, if it sent one.
fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, AppError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let key = value.to_str().map(str::trim).unwrap_or_default();
    if key.is_empty()
        || key.chars().count() > MAX_KEY_CHARS
        || !key.chars().all(|c| c.is_ascii_graphic() || c == ' ')
    {
        return Err(AppError::BadRequest(format!(
            "An Idempotency-Key is 1 to {MAX_KEY_CHARS} printable ASCII characters."
        )));
    }
    Ok(Some(key.to_owned()))
}

/// What identifies a request under one key: the route and the request as read.
fn fingerprint(route: &str, request: &impl Serialize) -> String {
    let body = serde_json::to_string(request).unwrap_or_default();
    Sha256::digest(format!("{route}\n{body}").as_bytes())
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Starts `request` (once per idempotency key; every time without one), then answers
/// with the job: 202 and its address, marked when it was started by an earlier request.
async fn start_and_answer(
    req: &HttpRequest,
    caller: &ApiCaller,
    state: &AppState,
    route: String,
    sent: &(impl Serialize + Sync),
    request: JobRequest,
) -> ApiResult<HttpResponse> {
    let key = idempotency_key(req)?.map(|key| Key {
        key,
        fingerprint: fingerprint(&route, sent),
    });
    let acting = caller.acting();
    let once = state
        .db(move |conn| start_requested(conn, &acting, &request, key.as_ref()).map_err(refusal_of))
        .await?;
    let (job_id, replayed) = match once {
        Once::Started(job_id) => (job_id, false),
        Once::Replayed(job_id) => (job_id, true),
        Once::KeyReused => {
            return Err(AppError::Unprocessable {
                message: "This Idempotency-Key was used for another request. Use a new key for a new request.".into(),
                fields: Vec::new(),
            }
            .into());
        }
    };
    state.jobs.wake();
    let rights = caller.rights();
    let (job, domain, tally) = state
        .db(move |conn| job_service::with_tally(conn, &rights, job_id))
        .await?;
    let out = JobOut::of(&job, &domain.name, &tally);
    let mut response = HttpResponse::Accepted();
    response.insert_header((header::LOCATION, out.href.clone()));
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    Ok(response.json(out))
}

/// Start a bulk job
///
/// Checks the request as the Bulk Action dialog checks its steps, writes the job and one
/// item per user, and answers at once (202); follow the job at its `href`.
#[utoipa::path(
    operation_id = "start_job",
    tag = "jobs",
    params(
        ("domain" = String, Path, description = "The domain's name."),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique text: a request retried with the same key and body starts no second job."),
    ),
    request_body = JobIn,
    responses(
        Refusals,
        (status = 202, description = "The job, started (or, with a key used before for this request, the job it started).", body = JobOut,
            headers(("Location" = String, description = "The job's address."))),
        (status = 200, description = "A recycle: done at once.", body = RecycledOut),
        (status = 400, description = "A body that is not such JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a domain the token's owner manages.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job (or, for a Super User, no such domain; anyone else gets 403 for a domain that does not exist).", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The selection changed from `expected`, or a user changed since.", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Values not accepted, each named in errors (an unknown extension, an import row's error, a key reused).", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/domains/{domain}/jobs")]
pub async fn start(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Json<JobIn>,
) -> ApiResult<HttpResponse> {
    let domain = managed_domain_of(&caller.rights(), &caller.domain, &state, &path).await?;
    let request = body.into_inner();
    refuse_unused(&request)?;
    if request.action == JobAction::Recycle {
        return recycle(&caller, &state, &domain, &request).await;
    }
    let import_csv = match (&request.action, &request.rows) {
        (JobAction::Import, Some(rows)) if rows.is_empty() => {
            return Err(unprocessable("#/rows", "Send at least one row.").into());
        }
        (JobAction::Import, Some(rows)) => {
            let bytes = rows_as_csv(rows)?;
            Some(
                String::from_utf8(bytes)
                    .map_err(|_| AppError::Internal("rows as CSV: not UTF-8".into()))?,
            )
        }
        _ => None,
    };
    let route = format!("/domains/{}/jobs", domain.name);
    let job_request = request_of(domain, &request, import_csv, caller.rights().scope)?;
    start_and_answer(&req, &caller, &state, route, &request, job_request).await
}

/// A recycle: the rows named by extension, each the new person of a user the reset job
/// reset with Recycle Users.
async fn recycle(
    caller: &ApiCaller,
    state: &AppState,
    domain: &Domain,
    request: &JobIn,
) -> ApiResult<HttpResponse> {
    let job_id = JobId::new(
        request
            .job
            .ok_or_else(|| unprocessable("#/job", "Name the reset job whose users to recycle."))?,
    );
    let rows = request.rows.as_deref().unwrap_or_default();
    if rows.is_empty() {
        return Err(unprocessable("#/rows", "Send at least one row.").into());
    }
    let rights = caller.rights();
    let (job, job_domain, candidates) = state
        .db(move |conn| job_service::recycle_candidates(conn, &rights, job_id))
        .await?;
    if job_domain.id != domain.id {
        return Err(AppError::NotFound("There is no such job in this domain.".into()).into());
    }
    let by_extension: HashMap<&str, &crate::db::users::User> = candidates
        .iter()
        .map(|user| (user.extension.as_str(), user))
        .collect();
    let text = |row: &serde_json::Map<String, serde_json::Value>, key: &str| {
        row.get(key)
            .and_then(serde_json::Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    let mut refused = Vec::new();
    let mut to_save = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let mut refuse = |field: &str, detail: String| {
            refused.push(FieldProblem {
                pointer: format!("#/rows/{index}/{field}"),
                detail,
            });
        };
        let extension = text(row, "extension");
        let Some(user) = by_extension.get(extension.as_str()) else {
            refuse("extension", JobError::NotInJob.to_string());
            continue;
        };
        let occupant = NewOccupant::parse(
            &text(row, "first_name"),
            &text(row, "last_name"),
            &text(row, "email"),
        );
        match occupant {
            Ok(occupant) => to_save.push(RecycleRow {
                user_id: user.id,
                version: user.version,
                occupant,
            }),
            Err(fields) => {
                for (field, invalid) in fields {
                    refuse(field.key(), invalid.to_string());
                }
            }
        }
    }
    if !refused.is_empty() {
        return Err(many_unprocessable(refused).into());
    }
    let acting = caller.acting();
    let links = request.welcome.then(|| state.links.clone());
    let recycled = state
        .db(move |conn| recycle::recycle(conn, &acting, &job, &to_save, links.as_deref()))
        .await?;
    if request.welcome {
        state.postman.wake();
    }
    Ok(HttpResponse::Ok().json(RecycledOut {
        recycled: recycled.saved,
        welcome_emails: recycled.welcomed,
        welcome_emails_over_daily_cap: recycled.over_cap,
    }))
}

#[derive(Deserialize, IntoParams, Default)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct ItemsQuery {
    /// Items per read, 1 to 1000 (default 100).
    limit: Option<i64>,
    /// The `next_cursor` of the read before.
    cursor: Option<i64>,
}

/// Follow a job
///
/// Its state and counts, and its users' outcomes from `cursor` on.
#[utoipa::path(
    operation_id = "read_job",
    tag = "jobs",
    params(("id" = i64, Path, description = "The job's id."), ItemsQuery),
    responses(
        Refusals,
        (status = 200, description = "The job and a page of its users' outcomes.", body = JobDetail),
        (status = 403, description = "A job of a domain the token's owner does not manage.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/jobs/{id}")]
pub async fn read(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
    query: web::Query<ItemsQuery>,
) -> ApiResult<HttpResponse> {
    let limit = query.limit.unwrap_or(DEFAULT_ITEMS);
    if !(1..=MAX_ITEMS).contains(&limit) {
        return Err(
            AppError::BadRequest(format!("limit is a number from 1 to {MAX_ITEMS}.")).into(),
        );
    }
    let after = query.cursor.unwrap_or(0);
    let (rights, job_id) = (caller.rights(), path.into_inner());
    let (job, domain, tally, mut items) = state
        .db(move |conn| {
            let (job, domain, tally) = job_service::with_tally(conn, &rights, job_id)?;
            let items = job_service::items_after(conn, &rights, job_id, after, limit + 1)?;
            Ok::<_, JobError>((job, domain, tally, items))
        })
        .await?;
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    let next_cursor = (items.len() > limit)
        .then(|| {
            items.truncate(limit);
            items.last().map(|last| last.id)
        })
        .flatten();
    Ok(HttpResponse::Ok().json(JobDetail {
        job: JobOut::of(&job, &domain.name, &tally),
        items: items.into_iter().map(ItemOut::from).collect(),
        next_cursor,
    }))
}

/// Stop a job
///
/// Users not yet started are skipped with "Stopped."; those done stay done. A job that
/// has ended is left as it is.
#[utoipa::path(
    operation_id = "stop_job",
    tag = "jobs",
    params(("id" = i64, Path, description = "The job's id.")),
    responses(
        Refusals,
        (status = 200, description = "The job, stopped (or as it ended).", body = JobOut),
        (status = 403, description = "A job of a domain the token's owner does not manage.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/jobs/{id}/stop")]
pub async fn stop(
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> ApiResult<HttpResponse> {
    let (acting, rights, job_id) = (caller.acting(), caller.rights(), path.into_inner());
    let (job, domain, tally) = state
        .db(move |conn| {
            job_service::stop(conn, &acting, job_id)?;
            job_service::with_tally(conn, &rights, job_id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(JobOut::of(&job, &domain.name, &tally)))
}

/// Retry a job's failed users
///
/// A new job, with the same action and options, for the users the job failed.
#[utoipa::path(
    operation_id = "retry_job",
    tag = "jobs",
    params(
        ("id" = i64, Path, description = "The job's id."),
        ("Idempotency-Key" = Option<String>, Header, description = "Any unique text: a request retried with the same key starts no second job."),
    ),
    responses(
        Refusals,
        (status = 202, description = "The new job.", body = JobOut,
            headers(("Location" = String, description = "The new job's address."))),
        (status = 400, description = "The job is still running, failed nobody, or is an import.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "A job of a domain the token's owner does not manage.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job.", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/jobs/{id}/retry")]
pub async fn retry(
    req: HttpRequest,
    caller: ApiCaller,
    state: web::Data<AppState>,
    path: web::Path<JobId>,
) -> ApiResult<HttpResponse> {
    let job_id = path.into_inner();
    let route = format!("/jobs/{job_id}/retry");
    let request = JobRequest::Retry { job: job_id };
    start_and_answer(&req, &caller, &state, route, &job_id, request).await
}
