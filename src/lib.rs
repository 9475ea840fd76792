//! pbx-portal: the admin web portal of a multi-tenant hosted phone system.
//!
//! Layers, each using only those below it, and the error each returns:
//! - [`routes`] (actix handlers, extractors, route table) and [`views`] (askama pages):
//!   [`error::AppError`], the one error type at the web boundary.
//! - [`middleware`]: CSRF and security headers for every route.
//! - [`web`]: the plumbing the three above share (session and API-caller extractors,
//!   paths, client address, rate limits, htmx headers), importing none of them.
//! - [`services`]: use cases and their transactions: a typed error per use case.
//! - [`jobs`] and [`email`]: the job worker (`jobs::runner`, through each action's service) and outgoing
//!   mail (messages, mailer, outbox delivery), both on [`background`] loops.
//! - [`domain`]: pure rules and validated types: [`domain::Invalid`], [`domain::Refusal`].
//! - [`db`]: connections, migrations, schema and queries: diesel's `QueryResult`.
//!
//! [`startup`] wires them into a server and [`shutdown`] stops it gracefully; [`config`]
//! and [`state`] carry settings and shared handles to it without globals; [`metrics`]
//! keeps what `/metrics` reports.

pub mod background;
pub mod config;
pub mod db;
pub mod domain;
pub mod email;
pub mod error;
pub mod jobs;
pub mod metrics;
pub mod middleware;
pub mod routes;
pub mod services;
pub mod shutdown;
pub mod startup;
pub mod state;
pub mod views;
pub mod web;
