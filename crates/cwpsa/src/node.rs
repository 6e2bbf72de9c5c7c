//! What the generated operations (`crate::api`) are made of: a handle holding the client and
//! the concrete path it addresses (`service/tickets/5/notes`). Every operation goes through the
//! client's one transport (limiter, retries, codebase discovery) and its pagination streams.

// Used by the generated API areas only, all of which a build may leave out.
#![cfg_attr(not(feature = "full"), allow(dead_code))]

use std::fmt;

use futures_util::stream::BoxStream;
use reqwest::Method;
use serde::de::DeserializeOwned;

use crate::error::Result;
use crate::query::{Query, encode_component};
use crate::resource::CountBody;
use crate::transport::{Client, RequestBuilder};

/// A collection path with the client that reaches it.
#[derive(Clone)]
pub(crate) struct Node {
    client: Client,
    path: String,
}

impl fmt::Debug for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Node").field(&self.path).finish()
    }
}

/// A value in a path: an id, or a string (percent-encoded).
pub(crate) trait PathParam {
    fn segment(&self) -> String;
}

impl PathParam for i64 {
    fn segment(&self) -> String {
        self.to_string()
    }
}

impl PathParam for &str {
    fn segment(&self) -> String {
        encode_component(self)
    }
}

impl PathParam for bool {
    fn segment(&self) -> String {
        self.to_string()
    }
}

impl Node {
    pub(crate) fn root(client: &Client, area: &str) -> Node {
        Node {
            client: client.clone(),
            path: area.to_owned(),
        }
    }

    /// `<path>/<segment>`.
    pub(crate) fn child(&self, segment: &str) -> Node {
        Node {
            client: self.client.clone(),
            path: format!("{}/{segment}", self.path),
        }
    }

    /// `<path>/<param>/<segment>`.
    pub(crate) fn child_of(&self, param: &dyn PathParam, segment: &str) -> Node {
        Node {
            client: self.client.clone(),
            path: format!("{}/{}/{segment}", self.path, param.segment()),
        }
    }

    /// A request to the path, or to `<path>/<param>` (a record).
    pub(crate) fn call(&self, method: Method, param: Option<&dyn PathParam>) -> RequestBuilder {
        match param {
            Some(p) => self
                .client
                .request(method, &format!("{}/{}", self.path, p.segment())),
            None => self.client.request(method, &self.path),
        }
    }

    /// Every record of the collection, as [`Client::list`] streams them.
    pub(crate) fn list<T>(&self, query: &Query) -> BoxStream<'static, Result<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.client.list(&self.path, query)
    }

    /// `GET <path>/count`.
    pub(crate) fn count(&self, query: &Query) -> impl Future<Output = Result<u64>> + Send + use<> {
        let request = self.client.count_request(&self.path, query);
        async move {
            let body: CountBody = request.send_json().await?;
            Ok(body.count)
        }
    }
}
