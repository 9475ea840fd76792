//! The Users page: list, search, filter, sort, pages, system users, the htmx fragment
//! and Export (SPEC section 5).

use crate::helpers::*;
use reqwest::StatusCode;

const ACME: &str = "/domains/acme.example/users";

async fn page(app: &TestApp, query: &str) -> Result<String, Box<dyn std::error::Error>> {
    let response = app.get(&format!("{ACME}{query}")).await?;
    assert_status(&response, StatusCode::OK);
    Ok(response.text().await?)
}

fn numbers(range: std::ops::RangeInclusive<u32>) -> Vec<String> {
    range.map(|n| n.to_string()).collect()
}

#[tokio::test]
async fn the_default_view_lists_25_users_by_extension_and_counts_them_all() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let html = page(&app, "").await?;
    assert_eq!(listed_extensions(&html), numbers(100..=124));
    assert!(html.contains("60 users · page 1 of 3"));
    let forced = page(&app, "?q=158").await?;
    // Active, with the badge Password change pending (a badge, not a status).
    let id = crate::bulk::id_of(&app, "acme.example", "158").await?;
    assert_html_snapshot!(
        "users_row_with_a_pending_password_change",
        masked_ids(&part(&forced, "<tbody")?, &[(id, "[158]")])
    );
    Ok(())
}

#[tokio::test]
async fn system_users_show_only_when_asked() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let hidden = page(&app, "?per_page=100").await?;
    assert!(!listed_extensions(&hidden).contains(&"9990".to_owned()));
    let shown = page(&app, "?per_page=100&system=1").await?;
    let extensions = listed_extensions(&shown);
    assert_eq!(extensions.len(), 62);
    assert_eq!(
        extensions[60..],
        ["9990", "9991"],
        "extensions sort as numbers"
    );
    Ok(())
}

#[tokio::test]
async fn search_matches_any_part_of_extension_name_or_email_ignoring_case() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let by_extension = page(&app, "?q=15").await?;
    let mut expected = vec!["115".to_owned()];
    expected.extend(numbers(150..=159));
    assert_eq!(listed_extensions(&by_extension), expected);
    assert!(by_extension.contains("11 users match"));
    // 101 is Ben Larsen in the demo data (the name lists are indexed by extension).
    let by_name = page(&app, "?q=BEN+LARSEN").await?;
    assert_eq!(listed_extensions(&by_name), ["101"]);
    let by_email = page(&app, "?q=ben.larsen%40acme").await?;
    assert_eq!(listed_extensions(&by_email), ["101"]);
    let wildcard = page(&app, "?q=%25").await?;
    assert!(
        listed_extensions(&wildcard).is_empty(),
        "% is taken literally"
    );
    Ok(())
}

#[tokio::test]
async fn the_status_filter_selects_each_status() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    assert_eq!(
        listed_extensions(&page(&app, "?status=setup-required").await?),
        numbers(150..=154)
    );
    assert_eq!(
        listed_extensions(&page(&app, "?status=password-required").await?),
        numbers(155..=157)
    );
    let active = page(&app, "?status=active&per_page=100").await?;
    assert_eq!(listed_extensions(&active).len(), 52);
    Ok(())
}

#[tokio::test]
async fn sorting_by_extension_name_and_status_goes_both_ways() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let descending = page(&app, "?dir=desc").await?;
    assert_eq!(listed_extensions(&descending)[..3], ["159", "158", "157"]);
    let by_status = page(&app, "?sort=status&per_page=100").await?;
    let order = listed_extensions(&by_status);
    assert_eq!(
        order[..8],
        ["150", "151", "152", "153", "154", "155", "156", "157"]
    );
    let by_status_desc = page(&app, "?sort=status&dir=desc&per_page=100").await?;
    assert_eq!(
        listed_extensions(&by_status_desc)[52..],
        ["157", "156", "155", "154", "153", "152", "151", "150"]
    );
    let by_name = page(&app, "?sort=name&per_page=100").await?;
    let names = listed_extensions(&by_name);
    assert_eq!(
        names[..5],
        ["150", "151", "152", "153", "154"],
        "blank names sort first"
    );
    let header = link_href(&by_name, "sort-name").ok_or("no Name link")?;
    assert_eq!(
        header,
        "/domains/acme.example/users?sort=name&dir=desc&per_page=100"
    );
    Ok(())
}

#[tokio::test]
async fn next_and_previous_page_walk_the_list_by_keyset() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let first = page(&app, "").await?;
    assert!(link_href(&first, "page-previous").is_none());
    let next = link_href(&first, "page-next").ok_or("no Next page")?;
    let second = app.get(&next).await?.text().await?;
    assert_eq!(listed_extensions(&second), numbers(125..=149));
    assert!(second.contains("page 2 of 3"));
    let third = app
        .get(&link_href(&second, "page-next").ok_or("no Next page")?)
        .await?
        .text()
        .await?;
    assert_eq!(listed_extensions(&third), numbers(150..=159));
    assert!(link_href(&third, "page-next").is_none());
    let back = app
        .get(&link_href(&third, "page-previous").ok_or("no Previous page")?)
        .await?
        .text()
        .await?;
    assert_eq!(listed_extensions(&back), numbers(125..=149));
    let start = app
        .get(&link_href(&back, "page-previous").ok_or("no Previous page")?)
        .await?
        .text()
        .await?;
    assert_eq!(listed_extensions(&start), numbers(100..=124));
    Ok(())
}

#[tokio::test]
async fn paging_keeps_filter_sort_and_page_size() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let first = page(&app, "?sort=name&dir=desc&per_page=50&status=active").await?;
    let next = link_href(&first, "page-next").ok_or("no Next page")?;
    for part in [
        "sort=name",
        "dir=desc",
        "per_page=50",
        "status=active",
        "after=",
        "page=2",
    ] {
        assert!(next.contains(part), "{next} lacks {part}");
    }
    let second = app.get(&next).await?.text().await?;
    assert_eq!(listed_extensions(&second).len(), 2);
    let mut all = listed_extensions(&first);
    all.extend(listed_extensions(&second));
    let mut unique = all.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 52, "every active user once across the pages");
    Ok(())
}

#[tokio::test]
async fn malformed_view_parameters_get_a_400_with_a_reason() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    for (query, reason) in [
        ("?per_page=30", "Show 25, 50 or 100 users per page."),
        ("?sort=email", "Sort by extension, name or status."),
        ("?status=gone", "Choose a status from the list."),
        ("?after=garbage", "This page link is not valid."),
        ("?q=%00", "control characters"),
    ] {
        let response = app.get(&format!("{ACME}{query}")).await?;
        assert_status(&response, StatusCode::BAD_REQUEST);
        assert!(response.text().await?.contains(reason), "{query}");
    }
    let long = format!("{ACME}?q={}", "x".repeat(101));
    assert_status(&app.get(&long).await?, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn htmx_requests_get_only_the_results() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .client
        .get(app.url(&format!("{ACME}?q=15")))
        .header("HX-Request", "true")
        .header("HX-Target", "users-results")
        .send()
        .await?;
    assert_status(&response, StatusCode::OK);
    let html = response.text().await?;
    assert!(!html.contains("<html"));
    assert_eq!(listed_extensions(&html).len(), 11);
    let restore = app
        .client
        .get(app.url(ACME))
        .header("HX-Request", "true")
        .header("HX-Target", "users-results")
        .header("HX-History-Restore-Request", "true")
        .send()
        .await?;
    assert!(
        restore.text().await?.contains("<html"),
        "a history restore needs the whole page"
    );
    Ok(())
}

#[tokio::test]
async fn export_downloads_every_row_of_the_current_view_as_csv() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app.get(&format!("{ACME}/export")).await?;
    assert_status(&response, StatusCode::OK);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    assert!(header("content-type").starts_with("text/csv"));
    assert!(header("content-disposition").starts_with("attachment"));
    assert!(header("content-disposition").contains("users-acme.example.csv"));
    let csv = response.text().await?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "Extension,First Name,Last Name,E-mail,Department,Site,Time zone,Caller ID number,Emergency caller ID,Scope,Devices,Status,Password change pending"
    );
    assert_eq!(lines.len(), 61, "a header and all 60 users, not one page");
    assert!(lines[1].starts_with("100,"));
    let filtered = app
        .get(&format!("{ACME}/export?status=setup-required&dir=desc"))
        .await?
        .text()
        .await?;
    let extensions: Vec<&str> = filtered
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert_eq!(extensions, ["154", "153", "152", "151", "150"]);
    Ok(())
}

#[tokio::test]
async fn export_quotes_fields_and_neutralises_formulas() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &[
                ("extension", "170"),
                ("first_name", "=HYPERLINK(\"http://x\")"),
                ("last_name", "Smith, Jr."),
                ("email", ""),
                ("scope", "Basic User"),
                ("department", "@Sales"),
                ("site", ""),
            ],
        )
        .await?;
    assert_redirect(&response, ACME);
    let csv = app
        .get(&format!("{ACME}/export?q=170"))
        .await?
        .text()
        .await?;
    let row = csv.lines().nth(1).ok_or("no row")?;
    assert_eq!(
        row,
        "170,\"'=HYPERLINK(\"\"http://x\"\")\",\"Smith, Jr.\",,'@Sales,,,,,Basic User,0,Password Required,no"
    );
    Ok(())
}

#[tokio::test]
async fn another_domains_page_and_export_are_refused() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    assert_status(
        &app.get("/domains/globex.example/users/export").await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &app.get("/domains/globex.example/users?q=1").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

#[tokio::test]
async fn absurd_page_numbers_and_control_characters_in_cursors_are_handled() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let first = page(&app, "").await?;
    let next = link_href(&first, "page-next").ok_or("no Next page")?;
    let huge = next.replace("page=2", "page=4294967295");
    let response = app.get(&huge).await?;
    assert_status(&response, StatusCode::OK);
    assert_eq!(
        listed_extensions(&response.text().await?),
        numbers(125..=149)
    );
    let nul = app
        .get(&format!("{ACME}?sort=name&after=100%1F2%1FEm%00ma%1FEvans"))
        .await?;
    assert_status(&nul, StatusCode::BAD_REQUEST);
    Ok(())
}

#[tokio::test]
async fn search_finds_names_with_accented_capitals_as_typed() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let response = app
        .post_form(
            &format!("{ACME}/new"),
            &[
                ("extension", "172"),
                ("first_name", "Émile"),
                ("last_name", "Zola"),
                ("scope", "Basic User"),
            ],
        )
        .await?;
    assert_redirect(&response, ACME);
    for typed in ["Émile", "ÉMILE+zola", "mile"] {
        assert_eq!(
            listed_extensions(&page(&app, &format!("?q={typed}")).await?),
            ["172"],
            "{typed}"
        );
    }
    Ok(())
}

/// The summary's total, e.g. 60 from "60 users · page 1 of 3".
fn shown_total(html: &str) -> Option<i64> {
    let summary = html.split("id=\"users-summary\">").nth(1)?;
    summary.split_whitespace().next()?.parse().ok()
}

#[tokio::test]
async fn totals_follow_every_change_in_each_status() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    app.post_form(
        &format!("{ACME}/new"),
        &[
            ("extension", "173"),
            ("first_name", "New"),
            ("scope", "Basic User"),
        ],
    )
    .await?;
    app.post_form(
        &format!("{ACME}/new"),
        &[("extension", "174"), ("scope", "Basic User")],
    )
    .await?;
    app.post_form(&format!("{ACME}/102/delete"), &[]).await?;
    app.post_form(&format!("{ACME}/150/delete"), &[]).await?;
    let edit = app.get(&format!("{ACME}/103")).await?.text().await?;
    let version = edit
        .split(r#"name="version" value=""#)
        .nth(1)
        .and_then(|r| r.split('"').next())
        .ok_or("no version")?
        .to_owned();
    // Blank names move 103 from Active to Setup Required.
    app.post_form(
        &format!("{ACME}/103"),
        &[("scope", "Call Center Supervisor"), ("version", &version)],
    )
    .await?;
    assert_totals_are_counts(&app).await?;
    assert_eq!(
        shown_total(&page(&app, "?system=1").await?),
        Some(60 + 2 - 2 + 2)
    );
    Ok(())
}

/// Each status's total on the page equals a count of the rows.
async fn assert_totals_are_counts(app: &TestApp) -> TestResult {
    use diesel::prelude::*;
    use pbx_portal::db::schema::{domains, users};

    for (query, status) in [
        ("", None),
        ("?status=active", Some(2)),
        ("?status=setup-required", Some(0)),
        ("?status=password-required", Some(1)),
    ] {
        let expected = app
            .query(move |conn| {
                let mut counted = users::table
                    .inner_join(domains::table)
                    .filter(domains::name.eq("acme.example"))
                    .filter(users::is_system.eq(false))
                    .into_boxed();
                if let Some(code) = status {
                    counted = counted.filter(users::status.eq(code));
                }
                counted.count().get_result::<i64>(conn)
            })
            .await?;
        assert_eq!(
            shown_total(&page(app, query).await?),
            Some(expected),
            "{query}"
        );
    }
    Ok(())
}

#[tokio::test]
async fn totals_follow_bulk_changes_of_many_users_at_once() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let mut ids = Vec::new();
    for extension in ["130", "131", "132", "133", "134", "155"] {
        ids.push(crate::bulk::id_of(&app, "acme.example", extension).await?);
    }
    // Active and Password Required users lose their password, then their names.
    for option in ["password", "name"] {
        let mut fields = crate::bulk::users_field(&ids);
        fields.push(("option", option.to_owned()));
        let started = crate::bulk::step(&app, "/domains/acme.example/bulk/reset", &fields).await?;
        let job = crate::bulk::job_id_in(&started.text().await?).ok_or("no job")?;
        crate::bulk::wait_for_job(&app, job).await?;
        assert_totals_are_counts(&app).await?;
    }
    let started = crate::bulk::step(
        &app,
        "/domains/acme.example/bulk/delete",
        &crate::bulk::users_field(&ids[..3]),
    )
    .await?;
    let job = crate::bulk::job_id_in(&started.text().await?).ok_or("no job")?;
    crate::bulk::wait_for_job(&app, job).await?;
    assert_totals_are_counts(&app).await?;
    Ok(())
}

/// The page's rendered results are reused while the domain's data version stands; any
/// change to its users or devices moves the version on in the same transaction, even
/// one made outside the portal, as here with plain SQL.
#[tokio::test]
async fn the_page_shows_changes_made_outside_the_portal_at_once() -> TestResult {
    use diesel::connection::SimpleConnection;

    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let before = page(&app, "?q=101").await?;
    assert_eq!(listed_extensions(&before), ["101"]);
    assert_eq!(page(&app, "?q=101").await?, before, "the same view twice");
    let devices_of_101 = |html: &str| -> Option<String> {
        let row = html.split(r#"aria-label="Select 101""#).nth(1)?;
        let cell = row.split(r#"<td class="number">"#).nth(1)?;
        Some(cell.split('<').next()?.to_owned())
    };
    let devices = devices_of_101(&before).ok_or("no device count")?;

    let sql = |statement: &'static str| app.query(move |conn| conn.batch_execute(statement));
    sql(
        "UPDATE users SET first_name = 'Renamed' WHERE extension = '101' \
         AND domain_id = (SELECT id FROM domains WHERE name = 'acme.example')",
    )
    .await?;
    let renamed = page(&app, "?q=101").await?;
    assert!(renamed.contains("Renamed"), "a renamed user shows at once");

    sql(
        "DELETE FROM devices WHERE user_id = (SELECT id FROM users WHERE extension = '101' \
         AND domain_id = (SELECT id FROM domains WHERE name = 'acme.example'))",
    )
    .await?;
    let unplugged = page(&app, "?q=101").await?;
    assert_ne!(devices, "0", "the demo gives 101 devices");
    assert_eq!(devices_of_101(&unplugged).as_deref(), Some("0"));

    sql("DELETE FROM users WHERE extension = '101' \
         AND domain_id = (SELECT id FROM domains WHERE name = 'acme.example')")
    .await?;
    assert!(listed_extensions(&page(&app, "?q=101").await?).is_empty());
    Ok(())
}
