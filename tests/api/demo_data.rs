//! The demo data of SPEC section 7, as tests and other suites rely on it.

use diesel::prelude::*;
use pbx_portal::db::schema::{
    answering_rules, call_history, contacts, devices, domains, resellers, users,
    voicemail_greetings, voicemail_messages,
};
use pbx_portal::domain::{Scope, Status};
use pbx_portal::services::demo;

use crate::helpers::*;

type UserFacts = (
    String,
    String,
    String,
    Option<String>,
    bool,
    bool,
    bool,
    bool,
    i32,
    i32,
);

async fn users_of(
    app: &TestApp,
    domain: &'static str,
) -> Result<Vec<UserFacts>, Box<dyn std::error::Error>> {
    app.query(move |conn| {
        users::table
            .inner_join(domains::table)
            .filter(domains::name.eq(domain))
            .select((
                users::extension,
                users::first_name,
                users::last_name,
                users::email,
                users::password_hash.is_not_null(),
                users::must_change_password,
                users::vm_to_email,
                users::is_system,
                users::scope,
                users::status,
            ))
            .order(users::extension)
            .load::<UserFacts>(conn)
    })
    .await
}

#[tokio::test]
async fn the_demo_logins_sign_in_with_demo_password_and_land_by_scope() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let expected = [
        ("9000@platform.example", "/domains"),
        ("8000@northwind.example", "/domains"),
        ("100@acme.example", "/domains/acme.example/users"),
        ("100@globex.example", "/domains/globex.example/users"),
    ];
    for (login, landing) in expected {
        let browser = app.new_browser()?;
        browser.signed_in_as(login).await?;
        assert_redirect(&browser.get("/").await?, landing);
    }
    let basic = app.new_browser()?;
    basic.signed_in_as("101@acme.example").await?;
    assert_eq!(
        basic.get("/").await?.status(),
        reqwest::StatusCode::FORBIDDEN
    );
    assert_eq!(demo::DEMO_LOGINS.len(), 5);
    Ok(())
}

#[tokio::test]
async fn acme_holds_users_100_to_159_and_two_hidden_system_users() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let acme = users_of(&app, "acme.example").await?;
    let extensions: Vec<&str> = acme.iter().map(|u| u.0.as_str()).collect();
    let mut expected: Vec<String> = (100..=159).map(|n: u32| n.to_string()).collect();
    expected.extend(["9990".to_owned(), "9991".to_owned()]);
    assert_eq!(extensions, expected);
    for (
        extension,
        first,
        last,
        email,
        has_password,
        must_change,
        vm_to_email,
        is_system,
        scope,
        status,
    ) in &acme
    {
        let number: u32 = extension.parse()?;
        let status = Status::from_code(*status).ok_or("unknown status")?;
        assert_eq!(
            status,
            Status::derive(first, last, *has_password),
            "{extension}: database and rules disagree"
        );
        match number {
            9990 | 9991 => assert!(*is_system && *scope == Scope::NoPortal.rank()),
            150..=154 => {
                assert_eq!(status, Status::SetupRequired, "{extension}");
                assert!(email.is_none(), "{extension}");
            }
            155..=157 => assert_eq!(status, Status::PasswordRequired, "{extension}"),
            _ => assert_eq!(status, Status::Active, "{extension}"),
        }
        if !(150..=154).contains(&number) && !*is_system {
            let email = email.as_deref().unwrap_or_default();
            assert!(email.ends_with("@acme.example"), "{extension}: {email}");
        }
        assert_eq!(*must_change, number == 158, "{extension}");
        assert_eq!(*vm_to_email, (120..=129).contains(&number), "{extension}");
        assert_eq!(*is_system, number >= 9990, "{extension}");
    }
    let scope_of = |ext: &str| acme.iter().find(|u| u.0 == ext).map(|u| u.8);
    assert_eq!(scope_of("100"), Some(Scope::OfficeManager.rank()));
    assert_eq!(scope_of("101"), Some(Scope::BasicUser.rank()));
    Ok(())
}

#[tokio::test]
async fn globex_and_initech_hold_their_users_and_resellers_own_their_domains() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let globex = users_of(&app, "globex.example").await?;
    assert_eq!(globex.first().map(|u| u.0.as_str()), Some("100"));
    assert_eq!(globex.len(), 30);
    let initech = users_of(&app, "initech.example").await?;
    assert_eq!(initech.len(), 20);
    assert_eq!(initech.last().map(|u| u.0.as_str()), Some("119"));
    let ownership = app
        .query(|conn| {
            domains::table
                .left_join(resellers::table)
                .select((
                    domains::name,
                    resellers::name.nullable(),
                    domains::portal_security,
                ))
                .order(domains::name)
                .load::<(String, Option<String>, bool)>(conn)
        })
        .await?;
    let find = |name: &str| ownership.iter().find(|d| d.0 == name).cloned();
    assert_eq!(
        find("acme.example"),
        Some(("acme.example".into(), Some("Northwind".into()), true))
    );
    assert_eq!(
        find("globex.example"),
        Some(("globex.example".into(), Some("Northwind".into()), false))
    );
    assert_eq!(
        find("initech.example").and_then(|d| d.1),
        Some("Contoso".into())
    );
    assert_eq!(find("platform.example").and_then(|d| d.1), None);
    Ok(())
}

#[tokio::test]
async fn every_user_has_a_primary_device_and_attached_data() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let (
        people,
        primaries,
        extra_devices,
        messages,
        greetings,
        rules,
        own_contacts,
        shared_contacts,
        calls,
    ) = app
        .query(|conn| {
            let people: i64 = users::table
                .filter(users::is_system.eq(false))
                .count()
                .get_result(conn)?;
            let primaries: i64 = devices::table
                .filter(devices::is_primary.eq(true))
                .count()
                .get_result(conn)?;
            let extra: i64 = devices::table
                .filter(devices::is_primary.eq(false))
                .count()
                .get_result(conn)?;
            let messages: i64 = voicemail_messages::table.count().get_result(conn)?;
            let greetings: i64 = voicemail_greetings::table.count().get_result(conn)?;
            let rules: i64 = answering_rules::table.count().get_result(conn)?;
            let own: i64 = contacts::table
                .filter(contacts::user_id.is_not_null())
                .count()
                .get_result(conn)?;
            let shared: i64 = contacts::table
                .filter(contacts::user_id.is_null())
                .count()
                .get_result(conn)?;
            let calls: i64 = call_history::table.count().get_result(conn)?;
            Ok((
                people, primaries, extra, messages, greetings, rules, own, shared, calls,
            ))
        })
        .await?;
    assert_eq!(people, 60 + 30 + 20 + 2);
    assert_eq!(primaries, people);
    assert!(
        extra_devices > people / 2,
        "most users have additional devices"
    );
    assert!(messages >= people && greetings >= people && rules >= people);
    assert!(own_contacts >= people && calls >= people);
    assert_eq!(shared_contacts, 5 * 5);
    let devices_of_150 = app
        .query(|conn| {
            devices::table
                .inner_join(users::table.inner_join(domains::table))
                .filter(domains::name.eq("acme.example"))
                .filter(users::extension.eq("151"))
                .select(devices::name)
                .order(devices::name)
                .load::<String>(conn)
        })
        .await?;
    assert_eq!(devices_of_150, ["151", "151a"]);
    Ok(())
}

#[tokio::test]
async fn the_demo_loads_only_into_an_empty_database() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    let pool = app.pool.clone();
    let second = tokio::task::spawn_blocking(move || -> Result<bool, String> {
        let mut conn = pool.get().map_err(|e| e.to_string())?;
        Ok(matches!(
            demo::load_demo(&mut conn),
            Err(demo::DemoError::NotEmpty)
        ))
    })
    .await??;
    assert!(second, "a second load must refuse");
    assert_eq!(users_of(&app, "acme.example").await?.len(), 62);
    Ok(())
}
