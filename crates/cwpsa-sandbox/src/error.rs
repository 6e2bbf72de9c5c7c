//! ConnectWise-shaped error responses.
//!
//! Every failure the sandbox reports is a JSON body `{"code","message","errors"}` with the status
//! the real service uses, so that clients exercise their error handling exactly as in production.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// One entry of the `errors` array: which field or resource failed and why.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct FieldError {
    pub code: String,
    pub message: String,
    pub resource: String,
    pub field: String,
}

/// An error answered to an API client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub errors: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            errors: Vec::new(),
        }
    }

    /// 400 `InvalidArgument`: a query parameter (conditions, orderBy, fields, page...) is wrong.
    pub fn invalid_argument(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "InvalidArgument", message)
    }

    /// 400 `InvalidObject` with one child error per failing field.
    pub fn invalid_object(resource: &str, errors: Vec<FieldError>) -> ApiError {
        let message = match errors.as_slice() {
            [only] => only.message.clone(),
            _ => format!("{resource} object is invalid"),
        };
        ApiError {
            status: StatusCode::BAD_REQUEST,
            code: "InvalidObject",
            message,
            errors,
        }
    }

    /// 404 for a record that does not exist (the real service's `NotFound`).
    pub fn record_not_found(resource: &str, id: i64) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("{resource} {id} not found"),
        )
    }

    /// 404 for a path the API does not have.
    pub fn unknown_route() -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "ConnectWiseApi",
            "The endpoint does not exist.",
        )
    }

    pub fn method_not_allowed(method: &str) -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            format!("The requested resource does not support http method '{method}'."),
        )
    }

    /// 501 for an operation of the description the sandbox does not emulate (an action such
    /// as `POST service/tickets/{parentId}/merge`): a clear refusal, never a made-up success.
    /// `docs/sandbox-actions.md` lists them.
    pub fn not_emulated(operation: &cwpsa_core::schema::Operation) -> ApiError {
        ApiError::new(
            StatusCode::NOT_IMPLEMENTED,
            "NotImplemented",
            format!(
                "The sandbox does not emulate {} {} ({}): it is an action, not a read or write \
                 of a collection's records. See docs/sandbox-actions.md.",
                operation.method, operation.path, operation.operation_id
            ),
        )
    }

    /// 500 for a storage failure: the client sees a server error, the details stay in the log.
    pub fn internal(detail: &impl std::fmt::Display) -> ApiError {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalServerError",
            format!("An error occurred on the server: {detail}"),
        )
    }
}

impl FieldError {
    pub fn new(code: &str, message: impl Into<String>, resource: &str, field: &str) -> FieldError {
        FieldError {
            code: code.to_owned(),
            message: message.into(),
            resource: resource.to_owned(),
            field: field.to_owned(),
        }
    }
}

#[derive(Serialize)]
struct Body<'a> {
    code: &'a str,
    message: &'a str,
    errors: Option<&'a [FieldError]>,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code,
            message: &self.message,
            errors: (!self.errors.is_empty()).then_some(self.errors.as_slice()),
        };
        let json = serde_json::to_vec(&body).unwrap_or_default();
        let mut response = (self.status, json).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json; charset=utf-8"),
        );
        response
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl std::error::Error for ApiError {}
