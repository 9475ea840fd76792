//! Users over the API: the Users page's list (filters, sort, a cursor through every
//! user exactly once), one user read with its ETag, created, changed field by field
//! (If-Match guarding against lost updates), and deleted, with the pages' messages.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::api::Api;
use crate::helpers::*;

const USERS: &str = "/api/v1/domains/acme.example/users";

async fn manager() -> Result<(TestApp, Api), Box<dyn std::error::Error>> {
    let app = TestApp::builder().demo().start().await?;
    let api = Api::signed_as(&app, "100@acme.example").await?;
    Ok((app, api))
}

fn extensions(page: &Value) -> Vec<String> {
    page["users"]
        .as_array()
        .map(|users| {
            users
                .iter()
                .filter_map(|user| user["extension"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Every user of a view, `(extension, status)`, read page by page through its cursor.
async fn walk(api: &Api, view: &str) -> Result<Vec<(String, String)>, Box<dyn std::error::Error>> {
    let mut seen = Vec::new();
    let mut path = format!("{USERS}?{view}");
    loop {
        let page = api.get(&path).await?;
        let body = page.expect(StatusCode::OK).clone();
        for user in body["users"].as_array().ok_or("no users")? {
            seen.push((
                user["extension"].as_str().ok_or("no extension")?.to_owned(),
                user["status"].as_str().ok_or("no status")?.to_owned(),
            ));
        }
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{USERS}?{view}&cursor={cursor}"),
            None => return Ok(seen),
        }
    }
}

#[tokio::test]
async fn a_status_filter_reads_its_users_in_every_sort_and_direction_as_the_whole_list_has_them()
-> TestResult {
    // Each status with each sort is one range of an index (`users_by_status`,
    // `users_by_status_name`); pages of three walk it by cursor.
    let (_app, api) = manager().await?;
    for sort in ["extension", "name", "status"] {
        for dir in ["asc", "desc"] {
            let everyone = walk(&api, &format!("sort={sort}&dir={dir}&limit=100")).await?;
            assert_eq!(everyone.len(), 60);
            for status in ["setup-required", "password-required", "active"] {
                let expected: Vec<&(String, String)> =
                    everyone.iter().filter(|(_, of)| of == status).collect();
                assert!(!expected.is_empty(), "the demo has {status} users");
                let filtered = walk(
                    &api,
                    &format!("status={status}&sort={sort}&dir={dir}&limit=3"),
                )
                .await?;
                assert_eq!(
                    filtered.iter().collect::<Vec<_>>(),
                    expected,
                    "{status} by {sort} {dir}"
                );
            }
        }
    }
    Ok(())
}

#[tokio::test]
async fn the_list_pages_through_every_user_once_with_the_pages_filters() -> TestResult {
    let (_app, api) = manager().await?;
    let mut seen = Vec::new();
    let mut path = format!("{USERS}?limit=7");
    loop {
        let page = api.get(&path).await?;
        let body = page.expect(StatusCode::OK).clone();
        assert_eq!(body["total"], 60);
        assert_eq!(body["total_exact"], true);
        seen.extend(extensions(&body));
        match body["next_cursor"].as_str() {
            Some(cursor) => path = format!("{USERS}?limit=7&cursor={cursor}"),
            None => break,
        }
    }
    let expected: Vec<String> = (100..=159).map(|n| n.to_string()).collect();
    assert_eq!(seen, expected, "each user once, in extension order");

    let setup = api.get(&format!("{USERS}?status=setup-required")).await?;
    assert_eq!(
        extensions(setup.expect(StatusCode::OK)),
        ["150", "151", "152", "153", "154"]
    );
    let with_system = api
        .get(&format!(
            "{USERS}?system=true&sort=extension&dir=desc&limit=2"
        ))
        .await?;
    assert_eq!(
        extensions(with_system.expect(StatusCode::OK)),
        ["9991", "9990"]
    );
    let found = api.get(&format!("{USERS}?q=155")).await?;
    insta::assert_json_snapshot!("users_list_search", found.expect(StatusCode::OK));
    let first_page = api.get(&format!("{USERS}?limit=3")).await?;
    insta::assert_json_snapshot!("users_list_first_page", first_page.expect(StatusCode::OK));

    for (query, message) in [
        ("limit=0", "limit is a number from 1 to 100."),
        ("limit=101", "limit is a number from 1 to 100."),
        ("status=gone", "Choose a status from the list."),
        ("sort=email", "Sort by extension, name or status."),
        ("cursor=zz", "This cursor is not valid."),
        ("cursor=3130", "This cursor is not valid."),
    ] {
        let refused = api.get(&format!("{USERS}?{query}")).await?;
        let body = refused.expect(StatusCode::BAD_REQUEST);
        assert!(
            body["detail"]
                .as_str()
                .is_some_and(|d| d.starts_with(message)),
            "{query}: {body}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_user_is_read_created_changed_and_deleted_by_extension() -> TestResult {
    let (app, api) = manager().await?;
    let read = api.get(&format!("{USERS}/120")).await?;
    let user = read.expect(StatusCode::OK).clone();
    let etag = read.header("etag").ok_or("no ETag")?.to_owned();
    insta::assert_json_snapshot!("user_read", user, {".version" => "[version]"});

    // Only the fields sent change.
    let changed = api
        .send(
            Method::PATCH,
            &format!("{USERS}/120"),
            Some(&json!({"department": "Sales", "email": ""})),
            &[("If-Match", &etag)],
        )
        .await?;
    let saved = changed.expect(StatusCode::OK).clone();
    insta::assert_json_snapshot!("user_patched", saved, {".version" => "[version]"});
    assert_eq!(saved["first_name"], user["first_name"]);
    assert_eq!(
        saved["version"].as_i64(),
        user["version"].as_i64().map(|v| v + 1)
    );
    let new_etag = changed.header("etag").ok_or("no ETag")?.to_owned();
    assert_ne!(new_etag, etag);

    // The old tag is stale now: nothing changes, and the answer says so.
    let stale = api
        .send(
            Method::PATCH,
            &format!("{USERS}/120"),
            Some(&json!({"site": "Berlin"})),
            &[("If-Match", &etag)],
        )
        .await?;
    let body = stale.expect(StatusCode::PRECONDITION_FAILED);
    // The refusal names the user's current tag.
    insta::assert_json_snapshot!(
        "user_patch_stale",
        masked_json(body, &[(&new_etag, "[current etag]")])
    );
    let again = api.get(&format!("{USERS}/120")).await?;
    assert_eq!(again.expect(StatusCode::OK)["site"], user["site"]);

    // Fields are checked as the form checks them, each named.
    let refused = api
        .send(
            Method::PATCH,
            &format!("{USERS}/120"),
            Some(&json!({"email": "not an address", "scope": "Emperor"})),
            &[],
        )
        .await?;
    insta::assert_json_snapshot!(
        "user_patch_refused",
        refused.expect(StatusCode::UNPROCESSABLE_ENTITY)
    );
    let unknown = api
        .send(
            Method::PATCH,
            &format!("{USERS}/120"),
            Some(&json!({"password": "x"})),
            &[],
        )
        .await?;
    unknown.expect(StatusCode::BAD_REQUEST);
    let higher = api
        .send(
            Method::PATCH,
            &format!("{USERS}/120"),
            Some(&json!({"scope": "Super User"})),
            &[],
        )
        .await?;
    let body = higher.expect(StatusCode::FORBIDDEN);
    assert_eq!(
        body["detail"],
        "You cannot give a scope higher than your own."
    );

    // Create: 201 with its address, then the extension is taken.
    let new_user = json!({"extension": "170", "first_name": "Ada", "last_name": "Lovelace", "email": "ada@acme.example"});
    let created = api.post(USERS, &new_user).await?;
    insta::assert_json_snapshot!(
        "user_created",
        created.expect(StatusCode::CREATED),
        {".version" => "[version]"}
    );
    assert_eq!(
        created.header("location"),
        Some("/api/v1/domains/acme.example/users/170")
    );
    let taken = api.post(USERS, &new_user).await?;
    assert_eq!(
        taken.expect(StatusCode::CONFLICT)["detail"],
        "Extension 170 is already taken in this domain."
    );
    let bad = api
        .post(
            USERS,
            &json!({"extension": "1", "last_name": "x".repeat(200)}),
        )
        .await?;
    insta::assert_json_snapshot!(
        "user_create_refused",
        bad.expect(StatusCode::UNPROCESSABLE_ENTITY)
    );

    // Delete: a stale tag is refused, then the delete goes through, then there is nobody.
    let read = api.get(&format!("{USERS}/170")).await?;
    read.expect(StatusCode::OK);
    let tag = read.header("etag").ok_or("no ETag")?.to_owned();
    let stale_delete = api
        .send(
            Method::DELETE,
            &format!("{USERS}/170"),
            None,
            &[("If-Match", "\"1-999\"")],
        )
        .await?;
    stale_delete.expect(StatusCode::PRECONDITION_FAILED);
    let deleted = api
        .send(
            Method::DELETE,
            &format!("{USERS}/170"),
            None,
            &[("If-Match", &tag)],
        )
        .await?;
    deleted.expect(StatusCode::NO_CONTENT);
    let gone = api.get(&format!("{USERS}/170")).await?;
    assert_eq!(
        gone.expect(StatusCode::NOT_FOUND)["detail"],
        "There is no user with extension 170 in this domain."
    );
    // The office manager cannot delete themselves, as on the page.
    let own = api
        .send(Method::DELETE, &format!("{USERS}/100"), None, &[])
        .await?;
    own.expect(StatusCode::FORBIDDEN);
    let present: i64 = app
        .query(|conn| {
            use diesel::prelude::*;
            use pbx_portal::db::schema::users;
            users::table
                .filter(users::extension.eq("100"))
                .count()
                .get_result(conn)
        })
        .await?;
    assert!(present >= 1);
    Ok(())
}

#[tokio::test]
async fn if_match_compares_strongly_and_star_means_any_version() -> TestResult {
    let (_app, api) = manager().await?;
    let read = api.get(&format!("{USERS}/121")).await?;
    read.expect(StatusCode::OK);
    let tag = read.header("etag").ok_or("no ETag")?.to_owned();
    let weak = format!("W/{tag}");
    let refused = api
        .send(
            Method::PATCH,
            &format!("{USERS}/121"),
            Some(&json!({"site": "Weak"})),
            &[("If-Match", &weak)],
        )
        .await?;
    refused.expect(StatusCode::PRECONDITION_FAILED);
    let listed = format!("\"0-0\", {tag}");
    let saved = api
        .send(
            Method::PATCH,
            &format!("{USERS}/121"),
            Some(&json!({"site": "Listed"})),
            &[("If-Match", &listed)],
        )
        .await?;
    assert_eq!(saved.expect(StatusCode::OK)["site"], "Listed");
    let any = api
        .send(
            Method::PATCH,
            &format!("{USERS}/121"),
            Some(&json!({"site": "Any"})),
            &[("If-Match", "*")],
        )
        .await?;
    assert_eq!(any.expect(StatusCode::OK)["site"], "Any");
    let nobody = api
        .send(
            Method::PATCH,
            &format!("{USERS}/190"),
            Some(&json!({"site": "Any"})),
            &[("If-Match", "*")],
        )
        .await?;
    nobody.expect(StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test]
async fn an_etag_never_matches_a_new_user_with_the_same_extension() -> TestResult {
    let (_app, api) = manager().await?;
    let first = api
        .post(USERS, &json!({"extension": "171", "first_name": "First"}))
        .await?;
    first.expect(StatusCode::CREATED);
    let old_tag = first.header("etag").ok_or("no ETag")?.to_owned();
    api.send(Method::DELETE, &format!("{USERS}/171"), None, &[])
        .await?
        .expect(StatusCode::NO_CONTENT);
    api.post(USERS, &json!({"extension": "171", "first_name": "Second"}))
        .await?
        .expect(StatusCode::CREATED);
    let overwrite = api
        .send(
            Method::PATCH,
            &format!("{USERS}/171"),
            Some(&json!({"first_name": "Lost"})),
            &[("If-Match", &old_tag)],
        )
        .await?;
    overwrite.expect(StatusCode::PRECONDITION_FAILED);
    let now = api.get(&format!("{USERS}/171")).await?;
    assert_eq!(now.expect(StatusCode::OK)["first_name"], "Second");
    Ok(())
}
