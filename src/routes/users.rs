//! The Users page of a domain and the single-user pages around it: add, edit, and
//! delete (a dialog with JavaScript, a confirmation page without).

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::domains::Domain;
use crate::db::user_set::UserSet;
use crate::domain::fields::{ParsedUser, TypedUser, UserDetails, UserField};
use crate::domain::ids::UserId;
use crate::domain::listing::{ListParams, ListView};
use crate::domain::{Extension, Invalid, Scope};
use crate::error::{AppError, redirect};
use crate::services::sessions;
use crate::services::users::{self as user_service, UserChangeError};
use crate::services::users_page::{self, ListedPage, PageOf};
use crate::services::{call_routing, routing, two_step};
use crate::state::AppState;
use crate::views::results_cache::ResultsKey;
use crate::views::routing::{ReachedFrom, Successors, reaching_nobody};
use crate::views::users::DeleteReach;
use crate::views::users::{
    DeleteConfirmPage, FormField, MailRow, ResultsTable, SessionsSummary, UserFormFields,
    UserFormPage, UsersPage, UsersResults, UsersResultsFragment, ViewLinks, with_query,
};
use crate::web::htmx::HxRequest;
use crate::web::paths;

pub use super::managed::managed_domain;
use super::managed::managed_user;
use crate::web::session::{Actor, PortalSession};

/// The domain and the user a `/domains/{domain}/users/{extension}` path names: 404 for
/// no such user, 403 when the domain is not the actor's.
async fn user_of_path(
    actor: &Actor,
    state: &AppState,
    (domain_name, extension): (String, String),
) -> Result<(Domain, crate::db::users::User), AppError> {
    let domain = managed_domain(actor, state, &domain_name).await?;
    let extension = path_extension(&extension)?;
    let user = managed_user(&actor.rights(), state, &domain, extension).await?;
    Ok((domain, user))
}

/// The extension in a path; anything else names no user.
fn path_extension(text: &str) -> Result<Extension, AppError> {
    Extension::parse(text).map_err(|_| AppError::NotFound("There is no such user.".into()))
}

fn bad_request(invalid: Invalid) -> AppError {
    AppError::BadRequest(invalid.to_string())
}

/// True for htmx requests that want only the results (not a history restore, which
/// needs the whole page).
fn wants_results_only(req: &HttpRequest) -> bool {
    HxRequest::of(req).wants_fragment_for("users-results")
}

pub async fn list(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let view = ListView::parse(&params).map_err(bad_request)?;
    let key = ResultsKey {
        domain_id: domain.id,
        domain_name: domain.name.clone(),
        domain_created_at: domain.created_at,
        data_version: domain.data_version,
        view,
    };
    let results = match state.results.get(&key) {
        Some(html) => html,
        None => {
            let html = render_results(&state, &domain, &key.view).await?;
            state.results.insert(key.clone(), Arc::clone(&html));
            html
        }
    };
    let view = &key.view;
    let links = ViewLinks::new(&domain.name, view);
    let mut response = if wants_results_only(&req) {
        crate::views::ok::<AppError>(&UsersResultsFragment {
            links,
            results,
            oob: true,
        })?
    } else {
        let flash = PortalSession::of(&req).take_flash();
        crate::views::ok::<AppError>(
            &UsersPage::new(
                actor.chrome(),
                &domain.name,
                view,
                flash,
                links,
                results,
                state.settings.retention_days,
            )
            .with_dead_ends(domain.dead_ends),
        )?
    };
    response.headers_mut().insert(
        actix_web::http::header::VARY,
        actix_web::http::header::HeaderValue::from_static("HX-Request, HX-Target"),
    );
    Ok(response)
}

/// Reads a page of users and renders it as the results table. The caller read the
/// domain's data version (with the domain) before this, so the rows are at least as
/// new as the version the cache files them under.
async fn render_results(
    state: &AppState,
    domain: &Domain,
    view: &ListView,
) -> Result<Arc<str>, AppError> {
    let page = PageOf::view(domain.id, view);
    // A search may scan the domain; every other page reads one range of an index.
    let ListedPage {
        rows,
        total,
        has_next,
    } = if page.reads_one_range() {
        state
            .read(move |conn| users_page::read(conn, &page))
            .await?
    } else {
        state.db(move |conn| users_page::read(conn, &page)).await?
    };
    let results = UsersResults::new(&domain.name, view, rows, total, has_next);
    Ok(ResultsTable { results: &results }.render()?.into())
}

/// The add and edit forms as posted. Every field defaults to empty so that a missing
/// one is reported next to its field rather than as an unreadable form.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserForm {
    extension: String,
    first_name: String,
    last_name: String,
    email: String,
    scope: String,
    department: String,
    site: String,
    time_zone: String,
    caller_id_number: String,
    emergency_caller_id: String,
    version: String,
}

/// The form's fields as typed, each with its error when refused.
struct CheckedForm {
    fields: [FormField; 10],
    details: Option<UserDetails>,
    extension: Option<Extension>,
}

fn check_form(form: &UserForm) -> CheckedForm {
    let typed = TypedUser {
        extension: Some(&form.extension),
        first_name: Some(&form.first_name),
        last_name: Some(&form.last_name),
        email: Some(&form.email),
        scope: Some(&form.scope),
        department: Some(&form.department),
        site: Some(&form.site),
        time_zone: Some(&form.time_zone),
        caller_id_number: Some(&form.caller_id_number),
        emergency_caller_id: Some(&form.emergency_caller_id),
    };
    let parsed = ParsedUser::parse(&typed);
    let as_typed = [
        &form.extension,
        &form.first_name,
        &form.last_name,
        &form.email,
        &form.scope,
        &form.department,
        &form.site,
        &form.time_zone,
        &form.caller_id_number,
        &form.emergency_caller_id,
    ];
    let fields = std::array::from_fn(|at| FormField {
        value: as_typed[at].clone(),
        error: parsed.refusal(UserField::ALL[at]).map(ToString::to_string),
    });
    CheckedForm {
        fields,
        details: parsed.details(),
        extension: parsed.extension.and_then(Result::ok),
    }
}

/// Messages listed on the edit page.
const RECENT_MAIL: i64 = 10;

struct FormPage<'a> {
    actor: &'a Actor,
    domain: &'a Domain,
    editing: Option<&'a str>,
    version: i32,
    /// Set on the edit page, which offers the single-user Reset User.
    user_id: Option<UserId>,
    /// The edit page's list of recent mail to the user.
    mail: Vec<MailRow>,
    /// The edit page's note of the user's sessions.
    sessions: Option<SessionsSummary>,
    /// The edit page's Reached from.
    reached_from: Option<ReachedFrom>,
    flash: Option<String>,
}

impl FormPage<'_> {
    fn render(
        &self,
        status: StatusCode,
        fields: UserFormFields,
        form_error: Option<String>,
    ) -> Result<HttpResponse, AppError> {
        let page = UserFormPage {
            version: self.version,
            reset_user_id: self.user_id,
            mail: self.mail.clone(),
            sessions: self.sessions.clone(),
            reached_from: self.reached_from.clone(),
            flash: self.flash.clone(),
            form_error,
            domain_time_zone: self.domain.time_zone.clone(),
            ..UserFormPage::new(
                self.actor.chrome(),
                &self.domain.name,
                self.editing,
                self.actor.user.scope,
                fields,
            )
        };
        crate::views::page(status, &page)
    }
}

/// Puts a service's refusal next to the field it concerns, or above the form.
fn place_error(
    err: UserChangeError,
    fields: &mut UserFormFields,
) -> Result<(StatusCode, Option<String>), AppError> {
    let message = err.to_string();
    match err {
        UserChangeError::ExtensionTaken(_) => fields[0].error = Some(message),
        UserChangeError::ScopeTooHigh | UserChangeError::OwnScope => {
            fields[4].error = Some(message)
        }
        UserChangeError::Conflict => return Ok((StatusCode::CONFLICT, Some(message))),
        UserChangeError::Refused(refusal) => {
            return Ok((StatusCode::FORBIDDEN, Some(refusal.to_string())));
        }
        other @ (UserChangeError::NotFound(_)
        | UserChangeError::NoSuccessor(_)
        | UserChangeError::SelfSuccessor
        | UserChangeError::Hash(_)
        | UserChangeError::Database(_)) => return Err(other.into()),
    }
    Ok((StatusCode::UNPROCESSABLE_ENTITY, None))
}

pub async fn new_form(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let mut fields: UserFormFields = Default::default();
    fields[4] = FormField::new(Scope::BasicUser.label());
    FormPage {
        actor: &actor,
        domain: &domain,
        editing: None,
        version: 0,
        user_id: None,
        mail: Vec::new(),
        sessions: None,
        reached_from: None,
        flash: None,
    }
    .render(StatusCode::OK, fields, None)
}

pub async fn create(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let page = FormPage {
        actor: &actor,
        domain: &domain,
        editing: None,
        version: 0,
        user_id: None,
        mail: Vec::new(),
        sessions: None,
        reached_from: None,
        flash: None,
    };
    let CheckedForm {
        mut fields,
        details,
        extension,
    } = check_form(&form);
    let (Some(details), Some(extension)) = (details, extension) else {
        return page.render(StatusCode::UNPROCESSABLE_ENTITY, fields, None);
    };
    let acting = actor.acting();
    let in_domain = domain.clone();
    let created = state
        .db(move |conn| {
            Ok::<_, AppError>(user_service::create_user(
                conn, &acting, &in_domain, &extension, &details, None,
            ))
        })
        .await?;
    match created {
        Ok(user) => {
            let name = user.full_name();
            let message = if name.is_empty() {
                format!("User {} was added.", user.extension)
            } else {
                format!("User {} ({name}) was added.", user.extension)
            };
            PortalSession::of(&req).set_flash(&message)?;
            Ok(redirect(&paths::users(&domain.name)))
        }
        Err(err) => {
            let (status, form_error) = place_error(err, &mut fields)?;
            page.render(status, fields, form_error)
        }
    }
}

pub async fn edit_form(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (domain, user) = user_of_path(&actor, &state, path.into_inner()).await?;
    let user_id = user.id;
    let now = chrono::Utc::now().naive_utc();
    let in_domain = domain.clone();
    let activity = state
        .db(move |conn| user_service::activity(conn, &in_domain, user_id, RECENT_MAIL, now))
        .await?;
    let open_sessions = activity.open_sessions;
    let mail = activity.mail.into_iter().map(MailRow::from).collect();
    let reached_from = Some(ReachedFrom::new(&activity.reached_from));
    let sessions = if user.id == actor.user.id {
        SessionsSummary::Own
    } else {
        SessionsSummary::Other {
            open: open_sessions,
            end_action: paths::user_sessions_end(&domain.name, &user.extension),
            two_step_on: activity.two_step_on,
            reset_two_step_action: paths::user_two_step_reset(&domain.name, &user.extension),
        }
    };
    let fields = [
        FormField::new(user.extension.clone()),
        FormField::new(user.first_name.clone()),
        FormField::new(user.last_name.clone()),
        FormField::new(user.email.clone().unwrap_or_default()),
        FormField::new(user.scope.label()),
        FormField::new(user.department.clone()),
        FormField::new(user.site.clone()),
        FormField::new(user.time_zone.clone()),
        FormField::new(user.caller_id_number.clone()),
        FormField::new(user.emergency_caller_id.clone()),
    ];
    FormPage {
        actor: &actor,
        domain: &domain,
        editing: Some(&user.extension),
        version: user.version,
        user_id: Some(user.id),
        mail,
        sessions: Some(sessions),
        reached_from,
        flash: PortalSession::of(&req).take_flash(),
    }
    .render(StatusCode::OK, fields, None)
}

pub async fn update(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    form: web::Form<UserForm>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, extension) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain_name).await?;
    let extension = path_extension(&extension)?;
    let version = form.version.trim().parse::<i32>().unwrap_or(0);
    let shown_extension = extension.to_string();
    let page = FormPage {
        actor: &actor,
        domain: &domain,
        editing: Some(&shown_extension),
        version,
        user_id: None,
        mail: Vec::new(),
        sessions: None,
        reached_from: None,
        flash: None,
    };
    // The extension is read-only here: the path names the user, whatever the form says.
    let CheckedForm {
        mut fields,
        details,
        ..
    } = check_form(&UserForm {
        extension: shown_extension.clone(),
        ..form.into_inner()
    });
    let Some(details) = details else {
        return page.render(StatusCode::UNPROCESSABLE_ENTITY, fields, None);
    };
    let acting = actor.acting();
    let in_domain = domain.clone();
    let updated = state
        .db(move |conn| {
            Ok::<_, AppError>(user_service::update_user(
                conn, &acting, &in_domain, &extension, version, &details,
            ))
        })
        .await?;
    match updated {
        Ok(user) => {
            PortalSession::of(&req).set_flash(&format!("User {} was saved.", user.extension))?;
            Ok(redirect(&paths::users(&domain.name)))
        }
        Err(err) => {
            let (status, form_error) = place_error(err, &mut fields)?;
            page.render(status, fields, form_error)
        }
    }
}

/// The view the delete started from, to return to; a damaged one is dropped.
fn view_to_return_to(params: &ListParams) -> String {
    ListView::parse(params)
        .map(|view| view.page_query())
        .unwrap_or_default()
}

/// The confirmation page for browsers without JavaScript. It refuses up front what
/// the delete would refuse, so it never offers a Yes that cannot work.
/// Deleting one user without JavaScript: a confirmation page (Yes, No) with what reaches
/// the user and **Successor for {extension}**. The delete dialog asks for the same
/// (HX-Request) and gets the Reached from part alone.
pub async fn delete_form(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    params: web::Query<ListParams>,
) -> Result<HttpResponse, AppError> {
    let (domain, user) = user_of_path(&actor, &state, path.into_inner()).await?;
    actor.rights().may_act_on(crate::domain::TargetUser {
        id: user.id,
        scope: user.scope,
        domain: domain.as_ref(),
    })?;
    let (domain_id, user_id) = (domain.id, user.id);
    let (reached, choices) = state
        .db(move |conn| {
            let reached = routing::reached_from(conn, domain_id, &[user_id])?;
            let choices =
                call_routing::successor_choices(conn, domain_id, UserSet::Ids(&[user_id]))?;
            Ok::<_, diesel::result::Error>((reached, choices))
        })
        .await?;
    let reach = DeleteReach {
        nobody: reaching_nobody(&reached),
        successors: Successors::new(&[user.as_ref_user()], &reached, choices),
        reached_from: ReachedFrom::new(&reached),
    };
    if HxRequest::of(&req).scripted {
        return crate::views::ok(&reach);
    }
    let back = view_to_return_to(&params);
    let action = paths::user_delete(&domain.name, &user.extension);
    crate::views::ok(&DeleteConfirmPage {
        chrome: actor.chrome(),
        extension: user.extension.clone(),
        name: user.full_name(),
        action: with_query(&action, &back),
        back_href: with_query(&paths::users(&domain.name), &back),
        retention_days: state.settings.retention_days,
        domain: domain.name,
        reach,
    })
}

/// The delete's form: the successor's extension (empty: none).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    #[serde(flatten)]
    fields: std::collections::HashMap<String, String>,
}

impl DeleteForm {
    /// The successor named, by the field **Successor for {extension}** (`successor_{id}`).
    fn successor(&self) -> Result<Option<Extension>, AppError> {
        let named = self
            .fields
            .iter()
            .find(|(key, value)| key.starts_with("successor_") && !value.trim().is_empty());
        named
            .map(|(_, value)| Extension::parse(value).map_err(bad_request))
            .transpose()
    }
}

pub async fn delete(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    params: web::Query<ListParams>,
    form: Option<web::Form<DeleteForm>>,
) -> Result<HttpResponse, AppError> {
    let successor = match &form {
        Some(form) => form.successor()?,
        None => None,
    };
    let (domain, message) = delete_user(&actor, &state, path.into_inner(), successor).await?;
    if HxRequest::of(&req).scripted {
        // The dialog shows the message itself and reloads the table.
        return Ok(HttpResponse::Ok()
            .content_type("text/plain; charset=utf-8")
            .body(message));
    }
    PortalSession::of(&req).set_flash(&message)?;
    Ok(redirect(&with_query(
        &paths::users(&domain),
        &view_to_return_to(&params),
    )))
}

/// An office manager's **End sessions** on a user's edit page: every session and API
/// token of that user ends at once.
pub async fn end_sessions(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, extension) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain_name).await?;
    let extension = path_extension(&extension)?;
    let acting = actor.acting();
    let (in_domain, which) = (domain.clone(), extension.clone());
    let ended = state
        .db(move |conn| sessions::end_sessions_of(conn, &acting, &in_domain, &which))
        .await?;
    let mut message = match ended.sessions {
        1 => format!("1 session of user {extension} was ended."),
        n => format!("{n} sessions of user {extension} were ended."),
    };
    match ended.tokens {
        0 => {}
        1 => message.push_str(" 1 API token was revoked."),
        n => message.push_str(&format!(" {n} API tokens were revoked.")),
    }
    PortalSession::of(&req).set_flash(&message)?;
    Ok(redirect(&paths::user(&domain.name, extension.as_str())))
}

/// **Reset two-step sign-in** of another user: their second factors and recovery codes
/// go, and with them their sessions and API tokens.
pub async fn reset_two_step(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, AppError> {
    let (domain_name, extension) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain_name).await?;
    let extension = path_extension(&extension)?;
    let acting = actor.acting();
    let (in_domain, which) = (domain.clone(), extension.clone());
    state
        .db(move |conn| two_step::reset_for(conn, &acting, &in_domain, &which))
        .await?;
    let message = format!(
        "Two-step sign-in of user {extension} was reset: their sessions ended and their API \
         tokens were revoked."
    );
    PortalSession::of(&req).set_flash(&message)?;
    Ok(redirect(&paths::user(&domain.name, extension.as_str())))
}

/// Deletes the user a path names; returns the domain and the message that says so.
async fn delete_user(
    actor: &Actor,
    state: &AppState,
    (domain_name, extension): (String, String),
    successor: Option<Extension>,
) -> Result<(String, String), AppError> {
    let domain = managed_domain(actor, state, &domain_name).await?;
    let extension = path_extension(&extension)?;
    let acting = actor.acting();
    let name = domain.name.clone();
    let deleted = state
        .db(move |conn| {
            user_service::delete_user(conn, &acting, &domain, &extension, successor.as_ref())
        })
        .await?;
    Ok((name, deleted.message()))
}
