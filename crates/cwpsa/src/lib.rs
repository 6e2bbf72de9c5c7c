//! An async client for the ConnectWise PSA REST API.
//!
//! - [`Config`]: credentials and settings, from a builder or the `CONNECTWISE_*` environment.
//! - [`Client`]: authentication, a rate limiter shared by clones, retries with jittered backoff,
//!   typed errors ([`Error`], [`ErrorKind`]).
//! - [`Query`] and [`Client::list`]: typed conditions, and every record of a list as a stream.
//! - [`Client::get`], [`Client::count`], [`Client::create`], [`Client::update`],
//!   [`Client::patch`] ([`PatchOps`]), [`Client::delete`], with the models of [`model`] or
//!   `serde_json::Value` for any path.
//! - [`CallbackVerifier`]: checks a delivered callback's signature and decodes it.
//! - [`api`]: typed operations for every path of the API, generated from its description:
//!   `client.service().tickets().list(&query)`, `.get(id)`, `.count(&query)`,
//!   `.create(&ticket)`, `.update(id, &ticket)`, `.patch(id, &ops)`, `.delete(id)`, and child
//!   collections such as `client.service().tickets().notes(ticket_id)`. Each API area is a
//!   cargo feature (`service`, `finance`, ...; see `Cargo.toml`).

mod callback;
mod config;
mod error;
mod generated;
mod limiter;
pub mod model;
mod node;
mod pager;
mod query;
mod resource;
mod retry;
mod transport;

pub use generated::api;

pub use callback::{CallbackPayload, CallbackVerifier, Metadata, VerifyError, verify_with_key};
pub use config::{
    Config, ConfigBuilder, DEFAULT_API_VERSION, EventHook, RateLimit, Region, Secret,
};
pub use error::{Error, ErrorKind, FieldError, Result};
pub use pager::{DEFAULT_LIST_PAGE_SIZE, Paging};
pub use query::{Conditions, IntoParam, MAX_CONCURRENCY, MAX_PAGE_SIZE, Query, encode_component};
pub use resource::{PatchKind, PatchOp, PatchOps};
pub use retry::{Event, RetryPolicy};
pub use transport::prepared::PreparedRequest;
pub use transport::{Client, RequestBuilder, Response};

/// Re-exported so that users need not depend on `cwpsa-core` for conditions.
pub use cwpsa_core::conditions::{Condition, field, not};
pub use reqwest::header::{HeaderName, HeaderValue};
pub use reqwest::{Method, Url};
