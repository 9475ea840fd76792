//! A domain's settings page: Portal security, Time zone and Require two-step sign-in,
//! opened and saved by the domain's Office Managers and above, saved against the version
//! the page was read at, and audited with what changed.

use super::Acting;
use crate::db::audit;
use crate::db::domains::{self, Domain, Settings};
use crate::db::{DbConn, write_transaction};
use crate::domain::Refusal;

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("{0}")]
    Refused(Refusal),
    #[error(
        "Someone else saved these settings after you opened the page. They are shown as \
         saved now: make your changes again."
    )]
    Conflict,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<Refusal> for SettingsError {
    fn from(refusal: Refusal) -> Self {
        SettingsError::Refused(refusal)
    }
}

/// The settings of `domain` as its page shows them.
pub fn of(domain: &Domain) -> Settings {
    Settings {
        portal_security: domain.portal_security,
        time_zone: domain.time_zone.clone(),
        require_two_step: domain.require_two_step,
    }
}

/// Saves `settings` for `domain`, provided they are still at `expected_version`, and
/// records what changed; returns the domain as saved.
pub fn save(
    conn: &mut DbConn,
    acting: &Acting,
    domain: &Domain,
    expected_version: i32,
    settings: &Settings,
) -> Result<Domain, SettingsError> {
    acting.may_manage_domain(domain.as_ref())?;
    write_transaction(conn, |conn| {
        let stored = domains::find(conn, domain.id)?.ok_or(diesel::result::Error::NotFound)?;
        if !domains::save_settings(conn, domain.id, expected_version, settings)? {
            return Err(SettingsError::Conflict);
        }
        let changed = describe_change(&of(&stored), settings);
        acting
            .audit
            .record_in_domain(conn, domain.id, audit::DOMAIN_SETTINGS, &changed)?;
        Ok(domains::find(conn, domain.id)?.ok_or(diesel::result::Error::NotFound)?)
    })
}

/// "Time zone: UTC → Europe/London; Require two-step sign-in: off → on", or "No change."
fn describe_change(before: &Settings, after: &Settings) -> String {
    let on_off = |on: bool| if on { "on" } else { "off" };
    let mut parts = Vec::new();
    if before.portal_security != after.portal_security {
        parts.push(format!(
            "Portal security: {} → {}",
            on_off(before.portal_security),
            on_off(after.portal_security)
        ));
    }
    if before.time_zone != after.time_zone {
        parts.push(format!(
            "Time zone: {} → {}",
            before.time_zone, after.time_zone
        ));
    }
    if before.require_two_step != after.require_two_step {
        parts.push(format!(
            "Require two-step sign-in: {} → {}",
            on_off(before.require_two_step),
            on_off(after.require_two_step)
        ));
    }
    if parts.is_empty() {
        "No change.".to_owned()
    } else {
        parts.join("; ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(portal_security: bool, time_zone: &str, require_two_step: bool) -> Settings {
        Settings {
            portal_security,
            time_zone: time_zone.into(),
            require_two_step,
        }
    }

    #[test]
    fn a_change_names_each_setting_that_moved() {
        let before = settings(true, "UTC", false);
        assert_eq!(describe_change(&before, &before), "No change.");
        assert_eq!(
            describe_change(&before, &settings(false, "Europe/London", true)),
            "Portal security: on → off; Time zone: UTC → Europe/London; \
             Require two-step sign-in: off → on"
        );
    }
}
