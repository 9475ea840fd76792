//! Every URL the portal links to, in one place.

pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const CHANGE_PASSWORD: &str = "/account/password";
pub const DOMAINS: &str = "/domains";

/// The Users page of a domain.
pub fn users(domain: &str) -> String {
    format!("/domains/{domain}/users")
}

pub fn users_export(domain: &str) -> String {
    format!("/domains/{domain}/users/export")
}

pub fn user_new(domain: &str) -> String {
    format!("/domains/{domain}/users/new")
}

/// A user's edit page.
pub fn user(domain: &str, extension: &str) -> String {
    format!("/domains/{domain}/users/{extension}")
}

pub fn user_delete(domain: &str, extension: &str) -> String {
    format!("/domains/{domain}/users/{extension}/delete")
}

pub fn audit(domain: &str) -> String {
    format!("/domains/{domain}/audit")
}

pub fn job(id: i64) -> String {
    format!("/jobs/{id}")
}

pub fn job_recycle(id: i64) -> String {
    format!("/jobs/{id}/recycle")
}
