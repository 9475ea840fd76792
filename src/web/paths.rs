//! Every URL the portal links to, in one place, and where the API lives.

use crate::domain::ids::{
    ApiTokenId, JobId, OptionId, PhoneNumberId, QueueId, RingGroupId, SessionId,
};

/// Where the API lives; requests under it get problem documents, never pages.
pub const API_PREFIX: &str = "/api/";

/// Whether the request is for the API, read from its decoded path as the router reads
/// it (so `/%61pi/v1/…` is the API too, as it is routed there).
pub fn is_api_request(req: &actix_web::HttpRequest) -> bool {
    req.match_info().as_str().starts_with(API_PREFIX)
}

pub const LOGIN: &str = "/login";
pub const LOGOUT: &str = "/logout";
pub const CHANGE_PASSWORD: &str = "/account/password";
pub const DOMAINS: &str = "/domains";
pub const ACCOUNT_SESSIONS: &str = "/account/sessions";
pub const ACCOUNT_SESSIONS_END_ALL: &str = "/account/sessions/end-all";
pub const ACCOUNT_TOKENS: &str = "/account/tokens";
pub const ACCOUNT_SECURITY: &str = "/account/security";
/// The second step of a sign-in.
pub const SIGN_IN_SECOND_STEP: &str = "/login/two-step";

/// Where **Revoke {name}** posts for one of one's own API tokens.
pub fn account_token_revoke(id: ApiTokenId) -> String {
    format!("/account/tokens/{id}/revoke")
}

/// Where **Sign out {device}** posts for one of one's own sessions.
pub fn account_session_end(id: SessionId) -> String {
    format!("/account/sessions/{id}/end")
}

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

/// Where an office manager's **End sessions** posts for a user.
/// **Reset two-step sign-in** of a user.
pub fn user_two_step_reset(domain: &str, extension: &str) -> String {
    format!("/domains/{domain}/users/{extension}/two-step/reset")
}

pub fn user_sessions_end(domain: &str, extension: &str) -> String {
    format!("/domains/{domain}/users/{extension}/sessions/end")
}

pub fn user_delete(domain: &str, extension: &str) -> String {
    format!("/domains/{domain}/users/{extension}/delete")
}

/// A domain's Deleted users page.
/// A domain's Import page; its form posts the file here to be checked.
pub fn import(domain: &str) -> String {
    format!("/domains/{domain}/import")
}

/// Import across the domains a Reseller or Super User may open.
pub const IMPORT: &str = "/import";

/// The check page of the checked file `file` of the import page `base`.
pub fn import_check(base: &str, file: &str) -> String {
    format!("{base}/{file}")
}

/// Where **Import {N} rows** posts for the checked file `file` of the import page `base`.
pub fn import_apply(base: &str, file: &str) -> String {
    format!("{base}/{file}/apply")
}

/// **Download errors** of the checked file `file` of the import page `base`.
pub fn import_errors(base: &str, file: &str) -> String {
    format!("{base}/{file}/errors.csv")
}

pub fn deleted_users(domain: &str) -> String {
    format!("/domains/{domain}/users/deleted")
}

/// Where Restore's Confirm step posts the selection, and where its Confirm starts it.
pub fn deleted_users_restore_confirm(domain: &str) -> String {
    format!("/domains/{domain}/users/deleted/restore/confirm")
}

pub fn deleted_users_restore(domain: &str) -> String {
    format!("/domains/{domain}/users/deleted/restore")
}

/// A domain's settings page.
pub fn domain_settings(domain: &str) -> String {
    format!("/domains/{domain}/settings")
}

/// A domain's Call routing page.
pub fn routing(domain: &str) -> String {
    format!("/domains/{domain}/routing")
}

/// Change destination of a phone number.
pub fn routing_number(domain: &str, id: PhoneNumberId) -> String {
    format!("/domains/{domain}/routing/numbers/{id}")
}

/// Change destination of an attendant's option or timeout.
pub fn routing_option(domain: &str, id: OptionId) -> String {
    format!("/domains/{domain}/routing/options/{id}")
}

/// Add member (`add`) or Remove (`remove`) of a ring group.
pub fn routing_ring_group(domain: &str, id: RingGroupId, change: &str) -> String {
    format!("/domains/{domain}/routing/ring-groups/{id}/{change}")
}

/// Add member (`add`) or Remove (`remove`) of a call queue.
pub fn routing_queue(domain: &str, id: QueueId, change: &str) -> String {
    format!("/domains/{domain}/routing/queues/{id}/{change}")
}

/// The Call routing page with Only dead ends checked.
pub fn routing_dead_ends(domain: &str) -> String {
    format!("/domains/{domain}/routing?dead_ends=1")
}

pub fn audit(domain: &str) -> String {
    format!("/domains/{domain}/audit")
}

pub fn job(id: JobId) -> String {
    format!("/jobs/{id}")
}

pub fn job_stop(id: JobId) -> String {
    format!("/jobs/{id}/stop")
}

pub fn job_retry(id: JobId) -> String {
    format!("/jobs/{id}/retry")
}

pub fn job_undo(id: JobId) -> String {
    format!("/jobs/{id}/undo")
}

pub fn job_results(id: JobId) -> String {
    format!("/jobs/{id}/results.csv")
}

/// A domain's Jobs page.
pub fn domain_jobs(domain: &str) -> String {
    format!("/domains/{domain}/jobs")
}

/// Every job the actor may see (Resellers and Super Users).
pub const JOBS: &str = "/jobs";

pub fn job_recycle(id: JobId) -> String {
    format!("/jobs/{id}/recycle")
}
