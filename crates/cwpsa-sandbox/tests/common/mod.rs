//! A tiny harness: an in-process sandbox on a free port and an HTTP client that speaks to it
//! the way any third-party ConnectWise client would (Basic auth + clientId over real sockets).
#![allow(dead_code, clippy::missing_panics_doc, clippy::unwrap_used)]

use base64::Engine;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};
use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;

pub struct TestApp {
    pub sandbox: Sandbox,
    pub http: reqwest::Client,
}

pub const CLIENT_ID: &str = "00000000-0000-4000-8000-000000000000";

pub fn auth_header() -> String {
    let raw = "sandbox+sandbox-public:sandbox-private";
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(raw)
    )
}

impl TestApp {
    /// A sandbox with the default demo data and no rate limit (tests of the limit set one).
    pub async fn start() -> TestApp {
        TestApp::with_config(SandboxConfig {
            rate_limit: RateLimitSetting::Off,
            ..SandboxConfig::default()
        })
        .await
    }

    pub async fn with_config(config: SandboxConfig) -> TestApp {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        TestApp {
            sandbox,
            http: reqwest::Client::new(),
        }
    }

    /// The URL of an admin endpoint (`reset`, `faults`, `stats`, ...).
    pub fn admin_url(&self, path: &str) -> String {
        let origin = self
            .sandbox
            .base_url()
            .split("/v4_6_release")
            .next()
            .unwrap_or_default();
        format!("{origin}/_sandbox/{path}")
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.sandbox.base_url(), path)
    }

    /// An authenticated request to a path relative to the API base.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("authorization", auth_header())
            .header("clientId", CLIENT_ID)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.request(Method::GET, path)
            .send()
            .await
            .expect("request sent")
    }

    /// GET expecting 200 and a JSON body.
    pub async fn get_json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        let status = response.status();
        let body = response.text().await.expect("body");
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).expect("JSON body")
    }

    pub async fn send_json(&self, method: Method, path: &str, body: &Value) -> (u16, Value) {
        let response = self
            .request(method, path)
            .json(body)
            .send()
            .await
            .expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }
}

/// The records of a JSON array body.
pub fn records(value: &Value) -> &Vec<Value> {
    value.as_array().expect("a JSON array")
}

pub fn ids(value: &Value) -> Vec<i64> {
    records(value)
        .iter()
        .map(|r| r["id"].as_i64().expect("id"))
        .collect()
}

/// The URL of a `Link` relation.
pub fn link(response: &Response, rel: &str) -> Option<String> {
    let header = response.headers().get("link")?.to_str().ok()?;
    header.split(", <").find_map(|part| {
        let (url, params) = part.trim_start_matches('<').split_once('>')?;
        params
            .contains(&format!("rel=\"{rel}\""))
            .then(|| url.to_owned())
    })
}
