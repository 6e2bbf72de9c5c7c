//! An in-process sandbox on a free port and a client configured for it.
#![allow(dead_code, clippy::unwrap_used, clippy::missing_panics_doc)]

use cwpsa::{Client, Config, RateLimit};
use cwpsa_sandbox::{Sandbox, SandboxConfig};

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
        TestApp::with(SandboxConfig::default()).await
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
