//! A request built but not sent, for dry runs and logs: the final URL and the headers as they
//! would travel, with the credentials redacted.

use reqwest::header::{self, HeaderValue};
use reqwest::{Method, Url};

use super::{Client, MAX_URL_LEN, RequestBuilder};
use crate::error::{Error, ErrorKind, Result};

/// What [`RequestBuilder::send`] would send, without sending it. The `Authorization` header's
/// value is always `Basic ***` here: the real one never leaves the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedRequest {
    pub method: Method,
    /// The full URL, query encoded exactly as it would be sent.
    pub url: Url,
    /// Header names and values in sending order; sensitive values are `***`.
    pub headers: Vec<(String, String)>,
    pub body: Option<Vec<u8>>,
}

/// Shown instead of the credentials.
const REDACTED_AUTH: &str = "Basic ***";

impl Client {
    /// The API base URL if it is known without a request: configured (base URL, or site and
    /// codebase) or already discovered. `None` when the codebase is still to be discovered.
    pub fn known_base_url(&self) -> Option<Url> {
        if let Ok(base) = self.inner.base.try_lock()
            && let Some(url) = base.as_ref()
        {
            return Some(url.clone());
        }
        let config = &self.inner.config;
        if let Some(url) = &config.base_url {
            return Some(url.clone());
        }
        let site = config.site.as_ref()?;
        let codebase = config.codebase.as_ref()?;
        Url::parse(&format!("{}/{codebase}apis/3.0/", site.origin())).ok()
    }
}

impl RequestBuilder {
    /// Builds the request against `base` (see [`Client::known_base_url`]) without sending it,
    /// with the same checks as [`RequestBuilder::send`] (path, URL length, body encoding).
    pub fn prepare(&self, base: &Url) -> Result<PreparedRequest> {
        let fail = |e: Error| e.with_request(self.method.as_str(), &self.path);
        if let Some(e) = &self.error {
            return Err(fail(Error::new(e.kind(), e.message())));
        }
        if self.path.contains(['?', '#', '\\'])
            || self.path.split('/').any(|s| s == ".." || s == ".")
        {
            return Err(fail(Error::new(
                ErrorKind::InvalidArgument,
                "a path is relative to the API base, without `..`, `?` or `#`",
            )));
        }
        let mut url = base.join(&self.path).map_err(|e| {
            fail(Error::new(
                ErrorKind::InvalidArgument,
                format!("invalid path: {e}"),
            ))
        })?;
        let qs = self.params.to_query_string();
        if !qs.is_empty() {
            url.set_query(Some(&qs));
        }
        if url.as_str().len() > MAX_URL_LEN {
            return Err(fail(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the request URL would be {} characters, over the {MAX_URL_LEN} that servers accept",
                    url.as_str().len()
                ),
            )));
        }
        let inner = &self.client.inner;
        let text = |v: &HeaderValue| {
            if v.is_sensitive() {
                "***".to_owned()
            } else {
                String::from_utf8_lossy(v.as_bytes()).into_owned()
            }
        };
        let mut headers = vec![
            (header::ACCEPT.to_string(), text(&inner.accept)),
            (header::AUTHORIZATION.to_string(), REDACTED_AUTH.to_owned()),
            ("clientId".to_owned(), text(&inner.client_id)),
            (
                header::USER_AGENT.to_string(),
                inner.config.user_agent.clone(),
            ),
        ];
        for (name, value) in &self.headers {
            let value = if *name == header::AUTHORIZATION {
                REDACTED_AUTH.to_owned()
            } else {
                text(value)
            };
            headers.push((name.to_string(), value));
        }
        if self.body.is_some() {
            headers.push((
                header::CONTENT_TYPE.to_string(),
                "application/json".to_owned(),
            ));
        }
        Ok(PreparedRequest {
            method: self.method.clone(),
            url,
            headers,
            body: self.body.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Config, Query};

    fn client(base: Option<&str>) -> Client {
        let mut b = Config::builder()
            .company_id("acme")
            .public_key("pub")
            .private_key("very-secret-key")
            .client_id("00000000-0000-4000-8000-000000000000");
        b = match base {
            Some(url) => b.base_url(url),
            None => b.site("na"),
        };
        Client::new(b.build().expect("valid config")).expect("client builds")
    }

    #[test]
    fn prepared_request_has_the_encoded_url_and_no_credentials() {
        let c = client(Some("http://127.0.0.1:9/v4_6_release/apis/3.0/"));
        let base = c.known_base_url().expect("a base URL is configured");
        let query = Query::new()
            .conditions(r#"summary = "a+b c" and closedFlag = false"#)
            .page_size(10);
        let p = c
            .request(Method::POST, "service/tickets")
            .query(&query)
            .json(&serde_json::json!({"summary": "x"}))
            .prepare(&base)
            .expect("prepares");
        assert_eq!(
            p.url.as_str(),
            "http://127.0.0.1:9/v4_6_release/apis/3.0/service/tickets?conditions=summary%20%3D%20%22a%2Bb%20c%22%20and%20closedFlag%20%3D%20false&pageSize=10"
        );
        let dump = format!("{p:?}");
        assert!(!dump.contains("very-secret-key"), "{dump}");
        // base64 of "acme+pub:very-secret-key" starts with this.
        assert!(!dump.contains("YWNtZStwdWI6"), "{dump}");
        assert!(
            p.headers
                .iter()
                .any(|(k, v)| k == "authorization" && v == "Basic ***")
        );
        assert!(p.headers.iter().any(|(k, _)| k == "content-type"));
        assert_eq!(p.body.as_deref(), Some(br#"{"summary":"x"}"#.as_slice()));
    }

    #[test]
    fn base_url_unknown_until_discovered_and_bad_input_is_an_error() {
        let c = client(None);
        assert_eq!(c.known_base_url(), None);
        let base = Url::parse("https://h/v1/apis/3.0/").expect("url");
        let bad = c.request(Method::GET, "../x").prepare(&base);
        assert_eq!(bad.map_err(|e| e.kind()), Err(ErrorKind::InvalidArgument));
        let bad = c
            .request(Method::GET, "service/tickets")
            .query(&Query::new().conditions("summary = "))
            .prepare(&base);
        assert!(bad.is_err());
    }
}
