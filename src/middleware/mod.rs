//! Request guards that apply to every route: the CSRF check on state-changing requests
//! and the security headers on every answer.

pub mod csrf;
pub mod headers;
