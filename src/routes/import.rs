//! Import from a spreadsheet: a domain's page (`/domains/{domain}/import`) and, for a
//! Reseller or Super User, `/import` across the domains they may open (each row names
//! its domain). The form takes a CSV file as a plain multipart post, **Check** shows
//! what each row would do and keeps the file, **Import {N} rows** starts the job, and
//! **Download errors** gives back the rejected rows with an `error` column.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::{StreamExt, stream};

use super::managed::managed_domain;
use crate::db::domains::Domain;
use crate::db::imports::ImportFile;
use crate::error::{AppError, redirect};
use crate::services::import::check::{Outcome, Reach, RowSummary};
use crate::services::import::file::{self, FileError, Sheet};
use crate::services::import::run::{self, ImportError};
use crate::state::AppState;
use crate::views::csv;
use crate::views::import::{CheckPage, CheckRow, ImportPage, Place as PlaceView};
use crate::web::paths;
use crate::web::session::Actor;

impl From<ImportError> for AppError {
    fn from(err: ImportError) -> Self {
        match err {
            ImportError::FileGone => AppError::NotFound(err.to_string()),
            ImportError::File(_)
            | ImportError::NothingToImport
            | ImportError::RowErrors(_)
            | ImportError::NoChange => AppError::BadRequest(err.to_string()),
            ImportError::Job(err) => err.into(),
            ImportError::Database(err) => err.into(),
            ImportError::Random(err) => AppError::Internal(err.to_string()),
        }
    }
}

/// Where an import happens.
enum Place {
    Domain(Domain),
    /// `/import`: rows of several domains.
    Domains,
}

impl Place {
    async fn of_domain(actor: &Actor, state: &AppState, name: &str) -> Result<Self, AppError> {
        Ok(Place::Domain(managed_domain(actor, state, name).await?))
    }

    fn across(actor: &Actor) -> Result<Self, AppError> {
        if actor.rights().scope.picks_domains() {
            Ok(Place::Domains)
        } else {
            Err(AppError::Forbidden(
                "Importing rows of several domains needs the Reseller or Super User scope.".into(),
            ))
        }
    }

    fn base(&self) -> String {
        match self {
            Place::Domain(domain) => paths::import(&domain.name),
            Place::Domains => paths::IMPORT.to_owned(),
        }
    }

    fn reach(&self) -> Reach<'_> {
        match self {
            Place::Domain(domain) => Reach::Domain(domain),
            Place::Domains => Reach::Domains,
        }
    }

    fn view(&self) -> PlaceView {
        match self {
            Place::Domain(domain) => PlaceView {
                name: domain.name.clone(),
                back_href: paths::users(&domain.name),
                back_label: format!("Users of {}", domain.name),
                across: false,
            },
            Place::Domains => PlaceView {
                name: "several domains".into(),
                back_href: paths::DOMAINS.into(),
                back_label: "Domains".into(),
                across: true,
            },
        }
    }
}

fn form_page(
    actor: &Actor,
    place: &Place,
    status: StatusCode,
    error: Option<String>,
) -> Result<HttpResponse, AppError> {
    crate::views::page(
        status,
        &ImportPage {
            chrome: actor.chrome(),
            place: place.view(),
            action: place.base(),
            error,
        },
    )
}

/// A domain's Import page: the form.
pub async fn form(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let place = Place::of_domain(&actor, &state, &path).await?;
    form_page(&actor, &place, StatusCode::OK, None)
}

/// `/import`: the form for rows of several domains.
pub async fn form_across(actor: Actor) -> Result<HttpResponse, AppError> {
    form_page(&actor, &Place::across(&actor)?, StatusCode::OK, None)
}

/// The uploaded file's name and bytes, read within the size limit.
async fn uploaded(mut payload: Multipart) -> Result<Option<(String, Vec<u8>)>, FileError> {
    let cut_short = || FileError::NotCsv("the upload was cut short.".into());
    while let Some(field) = payload.next().await {
        let mut field = field.map_err(|_| cut_short())?;
        if field.name() != Some("file") {
            while let Some(chunk) = field.next().await {
                chunk.map_err(|_| cut_short())?;
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
            let chunk = chunk.map_err(|_| cut_short())?;
            if bytes.len() + chunk.len() > file::MAX_BYTES {
                return Err(FileError::TooLarge);
            }
            bytes.extend_from_slice(&chunk);
        }
        return Ok(Some((name, bytes)));
    }
    Ok(None)
}

/// **Check** on a domain's Import page.
pub async fn check(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let place = Place::of_domain(&actor, &state, &path).await?;
    check_at(&actor, &state, place, payload).await
}

/// **Check** at `/import`.
pub async fn check_across(
    actor: Actor,
    state: web::Data<AppState>,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let place = Place::across(&actor)?;
    check_at(&actor, &state, place, payload).await
}

/// Reads and checks the file, keeps it, and shows every row's outcome.
async fn check_at(
    actor: &Actor,
    state: &AppState,
    place: Place,
    payload: Multipart,
) -> Result<HttpResponse, AppError> {
    let refuse = |message: String| {
        form_page(
            actor,
            &place,
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
    let Ok(content) = String::from_utf8(bytes) else {
        return refuse(FileError::NotText.to_string());
    };
    let file_name = shown_file_name(&file_name);
    let base = place.base();
    let rights = actor.rights();
    let file_key = state
        .db(move |conn| {
            run::check_and_keep(conn, &rights, place.reach(), &file_name, &content, &sheet)
                .map(|(key, _)| key)
        })
        .await?;
    // The check's own address: Back, Reload and a bookmark show it again, and never
    // send the file a second time.
    Ok(redirect(&paths::import_check(&base, &file_key)))
}

/// A checked file's check page on a domain's Import page (`…/import/{key}`).
pub async fn shown(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, file_key) = path.into_inner();
    let place = Place::of_domain(&actor, &state, &domain_name).await?;
    check_page(&actor, &state, place, file_key).await
}

/// A checked file's check page at `/import/{key}`.
pub async fn shown_across(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let place = Place::across(&actor)?;
    check_page(&actor, &state, place, path.into_inner()).await
}

/// The actor's kept file `file_key` of the import page `place`, read again: the row, the
/// file as uploaded, and what the check found per row. Another page's file is gone.
async fn kept_check(
    actor: &Actor,
    state: &AppState,
    place: &Place,
    file_key: String,
) -> Result<(ImportFile, Sheet, Vec<RowSummary>), AppError> {
    let rights = actor.rights();
    let kept = state
        .db(move |conn| run::kept_file(conn, &rights, &file_key))
        .await?;
    if kept.domain_id != place.reach().domain().map(|domain| domain.id) {
        return Err(ImportError::FileGone.into());
    }
    let sheet = file::read(kept.content.as_bytes()).map_err(ImportError::from)?;
    let rows: Vec<RowSummary> = serde_json::from_str(&kept.checked)
        .map_err(|err| AppError::Internal(format!("import summary: {err}")))?;
    Ok((kept, sheet, rows))
}

/// What the check found in the kept file `file_key`, every row's outcome, as the page
/// that asks to import it.
async fn check_page(
    actor: &Actor,
    state: &AppState,
    place: Place,
    file_key: String,
) -> Result<HttpResponse, AppError> {
    let (kept, sheet, rows) = kept_check(actor, state, &place, file_key.clone()).await?;
    let base = place.base();
    let applicable = rows.iter().filter(|row| row.outcome.applies()).count();
    let errors = rows.iter().any(|row| row.outcome == Outcome::Error);
    crate::views::ok(&CheckPage {
        chrome: actor.chrome(),
        import_href: base.clone(),
        file_name: kept.file_name,
        counts: CheckPage::counts_of(&rows),
        ignored: sheet.header.ignored.join(", "),
        errors_href: errors.then(|| paths::import_errors(&base, &file_key)),
        apply_href: (applicable > 0).then(|| paths::import_apply(&base, &file_key)),
        applicable,
        rows: rows.iter().map(CheckRow::from).collect(),
        place: place.view(),
    })
}

/// The file's name as shown and audited: its last path part, printable (no control or
/// format characters), at most 100 characters.
fn shown_file_name(name: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = last
        .chars()
        .filter(|c| !c.is_control() && !crate::domain::fields::is_format_char(*c))
        .take(100)
        .collect();
    if clean.trim().is_empty() {
        "upload.csv".into()
    } else {
        clean
    }
}

/// The fields of **Import {N} rows**: the **Send Welcome Email** box (a script may send
/// no body at all).
struct ApplyForm {
    welcome: Option<String>,
}

impl ApplyForm {
    fn parse(body: &[u8]) -> Result<Self, AppError> {
        serde_urlencoded::from_bytes::<Vec<(String, String)>>(body)
            .map(|pairs| ApplyForm {
                welcome: pairs
                    .into_iter()
                    .find(|(key, _)| key == "welcome")
                    .map(|(_, value)| value),
            })
            .map_err(|_| AppError::BadRequest("The form could not be read.".into()))
    }
}

/// **Import {N} rows** on a domain's Import page.
pub async fn apply(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain_name, file_key) = path.into_inner();
    let place = Place::of_domain(&actor, &state, &domain_name).await?;
    apply_at(
        &req,
        &actor,
        &state,
        place,
        file_key,
        &ApplyForm::parse(&body)?,
    )
    .await
}

/// **Import {N} rows** at `/import`.
pub async fn apply_across(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let place = Place::across(&actor)?;
    let form = ApplyForm::parse(&body)?;
    apply_at(&req, &actor, &state, place, path.into_inner(), &form).await
}

/// The kept file checked again and started as one job.
async fn apply_at(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    place: Place,
    file_key: String,
    form: &ApplyForm,
) -> Result<HttpResponse, AppError> {
    let welcome = matches!(form.welcome.as_deref(), Some("1" | "on" | "true"));
    let acting = actor.acting();
    let job_id = state
        .db(move |conn| run::start(conn, &acting, place.reach(), &file_key, welcome))
        .await?;
    super::jobs::started(req, actor, state, job_id).await
}

/// **Download errors** on a domain's Import page.
pub async fn errors(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, file_key) = path.into_inner();
    let place = Place::of_domain(&actor, &state, &domain_name).await?;
    errors_of(&actor, &state, place, file_key).await
}

/// **Download errors** at `/import`.
pub async fn errors_across(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let place = Place::across(&actor)?;
    errors_of(&actor, &state, place, path.into_inner()).await
}

/// The rows the check rejected, as the file had them, with an `error` column.
async fn errors_of(
    actor: &Actor,
    state: &AppState,
    place: Place,
    file_key: String,
) -> Result<HttpResponse, AppError> {
    let (kept, sheet, summary) = kept_check(actor, state, &place, file_key).await?;
    let errors: std::collections::HashMap<usize, &str> = summary
        .iter()
        .filter(|row| row.outcome == Outcome::Error)
        .filter_map(|row| Some((row.number, row.note.as_deref()?)))
        .collect();
    let width = sheet.header.names.len();
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
            let padding = width.saturating_sub(row.fields.len());
            body.push_str(&csv::line(
                row.fields
                    .iter()
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
