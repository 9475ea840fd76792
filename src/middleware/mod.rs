//! Request guards that apply to every route: the CSRF check on state-changing requests,
//! the refusal of control characters in any text input, the security headers on every
//! answer, and readable errors for htmx and scripts.

pub mod csrf;
pub mod headers;
pub mod htmx;
pub mod input;
