//! One error type for everything the client can fail at, with a kind a program can match on.
//!
//! Bodies are parsed leniently: the seed's `{"code","message","errors"}`, the real service's
//! `{"error":"ConnectWiseAPI","message":..}`, and anything else (an HTML 502 page) all become an
//! [`Error`] without a second failure.

use std::fmt;
use std::time::Duration;

use serde::Deserialize;

/// What went wrong, coarsely enough to decide what to do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// 401: the company id, public key or private key is wrong.
    Credentials,
    /// 401: the `clientId` header is missing or not a registered id.
    MissingClientId,
    /// 403: the API member's security role lacks the permission.
    Permission,
    /// 404: the record or the endpoint does not exist.
    NotFound,
    /// 400 about the request (conditions, orderBy, pageSize, version...), or a query the client
    /// refused to send.
    InvalidArgument,
    /// 400 about a record's fields; [`Error::field_errors`] lists them.
    InvalidObject,
    /// 409 `ObjectExists`: a duplicate.
    Conflict,
    /// 409 `RecordLocked`: someone else holds the record.
    Locked,
    /// 429 after the retries the policy allows.
    RateLimited,
    /// 5xx after the retries the policy allows.
    Server,
    /// The request (or connecting) took longer than the configured timeout.
    Timeout,
    /// Connection refused, reset, TLS failure...
    Transport,
    /// A redirect the client refuses to follow (https→http, or any redirect of a write).
    Redirect,
    /// A response body that does not match the expected type.
    Decode,
    /// A missing or malformed setting.
    Config,
    /// Any other HTTP status (405, 413, 415...).
    Http,
}

/// One entry of a ConnectWise `errors` array.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(default)]
pub struct FieldError {
    #[serde(deserialize_with = "lenient_string")]
    pub code: String,
    #[serde(deserialize_with = "lenient_string")]
    pub message: String,
    #[serde(deserialize_with = "lenient_string")]
    pub resource: String,
    #[serde(deserialize_with = "lenient_string")]
    pub field: String,
}

/// The client's error: a kind, and for API errors the HTTP status and the ConnectWise body.
pub struct Error {
    inner: Box<Inner>,
}

struct Inner {
    kind: ErrorKind,
    status: Option<u16>,
    code: Option<String>,
    message: String,
    errors: Vec<FieldError>,
    /// `METHOD path` of the request, when there was one. Never holds credentials: those travel
    /// in headers only.
    request: Option<String>,
    retry_after: Option<Duration>,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
}

impl Error {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            inner: Box::new(Inner {
                kind,
                status: None,
                code: None,
                message: message.into(),
                errors: Vec::new(),
                request: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::new(ErrorKind::Config, message)
    }

    pub(crate) fn with_source(
        mut self,
        source: impl std::error::Error + Send + Sync + 'static,
    ) -> Error {
        self.inner.source = Some(Box::new(source));
        self
    }

    pub(crate) fn with_request(mut self, method: &str, path: &str) -> Error {
        self.inner.request = Some(format!("{method} {path}"));
        self
    }

    pub(crate) fn with_retry_after(mut self, wait: Option<Duration>) -> Error {
        self.inner.retry_after = wait;
        self
    }

    /// Builds the error for a non-success response from its status and raw body.
    pub fn from_response(status: u16, body: &[u8]) -> Error {
        let parsed = parse_body(body);
        let (code, message, errors) = match parsed {
            Some(b) => (b.code, b.message, b.errors),
            None => (None, summarize_text(body), Vec::new()),
        };
        let kind = classify(status, code.as_deref(), &message, &errors);
        let message = if message.is_empty() {
            format!("HTTP {status} with an empty body")
        } else {
            message
        };
        Error {
            inner: Box::new(Inner {
                kind,
                status: Some(status),
                code,
                message,
                errors,
                request: None,
                retry_after: None,
                source: None,
            }),
        }
    }

    pub(crate) fn from_reqwest(error: reqwest::Error) -> Error {
        // reqwest's "decode" errors come from reading the body (gzip over a connection cut
        // mid-response), never from JSON, which is decoded here: a transport failure, which an
        // idempotent request may retry.
        let kind = if error.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Transport
        };
        // reqwest's Display includes the URL, which never holds secrets here.
        let message = match kind {
            ErrorKind::Timeout => "the request timed out".to_owned(),
            _ => format!("transport error: {error}"),
        };
        Error::new(kind, message).with_source(error)
    }

    pub fn kind(&self) -> ErrorKind {
        self.inner.kind
    }

    /// The HTTP status, for errors the server answered.
    pub fn status(&self) -> Option<u16> {
        self.inner.status
    }

    /// The ConnectWise `code` (`InvalidObject`, `NotFound`, `RecordLocked`...), or the
    /// `error` field of the real service's alternative body.
    pub fn code(&self) -> Option<&str> {
        self.inner.code.as_deref()
    }

    pub fn message(&self) -> &str {
        &self.inner.message
    }

    /// The body's `errors[]`: which field of which resource failed.
    pub fn field_errors(&self) -> &[FieldError] {
        &self.inner.errors
    }

    /// For rate-limit errors: how long the server asked to wait.
    pub fn retry_after(&self) -> Option<Duration> {
        self.inner.retry_after
    }

    /// Whether retrying an idempotent request could succeed.
    pub fn is_transient(&self) -> bool {
        match self.inner.kind {
            ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::RateLimited => true,
            ErrorKind::Server => matches!(self.inner.status, Some(500 | 502 | 503 | 504) | None),
            _ => false,
        }
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.inner.kind)
            .field("status", &self.inner.status)
            .field("code", &self.inner.code)
            .field("message", &self.inner.message)
            .field("errors", &self.inner.errors)
            .field("request", &self.inner.request)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(request) = &self.inner.request {
            write!(f, "{request}: ")?;
        }
        if let Some(status) = self.inner.status {
            write!(f, "HTTP {status} ")?;
        }
        if let Some(code) = &self.inner.code {
            write!(f, "{code}: ")?;
        }
        f.write_str(&self.inner.message)?;
        for e in &self.inner.errors {
            write!(f, "; {}", e.message)?;
            if !e.field.is_empty() {
                write!(f, " (field `{}`", e.field)?;
                if !e.resource.is_empty() {
                    write!(f, " of {}", e.resource)?;
                }
                f.write_str(")")?;
            }
        }
        Ok(())
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.inner
            .source
            .as_deref()
            .map(|s| s as &(dyn std::error::Error + 'static))
    }
}

struct Body {
    code: Option<String>,
    message: String,
    errors: Vec<FieldError>,
}

/// Both shapes at once; every field optional so that a partial body still parses.
#[derive(Deserialize)]
struct RawBody {
    #[serde(default, alias = "Code")]
    code: Option<serde_json::Value>,
    #[serde(default, alias = "Error")]
    error: Option<serde_json::Value>,
    #[serde(default, alias = "Message")]
    message: Option<serde_json::Value>,
    #[serde(default, alias = "Errors")]
    errors: Option<Vec<FieldError>>,
}

fn parse_body(body: &[u8]) -> Option<Body> {
    // serde would read a struct from an array too; only an object is an error body.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let raw: RawBody = serde_json::from_slice(body).ok()?;
    let text = |v: Option<serde_json::Value>| match v {
        Some(serde_json::Value::String(s)) => Some(s),
        Some(serde_json::Value::Null) | None => None,
        Some(other) => Some(other.to_string()),
    };
    let code = text(raw.code).or_else(|| text(raw.error));
    let message = text(raw.message).unwrap_or_default();
    if code.is_none() && message.is_empty() && raw.errors.is_none() {
        return None;
    }
    Some(Body {
        code,
        message,
        errors: raw.errors.unwrap_or_default(),
    })
}

/// The start of a non-JSON body, tags stripped, so that an HTML error page still says
/// something useful in one line.
fn summarize_text(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            _ if in_tag => {}
            c if c.is_whitespace() => out.push(' '),
            c => out.push(c),
        }
    }
    let words: Vec<&str> = out.split_whitespace().collect();
    let mut joined = words.join(" ");
    if joined.chars().count() > 200 {
        joined = joined.chars().take(200).collect::<String>() + "…";
    }
    joined
}

fn classify(status: u16, code: Option<&str>, message: &str, errors: &[FieldError]) -> ErrorKind {
    let code_is = |c: &str| code.is_some_and(|x| x.eq_ignore_ascii_case(c));
    match status {
        401 if code_is("MissingClientId") || code_is("InvalidClientId") => {
            ErrorKind::MissingClientId
        }
        401 => ErrorKind::Credentials,
        403 => ErrorKind::Permission,
        404 => ErrorKind::NotFound,
        400 if code_is("InvalidObject") || !errors.is_empty() => ErrorKind::InvalidObject,
        400 => ErrorKind::InvalidArgument,
        409 if code_is("ObjectExists") => ErrorKind::Conflict,
        409 => ErrorKind::Locked,
        408 => ErrorKind::Timeout,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Server,
        _ if message.is_empty() => ErrorKind::Http,
        _ => ErrorKind::Http,
    }
}

/// Seconds named in a 429 message: "Try again in 30 seconds."
pub(crate) fn seconds_in_message(message: &str) -> Option<u64> {
    let lower = message.to_ascii_lowercase();
    let at = lower.find("again in")?;
    lower[at + "again in".len()..]
        .split(|c: char| !c.is_ascii_digit())
        .find(|s| !s.is_empty())?
        .parse()
        .ok()
}

fn lenient_string<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(d)?;
    Ok(match value {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s,
        Some(other) => other.to_string(),
    })
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_body_with_field_errors() {
        let body = br#"{"code":"InvalidObject","message":"Ticket object is invalid","errors":[{"code":"MissingRequiredField","message":"summary is required","resource":"Ticket","field":"summary"}]}"#;
        let e = Error::from_response(400, body);
        assert_eq!(e.kind(), ErrorKind::InvalidObject);
        assert_eq!(e.code(), Some("InvalidObject"));
        assert_eq!(e.field_errors()[0].field, "summary");
        assert!(e.to_string().contains("field `summary` of Ticket"), "{e}");
    }

    #[test]
    fn real_service_body_and_rate_limit_message() {
        let body = br#"{"error":"ConnectWiseAPI","message":"Too many requests. Please try again in 30 seconds."}"#;
        let e = Error::from_response(429, body);
        assert_eq!(e.kind(), ErrorKind::RateLimited);
        assert_eq!(e.code(), Some("ConnectWiseAPI"));
        assert_eq!(seconds_in_message(e.message()), Some(30));
        assert_eq!(
            seconds_in_message("Rate limit exceeded. Try again in 7 seconds."),
            Some(7)
        );
        assert_eq!(seconds_in_message("Rate limit exceeded."), None);
    }

    #[test]
    fn html_and_empty_bodies() {
        let body = b"<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
        let e = Error::from_response(502, body);
        assert_eq!(e.kind(), ErrorKind::Server);
        assert_eq!(e.status(), Some(502));
        assert!(e.message().contains("502 Bad Gateway"), "{}", e.message());
        assert!(!e.message().contains('<'));
        assert!(e.is_transient());
        let empty = Error::from_response(503, b"");
        assert!(empty.message().contains("503"));
        let junk = Error::from_response(500, b"\xff\xfe{not json");
        assert_eq!(junk.kind(), ErrorKind::Server);
    }

    #[test]
    fn statuses_and_codes_map_to_kinds() {
        let cases: [(u16, &str, ErrorKind); 10] = [
            (
                401,
                r#"{"code":"InvalidCredentials","message":"x"}"#,
                ErrorKind::Credentials,
            ),
            (
                401,
                r#"{"code":"MissingClientId","message":"x"}"#,
                ErrorKind::MissingClientId,
            ),
            (
                401,
                r#"{"code":"ConnectWiseApi","message":"UserNotAuthenticated"}"#,
                ErrorKind::Credentials,
            ),
            (
                403,
                r#"{"code":"Forbidden","message":"x"}"#,
                ErrorKind::Permission,
            ),
            (
                404,
                r#"{"code":"NotFound","message":"Contact 57919 not found"}"#,
                ErrorKind::NotFound,
            ),
            (
                400,
                r#"{"code":"InvalidArgument","message":"pageSize"}"#,
                ErrorKind::InvalidArgument,
            ),
            (
                409,
                r#"{"code":"RecordLocked","message":"x"}"#,
                ErrorKind::Locked,
            ),
            (
                409,
                r#"{"code":"ObjectExists","message":"x"}"#,
                ErrorKind::Conflict,
            ),
            (
                500,
                r#"{"code":"InternalServerError","message":"timeout expired"}"#,
                ErrorKind::Server,
            ),
            (
                415,
                r#"{"code":"UnsupportedMediaType","message":"x","errors":null}"#,
                ErrorKind::Http,
            ),
        ];
        for (status, body, kind) in cases {
            assert_eq!(
                Error::from_response(status, body.as_bytes()).kind(),
                kind,
                "{body}"
            );
        }
    }

    #[test]
    fn odd_json_shapes_still_parse() {
        let e = Error::from_response(
            400,
            br#"{"code":5,"message":null,"errors":[{"field":null}]}"#,
        );
        assert_eq!(e.code(), Some("5"));
        assert_eq!(e.field_errors().len(), 1);
        let e = Error::from_response(400, br#"["not","an","object"]"#);
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        assert!(e.message().contains("not"));
    }
}
