//! Shared by the examples: a client from the environment, or, when `CONNECTWISE_COMPANY_ID` is
//! not set, one talking to an in-process sandbox with the demo data (so CI can run them).
#![allow(dead_code)] // each example uses part of it

use cwpsa::{Client, Config, RateLimit};
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};

/// Keeps the sandbox (if any) alive as long as the client is used.
pub struct Setup {
    pub client: Client,
    /// `host:port` of the in-process sandbox, when there is one.
    pub sandbox_host: Option<String>,
    _sandbox: Option<Sandbox>,
}

pub async fn client() -> Result<Setup, Box<dyn std::error::Error>> {
    if std::env::var_os("CONNECTWISE_COMPANY_ID").is_some() {
        return Ok(Setup {
            client: Client::from_env()?,
            sandbox_host: None,
            _sandbox: None,
        });
    }
    let sandbox = Sandbox::start(SandboxConfig {
        rate_limit: RateLimitSetting::Off,
        ..SandboxConfig::default()
    })
    .await?;
    eprintln!(
        "(no CONNECTWISE_* settings: using an in-process sandbox at {})",
        sandbox.base_url()
    );
    let config = Config::builder()
        .company_id("sandbox")
        .public_key("sandbox-public")
        .private_key("sandbox-private")
        .client_id("00000000-0000-4000-8000-000000000000")
        .base_url(sandbox.base_url())
        .rate_limit(RateLimit::Off)
        .build()?;
    Ok(Setup {
        client: Client::new(config)?,
        sandbox_host: Some(sandbox.addr().to_string()),
        _sandbox: Some(sandbox),
    })
}
