//! An in-process sandbox on a free port and a client configured for it.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use cwpsa::{Client, Config, RateLimit};
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};

pub const CLIENT_ID: &str = "00000000-0000-4000-8000-000000000000";

pub struct TestApp {
    pub sandbox: Sandbox,
    pub client: Client,
}

pub fn sandbox_config(base_url: &str) -> cwpsa::ConfigBuilder {
    Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id(CLIENT_ID)
        .base_url(base_url)
        // The sandbox does not limit (yet); keep tests fast.
        .rate_limit(RateLimit::Off)
}

impl TestApp {
    pub async fn start() -> TestApp {
        // Rate limiting is off on both sides unless a test is about it.
        TestApp::with(SandboxConfig {
            rate_limit: RateLimitSetting::Off,
            ..SandboxConfig::default()
        })
        .await
    }

    pub async fn with(config: SandboxConfig) -> TestApp {
        let sandbox = Sandbox::start(config).await.expect("sandbox starts");
        let client = Client::new(sandbox_config(sandbox.base_url()).build().unwrap()).unwrap();
        TestApp { sandbox, client }
    }

    /// `127.0.0.1:port`.
    pub fn host(&self) -> String {
        self.sandbox.addr().to_string()
    }
}

/// The URL of a sandbox's admin route (`stats`, `faults`, ...).
pub fn admin_url(sandbox: &Sandbox, path: &str) -> String {
    let origin = sandbox.base_url().split("/v4_6_release").next().unwrap();
    format!("{origin}/_sandbox/{path}")
}

pub async fn admin_get(sandbox: &Sandbox, path: &str) -> serde_json::Value {
    let r = reqwest::get(admin_url(sandbox, path)).await.unwrap();
    assert_eq!(r.status(), 200, "GET /_sandbox/{path}");
    r.json().await.unwrap()
}

pub async fn admin_send(
    http: &reqwest::Client,
    sandbox: &Sandbox,
    method: reqwest::Method,
    path: &str,
    body: serde_json::Value,
) -> serde_json::Value {
    let r = http
        .request(method, admin_url(sandbox, path))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "/_sandbox/{path} {body}");
    r.json().await.unwrap()
}

/// A number in the sandbox's stats (0 when absent).
pub fn stat(stats: &serde_json::Value, pointer: &str) -> u64 {
    stats
        .pointer(pointer)
        .and_then(serde_json::Value::as_u64)
        .unwrap_or(0)
}

/// A scripted HTTP server for behaviours the sandbox does not have yet (redirects, 5xx, 429,
/// the callback key endpoint): answers each request with the next canned response (the last
/// one repeats) and records what it received.
pub struct Scripted {
    pub addr: std::net::SocketAddr,
    pub requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Scripted {
    /// Each response is `(status, extra header lines, body)`.
    pub async fn start(responses: Vec<(u16, Vec<String>, String)>) -> Scripted {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        tokio::spawn(async move {
            let mut n = 0usize;
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                // Headers, then as much body as Content-Length says.
                let head_end = loop {
                    let Ok(read) = stream.read(&mut chunk).await else {
                        break None;
                    };
                    if read == 0 {
                        break None;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                    if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                        break Some(i + 4);
                    }
                };
                let Some(head_end) = head_end else { continue };
                let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (k, v) = l.split_once(':')?;
                        k.eq_ignore_ascii_case("content-length")
                            .then(|| v.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                while buf.len() < head_end + length {
                    let Ok(read) = stream.read(&mut chunk).await else {
                        break;
                    };
                    if read == 0 {
                        break;
                    }
                    buf.extend_from_slice(&chunk[..read]);
                }
                let body = String::from_utf8_lossy(&buf[head_end..]).to_string();
                seen.lock().unwrap().push(format!("{head}{body}"));
                let (status, headers, body) = responses[n.min(responses.len() - 1)].clone();
                n += 1;
                let mut out = format!(
                    "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n",
                    body.len()
                );
                for h in headers {
                    out.push_str(&h);
                    out.push_str("\r\n");
                }
                out.push_str("\r\n");
                out.push_str(&body);
                let _ = stream.write_all(out.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        Scripted { addr, requests }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}/v4_6_release/apis/3.0/", self.addr)
    }

    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}
