//! Import from a spreadsheet (`/domains/{domain}/import`): the form takes a CSV file as
//! a plain multipart post, **Check** shows what each row would do and keeps the file,
//! **Import {N} rows** starts the job, and **Download errors** gives back the rejected
//! rows with an `error` column.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, stream};
use serde::Deserialize;

use super::paths;
use super::session::Actor;
use super::users::managed_domain;
use crate::error::AppError;
use crate::services::import::check::{self, Outcome, Reach, RowSummary};
use crate::services::import::file::{self, FileError};
use crate::services::import::run::{self, ImportError};
use crate::state::AppState;
use crate::views::csv;
use crate::views::import::{CheckPage, CheckRow, ImportPage};

impl From<ImportError> for AppError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::FileGone => AppError::NotFound(err.to_string()),
            ImportError::File(_) | ImportError::NothingToImport => {
                AppError::BadRequest(err.to_string())
            }
            ImportError::Bulk(err) => err.into(),
            ImportError::Database(err) => err.into(),
        }
    }
}

fn form_page(
    actor: &Actor,
    domain: &str,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    crate::views::page(
        status,
        &ImportPage {
            chrome: actor.chrome(),
            domain: domain.to_owned(),
            users_href: paths::users(domain),
            action: paths::import(domain),
            error,
        },
    )
}

/// The Import page: the form.
pub async fn form(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    form_page(&actor, &domain.name, StatusCode::OK, None)
}

/// The uploaded file's name and bytes, read within the size limit.
async fn uploaded(mut payload: Multipart) -> Result<Option<(String, Vec<u8>)>, FileError> {
    while let Some(field) = payload.next().await {
        let Ok(mut field) = field else {
            return Err(FileError::NotCsv("the upload was cut short.".into()));
        };
        if field.name() != Some("file") {
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| FileError::NotCsv("the upload was cut short.".into()))?;
            }
            continue;
        }
        let name = field
            .content_disposition()
            .and_then(|disposition| disposition.get_filename())
            .map(str::to_owned)
            .unwrap_or_default();
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|_| FileError::NotCsv("the upload was cut short.".into()))?;
            if bytes.len() + chunk.len() > file::MAX_BYTES {
                return Err(FileError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some((name, bytes)));
    }
    Ok(None)
}

/// **Check**: reads and checks the file, keeps it, and shows every row's outcome.
pub async fn check(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let refuse = |message: String| {
        form_page(
            &actor,
            &domain.name,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
        )
    };
    let (file_name, bytes) = match uploaded(payload).await {
        Ok(Some((name, bytes))) if !bytes.is_empty() || !name.is_empty() => (name, bytes),
        Ok(_) => return refuse("Choose a CSV file to check.".into()),
        Err(err) => return refuse(err.to_string()),
    };
    let sheet = match file::read(&bytes) {
        Ok(sheet) => sheet,
        Err(err) => return refuse(err.to_string()),
    };
    let content = String::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest(FileError::NotText.to_string()))?;
    let file_name = shown_file_name(&file_name);
    let (rights, in_domain, kept_name) = (actor.rights(), domain.clone(), file_name.clone());
    let (checked, file_id) = state
        .db(move |conn| {
            let checked = check::check(conn, &rights, Reach::Domain(&in_domain), &sheet)?;
            let id = run::keep_checked(
                conn,
                &rights,
                Some(&in_domain),
                &kept_name,
                &content,
                &checked,
            )?;
            Ok::<_, diesel::result::Error>((checked, id))
        })
        .await?;
    let applicable = checked.applicable();
    crate::views::ok(&CheckPage {
        chrome: actor.chrome(),
        users_href: paths::users(&domain.name),
        import_href: paths::import(&domain.name),
        file_name,
        counts: CheckPage::counts_of(&checked),
        ignored: checked.ignored_columns.join(", "),
        errors_href: (checked.count(Outcome::Error) > 0)
            .then(|| paths::import_errors(&domain.name, file_id)),
        apply_href: (applicable > 0).then(|| paths::import_apply(&domain.name, file_id)),
        applicable,
        rows: checked.rows.iter().map(CheckRow::from).collect(),
        domain: domain.name,
    })
}

/// The file's name as shown and audited: its last path part, printable, at most 100
/// characters.
fn shown_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last.chars().filter(|c| !c.is_control()).take(100).collect();
    if clean.trim().is_empty() {
        "upload.csv".into()
    } else {
        clean
    }
}

#[derive(Deserialize)]
pub struct ApplyForm {
    #[serde(default)]
    welcome: Option<String>,
}

/// **Import {N} rows**: the kept file checked again and started as one job.
pub async fn apply(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
    form: web::Form<ApplyForm>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, file_id) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain_name).await?;
    let welcome = matches!(form.welcome.as_deref(), Some("1" | "on" | "true"));
    let acting = actor.acting();
    let job_id = state
        .db(move |conn| run::start(conn, &acting, &domain, file_id, welcome))
        .await?;
    super::bulk::started(&req, &actor, &state, job_id).await
}

/// **Download errors**: the rows the check rejected, as the file had them, with an
/// `error` column.
pub async fn errors(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, i64)>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, file_id) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain_name).await?;
    let rights = actor.rights();
    let kept = state
        .db(move |conn| run::kept_file(conn, &rights, file_id))
        .await?;
    if kept.domain_id != Some(domain.id) {
        return Err(ImportError::FileGone.into());
    }
    let sheet = file::read(kept.content.as_bytes()).map_err(ImportError::from)?;
    let summary: Vec<RowSummary> = serde_json::from_str(&kept.checked)
        .map_err(|err| AppError::Internal(format!("import summary: {err}")))?;
    let errors: std::collections::HashMap<usize, &str> = summary
        .iter()
        .filter_map(|row| Some((row.number, row.note.as_deref()?)))
        .collect();
    let mut body = csv::line(
        sheet
            .header
            .names
            .iter()
            .map(String::as_str)
            .chain(["error"]),
    );
    for row in &sheet.rows {
        if let Some(message) = errors.get(&row.number) {
            let width = sheet.header.names.len();
            let padding = width.saturating_sub(row.fields.len());
            body.push_str(&csv::line(
                row.fields
                    .iter()
                    .map(String::as_str)
                    .chain(std::iter::repeat_n("", padding))
                    .chain([*message]),
            ));
        }
    }
    let stem = kept.file_name.trim_end_matches(".csv").to_owned();
    Ok(csv::attachment(
        &format!("{stem}-errors.csv"),
        stream::once(async move { Ok(Bytes::from(body)) }),
    ))
}
