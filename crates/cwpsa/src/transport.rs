//! The client and its request pipeline: base URL (with codebase discovery), authentication
//! headers, the shared rate limiter, retries, and a redirect policy that never downgrades to
//! http and never re-sends a write.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use reqwest::header::{self, HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::time::Instant;

use crate::config::Config;
use crate::error::{Error, ErrorKind, Result, seconds_in_message};
use crate::limiter::{Limiter, Signals};
use crate::query::{Encoded, Query};
use crate::retry::Event;

pub(crate) mod prepared;

/// URLs longer than this are not sent as GET (proxies and IIS cut them).
pub(crate) const MAX_URL_LEN: usize = 2000;
const MAX_REDIRECTS: usize = 5;

/// A ConnectWise PSA API client. Cheap to clone; clones share connections, the rate limiter
/// and the discovered codebase.
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) http: reqwest::Client,
    auth: HeaderValue,
    accept: HeaderValue,
    client_id: HeaderValue,
    limiter: Limiter,
    base: tokio::sync::Mutex<Option<Url>>,
    /// Whether a 404 from an unknown route may trigger one more codebase discovery: spent by
    /// the rediscovery, given back by any success, so that a tenant whose every path answers
    /// 404 is rediscovered once, not on every request.
    rediscovery_allowed: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.inner.config)
            .finish_non_exhaustive()
    }
}

/// A response read in full (bodies are at most one page).
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: bytes::Bytes,
}

impl Response {
    /// Decodes the body, naming the failing field's path on error.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T> {
        decode(&self.body)
    }
}

pub(crate) fn decode<T: DeserializeOwned>(body: &[u8]) -> Result<T> {
    let text = json_text(body, "the response")?;
    // The fast path; only a failure pays for decoding again while tracking the field's path.
    if let Ok(value) = serde_json::from_str(text) {
        return Ok(value);
    }
    let mut de = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        Error::new(
            ErrorKind::Decode,
            format!("cannot decode the response at `{path}`: {}", e.inner()),
        )
    })
}

/// A body as text, checked as UTF-8 once: serde_json's `from_str` then reads it without
/// validating every string again, as `from_slice` does string by string (a page of 1000
/// tickets holds some 100,000 strings).
pub(crate) fn json_text<'a>(body: &'a [u8], what: &str) -> Result<&'a str> {
    std::str::from_utf8(body).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!("{what} is not UTF-8 text, so not JSON: {e}"),
        )
    })
}

impl Client {
    pub fn new(config: Config) -> Result<Client> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .tcp_nodelay(true)
            .gzip(config.wants_gzip())
            .https_only(false)
            // Redirects are handled by hand: see `send_once`.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(config.user_agent.clone());
        for pem in &config.root_certificates {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| Error::config(format!("invalid root certificate: {e}")))?;
            builder = builder.add_root_certificate(cert);
        }
        let http = builder
            .build()
            .map_err(|e| Error::config(format!("cannot build the HTTP client: {e}")))?;
        let raw = format!(
            "{}+{}:{}",
            config.company_id,
            config.public_key,
            config.private_key.expose()
        );
        let mut auth = HeaderValue::from_str(&format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(raw)
        ))
        .map_err(|_| Error::config("the credentials cannot be sent in a header"))?;
        // Keeps it out of reqwest's and hyper's Debug output.
        auth.set_sensitive(true);
        let accept = HeaderValue::from_str(&format!(
            "application/vnd.connectwise.com+json; version={}",
            config.api_version
        ))
        .map_err(|_| Error::config("the API version cannot be sent in a header"))?;
        let client_id = HeaderValue::from_str(&config.client_id)
            .map_err(|_| Error::config("the client id cannot be sent in a header"))?;
        let limiter = Limiter::new(config.rate_limit);
        Ok(Client {
            inner: Arc::new(Inner {
                config,
                http,
                auth,
                accept,
                client_id,
                limiter,
                base: tokio::sync::Mutex::new(None),
                rediscovery_allowed: std::sync::atomic::AtomicBool::new(true),
            }),
        })
    }

    /// A client from the `CONNECTWISE_*` environment variables.
    pub fn from_env() -> Result<Client> {
        Client::new(Config::from_env()?)
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    /// The API base URL (`https://site/v2025_1/apis/3.0/`), discovering the codebase through
    /// `login/companyinfo` on first use when neither a codebase nor a base URL was configured.
    pub async fn base_url(&self) -> Result<Url> {
        let mut base = self.inner.base.lock().await;
        if let Some(url) = base.as_ref() {
            return Ok(url.clone());
        }
        let url = self.resolve_base().await?;
        *base = Some(url.clone());
        Ok(url)
    }

    /// After a 404 from an unknown route: discovers the codebase again (ConnectWise moves a
    /// tenant to a new codebase on upgrades) and returns the new base URL if it changed. Only
    /// for a discovered codebase, and at most once until a request succeeds again.
    async fn rediscover(&self, failed: &Url) -> Option<Url> {
        let config = &self.inner.config;
        if config.base_url.is_some()
            || config.codebase.is_some()
            || !self
                .inner
                .rediscovery_allowed
                .swap(false, std::sync::atomic::Ordering::SeqCst)
        {
            return None;
        }
        let mut base = self.inner.base.lock().await;
        if base.as_ref() != Some(failed) {
            // Another task has already moved on to a new base.
            return base.clone();
        }
        match self.resolve_base().await {
            Ok(url) if &url != failed => {
                tracing::warn!(old = %failed, new = %url, "the codebase changed; using the new one");
                *base = Some(url.clone());
                Some(url)
            }
            Ok(_) => None,
            Err(e) => {
                tracing::warn!(error = %e, "codebase rediscovery failed");
                None
            }
        }
    }

    async fn resolve_base(&self) -> Result<Url> {
        let config = &self.inner.config;
        if let Some(url) = &config.base_url {
            return Ok(url.clone());
        }
        let site = config
            .site
            .as_ref()
            .ok_or_else(|| Error::config("no site or base URL configured"))?;
        let codebase = match &config.codebase {
            Some(c) => c.clone(),
            None => self.discover_codebase().await?,
        };
        Url::parse(&format!("{}/{codebase}apis/3.0/", site.origin()))
            .map_err(|e| Error::config(format!("invalid base URL from site and codebase: {e}")))
    }

    /// `GET https://{site}/login/companyinfo/{companyId}` (no authentication).
    pub async fn discover_codebase(&self) -> Result<String> {
        let config = &self.inner.config;
        let site = config
            .site
            .as_ref()
            .ok_or_else(|| Error::config("codebase discovery needs a site"))?;
        let url = format!(
            "{}/login/companyinfo/{}",
            site.origin(),
            crate::query::encode_component(&config.company_id)
        );
        let response = self
            .inner
            .http
            .get(&url)
            .header(header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| Error::from_reqwest(e).with_request("GET", "login/companyinfo"))?;
        let status = response.status().as_u16();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::from_reqwest(e).with_request("GET", "login/companyinfo"))?;
        if !(200..300).contains(&status) {
            return Err(
                Error::from_response(status, &body).with_request("GET", "login/companyinfo")
            );
        }
        let info: CompanyInfo = decode(&body)?;
        let codebase = info
            .codebase
            .map(|c| c.trim().trim_matches('/').to_owned())
            .filter(|c| {
                !c.is_empty()
                    && c.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
            })
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "login/companyinfo for company `{}` named no usable Codebase",
                        config.company_id
                    ),
                )
            })?;
        tracing::debug!(codebase = %codebase, "discovered the codebase");
        Ok(format!("{codebase}/"))
    }

    /// A request to a path relative to the API base (`service/tickets`).
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder {
            client: self.clone(),
            method,
            path: path.trim_start_matches('/').to_owned(),
            params: Encoded::default(),
            body: None,
            headers: Vec::new(),
            retry_writes: false,
            error: None,
        }
    }

    pub(crate) fn notify(&self, event: &Event) {
        match event {
            Event::Retry {
                method,
                path,
                attempt,
                wait,
                reason,
            } => {
                tracing::warn!(%method, %path, attempt, wait_ms = wait.as_millis() as u64, %reason, "retrying");
            }
            Event::RateLimited { method, path, wait } => {
                tracing::warn!(%method, %path, wait_ms = wait.as_millis() as u64, "rate limited by the server (429); pausing");
            }
            Event::Throttled { .. } => {}
        }
        if let Some(hook) = &self.inner.config.on_event {
            hook(event);
        }
    }
}

/// A 404 for the route rather than for a record: ConnectWise's "The endpoint does not exist."
/// (code `ConnectWiseApi`), or a body that is not a ConnectWise error at all (a web server's
/// page), as every path of a retired codebase answers.
fn is_unknown_route(error: &Error) -> bool {
    match error.code() {
        Some(code) => code.eq_ignore_ascii_case("ConnectWiseApi"),
        None => true,
    }
}

/// The part of `login/companyinfo` the client uses.
#[derive(serde::Deserialize)]
struct CompanyInfo {
    #[serde(rename = "Codebase")]
    codebase: Option<String>,
}

/// One request being built: parameters, body, options; [`RequestBuilder::send`] runs it
/// through the limiter and the retry policy.
#[derive(Debug)]
#[must_use]
pub struct RequestBuilder {
    client: Client,
    method: Method,
    path: String,
    params: Encoded,
    body: Option<Vec<u8>>,
    headers: Vec<(HeaderName, HeaderValue)>,
    retry_writes: bool,
    error: Option<Error>,
}

impl RequestBuilder {
    /// Adds the query's filters and selection (not paging).
    pub fn query(mut self, query: &Query) -> RequestBuilder {
        match query.encode_filters(true) {
            Ok(enc) => self.params.pairs.extend(enc.pairs),
            Err(e) => self.error = self.error.or(Some(e)),
        }
        if let Some(n) = query.page_size_opt() {
            self.params.push("pageSize", n.to_string());
        }
        self
    }

    /// One query parameter, encoded strictly.
    pub fn param(mut self, name: &'static str, value: impl Into<String>) -> RequestBuilder {
        self.params.push(name, value);
        self
    }

    /// Makes the request fail with `error` when sent (the first such error wins).
    pub(crate) fn fail(mut self, error: Error) -> RequestBuilder {
        self.error = self.error.or(Some(error));
        self
    }

    pub(crate) fn params(mut self, params: Encoded) -> RequestBuilder {
        self.params.pairs.extend(params.pairs);
        self
    }

    pub fn json(mut self, body: &impl Serialize) -> RequestBuilder {
        match serde_json::to_vec(body) {
            Ok(bytes) => self.body = Some(bytes),
            Err(e) => {
                self.error = self.error.or(Some(Error::new(
                    ErrorKind::InvalidArgument,
                    format!("cannot encode the request body: {e}"),
                )));
            }
        }
        self
    }

    /// [`RequestBuilder::param`] when there is a value.
    pub fn param_opt(self, name: &'static str, value: Option<impl ToString>) -> RequestBuilder {
        match value {
            Some(v) => self.param(name, v.to_string()),
            None => self,
        }
    }

    /// A PATCH body: the operations, of which there must be at least one.
    pub fn patch_ops(self, ops: &crate::PatchOps) -> RequestBuilder {
        if ops.is_empty() {
            return self.fail(Error::new(
                ErrorKind::InvalidArgument,
                "a patch needs at least one operation",
            ));
        }
        self.json(ops)
    }

    pub fn header(mut self, name: HeaderName, value: HeaderValue) -> RequestBuilder {
        self.headers.push((name, value));
        self
    }

    /// Lets a POST or PATCH be retried on server errors and timeouts too. Only for writes that
    /// are safe to repeat: a retried create can create the record twice.
    pub fn retry_writes(mut self, yes: bool) -> RequestBuilder {
        self.retry_writes = yes;
        self
    }

    /// Sends and decodes a success body.
    pub async fn send_json<T: DeserializeOwned>(self) -> Result<T> {
        let (method, path) = (self.method.clone(), self.path.clone());
        self.send()
            .await?
            .json()
            .map_err(|e| e.with_request(method.as_str(), &path))
    }

    /// Sends, for an operation that answers without a body (a DELETE's 204).
    pub async fn send_empty(self) -> Result<()> {
        self.send().await.map(|_| ())
    }

    /// Sends and returns the body as it came (a file download).
    pub async fn send_bytes(self) -> Result<bytes::Bytes> {
        self.send().await.map(|response| response.body)
    }

    /// Sends, retrying as the policy allows; a non-2xx answer is an [`Error`].
    pub async fn send(self) -> Result<Response> {
        if let Some(e) = self.error {
            return Err(e.with_request(self.method.as_str(), &self.path));
        }
        let client = &self.client;
        let method_str = self.method.as_str().to_owned();
        let fail = |e: Error| e.with_request(&method_str, &self.path);
        self.check_path().map_err(fail)?;
        let mut base = client.base_url().await.map_err(fail)?;
        let mut url = self.url_on(&base).map_err(fail)?;
        let idempotent = matches!(
            self.method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        ) || self.retry_writes;
        let policy = client.inner.config.retry;
        let started = Instant::now();
        let mut attempt: u32 = 0;
        let mut rate_limited: u32 = 0;
        let notify = |e: &Event| client.notify(e);
        loop {
            attempt += 1;
            client.inner.limiter.acquire(&notify).await;
            let outcome = self.send_once(&url).await;
            let (error, wait) = match outcome {
                Ok(response) if (200..300).contains(&response.status) => {
                    client
                        .inner
                        .rediscovery_allowed
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    return Ok(response);
                }
                Ok(response) => {
                    let signals = Signals::from_headers(&response.headers);
                    let error = Error::from_response(response.status, &response.body);
                    if response.status == 404
                        && is_unknown_route(&error)
                        && let Some(new_base) = client.rediscover(&base).await
                    {
                        base = new_base;
                        url = self.url_on(&base).map_err(fail)?;
                        attempt -= 1;
                        continue;
                    }
                    if response.status == 429 {
                        let told = signals
                            .retry_after
                            .or_else(|| {
                                seconds_in_message(error.message()).map(Duration::from_secs)
                            })
                            .or(signals.reset);
                        let wait = told
                            .unwrap_or_else(|| policy.backoff(attempt).max(Duration::from_secs(1)));
                        rate_limited += 1;
                        let error = fail(error).with_retry_after(Some(wait));
                        // 429 means not processed: safe to resend whatever the method.
                        if rate_limited > policy.max_attempts.saturating_mul(4)
                            || started.elapsed() + wait > policy.max_elapsed
                        {
                            return Err(error);
                        }
                        let paused = client.inner.limiter.pause(wait);
                        notify(&Event::RateLimited {
                            method: method_str.clone(),
                            path: self.path.clone(),
                            wait: paused,
                        });
                        attempt -= 1;
                        continue;
                    }
                    let retryable = idempotent && matches!(response.status, 500 | 502 | 503 | 504);
                    if !retryable {
                        return Err(fail(error));
                    }
                    (fail(error), policy.backoff(attempt))
                }
                Err(error) => {
                    let retryable = idempotent
                        && matches!(error.kind(), ErrorKind::Transport | ErrorKind::Timeout);
                    if !retryable {
                        return Err(fail(error));
                    }
                    (fail(error), policy.backoff(attempt))
                }
            };
            if attempt >= policy.max_attempts || started.elapsed() + wait > policy.max_elapsed {
                return Err(error);
            }
            notify(&Event::Retry {
                method: method_str.clone(),
                path: self.path.clone(),
                attempt,
                wait,
                reason: error.to_string(),
            });
            tokio::time::sleep(wait).await;
        }
    }

    /// A path is relative to the API base: no way out of it, and no query smuggled in.
    fn check_path(&self) -> Result<()> {
        if self.path.contains(['?', '#', '\\'])
            || self.path.split('/').any(|s| s == ".." || s == ".")
        {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                "a path is relative to the API base, without `..`, `?` or `#` (use `param` or `query`)",
            ));
        }
        Ok(())
    }

    /// The full URL of this request on an API base.
    fn url_on(&self, base: &Url) -> Result<Url> {
        let mut url = base
            .join(&self.path)
            .map_err(|e| Error::new(ErrorKind::InvalidArgument, format!("invalid path: {e}")))?;
        let qs = self.params.to_query_string();
        if !qs.is_empty() {
            url.set_query(Some(&qs));
        }
        if url.as_str().len() > MAX_URL_LEN {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the request URL would be {} characters, over the {MAX_URL_LEN} that servers accept; shorten the conditions (or use an endpoint with POST .../search)",
                    url.as_str().len()
                ),
            ));
        }
        Ok(url)
    }

    /// One attempt, following safe redirects by hand.
    async fn send_once(&self, first: &Url) -> Result<Response> {
        let inner = &self.client.inner;
        let mut url = first.clone();
        for _ in 0..=MAX_REDIRECTS {
            let mut request = inner
                .http
                .request(self.method.clone(), url.clone())
                .header(header::ACCEPT, inner.accept.clone())
                .header(header::AUTHORIZATION, inner.auth.clone())
                .header("clientId", inner.client_id.clone());
            for (name, value) in &self.headers {
                request = request.header(name.clone(), value.clone());
            }
            if let Some(body) = &self.body {
                request = request
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(body.clone());
            }
            let t0 = Instant::now();
            let response = request.send().await.map_err(Error::from_reqwest)?;
            let status = response.status();
            let headers = response.headers().clone();
            tracing::debug!(
                method = %self.method,
                path = %self.path,
                status = status.as_u16(),
                elapsed_ms = t0.elapsed().as_millis() as u64,
                "request"
            );
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = headers
                    .get(header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|l| url.join(l).ok());
                let target = location
                    .as_ref()
                    .map_or("(no Location)", Url::as_str)
                    .to_owned();
                if !matches!(self.method, Method::GET | Method::HEAD) {
                    return Err(Error::new(
                        ErrorKind::Redirect,
                        format!(
                            "the server answered this {} with a {} redirect to {target}; a write is never re-sent on a redirect, as it may or may not have been applied: check the site or base URL",
                            self.method,
                            status.as_u16()
                        ),
                    ));
                }
                let Some(next) = location else {
                    return Err(Error::new(
                        ErrorKind::Redirect,
                        format!("a {} redirect without a Location", status.as_u16()),
                    ));
                };
                if url.scheme() == "https" && next.scheme() != "https" {
                    return Err(Error::new(
                        ErrorKind::Redirect,
                        format!(
                            "refusing a redirect from https to {target}: credentials would travel in clear text"
                        ),
                    ));
                }
                if next.host_str() != url.host_str()
                    || next.port_or_known_default() != url.port_or_known_default()
                        && next.scheme() == url.scheme()
                {
                    return Err(Error::new(
                        ErrorKind::Redirect,
                        format!(
                            "refusing a redirect to another host ({target}): credentials are only sent to the configured one"
                        ),
                    ));
                }
                url = next;
                continue;
            }
            let body = response.bytes().await.map_err(Error::from_reqwest)?;
            let response = Response {
                status: status.as_u16(),
                headers,
                body,
            };
            inner
                .limiter
                .observe(&Signals::from_headers(&response.headers));
            return Ok(response);
        }
        Err(Error::new(
            ErrorKind::Redirect,
            format!("more than {MAX_REDIRECTS} redirects"),
        ))
    }
}
