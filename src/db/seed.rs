//! Set-based generation of synthetic users and of the data attached to them, shared by
//! `pbx-portal seed` (benchmark volumes) and `pbx-portal demo`. Each statement makes a
//! whole domain's rows at once from a recursive counter, in SQL both backends accept.
//! Only integers and the constant word lists below are spliced into the SQL text.

use diesel::prelude::*;

use super::DbConn;
use crate::domain::ids::DomainId;

const FIRST_NAMES: [&str; 20] = [
    "Amelia", "Ben", "Chloe", "Daniel", "Emma", "Farid", "Grace", "Hugo", "Isla", "Jonas", "Keira",
    "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Samir", "Tara",
];
const LAST_NAMES: [&str; 30] = [
    "Adams", "Brooks", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
    "Khan", "Larsen", "Moreau", "Nakamura", "Okafor", "Patel", "Quispe", "Rossi", "Silva",
    "Tanaka", "Ulrich", "Varga", "Weber", "Xu", "Yilmaz", "Zhang", "Novak", "Murphy", "Lopez",
    "Kowalski",
];
const DEPARTMENTS: [&str; 5] = ["Sales", "Support", "Finance", "Engineering", "Operations"];
const SITES: [&str; 3] = ["Head Office", "Warehouse", "Remote"];

/// `CASE (expr) % n WHEN 0 THEN 'w0' … END` over a constant word list.
fn pick(expr: &str, words: &[&str]) -> String {
    let arms: String = words
        .iter()
        .enumerate()
        .map(|(index, word)| format!(" WHEN {index} THEN '{word}'"))
        .collect();
    format!("(CASE ({expr}) % {} {arms} END)", words.len())
}

/// A derived table `k(n)` holding 0..count.
fn numbers(count: u32) -> String {
    let rows: Vec<String> = (0..count).map(|n| format!("SELECT {n} AS n")).collect();
    format!("({}) k", rows.join(" UNION ALL "))
}

/// The first and last name a synthetic user with this extension number gets. The two
/// lists' lengths make every pair unique over any 60 consecutive extensions.
pub fn sample_name(number: u32) -> (&'static str, &'static str) {
    let first = FIRST_NAMES
        .get(number as usize % FIRST_NAMES.len())
        .copied()
        .unwrap_or("Alex");
    let last = LAST_NAMES
        .get(number as usize % LAST_NAMES.len())
        .copied()
        .unwrap_or("Smith");
    (first, last)
}

/// Department and site of a synthetic user.
pub fn sample_placement(number: u32) -> (&'static str, &'static str) {
    let department = DEPARTMENTS
        .get(number as usize % DEPARTMENTS.len())
        .copied()
        .unwrap_or("");
    let site = SITES
        .get(number as usize % SITES.len())
        .copied()
        .unwrap_or("");
    (department, site)
}

/// Inserts `count` users with extensions `first_extension` upward into a domain: names
/// and e-mail addresses from the word lists, scope Basic User, no portal password.
pub fn insert_numbered_users(
    conn: &mut DbConn,
    domain_id: DomainId,
    first_extension: u32,
    count: u32,
) -> QueryResult<usize> {
    if count == 0 {
        return Ok(0);
    }
    let number = format!("({first_extension} + i)");
    let first = pick(&number, &FIRST_NAMES);
    let last = pick(&number, &LAST_NAMES);
    let department = pick(&number, &DEPARTMENTS);
    let site = pick(&number, &SITES);
    let sql = format!(
        "WITH RECURSIVE seq(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM seq WHERE i + 1 < {count})
         INSERT INTO users (domain_id, extension, first_name, last_name, email, scope,
                            department, site, vm_to_email, vm_transcription)
         SELECT {domain_id}, CAST({number} AS TEXT), {first}, {last},
                lower({first}) || '.' || lower({last}) || CAST({number} AS TEXT) || '@'
                    || (SELECT name FROM domains WHERE id = {domain_id}),
                1, {department}, {site}, {number} % 7 = 0, {number} % 11 = 0
         FROM seq"
    );
    diesel::sql_query(sql).execute(conn)
}

/// Gives every non-system user of a domain a primary device, zero to two additional
/// devices, voicemail messages in all three boxes, greetings, answering rules, own
/// contacts and call history; and the domain five shared contacts.
pub fn attach_sample_data(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<usize> {
    let users = format!("users u WHERE u.domain_id = {domain_id} AND u.is_system = FALSE");
    let number = "CAST(u.extension AS BIGINT)";
    let statements = [
        format!(
            "INSERT INTO devices (domain_id, user_id, name, model, is_primary)
             SELECT u.domain_id, u.id,
                    u.extension || (CASE k.n WHEN 0 THEN '' WHEN 1 THEN 'a' ELSE 'b' END),
                    (CASE k.n WHEN 0 THEN 'Yealink T54W' ELSE 'Poly VVX 450' END), k.n = 0
             FROM {numbers}, {users} AND k.n <= {number} % 3",
            numbers = numbers(3)
        ),
        format!(
            "INSERT INTO voicemail_messages (domain_id, user_id, folder, caller, duration_secs)
             SELECT u.domain_id, u.id,
                    (CASE k.n % 3 WHEN 0 THEN 'new' WHEN 1 THEN 'saved' ELSE 'deleted' END),
                    '+1555' || CAST(1000000 + {number} * 7 + k.n AS TEXT), 10 + k.n * 13
             FROM {numbers}, {users} AND k.n < 1 + {number} % 4",
            numbers = numbers(4)
        ),
        format!(
            "INSERT INTO voicemail_greetings (domain_id, user_id, name, is_active)
             SELECT u.domain_id, u.id,
                    (CASE k.n WHEN 0 THEN 'Standard greeting' ELSE 'Out of office' END), k.n = 0
             FROM {numbers}, {users} AND k.n <= {number} % 2",
            numbers = numbers(2)
        ),
        format!(
            "INSERT INTO answering_rules (domain_id, user_id, time_frame, action, destination, priority)
             SELECT u.domain_id, u.id,
                    (CASE k.n WHEN 0 THEN 'Business hours' ELSE 'After hours' END),
                    (CASE k.n WHEN 0 THEN 'ring' ELSE 'forward' END),
                    (CASE k.n WHEN 0 THEN u.extension ELSE 'voicemail' END), k.n
             FROM {numbers}, {users}",
            numbers = numbers(2)
        ),
        format!(
            "INSERT INTO contacts (domain_id, user_id, first_name, last_name, phone)
             SELECT u.domain_id, u.id, 'Contact', CAST(k.n + 1 AS TEXT) || ' of ' || u.extension,
                    '+1555' || CAST(2000000 + {number} * 3 + k.n AS TEXT)
             FROM {numbers}, {users}",
            numbers = numbers(2)
        ),
        format!(
            "INSERT INTO contacts (domain_id, user_id, first_name, last_name, phone)
             SELECT {domain_id}, NULL, 'Shared',
                    (CASE k.n WHEN 0 THEN 'Reception' WHEN 1 THEN 'Helpdesk' WHEN 2 THEN 'Facilities'
                              WHEN 3 THEN 'Security' ELSE 'Switchboard' END),
                    '+1555300000' || CAST(k.n AS TEXT)
             FROM {numbers}",
            numbers = numbers(5)
        ),
        format!(
            "INSERT INTO call_history (domain_id, user_id, user_name, direction, other_party, duration_secs)
             SELECT u.domain_id, u.id, trim(u.first_name || ' ' || u.last_name),
                    (CASE k.n % 3 WHEN 0 THEN 'inbound' WHEN 1 THEN 'outbound' ELSE 'missed' END),
                    '+1555' || CAST(4000000 + {number} * 5 + k.n AS TEXT), 30 * k.n
             FROM {numbers}, {users}",
            numbers = numbers(5)
        ),
    ];
    let mut rows = 0;
    for sql in statements {
        rows += diesel::sql_query(sql).execute(conn)?;
    }
    Ok(rows)
}

/// Gives a seeded domain (extensions from 1000 up) call routing in proportion (SPEC
/// "Demo data"): per 10,000 users about 1,000 phone numbers, 10 auto attendants of 10
/// options and a timeout, 50 ring groups of 10, 20 call queues of 20, one user in ten
/// forwarding to the next and one in ten with two BLF keys on the neighbours. Set-based:
/// one statement per kind, each anchored at the users it reaches.
pub fn attach_sample_routing(conn: &mut DbConn, domain_id: DomainId) -> QueryResult<usize> {
    let seat = "(CAST(u.extension AS BIGINT) - 1000)";
    let users = format!("users u WHERE u.domain_id = {domain_id} AND u.is_system = FALSE");
    let user_at = |alias: &str, offset: &str| {
        format!(
            "users {alias} ON {alias}.domain_id = {domain_id} AND {alias}.extension = CAST({offset} AS TEXT)"
        )
    };
    let statements = [
        // One number in ten seats; one in a hundred rings the voicemail.
        format!(
            "INSERT INTO phone_numbers (domain_id, number, label, dest_kind, dest_user_id)
             SELECT u.domain_id, '+' || CAST(100000000000 + u.domain_id * 10000000 + {seat} AS TEXT), '',
                    (CASE WHEN {seat} % 100 = 0 THEN 'voicemail' ELSE 'user' END), u.id
             FROM {users} AND {seat} % 10 = 0"
        ),
        format!(
            "INSERT INTO auto_attendants (domain_id, name, number)
             SELECT u.domain_id, 'Menu ' || CAST({seat} / 1000 + 1 AS TEXT), '5' || CAST({seat} / 1000 AS TEXT)
             FROM {users} AND {seat} % 1000 = 0"
        ),
        format!(
            "INSERT INTO attendant_options (domain_id, attendant_id, key, dest_kind, dest_user_id)
             SELECT a.domain_id, a.id, CAST(k.n AS TEXT), 'user', t.id
             FROM auto_attendants a CROSS JOIN {numbers}
             JOIN {target}
             WHERE a.domain_id = {domain_id}",
            numbers = numbers(10),
            target = user_at(
                "t",
                "1000 + CAST(substr(a.number, 2) AS BIGINT) * 1000 + k.n * 10 + 5"
            )
        ),
        format!(
            "INSERT INTO attendant_options (domain_id, attendant_id, key, dest_kind, dest_user_id)
             SELECT a.domain_id, a.id, 'timeout', 'voicemail', t.id
             FROM auto_attendants a JOIN {target}
             WHERE a.domain_id = {domain_id}",
            target = user_at("t", "1000 + CAST(substr(a.number, 2) AS BIGINT) * 1000")
        ),
        format!(
            "INSERT INTO ring_groups (domain_id, name, number)
             SELECT u.domain_id, 'Group ' || CAST({seat} / 200 + 1 AS TEXT), '6' || CAST({seat} / 200 AS TEXT)
             FROM {users} AND {seat} % 200 = 0"
        ),
        format!(
            "INSERT INTO ring_group_members (domain_id, ring_group_id, user_id, position)
             SELECT u.domain_id, g.id, u.id, {seat} % 200 + 1
             FROM users u JOIN ring_groups g
               ON g.domain_id = u.domain_id AND g.number = '6' || CAST({seat} / 200 AS TEXT)
             WHERE u.domain_id = {domain_id} AND u.is_system = FALSE AND {seat} % 200 < 10"
        ),
        format!(
            "INSERT INTO call_queues (domain_id, name, number)
             SELECT u.domain_id, 'Queue ' || CAST({seat} / 500 + 1 AS TEXT), '7' || CAST({seat} / 500 AS TEXT)
             FROM {users} AND {seat} % 500 = 0"
        ),
        format!(
            "INSERT INTO queue_agents (domain_id, queue_id, user_id)
             SELECT u.domain_id, q.id, u.id
             FROM users u JOIN call_queues q
               ON q.domain_id = u.domain_id AND q.number = '7' || CAST({seat} / 500 AS TEXT)
             WHERE u.domain_id = {domain_id} AND u.is_system = FALSE AND {seat} % 500 < 20"
        ),
        format!(
            "INSERT INTO answering_rules (domain_id, user_id, time_frame, action, destination, priority, forward_user_id)
             SELECT u.domain_id, u.id, 'When busy', 'forward', '', 5, t.id
             FROM users u JOIN {target}
             WHERE u.domain_id = {domain_id} AND u.is_system = FALSE AND {seat} % 10 = 3",
            target = user_at("t", "CAST(u.extension AS BIGINT) + 1")
        ),
        format!(
            "INSERT INTO blf_keys (domain_id, device_id, watched_user_id, position)
             SELECT u.domain_id, d.id, t.id, k.n + 1
             FROM users u
             JOIN devices d ON d.user_id = u.id AND d.is_primary = TRUE
             CROSS JOIN {numbers}
             JOIN {target}
             WHERE u.domain_id = {domain_id} AND u.is_system = FALSE AND {seat} % 10 = 7",
            numbers = numbers(2),
            target = user_at("t", "CAST(u.extension AS BIGINT) - 1 + 2 * k.n")
        ),
    ];
    let mut rows = 0;
    for sql in statements {
        rows += diesel::sql_query(sql).execute(conn)?;
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_over_sixty_consecutive_extensions() {
        let pairs: std::collections::HashSet<_> = (100..160).map(sample_name).collect();
        assert_eq!(pairs.len(), 60);
    }

    #[test]
    fn pick_builds_a_case_over_the_list() {
        assert_eq!(
            pick("i", &["a", "b"]),
            "(CASE (i) % 2  WHEN 0 THEN 'a' WHEN 1 THEN 'b' END)"
        );
        assert_eq!(numbers(2), "(SELECT 0 AS n UNION ALL SELECT 1 AS n) k");
    }
}
