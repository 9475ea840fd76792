//! Call routing (issue 31): the Call routing page shows the demo's routing; a user's
//! edit page lists what reaches them; deleting a user removes every reference to them
//! (a number or option then reaches nobody, a dead end the Users page links to) and
//! Restore puts back what was not changed since; Change destination and Add member /
//! Remove are version-checked, audited and kept inside the domain.

use pbx_portal::db::domains;
use pbx_portal::db::routing;
use pbx_portal::domain::ids::DomainId;
use pbx_portal::domain::routing::Destination;
use reqwest::StatusCode;

use crate::bulk::{id_of, job_id_in, step, users_field, wait_for_job};
use crate::helpers::*;

const GLOBEX: &str = "/domains/globex.example";

pub(crate) async fn globex_id(app: &TestApp) -> Result<DomainId, Box<dyn std::error::Error>> {
    app.query(|conn| {
        domains::find_by_name(conn, "globex.example")?.ok_or(diesel::result::Error::NotFound)
    })
    .await
    .map(|domain| domain.id)
}

/// The page's table named by `caption`, cut out whole.
fn table(page: &str, caption: &str) -> Result<String, String> {
    let at = page
        .find(&format!(
            "<caption class=\"visually-hidden\">{caption}</caption>"
        ))
        .ok_or_else(|| format!("no table {caption}"))?;
    let start = page[..at].rfind("<table").ok_or("no table start")?;
    let end = page[at..].find("</table>").ok_or("no table end")? + at;
    snap::part(&page[start..end + "</table>".len()], "<table")
}

/// The lines of the Reached from section of a user's edit page.
pub(crate) async fn reached_from(
    app: &TestApp,
    extension: &str,
) -> Result<Vec<String>, Box<dyn std::error::Error>> {
    let page = app.get(&format!("{GLOBEX}/users/{extension}")).await?;
    assert_status(&page, StatusCode::OK);
    let page = page.text().await?;
    let section = snap::part(&page, "<section class=\"card reached-from\"")?;
    Ok(section
        .split("<li>")
        .skip(1)
        .filter_map(|item| item.split("</li>").next())
        .map(|line| line.trim().replace("&#39;", "'"))
        .collect())
}

/// Main menu's key 3 as stored.
async fn key_3(app: &TestApp) -> Result<routing::OptionRow, Box<dyn std::error::Error>> {
    let domain = globex_id(app).await?;
    app.query(move |conn| {
        routing::options(conn, domain, false)?
            .into_iter()
            .find(|option| option.key == "3")
            .ok_or(diesel::result::Error::NotFound)
    })
    .await
}

/// Restores the deleted globex users `ids` and waits for the job.
pub(crate) async fn restore(app: &TestApp, ids: &[i64]) -> TestResult {
    let confirm = step(
        app,
        &format!("{GLOBEX}/users/deleted/restore/confirm"),
        &users_field(ids),
    )
    .await?;
    assert_status(&confirm, StatusCode::OK);
    let mut fields = users_field(ids);
    fields.push(("expected", ids.len().to_string()));
    let started = step(app, &format!("{GLOBEX}/users/deleted/restore"), &fields).await?;
    assert_status(&started, StatusCode::OK);
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(app, job).await
}

#[tokio::test]
async fn the_call_routing_page_shows_the_demos_numbers_menus_groups_and_queues() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let users = app.get(&format!("{GLOBEX}/users")).await?.text().await?;
    assert!(users.contains(&format!("href=\"{GLOBEX}/routing\">Call routing</a>")));
    // No dead end in the demo: no line about them.
    assert!(!users.contains("dead ends in call routing"), "{users}");

    let page = app.get(&format!("{GLOBEX}/routing")).await?;
    assert_status(&page, StatusCode::OK);
    let page = page.text().await?;
    for caption in [
        "Phone numbers",
        "Auto attendants",
        "Ring groups",
        "Call queues",
    ] {
        snap::assert_html_snapshot!(
            format!("routing_{}", caption.to_lowercase().replace(' ', "_")),
            table(&page, caption)?
        );
    }
    Ok(())
}

#[tokio::test]
async fn a_users_edit_page_lists_everything_that_reaches_them() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    assert_eq!(
        reached_from(&app, "124").await?,
        [
            "Main menu (500) key 3: 124 Emma Evans",
            "Support (700) queue agent: 124 Emma Evans",
            "129 Jonas Jensen forwards to 124 Emma Evans",
            "BLF key on 125 Farid Fischer's phone watches 124 Emma Evans",
        ]
    );
    assert_eq!(
        reached_from(&app, "123").await?,
        [
            "+12125550101 rings 123 Daniel Diaz",
            "Sales (600) ring group member: 123 Daniel Diaz",
        ]
    );
    assert!(reached_from(&app, "110").await?.is_empty());
    Ok(())
}

#[tokio::test]
async fn deleting_a_user_leaves_dead_ends_the_users_page_links_to_and_restore_puts_all_back()
-> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let id_123 = id_of(&app, "globex.example", "123").await?;
    let id_124 = id_of(&app, "globex.example", "124").await?;
    let before_123 = reached_from(&app, "123").await?;
    let before_124 = reached_from(&app, "124").await?;

    for extension in ["123", "124"] {
        let deleted = app
            .post_form(&format!("{GLOBEX}/users/{extension}/delete"), &[])
            .await?;
        assert_status(&deleted, StatusCode::SEE_OTHER);
    }
    // +12125550101 and key 3 reach nobody; the groups, the forward and the key are gone.
    let users = app.get(&format!("{GLOBEX}/users")).await?.text().await?;
    assert!(
        users.contains(&format!(
            "<a href=\"{GLOBEX}/routing?dead_ends=1\">2 dead ends in call routing</a>"
        )),
        "{users}"
    );
    let dead_ends = app
        .get(&format!("{GLOBEX}/routing?dead_ends=1"))
        .await?
        .text()
        .await?;
    snap::assert_html_snapshot!(
        "routing_dead_ends_after_deleting_123_and_124",
        table(&dead_ends, "Phone numbers")? + &table(&dead_ends, "Auto attendants")?
    );
    let page = app.get(&format!("{GLOBEX}/routing")).await?.text().await?;
    assert!(!table(&page, "Ring groups")?.contains("123 Daniel Diaz"));
    assert!(!table(&page, "Call queues")?.contains("124 Emma Evans"));
    let left = app
        .query(move |conn| {
            routing::references_to(
                conn,
                &[
                    pbx_portal::domain::ids::UserId::new(id_123),
                    pbx_portal::domain::ids::UserId::new(id_124),
                ],
            )
        })
        .await?;
    assert!(left.is_empty(), "nothing points at them: {left:?}");

    restore(&app, &[id_123, id_124]).await?;
    assert_eq!(reached_from(&app, "123").await?, before_123);
    assert_eq!(reached_from(&app, "124").await?, before_124);
    let users = app.get(&format!("{GLOBEX}/users")).await?.text().await?;
    assert!(!users.contains("dead ends in call routing"));
    Ok(())
}

#[tokio::test]
async fn restore_leaves_a_reference_changed_since_the_delete() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let id_124 = id_of(&app, "globex.example", "124").await?;
    let id_127 = id_of(&app, "globex.example", "127").await?;
    let deleted = app
        .post_form(&format!("{GLOBEX}/users/124/delete"), &[])
        .await?;
    assert_status(&deleted, StatusCode::SEE_OTHER);
    let dead = key_3(&app).await?;
    assert_eq!(dead.dest, Destination::Nobody);

    // The manager sends key 3 to 127 meanwhile.
    let saved = app
        .post_form(
            &format!("{GLOBEX}/routing/options/{}", dead.id),
            &[
                ("version", &dead.version.to_string()),
                ("destination", &format!("user:{id_127}")),
            ],
        )
        .await?;
    assert_redirect(&saved, &format!("{GLOBEX}/routing"));

    restore(&app, &[id_124]).await?;
    assert_eq!(
        key_3(&app).await?.dest,
        Destination::User(pbx_portal::domain::ids::UserId::new(id_127)),
        "what was changed since stays"
    );
    assert_eq!(
        reached_from(&app, "124").await?,
        [
            "Support (700) queue agent: 124 Emma Evans",
            "129 Jonas Jensen forwards to 124 Emma Evans",
            "BLF key on 125 Farid Fischer's phone watches 124 Emma Evans",
        ],
        "the rest comes back"
    );
    Ok(())
}

#[tokio::test]
async fn change_destination_is_version_checked_audited_and_kept_in_the_domain() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let option = key_3(&app).await?;
    let path = format!("{GLOBEX}/routing/options/{}", option.id);
    let form = app.get(&path).await?;
    assert_status(&form, StatusCode::OK);
    let form = form.text().await?;
    assert!(form.contains("<label for=\"destination\">Destination</label>"));
    assert!(form.contains("<label for=\"outside\">Outside number</label>"));
    let version = option.version.to_string();

    // A user of another domain is refused, and so is a malformed outside number.
    let acme_user = id_of(&app, "acme.example", "140").await?;
    let foreign = app
        .post_form(
            &path,
            &[
                ("version", &version),
                ("destination", &format!("user:{acme_user}")),
            ],
        )
        .await?;
    assert_status(&foreign, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        foreign
            .text()
            .await?
            .contains("That destination is not in this domain.")
    );
    let malformed = app
        .post_form(&path, &[("version", &version), ("outside", "2125550199")])
        .await?;
    assert_status(&malformed, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(key_3(&app).await?, option, "nothing changed");

    let saved = app
        .post_form(&path, &[("version", &version), ("outside", "+12125550199")])
        .await?;
    assert_redirect(&saved, &format!("{GLOBEX}/routing"));
    let now = key_3(&app).await?;
    assert_eq!(now.version, option.version + 1);
    assert_eq!(now.dest.kind(), "outside");
    // The same form again is stale.
    let stale = app
        .post_form(&path, &[("version", &version), ("destination", "nobody")])
        .await?;
    assert_status(&stale, StatusCode::CONFLICT);
    assert_eq!(key_3(&app).await?, now);
    let audit = app
        .get(&format!("{GLOBEX}/audit?q=routing.change"))
        .await?
        .text()
        .await?;
    assert!(audit.contains("Main menu (500) 3: user"), "{audit}");
    assert!(audit.contains("to +12125550199"), "{audit}");

    // Another domain's manager may not touch it.
    let outsider = app.new_browser()?;
    outsider.signed_in_as("100@acme.example").await?;
    let refused = outsider
        .post_form(
            &path,
            &[
                ("version", &now.version.to_string()),
                ("destination", "nobody"),
            ],
        )
        .await?;
    assert_status(&refused, StatusCode::FORBIDDEN);
    let refused = outsider
        .post_form(
            &format!("/domains/acme.example/routing/options/{}", option.id),
            &[
                ("version", &now.version.to_string()),
                ("destination", "nobody"),
            ],
        )
        .await?;
    assert_status(&refused, StatusCode::NOT_FOUND);
    assert_eq!(key_3(&app).await?, now);
    Ok(())
}

#[tokio::test]
async fn members_are_added_and_removed_by_version() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let domain = globex_id(&app).await?;
    let sales = app
        .query(move |conn| routing::ring_groups(conn, domain))
        .await?
        .into_iter()
        .find(|group| group.name == "Sales")
        .ok_or("no Sales")?;
    let id_129 = id_of(&app, "globex.example", "129").await?;
    let id_123 = id_of(&app, "globex.example", "123").await?;
    let add = format!("{GLOBEX}/routing/ring-groups/{}/add", sales.id);
    let remove = format!("{GLOBEX}/routing/ring-groups/{}/remove", sales.id);
    let version = sales.version.to_string();

    let added = app
        .post_form(
            &add,
            &[("version", &version), ("user", &id_129.to_string())],
        )
        .await?;
    assert_redirect(&added, &format!("{GLOBEX}/routing"));
    // The page it was added from is stale now.
    let stale = app
        .post_form(
            &remove,
            &[("version", &version), ("user", &id_123.to_string())],
        )
        .await?;
    assert_status(&stale, StatusCode::CONFLICT);
    let acme_user = id_of(&app, "acme.example", "140").await?;
    let foreign = app
        .post_form(
            &add,
            &[
                ("version", &(sales.version + 1).to_string()),
                ("user", &acme_user.to_string()),
            ],
        )
        .await?;
    assert_status(&foreign, StatusCode::BAD_REQUEST);
    let removed = app
        .post_form(
            &remove,
            &[
                ("version", &(sales.version + 1).to_string()),
                ("user", &id_123.to_string()),
            ],
        )
        .await?;
    assert_redirect(&removed, &format!("{GLOBEX}/routing"));
    let page = app.get(&format!("{GLOBEX}/routing")).await?.text().await?;
    snap::assert_html_snapshot!(
        "routing_sales_after_add_and_remove",
        table(&page, "Ring groups")?
    );
    assert!(reached_from(&app, "123").await?.len() == 1);
    Ok(())
}

/// Starts Delete Users for `ids` of globex from its Confirm step with `successors`
/// (field, extension) and waits for the job.
pub(crate) async fn delete_with(
    app: &TestApp,
    ids: &[i64],
    successors: &[(String, &str)],
) -> Result<reqwest::Response, Box<dyn std::error::Error>> {
    let mut fields = users_field(ids);
    fields.push(("expected", ids.len().to_string()));
    let named: Vec<(String, String)> = successors
        .iter()
        .map(|(field, extension)| (field.clone(), (*extension).to_owned()))
        .collect();
    let token = app.csrf_token().await?;
    let mut form: Vec<(String, String)> = fields
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect();
    form.extend(named);
    Ok(app
        .client
        .post(app.url(&format!("{GLOBEX}/bulk/delete")))
        .header("HX-Request", "true")
        .header("X-CSRF-Token", token)
        .form(&form)
        .send()
        .await?)
}

#[tokio::test]
async fn deleting_124_hands_all_its_call_routing_to_127_in_one_step_and_restore_takes_it_back()
-> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let id_124 = id_of(&app, "globex.example", "124").await?;
    let before = reached_from(&app, "124").await?;

    // The Confirm step lists what reaches 124 and asks who takes over.
    let confirm = step(
        &app,
        &format!("{GLOBEX}/bulk/delete/confirm"),
        &users_field(&[id_124]),
    )
    .await?;
    assert_status(&confirm, StatusCode::OK);
    let confirm = confirm.text().await?;
    for line in &before {
        assert!(
            confirm.contains(&line.replace('\'', "&#39;")),
            "{line} in {confirm}"
        );
    }
    assert!(confirm.contains("<label for=\"successor-all\">Successor for all</label>"));
    assert!(confirm.contains(&format!(
        "<label for=\"successor-{id_124}\">Successor for 124</label>"
    )));
    assert!(confirm.contains("1 attendant option will reach nobody."));

    let started = delete_with(&app, &[id_124], &[(format!("successor_{id_124}"), "127")]).await?;
    assert_status(&started, StatusCode::OK);
    let job = job_id_in(&started.text().await?).ok_or("no job")?;
    wait_for_job(&app, job).await?;
    assert!(!app.user_exists("globex.example", "124").await?);
    // 127 was a Support agent already: it stays once, in its own place.
    assert_eq!(
        reached_from(&app, "127").await?,
        [
            "Main menu (500) key 3: 127 Hugo Hughes",
            "Support (700) queue agent: 127 Hugo Hughes",
            "129 Jonas Jensen forwards to 127 Hugo Hughes",
            "BLF key on 125 Farid Fischer's phone watches 127 Hugo Hughes",
        ]
    );
    let users = app.get(&format!("{GLOBEX}/users")).await?.text().await?;
    assert!(
        !users.contains("dead ends in call routing"),
        "nothing was left reaching nobody"
    );

    restore(&app, &[id_124]).await?;
    assert_eq!(reached_from(&app, "124").await?, before);
    assert_eq!(
        reached_from(&app, "127").await?,
        ["Support (700) queue agent: 127 Hugo Hughes"]
    );
    Ok(())
}

#[tokio::test]
async fn a_successor_is_a_user_of_the_domain_not_being_deleted() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let (id_124, id_127) = (
        id_of(&app, "globex.example", "124").await?,
        id_of(&app, "globex.example", "127").await?,
    );
    let counts = app.db_counts().await?;
    let refused = [
        (
            vec![id_124, id_127],
            vec![("successor_all".to_owned(), "127")],
            "127 is being deleted too, so cannot take over from 124.",
        ),
        (
            vec![id_124],
            vec![(format!("successor_{id_124}"), "999")],
            "There is no user with extension 999 in this domain to take over.",
        ),
        // acme's 140 is no user of globex.
        (
            vec![id_124],
            vec![("successor_all".to_owned(), "140")],
            "There is no user with extension 140 in this domain to take over.",
        ),
        (
            vec![id_124],
            vec![(format!("successor_{id_127}"), "128")],
            "User",
        ),
    ];
    for (ids, successors, message) in refused {
        let answer = delete_with(&app, &ids, &successors).await?;
        assert_status(&answer, StatusCode::BAD_REQUEST);
        assert!(answer.text().await?.contains(message), "{message}");
    }
    assert_eq!(app.db_counts().await?, counts, "nothing was started");
    Ok(())
}

#[tokio::test]
async fn the_api_reads_what_reaches_a_user_and_deletes_with_successors() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let api = api::Api::signed_as(&app, "100@globex.example").await?;
    let read = api.get("/api/v1/domains/globex.example/users/124").await?;
    let user = read.expect(StatusCode::OK);
    assert_eq!(user["extension"], "124");
    assert_eq!(
        user["reached_from"],
        serde_json::json!([
            "Main menu (500) key 3: 124 Emma Evans",
            "Support (700) queue agent: 124 Emma Evans",
            "129 Jonas Jensen forwards to 124 Emma Evans",
            "BLF key on 125 Farid Fischer's phone watches 124 Emma Evans",
        ])
    );

    // A successor being deleted too, or unknown, is refused naming the field.
    for (successors, detail) in [
        (
            serde_json::json!({"124": "123"}),
            "123 is being deleted too, so cannot take over from 124.",
        ),
        (
            serde_json::json!({"124": "999"}),
            "There is no user with extension 999 in this domain to take over.",
        ),
        (
            serde_json::json!({"125": "127"}),
            "User 125 is not one of the users being deleted.",
        ),
    ] {
        let refused = api
            .post(
                "/api/v1/domains/globex.example/jobs",
                &serde_json::json!({"action": "delete", "extensions": ["123", "124"], "successors": successors}),
            )
            .await?;
        let problem = refused.expect(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(problem["errors"][0]["pointer"], "#/successors");
        assert_eq!(problem["errors"][0]["detail"], detail);
    }
    let refused = api
        .post(
            "/api/v1/domains/globex.example/jobs",
            &serde_json::json!({"action": "welcome", "extensions": ["124"], "successors": {"124": "127"}}),
        )
        .await?;
    refused.expect(StatusCode::UNPROCESSABLE_ENTITY);

    let job = api
        .run_job(
            "globex.example",
            &serde_json::json!({"action": "delete", "extensions": ["124"], "successors": {"124": "127"}}),
        )
        .await?;
    api::assert_counts(&job, 1, 0, 0)?;
    let read = api.get("/api/v1/domains/globex.example/users/127").await?;
    assert_eq!(
        read.expect(StatusCode::OK)["reached_from"],
        serde_json::json!([
            "Main menu (500) key 3: 127 Hugo Hughes",
            "Support (700) queue agent: 127 Hugo Hughes",
            "129 Jonas Jensen forwards to 127 Hugo Hughes",
            "BLF key on 125 Farid Fischer's phone watches 127 Hugo Hughes",
        ])
    );
    Ok(())
}

#[tokio::test]
async fn seed_makes_call_routing_in_proportion() -> TestResult {
    let app = TestApp::builder().seeded(1000).start().await?;
    let domain = app
        .query(|conn| {
            domains::find_by_name(conn, "seed-1.example")?.ok_or(diesel::result::Error::NotFound)
        })
        .await?
        .id;
    let counts = app
        .query(move |conn| {
            let numbers = routing::numbers(conn, domain, false)?;
            let options = routing::options(conn, domain, false)?;
            let groups = routing::ring_groups(conn, domain)?;
            let members = routing::members(conn, domain)?;
            let queues = routing::queues(conn, domain)?;
            let agents = routing::agents(conn, domain)?;
            let everyone: Vec<pbx_portal::domain::ids::UserId> =
                pbx_portal::db::users::some_of_domain(conn, domain, 2000)?
                    .into_iter()
                    .map(|user| user.id)
                    .collect();
            let refs = routing::references_to(conn, &everyone)?;
            Ok::<_, diesel::result::Error>((
                numbers.len(),
                numbers
                    .iter()
                    .filter(|n| n.dest.kind() == "voicemail")
                    .count(),
                options.len(),
                groups.len(),
                members.len(),
                queues.len(),
                agents.len(),
                refs.forwards.len(),
                refs.blf_keys.len(),
                routing::dead_ends(conn, domain)?,
            ))
        })
        .await?;
    // Per 1,000 users: 100 numbers (10 to voicemail), one attendant of 10 options and a
    // timeout, 5 groups of 10, 2 queues of 20, 100 forwards, 100 users with two keys;
    // no dead end.
    assert_eq!(counts, (100, 10, 11, 5, 50, 2, 40, 100, 200, 0));
    Ok(())
}

#[tokio::test]
async fn deleting_one_user_asks_who_takes_over_and_hands_it_all_over() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    let id_124 = id_of(&app, "globex.example", "124").await?;
    // The page without JavaScript, and the dialog's part of it.
    let page = app
        .get(&format!("{GLOBEX}/users/124/delete"))
        .await?
        .text()
        .await?;
    let part = app
        .client
        .get(app.url(&format!("{GLOBEX}/users/124/delete")))
        .header("HX-Request", "true")
        .send()
        .await?
        .text()
        .await?;
    for html in [&page, &part] {
        assert!(html.contains("<h3>Reached from</h3>"));
        assert!(html.contains("<li>Main menu (500) key 3: 124 Emma Evans</li>"));
        assert!(html.contains(&format!(
            "<label for=\"successor-{id_124}\">Successor for 124</label>"
        )));
        assert!(html.contains("1 attendant option will reach nobody."));
    }
    assert!(!part.contains("<html"), "the dialog gets the part alone");

    let field = format!("successor_{id_124}");
    let itself = app
        .post_form(&format!("{GLOBEX}/users/124/delete"), &[(&field, "124")])
        .await?;
    assert_status(&itself, StatusCode::BAD_REQUEST);
    let unknown = app
        .post_form(&format!("{GLOBEX}/users/124/delete"), &[(&field, "999")])
        .await?;
    assert_status(&unknown, StatusCode::BAD_REQUEST);
    assert!(app.user_exists("globex.example", "124").await?);

    let deleted = app
        .post_form(&format!("{GLOBEX}/users/124/delete"), &[(&field, "127")])
        .await?;
    assert_status(&deleted, StatusCode::SEE_OTHER);
    assert_eq!(
        reached_from(&app, "127").await?,
        [
            "Main menu (500) key 3: 127 Hugo Hughes",
            "Support (700) queue agent: 127 Hugo Hughes",
            "129 Jonas Jensen forwards to 127 Hugo Hughes",
            "BLF key on 125 Farid Fischer's phone watches 127 Hugo Hughes",
        ]
    );
    Ok(())
}
