//! Every URL the portal links to, in one place.

pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const CHANGE_PASSWORD: &str = "/account/password";
pub const DOMAINS: &str = "/domains";

/// The Users page of a domain.
pub fn users(domain: &str) -> String {
    format!("/domains/{domain}/users")
}
