//! Edit Users in the Bulk Action dialog: the Fields step (a **Change {label}** box and an
//! input per field), its Confirm (the sentence of what changes for whom) and the start
//! of the job.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};

use super::{Fields, answer, carried_to_start, listed, start, step};
use crate::db::domains::Domain;
use crate::domain::Scope;
use crate::domain::edit::{EditField, FieldEdit};
use crate::domain::fields::time_zone_names;
use crate::error::AppError;
use crate::services::jobs::spec::Action;
use crate::services::jobs::start::Chosen;
use crate::state::AppState;
use crate::views::jobs::dialog::{EditBox, EditConfirmStep, EditFieldsStep, Hidden};
use crate::web::session::Actor;

/// What the step says when no box is checked.
const NOTHING_CHECKED: &str = "Check at least one field to change.";

impl Fields {
    /// The fields whose **Change** box is checked, in the step's order.
    fn edit_checked(&self) -> Vec<EditField> {
        EditField::ALL
            .into_iter()
            .filter(|field| self.all("change").any(|key| key == field.key()))
            .collect()
    }

    /// The edit the checked fields ask for, read as the edit form reads them.
    fn edit(&self, highest: Scope) -> Result<FieldEdit, Vec<(EditField, String)>> {
        let checked = self.edit_checked();
        let typed = checked
            .iter()
            .map(|field| (*field, self.one(field.key()).unwrap_or_default()));
        FieldEdit::parse(typed, highest).map_err(|refused| {
            refused
                .into_iter()
                .map(|(field, invalid)| (field, invalid.to_string()))
                .collect()
        })
    }
}

/// The Fields step for `users`: as posted (coming back from Confirm, or refused), or
/// fresh with each user's nothing checked.
fn fields_step(
    actor: &Actor,
    domain: Domain,
    fields: &Fields,
    users: &Chosen,
    refused: &[(EditField, String)],
    error: Option<String>,
) -> EditFieldsStep {
    let highest = actor.user.scope;
    EditFieldsStep {
        domain: domain.name,
        carried: fields.carried_selection(),
        users: listed(users),
        fields: EditBox::all(
            &fields.edit_checked(),
            |field| fields.one(field.key()),
            refused,
        ),
        scopes: Scope::ALL
            .into_iter()
            .filter(|scope| *scope <= highest)
            .map(Scope::label)
            .collect(),
        time_zones: time_zone_names(),
        error,
    }
}

/// **Edit Users**: the Fields step.
pub async fn edit_fields(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    let step = fields_step(&actor, domain, &fields, &users, &[], None);
    answer(&req, &actor, &step.domain, StatusCode::OK, &step)
}

/// Next from the Fields step: the Confirm step, or the Fields step again with what was
/// refused.
pub async fn edit_confirm(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let (domain, fields, users) = step(&actor, &state, &path, &body).await?;
    match fields.edit(actor.user.scope) {
        Ok(edit) if !edit.is_empty() => {
            let own_selected = selects_actor(&state, &actor, &users).await?;
            let step = edit_confirm_step(domain, &fields, &users, &edit, own_selected);
            answer(&req, &actor, &step.domain, StatusCode::OK, &step)
        }
        refused => {
            let (refused, error) = match refused {
                Err(refused) => (refused, None),
                Ok(_) => (Vec::new(), Some(NOTHING_CHECKED.into())),
            };
            let step = fields_step(&actor, domain, &fields, &users, &refused, error);
            answer(
                &req,
                &actor,
                &step.domain,
                StatusCode::UNPROCESSABLE_ENTITY,
                &step,
            )
        }
    }
}

/// Whether the actor is one of `users`: their own scope is then kept by an edit.
pub(super) async fn selects_actor(
    state: &AppState,
    actor: &Actor,
    users: &Chosen,
) -> Result<bool, AppError> {
    let (own, selected) = (actor.user.id, users.clone());
    state.db(move |conn| selected.contains(conn, own)).await
}

/// The Confirm step of `edit` for `users` (also Retry failed's); `own_selected` says
/// whether the actor is one of them.
pub(super) fn edit_confirm_step(
    domain: Domain,
    fields: &Fields,
    users: &Chosen,
    edit: &FieldEdit,
    own_selected: bool,
) -> EditConfirmStep {
    let mut carried = carried_to_start(fields, users);
    for field in edit.fields() {
        carried.push(Hidden {
            name: "change",
            value: field.key().to_owned(),
        });
        let value = match field {
            EditField::VmToEmail | EditField::VmTranscription => {
                let on = edit.value(field).is_some_and(|value| value == "On");
                if on { "on" } else { "off" }.to_owned()
            }
            _ => edit.value(field).unwrap_or_default(),
        };
        carried.push(Hidden {
            name: field.key(),
            value,
        });
    }
    EditConfirmStep {
        domain: domain.name,
        carried,
        users: listed(users),
        sentence: edit.sentence(users.count),
        own_scope_kept: edit.changes_scope() && own_selected,
    }
}

/// Confirm of Edit Users: the job, started for the selection as it is now.
pub async fn start_edit(
    req: HttpRequest,
    actor: Actor,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, AppError> {
    let fields = Fields::parse(&body)?;
    let edit = fields.edit(actor.user.scope).map_err(|refused| {
        let (field, message) = refused
            .into_iter()
            .next()
            .unwrap_or((EditField::Department, NOTHING_CHECKED.to_owned()));
        AppError::Unprocessable {
            message: format!("{}: {message}", field.label()),
            fields: Vec::new(),
        }
    })?;
    if edit.is_empty() {
        return Err(AppError::BadRequest(NOTHING_CHECKED.into()));
    }
    start(
        &req,
        &actor,
        &state,
        &path,
        &fields,
        Action::Edit { fields: edit },
    )
    .await
}
