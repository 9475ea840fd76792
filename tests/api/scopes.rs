//! SPEC section 4 over HTTP: who may open which domain's Users page.

use crate::helpers::*;
use reqwest::StatusCode;

fn domain_links(html: &str) -> Vec<String> {
    html.match_indices("<a href=\"/domains/")
        .filter_map(|(start, _)| {
            let rest = &html[start..];
            let text_start = rest.find('>')? + 1;
            let text_end = rest.find("</a>")?;
            Some(rest[text_start..text_end].to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_basic_user_may_sign_in_but_gets_403_and_a_page_that_says_why() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("101@acme.example").await?;
    for path in ["/", "/domains", "/domains/acme.example/users"] {
        let response = app.get(path).await?;
        assert_status(&response, StatusCode::FORBIDDEN);
        let html = response.text().await?;
        assert!(
            html.contains("Managing users needs the Office Manager scope or higher."),
            "{path}"
        );
        assert!(!html.contains("158"), "{path} leaked users");
    }
    Ok(())
}

#[tokio::test]
async fn scopes_just_below_office_manager_are_refused_too() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    // 102@acme.example is a Site Manager in the demo data.
    app.signed_in_as("102@acme.example").await?;
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

#[tokio::test]
async fn an_office_manager_opens_only_its_own_domain() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@acme.example").await?;
    let own = app.get("/domains/acme.example/users").await?;
    assert_status(&own, StatusCode::OK);
    assert!(own.text().await?.contains("101"));
    for other in ["globex.example", "initech.example", "platform.example"] {
        let response = app.get(&format!("/domains/{other}/users")).await?;
        assert_status(&response, StatusCode::FORBIDDEN);
        let html = response.text().await?;
        assert!(html.contains("This domain is not one you manage."));
        assert!(!html.contains("@globex.example") && !html.contains("@initech.example"));
    }
    // A domain that does not exist answers as another customer's does (SPEC
    // "Refusals"), so no office manager learns which customers exist.
    for missing in ["nowhere.example", "not%20a%20domain"] {
        let response = app.get(&format!("/domains/{missing}/users")).await?;
        assert_status(&response, StatusCode::FORBIDDEN);
        assert!(
            response
                .text()
                .await?
                .contains("This domain is not one you manage.")
        );
    }
    let domains = app.get("/domains").await?.text().await?;
    assert_eq!(domain_links(&domains), ["acme.example"]);
    Ok(())
}

#[tokio::test]
async fn the_globex_manager_cannot_open_acme() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("100@globex.example").await?;
    assert_redirect(&app.get("/").await?, "/domains/globex.example/users");
    assert_status(
        &app.get("/domains/globex.example/users").await?,
        StatusCode::OK,
    );
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

#[tokio::test]
async fn a_reseller_lands_on_its_domains_and_opens_only_those() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("8000@northwind.example").await?;
    assert_redirect(&app.get("/").await?, "/domains");
    let domains = app.get("/domains").await?;
    assert_status(&domains, StatusCode::OK);
    let links = domain_links(&domains.text().await?);
    assert!(links.contains(&"acme.example".to_owned()));
    assert!(links.contains(&"globex.example".to_owned()));
    assert!(!links.contains(&"initech.example".to_owned()));
    assert!(!links.contains(&"platform.example".to_owned()));
    assert_status(
        &app.get("/domains/acme.example/users").await?,
        StatusCode::OK,
    );
    assert_status(
        &app.get("/domains/globex.example/users").await?,
        StatusCode::OK,
    );
    assert_status(
        &app.get("/domains/initech.example/users").await?,
        StatusCode::FORBIDDEN,
    );
    assert_status(
        &app.get("/domains/platform.example/users").await?,
        StatusCode::FORBIDDEN,
    );
    Ok(())
}

#[tokio::test]
async fn a_super_user_sees_and_opens_every_domain() -> TestResult {
    let app = TestApp::builder().demo().start().await?;
    app.signed_in_as("9000@platform.example").await?;
    assert_redirect(&app.get("/").await?, "/domains");
    let links = domain_links(&app.get("/domains").await?.text().await?);
    assert_eq!(
        links,
        [
            "acme.example",
            "globex.example",
            "initech.example",
            "northwind.example",
            "platform.example"
        ]
    );
    for domain in &links {
        assert_status(
            &app.get(&format!("/domains/{domain}/users")).await?,
            StatusCode::OK,
        );
    }
    Ok(())
}
