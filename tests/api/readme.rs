//! The README's API example, run as written (with `curl` and `sh`) against a portal on
//! the demo data, with a token made on the API tokens page.

use serde_json::Value;

use crate::helpers::*;

/// The shell between the README's `api-example` markers, without its code fence.
fn api_example() -> Result<String, Box<dyn std::error::Error>> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))?;
    let start = readme
        .find("<!-- api-example -->")
        .ok_or("no api-example marker")?;
    let end = readme
        .find("<!-- /api-example -->")
        .ok_or("no end marker")?;
    let block = readme.get(start..end).ok_or("markers out of order")?;
    Ok(block
        .lines()
        .filter(|line| !line.starts_with("<!--") && !line.starts_with("```"))
        .collect::<Vec<_>>()
        .join("\n"))
}

#[tokio::test]
async fn the_api_example_resets_three_users() -> TestResult {
    let app = TestApp::builder()
        .demo()
        .signed_in("100@acme.example", DEMO_PASSWORD)
        .start()
        .await?;
    let token = app.browser.create_token("readme").await?;
    let script = api_example()?;
    let output = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(&script)
        .env("PORTAL", app.browser.url(""))
        .env("TOKEN", &token)
        .output()
        .await?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "the example failed: {stderr}");
    let last = String::from_utf8(output.stdout)?;
    let job: Value = serde_json::from_str(last.trim())?;
    assert_eq!(job["state"], "finished", "{job}");
    assert_eq!(job["done"], 3);
    let outcomes: Vec<(&str, &str)> = job["items"]
        .as_array()
        .ok_or("no items")?
        .iter()
        .filter_map(|item| Some((item["extension"].as_str()?, item["outcome"].as_str()?)))
        .collect();
    assert_eq!(
        outcomes,
        [("131", "done"), ("132", "done"), ("133", "done")]
    );
    Ok(())
}
