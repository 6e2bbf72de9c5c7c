//! The admin API under `/_sandbox/` (no ConnectWise authentication; loopback clients only):
//! reset, faults, rate limit, generated or given mutations, statistics and the request log.

use std::net::SocketAddr;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::api::{AppState, Shared};
use crate::config::RateLimitSetting;
use crate::error::ApiError;
use crate::records;
use crate::seed::rng::Rng;
use crate::store;

/// The connecting peer, inserted by the accept loop.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Peer(pub(crate) SocketAddr);

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/reset", post(reset))
        .route("/faults", get(get_faults).put(put_faults))
        .route("/rate-limit", get(get_rate_limit).put(put_rate_limit))
        .route("/mutate", post(mutate))
        .route("/stats", get(stats))
        .route("/requests", get(requests))
        .layer(axum::middleware::from_fn(loopback_only))
}

/// The admin API changes everything; only the machine the sandbox runs on may use it, even
/// when the API itself listens on all interfaces.
async fn loopback_only(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let peer = request.extensions().get::<Peer>().map(|p| p.0);
    if peer.is_some_and(|p| !p.ip().is_loopback()) {
        return ApiError::new(
            StatusCode::FORBIDDEN,
            "Forbidden",
            "The sandbox admin API only answers loopback clients.",
        )
        .into_response();
    }
    next.run(request).await
}

async fn run<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let shared = state.shared();
    tokio::task::spawn_blocking(move || f(&shared))
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// Back to the seeded state: every record is removed and the demo data loaded again. Faults,
/// the rate limit and statistics are kept.
async fn reset(State(state): State<AppState>) -> Result<Response, ApiError> {
    run(&state, |s| {
        s.store
            .with_conn(|conn| {
                store::clear(conn, s.catalog.tables())?;
                crate::demo::populate(conn, &s.catalog, &s.seed)
            })
            .map_err(|e| ApiError::internal(&e))
    })
    .await?;
    Ok(Json(json!({"reset": true})).into_response())
}

async fn get_faults(State(state): State<AppState>) -> Response {
    Json(state.shared().faults.get()).into_response()
}

async fn put_faults(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let changes: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            return ApiError::invalid_argument(format!("The body is not valid JSON: {e}"))
                .into_response();
        }
    };
    match state.shared().faults.update(&changes) {
        Ok(faults) => Json(faults).into_response(),
        Err(message) => ApiError::invalid_argument(message).into_response(),
    }
}

async fn get_rate_limit(State(state): State<AppState>) -> Response {
    let rule = state.shared().limiter.rule();
    Json(json!({"rate_limit": rule.map_or_else(|| "off".to_owned(), |r| r.to_string())}))
        .into_response()
}

/// `{"rate_limit": "60/6s"}` or `{"rate_limit": "off"}`; open windows are forgotten.
async fn put_rate_limit(State(state): State<AppState>, body: axum::body::Bytes) -> Response {
    let shared = state.shared();
    let text = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v.get("rate_limit")?.as_str().map(str::to_owned));
    let Some(text) = text else {
        return ApiError::invalid_argument("expected {\"rate_limit\": \"N/Ss\" or \"off\"}")
            .into_response();
    };
    let rule = match text.parse::<RateLimitSetting>() {
        Ok(RateLimitSetting::Off) => None,
        Ok(RateLimitSetting::Rule(rule)) => Some(rule),
        Ok(RateLimitSetting::ProfileDefault) => Some(shared.profile.default_rate_limit()),
        Err(message) => return ApiError::invalid_argument(message).into_response(),
    };
    shared.limiter.set_rule(rule);
    Json(json!({"rate_limit": text})).into_response()
}

/// A burst of changes applied at once: generated (`insert`/`update`/`delete` counts, seeded
/// random choices) and/or given (`records` to create or replace, `delete_ids`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Mutation {
    entity: String,
    #[serde(default)]
    insert: usize,
    #[serde(default)]
    update: usize,
    #[serde(default)]
    delete: usize,
    #[serde(default)]
    records: Vec<Value>,
    #[serde(default)]
    delete_ids: Vec<i64>,
}

async fn mutate(
    State(state): State<AppState>,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let mutation: Mutation = serde_json::from_slice(&body).map_err(|e| {
        ApiError::invalid_argument(format!(
            "expected {{\"entity\":\"tickets\",\"insert\":N,\"update\":N,\"delete\":N}} (or \"records\"/\"delete_ids\"): {e}"
        ))
    })?;
    let result = run(&state, move |s| apply_mutation(s, &mutation)).await?;
    Ok(Json(result).into_response())
}

fn apply_mutation(s: &Shared, m: &Mutation) -> Result<Value, ApiError> {
    let entity = cwpsa_core::schema::registry()
        .entity(&m.entity)
        .and_then(|e| s.catalog.table(e.name()))
        .ok_or_else(|| ApiError::invalid_argument(format!("unknown entity `{}`", m.entity)))?;
    let name = entity.name;
    let mut rng = s
        .mutate_rng
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let (mut inserted, mut updated, mut deleted) = (Vec::new(), Vec::new(), Vec::new());

    let existing = |s: &Shared| {
        s.store
            .with_conn(|conn| store::ids_with_parents(conn, entity))
            .map_err(|e| ApiError::internal(&e))
    };
    // Given records: replace when the id exists, else create.
    for record in &m.records {
        let id = record.get("id").and_then(Value::as_i64);
        let ids = existing(s)?;
        match id.and_then(|id| ids.iter().find(|(i, _)| *i == id).copied()) {
            Some((id, parent)) => {
                records::replace(s, name, parent, id, record.clone())?;
                updated.push(id);
            }
            None => {
                let parent = record.as_object().and_then(|r| entity.parent_id_of(r));
                let body = records::create(s, name, parent, record.clone())?;
                inserted.push(id_of(&body));
            }
        }
    }
    for id in &m.delete_ids {
        let ids = existing(s)?;
        let parent = ids.iter().find(|(i, _)| i == id).and_then(|(_, p)| *p);
        records::delete(s, name, parent, *id)?;
        deleted.push(*id);
    }
    // Generated changes, on records chosen by the seeded generator.
    let mut ids = existing(s)?;
    for _ in 0..m.insert {
        let Some(&(source, parent)) = pick(&mut rng, &ids) else {
            break;
        };
        let mut record = load(s, name, source)?;
        vary(&mut record, entity.schema(), &mut rng);
        let body = records::create(s, name, parent, record)?;
        let id = id_of(&body);
        inserted.push(id);
        ids.push((id, parent));
    }
    for _ in 0..m.update {
        let Some(&(id, parent)) = pick(&mut rng, &ids) else {
            break;
        };
        let mut record = load(s, name, id)?;
        vary(&mut record, entity.schema(), &mut rng);
        records::replace(s, name, parent, id, record)?;
        updated.push(id);
    }
    for _ in 0..m.delete {
        if ids.is_empty() {
            break;
        }
        let (id, parent) = ids.swap_remove(rng.index(ids.len()));
        records::delete(s, name, parent, id)?;
        deleted.push(id);
    }
    *s.mutate_rng
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = rng;
    Ok(json!({"entity": name, "inserted": inserted, "updated": updated, "deleted": deleted}))
}

fn pick<'a, T>(rng: &mut Rng, items: &'a [T]) -> Option<&'a T> {
    (!items.is_empty()).then(|| &items[rng.index(items.len())])
}

fn id_of(body: &str) -> i64 {
    serde_json::from_str::<Value>(body)
        .ok()
        .and_then(|v| v.get("id")?.as_i64())
        .unwrap_or_default()
}

fn load(s: &Shared, name: &str, id: i64) -> Result<Value, ApiError> {
    let table = s.catalog.table(name).ok_or_else(ApiError::unknown_route)?;
    let body = s
        .store
        .with_conn(|conn| store::get_body(conn, table, id, None))
        .map_err(|e| ApiError::internal(&e))?
        .ok_or_else(|| ApiError::record_not_found(&table.resource, id))?;
    serde_json::from_str(&body).map_err(|e| ApiError::internal(&e))
}

/// Changes the record's main text field (summary, name, text...) so an update is visible,
/// keeping within the field's length limit.
fn vary(record: &mut Value, schema: &cwpsa_core::schema::Schema, rng: &mut Rng) {
    const TEXT_FIELDS: [&str; 5] = ["summary", "name", "text", "description", "notes"];
    let Some(map) = record.as_object_mut() else {
        return;
    };
    for field in TEXT_FIELDS {
        let Some(property) = schema.property(field) else {
            continue;
        };
        let max = match property.ty {
            cwpsa_core::schema::FieldType::String { max_length } => {
                max_length.unwrap_or(1000) as usize
            }
            _ => continue,
        };
        let base = map
            .get(field)
            .and_then(Value::as_str)
            .unwrap_or("Sandbox change");
        let base = base.split(" #").next().unwrap_or(base);
        let suffix = format!(" #{}", rng.below(1_000_000));
        let keep: String = base
            .chars()
            .take(max.saturating_sub(suffix.chars().count()))
            .collect();
        map.insert(field.to_owned(), json!(format!("{keep}{suffix}")));
        return;
    }
}

async fn stats(State(state): State<AppState>) -> Response {
    Json(state.shared().stats.snapshot()).into_response()
}

#[derive(Debug, Deserialize)]
struct RequestsQuery {
    limit: Option<usize>,
}

async fn requests(State(state): State<AppState>, Query(q): Query<RequestsQuery>) -> Response {
    Json(state.shared().stats.recent(q.limit.unwrap_or(100))).into_response()
}
