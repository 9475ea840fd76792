//! Validated form fields: each type can only hold a value the portal accepts, so code
//! past the parsing step never re-checks it.

use std::fmt;

use super::routing::E164;
use super::{Invalid, Scope};

/// Longest name, department or site the portal stores, in characters.
pub const SHORT_TEXT_MAX: usize = 64;

fn has_control_chars(text: &str) -> bool {
    text.chars().any(char::is_control)
}

/// Whether `c` is an invisible format character (Unicode general category Cf): the
/// direction overrides and isolates, zero-width spaces and joiners, the byte-order mark,
/// soft hyphen and their kin. In a name they can make an audit or job line read
/// falsely (U+202E turns "100 gpj.exe" around), so names refuse them.
pub fn is_format_char(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// What a name-like field says when it holds a format character.
pub const FORMAT_CHARS: &str =
    "Remove the invisible formatting characters (such as direction marks).";

/// A user's extension: 2 to 10 digits, unique within its domain.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Extension(pub(super) String);

impl Extension {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Err(Invalid::new("Enter an extension."));
        }
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(Invalid::new("An extension has digits only."));
        }
        if !(2..=10).contains(&text.len()) {
            return Err(Invalid::new("An extension has 2 to 10 digits."));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Extension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A domain's name, e.g. `acme.example`, kept in lower case.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DomainName(String);

impl DomainName {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let name = text.trim().to_ascii_lowercase();
        let label_ok = |label: &str| {
            (1..=63).contains(&label.len())
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        };
        if name.len() > 253 || !name.contains('.') || !name.split('.').all(label_ok) {
            return Err(Invalid::new("Enter a domain name such as acme.example."));
        }
        Ok(Self(name))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DomainName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a person types to sign in: `extension@domain`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub extension: Extension,
    pub domain: DomainName,
}

impl Login {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let refused =
            || Invalid::new("Enter your login as extension@domain, e.g. 100@acme.example.");
        let (extension, domain) = text.trim().split_once('@').ok_or_else(refused)?;
        Ok(Self {
            extension: Extension::parse(extension).map_err(|_| refused())?,
            domain: DomainName::parse(domain).map_err(|_| refused())?,
        })
    }
}

impl fmt::Display for Login {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.extension, self.domain)
    }
}

/// An e-mail address: one `@`, a plausible local part and a dotted domain. Deliverability
/// is the mail server's business; this refuses what is surely a typing mistake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        let refused = || Invalid::new("Enter an e-mail address such as name@example.com.");
        if text.len() > 254
            || has_control_chars(text)
            || text.contains(char::is_whitespace)
            || text.contains(is_format_char)
        {
            return Err(refused());
        }
        let (local, domain) = text.rsplit_once('@').ok_or_else(refused)?;
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.contains(['@', '<', '>', '(', ')', ',', ';', ':', '\\', '"', '[', ']']);
        if !(domain_ok && local_ok) {
            return Err(refused());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    /// An optional field: blank means no address.
    pub fn parse_optional(text: &str) -> Result<Option<Self>, Invalid> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            Self::parse(text).map(Some)
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A first or last name: trimmed, at most 64 characters, no control or format
/// characters. May be
/// blank unless [`PersonName::parse_required`] is used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        ShortText::parse(text).map(|text| Self(text.0))
    }

    pub fn parse_required(text: &str) -> Result<Self, Invalid> {
        let name = Self::parse(text)?;
        if name.0.is_empty() {
            return Err(Invalid::new("This name is required."));
        }
        Ok(name)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A short free-text field such as a department or site: trimmed, at most 64
/// characters, no control or format characters; may be blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortText(String);

impl ShortText {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if text.chars().count() > SHORT_TEXT_MAX {
            return Err(Invalid::new(format!(
                "Use at most {SHORT_TEXT_MAX} characters."
            )));
        }
        if has_control_chars(text) {
            return Err(Invalid::new("Remove the control characters."));
        }
        if text.chars().any(is_format_char) {
            return Err(Invalid::new(FORMAT_CHARS));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's time zone: a name of the tz database as `chrono-tz` lists it (such as
/// `Europe/London`), or empty for the domain's. Case is forgiven and put right.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TimeZoneName(String);

impl TimeZoneName {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::default());
        }
        chrono_tz::Tz::from_str_insensitive(text)
            .map(|zone| Self(zone.name().to_owned()))
            .map_err(|_| {
                Invalid::new(
                    "Enter a time zone such as America/New_York, or leave it empty for the domain's.",
                )
            })
    }

    /// A domain's zone, which is never empty.
    pub fn parse_required(text: &str) -> Result<Self, Invalid> {
        let zone = Self::parse(text)?;
        if zone.0.is_empty() {
            return Err(Invalid::new("Enter a time zone such as America/New_York."));
        }
        Ok(zone)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Every name [`TimeZoneName`] accepts, as the tz database spells it, in its order.
pub fn time_zone_names() -> &'static [&'static str] {
    static NAMES: std::sync::LazyLock<Vec<&'static str>> = std::sync::LazyLock::new(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|zone| zone.name())
            .collect()
    });
    &NAMES
}

/// A caller ID number or an emergency caller ID: a phone number in E.164, or empty.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallerId(String);

impl CallerId {
    pub fn parse(text: &str) -> Result<Self, Invalid> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Self::default());
        }
        E164::parse(text).map(|number| Self(number.as_str().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user's details, every field checked.
#[derive(Debug, Clone)]
pub struct UserDetails {
    pub first_name: PersonName,
    pub last_name: PersonName,
    pub email: Option<Email>,
    pub scope: Scope,
    pub department: ShortText,
    pub site: ShortText,
    pub time_zone: TimeZoneName,
    pub caller_id_number: CallerId,
    pub emergency_caller_id: CallerId,
}

/// A field of a user, as forms, the API and spreadsheets name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserField {
    Extension,
    FirstName,
    LastName,
    Email,
    Scope,
    Department,
    Site,
    TimeZone,
    CallerIdNumber,
    EmergencyCallerId,
}

impl UserField {
    /// In the order the user form lists them.
    pub const ALL: [UserField; 10] = [
        UserField::Extension,
        UserField::FirstName,
        UserField::LastName,
        UserField::Email,
        UserField::Scope,
        UserField::Department,
        UserField::Site,
        UserField::TimeZone,
        UserField::CallerIdNumber,
        UserField::EmergencyCallerId,
    ];

    /// The field's key in a form and in the API's JSON.
    pub fn key(self) -> &'static str {
        match self {
            UserField::Extension => "extension",
            UserField::FirstName => "first_name",
            UserField::LastName => "last_name",
            UserField::Email => "email",
            UserField::Scope => "scope",
            UserField::Department => "department",
            UserField::Site => "site",
            UserField::TimeZone => "time_zone",
            UserField::CallerIdNumber => "caller_id_number",
            UserField::EmergencyCallerId => "emergency_caller_id",
        }
    }

    /// The field's label on the forms.
    pub fn label(self) -> &'static str {
        match self {
            UserField::Extension => "Extension",
            UserField::FirstName => "First Name",
            UserField::LastName => "Last Name",
            UserField::Email => "E-mail",
            UserField::Scope => "Scope",
            UserField::Department => "Department",
            UserField::Site => "Site",
            UserField::TimeZone => "Time zone",
            UserField::CallerIdNumber => "Caller ID number",
            UserField::EmergencyCallerId => "Emergency caller ID",
        }
    }
}

/// A user's fields as typed into a form, sent to the API or read from a spreadsheet's
/// row: `None` for a field not given (a change that leaves it as it is, a column the
/// sheet lacks, an empty cell).
#[derive(Debug, Clone, Copy, Default)]
pub struct TypedUser<'a> {
    pub extension: Option<&'a str>,
    pub first_name: Option<&'a str>,
    pub last_name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub scope: Option<&'a str>,
    pub department: Option<&'a str>,
    pub site: Option<&'a str>,
    pub time_zone: Option<&'a str>,
    pub caller_id_number: Option<&'a str>,
    pub emergency_caller_id: Option<&'a str>,
}

/// Each field given, parsed by its one rule; `None` for a field not given. The one
/// place a user's details are read from text.
#[derive(Debug, Clone, Default)]
pub struct ParsedUser {
    pub extension: Option<Result<Extension, Invalid>>,
    pub first_name: Option<Result<PersonName, Invalid>>,
    pub last_name: Option<Result<PersonName, Invalid>>,
    /// An empty address is none.
    pub email: Option<Result<Option<Email>, Invalid>>,
    pub scope: Option<Result<Scope, Invalid>>,
    pub department: Option<Result<ShortText, Invalid>>,
    pub site: Option<Result<ShortText, Invalid>>,
    pub time_zone: Option<Result<TimeZoneName, Invalid>>,
    pub caller_id_number: Option<Result<CallerId, Invalid>>,
    pub emergency_caller_id: Option<Result<CallerId, Invalid>>,
}

impl ParsedUser {
    pub fn parse(typed: &TypedUser<'_>) -> Self {
        ParsedUser {
            extension: typed.extension.map(Extension::parse),
            first_name: typed.first_name.map(PersonName::parse),
            last_name: typed.last_name.map(PersonName::parse),
            email: typed.email.map(Email::parse_optional),
            scope: typed.scope.map(str::parse::<Scope>),
            department: typed.department.map(ShortText::parse),
            site: typed.site.map(ShortText::parse),
            time_zone: typed.time_zone.map(TimeZoneName::parse),
            caller_id_number: typed.caller_id_number.map(CallerId::parse),
            emergency_caller_id: typed.emergency_caller_id.map(CallerId::parse),
        }
    }

    /// Why `field` was refused, if it was.
    pub fn refusal(&self, field: UserField) -> Option<&Invalid> {
        fn err<T>(parsed: &Option<Result<T, Invalid>>) -> Option<&Invalid> {
            parsed.as_ref().and_then(|result| result.as_ref().err())
        }
        match field {
            UserField::Extension => err(&self.extension),
            UserField::FirstName => err(&self.first_name),
            UserField::LastName => err(&self.last_name),
            UserField::Email => err(&self.email),
            UserField::Scope => err(&self.scope),
            UserField::Department => err(&self.department),
            UserField::Site => err(&self.site),
            UserField::TimeZone => err(&self.time_zone),
            UserField::CallerIdNumber => err(&self.caller_id_number),
            UserField::EmergencyCallerId => err(&self.emergency_caller_id),
        }
    }

    /// Every field refused, in the form's order, with why.
    pub fn refusals(&self) -> Vec<(UserField, &Invalid)> {
        UserField::ALL
            .into_iter()
            .filter_map(|field| self.refusal(field).map(|invalid| (field, invalid)))
            .collect()
    }

    /// The details, when every detail was given and accepted (the extension aside);
    /// the three phone fields, which older forms and clients do not send, are empty
    /// when not given.
    pub fn details(&self) -> Option<UserDetails> {
        fn ok<T: Clone>(parsed: &Option<Result<T, Invalid>>) -> Option<T> {
            parsed
                .as_ref()
                .and_then(|result| result.as_ref().ok())
                .cloned()
        }
        fn ok_or_empty<T: Clone + Default>(parsed: &Option<Result<T, Invalid>>) -> Option<T> {
            match parsed {
                None => Some(T::default()),
                Some(result) => result.as_ref().ok().cloned(),
            }
        }
        Some(UserDetails {
            first_name: ok(&self.first_name)?,
            last_name: ok(&self.last_name)?,
            email: ok(&self.email)?,
            scope: ok(&self.scope)?,
            department: ok(&self.department)?,
            site: ok(&self.site)?,
            time_zone: ok_or_empty(&self.time_zone)?,
            caller_id_number: ok_or_empty(&self.caller_id_number)?,
            emergency_caller_id: ok_or_empty(&self.emergency_caller_id)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_2_to_10_digits() {
        assert_eq!(
            Extension::parse(" 101 ").map(|e| e.to_string()),
            Ok("101".to_owned())
        );
        assert!(Extension::parse("10").is_ok());
        assert!(Extension::parse("1234567890").is_ok());
        for bad in ["", "1", "12345678901", "10a", "-10", "１２３", "10 1"] {
            assert!(Extension::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn logins_split_at_the_at_sign_and_lowercase_the_domain() {
        let login = Login::parse("100@ACME.example").map(|l| l.to_string());
        assert_eq!(login, Ok("100@acme.example".to_owned()));
        for bad in [
            "100",
            "@acme.example",
            "100@",
            "abc@acme.example",
            "100@acme",
            "100@a b.c",
        ] {
            assert!(Login::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn domain_names_need_dotted_labels() {
        assert!(DomainName::parse("seed-1.example").is_ok());
        for bad in ["example", "-a.example", "a..example", "a_b.example", ""] {
            assert!(DomainName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn email_addresses_are_checked_for_obvious_mistakes() {
        assert_eq!(
            Email::parse(" Ada.Lovelace@ACME.example ").map(|e| e.to_string()),
            Ok("Ada.Lovelace@acme.example".to_owned())
        );
        for bad in [
            "ada",
            "ada@",
            "@acme.example",
            "ada@acme",
            "a da@acme.example",
            "a@b@c.d",
            "moc.elpmaxe\u{202E}@acme.example",
            "ada\u{200B}@acme.example",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert!(Email::parse(&format!("{}@acme.example", "a".repeat(65))).is_err());
        assert_eq!(Email::parse_optional("  "), Ok(None));
    }

    #[test]
    fn names_are_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(
            PersonName::parse("  Ada ").map(|n| n.as_str().to_owned()),
            Ok("Ada".to_owned())
        );
        assert_eq!(
            PersonName::parse("").map(|n| n.as_str().to_owned()),
            Ok(String::new())
        );
        assert!(PersonName::parse_required("   ").is_err());
        assert!(PersonName::parse(&"é".repeat(64)).is_ok());
        assert!(PersonName::parse(&"é".repeat(65)).is_err());
        assert!(PersonName::parse("Ada\u{0}").is_err());
        assert!(ShortText::parse("Sales\nFloor").is_err());
    }

    #[test]
    fn time_zones_are_names_of_the_tz_database_or_empty() {
        let zone = |text: &str| TimeZoneName::parse(text).map(|zone| zone.as_str().to_owned());
        assert_eq!(zone(" europe/london "), Ok("Europe/London".to_owned()));
        assert_eq!(zone("UTC"), Ok("UTC".to_owned()));
        assert_eq!(zone(""), Ok(String::new()));
        assert!(TimeZoneName::parse_required(" ").is_err());
        for bad in [
            "Mars/Olympus",
            "GMT+25",
            "Europe/London\u{0}",
            "America/New York",
        ] {
            assert!(TimeZoneName::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn caller_ids_are_e164_or_empty() {
        let number = |text: &str| CallerId::parse(text).map(|id| id.as_str().to_owned());
        assert_eq!(number(" +12125550142 "), Ok("+12125550142".to_owned()));
        assert_eq!(number(""), Ok(String::new()));
        for bad in [
            "12125550142",
            "+0212555",
            "+1 212 555 0142",
            "+1234567",
            "+1234567890123456",
        ] {
            assert!(CallerId::parse(bad).is_err(), "{bad:?} was accepted");
        }
    }

    #[test]
    fn names_refuse_direction_overrides_and_zero_width_characters() {
        for hidden in [
            "Ada\u{202E}ecalevol",
            "Ada\u{200B}",
            "\u{FEFF}Ada",
            "A\u{2066}d\u{2069}a",
            "Ada\u{00AD}",
            "Ada\u{E0041}",
        ] {
            assert_eq!(
                PersonName::parse(hidden).map_err(|e| e.to_string()),
                Err(FORMAT_CHARS.to_owned()),
                "{hidden:?}"
            );
            assert!(ShortText::parse(hidden).is_err(), "{hidden:?}");
        }
        assert!(PersonName::parse("Zoë Ñúñez-Ōtsuka").is_ok());
        assert!(PersonName::parse("محمد").is_ok());
    }
}
