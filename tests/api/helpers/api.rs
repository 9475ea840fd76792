//! A script's view of the portal: API tokens made on the API tokens page by a signed-in
//! browser, and a client that sends them as bearer tokens and no cookies.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use super::{Browser, TestApp, TestResult, assert_status};

/// The secret shown once after **Create token**.
pub fn new_token_in(html: &str) -> Option<String> {
    let marker = "<code id=\"new-token\">";
    let start = html.find(marker)? + marker.len();
    let end = html[start..].find('<')? + start;
    Some(html[start..end].to_owned())
}

impl Browser {
    /// Creates an API token called `name` for this browser's user; returns the secret.
    pub async fn create_token(&self, name: &str) -> Result<String, Box<dyn std::error::Error>> {
        let response = self
            .post_form(
                "/account/tokens",
                &[("name", name), ("expires_in_days", "30")],
            )
            .await?;
        assert_status(&response, StatusCode::OK);
        let page = response.text().await?;
        Ok(new_token_in(&page).ok_or("no new token on the page")?)
    }
}

/// A client of the API with one token (or none), keeping no cookies.
#[derive(Clone)]
pub struct Api {
    address: String,
    token: Option<String>,
    client: reqwest::Client,
}

/// An API answer, read whole: status, headers and the body as JSON (`Null` if none).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    /// Asserts the status, and for a refusal that it is a problem document saying so.
    #[track_caller]
    pub fn expect(&self, status: StatusCode) -> &Value {
        assert_eq!(self.status, status, "answer: {:?}", self.body);
        if status.is_client_error() || status.is_server_error() {
            assert_eq!(
                self.header("content-type"),
                Some("application/problem+json"),
                "a refusal is a problem document"
            );
            assert_eq!(self.body["status"], status.as_u16());
        }
        &self.body
    }
}

impl Api {
    pub fn new(app: &TestApp, token: Option<&str>) -> Result<Self, reqwest::Error> {
        Ok(Self {
            address: app.browser.url(""),
            token: token.map(str::to_owned),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()?,
        })
    }

    /// A client for a token made now by `login` (a demo user) on a browser of its own.
    pub async fn signed_as(app: &TestApp, login: &str) -> Result<Self, Box<dyn std::error::Error>> {
        let browser = app.new_browser()?;
        browser.signed_in_as(login).await?;
        let token = browser.create_token(&format!("tests of {login}")).await?;
        Ok(Self::new(app, Some(&token))?)
    }

    /// Sends `method path` with `body` as JSON (when given) and `headers`.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.address));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await?;
        let status = response.status();
        let headers = response.headers().clone();
        let text = response.text().await?;
        let body = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).map_err(|err| format!("{err} in {text:?}"))?
        };
        Ok(Answer {
            status,
            headers,
            body,
        })
    }

    pub async fn get(&self, path: &str) -> Result<Answer, Box<dyn std::error::Error>> {
        self.send(Method::GET, path, None, &[]).await
    }

    pub async fn post(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<Answer, Box<dyn std::error::Error>> {
        self.send(Method::POST, path, Some(body), &[]).await
    }

    /// Starts a job and waits for it to end; returns the job as last read.
    pub async fn run_job(
        &self,
        domain: &str,
        body: &Value,
    ) -> Result<Value, Box<dyn std::error::Error>> {
        let started = self
            .post(&format!("/api/v1/domains/{domain}/jobs"), body)
            .await?;
        let job = started.expect(StatusCode::ACCEPTED);
        let href = job["href"].as_str().ok_or("no href")?.to_owned();
        self.wait(&href).await
    }

    /// Polls a job until it has ended.
    pub async fn wait(&self, href: &str) -> Result<Value, Box<dyn std::error::Error>> {
        for _ in 0..600 {
            let job = self.get(href).await?;
            let body = job.expect(StatusCode::OK).clone();
            if matches!(body["state"].as_str(), Some("finished" | "stopped")) {
                return Ok(body);
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        Err(format!("{href} did not end").into())
    }
}

/// Asserts a job's counts.
#[track_caller]
pub fn assert_counts(job: &Value, done: i64, failed: i64, skipped: i64) -> TestResult {
    assert_eq!(
        (
            job["done"].as_i64(),
            job["failed"].as_i64(),
            job["skipped"].as_i64()
        ),
        (Some(done), Some(failed), Some(skipped)),
        "job: {job}"
    );
    Ok(())
}
