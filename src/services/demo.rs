//! The demo data of SPEC section 7, the same every time: five domains under two
//! resellers, the five demo logins, and attached data for every user.

use std::collections::HashMap;

use crate::db::write_transaction;

use super::credentials::{HashError, hash_secret};
use crate::db::DbConn;
use crate::db::domains::{self, Domain, NewDomain};
use crate::db::routing::{self, NewNumber};
use crate::db::seed::{attach_sample_data, sample_name, sample_placement};
use crate::db::users::{self, NewUser};
use crate::domain::Scope;
use crate::domain::ids::UserId;
use crate::domain::routing::{Destination, TIMEOUT};

/// The password of every demo user that has one.
pub const DEMO_PASSWORD: &str = "demo-password";

/// The logins printed by `pbx-portal demo`, with what each may do.
pub const DEMO_LOGINS: [(&str, &str); 5] = [
    ("9000@platform.example", "Super User: sees every domain"),
    (
        "8000@northwind.example",
        "Reseller Northwind: acme.example, globex.example",
    ),
    (
        "100@acme.example",
        "Office Manager of acme.example (portal security on)",
    ),
    (
        "100@globex.example",
        "Office Manager of globex.example (portal security off)",
    ),
    (
        "101@acme.example",
        "Basic User: may not open the Users page",
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("the database already holds data; the demo loads only into an empty one")]
    NotEmpty,
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("the demo's call routing names {0}, which the demo lacks")]
    Missing(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

struct DemoDomain {
    name: &'static str,
    description: &'static str,
    reseller: Option<&'static str>,
    portal_security: bool,
    time_zone: &'static str,
}

const DOMAINS: [DemoDomain; 5] = [
    DemoDomain {
        name: "platform.example",
        description: "Platform operations",
        reseller: None,
        portal_security: true,
        time_zone: "UTC",
    },
    DemoDomain {
        name: "northwind.example",
        description: "Northwind Telecom (reseller)",
        reseller: Some("Northwind"),
        portal_security: true,
        time_zone: "Europe/London",
    },
    DemoDomain {
        name: "acme.example",
        description: "Acme Corporation",
        reseller: Some("Northwind"),
        portal_security: true,
        time_zone: "America/New_York",
    },
    DemoDomain {
        name: "globex.example",
        description: "Globex Inc.",
        reseller: Some("Northwind"),
        portal_security: false,
        time_zone: "America/Chicago",
    },
    DemoDomain {
        name: "initech.example",
        description: "Initech LLC",
        reseller: Some("Contoso"),
        portal_security: false,
        time_zone: "America/Los_Angeles",
    },
];

/// One demo user before insertion.
struct Person {
    extension: String,
    first: &'static str,
    last: &'static str,
    scope: Scope,
    with_email: bool,
    with_password: bool,
    vm_to_email: bool,
    must_change_password: bool,
    is_system: bool,
}

impl Person {
    fn staff(number: u32, scope: Scope) -> Self {
        let (first, last) = sample_name(number);
        Person {
            extension: number.to_string(),
            first,
            last,
            scope,
            with_email: true,
            with_password: true,
            vm_to_email: false,
            must_change_password: false,
            is_system: false,
        }
    }
}

fn acme_people() -> Vec<Person> {
    let mut people: Vec<Person> = (100..=159)
        .map(|number| {
            let scope = match number {
                100 => Scope::OfficeManager,
                102 => Scope::SiteManager,
                103 => Scope::CallCenterSupervisor,
                104..=105 => Scope::CallCenterAgent,
                106..=109 => Scope::AdvancedUser,
                110..=114 => Scope::SimpleUser,
                _ => Scope::BasicUser,
            };
            let mut person = Person::staff(number, scope);
            if (150..=154).contains(&number) {
                person.first = "";
                person.last = "";
                person.with_email = false;
                person.with_password = false;
            }
            if (155..=157).contains(&number) {
                person.with_password = false;
            }
            person.must_change_password = number == 158;
            person.vm_to_email = (120..=129).contains(&number);
            person
        })
        .collect();
    for (extension, first, last) in [
        ("9990", "Voicemail", "Service"),
        ("9991", "Conference", "Bridge"),
    ] {
        people.push(Person {
            extension: extension.to_owned(),
            first,
            last,
            scope: Scope::NoPortal,
            with_email: false,
            with_password: false,
            vm_to_email: false,
            must_change_password: false,
            is_system: true,
        });
    }
    people
}

fn office(range: std::ops::RangeInclusive<u32>) -> Vec<Person> {
    range
        .map(|number| {
            let scope = if number == 100 {
                Scope::OfficeManager
            } else {
                Scope::BasicUser
            };
            Person::staff(number, scope)
        })
        .collect()
}

fn people_of(domain: &str) -> Vec<Person> {
    let single = |extension: &str, first, last, scope| Person {
        extension: extension.to_owned(),
        first,
        last,
        scope,
        with_email: true,
        with_password: true,
        vm_to_email: false,
        must_change_password: false,
        is_system: false,
    };
    match domain {
        "platform.example" => vec![single("9000", "Pat", "Operator", Scope::SuperUser)],
        "northwind.example" => vec![single("8000", "Nora", "Lindqvist", Scope::Reseller)],
        "acme.example" => acme_people(),
        "globex.example" => office(100..=129),
        _ => office(100..=119),
    }
}

/// Loads the demo data into an empty database, in one transaction.
pub fn load_demo(conn: &mut DbConn) -> Result<(), DemoError> {
    // One hash shared by every demo user: the demo needs no per-user salt, and hashing
    // once keeps the start fast.
    let password_hash = hash_secret(DEMO_PASSWORD)?;
    write_transaction(conn, |conn| {
        if domains::any(conn)? {
            return Err(DemoError::NotEmpty);
        }
        for demo in &DOMAINS {
            let reseller_id = demo
                .reseller
                .map(|name| domains::reseller_id_for(conn, name))
                .transpose()?;
            let domain = domains::insert(
                conn,
                &NewDomain {
                    name: demo.name,
                    description: demo.description,
                    reseller_id,
                    portal_security: demo.portal_security,
                    time_zone: demo.time_zone,
                },
            )?;
            for person in people_of(demo.name) {
                let email = person.with_email.then(|| {
                    format!(
                        "{}.{}@{}",
                        person.first.to_lowercase(),
                        person.last.to_lowercase(),
                        demo.name
                    )
                });
                let (department, site) = match person.extension.parse::<u32>() {
                    Ok(number) if !person.is_system => sample_placement(number),
                    _ => ("", ""),
                };
                users::insert(
                    conn,
                    &NewUser {
                        domain_id: domain.id,
                        extension: &person.extension,
                        first_name: person.first,
                        last_name: person.last,
                        email: email.as_deref(),
                        password_hash: person.with_password.then_some(password_hash.as_str()),
                        scope: person.scope,
                        department,
                        site,
                        vm_to_email: person.vm_to_email,
                        must_change_password: person.must_change_password,
                        is_system: person.is_system,
                        time_zone: "",
                        caller_id_number: "",
                        emergency_caller_id: "",
                    },
                )?;
            }
            attach_sample_data(conn, domain.id)?;
            add_demo_routing(conn, &domain)?;
        }
        Ok(())
    })
}

/// One demo domain's call routing: its numbers (with labels) in order, Sales' members,
/// Support's agents, the user Main menu's key 3 reaches (if any), who forwards to whom,
/// and whose phone has a BLF key watching whom.
struct DemoRouting {
    domain: &'static str,
    lines: &'static [(&'static str, &'static str, LineTo)],
    sales: &'static [&'static str],
    support: &'static [&'static str],
    chosen: &'static str,
    forward: (&'static str, &'static str),
    blf: (&'static str, &'static str),
}

/// Where a demo phone number rings.
#[derive(Clone, Copy)]
enum LineTo {
    MainMenu,
    Sales,
    User(&'static str),
}

const DEMO_ROUTING: [DemoRouting; 2] = [
    DemoRouting {
        domain: "globex.example",
        lines: &[
            ("+12125550100", "Main line", LineTo::MainMenu),
            ("+12125550101", "", LineTo::User("123")),
            ("+12125550102", "", LineTo::Sales),
        ],
        sales: &["123", "125", "126"],
        support: &["124", "127", "128"],
        chosen: "124",
        forward: ("129", "124"),
        blf: ("125", "124"),
    },
    DemoRouting {
        domain: "acme.example",
        lines: &[
            ("+12125550200", "Main line", LineTo::MainMenu),
            ("+12125550201", "", LineTo::User("145")),
        ],
        sales: &["140", "141", "142"],
        support: &["143", "144"],
        chosen: "",
        forward: ("146", "145"),
        blf: ("147", "145"),
    },
];

/// The demo's call routing (SPEC "Demo call routing"): globex's and acme's numbers,
/// Main menu, Sales and Support, one forward and one BLF key each.
fn add_demo_routing(conn: &mut DbConn, domain: &Domain) -> Result<(), DemoError> {
    let Some(plan) = DEMO_ROUTING.iter().find(|plan| plan.domain == domain.name) else {
        return Ok(());
    };
    let DemoRouting {
        lines,
        sales,
        support,
        chosen,
        forward,
        blf,
        ..
    } = plan;
    let chosen = *chosen;
    let line_users = lines.iter().filter_map(|(_, _, to)| match to {
        LineTo::User(extension) => Some(*extension),
        _ => None,
    });
    let extensions = ["100", forward.0, forward.1, blf.0, blf.1]
        .into_iter()
        .chain(line_users)
        .chain(sales.iter().copied())
        .chain(support.iter().copied())
        .chain((!chosen.is_empty()).then_some(chosen))
        .collect::<Vec<_>>();
    let ids: HashMap<String, UserId> = users::ids_with_extensions(conn, domain.id, &extensions)?
        .into_iter()
        .collect();
    let id = |extension: &str| {
        ids.get(extension)
            .copied()
            .ok_or_else(|| DemoError::Missing(extension.to_owned()))
    };
    let ids_of = |extensions: &[&str]| {
        extensions
            .iter()
            .map(|e| id(e))
            .collect::<Result<Vec<_>, _>>()
    };
    let sales_id = routing::insert_ring_group(conn, domain.id, "Sales", "600", &ids_of(sales)?)?;
    let support_id = routing::insert_queue(conn, domain.id, "Support", "700", &ids_of(support)?)?;
    let mut options = vec![
        ("1", Destination::RingGroup(sales_id)),
        ("2", Destination::Queue(support_id)),
        ("0", Destination::User(id("100")?)),
        (TIMEOUT, Destination::Voicemail(id("100")?)),
    ];
    if !chosen.is_empty() {
        options.insert(2, ("3", Destination::User(id(chosen)?)));
    }
    let menu = routing::insert_attendant(conn, domain.id, "Main menu", "500", &options)?;
    let mut numbers = Vec::with_capacity(lines.len());
    for (number, label, to) in lines.iter() {
        numbers.push(NewNumber {
            domain_id: domain.id,
            number,
            label,
            dest: match to {
                LineTo::MainMenu => Destination::Attendant(menu),
                LineTo::Sales => Destination::RingGroup(sales_id),
                LineTo::User(extension) => Destination::User(id(extension)?),
            },
        });
    }
    routing::insert_numbers(conn, &numbers)?;
    routing::insert_forward(conn, domain.id, id(forward.0)?, id(forward.1)?, "When busy")?;
    let phone = routing::primary_device(conn, id(blf.0)?)?
        .ok_or_else(|| DemoError::Missing(format!("the phone of {}", blf.0)))?;
    routing::insert_blf(conn, domain.id, phone, id(blf.1)?, 1)?;
    Ok(())
}
