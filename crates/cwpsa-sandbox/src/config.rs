//! How a sandbox is started: address, storage, seed, profile, TLS.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::faults::Faults;
use crate::limiter::RateLimit;
use crate::seed::SeedConfig;

/// The fixed demo credentials (DESIGN.md contract): any other key pair is rejected.
pub const COMPANY_ID: &str = "sandbox";
pub const PUBLIC_KEY: &str = "sandbox-public";
pub const PRIVATE_KEY: &str = "sandbox-private";
pub const CLIENT_ID: &str = "00000000-0000-4000-8000-000000000000";
/// The identifier the API member's writes are recorded under (`_info.updatedBy`).
pub const API_MEMBER: &str = "SandboxAPI";
/// The API member's record id (`memberId` of the callbacks it registers).
pub const API_MEMBER_ID: i64 = 190;
/// The version reported in `api-current-version` and assumed when a request names none.
pub const CURRENT_VERSION: &str = "2025.1";

/// Which real-world behaviour the sandbox imitates where the seed document and the live
/// service differ (see API-FACTS.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Profile {
    /// The seed document: `X-Total-Count` on lists, `X-RateLimit-*` headers.
    #[default]
    Seed,
    /// The live cloud service: totals only from `/count`, no rate-limit headers.
    Cloud,
}

impl Profile {
    /// The rate limit a profile applies unless told otherwise: the seed's 60 per minute, or
    /// the real service's documented ceiling of about 1000 per minute.
    pub fn default_rate_limit(self) -> RateLimit {
        let limit = match self {
            Profile::Seed => 60,
            Profile::Cloud => 1000,
        };
        RateLimit {
            limit,
            window: std::time::Duration::from_secs(60),
        }
    }
}

/// `--rate-limit`: the profile's default, a rule, or off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RateLimitSetting {
    #[default]
    ProfileDefault,
    Off,
    Rule(RateLimit),
}

impl std::str::FromStr for RateLimitSetting {
    type Err = String;
    fn from_str(s: &str) -> Result<RateLimitSetting, String> {
        if s.trim().eq_ignore_ascii_case("off") {
            Ok(RateLimitSetting::Off)
        } else {
            s.parse().map(RateLimitSetting::Rule)
        }
    }
}

impl std::str::FromStr for Profile {
    type Err = String;
    fn from_str(s: &str) -> Result<Profile, String> {
        match s.to_ascii_lowercase().as_str() {
            "seed" => Ok(Profile::Seed),
            "cloud" => Ok(Profile::Cloud),
            other => Err(format!(
                "unknown profile `{other}`; expected `seed` or `cloud`"
            )),
        }
    }
}

#[derive(Debug, Clone)]
pub struct SandboxConfig {
    /// Where to listen; port 0 picks a free port.
    pub addr: SocketAddr,
    /// A database file (data survives restarts); `None` keeps everything in memory.
    pub db: Option<PathBuf>,
    /// The demo data written into a new, empty database.
    pub seed: SeedConfig,
    /// The codebase in the URL, ending in `/` (`v4_6_release/`).
    pub codebase: String,
    pub profile: Profile,
    /// Serve HTTPS with a certificate generated at start.
    pub tls: bool,
    pub rate_limit: RateLimitSetting,
    /// Faults in effect from the start (the admin API changes them at run time).
    pub faults: Faults,
    /// Multiplies the callback retry waits (2 s, then 4 s): 0.01 makes tests fast.
    pub callback_retry_scale: f64,
}

impl SandboxConfig {
    /// The rate limit in effect: the explicit setting, else the profile's default.
    pub fn effective_rate_limit(&self) -> Option<RateLimit> {
        match self.rate_limit {
            RateLimitSetting::ProfileDefault => Some(self.profile.default_rate_limit()),
            RateLimitSetting::Off => None,
            RateLimitSetting::Rule(rule) => Some(rule),
        }
    }
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: None,
            seed: SeedConfig::default(),
            codebase: "v4_6_release/".to_owned(),
            profile: Profile::Seed,
            tls: false,
            rate_limit: RateLimitSetting::ProfileDefault,
            faults: Faults::default(),
            callback_retry_scale: 1.0,
        }
    }
}
