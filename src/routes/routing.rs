//! The Call routing page of a domain (`/domains/{domain}/routing`): its four tables,
//! Only dead ends, Change destination (a page of its own, `…/numbers/{id}` and
//! `…/options/{id}`), and Add member / Remove of a ring group or queue. Every change is
//! a plain form post answered with a redirect back to the page and a flash line.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::managed::managed_domain;
use crate::db::domains::Domain;
use crate::domain::ids::{OptionId, PhoneNumberId, QueueId, RingGroupId, UserId};
use crate::domain::routing::{Destination, E164};
use crate::error::{AppError, redirect};
use crate::services::call_routing::{self, Group, Overview, Routed, RoutingError};
use crate::state::AppState;
use crate::views::routing::{ChangePage, DestinationNames, RoutingPage, RoutingTables, choices};
use crate::web::paths;
use crate::web::session::{Actor, PortalSession};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RoutingParams {
    dead_ends: Option<String>,
}

/// **Call routing**.
pub async fn page(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    params: web::Query<RoutingParams>,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(&actor, &state, &path).await?;
    let dead_ends_only = matches!(params.dead_ends.as_deref(), Some("1" | "on" | "true"));
    let overview = overview(&actor, &state, &domain, dead_ends_only).await?;
    crate::views::ok(&RoutingPage {
        chrome: actor.chrome(),
        users_href: paths::users(&domain.name),
        routing_href: paths::routing(&domain.name),
        dead_ends_only,
        dead_ends: overview.dead_ends,
        tables: RoutingTables::new(&domain.name, &overview),
        flash: PortalSession::of(&req).take_flash(),
        domain: domain.name,
    })
}

async fn overview(
    actor: &Actor,
    state: &AppState,
    domain: &Domain,
    dead_ends_only: bool,
) -> Result<Overview, AppError> {
    let (rights, in_domain) = (actor.rights(), domain.clone());
    state
        .db(move |conn| call_routing::overview(conn, &rights, &in_domain, dead_ends_only))
        .await
}

/// Change destination as posted.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ChangeForm {
    version: String,
    destination: String,
    outside: String,
    typed: String,
}

/// The number or option a change page is for, as the page names it, with its version
/// and current destination.
struct Changed {
    what: String,
    version: i32,
    dest: Destination,
}

fn find_changed(overview: &Overview, tables: &RoutingTables, what: Routed) -> Option<Changed> {
    match what {
        Routed::Number(id) => overview
            .numbers
            .iter()
            .find(|n| n.id == id)
            .map(|n| Changed {
                what: n.number.clone(),
                version: n.version,
                dest: n.dest.clone(),
            }),
        Routed::Option(id) => {
            let at = overview.options.iter().position(|o| o.id == id)?;
            let option = &overview.options[at];
            let line = tables.options.get(at)?;
            Some(Changed {
                what: format!("{} {}", line.name, line.detail),
                version: option.version,
                dest: option.dest.clone(),
            })
        }
    }
}

fn action_of(domain: &str, what: Routed) -> String {
    match what {
        Routed::Number(id) => paths::routing_number(domain, id),
        Routed::Option(id) => paths::routing_option(domain, id),
    }
}

/// The change page for `what`, with what was typed and why it was refused, if it was.
async fn change_page(
    actor: &Actor,
    state: &AppState,
    domain: &Domain,
    what: Routed,
    status: StatusCode,
    form: Option<(&ChangeForm, String)>,
) -> Result<HttpResponse, AppError> {
    let overview = overview(actor, state, domain, false).await?;
    let tables = RoutingTables::new(&domain.name, &overview);
    let changed = find_changed(&overview, &tables, what).ok_or_else(|| {
        AppError::NotFound("There is no such phone number or option in this domain.".into())
    })?;
    let names = DestinationNames::of(&overview, &overview.ring_groups, &overview.queues);
    let current_outside = match &changed.dest {
        Destination::Outside(number) => number.to_string(),
        _ => String::new(),
    };
    let (typed_value, outside, error) = match form {
        Some((form, error)) => (form.typed.clone(), form.outside.clone(), Some(error)),
        None => (String::new(), current_outside, None),
    };
    crate::views::page(
        status,
        &ChangePage {
            chrome: actor.chrome(),
            routing_href: paths::routing(&domain.name),
            what: changed.what,
            action: action_of(&domain.name, what),
            version: changed.version,
            choices: choices(&overview, &names, &changed.dest),
            typed: overview.choices.is_none(),
            typed_value,
            outside,
            error,
            domain: domain.name.clone(),
        },
    )
}

/// Change destination of a phone number: its page.
pub async fn number_form(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, PhoneNumberId)>,
) -> Result<HttpResponse, AppError> {
    let (domain, id) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain).await?;
    change_page(
        &actor,
        &state,
        &domain,
        Routed::Number(id),
        StatusCode::OK,
        None,
    )
    .await
}

/// Change destination of an attendant's option or timeout: its page.
pub async fn option_form(
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, OptionId)>,
) -> Result<HttpResponse, AppError> {
    let (domain, id) = path.into_inner();
    let domain = managed_domain(&actor, &state, &domain).await?;
    change_page(
        &actor,
        &state,
        &domain,
        Routed::Option(id),
        StatusCode::OK,
        None,
    )
    .await
}

pub async fn number_save(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, PhoneNumberId)>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    let (domain, id) = path.into_inner();
    save(&req, &actor, &state, &domain, Routed::Number(id), &form).await
}

pub async fn option_save(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, OptionId)>,
    form: web::Form<ChangeForm>,
) -> Result<HttpResponse, AppError> {
    let (domain, id) = path.into_inner();
    save(&req, &actor, &state, &domain, Routed::Option(id), &form).await
}

/// The destination a change form chose: an outside number typed (in either field), a
/// destination typed in a large domain, or the select's choice.
fn chosen(form: &ChangeForm) -> Result<Option<Destination>, String> {
    if !form.outside.trim().is_empty() {
        return E164::parse(&form.outside)
            .map(|number| Some(Destination::Outside(number)))
            .map_err(|invalid| invalid.to_string());
    }
    if !form.typed.trim().is_empty() {
        return Ok(None);
    }
    let (kind, id) = form
        .destination
        .split_once(':')
        .unwrap_or((form.destination.as_str(), ""));
    let id = || {
        id.parse::<i64>()
            .map_err(|_| "Choose a destination.".to_owned())
    };
    Ok(Some(match kind {
        "nobody" => Destination::Nobody,
        "outside" => return Err("Enter the outside number in E.164, such as +12125550142.".into()),
        "user" => Destination::User(UserId::new(id()?)),
        "voicemail" => Destination::Voicemail(UserId::new(id()?)),
        "attendant" => Destination::Attendant(crate::domain::ids::AttendantId::new(id()?)),
        "ring_group" => Destination::RingGroup(RingGroupId::new(id()?)),
        "queue" => Destination::Queue(QueueId::new(id()?)),
        _ => return Err("Choose a destination.".into()),
    }))
}

async fn save(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    domain: &str,
    what: Routed,
    form: &ChangeForm,
) -> Result<HttpResponse, AppError> {
    let domain = managed_domain(actor, state, domain).await?;
    let refuse = |error: String| {
        change_page(
            actor,
            state,
            &domain,
            what,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some((form, error)),
        )
    };
    let Ok(version) = form.version.trim().parse::<i32>() else {
        return refuse("The form could not be read; reload the page.".into()).await;
    };
    let dest = match chosen(form) {
        Ok(dest) => dest,
        Err(error) => return refuse(error).await,
    };
    let (acting, in_domain, typed) = (actor.acting(), domain.clone(), form.typed.clone());
    let saved = state
        .db(move |conn| {
            let dest = match dest {
                Some(dest) => dest,
                None => match call_routing::resolve_typed(conn, &in_domain, &typed) {
                    Ok(dest) => dest,
                    Err(err) => return Ok(Err(err)),
                },
            };
            Ok::<_, AppError>(
                call_routing::change_destination(conn, &acting, &in_domain, what, version, &dest)
                    .map(|()| dest),
            )
        })
        .await?;
    match saved {
        Ok(_) => {
            PortalSession::of(req).set_flash("The destination was saved.")?;
            Ok(redirect(&paths::routing(&domain.name)))
        }
        Err(
            err @ (RoutingError::Refused(_) | RoutingError::NotFound | RoutingError::Database(_)),
        ) => Err(err.into()),
        Err(err @ RoutingError::Conflict) => {
            change_page(
                actor,
                state,
                &domain,
                what,
                StatusCode::CONFLICT,
                Some((form, err.to_string())),
            )
            .await
        }
        Err(err) => refuse(err.to_string()).await,
    }
}

/// Add member or Remove as posted: the user's id (a select, a Remove button) or a
/// typed extension (a large domain's Add member).
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MemberForm {
    version: String,
    user: String,
    extension: String,
}

pub async fn ring_group_member(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, RingGroupId, String)>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let (domain, id, change) = path.into_inner();
    member(
        &req,
        &actor,
        &state,
        &domain,
        Group::Ring(id),
        &change,
        &form,
    )
    .await
}

pub async fn queue_member(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<(String, QueueId, String)>,
    form: web::Form<MemberForm>,
) -> Result<HttpResponse, AppError> {
    let (domain, id, change) = path.into_inner();
    member(
        &req,
        &actor,
        &state,
        &domain,
        Group::Queue(id),
        &change,
        &form,
    )
    .await
}

async fn member(
    req: &HttpRequest,
    actor: &Actor,
    state: &AppState,
    domain: &str,
    group: Group,
    change: &str,
    form: &MemberForm,
) -> Result<HttpResponse, AppError> {
    let add = match change {
        "add" => true,
        "remove" => false,
        _ => return Err(AppError::NotFound("There is no such page.".into())),
    };
    let domain = managed_domain(actor, state, domain).await?;
    let version =
        form.version.trim().parse::<i32>().map_err(|_| {
            AppError::BadRequest("The form could not be read; reload the page.".into())
        })?;
    let user = form.user.trim().parse::<i64>().ok().map(UserId::new);
    let extension = form.extension.clone();
    if user.is_none() && extension.trim().is_empty() {
        return Err(AppError::BadRequest("Choose a user.".into()));
    }
    let (acting, in_domain) = (actor.acting(), domain.clone());
    state
        .db(move |conn| {
            let user = match user {
                Some(user) => user,
                None => call_routing::user_by_extension(conn, &in_domain, &extension)?,
            };
            call_routing::change_member(conn, &acting, &in_domain, group, version, user, add)
        })
        .await?;
    let message = if add {
        "The member was added."
    } else {
        "The member was removed."
    };
    PortalSession::of(req).set_flash(message)?;
    Ok(redirect(&paths::routing(&domain.name)))
}
