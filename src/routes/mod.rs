//! HTTP handlers, one module per area, and the route table. Handlers extract and
//! validate input, call services through [`crate::state::AppState::db`], and render
//! views; every refusal is an [`crate::error::AppError`].

pub mod account;
pub mod api;
pub mod assets;
pub mod audit;
pub mod auth;
pub mod deleted;
pub mod domain_settings;
pub mod domains;
pub mod export;
pub mod health;
pub mod import;
pub mod jobs;
pub mod managed;
pub mod passkeys;
pub mod password;
pub mod recent_password;
pub mod routing;
pub mod second_step;
pub mod security;
pub mod users;

use actix_web::web;

use crate::web::paths;

use crate::error::AppError;
use crate::services::jobs::spec::Action;

/// Largest request body accepted (a bulk selection of thousands of users fits).
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::PayloadConfig::new(MAX_BODY_BYTES))
        .app_data(
            web::FormConfig::default()
                .limit(MAX_BODY_BYTES)
                .error_handler(|err, _| {
                    AppError::BadRequest(format!("The form could not be read: {err}.")).into()
                }),
        )
        .app_data(
            web::PathConfig::default()
                .error_handler(|_, _| AppError::NotFound("There is no such page.".into()).into()),
        )
        .app_data(web::QueryConfig::default().error_handler(|err, _| {
            AppError::BadRequest(format!("The address could not be read: {err}.")).into()
        }))
        // The Users page and the static files first: routes are matched in order, each
        // path pattern with a parameter costs a regular-expression match, and these are
        // what browsers and scripts ask for most. Last, the static files matched after
        // 75 patterns and spent a third of their time in matching.
        .route("/domains/{domain}/users", web::get().to(users::list))
        .route("/static/{path:.*}", web::get().to(assets::serve))
        .route("/", web::get().to(auth::home))
        .route(paths::LOGIN, web::get().to(auth::login_form))
        .route(paths::LOGIN, web::post().to(auth::login))
        .route(paths::SIGN_IN_SECOND_STEP, web::get().to(second_step::form))
        .route(
            paths::SIGN_IN_SECOND_STEP,
            web::post().to(second_step::verify),
        )
        .route(paths::LOGOUT, web::get().to(auth::sign_out_form))
        .route(paths::LOGOUT, web::post().to(auth::sign_out))
        .route(
            paths::CHANGE_PASSWORD,
            web::get().to(auth::change_password_form),
        )
        .route(
            paths::CHANGE_PASSWORD,
            web::post().to(auth::change_password),
        )
        .route(
            paths::ACCOUNT_SESSIONS,
            web::get().to(account::sessions_page),
        )
        .route(
            paths::ACCOUNT_SESSIONS_END_ALL,
            web::post().to(account::end_all),
        )
        .route(
            "/account/sessions/{id}/end",
            web::post().to(account::end_one),
        )
        .route(paths::ACCOUNT_TOKENS, web::get().to(account::tokens))
        .route(paths::ACCOUNT_TOKENS, web::post().to(account::create_token))
        .route(
            "/account/tokens/{id}/revoke",
            web::post().to(account::revoke_token),
        )
        .route(paths::ACCOUNT_SECURITY, web::get().to(security::page))
        .route(
            "/account/security/app/set-up",
            web::post().to(security::set_up_app),
        )
        .route(
            "/account/security/app/turn-on",
            web::post().to(security::turn_on_app),
        )
        .route(
            "/account/security/recovery-codes",
            web::post().to(security::new_recovery_codes),
        )
        .route("/account/security/off", web::post().to(security::turn_off))
        .route(
            "/account/security/passkeys/add",
            web::post().to(passkeys::add),
        )
        .route(
            "/account/security/passkeys/finish",
            web::post().to(passkeys::finish_adding),
        )
        .route(
            "/account/security/passkeys/{id}/remove",
            web::post().to(passkeys::remove),
        )
        .route(
            "/login/passkey/begin",
            web::post().to(passkeys::begin_sign_in),
        )
        .route(
            "/login/passkey/finish",
            web::post().to(passkeys::finish_sign_in),
        )
        .route("/password/{token}", web::get().to(password::form))
        .route("/password/{token}", web::post().to(password::save))
        .route(paths::DOMAINS, web::get().to(domains::list))
        .route(
            "/domains/{domain}/settings",
            web::get().to(domain_settings::form),
        )
        .route(
            "/domains/{domain}/settings",
            web::post().to(domain_settings::save),
        )
        .route("/mail/test", web::post().to(domains::send_test_mail))
        .route(
            "/domains/{domain}/users/new",
            web::get().to(users::new_form),
        )
        .route("/domains/{domain}/users/new", web::post().to(users::create))
        .route(
            "/domains/{domain}/users/export",
            web::get().to(export::users_csv),
        )
        .route(paths::IMPORT, web::get().to(import::form_across))
        .route(paths::IMPORT, web::post().to(import::check_across))
        .route("/import/{file}", web::get().to(import::shown_across))
        .route("/import/{file}/apply", web::post().to(import::apply_across))
        .route(
            "/import/{file}/errors.csv",
            web::get().to(import::errors_across),
        )
        .route("/domains/{domain}/import", web::get().to(import::form))
        .route("/domains/{domain}/import", web::post().to(import::check))
        .route(
            "/domains/{domain}/import/{file}",
            web::get().to(import::shown),
        )
        .route(
            "/domains/{domain}/import/{file}/apply",
            web::post().to(import::apply),
        )
        .route(
            "/domains/{domain}/import/{file}/errors.csv",
            web::get().to(import::errors),
        )
        // Before `/users/{extension}`, which would take "deleted" for an extension.
        .route(
            "/domains/{domain}/users/deleted",
            web::get().to(deleted::list),
        )
        .route(
            "/domains/{domain}/users/deleted/restore/confirm",
            web::post().to(jobs::restore::restore_confirm),
        )
        .route(
            "/domains/{domain}/users/deleted/restore",
            web::post().to(jobs::restore::start_restore),
        )
        .route(
            "/domains/{domain}/users/{extension}",
            web::get().to(users::edit_form),
        )
        .route(
            "/domains/{domain}/users/{extension}",
            web::post().to(users::update),
        )
        .route(
            "/domains/{domain}/users/{extension}/sessions/end",
            web::post().to(users::end_sessions),
        )
        .route(
            "/domains/{domain}/users/{extension}/two-step/reset",
            web::post().to(users::reset_two_step),
        )
        .route(
            "/domains/{domain}/users/{extension}/delete",
            web::get().to(users::delete_form),
        )
        .route(
            "/domains/{domain}/users/{extension}/delete",
            web::post().to(users::delete),
        )
        .route("/domains/{domain}/audit", web::get().to(audit::list))
        .route("/domains/{domain}/routing", web::get().to(routing::page))
        .route(
            "/domains/{domain}/routing/numbers/{id}",
            web::get().to(routing::number_form),
        )
        .route(
            "/domains/{domain}/routing/numbers/{id}",
            web::post().to(routing::number_save),
        )
        .route(
            "/domains/{domain}/routing/options/{id}",
            web::get().to(routing::option_form),
        )
        .route(
            "/domains/{domain}/routing/options/{id}",
            web::post().to(routing::option_save),
        )
        .route(
            "/domains/{domain}/routing/ring-groups/{id}/{change}",
            web::post().to(routing::ring_group_member),
        )
        .route(
            "/domains/{domain}/routing/queues/{id}/{change}",
            web::post().to(routing::queue_member),
        )
        .route(
            "/domains/{domain}/bulk",
            web::post().to(jobs::dialog::choose),
        )
        .route(
            "/domains/{domain}/bulk/reset/options",
            web::post().to(jobs::dialog::reset_options),
        )
        .route(
            "/domains/{domain}/bulk/reset/confirm",
            web::post().to(jobs::dialog::reset_confirm),
        )
        .route(
            "/domains/{domain}/bulk/reset",
            web::post().to(jobs::dialog::start_reset),
        )
        .route(
            "/domains/{domain}/bulk/welcome/confirm",
            web::post().to(|req, actor, state, path, body| {
                jobs::dialog::mail_confirm(req, actor, state, path, body, Action::Welcome)
            }),
        )
        .route(
            "/domains/{domain}/bulk/welcome",
            web::post().to(|req, actor, state, path, body| {
                jobs::dialog::start_simple(req, actor, state, path, body, Action::Welcome)
            }),
        )
        .route(
            "/domains/{domain}/bulk/force-reset/confirm",
            web::post().to(|req, actor, state, path, body| {
                jobs::dialog::mail_confirm(
                    req,
                    actor,
                    state,
                    path,
                    body,
                    Action::ForcePasswordReset,
                )
            }),
        )
        .route(
            "/domains/{domain}/bulk/force-reset",
            web::post().to(|req, actor, state, path, body| {
                jobs::dialog::start_simple(
                    req,
                    actor,
                    state,
                    path,
                    body,
                    Action::ForcePasswordReset,
                )
            }),
        )
        .route(
            "/domains/{domain}/bulk/edit/fields",
            web::post().to(jobs::edit::edit_fields),
        )
        .route(
            "/domains/{domain}/bulk/edit/confirm",
            web::post().to(jobs::edit::edit_confirm),
        )
        .route(
            "/domains/{domain}/bulk/edit",
            web::post().to(jobs::edit::start_edit),
        )
        .route(
            "/domains/{domain}/bulk/delete/confirm",
            web::post().to(jobs::dialog::delete_confirm),
        )
        .route(
            "/domains/{domain}/bulk/delete",
            web::post().to(|req, actor, state, path, body| {
                jobs::dialog::start_simple(
                    req,
                    actor,
                    state,
                    path,
                    body,
                    Action::Delete {
                        successors: Vec::new(),
                    },
                )
            }),
        )
        .route(
            "/domains/{domain}/jobs",
            web::get().to(jobs::list::list_of_domain),
        )
        .route(paths::JOBS, web::get().to(jobs::list::list_all))
        .route("/jobs/{id}", web::get().to(jobs::progress::show))
        .route("/jobs/{id}/stop", web::post().to(jobs::progress::stop))
        .route("/jobs/{id}/retry", web::get().to(jobs::dialog::retry))
        .route("/jobs/{id}/undo", web::get().to(jobs::undo::undo_confirm))
        .route("/jobs/{id}/undo", web::post().to(jobs::undo::start_undo))
        .route(
            "/jobs/{id}/results.csv",
            web::get().to(jobs::results::results_csv),
        )
        .route(
            "/jobs/{id}/recycle",
            web::get().to(jobs::recycle::recycle_form),
        )
        .route(
            "/jobs/{id}/recycle",
            web::post().to(jobs::recycle::recycle_save),
        )
        .service(api::v1())
        .route("/api/openapi.json", web::get().to(api::docs::document))
        .route("/api/docs", web::get().to(api::docs::page))
        .route("/api/{rest:.*}", web::route().to(api::no_such_route))
        .route("/health", web::get().to(health::health))
        .route("/metrics", web::get().to(health::metrics));
}
