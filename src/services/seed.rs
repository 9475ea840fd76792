//! `pbx-portal seed`: synthetic domains full of users with attached data and call
//! routing in proportion, for benchmarks. Each domain is made in one transaction of set-based statements.

use crate::db::write_transaction;
use std::time::{Duration, Instant};

use crate::db::DbConn;
use crate::db::domains::{self, NewDomain};
use crate::db::seed::{attach_sample_data, attach_sample_routing, insert_numbered_users};

/// The first extension of every seeded domain.
pub const FIRST_EXTENSION: u32 = 1000;
/// The most users one seeded domain may hold (extensions stay within 7 digits).
pub const MAX_USERS_PER_DOMAIN: u32 = 8_999_000;

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("domain {0} exists already; seed into a fresh database")]
    DomainExists(String),
    #[error("--users-per-domain may be at most {MAX_USERS_PER_DOMAIN}")]
    TooManyUsers,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

/// What a seed run made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedSummary {
    pub domains: u32,
    pub users: u64,
    pub attached_rows: u64,
    pub elapsed: Duration,
}

/// The name of the `n`th seeded domain (from 1).
pub fn seed_domain_name(n: u32) -> String {
    format!("seed-{n}.example")
}

pub fn seed(
    conn: &mut DbConn,
    domain_count: u32,
    users_per_domain: u32,
) -> Result<SeedSummary, SeedError> {
    if users_per_domain > MAX_USERS_PER_DOMAIN {
        return Err(SeedError::TooManyUsers);
    }
    let started = Instant::now();
    let mut summary = SeedSummary {
        domains: 0,
        users: 0,
        attached_rows: 0,
        elapsed: Duration::ZERO,
    };
    for n in 1..=domain_count {
        let name = seed_domain_name(n);
        let (users, attached) = write_transaction(conn, |conn| {
            if domains::find_by_name(conn, &name)?.is_some() {
                return Err(SeedError::DomainExists(name.clone()));
            }
            let domain = domains::insert(
                conn,
                &NewDomain {
                    name: &name,
                    description: "Synthetic data for benchmarks",
                    reseller_id: None,
                    portal_security: n % 2 == 1,
                    time_zone: domains::DEFAULT_TIME_ZONE,
                },
            )?;
            let users = insert_numbered_users(conn, domain.id, FIRST_EXTENSION, users_per_domain)?;
            let attached =
                attach_sample_data(conn, domain.id)? + attach_sample_routing(conn, domain.id)?;
            Ok((users, attached))
        })?;
        summary.domains += 1;
        summary.users += users as u64;
        summary.attached_rows += attached as u64;
    }
    summary.elapsed = started.elapsed();
    Ok(summary)
}
