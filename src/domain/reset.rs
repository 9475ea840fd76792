//! What a reset clears (SPEC "Reset Users"): ten kinds of subscriber information, five
//! of them chosen by default. A reset keeps the user row, extension, scope, department,
//! site and primary device whatever is chosen.

use serde::{Deserialize, Serialize};

use super::Invalid;

/// Why a reset that clears nothing is refused.
pub const NO_OPTIONS: &str = "Choose at least one kind of information to clear.";

/// One kind of subscriber information a reset can clear.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResetOption {
    Name,
    Email,
    Password,
    VoicemailPin,
    AdditionalDevices,
    VoicemailMessages,
    VoicemailGreetings,
    AnsweringRules,
    Contacts,
    CallHistory,
}

impl ResetOption {
    /// Every option, in the order the Options step lists them.
    pub const ALL: [ResetOption; 10] = [
        ResetOption::Name,
        ResetOption::Email,
        ResetOption::Password,
        ResetOption::VoicemailPin,
        ResetOption::AdditionalDevices,
        ResetOption::VoicemailMessages,
        ResetOption::VoicemailGreetings,
        ResetOption::AnsweringRules,
        ResetOption::Contacts,
        ResetOption::CallHistory,
    ];

    /// Whether clearing it deletes rows of a table of their own (which the Confirm step
    /// counts), rather than emptying fields of the user.
    pub fn removes_rows(self) -> bool {
        matches!(
            self,
            ResetOption::AdditionalDevices
                | ResetOption::VoicemailMessages
                | ResetOption::VoicemailGreetings
                | ResetOption::AnsweringRules
                | ResetOption::Contacts
                | ResetOption::CallHistory
        )
    }

    /// The checkbox's label, as SPEC names it.
    pub fn label(self) -> &'static str {
        match self {
            ResetOption::Name => "Name",
            ResetOption::Email => "E-mail",
            ResetOption::Password => "Password",
            ResetOption::VoicemailPin => "Voicemail PIN",
            ResetOption::AdditionalDevices => "Additional phones/devices",
            ResetOption::VoicemailMessages => "Voicemail messages",
            ResetOption::VoicemailGreetings => "Voicemail greetings",
            ResetOption::AnsweringRules => "Answering rules",
            ResetOption::Contacts => "Contacts",
            ResetOption::CallHistory => "Call history",
        }
    }

    /// A few words on what is cleared, shown beside the label.
    pub fn hint(self) -> &'static str {
        match self {
            ResetOption::VoicemailMessages => "new, saved and deleted",
            ResetOption::Contacts => "the user's own; shared domain contacts stay",
            ResetOption::AdditionalDevices => "the primary device stays",
            _ => "",
        }
    }

    /// The form field's value.
    pub fn key(self) -> &'static str {
        match self {
            ResetOption::Name => "name",
            ResetOption::Email => "email",
            ResetOption::Password => "password",
            ResetOption::VoicemailPin => "voicemail_pin",
            ResetOption::AdditionalDevices => "additional_devices",
            ResetOption::VoicemailMessages => "voicemail_messages",
            ResetOption::VoicemailGreetings => "voicemail_greetings",
            ResetOption::AnsweringRules => "answering_rules",
            ResetOption::Contacts => "contacts",
            ResetOption::CallHistory => "call_history",
        }
    }

    pub fn from_key(key: &str) -> Option<ResetOption> {
        ResetOption::ALL
            .into_iter()
            .find(|option| option.key() == key)
    }

    /// Checked when the Options step opens.
    pub fn is_default(self) -> bool {
        matches!(
            self,
            ResetOption::Name
                | ResetOption::Email
                | ResetOption::Password
                | ResetOption::VoicemailPin
                | ResetOption::AdditionalDevices
        )
    }
}

/// The chosen options, in SPEC order, without repeats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResetOptions(Vec<ResetOption>);

impl ResetOptions {
    pub fn defaults() -> Self {
        Self(
            ResetOption::ALL
                .into_iter()
                .filter(|o| o.is_default())
                .collect(),
        )
    }

    /// From form values; unknown keys are ignored, order and repeats do not matter.
    pub fn from_keys<'a>(keys: impl IntoIterator<Item = &'a str>) -> Self {
        let chosen: Vec<ResetOption> = keys.into_iter().filter_map(ResetOption::from_key).collect();
        Self(
            ResetOption::ALL
                .into_iter()
                .filter(|o| chosen.contains(o))
                .collect(),
        )
    }

    pub fn contains(&self, option: ResetOption) -> bool {
        self.0.contains(&option)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Refuses a reset that would clear nothing: at least one option is chosen.
    pub fn require_some(&self) -> Result<(), Invalid> {
        if self.is_empty() {
            Err(Invalid::new(NO_OPTIONS))
        } else {
            Ok(())
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = ResetOption> + '_ {
        self.0.iter().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_five_spec_defaults_are_checked_and_the_rest_not() {
        let defaults = ResetOptions::defaults();
        let labels: Vec<&str> = defaults.iter().map(ResetOption::label).collect();
        assert_eq!(
            labels,
            [
                "Name",
                "E-mail",
                "Password",
                "Voicemail PIN",
                "Additional phones/devices"
            ]
        );
        for option in [
            ResetOption::VoicemailMessages,
            ResetOption::VoicemailGreetings,
            ResetOption::AnsweringRules,
            ResetOption::Contacts,
            ResetOption::CallHistory,
        ] {
            assert!(!defaults.contains(option));
        }
    }

    #[test]
    fn form_keys_parse_in_spec_order_ignoring_unknowns_and_repeats() {
        let options = ResetOptions::from_keys(["call_history", "name", "bogus", "name"]);
        assert_eq!(
            options.iter().collect::<Vec<_>>(),
            [ResetOption::Name, ResetOption::CallHistory]
        );
        assert!(ResetOptions::from_keys(["bogus"]).is_empty());
    }

    #[test]
    fn keys_round_trip_and_options_serialise() -> Result<(), serde_json::Error> {
        for option in ResetOption::ALL {
            assert_eq!(ResetOption::from_key(option.key()), Some(option));
        }
        let json = serde_json::to_string(&ResetOptions::from_keys(["voicemail_pin"]))?;
        assert_eq!(json, r#"["voicemail_pin"]"#);
        Ok(())
    }
}
