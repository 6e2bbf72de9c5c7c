//! Authentication as the real service does it: `Authorization: Basic
//! base64("{companyId}+{publicKey}:{privateKey}")` and a `clientId` header.

use axum::http::{HeaderMap, StatusCode};
use base64::Engine;

use crate::config::{COMPANY_ID, PRIVATE_KEY, PUBLIC_KEY};
use crate::error::ApiError;

/// Checks the request's credentials; on success returns the API member's public key.
pub(crate) fn authenticate(headers: &HeaderMap) -> Result<&'static str, ApiError> {
    let invalid = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidCredentials",
            "The credentials provided are invalid. Check the company id, public key and private key.",
        )
    };
    let header = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(invalid)?;
    let (scheme, encoded) = header.trim().split_once(' ').ok_or_else(invalid)?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return Err(invalid());
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .ok_or_else(invalid)?;
    let (user, private_key) = decoded.split_once(':').ok_or_else(invalid)?;
    let (company, public_key) = user.split_once('+').ok_or_else(invalid)?;
    // Company ids are case-insensitive in ConnectWise; keys are not.
    if !company.eq_ignore_ascii_case(COMPANY_ID)
        || public_key != PUBLIC_KEY
        || private_key != PRIVATE_KEY
    {
        return Err(invalid());
    }
    check_client_id(headers)?;
    Ok(PUBLIC_KEY)
}

/// Every request must name the integration's `clientId`, a UUID registered with ConnectWise;
/// the sandbox accepts any well-formed UUID.
fn check_client_id(headers: &HeaderMap) -> Result<(), ApiError> {
    let value = headers
        .get("clientid")
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match value {
        None | Some("") => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "MissingClientId",
            "A clientId header is required. Register an integration at developer.connectwise.com to get one.",
        )),
        Some(id) if cwpsa_core::client_id::is_uuid(id) => Ok(()),
        Some(_) => Err(ApiError::new(
            StatusCode::UNAUTHORIZED,
            "InvalidClientId",
            "The clientId header is not a valid client id (expected a UUID).",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(auth: &str, client: Option<&str>) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "authorization",
            auth.parse().unwrap_or_else(|_| unreachable!()),
        );
        if let Some(c) = client {
            h.insert("clientid", c.parse().unwrap_or_else(|_| unreachable!()));
        }
        h
    }

    fn basic(s: &str) -> String {
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(s)
        )
    }

    #[test]
    fn demo_credentials_pass_and_others_fail() {
        let client = Some("00000000-0000-4000-8000-000000000000");
        assert!(
            authenticate(&headers(
                &basic("Sandbox+sandbox-public:sandbox-private"),
                client
            ))
            .is_ok()
        );
        let wrong = authenticate(&headers(&basic("sandbox+sandbox-public:nope"), client));
        assert_eq!(wrong.map_err(|e| e.code), Err("InvalidCredentials"));
        let missing = authenticate(&headers(
            &basic("sandbox+sandbox-public:sandbox-private"),
            None,
        ));
        assert_eq!(missing.map_err(|e| e.code), Err("MissingClientId"));
        let bad = authenticate(&headers(
            &basic("sandbox+sandbox-public:sandbox-private"),
            Some("x"),
        ));
        assert_eq!(bad.map_err(|e| e.code), Err("InvalidClientId"));
    }
}
