//! Edit Users: which fields a bulk edit sets ([`FieldEdit`]), read from the Fields step
//! or the API by the edit form's own rules, and the Confirm step's sentence for it.

use serde::{Deserialize, Serialize};

use super::fields::{CallerId, ShortText, TimeZoneName};
use super::{Invalid, Scope};

/// A field Edit Users may set, in the order the Fields step lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EditField {
    Department,
    Site,
    Scope,
    TimeZone,
    CallerIdNumber,
    EmergencyCallerId,
    VmToEmail,
    VmTranscription,
}

impl EditField {
    pub const ALL: [EditField; 8] = [
        EditField::Department,
        EditField::Site,
        EditField::Scope,
        EditField::TimeZone,
        EditField::CallerIdNumber,
        EditField::EmergencyCallerId,
        EditField::VmToEmail,
        EditField::VmTranscription,
    ];

    /// The field's key in the step's form and the API's `fields`.
    pub fn key(self) -> &'static str {
        match self {
            EditField::Department => "department",
            EditField::Site => "site",
            EditField::Scope => "scope",
            EditField::TimeZone => "time_zone",
            EditField::CallerIdNumber => "caller_id_number",
            EditField::EmergencyCallerId => "emergency_caller_id",
            EditField::VmToEmail => "vm_to_email",
            EditField::VmTranscription => "vm_transcription",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EditField::Department => "Department",
            EditField::Site => "Site",
            EditField::Scope => "Scope",
            EditField::TimeZone => "Time zone",
            EditField::CallerIdNumber => "Caller ID number",
            EditField::EmergencyCallerId => "Emergency caller ID",
            EditField::VmToEmail => "Voicemail to e-mail",
            EditField::VmTranscription => "Voicemail transcription",
        }
    }

    /// Whether the field is on or off rather than text.
    pub fn is_switch(self) -> bool {
        matches!(self, EditField::VmToEmail | EditField::VmTranscription)
    }

    pub fn from_key(key: &str) -> Option<EditField> {
        EditField::ALL.into_iter().find(|field| field.key() == key)
    }
}

/// What a bulk edit sets: each field `None` unless it is changed. Text is stored as
/// checked (an empty text clears the field; an empty time zone means the domain's).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldEdit {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub site: Option<String>,
    /// The scope's rank.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caller_id_number: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emergency_caller_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_to_email: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vm_transcription: Option<bool>,
}

/// Why a field of an edit was refused.
pub type Refused = (EditField, Invalid);

impl FieldEdit {
    /// Reads the fields given (`value` of each changed field, as typed), each by the
    /// edit form's rule; a scope above `highest` is refused. Every refusal is returned.
    pub fn parse<'a>(
        changed: impl IntoIterator<Item = (EditField, &'a str)>,
        highest: Scope,
    ) -> Result<FieldEdit, Vec<Refused>> {
        let mut edit = FieldEdit::default();
        let mut refused = Vec::new();
        for (field, value) in changed {
            let read = edit.set(field, value, highest);
            if let Err(invalid) = read {
                refused.push((field, invalid));
            }
        }
        if refused.is_empty() {
            Ok(edit)
        } else {
            Err(refused)
        }
    }

    fn set(&mut self, field: EditField, value: &str, highest: Scope) -> Result<(), Invalid> {
        let text = |value: &str| ShortText::parse(value).map(|text| text.as_str().to_owned());
        let switch = |value: &str| match value.trim().to_ascii_lowercase().as_str() {
            "on" | "true" | "1" | "yes" => Ok(true),
            "off" | "false" | "0" | "no" => Ok(false),
            _ => Err(Invalid::new("Choose On or Off.")),
        };
        match field {
            EditField::Department => self.department = Some(text(value)?),
            EditField::Site => self.site = Some(text(value)?),
            EditField::Scope => {
                let scope = value.parse::<Scope>()?;
                if scope > highest {
                    return Err(Invalid::new(
                        "You cannot give a scope higher than your own.",
                    ));
                }
                self.scope = Some(scope.rank());
            }
            EditField::TimeZone => {
                self.time_zone = Some(TimeZoneName::parse(value)?.as_str().to_owned())
            }
            EditField::CallerIdNumber => {
                self.caller_id_number = Some(CallerId::parse(value)?.as_str().to_owned())
            }
            EditField::EmergencyCallerId => {
                self.emergency_caller_id = Some(CallerId::parse(value)?.as_str().to_owned())
            }
            EditField::VmToEmail => self.vm_to_email = Some(switch(value)?),
            EditField::VmTranscription => self.vm_transcription = Some(switch(value)?),
        }
        Ok(())
    }

    /// The fields changed, in the Fields step's order.
    pub fn fields(&self) -> Vec<EditField> {
        EditField::ALL
            .into_iter()
            .filter(|field| self.value(*field).is_some())
            .collect()
    }

    /// The value a changed field is set to, as the steps show it.
    pub fn value(&self, field: EditField) -> Option<String> {
        let switch = |on: bool| if on { "On" } else { "Off" }.to_owned();
        match field {
            EditField::Department => self.department.clone(),
            EditField::Site => self.site.clone(),
            EditField::Scope => self.scope.map(|rank| Scope::from(rank).label().to_owned()),
            EditField::TimeZone => self.time_zone.clone(),
            EditField::CallerIdNumber => self.caller_id_number.clone(),
            EditField::EmergencyCallerId => self.emergency_caller_id.clone(),
            EditField::VmToEmail => self.vm_to_email.map(switch),
            EditField::VmTranscription => self.vm_transcription.map(switch),
        }
    }

    pub fn is_empty(&self) -> bool {
        *self == FieldEdit::default()
    }

    pub fn changes_scope(&self) -> bool {
        self.scope.is_some()
    }

    /// The same edit less the scope: what the actor's own row gets.
    pub fn without_scope(&self) -> FieldEdit {
        FieldEdit {
            scope: None,
            ..self.clone()
        }
    }

    /// The Confirm step's sentence, e.g. "Set Department to Sales and Site to Head
    /// Office for 12 users."
    pub fn sentence(&self, users: usize) -> String {
        let mut set = Vec::new();
        let mut cleared = Vec::new();
        let mut turned = Vec::new();
        for field in self.fields() {
            let value = self.value(field).unwrap_or_default();
            if field.is_switch() {
                turned.push(format!("{} {}", field.label(), value.to_lowercase()));
            } else if value.is_empty() && field == EditField::TimeZone {
                set.push(format!("{} to the domain's", field.label()));
            } else if value.is_empty() {
                cleared.push(field.label().to_owned());
            } else {
                set.push(format!("{} to {value}", field.label()));
            }
        }
        let mut parts = Vec::new();
        if !set.is_empty() {
            parts.push(format!("set {}", and_list(&set)));
        }
        if !cleared.is_empty() {
            parts.push(format!("clear {}", and_list(&cleared)));
        }
        if !turned.is_empty() {
            parts.push(format!("turn {}", and_list(&turned)));
        }
        let what = and_list(&parts);
        let mut chars = what.chars();
        let capitalised: String = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        let whom = if users == 1 {
            "1 user".to_owned()
        } else {
            format!("{} users", super::listing::grouped(users as i64))
        };
        format!("{capitalised} for {whom}.")
    }
}

/// "a", "a and b", "a, b and c".
fn and_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(fields: &[(EditField, &str)]) -> Result<FieldEdit, Vec<Refused>> {
        FieldEdit::parse(fields.iter().copied(), Scope::OfficeManager)
    }

    #[test]
    fn the_sentence_says_what_is_set_cleared_and_turned() -> Result<(), String> {
        let both = edit(&[
            (EditField::Department, "Sales"),
            (EditField::Site, "Head Office"),
        ])
        .map_err(|e| format!("{e:?}"))?;
        assert_eq!(
            both.sentence(12),
            "Set Department to Sales and Site to Head Office for 12 users."
        );
        let mixed = edit(&[
            (EditField::Site, ""),
            (EditField::TimeZone, ""),
            (EditField::VmToEmail, "on"),
            (EditField::CallerIdNumber, "+12125550142"),
        ])
        .map_err(|e| format!("{e:?}"))?;
        assert_eq!(
            mixed.sentence(1),
            "Set Time zone to the domain's and Caller ID number to +12125550142, clear Site and turn Voicemail to e-mail on for 1 user."
        );
        Ok(())
    }

    #[test]
    fn each_field_is_read_by_the_forms_rule_and_every_refusal_is_named() {
        let refused = edit(&[
            (EditField::Department, "Sales\u{202E}"),
            (EditField::Scope, "Super User"),
            (EditField::TimeZone, "Mars/Olympus"),
            (EditField::EmergencyCallerId, "911"),
            (EditField::VmTranscription, "maybe"),
        ])
        .err()
        .unwrap_or_default();
        let fields: Vec<EditField> = refused.iter().map(|(field, _)| *field).collect();
        assert_eq!(
            fields,
            [
                EditField::Department,
                EditField::Scope,
                EditField::TimeZone,
                EditField::EmergencyCallerId,
                EditField::VmTranscription,
            ]
        );
        assert_eq!(
            edit(&[(EditField::TimeZone, "asia/tokyo")]).map(|e| e.time_zone),
            Ok(Some("Asia/Tokyo".to_owned()))
        );
    }

    #[test]
    fn without_scope_keeps_the_rest() -> Result<(), String> {
        let both = edit(&[(EditField::Scope, "Basic User"), (EditField::Site, "Annex")])
            .map_err(|e| format!("{e:?}"))?;
        assert!(both.changes_scope());
        let own = both.without_scope();
        assert!(!own.changes_scope());
        assert_eq!(own.site.as_deref(), Some("Annex"));
        assert!(FieldEdit::default().is_empty());
        Ok(())
    }
}
