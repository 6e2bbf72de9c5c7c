//! Watch mode: callbacks keep the destination fresh between incremental passes.
//!
//! It registers one callback per synced entity type that has them (tickets, companies,
//! contacts, projects, time entries, members) pointing at `public_url`, receives them on
//! `listen`, verifies each signature with the client library's [`cwpsa::CallbackVerifier`],
//! and applies the change (the record a callback carries, or a fresh GET when it carries
//! none). An incremental pass runs every `interval` as a safety net: callbacks can be lost.
//! The callbacks are removed on exit.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use cwpsa::{Method, Query};
use serde_json::{Value, json};

use crate::engine::{self, Ctx, Tally};
use crate::entities::{ENTITIES, EntitySpec};
use crate::error::SyncError;
use crate::progress::Progress;
use crate::record::to_row;
use crate::sink::{Batch, Cursor};
use crate::{Session, Summary, SyncOptions};

/// Where callbacks come in.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The URL ConnectWise posts callbacks to: this process as the internet (or the sandbox)
    /// reaches it, e.g. `https://sync.example.com/cw-callbacks`.
    pub public_url: String,
    /// The address to listen on (`0.0.0.0:8080`; behind a TLS-terminating proxy in production).
    pub listen: SocketAddr,
    /// How often the safety-net incremental pass runs.
    pub interval: Duration,
}

/// What a watch did, when it ends.
#[derive(Debug, Clone, PartialEq)]
pub struct WatchSummary {
    /// The first (catch-up) pass.
    pub first: Summary,
    /// Safety-net passes run.
    pub passes: u64,
    pub callbacks_applied: u64,
    pub callbacks_rejected: u64,
}

/// What the HTTP handler needs.
struct Receiver {
    ctx: Arc<Ctx>,
    verifier: cwpsa::CallbackVerifier,
    applied: std::sync::atomic::AtomicU64,
    rejected: std::sync::atomic::AtomicU64,
    /// Children fetched for changed parents.
    tally: Arc<Tally>,
}

/// Syncs, then keeps the destination fresh from callbacks until `shutdown` completes.
pub async fn watch(
    config: cwpsa::Config,
    options: &SyncOptions,
    watch: &WatchOptions,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<WatchSummary, SyncError> {
    let public_url = check_public_url(&watch.public_url)?;
    // Bind first: a busy port is reported before anything is written.
    let listener = tokio::net::TcpListener::bind(watch.listen)
        .await
        .map_err(|e| SyncError::Watch(format!("cannot listen on {}: {e}", watch.listen)))?;
    let session = Session::open(config, options).await?;
    let first = session.pass("watch").await?;

    let run_id = session
        .sink
        .lock()
        .await
        .begin_run("callbacks", "callbacks")
        .await?;
    let ctx = Arc::new(Ctx {
        client: session.client.clone(),
        sink: session.sink.clone(),
        part_writers: session.part_writers.clone(),
        options: session.options.clone(),
        run_id,
        counters: session.counters.clone(),
        progress: Arc::new(Progress::new(false)),
    });
    let mut verifier = session.client.callback_verifier();
    let base = session
        .client
        .base_url()
        .await
        .map_err(|e| SyncError::api("callbacks", e))?;
    if base.scheme() == "http"
        && let Some(host) = base.host_str()
    {
        let host = base
            .port()
            .map_or_else(|| host.to_owned(), |p| format!("{host}:{p}"));
        verifier = verifier.trust_sandbox_host(&host);
    }
    let receiver = Arc::new(Receiver {
        ctx: ctx.clone(),
        verifier,
        applied: 0.into(),
        rejected: 0.into(),
        tally: Arc::new(Tally::default()),
    });
    let app = axum::Router::new()
        .fallback(axum::routing::post(receive))
        .with_state(receiver.clone());
    let (stop_server, server_stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = server_stopped.await;
            })
            .await
    });

    let registered = register(&ctx, &session.specs, &public_url).await;
    let result = match registered {
        Ok(ids) => {
            let passes = safety_net(&session, watch.interval, shutdown).await;
            let removed = unregister(&ctx, &ids).await;
            passes.and_then(|p| removed.map(|()| p))
        }
        Err(e) => Err(e),
    };
    let _ = stop_server.send(());
    let _ = server.await;
    let applied = receiver.applied.load(std::sync::atomic::Ordering::Relaxed);
    let rejected = receiver.rejected.load(std::sync::atomic::Ordering::Relaxed);
    let status = if result.is_ok() { "ok" } else { "failed" };
    let error = result.as_ref().err().map(ToString::to_string);
    ctx.sink
        .lock()
        .await
        .finish_run(run_id, status, error.as_deref())
        .await?;
    Ok(WatchSummary {
        first,
        passes: result?,
        callbacks_applied: applied,
        callbacks_rejected: rejected,
    })
}

fn check_public_url(url: &str) -> Result<String, SyncError> {
    let url = url.trim();
    let ok = (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(char::is_whitespace)
        && url.len() > "https://".len();
    if ok {
        Ok(url.to_owned())
    } else {
        Err(SyncError::Options(format!(
            "--public-url `{url}` is not an http(s) URL that ConnectWise can post callbacks to"
        )))
    }
}

async fn safety_net(
    session: &Session,
    interval: Duration,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> Result<u64, SyncError> {
    tokio::pin!(shutdown);
    let mut passes = 0;
    loop {
        tokio::select! {
            () = &mut shutdown => return Ok(passes),
            () = tokio::time::sleep(interval) => {
                let summary = session.pass("watch").await?;
                passes += 1;
                if !summary.is_ok() {
                    tracing::warn!("safety-net pass had errors:\n{summary}");
                }
            }
        }
    }
}

/// Registers a callback per entity type, after removing any left at the same URL by a
/// watch that did not end cleanly.
async fn register(
    ctx: &Ctx,
    specs: &[&'static EntitySpec],
    public_url: &str,
) -> Result<Vec<i64>, SyncError> {
    let stale = callbacks_at(ctx, public_url).await?;
    unregister(ctx, &stale).await?;
    let mut ids = Vec::new();
    for spec in specs {
        let Some(kind) = spec.callback_type else {
            continue;
        };
        let body = json!({
            "url": public_url,
            "objectId": 1,
            "type": kind,
            "level": "owner",
            "description": "cwpsa-sync watch",
        });
        match ctx
            .client
            .create::<Value>("system/callbacks", &body)
            .await
            .map(|v| v.get("id").and_then(Value::as_i64))
        {
            Ok(Some(id)) => ids.push(id),
            Ok(None) => {
                unregister(ctx, &ids).await?;
                return Err(SyncError::Watch(format!(
                    "registering the {kind} callback returned no id"
                )));
            }
            Err(e) => {
                unregister(ctx, &ids).await?;
                return Err(SyncError::Watch(format!(
                    "cannot register the {kind} callback: {e}"
                )));
            }
        }
    }
    Ok(ids)
}

async fn callbacks_at(ctx: &Ctx, url: &str) -> Result<Vec<i64>, SyncError> {
    use futures_util::TryStreamExt;
    let query = Query::new()
        .conditions(cwpsa::field("url").eq(url))
        .fields("id");
    let found: Vec<Value> = ctx
        .client
        .list("system/callbacks", &query)
        .try_collect()
        .await
        .map_err(|e| SyncError::Watch(format!("cannot list callbacks: {e}")))?;
    Ok(found
        .iter()
        .filter_map(|v| v.get("id").and_then(Value::as_i64))
        .collect())
}

async fn unregister(ctx: &Ctx, ids: &[i64]) -> Result<(), SyncError> {
    for id in ids {
        match ctx.client.delete(&format!("system/callbacks/{id}")).await {
            Ok(()) => {}
            Err(e) if e.status() == Some(404) => {}
            Err(e) => {
                return Err(SyncError::Watch(format!(
                    "cannot remove callback {id}: {e}; remove it by hand"
                )));
            }
        }
    }
    Ok(())
}

async fn receive(
    State(receiver): State<Arc<Receiver>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    use std::sync::atomic::Ordering;
    let payload = match receiver.verifier.verify(&body, &headers).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!("rejected a callback: {e}");
            receiver.rejected.fetch_add(1, Ordering::Relaxed);
            return StatusCode::UNAUTHORIZED;
        }
    };
    match apply(&receiver, &payload).await {
        Ok(()) => {
            receiver.applied.fetch_add(1, Ordering::Relaxed);
            StatusCode::OK
        }
        Err(e) => {
            // The safety-net pass will catch the change.
            tracing::warn!("could not apply a callback: {e}");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

async fn apply(receiver: &Receiver, payload: &cwpsa::CallbackPayload) -> Result<(), SyncError> {
    let ctx = &receiver.ctx;
    let kind = payload.r#type.as_deref().unwrap_or_default();
    let Some(spec) = ENTITIES.iter().find(|e| {
        e.callback_type
            .is_some_and(|t| t.eq_ignore_ascii_case(kind))
            && ctx.options.entities_selected(e)
    }) else {
        return Ok(()); // not an entity this sync mirrors
    };
    let id = payload
        .id
        .ok_or_else(|| SyncError::Record(format!("a {kind} callback without an ID")))?;
    let action = payload
        .action
        .as_ref()
        .map(|a| a.as_str().to_ascii_lowercase())
        .unwrap_or_default();
    if action == "deleted" {
        ctx.sink
            .lock()
            .await
            .delete(spec, &[id], ctx.run_id)
            .await?;
        return Ok(());
    }
    let carried = payload
        .entity
        .as_ref()
        .filter(|e| e.get("id").and_then(Value::as_i64) == Some(id))
        .map(Value::to_string);
    let json = match carried {
        Some(json) => json,
        None => {
            ctx.counters.request(spec);
            let response = ctx
                .client
                .request(Method::GET, &format!("{}/{id}", spec.path))
                .send()
                .await;
            match response {
                Ok(r) => String::from_utf8_lossy(&r.body).into_owned(),
                Err(e) if e.status() == Some(404) => {
                    ctx.sink
                        .lock()
                        .await
                        .delete(spec, &[id], ctx.run_id)
                        .await?;
                    return Ok(());
                }
                Err(e) => return Err(SyncError::api(spec.name, e)),
            }
        }
    };
    let row = to_row(spec, &json, None).map_err(SyncError::Record)?;
    // Deliveries can arrive out of order: never go back to an older version.
    let stored = ctx.sink.lock().await.last_updated_of(spec, id).await?;
    if let (Some(Some(stored)), Some(new)) = (&stored, &row.last_updated)
        && new < stored
    {
        return Ok(());
    }
    let delta = ctx.counters.take(spec);
    ctx.sink
        .lock()
        .await
        .write(Batch {
            entity: spec,
            rows: vec![row],
            replace_parent: None,
            recent: None,
            cursor: Cursor::None,
            run_id: ctx.run_id,
            delta,
        })
        .await?;
    for child in spec.children() {
        if ctx.options.entities_selected(child) {
            engine::children_of(ctx, child, id, &receiver.tally).await?;
        }
    }
    Ok(())
}
