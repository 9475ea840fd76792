//! The integration suite: every test starts its own portal on port 0 with its own
//! database, a copy of a template migrated once per run (see `helpers`). It runs on
//! SQLite; with `TEST_DATABASE_URL=postgres://…` set, every test gets a fresh
//! PostgreSQL database instead.

mod helpers;

mod api_jobs;
mod api_matrix;
mod api_tokens;
mod api_users;
mod audit_log;
mod bad_input;
mod bulk;
mod call_routing;
mod cli;
mod crash;
mod csrf;
mod demo_data;
mod domain_settings;
mod edit_users;
mod found_from_outside;
mod handover;
mod import;
mod import_successors;
mod isolation;
mod jobs;
mod load;
mod mail;
mod operations;
mod passkeys;
mod phone_fields;
mod readme;
mod restore;
mod scopes;
mod search;
mod security;
mod sign_in;
mod smtp_sink;
mod stolen_session;
mod two_step;
mod undo;
mod user_delete;
mod user_forms;
mod users_page;
