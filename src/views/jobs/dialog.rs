//! The Bulk Action dialog's steps: fragments swapped into the dialog (Restore's and
//! Undo reset's Confirm are also pages of their own without JavaScript).

use askama::Template;

use super::super::Chrome;
use crate::domain::edit::EditField;
use crate::domain::reset::{ResetOption, ResetOptions};
use crate::views::routing::{ReachedFrom, Successors};

/// A hidden field that carries the selection (or the chosen options) to the next step.
pub struct Hidden {
    pub name: &'static str,
    pub value: String,
}

/// A selected user, as the steps list them.
pub struct Listed {
    pub extension: String,
    pub name: String,
}

/// The selected users, the first few named.
pub struct SelectedUsers {
    pub count: usize,
    pub shown: Vec<Listed>,
    pub more: usize,
}

#[derive(Template)]
#[template(path = "jobs/dialog/choose.html")]
pub struct ChooseStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
}

pub struct OptionBox {
    pub key: &'static str,
    pub label: &'static str,
    pub hint: &'static str,
    pub checked: bool,
}

impl OptionBox {
    /// A box for every reset option, in the order the step lists them, `chosen` checked.
    pub fn all(chosen: &ResetOptions) -> Vec<OptionBox> {
        ResetOption::ALL
            .into_iter()
            .map(|option| OptionBox {
                key: option.key(),
                label: option.label(),
                hint: option.hint(),
                checked: chosen.contains(option),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "jobs/dialog/reset_options.html")]
pub struct ResetOptionsStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub options: Vec<OptionBox>,
    pub recycle: bool,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "jobs/dialog/reset_confirm.html")]
pub struct ResetConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub cleared: Vec<&'static str>,
    /// "Additional phones/devices: 1,204": what each checked option that removes rows
    /// removes for exactly these users.
    pub removed: Vec<String>,
    pub recycle: bool,
    /// What reaches the users in call routing: the seats keep it.
    pub reached_from: ReachedFrom,
}

#[derive(Template)]
#[template(path = "jobs/dialog/delete_confirm.html")]
pub struct DeleteConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    /// How long they can be restored from Deleted users.
    pub retention_days: u32,
    /// What reaches the users in call routing.
    pub reached_from: ReachedFrom,
    /// "1 phone number and 1 attendant option will reach nobody.", when any will.
    pub reaching_nobody: Option<String>,
    /// Successor for all, and for each of the first users reached from anything.
    pub successors: Successors,
}

/// How the Fields step asks for a field's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditInput {
    Text,
    Phone,
    TimeZone,
    Scope,
    Switch,
}

/// One field of Edit Users' Fields step: **Change {label}** and its input.
pub struct EditBox {
    pub key: &'static str,
    pub label: &'static str,
    pub input: EditInput,
    pub checked: bool,
    pub value: String,
    pub error: Option<String>,
}

impl EditBox {
    /// A box for every field, in the step's order: `checked` with the values as typed,
    /// `refused` marking the fields refused.
    pub fn all<'a>(
        checked: &[EditField],
        typed: impl Fn(EditField) -> Option<&'a str>,
        refused: &[(EditField, String)],
    ) -> Vec<EditBox> {
        EditField::ALL
            .into_iter()
            .map(|field| EditBox {
                key: field.key(),
                label: field.label(),
                input: match field {
                    EditField::Department | EditField::Site => EditInput::Text,
                    EditField::CallerIdNumber | EditField::EmergencyCallerId => EditInput::Phone,
                    EditField::TimeZone => EditInput::TimeZone,
                    EditField::Scope => EditInput::Scope,
                    EditField::VmToEmail | EditField::VmTranscription => EditInput::Switch,
                },
                checked: checked.contains(&field),
                value: typed(field).unwrap_or_default().to_owned(),
                error: refused
                    .iter()
                    .find(|(which, _)| *which == field)
                    .map(|(_, message)| message.clone()),
            })
            .collect()
    }
}

#[derive(Template)]
#[template(path = "jobs/dialog/edit_fields.html")]
pub struct EditFieldsStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub fields: Vec<EditBox>,
    /// The scopes the actor may give.
    pub scopes: Vec<&'static str>,
    pub time_zones: &'static [&'static str],
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "jobs/dialog/edit_confirm.html")]
pub struct EditConfirmStep {
    pub domain: String,
    /// The selection and the fields chosen, for Back and Confirm.
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    /// "Set Department to Sales and Site to Head Office for 12 users."
    pub sentence: String,
    /// A note when the actor is among the users and the scope changes.
    pub own_scope_kept: bool,
}

/// The Confirm step of Restore, from the Deleted users page: a fragment for htmx, a
/// page of its own without JavaScript (its Confirm then posts as a plain form).
#[derive(Template)]
#[template(path = "jobs/dialog/restore_confirm.html")]
pub struct RestoreConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub start_href: String,
    pub back_href: String,
    pub csrf_token: String,
}

/// The Confirm step of Undo reset, from the reset job's Progress step: a fragment for
/// htmx, a page of its own without JavaScript.
#[derive(Template)]
#[template(path = "jobs/dialog/undo_confirm.html")]
pub struct UndoConfirmStep {
    pub start_href: String,
    pub back_href: String,
    /// The users chosen when this undoes only some (Retry failed); none for all.
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    /// "reset" or "edit": the job undone.
    pub what: &'static str,
    /// What is put back: the reset's option labels, or the edit's field labels.
    pub cleared: Vec<&'static str>,
    pub csrf_token: String,
}

/// A step of the Bulk Action dialog as a page of its own, for a browser without
/// JavaScript.
#[derive(Template)]
#[template(path = "jobs/dialog/step_page.html")]
pub struct BulkStepPage {
    pub chrome: Chrome,
    pub cancel_href: String,
    /// The step, rendered.
    pub step: String,
}

#[derive(Template)]
#[template(path = "jobs/dialog/undo_confirm_page.html")]
pub struct UndoConfirmPage {
    pub chrome: Chrome,
    pub step: UndoConfirmStep,
}

#[derive(Template)]
#[template(path = "jobs/dialog/restore_confirm_page.html")]
pub struct RestoreConfirmPage {
    pub chrome: Chrome,
    pub step: RestoreConfirmStep,
}

#[derive(Template)]
#[template(path = "jobs/dialog/mail_confirm.html")]
pub struct MailConfirmStep {
    pub domain: String,
    pub carried: Vec<Hidden>,
    pub users: SelectedUsers,
    pub heading: &'static str,
    /// Force Password Reset (true) or Send Welcome Email (false).
    pub forced: bool,
    /// How many of the selected users have no e-mail address.
    pub without_email: usize,
    pub start_href: String,
}
