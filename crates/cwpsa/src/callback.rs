//! Receiving callbacks: verifying `x-content-signature` over the raw body and decoding the
//! payload.
//!
//! The signature is base64(HMAC-SHA256(key = SHA-256(signing_key), message = raw body)), and the
//! signing key is fetched from the payload's own `Metadata.key_url`. That URL is attacker-chosen
//! input: it is fetched only over HTTPS and only from a trusted host (the configured ConnectWise
//! site, or a host the caller explicitly trusts), else anyone could sign a forgery with a key
//! they serve themselves (and make the receiver fetch arbitrary URLs).

use std::collections::HashMap;
use std::sync::Mutex;

use base64::Engine;
use reqwest::Url;
use reqwest::header::HeaderMap;
use ring::{digest, hmac};
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

use crate::model::CallbackAction;
use crate::transport::Client;

/// Why a delivered callback was rejected. Forged, tampered and replayed-with-another-body
/// payloads all end in [`VerifyError::SignatureMismatch`]: cryptographically they are the same
/// event, a signature that does not fit these bytes under the site's key.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    #[error("the callback has no x-content-signature header")]
    MissingSignature,
    #[error("the x-content-signature header is not base64 of a 32-byte HMAC")]
    MalformedSignature,
    #[error("the callback body is not a ConnectWise callback payload: {0}")]
    MalformedPayload(String),
    /// The payload names a key URL the verifier will not fetch.
    #[error("refusing to fetch the signing key from {url}: {reason}")]
    UntrustedKeyUrl { url: String, reason: String },
    #[error("cannot fetch the signing key from {url}: {reason}")]
    KeyFetch { url: String, reason: String },
    #[error("the signature does not match the body: the callback is forged or was altered")]
    SignatureMismatch,
    #[error("the callback's Entity is not valid JSON: {0}")]
    Entity(String),
}

/// A verified callback.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct CallbackPayload {
    #[serde(default, deserialize_with = "lenient_string")]
    pub message_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub from_url: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub company_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub member_id: Option<String>,
    #[serde(default)]
    pub action: Option<CallbackAction>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub r#type: Option<String>,
    #[serde(default, rename = "ID")]
    pub id: Option<i64>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub product_instance_id: Option<String>,
    #[serde(default, deserialize_with = "lenient_string")]
    pub partner_id: Option<String>,
    /// The record, decoded from the JSON string ConnectWise sends (`None` on delete).
    #[serde(default, deserialize_with = "entity_from_string")]
    pub entity: Option<Value>,
    #[serde(default)]
    pub metadata: Option<Metadata>,
    #[serde(default)]
    pub callback_object_rec_id: Option<i64>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Metadata {
    pub key_url: String,
}

impl CallbackPayload {
    /// The entity as a typed model (`Ticket`...).
    pub fn entity_as<T: serde::de::DeserializeOwned>(&self) -> crate::Result<Option<T>> {
        self.entity
            .as_ref()
            .map(|v| crate::transport::decode(v.to_string().as_bytes()))
            .transpose()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Trusted {
    host: String,
    allow_http: bool,
}

/// Verifies delivered callbacks; caches signing keys by key URL. Build it with
/// [`Client::callback_verifier`].
#[derive(Debug)]
#[must_use]
pub struct CallbackVerifier {
    http: reqwest::Client,
    trusted: Vec<Trusted>,
    /// key URL → SHA-256 of its signing key.
    keys: Mutex<HashMap<String, Vec<u8>>>,
}

impl Client {
    /// A verifier trusting the configured ConnectWise host (HTTPS only).
    pub fn callback_verifier(&self) -> CallbackVerifier {
        let trusted = self
            .inner
            .config
            .api_host()
            .map(|host| Trusted {
                host: host.to_ascii_lowercase(),
                allow_http: false,
            })
            .into_iter()
            .collect();
        CallbackVerifier {
            http: self.inner.http.clone(),
            trusted,
            keys: Mutex::new(HashMap::new()),
        }
    }
}

impl CallbackVerifier {
    /// Also trusts `host` (`host` or `host:port`), over HTTPS.
    pub fn trust_host(mut self, host: &str) -> CallbackVerifier {
        self.trusted.push(Trusted {
            host: host.to_ascii_lowercase(),
            allow_http: false,
        });
        self
    }

    /// Trusts a local sandbox's `host:port` over plain HTTP too. Loopback hosts only; any
    /// other host is ignored.
    pub fn trust_sandbox_host(mut self, host: &str) -> CallbackVerifier {
        if crate::config::is_loopback(host) {
            self.trusted.push(Trusted {
                host: host.to_ascii_lowercase(),
                allow_http: true,
            });
        }
        self
    }

    /// Verifies a delivered callback from its raw body and headers, then decodes it.
    pub async fn verify(
        &self,
        body: &[u8],
        headers: &HeaderMap,
    ) -> Result<CallbackPayload, VerifyError> {
        let signature = signature_from(headers)?;
        let payload = parse_payload(body)?;
        let key_url = payload
            .metadata
            .as_ref()
            .map(|m| m.key_url.clone())
            .ok_or_else(|| VerifyError::MalformedPayload("no Metadata.key_url".to_owned()))?;
        let url = self.check_key_url(&key_url)?;
        let cached = self.cached(&key_url);
        let key = match &cached {
            Some(k) => k.clone(),
            None => self.fetch_key(&url).await?,
        };
        if check(&key, body, &signature) {
            return Ok(payload);
        }
        // The key may have been rotated since it was cached: fetch it once more.
        if cached.is_some() {
            let fresh = self.fetch_key(&url).await?;
            if fresh != key && check(&fresh, body, &signature) {
                return Ok(payload);
            }
        }
        Err(VerifyError::SignatureMismatch)
    }

    fn check_key_url(&self, key_url: &str) -> Result<Url, VerifyError> {
        let reject = |reason: &str| VerifyError::UntrustedKeyUrl {
            url: key_url.to_owned(),
            reason: reason.to_owned(),
        };
        let url = Url::parse(key_url).map_err(|_| reject("not a URL"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(reject("the URL carries user info"));
        }
        let host = url
            .host_str()
            .ok_or_else(|| reject("no host"))?
            .to_ascii_lowercase();
        let with_port = match url.port() {
            Some(p) => format!("{host}:{p}"),
            None => host.clone(),
        };
        let matching: Vec<&Trusted> = self
            .trusted
            .iter()
            .filter(|t| t.host == with_port || (url.port().is_none() && t.host == host))
            .collect();
        if matching.is_empty() {
            return Err(reject("the host is not the configured ConnectWise site"));
        }
        match url.scheme() {
            "https" => Ok(url),
            "http" if matching.iter().any(|t| t.allow_http) => Ok(url),
            _ => Err(reject("signing keys are only fetched over https")),
        }
    }

    fn cached(&self, key_url: &str) -> Option<Vec<u8>> {
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .get(key_url)
            .cloned()
    }

    async fn fetch_key(&self, url: &Url) -> Result<Vec<u8>, VerifyError> {
        let fail = |reason: String| VerifyError::KeyFetch {
            url: url.to_string(),
            reason,
        };
        let response = self
            .http
            .get(url.clone())
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|e| fail(e.to_string()))?;
        if !response.status().is_success() {
            return Err(fail(format!("HTTP {}", response.status().as_u16())));
        }
        let body: KeyBody = response.json().await.map_err(|e| fail(e.to_string()))?;
        let hashed = digest::digest(&digest::SHA256, body.signing_key.as_bytes())
            .as_ref()
            .to_vec();
        self.keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(url.to_string(), hashed.clone());
        Ok(hashed)
    }
}

#[derive(Deserialize)]
struct KeyBody {
    signing_key: String,
}

/// Checks a signature against a known signing key, without any network: the signing half of
/// the scheme, for tests and for receivers that hold the key already.
pub fn verify_with_key(
    body: &[u8],
    signature_b64: &str,
    signing_key: &str,
) -> Result<(), VerifyError> {
    let signature = decode_signature(signature_b64)?;
    let key = digest::digest(&digest::SHA256, signing_key.as_bytes());
    if check(key.as_ref(), body, &signature) {
        Ok(())
    } else {
        Err(VerifyError::SignatureMismatch)
    }
}

/// Constant-time comparison by `ring::hmac::verify`.
fn check(hashed_key: &[u8], body: &[u8], signature: &[u8]) -> bool {
    let key = hmac::Key::new(hmac::HMAC_SHA256, hashed_key);
    hmac::verify(&key, body, signature).is_ok()
}

fn signature_from(headers: &HeaderMap) -> Result<Vec<u8>, VerifyError> {
    let value = headers
        .get("x-content-signature")
        .ok_or(VerifyError::MissingSignature)?
        .to_str()
        .map_err(|_| VerifyError::MalformedSignature)?;
    decode_signature(value)
}

fn decode_signature(text: &str) -> Result<Vec<u8>, VerifyError> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| VerifyError::MalformedSignature)?;
    if bytes.len() == 32 {
        Ok(bytes)
    } else {
        Err(VerifyError::MalformedSignature)
    }
}

fn parse_payload(body: &[u8]) -> Result<CallbackPayload, VerifyError> {
    serde_json::from_slice(body).map_err(|e| {
        if e.to_string().contains("Entity is not valid JSON") {
            VerifyError::Entity(e.to_string())
        } else {
            VerifyError::MalformedPayload(e.to_string())
        }
    })
}

fn entity_from_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => serde_json::from_str(&s)
            .map(Some)
            .map_err(|e| serde::de::Error::custom(format!("Entity is not valid JSON: {e}"))),
        // Tolerate an already-decoded object.
        Some(other) => Ok(Some(other)),
    }
}

fn lenient_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Option::<Value>::deserialize(d)? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
    })
}
