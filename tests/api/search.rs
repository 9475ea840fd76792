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
    rename(&app, "acme.example", "130", "Quentin", "Marimba").await?;
    assert!(listed_extensions(&page(&app, &search("xyloph")).await?).is_empty());
    assert_eq!(
        listed_extensions(&page(&app, &search("marimba")).await?),
        ["130"]
    );
    app.query(|conn| {
        diesel::delete(users::table.filter(users::last_name.eq("Marimba"))).execute(conn)
    })
    .await?;
    assert!(listed_extensions(&page(&app, &search("marimba")).await?).is_empty());
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
    assert!(html.contains(r#"data-total="1000" data-total-text="1,000+""#));
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
