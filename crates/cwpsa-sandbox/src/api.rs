//! The HTTP surface: routing of `/{codebase}apis/3.0/...` to entities, and the handlers for
//! list, count, search, get, create, replace, patch and delete.

use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use cwpsa_core::conditions;
use cwpsa_core::params::{Fields, OrderBy};
use cwpsa_core::schema::registry;
use serde_json::Value;

use std::time::Instant;

use axum::body::HttpBody;

use crate::admin;
use crate::auth;
use crate::callbacks::Callbacks;
use crate::catalog::{Catalog, EntityTable};
use crate::config::{CURRENT_VERSION, Profile, SandboxConfig};
use crate::error::ApiError;
use crate::faults::FaultState;
use crate::limiter::{Decision, Limiter};
use crate::project::FieldTree;
use crate::query::{Dialect, SqlBuilder};
use crate::records;
use crate::seed::SeedConfig;
use crate::seed::rng::Rng;
use crate::stats::{RequestLog, Stats};
use crate::store::{self, Store};

/// Largest request body accepted; larger ones get 413 (the real service's IIS limit is similar).
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;
const DEFAULT_PAGE_SIZE: i64 = 25;
const MAX_PAGE_SIZE: i64 = 1000;

#[derive(Clone)]
pub(crate) struct AppState {
    inner: Arc<Shared>,
}

pub(crate) struct Shared {
    pub(crate) catalog: Arc<Catalog>,
    pub(crate) store: Store,
    pub(crate) base_url: String,
    pub(crate) site: String,
    pub(crate) codebase: String,
    pub(crate) profile: Profile,
    pub(crate) limiter: Limiter,
    pub(crate) faults: FaultState,
    pub(crate) stats: Stats,
    /// The demo data `POST /_sandbox/reset` restores.
    pub(crate) seed: SeedConfig,
    pub(crate) callbacks: Callbacks,
    /// Drives `POST /_sandbox/mutate`'s generated changes.
    pub(crate) mutate_rng: std::sync::Mutex<Rng>,
}

impl AppState {
    pub(crate) fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.inner)
    }

    pub(crate) fn new(
        catalog: Arc<Catalog>,
        store: Store,
        config: &SandboxConfig,
        base_url: String,
        site: String,
    ) -> AppState {
        let state = AppState {
            inner: Arc::new(Shared {
                catalog,
                store,
                base_url,
                site,
                codebase: config.codebase.clone(),
                profile: config.profile,
                limiter: Limiter::new(config.effective_rate_limit()),
                faults: FaultState::new(config.faults.clone(), config.seed.seed),
                stats: Stats::default(),
                seed: config.seed.clone(),
                mutate_rng: std::sync::Mutex::new(Rng::new(config.seed.seed, 0x003D_7A7E, 0)),
                callbacks: Callbacks::new(config.seed.seed, config.callback_retry_scale),
            }),
        };
        Callbacks::start(&state.inner);
        state
    }
}

pub(crate) fn router(state: AppState) -> Router {
    Router::new()
        .route("/login/companyinfo/{company}", get(company_info))
        .nest("/_sandbox", admin::router())
        .fallback(dispatch)
        .layer(
            // Fastest level: gzip of a 1000-record page at the default level costs more CPU
            // than answering the query.
            tower_http::compression::CompressionLayer::new()
                .gzip(true)
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .with_state(state)
}

/// Codebase discovery (no authentication, as on the real service).
async fn company_info(State(state): State<AppState>, Path(company): Path<String>) -> Response {
    if !company.eq_ignore_ascii_case(crate::config::COMPANY_ID) {
        return ApiError::new(
            StatusCode::NOT_FOUND,
            "NotFound",
            format!("Company {company} not found"),
        )
        .into_response();
    }
    let s = &state.inner;
    json_response(
        StatusCode::OK,
        &serde_json::json!({
            "CompanyName": "Sandbox MSP",
            "Codebase": s.codebase,
            "VersionCode": format!("v{CURRENT_VERSION}"),
            "VersionNumber": "v4.6.2025.1",
            "CompanyID": crate::config::COMPANY_ID,
            "IsCloud": "False",
            "SiteUrl": s.site,
        }),
    )
}

/// What a request path names.
enum Target<'c> {
    Collection {
        table: &'c EntityTable,
        parent: Option<i64>,
    },
    Count {
        table: &'c EntityTable,
        parent: Option<i64>,
    },
    Search {
        table: &'c EntityTable,
    },
    Item {
        table: &'c EntityTable,
        parent: Option<i64>,
        id: i64,
    },
}

async fn dispatch(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let started = Instant::now();
    let (response, member) = gate(&state, &method, &uri, &headers, body).await;
    let response = response.with_version_header();
    let bytes = response.body().size_hint().exact().unwrap_or(0);
    state.inner.stats.record(
        RequestLog {
            method: method.to_string(),
            path: uri.path().to_owned(),
            query: uri.query().map(str::to_owned),
            status: response.status().as_u16(),
            duration_ms: started.elapsed().as_secs_f64() * 1000.0,
            member: member.map(str::to_owned),
        },
        bytes,
    );
    response
}

/// The number of records a list response holds, for latency that scales with page size.
#[derive(Debug, Clone, Copy)]
struct RecordCount(usize);

/// Everything between the socket and the handler, in the real service's order:
/// authentication, the member's rate limit, then (injected) faults and latency.
async fn gate(
    state: &AppState,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> (Response, Option<&'static str>) {
    let s = &state.inner;
    let prefix = format!("/{}apis/3.0/", s.codebase);
    let Some(rest) = strip_prefix_ignore_case(uri.path(), &prefix) else {
        return (
            signing_key(s, uri).unwrap_or_else(|| ApiError::unknown_route().into_response()),
            None,
        );
    };
    let member = match auth::authenticate(headers) {
        Ok(member) => member,
        Err(error) => return (error.into_response(), None),
    };
    let decision = s.limiter.check(member);
    if let Some(decision) = decision.filter(|d| !d.allowed) {
        return (rate_limited(s.profile, decision), Some(member));
    }
    let is_write = matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    ) && !rest
        .trim_end_matches('/')
        .to_ascii_lowercase()
        .ends_with("/search");
    let plan = s.faults.plan(is_write);
    let mut response = match plan.fail {
        Some(injected) => {
            tokio::time::sleep(plan.latency).await;
            injected.response()
        }
        None => {
            let response = handle(state, rest, method, uri, headers, body)
                .await
                .unwrap_or_else(IntoResponse::into_response);
            let latency = if plan.scale_with_page {
                let records = response
                    .extensions()
                    .get::<RecordCount>()
                    .map_or(1, |c| c.0);
                plan.latency.mul_f64(records as f64 / 1000.0)
            } else {
                plan.latency
            };
            tokio::time::sleep(latency).await;
            response
        }
    };
    if plan.reset {
        response = cut_mid_body(response).await;
    }
    if let (Profile::Seed, Some(decision)) = (s.profile, decision) {
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
        h.insert(
            "x-ratelimit-remaining",
            HeaderValue::from(decision.remaining),
        );
        h.insert("x-ratelimit-reset", HeaderValue::from(decision.reset_secs));
    }
    (response, Some(member))
}

/// `GET /{codebase}system/callbackkey/index.rails?id=..`: the key callback receivers verify
/// signatures with (the `Metadata.key_url` of every delivery).
fn signing_key(s: &Shared, uri: &Uri) -> Option<Response> {
    let path = format!("/{}system/callbackkey/index.rails", s.codebase);
    if !uri.path().eq_ignore_ascii_case(&path) {
        return None;
    }
    let query = QueryParams::parse(uri.query().unwrap_or(""));
    if query.get("id") != Some(s.callbacks.key_id.as_str()) {
        return Some(
            ApiError::new(
                StatusCode::NOT_FOUND,
                "NotFound",
                "Unknown callback key id.",
            )
            .into_response(),
        );
    }
    Some(json_response(
        StatusCode::OK,
        &serde_json::json!({ "signing_key": s.callbacks.signing_key }),
    ))
}

/// 429 in the chosen profile's words, with `Retry-After`.
fn rate_limited(profile: Profile, decision: Decision) -> Response {
    let wait = decision.reset_secs.max(1);
    let mut response = match profile {
        Profile::Seed => ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "RateLimitExceeded",
            format!("Rate limit exceeded. Try again in {wait} seconds."),
        )
        .into_response(),
        Profile::Cloud => json_response(
            StatusCode::TOO_MANY_REQUESTS,
            &serde_json::json!({
                "error": "ConnectWiseAPI",
                "message": format!("Too many requests. Please try again in {wait} seconds."),
            }),
        ),
    };
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from(wait));
    if profile == Profile::Seed {
        let h = response.headers_mut();
        h.insert("x-ratelimit-limit", HeaderValue::from(decision.limit));
        h.insert("x-ratelimit-remaining", HeaderValue::from(0));
        h.insert("x-ratelimit-reset", HeaderValue::from(wait));
    }
    response
}

/// Sends the first half of the body, then fails the stream: the server drops the connection
/// and the client sees a truncated response, like a reset in the middle of a transfer.
async fn cut_mid_body(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, usize::MAX)
        .await
        .unwrap_or_default();
    let half = bytes.slice(..bytes.len() / 2);
    // The pause lets the head and the first half reach the client before the cut.
    let cut = futures_util::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        Err(std::io::Error::other(
            "connection reset by the sandbox's fault injection",
        ))
    });
    let chunks = futures_util::StreamExt::chain(futures_util::stream::iter([Ok(half)]), cut);
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from_stream(chunks))
}

trait WithVersion {
    fn with_version_header(self) -> Response;
}

impl WithVersion for Response {
    fn with_version_header(mut self) -> Response {
        self.headers_mut().insert(
            "api-current-version",
            HeaderValue::from_static(CURRENT_VERSION),
        );
        self
    }
}

async fn handle(
    state: &AppState,
    rest: &str,
    method: &Method,
    uri: &Uri,
    headers: &HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let s = &state.inner;
    check_version(headers)?;
    let segments: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let target = match route(&s.catalog, &segments) {
        Some(target) => target,
        None => route_described(&s.catalog, rest, method)?,
    };
    let query = QueryParams::parse(uri.query().unwrap_or(""));
    match (target, method.clone()) {
        (Target::Collection { table, parent }, Method::GET) => {
            list(state, table, parent, &query, headers, None, uri).await
        }
        (Target::Collection { table, parent }, Method::POST) => {
            let record = read_json(headers, body).await?;
            create(state, table, parent, record).await
        }
        (Target::Count { table, parent }, Method::GET) => count(state, table, parent, &query).await,
        (Target::Search { table }, Method::POST) => {
            let search = read_json(headers, body).await?;
            list(state, table, None, &query, headers, Some(&search), uri).await
        }
        (Target::Item { table, parent, id }, Method::GET) => {
            get_item(state, table, parent, id, &query).await
        }
        (Target::Item { table, parent, id }, Method::PUT) => {
            let record = read_json(headers, body).await?;
            replace(state, table, parent, id, record).await
        }
        (Target::Item { table, parent, id }, Method::PATCH) => {
            let operations = read_json(headers, body).await?;
            patch(state, table, parent, id, operations).await
        }
        (Target::Item { table, parent, id }, Method::DELETE) => {
            delete(state, table, parent, id).await
        }
        (_, method) => Err(ApiError::method_not_allowed(method.as_str())),
    }
}

fn strip_prefix_ignore_case<'a>(path: &'a str, prefix: &str) -> Option<&'a str> {
    let head = path.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &path[prefix.len()..])
}

/// Matches path segments against the core entities: `<entity path>`, `/count`, `/search`,
/// `/{id}`, with `{parentId}` standing for a number in child collections. The fast path for
/// the entities most requests are for; [`route_described`] serves the rest.
fn route<'c>(catalog: &'c Catalog, segments: &[&str]) -> Option<Target<'c>> {
    for table in catalog.core_tables() {
        let pattern: Vec<&str> = table.path.split('/').collect();
        if segments.len() < pattern.len() {
            continue;
        }
        let mut parent = None;
        let matched = pattern.iter().zip(segments).all(|(p, s)| {
            if *p == "{parentId}" {
                parent = s.parse::<i64>().ok();
                parent.is_some()
            } else {
                p.eq_ignore_ascii_case(s)
            }
        });
        if !matched {
            continue;
        }
        let target = match &segments[pattern.len()..] {
            [] => Some(Target::Collection { table, parent }),
            [c] if c.eq_ignore_ascii_case("count") => Some(Target::Count { table, parent }),
            [s] if s.eq_ignore_ascii_case("search") && table.searchable => {
                Some(Target::Search { table })
            }
            [id] => id.parse().ok().map(|id| Target::Item { table, parent, id }),
            // Longer paths may belong to a child collection (`service/tickets/5/notes`).
            _ => None,
        };
        if target.is_some() {
            return target;
        }
    }
    None
}

/// Routes any path of the API description through the registry: the operations on an entity's
/// collection, records, count and search become targets (405 for a method the description does
/// not have there), actions answer 501, and anything else is an unknown route.
fn route_described<'c>(
    catalog: &'c Catalog,
    rest: &str,
    method: &Method,
) -> Result<Target<'c>, ApiError> {
    use cwpsa_core::schema::OperationKind as Kind;
    let route = registry().route(rest).ok_or_else(ApiError::unknown_route)?;
    let operation = cwpsa_core::schema::Method::parse(method.as_str())
        .and_then(|m| route.operation(m))
        .ok_or_else(|| ApiError::method_not_allowed(method.as_str()))?;
    let Some(table) = operation.entity.and_then(|e| catalog.table(e)) else {
        return Err(ApiError::not_emulated(operation));
    };
    // Ids in paths are numbers; anything else names no record (as on the core routes).
    let number = |text: &str| text.parse::<i64>().map_err(|_| ApiError::unknown_route());
    let on_record = matches!(
        operation.kind,
        Kind::Get | Kind::Replace | Kind::Patch | Kind::Delete
    );
    let (before, id) = match route.params.split_last() {
        Some((id, before)) if on_record => (before, Some(number(id)?)),
        _ => (route.params.as_slice(), None),
    };
    let parent = match (&table.parent, before.last()) {
        (Some(_), Some(text)) => Some(number(text)?),
        _ => None,
    };
    Ok(match (operation.kind, id) {
        (Kind::List | Kind::Create, _) => Target::Collection { table, parent },
        (Kind::Count, _) => Target::Count { table, parent },
        (Kind::Search, _) => Target::Search { table },
        (_, Some(id)) => Target::Item { table, parent, id },
        (_, None) => return Err(ApiError::not_emulated(operation)),
    })
}

/// `Accept: application/vnd.connectwise.com+json; version=2025.1`: known versions are served,
/// unknown ones refused with 400 as the real service does.
fn check_version(headers: &HeaderMap) -> Result<(), ApiError> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let Some(version) = accept
        .split([';', ','])
        .filter_map(|part| part.trim().split_once('='))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("version"))
        .map(|(_, v)| v.trim().trim_matches('"'))
    else {
        return Ok(());
    };
    if is_known_version(version) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "InvalidVersion",
            format!(
                "API version '{version}' is not supported. Supported versions are 3.0 and 2019.1 through {CURRENT_VERSION}."
            ),
        ))
    }
}

fn is_known_version(version: &str) -> bool {
    if version == "3.0" {
        return true;
    }
    let Some((year, release)) = version.split_once('.') else {
        return false;
    };
    let (Ok(year), Ok(release)) = (year.parse::<u32>(), release.parse::<u32>()) else {
        return false;
    };
    (2019..=2025).contains(&year) && (1..=5).contains(&release) && (year, release) <= (2025, 1)
}

/// Query parameters, matched case-insensitively by name; `+` decodes to a space as in any
/// form-encoded query string, so a literal plus must be sent as `%2B`.
struct QueryParams {
    pairs: Vec<(String, String)>,
}

impl QueryParams {
    fn parse(query: &str) -> QueryParams {
        QueryParams {
            pairs: form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        }
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    }
}

/// Reads a JSON request body (415 for another content type, 413 when too large, 400 when
/// malformed).
async fn read_json(headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !(mime == "application/json" || mime.ends_with("+json") || mime == "text/json") {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "UnsupportedMediaType",
            format!(
                "The request entity's media type '{}' is not supported; send Content-Type: application/json.",
                if content_type.is_empty() {
                    "(none)"
                } else {
                    content_type
                }
            ),
        ));
    }
    let bytes: Bytes = axum::body::to_bytes(body, MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "RequestEntityTooLarge",
                format!(
                    "The request body is larger than the {} MB limit.",
                    MAX_BODY_BYTES / (1024 * 1024)
                ),
            )
        })?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::invalid_argument(format!("The request body is not valid JSON: {e}")))
}

/// Runs blocking storage work off the async threads.
async fn blocking<T: Send + 'static>(
    state: &AppState,
    f: impl FnOnce(&Shared) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let shared = Arc::clone(&state.inner);
    tokio::task::spawn_blocking(move || f(&shared))
        .await
        .map_err(|e| ApiError::internal(&e))?
}

/// Parses and checks `conditions`, `childConditions`, `customFieldConditions` and `orderBy`
/// into SQL; `search` is the body of `POST .../search`, whose keys win over the query string.
fn selection_for<'t>(
    table: &'t EntityTable,
    parent: Option<i64>,
    query: &QueryParams,
    search: Option<&Value>,
) -> Result<SqlBuilder<'t>, ApiError> {
    let mut builder = SqlBuilder::new(table);
    if let Some(parent) = parent {
        builder.parent(parent);
    }
    for (name, dialect) in [
        ("conditions", Dialect::Conditions),
        ("childConditions", Dialect::Child),
        ("customFieldConditions", Dialect::CustomField),
    ] {
        let from_body = search
            .and_then(|s| field_ignore_case(s, name))
            .and_then(Value::as_str);
        let Some(text) = from_body.or_else(|| query.get(name)) else {
            continue;
        };
        let expr = conditions::parse(text)
            .map_err(|e| ApiError::invalid_argument(format!("{name}: {e}\n{}", e.render(text))))?;
        let checked = match dialect {
            Dialect::Conditions => table.entity.validate_conditions(&expr),
            Dialect::Child => table.entity.validate_child_conditions(&expr),
            Dialect::CustomField => table.entity.validate_custom_field_conditions(&expr),
        };
        if let Err(problems) = checked {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(ApiError::invalid_argument(format!(
                "{name}: {}",
                text.join("; ")
            )));
        }
        builder.condition(&expr, dialect)?;
    }
    Ok(builder)
}

fn field_ignore_case<'v>(value: &'v Value, name: &str) -> Option<&'v Value> {
    value
        .as_object()?
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn parse_positive(
    query: &QueryParams,
    search: Option<&Value>,
    name: &str,
) -> Result<Option<i64>, ApiError> {
    let from_body = search
        .and_then(|s| field_ignore_case(s, name))
        .map(|v| match v {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        });
    let Some(text) = from_body.or_else(|| query.get(name).map(str::to_owned)) else {
        return Ok(None);
    };
    match text.trim().parse::<i64>() {
        Ok(n) if n >= 1 => Ok(Some(n)),
        _ => Err(ApiError::invalid_argument(format!(
            "{name} must be a whole number of at least 1, not '{text}'"
        ))),
    }
}

fn field_selection(
    table: &EntityTable,
    query: &QueryParams,
    search: Option<&Value>,
) -> Result<Option<FieldTree>, ApiError> {
    let from_body = search
        .and_then(|s| field_ignore_case(s, "fields"))
        .and_then(Value::as_str);
    let Some(text) = from_body.or_else(|| query.get("fields")) else {
        return Ok(None);
    };
    let fields: Fields = text
        .parse()
        .map_err(|e| ApiError::invalid_argument(format!("fields: {e}")))?;
    let mut paths = Vec::new();
    for path in fields.as_slice() {
        let resolved = table
            .resolve(path)
            .map_err(|m| ApiError::invalid_argument(format!("fields: {m}")))?;
        paths.push(resolved.segments);
    }
    Ok(Some(FieldTree::from_paths(paths.iter().map(Vec::as_slice))))
}

#[allow(clippy::too_many_arguments)]
async fn list(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    query: &QueryParams,
    headers: &HeaderMap,
    search: Option<&Value>,
    uri: &Uri,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let forward_only = headers
        .get("pagination-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("forward-only"));
    let mut builder = selection_for(table, parent, query, search)?;
    let order_text = search
        .and_then(|s| field_ignore_case(s, "orderBy"))
        .and_then(Value::as_str)
        .or_else(|| query.get("orderBy"));
    if let Some(order_text) = order_text {
        if forward_only {
            return Err(ApiError::invalid_argument(
                "orderBy cannot be used with forward-only pagination, which always orders by id",
            ));
        }
        let order: OrderBy = order_text
            .parse()
            .map_err(|e| ApiError::invalid_argument(format!("orderBy: {e}")))?;
        builder.order_by(&order)?;
    }
    let page_size = parse_positive(query, search, "pageSize")?
        .unwrap_or(DEFAULT_PAGE_SIZE)
        .min(MAX_PAGE_SIZE);
    let page = parse_positive(query, search, "page")?.unwrap_or(1);
    let page_id = match query.get("pageId") {
        None => 0,
        Some(text) => text
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| {
                ApiError::invalid_argument(format!(
                    "pageId must be a whole number of at least 0, not '{text}'"
                ))
            })?,
    };
    if forward_only {
        builder.after_id(page_id);
    }
    let selected = field_selection(table, query, search)?;
    let fields = selected.as_ref().or(table.projection.as_ref());
    let profile = state.inner.profile;
    let selection = builder.selection;
    let table_name = table.name;
    let (rows, total) = blocking(state, move |s| {
        let table = s
            .catalog
            .table(table_name)
            .ok_or_else(ApiError::unknown_route)?;
        s.store
            .with_conn(|conn| {
                // One read transaction: the ids, their bodies and the total come from one
                // snapshot, so a concurrent delete cannot shorten a page (a short page with
                // no `next` link means "the end" to a client).
                let snapshot = conn.transaction()?;
                let result = if forward_only {
                    // One extra row tells whether a next page exists.
                    let rows = store::page(&snapshot, table, &selection, page_size + 1, 0)?;
                    (rows, None)
                } else {
                    let offset = (page - 1).saturating_mul(page_size);
                    let (rows, total) =
                        store::page_and_total(&snapshot, table, &selection, page_size, offset)?;
                    (rows, Some(total))
                };
                snapshot.commit()?;
                Ok(result)
            })
            .map_err(|e: store::StoreError| ApiError::internal(&e))
    })
    .await?;

    let link_base = link_base(&state.inner.base_url, uri);
    let mut links = Vec::new();
    let mut rows = rows;
    let mut extra_headers = Vec::new();
    match total {
        None => {
            if rows.len() as i64 > page_size {
                rows.truncate(page_size as usize);
                if let Some((last_id, _)) = rows.last() {
                    links.push(format!(
                        "<{}>; rel=\"next\"",
                        link_url(&link_base, page_size, "pageId", *last_id)
                    ));
                }
            }
        }
        Some(total) => {
            let last = ((total + page_size - 1) / page_size).max(1);
            if page > 1 {
                links.push(format!(
                    "<{}>; rel=\"first\"",
                    link_url(&link_base, page_size, "page", 1)
                ));
                links.push(format!(
                    "<{}>; rel=\"prev\"",
                    link_url(&link_base, page_size, "page", (page - 1).min(last))
                ));
            }
            if page < last {
                links.push(format!(
                    "<{}>; rel=\"next\"",
                    link_url(&link_base, page_size, "page", page + 1)
                ));
                links.push(format!(
                    "<{}>; rel=\"last\"",
                    link_url(&link_base, page_size, "page", last)
                ));
            }
            if profile == Profile::Seed {
                extra_headers.push(("x-total-count", total.to_string()));
            }
        }
    }
    let body = render_rows(
        &state.inner.base_url,
        rows.iter().map(|(_, b)| b.as_str()),
        fields,
    )?;
    let mut response = raw_json_response(StatusCode::OK, body);
    response.extensions_mut().insert(RecordCount(rows.len()));
    if !links.is_empty()
        && let Ok(value) = HeaderValue::from_str(&links.join(", "))
    {
        response.headers_mut().insert(header::LINK, value);
    }
    for (name, value) in extra_headers {
        if let Ok(value) = HeaderValue::from_str(&value) {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}

/// The request URL without its paging parameters, for building `Link` URLs.
fn link_base(base_url: &str, uri: &Uri) -> String {
    let origin = base_url.split("/apis/3.0/").next().unwrap_or(base_url);
    let origin = origin.rsplit_once('/').map_or(origin, |(o, _)| o);
    let kept: Vec<(String, String)> = form_urlencoded::parse(uri.query().unwrap_or("").as_bytes())
        .into_owned()
        .filter(|(k, _)| !["page", "pagesize", "pageid"].contains(&k.to_ascii_lowercase().as_str()))
        .collect();
    let mut url = format!("{origin}{}?", uri.path());
    let encoded = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .finish();
    if !encoded.is_empty() {
        url.push_str(&encoded);
        url.push('&');
    }
    url
}

/// Clients in the wild read the page number as the last parameter, so it goes last.
fn link_url(base: &str, page_size: i64, key: &str, value: i64) -> String {
    format!("{base}pageSize={page_size}&{key}={value}")
}

/// A JSON array of stored bodies with the `{base_url}` placeholder resolved, optionally
/// projected onto the selected fields.
fn render_rows<'a>(
    base_url: &str,
    bodies: impl Iterator<Item = &'a str>,
    fields: Option<&FieldTree>,
) -> Result<String, ApiError> {
    let mut out = String::from("[");
    for (i, body) in bodies.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&render_one(base_url, body, fields)?);
    }
    out.push(']');
    Ok(out)
}

fn render_one(base_url: &str, body: &str, fields: Option<&FieldTree>) -> Result<String, ApiError> {
    let body = body.replace(crate::seed::BASE_URL_PLACEHOLDER, base_url);
    match fields {
        None => Ok(body),
        Some(fields) => {
            let value: Value = serde_json::from_str(&body).map_err(|e| ApiError::internal(&e))?;
            Ok(fields.select(&value).to_string())
        }
    }
}

async fn count(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    query: &QueryParams,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let selection = selection_for(table, parent, query, None)?.selection;
    let table_name = table.name;
    let total = blocking(state, move |s| {
        let table = s
            .catalog
            .table(table_name)
            .ok_or_else(ApiError::unknown_route)?;
        s.store
            .with_conn(|conn| store::count(conn, table, &selection))
            .map_err(|e| ApiError::internal(&e))
    })
    .await?;
    Ok(json_response(
        StatusCode::OK,
        &serde_json::json!({ "count": total }),
    ))
}

/// A child collection under a parent that does not exist is a 404 for the parent.
async fn ensure_parent_exists(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
) -> Result<(), ApiError> {
    let (Some(parent_id), Some(link)) = (parent, table.parent.as_ref()) else {
        return Ok(());
    };
    let parent_name = link.entity;
    let found = blocking(state, move |s| {
        let parent_table = s
            .catalog
            .table(parent_name)
            .ok_or_else(ApiError::unknown_route)?;
        s.store
            .with_conn(|conn| store::get_body(conn, parent_table, parent_id, None))
            .map_err(|e| ApiError::internal(&e))
            .map(|b| b.is_some())
    })
    .await?;
    if found {
        Ok(())
    } else {
        let resource = state
            .inner
            .catalog
            .table(parent_name)
            .map_or(parent_name.to_owned(), |t| t.resource.clone());
        Err(ApiError::record_not_found(&resource, parent_id))
    }
}

async fn get_item(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
    query: &QueryParams,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let selected = field_selection(table, query, None)?;
    let fields = selected.as_ref().or(table.projection.as_ref());
    let body = load(state, table, parent, id).await?;
    let body = render_one(&state.inner.base_url, &body, fields)?;
    Ok(raw_json_response(StatusCode::OK, body))
}

async fn load(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
) -> Result<String, ApiError> {
    let table_name = table.name;
    let body = blocking(state, move |s| {
        let table = s
            .catalog
            .table(table_name)
            .ok_or_else(ApiError::unknown_route)?;
        s.store
            .with_conn(|conn| store::get_body(conn, table, id, parent))
            .map_err(|e| ApiError::internal(&e))
    })
    .await?;
    body.ok_or_else(|| ApiError::record_not_found(&table.resource, id))
}

async fn create(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    record: Value,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let table_name = table.name;
    let body = blocking(state, move |s| {
        records::create(s, table_name, parent, record)
    })
    .await?;
    let body = render_one(&state.inner.base_url, &body, None)?;
    Ok(raw_json_response(StatusCode::CREATED, body))
}

async fn replace(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
    record: Value,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let table_name = table.name;
    let body = blocking(state, move |s| {
        records::replace(s, table_name, parent, id, record)
    })
    .await?;
    let body = render_one(&state.inner.base_url, &body, None)?;
    Ok(raw_json_response(StatusCode::OK, body))
}

async fn patch(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
    operations: Value,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let table_name = table.name;
    let body = blocking(state, move |s| {
        records::patch(s, table_name, parent, id, &operations)
    })
    .await?;
    let body = render_one(&state.inner.base_url, &body, None)?;
    Ok(raw_json_response(StatusCode::OK, body))
}

async fn delete(
    state: &AppState,
    table: &EntityTable,
    parent: Option<i64>,
    id: i64,
) -> Result<Response, ApiError> {
    ensure_parent_exists(state, table, parent).await?;
    let table_name = table.name;
    blocking(state, move |s| records::delete(s, table_name, parent, id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

fn json_response(status: StatusCode, value: &Value) -> Response {
    raw_json_response(status, value.to_string())
}

fn raw_json_response(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    response
}
