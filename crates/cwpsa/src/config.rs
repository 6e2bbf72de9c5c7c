//! Settings: credentials, where the API lives, versions, timeouts, the rate budget and the
//! retry policy. Built with [`Config::builder`] or read with [`Config::from_env`].

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use crate::error::{Error, Result};
use crate::retry::{Event, RetryPolicy};

/// The API version sent in `Accept` unless configured otherwise.
pub const DEFAULT_API_VERSION: &str = "2025.1";

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for building the Authorization header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(\"***\")")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// A ConnectWise cloud region, or the staging site.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    Na,
    Eu,
    Au,
    Staging,
}

impl Region {
    pub fn site(self) -> &'static str {
        match self {
            Region::Na => "api-na.myconnectwise.net",
            Region::Eu => "api-eu.myconnectwise.net",
            Region::Au => "api-au.myconnectwise.net",
            Region::Staging => "api-staging.connectwisedev.com",
        }
    }

    fn from_name(name: &str) -> Option<Region> {
        match name.to_ascii_lowercase().as_str() {
            "na" => Some(Region::Na),
            "eu" => Some(Region::Eu),
            "au" => Some(Region::Au),
            "staging" => Some(Region::Staging),
            _ => None,
        }
    }
}

/// The client's own request budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateLimit {
    /// No proactive pacing (the server's signals still apply).
    Off,
    /// At most `requests` starts in any window of `per`.
    Budget { requests: u32, per: Duration },
}

impl Default for RateLimit {
    /// 60 requests per 60 seconds, the seed's per-member rule.
    fn default() -> RateLimit {
        RateLimit::Budget {
            requests: 60,
            per: Duration::from_secs(60),
        }
    }
}

impl std::str::FromStr for RateLimit {
    type Err = String;

    /// `60/60s`, `1000/60s`, `60/6` or `off`.
    fn from_str(s: &str) -> Result<RateLimit, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("off") {
            return Ok(RateLimit::Off);
        }
        let bad =
            || format!("`{s}` is not a rate limit; expected N/SECONDSs (e.g. `60/60s`) or `off`");
        let (n, secs) = s.split_once('/').ok_or_else(bad)?;
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let secs = secs.trim();
        let secs = secs.strip_suffix(['s', 'S']).unwrap_or(secs);
        let secs: f64 = secs.parse().map_err(|_| bad())?;
        if requests == 0 || !(secs.is_finite() && secs > 0.0 && secs < 86_400.0) {
            return Err(bad());
        }
        Ok(RateLimit::Budget {
            requests,
            per: Duration::from_secs_f64(secs),
        })
    }
}

/// A hook told about every retry and wait, e.g. for a progress display.
pub type EventHook = Arc<dyn Fn(&Event) + Send + Sync>;

/// Everything a [`crate::Client`] needs. `Debug` redacts the private key.
#[derive(Clone)]
pub struct Config {
    pub(crate) company_id: String,
    pub(crate) public_key: String,
    pub(crate) private_key: Secret,
    pub(crate) client_id: String,
    pub(crate) site: Option<Site>,
    pub(crate) codebase: Option<String>,
    pub(crate) base_url: Option<reqwest::Url>,
    pub(crate) api_version: String,
    pub(crate) rate_limit: RateLimit,
    pub(crate) retry: RetryPolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) request_timeout: Duration,
    pub(crate) user_agent: String,
    pub(crate) on_event: Option<EventHook>,
    pub(crate) root_certificates: Vec<Vec<u8>>,
    /// `None`: asked for, except from a server on this machine.
    pub(crate) gzip: Option<bool>,
}

/// A ConnectWise host, `https` unless a loopback host was named with `http://`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Site {
    pub(crate) scheme: &'static str,
    pub(crate) host: String,
}

impl Site {
    fn parse(text: &str) -> Option<Site> {
        let text = text.trim().trim_end_matches('/');
        if let Some(region) = Region::from_name(text) {
            return Some(Site {
                scheme: "https",
                host: region.site().to_owned(),
            });
        }
        let (scheme, host) = if let Some(h) = text.strip_prefix("https://") {
            ("https", h)
        } else if let Some(h) = text.strip_prefix("http://") {
            ("http", h)
        } else {
            ("https", text)
        };
        let valid = !host.is_empty()
            && host.bytes().all(|b| {
                b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')
            });
        // Plain HTTP only for a local sandbox: the real service refuses it anyway.
        if !valid || (scheme == "http" && !is_loopback(host)) {
            return None;
        }
        Some(Site {
            scheme,
            host: host.to_owned(),
        })
    }

    pub(crate) fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.host)
    }
}

pub(crate) fn is_loopback(host_port: &str) -> bool {
    let host = host_port
        .rsplit_once(':')
        .filter(|(h, p)| !h.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
        .map_or(host_port, |(h, _)| h);
    matches!(host, "localhost" | "127.0.0.1" | "[::1]" | "::1")
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("company_id", &self.company_id)
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key)
            .field("client_id", &self.client_id)
            .field("site", &self.site)
            .field("codebase", &self.codebase)
            .field(
                "base_url",
                &self.base_url.as_ref().map(reqwest::Url::as_str),
            )
            .field("api_version", &self.api_version)
            .field("rate_limit", &self.rate_limit)
            .field("retry", &self.retry)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .finish_non_exhaustive()
    }
}

impl Config {
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Whether responses are asked for gzip (see [`ConfigBuilder::gzip`]).
    pub(crate) fn wants_gzip(&self) -> bool {
        self.gzip.unwrap_or_else(|| !self.server_is_local())
    }

    /// Whether the configured server is on this machine (a sandbox).
    pub(crate) fn server_is_local(&self) -> bool {
        match (&self.base_url, &self.site) {
            (Some(url), _) => url.host_str().is_some_and(is_loopback),
            (None, Some(site)) => is_loopback(&site.host),
            (None, None) => false,
        }
    }

    /// Reads the `CONNECTWISE_*` variables of the process environment.
    pub fn from_env() -> Result<Config> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads the `CONNECTWISE_*` variables through `lookup`, so that tests (and profile files)
    /// need not touch the process environment. Empty values count as missing.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config> {
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        let mut b = Config::builder();
        if let Some(v) = get("CONNECTWISE_COMPANY_ID") {
            b = b.company_id(v);
        }
        if let Some(v) = get("CONNECTWISE_PUBLIC_KEY") {
            b = b.public_key(v);
        }
        if let Some(v) = get("CONNECTWISE_PRIVATE_KEY") {
            b = b.private_key(v);
        }
        if let Some(v) = get("CONNECTWISE_CLIENT_ID") {
            b = b.client_id(v);
        }
        if let Some(v) = get("CONNECTWISE_SITE") {
            b = b.site(v);
        }
        if let Some(v) = get("CONNECTWISE_CODEBASE") {
            b = b.codebase(v);
        }
        if let Some(v) = get("CONNECTWISE_API_VERSION") {
            b = b.api_version(v);
        }
        if let Some(v) = get("CONNECTWISE_BASE_URL") {
            b = b.base_url(v);
        }
        if let Some(v) = get("CONNECTWISE_RATE_LIMIT") {
            b.rate_limit_text = Some(v);
        }
        b.build_named(true)
    }

    pub fn rate_limit(&self) -> RateLimit {
        self.rate_limit
    }

    pub fn api_version(&self) -> &str {
        &self.api_version
    }

    pub fn company_id(&self) -> &str {
        &self.company_id
    }

    /// Adds a hook told about every retry and wait, after any hook already set (both run):
    /// for a library that is handed a `Config` and wants to count retries and 429s.
    #[must_use]
    pub fn with_event_hook(mut self, hook: impl Fn(&Event) + Send + Sync + 'static) -> Config {
        self.on_event = Some(match self.on_event.take() {
            None => Arc::new(hook),
            Some(first) => Arc::new(move |event: &Event| {
                first(event);
                hook(event);
            }),
        });
        self
    }

    /// Replaces the client's own request budget.
    #[must_use]
    pub fn with_rate_limit(mut self, rate_limit: RateLimit) -> Config {
        self.rate_limit = rate_limit;
        self
    }

    /// The host callbacks' `key_url` must point at: the site's, or the base URL's.
    pub(crate) fn api_host(&self) -> Option<String> {
        if let Some(url) = &self.base_url {
            let host = url.host_str()?;
            return Some(match url.port() {
                Some(p) => format!("{host}:{p}"),
                None => host.to_owned(),
            });
        }
        self.site.as_ref().map(|s| s.host.clone())
    }
}

/// Builds a [`Config`]; [`ConfigBuilder::build`] checks it. `Debug` redacts the private key.
#[derive(Default, Clone)]
#[must_use]
pub struct ConfigBuilder {
    company_id: Option<String>,
    public_key: Option<String>,
    private_key: Option<Secret>,
    client_id: Option<String>,
    site: Option<String>,
    codebase: Option<String>,
    base_url: Option<String>,
    api_version: Option<String>,
    rate_limit: Option<RateLimit>,
    rate_limit_text: Option<String>,
    retry: Option<RetryPolicy>,
    connect_timeout: Option<Duration>,
    request_timeout: Option<Duration>,
    user_agent: Option<String>,
    on_event: Option<EventHook>,
    root_certificates: Vec<Vec<u8>>,
    gzip: Option<bool>,
}

impl fmt::Debug for ConfigBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ConfigBuilder")
            .field("company_id", &self.company_id)
            .field("public_key", &self.public_key)
            .field("private_key", &self.private_key)
            .field("client_id", &self.client_id)
            .field("site", &self.site)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl ConfigBuilder {
    pub fn company_id(mut self, v: impl Into<String>) -> Self {
        self.company_id = Some(v.into());
        self
    }
    pub fn public_key(mut self, v: impl Into<String>) -> Self {
        self.public_key = Some(v.into());
        self
    }
    pub fn private_key(mut self, v: impl Into<String>) -> Self {
        self.private_key = Some(Secret::new(v));
        self
    }
    /// The integration's `clientId`, a UUID from developer.connectwise.com.
    pub fn client_id(mut self, v: impl Into<String>) -> Self {
        self.client_id = Some(v.into());
        self
    }
    /// A region name (`na`, `eu`, `au`, `staging`) or a host (`api-na.myconnectwise.net`).
    pub fn site(mut self, v: impl Into<String>) -> Self {
        self.site = Some(v.into());
        self
    }
    pub fn region(mut self, region: Region) -> Self {
        self.site = Some(region.site().to_owned());
        self
    }
    /// The codebase (`v4_6_release/`); discovered through `login/companyinfo` when not given.
    pub fn codebase(mut self, v: impl Into<String>) -> Self {
        self.codebase = Some(v.into());
        self
    }
    /// A full base URL (`http://127.0.0.1:8089/v4_6_release/apis/3.0/`) overriding site and
    /// codebase, e.g. for a sandbox.
    pub fn base_url(mut self, v: impl Into<String>) -> Self {
        self.base_url = Some(v.into());
        self
    }
    pub fn api_version(mut self, v: impl Into<String>) -> Self {
        self.api_version = Some(v.into());
        self
    }
    pub fn rate_limit(mut self, v: RateLimit) -> Self {
        self.rate_limit = Some(v);
        self
    }
    pub fn retry(mut self, v: RetryPolicy) -> Self {
        self.retry = Some(v);
        self
    }
    pub fn connect_timeout(mut self, v: Duration) -> Self {
        self.connect_timeout = Some(v);
        self
    }
    pub fn request_timeout(mut self, v: Duration) -> Self {
        self.request_timeout = Some(v);
        self
    }
    pub fn user_agent(mut self, v: impl Into<String>) -> Self {
        self.user_agent = Some(v.into());
        self
    }
    /// Called for every retry and every wait (rate limit or backoff).
    pub fn on_event(mut self, hook: impl Fn(&Event) + Send + Sync + 'static) -> Self {
        self.on_event = Some(Arc::new(hook));
        self
    }
    /// An extra trusted CA (PEM), e.g. a sandbox started with `--tls`.
    pub fn root_certificate_pem(mut self, pem: impl Into<Vec<u8>>) -> Self {
        self.root_certificates.push(pem.into());
        self
    }

    /// Whether responses are asked for gzip. By default they are, except from a server on
    /// this machine (a sandbox), where compressing a page costs CPU on both sides and saves no
    /// network.
    pub fn gzip(mut self, yes: bool) -> Self {
        self.gzip = Some(yes);
        self
    }

    pub fn build(self) -> Result<Config> {
        self.build_named(false)
    }

    /// With `env`, errors name the environment variable rather than the builder method.
    fn build_named(self, env: bool) -> Result<Config> {
        let name = |var: &str, method: &str| {
            if env {
                format!("CONNECTWISE_{var}")
            } else {
                format!("`{method}`")
            }
        };
        let required = |value: Option<String>, var: &str, method: &str, what: &str| {
            value.ok_or_else(|| Error::config(format!("{} is not set: {what}", name(var, method))))
        };
        let company_id = required(
            self.company_id,
            "COMPANY_ID",
            "company_id",
            "the ConnectWise company id you log in with",
        )?;
        let public_key = required(
            self.public_key,
            "PUBLIC_KEY",
            "public_key",
            "the API member's public key",
        )?;
        let private_key = self.private_key.ok_or_else(|| {
            Error::config(format!(
                "{} is not set: the API member's private key",
                name("PRIVATE_KEY", "private_key")
            ))
        })?;
        let client_id = required(
            self.client_id,
            "CLIENT_ID",
            "client_id",
            "the integration's clientId (a UUID from developer.connectwise.com)",
        )?;
        for (value, var, method) in [
            (&company_id, "COMPANY_ID", "company_id"),
            (&public_key, "PUBLIC_KEY", "public_key"),
        ] {
            if value.contains([':', '+']) || value.chars().any(char::is_control) {
                return Err(Error::config(format!(
                    "{} must not contain `:`, `+` or control characters",
                    name(var, method)
                )));
            }
        }
        if private_key.expose().chars().any(char::is_control) {
            return Err(Error::config(format!(
                "{} must not contain control characters",
                name("PRIVATE_KEY", "private_key")
            )));
        }
        if !cwpsa_core::client_id::is_uuid(&client_id) {
            return Err(Error::config(format!(
                "{} is `{client_id}`, which is not a UUID (like 00000000-0000-4000-8000-000000000000)",
                name("CLIENT_ID", "client_id")
            )));
        }
        let base_url = match self.base_url {
            None => None,
            Some(text) => Some(parse_base_url(&text).map_err(|why| {
                Error::config(format!(
                    "{} is `{text}`: {why}",
                    name("BASE_URL", "base_url")
                ))
            })?),
        };
        let site = match self.site {
            None => None,
            Some(text) => Some(Site::parse(&text).ok_or_else(|| {
                Error::config(format!(
                    "{} is `{text}`: expected a region (na, eu, au, staging) or a host like api-na.myconnectwise.net",
                    name("SITE", "site")
                ))
            })?),
        };
        if base_url.is_none() && site.is_none() {
            return Err(Error::config(format!(
                "neither {} nor {} is set: name the ConnectWise site (or a full base URL)",
                name("SITE", "site"),
                name("BASE_URL", "base_url")
            )));
        }
        let codebase = match self.codebase {
            None => None,
            Some(text) => {
                let trimmed = text.trim().trim_matches('/');
                if trimmed.is_empty()
                    || !trimmed
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
                {
                    return Err(Error::config(format!(
                        "{} is `{text}`: expected a codebase like v4_6_release/",
                        name("CODEBASE", "codebase")
                    )));
                }
                Some(format!("{trimmed}/"))
            }
        };
        let api_version = self
            .api_version
            .unwrap_or_else(|| DEFAULT_API_VERSION.to_owned());
        if api_version.is_empty() || !api_version.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
            return Err(Error::config(format!(
                "{} is `{api_version}`: expected a version like 2025.1",
                name("API_VERSION", "api_version")
            )));
        }
        let rate_limit = match (self.rate_limit, self.rate_limit_text) {
            (Some(r), _) => r,
            (None, Some(text)) => text.parse().map_err(|why: String| {
                Error::config(format!("{}: {why}", name("RATE_LIMIT", "rate_limit")))
            })?,
            (None, None) => RateLimit::default(),
        };
        Ok(Config {
            company_id,
            public_key,
            private_key,
            client_id,
            site,
            codebase,
            base_url,
            api_version,
            rate_limit,
            retry: self.retry.unwrap_or_default(),
            connect_timeout: self.connect_timeout.unwrap_or(Duration::from_secs(10)),
            request_timeout: self.request_timeout.unwrap_or(Duration::from_secs(120)),
            user_agent: self
                .user_agent
                .unwrap_or_else(|| format!("cwpsa-rs/{}", env!("CARGO_PKG_VERSION"))),
            on_event: self.on_event,
            root_certificates: self.root_certificates,
            gzip: self.gzip,
        })
    }
}

fn parse_base_url(text: &str) -> Result<reqwest::Url, String> {
    let mut with_slash = text.trim().to_owned();
    if !with_slash.ends_with('/') {
        with_slash.push('/');
    }
    let url = reqwest::Url::parse(&with_slash).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "https" => {}
        "http" if url.host_str().is_some_and(is_loopback) => {}
        "http" => {
            return Err(
                "plain http is only allowed for a loopback sandbox; ConnectWise requires https"
                    .to_owned(),
            );
        }
        other => return Err(format!("scheme `{other}` is not http(s)")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err("a base URL has no query, fragment or user info".to_owned());
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_parse() {
        assert_eq!("off".parse(), Ok(RateLimit::Off));
        assert_eq!(
            "60/6s".parse(),
            Ok(RateLimit::Budget {
                requests: 60,
                per: Duration::from_secs(6)
            })
        );
        assert_eq!(
            "1000/60".parse(),
            Ok(RateLimit::Budget {
                requests: 1000,
                per: Duration::from_secs(60)
            })
        );
        for bad in ["", "60", "0/60s", "60/0s", "x/60s", "60/-1s", "60/NaNs"] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }

    #[test]
    fn sites_parse() {
        assert_eq!(
            Site::parse("eu").map(|s| s.host),
            Some("api-eu.myconnectwise.net".into())
        );
        assert_eq!(
            Site::parse("https://api-na.myconnectwise.net/").map(|s| s.scheme),
            Some("https")
        );
        assert_eq!(
            Site::parse("http://127.0.0.1:8089").map(|s| s.scheme),
            Some("http")
        );
        assert!(Site::parse("http://api-na.myconnectwise.net").is_none());
        assert!(Site::parse("evil.com/path").is_none());
    }

    #[test]
    fn only_a_server_on_this_machine_is_local() {
        let config = |base_url: Option<&str>, site: &str| {
            let b = Config::builder()
                .company_id("acme")
                .public_key("pub")
                .private_key("key")
                .client_id("00000000-0000-4000-8000-000000000000")
                .site(site);
            match base_url {
                Some(url) => b.base_url(url),
                None => b,
            }
            .build()
            .map(|c| c.server_is_local())
            .map_err(|e| e.to_string())
        };
        for local in [
            "http://127.0.0.1:8089/v4_6_release/apis/3.0/",
            "https://localhost/v4_6_release/apis/3.0/",
            "http://[::1]:80/v4_6_release/apis/3.0/",
        ] {
            assert_eq!(config(Some(local), "na"), Ok(true), "{local}");
        }
        assert_eq!(config(None, "http://127.0.0.1:8089"), Ok(true));
        // The base URL wins over the site.
        assert_eq!(
            config(
                Some("https://api-eu.myconnectwise.net/v2025_1/apis/3.0/"),
                "http://127.0.0.1:1"
            ),
            Ok(false)
        );
        assert_eq!(config(None, "na"), Ok(false));
        assert_eq!(config(None, "https://10.0.0.1"), Ok(false));
        assert_eq!(config(None, "https://localhost.example.com"), Ok(false));
    }
}
