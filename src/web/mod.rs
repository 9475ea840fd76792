//! Web plumbing shared by the page handlers ([`crate::routes`]), the API, the middleware
//! and the views, and importing none of them: the session cookie and the signed-in
//! extractors ([`session`]), every address the portal links to ([`paths`]), the client's
//! address ([`peer`]), the API's rate limits ([`rate_limit`]), what htmx asks and is
//! told ([`htmx`]), and the last use of sessions and tokens ([`last_use`]).

pub mod api_caller;
pub mod htmx;
pub mod last_use;
pub mod paths;
pub mod peer;
pub mod rate_limit;
pub mod session;
