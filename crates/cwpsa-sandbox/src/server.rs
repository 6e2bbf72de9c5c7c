//! Starting and stopping a sandbox: the listener, optional TLS, and the handle tests hold.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;

use tower::ServiceExt;

use crate::admin::Peer;
use crate::api::{self, AppState};
use crate::catalog::Catalog;
use crate::config::{CLIENT_ID, COMPANY_ID, PRIVATE_KEY, PUBLIC_KEY, SandboxConfig};
use crate::store::Store;
use crate::{demo, tls};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot open the sandbox database: {0}")]
    Store(#[from] crate::store::StoreError),
    #[error("cannot set up TLS: {0}")]
    Tls(String),
    #[error("the sandbox start-up task failed: {0}")]
    Join(String),
}

/// A running sandbox. Dropping it stops the server.
#[derive(Debug)]
pub struct Sandbox {
    base_url: String,
    addr: SocketAddr,
    codebase: String,
    ca_cert: Option<PathBuf>,
    shutdown: watch::Sender<bool>,
}

impl Sandbox {
    /// Opens (and if new, seeds) the store, binds the address and starts serving on the
    /// current Tokio runtime. When this returns, the sandbox accepts connections.
    pub async fn start(config: SandboxConfig) -> Result<Sandbox, StartError> {
        let listener = TcpListener::bind(config.addr)
            .await
            .map_err(|source| StartError::Bind {
                addr: config.addr,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind {
            addr: config.addr,
            source,
        })?;
        let tls = if config.tls {
            Some(tls::generate(addr).map_err(StartError::Tls)?)
        } else {
            None
        };
        let scheme = if tls.is_some() { "https" } else { "http" };
        let host = if tls.is_some() && addr.ip().is_loopback() {
            "localhost".to_owned()
        } else {
            addr.ip().to_string()
        };
        let site = format!("{host}:{}", addr.port());
        let base_url = format!("{scheme}://{site}/{}apis/3.0/", config.codebase);

        let catalog = Arc::new(Catalog::load());
        let seed_config = config.seed.clone();
        let db = config.db.clone();
        let open_catalog = Arc::clone(&catalog);
        let store =
            tokio::task::spawn_blocking(move || -> Result<Store, crate::store::StoreError> {
                let store = Store::open(db.as_deref(), open_catalog.tables(), |conn| {
                    demo::populate(conn, &open_catalog, &seed_config)
                })?;
                Ok(store)
            })
            .await
            .map_err(|e| StartError::Join(e.to_string()))??;

        let state = AppState::new(catalog, store, &config, base_url.clone(), site);
        let app = api::router(state);
        let (shutdown, mut stopped) = watch::channel(false);
        let acceptor = tls.as_ref().map(|t| t.acceptor.clone());
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    accepted = listener.accept() => accepted,
                    _ = stopped.changed() => break,
                };
                let Ok((stream, peer)) = accepted else {
                    continue;
                };
                let _ = stream.set_nodelay(true);
                // The admin API needs to know who is calling.
                let service = TowerToHyperService::new(app.clone().map_request(
                    move |mut request: axum::extract::Request<hyper::body::Incoming>| {
                        request.extensions_mut().insert(Peer(peer));
                        request
                    },
                ));
                let acceptor = acceptor.clone();
                let mut stop = stopped.clone();
                tokio::spawn(async move {
                    let mut builder = http1::Builder::new();
                    builder.keep_alive(true);
                    match acceptor {
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(stream).await else {
                                return;
                            };
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            tokio::select! { _ = conn => {}, _ = stop.changed() => {} }
                        }
                        None => {
                            let conn = builder.serve_connection(TokioIo::new(stream), service);
                            tokio::select! { _ = conn => {}, _ = stop.changed() => {} }
                        }
                    }
                });
            }
        });
        Ok(Sandbox {
            base_url,
            addr,
            codebase: config.codebase,
            ca_cert: tls.map(|t| t.ca_path),
            shutdown,
        })
    }

    /// The API base URL, e.g. `http://127.0.0.1:8089/v4_6_release/apis/3.0/`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The PEM file of the CA that signed the TLS certificate, when serving HTTPS.
    pub fn ca_cert(&self) -> Option<&std::path::Path> {
        self.ca_cert.as_deref()
    }

    /// The one JSON line `cw sandbox serve` prints when ready (DESIGN.md contract).
    pub fn ready_line(&self) -> String {
        let site = self
            .base_url
            .split("://")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap_or_default();
        serde_json::json!({
            "base_url": self.base_url,
            "site": site,
            "codebase": self.codebase,
            "company_id": COMPANY_ID,
            "public_key": PUBLIC_KEY,
            "private_key": PRIVATE_KEY,
            "client_id": CLIENT_ID,
            "ca_cert": self.ca_cert.as_ref().map(|p| p.display().to_string()),
        })
        .to_string()
    }

    /// Stops accepting connections and closes open ones.
    pub fn stop(&self) {
        let _ = self.shutdown.send(true);
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.stop();
    }
}
