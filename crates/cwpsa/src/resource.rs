//! CRUD on any path: `get`, `count`, `create`, `update` (PUT), `patch`, `delete`. Typed with
//! the models of [`crate::model`], or with `serde_json::Value` for any other path.

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::error::Result;
use crate::query::Query;
use crate::transport::Client;

/// A JSON-Patch-style list of operations, as ConnectWise takes it: paths are bare field names,
/// references are replaced whole.
///
/// ```
/// use cwpsa::PatchOps;
/// use serde_json::json;
/// let ops = PatchOps::new()
///     .replace("summary", "Printer on fire")
///     .replace("status", json!({"id": 5}))
///     .remove("budgetHours");
/// assert_eq!(ops.len(), 3);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(transparent)]
#[must_use]
pub struct PatchOps(Vec<PatchOp>);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchOp {
    pub op: PatchKind,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PatchKind {
    Add,
    Replace,
    Remove,
}

impl PatchOps {
    pub fn new() -> PatchOps {
        PatchOps::default()
    }

    pub fn add(self, path: &str, value: impl Into<serde_json::Value>) -> PatchOps {
        self.push(PatchKind::Add, path, Some(value.into()))
    }

    pub fn replace(self, path: &str, value: impl Into<serde_json::Value>) -> PatchOps {
        self.push(PatchKind::Replace, path, Some(value.into()))
    }

    pub fn remove(self, path: &str) -> PatchOps {
        self.push(PatchKind::Remove, path, None)
    }

    fn push(mut self, op: PatchKind, path: &str, value: Option<serde_json::Value>) -> PatchOps {
        // `/status` and `status` mean the same; send the bare form the docs use.
        self.0.push(PatchOp {
            op,
            path: path.trim_start_matches('/').to_owned(),
            value,
        });
        self
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn ops(&self) -> &[PatchOp] {
        &self.0
    }
}

/// The body of a `/count` answer.
#[derive(Deserialize)]
pub(crate) struct CountBody {
    pub(crate) count: u64,
}

impl Client {
    /// `GET <path>`: one record (`service/tickets/5`) or any other JSON document.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T> {
        self.request(Method::GET, path).send_json().await
    }

    /// `GET <path>` with a field selection or other query parameters.
    pub async fn get_with<T: DeserializeOwned>(&self, path: &str, query: &Query) -> Result<T> {
        self.request(Method::GET, path)
            .query(query)
            .send_json()
            .await
    }

    /// `GET <path>/count` with the query's filters: how many records match.
    pub async fn count(&self, path: &str, query: &Query) -> Result<u64> {
        let body: CountBody = self.count_request(path, query).send_json().await?;
        Ok(body.count)
    }

    /// The request behind [`Client::count`]: the query's filters without the field selection.
    pub(crate) fn count_request(&self, path: &str, query: &Query) -> crate::RequestBuilder {
        let mut only_filters = crate::query::Encoded::default();
        let request = self.request(
            Method::GET,
            &format!("{}/count", path.trim_end_matches('/')),
        );
        match query.encode_filters(false) {
            Ok(filters) => {
                for (k, v) in filters.pairs {
                    if k != "fields" {
                        only_filters.push(k, v);
                    }
                }
                request.params(only_filters)
            }
            Err(e) => request.fail(e),
        }
    }

    /// `POST <path>`: creates a record and returns it as stored. Never retried except on 429
    /// (see [`crate::RequestBuilder::retry_writes`] to opt in).
    pub async fn create<T: DeserializeOwned>(
        &self,
        path: &str,
        record: &impl Serialize,
    ) -> Result<T> {
        self.request(Method::POST, path)
            .json(record)
            .send_json()
            .await
    }

    /// `PUT <path>`: replaces a whole record.
    pub async fn update<T: DeserializeOwned>(
        &self,
        path: &str,
        record: &impl Serialize,
    ) -> Result<T> {
        self.request(Method::PUT, path)
            .json(record)
            .send_json()
            .await
    }

    /// `PATCH <path>` with a list of operations (at least one).
    pub async fn patch<T: DeserializeOwned>(&self, path: &str, ops: &PatchOps) -> Result<T> {
        self.request(Method::PATCH, path)
            .patch_ops(ops)
            .send_json()
            .await
    }

    /// `DELETE <path>`.
    pub async fn delete(&self, path: &str) -> Result<()> {
        self.request(Method::DELETE, path).send().await.map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patch_serializes_as_the_api_expects() {
        let ops = PatchOps::new()
            .replace("/summary", "x")
            .replace("status", serde_json::json!({"id": 5}))
            .remove("budgetHours");
        let json = serde_json::to_value(&ops).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!([
                {"op": "replace", "path": "summary", "value": "x"},
                {"op": "replace", "path": "status", "value": {"id": 5}},
                {"op": "remove", "path": "budgetHours"}
            ])
        );
    }
}
