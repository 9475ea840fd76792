//! Search by index (issue 20): case and accents folded beyond ASCII on both backends,
//! the index kept in step with every change to a user, one domain's search never
//! finding another's users, a capped count for broad terms, and one name order.

use diesel::prelude::*;
use pbx_portal::db::schema::{domains, users};
use reqwest::StatusCode;

use crate::helpers::*;

const ACME: &str = "/domains/acme.example/users";

async fn page(app: &TestApp, path: &str) -> Result<String, Box<dyn std::error::Error>> {
    let response = app.get(path).await?;
    assert_status(&response, StatusCode::OK);
    Ok(response.text().await?)
}

/// Renames a user straight in the database, as any statement would: the index follows
/// by triggers (SQLite) or the generated column (PostgreSQL), not by the portal's code.
async fn rename(
    app: &TestApp,
    domain: &'static str,
    extension: &'static str,
    first: &'static str,
    last: &'static str,
) -> TestResult {
    app.query(move |conn| {
        let domain_id: pbx_portal::domain::DomainId = domains::table
            .filter(domains::name.eq(domain))
            .select(domains::id)
            .first(conn)?;
        diesel::update(
            users::table
                .filter(users::domain_id.eq(domain_id))
                .filter(users::extension.eq(extension)),
        )
        .set((users::first_name.eq(first), users::last_name.eq(last)))
        .execute(conn)
    })
    .await?;
    Ok(())
}

/// The count line above the Users table.
fn summary_of(html: &str) -> String {
    cells_after(html, r#"id="users-summary">"#)
        .into_iter()
        .next()
        .unwrap_or_default()
}

fn search(term: &str) -> String {
    let query = serde_urlencoded::to_string([("q", term)]).unwrap_or_default();
    format!("{ACME}?per_page=100&{query}")
}

#[tokio::test]
async fn search_folds_case_and_accents_beyond_ascii() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    rename(&app, "acme.example", "130", "Émile", "Ørsted").await?;
    rename(&app, "acme.example", "131", "ΣΟΦΊΑ", "Straße").await?;
    for term in ["émile", "EMILE", "Émi", "mile", "ørsted", "ØRSTED"] {
        let found = listed_extensions(&page(&app, &search(term)).await?);
        assert_eq!(found, ["130"], "searching {term:?}");
    }
    for term in ["σοφία", "Σοφ", "straße"] {
        let found = listed_extensions(&page(&app, &search(term)).await?);
        assert_eq!(found, ["131"], "searching {term:?}");
    }
    Ok(())
}

#[tokio::test]
async fn short_searches_fold_as_each_backend_documents() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    rename(&app, "acme.example", "130", "Æsa", "Ørsted").await?;
    rename(&app, "acme.example", "131", "Aqzu", "Smith").await?;
    // ASCII case on both: "QZ" is in 131's name, "zq" in nobody's.
    assert_eq!(
        listed_extensions(&page(&app, &search("QZ")).await?),
        ["131"]
    );
    assert!(listed_extensions(&page(&app, &search("zq")).await?).is_empty());
    let folded = match app.backend() {
        // PostgreSQL folds case and accents for every length: "æ" is "ae", "ææ" is
        // "aeae", longer than any piece of the index, and still found.
        pbx_portal::db::Backend::Postgres => vec!["130"],
        // SQLite folds only ASCII case below three characters: its lower() knows no
        // more, and the index of pieces is built with it.
        pbx_portal::db::Backend::Sqlite => vec![],
    };
    assert_eq!(listed_extensions(&page(&app, &search("Æ")).await?), ["130"]);
    assert_eq!(listed_extensions(&page(&app, &search("æ")).await?), folded);
    assert!(listed_extensions(&page(&app, &search("Øq")).await?).is_empty());
    if app.backend() == pbx_portal::db::Backend::Postgres {
        rename(&app, "acme.example", "132", "Ææ", "Smith").await?;
        assert_eq!(
            listed_extensions(&page(&app, &search("ææ")).await?),
            ["132"]
        );
    }
    Ok(())
}

#[tokio::test]
async fn the_index_follows_every_change_and_stays_in_its_domain() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    rename(&app, "acme.example", "130", "Quentin", "Xylophone").await?;
    rename(&app, "globex.example", "200", "Quentin", "Xylophone").await?;
    assert_eq!(
        listed_extensions(&page(&app, &search("xyloph")).await?),
        ["130"],
        "globex's Quentin is not acme's to see"
    );
    assert_eq!(
        listed_extensions(&page(&app, &search("XY")).await?),
        ["130"],
        "two characters, from the index of pairs"
    );
    rename(&app, "acme.example", "130", "Quentin", "Marimba").await?;
    assert!(listed_extensions(&page(&app, &search("xyloph")).await?).is_empty());
    assert!(listed_extensions(&page(&app, &search("xy")).await?).is_empty());
    assert_eq!(
        listed_extensions(&page(&app, &search("marimba")).await?),
        ["130"]
    );
    app.query(|conn| {
        diesel::delete(users::table.filter(users::last_name.eq("Marimba"))).execute(conn)
    })
    .await?;
    assert!(listed_extensions(&page(&app, &search("marimba")).await?).is_empty());
    assert!(listed_extensions(&page(&app, &search("ba")).await?).is_empty());
    Ok(())
}

#[tokio::test]
async fn a_short_search_still_matches_any_part() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let found = listed_extensions(&page(&app, &search("15")).await?);
    assert_eq!(found.len(), 11, "115 and 150-159: {found:?}");
    assert!(found.contains(&"115".to_owned()));
    Ok(())
}

/// What the seeded domain's users are, read straight from the database: extension,
/// first and last name, e-mail and status code of each user who is not a system user.
type SeededUser = (String, String, String, Option<String>, i32);

/// The users a search of `term` should list, from the users themselves: any part of
/// extension, names and e-mail (ASCII terms, so lower-casing is folding).
fn expected_matches<'a>(users: &'a [SeededUser], term: &str) -> Vec<&'a SeededUser> {
    let term = term.to_lowercase();
    users
        .iter()
        .filter(|(extension, first, last, email, _)| {
            let email = email.as_deref().unwrap_or("");
            format!("{extension} {first} {last} {email}")
                .to_lowercase()
                .contains(&term)
        })
        .collect()
}

#[tokio::test]
async fn a_search_page_is_the_same_whether_its_matches_are_few_or_many() -> TestResult {
    let app = TestApp::builder()
        .seeded(1200)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let users: Vec<SeededUser> = app
        .query(|conn| {
            users::table
                .inner_join(domains::table)
                .filter(domains::name.eq("seed-1.example"))
                .filter(users::is_system.eq(false))
                .select((
                    users::extension,
                    users::first_name,
                    users::last_name,
                    users::email,
                    users::status,
                ))
                .load(conn)
        })
        .await?;
    // A few matches (each is looked up), many (the page walks the sort index: "sen" is
    // in Jensen and Larsen, 80 of 1,200), more than the count's cap, none; and one or
    // two characters (the index of characters and pairs on SQLite): common ones whose
    // page walks the sort index ("e", "1"), rare ones looked up ("q", "ia", "7@"), and
    // none ("zq", "x").
    for term in [
        "emm", "kowal", "nakam", "1100", "sen", "seed-1", "zzz", "ia", "e", "1", "q", "7@", "zq",
        "x", "-", ".",
    ] {
        let matches = expected_matches(&users, term);
        let counted = match matches.len() {
            1 => "1 user matches".to_owned(),
            n if n > 1000 => "1,000+ users match".to_owned(),
            n => format!("{n} users match"),
        };
        let by_extension = |user: &&SeededUser| (user.0.len(), user.0.clone());
        let mut by_number = matches.clone();
        by_number.sort_by_key(by_extension);
        let mut by_name = matches.clone();
        by_name.sort_by_key(|user| (user.1.clone(), user.2.clone(), user.0.len(), user.0.clone()));
        by_name.reverse();
        let mut by_status = matches.clone();
        by_status.sort_by_key(|user| (user.4, user.0.len(), user.0.clone()));
        for (sort, expected) in [
            ("", by_number),
            ("&sort=name&dir=desc", by_name),
            ("&sort=status", by_status),
        ] {
            let expected: Vec<String> = expected.iter().map(|user| user.0.clone()).collect();
            let query = serde_urlencoded::to_string([("q", term)])?;
            let first = page(
                &app,
                &format!("/domains/seed-1.example/users?per_page=25&{query}{sort}"),
            )
            .await?;
            let shown = listed_extensions(&first);
            assert_eq!(shown, expected[..expected.len().min(25)], "{term:?}{sort}");
            assert!(
                summary_of(&first).starts_with(&counted),
                "{term:?}{sort}: {:?}, not {counted:?}",
                summary_of(&first)
            );
            if let Some(next) = link_href(&first, "page-next") {
                let second = listed_extensions(&app.get(&next).await?.text().await?);
                assert_eq!(
                    second,
                    expected[25..expected.len().min(50)],
                    "{term:?}{sort}, page 2"
                );
            } else {
                assert!(expected.len() <= 25, "{term:?}{sort}: no second page");
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn names_sort_by_code_point_on_both_backends() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    for (extension, first) in [
        ("130", "Zed"),
        ("131", "apple"),
        ("132", "Émile"),
        ("133", "émile"),
        ("134", "Ömer"),
    ] {
        rename(&app, "acme.example", extension, first, "Sortcheck").await?;
    }
    let html = page(&app, &format!("{}&sort=name", search("sortcheck"))).await?;
    assert_eq!(
        listed_extensions(&html),
        ["130", "131", "132", "134", "133"],
        "Z < a < É < Ö < é, as the bytes of UTF-8 order them"
    );
    Ok(())
}

#[tokio::test]
async fn a_broad_search_counts_up_to_a_thousand_and_says_more() -> TestResult {
    let app = TestApp::builder()
        .seeded(1200)
        .signed_in(SEED_MANAGER, FIXTURE_PASSWORD)
        .start()
        .await?;
    let domain = "/domains/seed-1.example/users";
    // Every seeded e-mail address ends in the domain's name.
    let html = page(&app, &format!("{domain}?q=seed-1")).await?;
    assert_eq!(summary_of(&html), "1,000+ users match · page 1");
    // What the page's script is told of the total: at least 1000, written "1,000+".
    let table = element(&html, "<table").ok_or("no table")?;
    assert_html_snapshot!(
        "broad_search_table_tag",
        table[..table.find('>').ok_or("no tag end")? + 1].to_owned()
    );
    let narrow = page(&app, &format!("{domain}?q=1100")).await?;
    assert_eq!(summary_of(&narrow), "1 user matches");
    Ok(())
}

#[tokio::test]
async fn a_search_finds_system_users_only_when_they_are_shown() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    // "999" is indexed (three characters): the default search reads the users' half of
    // the domain's range and counts from the index alone.
    let hidden = page(&app, &search("999")).await?;
    assert!(listed_extensions(&hidden).is_empty());
    assert_eq!(summary_of(&hidden), "0 users match");
    let shown = page(&app, &format!("{}&system=1", search("999"))).await?;
    assert_eq!(listed_extensions(&shown), ["9990", "9991"]);
    assert_eq!(summary_of(&shown), "2 users match");
    // Flagging a user as a system user moves its index entry with it.
    app.query(|conn| {
        diesel::update(users::table.filter(users::extension.eq("130")))
            .set(users::is_system.eq(true))
            .execute(conn)
    })
    .await?;
    let term = search("130");
    assert!(listed_extensions(&page(&app, &term).await?).is_empty());
    let shown = page(&app, &format!("{term}&system=1")).await?;
    assert_eq!(listed_extensions(&shown), ["130"]);
    Ok(())
}
