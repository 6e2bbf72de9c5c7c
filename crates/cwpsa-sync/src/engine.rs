//! The sync itself: per entity, a first forward-only scan (id ranges fetched in parallel), then
//! incremental passes by (`lastUpdated`, `id`); children (ticket notes, board statuses) for
//! parents that changed; a periodic id-only deletion scan with a mass-delete guard.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::http::{HeaderName, HeaderValue};
use cwpsa::{Client, Event, Method, RateLimit};
use cwpsa_core::conditions::field;
use serde_json::value::RawValue;
use tokio::sync::Mutex;

use crate::entities::{ENTITIES, EntitySpec};
use crate::error::SyncError;
use crate::progress::Progress;
use crate::record::{Row, to_row_in};
use crate::sink::{Batch, Cursor, Outcome, Part, Phase, RunDelta, Sink};
use crate::{EntitySummary, SyncOptions};

/// Records per request: the API's maximum, as requests are what is rationed.
pub(crate) const PAGE_SIZE: usize = 1000;
/// A first scan is split into id ranges of at least this many ids each.
const MIN_IDS_PER_PART: i64 = 10_000;
/// Parents whose children are fetched per round.
const CHILD_ROUND: usize = 256;
/// Records per second a writer keeps up with while it also keeps the report indexes up to
/// date, with room to spare: the SQLite writer did about 17,500 per CPU-second on a loaded
/// 2-core machine (about 25,000 with the indexes dropped).
const INDEXED_WRITES_PER_SECOND: f64 = 12_000.0;

/// Whether a first scan drops the table's report indexes and builds them at its end.
///
/// The build costs about half of keeping the indexes up to date through every insert, but it
/// comes after the last page, adding its time to the scan's. When the request budget caps the
/// scan below what the writer does with the indexes in place (always against the real service:
/// 60 requests a minute is 1,000 records a second), the upkeep hides in time the writer would
/// spend waiting for pages, and the indexes are there when the last page is.
fn defer_indexes(rate: RateLimit) -> bool {
    match rate {
        RateLimit::Off => true,
        RateLimit::Budget { requests, per } => {
            let ceiling = f64::from(requests) * PAGE_SIZE as f64 / per.as_secs_f64().max(1e-3);
            ceiling > INDEXED_WRITES_PER_SECOND
        }
    }
}

/// Requests, retries and 429s per entity, as the client reports them.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    requests: [AtomicU64; ENTITIES.len()],
    rate_limited: [AtomicU64; ENTITIES.len()],
    errors: [AtomicU64; ENTITIES.len()],
    /// Never reset: for the summary.
    all_requests: [AtomicU64; ENTITIES.len()],
    all_rate_limited: [AtomicU64; ENTITIES.len()],
}

impl Counters {
    pub fn request(&self, spec: &EntitySpec) {
        self.requests[spec.index()].fetch_add(1, Ordering::Relaxed);
        self.all_requests[spec.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// Requests and 429s of an entity since the counters were made.
    pub fn totals(&self, spec: &EntitySpec) -> (u64, u64) {
        let i = spec.index();
        (
            self.all_requests[i].load(Ordering::Relaxed),
            self.all_rate_limited[i].load(Ordering::Relaxed),
        )
    }

    pub fn error(&self, spec: &EntitySpec) {
        self.errors[spec.index()].fetch_add(1, Ordering::Relaxed);
    }

    /// A retry, and a 429 (always sent again), are one more request each.
    pub fn observe(&self, event: &Event) {
        let (path, limited) = match event {
            Event::Retry { path, .. } => (path, false),
            Event::RateLimited { path, .. } => (path, true),
            _ => return,
        };
        if let Some(spec) = entity_for_path(path) {
            let i = spec.index();
            // Either way the request is sent again.
            self.requests[i].fetch_add(1, Ordering::Relaxed);
            self.all_requests[i].fetch_add(1, Ordering::Relaxed);
            if limited {
                self.rate_limited[i].fetch_add(1, Ordering::Relaxed);
                self.all_rate_limited[i].fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// What was counted since the last call, reset.
    pub fn take(&self, spec: &EntitySpec) -> RunDelta {
        let i = spec.index();
        RunDelta {
            requests: self.requests[i].swap(0, Ordering::Relaxed),
            rate_limited: self.rate_limited[i].swap(0, Ordering::Relaxed),
            errors: self.errors[i].swap(0, Ordering::Relaxed),
        }
    }
}

/// The entity a request path belongs to (`service/tickets/5/notes` → ticket notes).
fn entity_for_path(path: &str) -> Option<&'static EntitySpec> {
    let path = path.split('?').next().unwrap_or(path).trim_matches('/');
    let segments: Vec<&str> = path.split('/').collect();
    ENTITIES
        .iter()
        .filter(|spec| {
            let pattern: Vec<&str> = spec.path.split('/').collect();
            segments.len() >= pattern.len()
                && segments.len() <= pattern.len() + 1
                && pattern.iter().zip(&segments).all(|(p, s)| {
                    *p == "{parentId}" && s.parse::<i64>().is_ok() || p.eq_ignore_ascii_case(s)
                })
        })
        .max_by_key(|spec| spec.path.len())
}

/// What every task of a run shares.
pub(crate) struct Ctx {
    pub client: Client,
    pub sink: Arc<Mutex<Sink>>,
    /// The connections a first scan's parts are written on, the main one first (empty: all
    /// on the main one).
    pub part_writers: Vec<Arc<Mutex<Sink>>>,
    pub options: SyncOptions,
    pub run_id: i64,
    pub counters: Arc<Counters>,
    pub progress: Arc<Progress>,
}

/// One entity's tally.
#[derive(Debug, Default)]
pub(crate) struct Tally {
    pub fetched: AtomicU64,
    pub inserted: AtomicU64,
    pub updated: AtomicU64,
    pub unchanged: AtomicU64,
    pub deleted: AtomicU64,
    /// Time spent writing pages into the destination, summed over the connections that write
    /// a first scan's parts in parallel.
    pub write_nanos: AtomicU64,
}

impl Tally {
    fn add(&self, fetched: usize, o: &Outcome) {
        self.fetched.fetch_add(fetched as u64, Ordering::Relaxed);
        self.inserted.fetch_add(o.inserted, Ordering::Relaxed);
        self.updated.fetch_add(o.updated, Ordering::Relaxed);
        self.unchanged.fetch_add(o.unchanged, Ordering::Relaxed);
        self.deleted.fetch_add(o.deleted, Ordering::Relaxed);
    }
}

/// One page as fetched.
struct Page {
    rows: Vec<Row>,
    /// Whether the server says there is more.
    more: bool,
}

impl Ctx {
    /// GETs one page of `path` and reads its records.
    async fn fetch(
        &self,
        spec: &'static EntitySpec,
        path: &str,
        params: Vec<(&'static str, String)>,
        forward_only: bool,
        parent: Option<i64>,
    ) -> Result<Page, SyncError> {
        let mut request = self.client.request(Method::GET, path);
        for (k, v) in params {
            request = request.param(k, v);
        }
        if forward_only {
            request = request.header(
                HeaderName::from_static("pagination-type"),
                HeaderValue::from_static("forward-only"),
            );
        }
        self.counters.request(spec);
        let response = request.send().await.map_err(|e| {
            self.counters.error(spec);
            SyncError::api(spec.name, e)
        })?;
        let raws: Vec<&RawValue> = serde_json::from_slice(&response.body).map_err(|e| {
            SyncError::Record(format!(
                "{}: a page of {path} is not a JSON array: {e}",
                spec.name
            ))
        })?;
        let mut rows = Vec::with_capacity(raws.len());
        for raw in &raws {
            rows.push(
                to_row_in(spec, &response.body, raw.get(), parent).map_err(SyncError::Record)?,
            );
        }
        let link = response
            .headers
            .get("link")
            .and_then(|v| v.to_str().ok())
            .map(|l| {
                l.split(',')
                    .any(|p| p.contains("rel=\"next\"") || p.contains("rel=next"))
            });
        let more = match link {
            Some(has_next) => has_next,
            None => raws.len() >= PAGE_SIZE,
        };
        Ok(Page { rows, more })
    }

    async fn write(&self, mut batch: Batch, tally: &Tally) -> Result<Outcome, SyncError> {
        let fetched = batch.rows.len();
        dedupe(&mut batch.rows);
        batch.delta = self.counters.take(batch.entity);
        let mut sink = self.sink_for(&batch.cursor).lock().await;
        let started = std::time::Instant::now();
        let outcome = sink.write(batch).await?;
        tally
            .write_nanos
            .fetch_add(started.elapsed().as_nanos() as u64, Ordering::Relaxed);
        drop(sink);
        tally.add(fetched, &outcome);
        Ok(outcome)
    }

    /// The connection a page is written on: each part of a first scan always on the same
    /// one, so its pages (each committing the part's cursor) commit in order.
    fn sink_for(&self, cursor: &Cursor) -> &Mutex<Sink> {
        match cursor {
            Cursor::Part { part, .. } if !self.part_writers.is_empty() => {
                let writers = self.part_writers.len() as i64;
                &self.part_writers[part.rem_euclid(writers) as usize]
            }
            _ => &self.sink,
        }
    }

    /// Flushes counters not yet written with a page into the ledger.
    pub async fn flush_counters(&self, spec: &'static EntitySpec) -> Result<(), SyncError> {
        let delta = self.counters.take(spec);
        if delta.requests + delta.rate_limited + delta.errors > 0 {
            self.sink
                .lock()
                .await
                .add_to_run(self.run_id, spec.name, delta)
                .await?;
        }
        Ok(())
    }
}

/// Keeps the last of rows sharing an id (a page should not repeat one, but an upsert of two
/// rows with one id in one statement fails in PostgreSQL).
fn dedupe(rows: &mut Vec<Row>) {
    let mut seen = HashSet::with_capacity(rows.len());
    let mut keep: Vec<bool> = rows.iter().rev().map(|r| seen.insert(r.id)).collect();
    keep.reverse();
    if keep.iter().all(|k| *k) {
        return;
    }
    let mut i = 0;
    rows.retain(|_| {
        let k = keep[i];
        i += 1;
        k
    });
}

/// Syncs one top-level entity: first scan or incremental pass, then a deletion scan if due.
pub(crate) async fn sync_entity(
    ctx: &Arc<Ctx>,
    spec: &'static EntitySpec,
    tally: &Arc<Tally>,
) -> Result<&'static str, SyncError> {
    let state = ctx.sink.lock().await.state(spec).await?;
    let mode = match state.phase {
        Phase::New => {
            plan_full(ctx, spec, tally).await?;
            full_scan(ctx, spec, tally).await?;
            "full"
        }
        Phase::Full => {
            full_scan(ctx, spec, tally).await?;
            "full (resumed)"
        }
        Phase::Incremental => {
            incremental(ctx, spec, tally, state.since.as_deref(), state.since_id).await?;
            let due = match ctx.options.delete_scan_every {
                None => false,
                Some(every) => state
                    .last_delete_scan_at
                    .as_deref()
                    .and_then(crate::time::parse)
                    .is_none_or(|last| crate::time::now_secs() - last >= every.as_secs() as i64),
            };
            if due {
                deletion_scan(ctx, spec, tally).await?;
            }
            "incremental"
        }
    };
    ctx.sink.lock().await.touch(spec).await?;
    Ok(mode)
}

/// The watermark (highest `lastUpdated` now) and the id ranges of a first scan.
///
/// The watermark is read as a whole page of the newest records: an entity that fits in it
/// (boards, priorities, members: most entities but a handful) is then complete, written with
/// its range already done, in one request instead of three.
async fn plan_full(
    ctx: &Arc<Ctx>,
    spec: &'static EntitySpec,
    tally: &Tally,
) -> Result<(), SyncError> {
    let newest = ctx
        .fetch(
            spec,
            spec.path,
            vec![
                ("orderBy", "lastUpdated desc".into()),
                ("pageSize", PAGE_SIZE.to_string()),
            ],
            false,
            None,
        )
        .await?;
    let watermark = newest.rows.first().and_then(|r| r.last_updated.clone());
    let defer = defer_indexes(ctx.client.config().rate_limit());
    if !newest.more && newest.rows.len() < PAGE_SIZE {
        // One response, so one consistent reading of the whole entity.
        let mut whole = Part {
            index: 0,
            hi: None,
            page_id: 0,
            done: false,
        };
        ctx.sink
            .lock()
            .await
            .plan_full(spec, watermark, vec![whole.clone()], defer)
            .await?;
        whole.page_id = newest.rows.iter().map(|r| r.id).max().unwrap_or(0);
        whole.done = true;
        ctx.write(part_page(ctx, spec, newest.rows, &whole), tally)
            .await?;
        return Ok(());
    }
    let highest = ctx
        .fetch(
            spec,
            spec.path,
            vec![
                ("orderBy", "id desc".into()),
                ("fields", "id".into()),
                ("pageSize", "1".into()),
            ],
            false,
            None,
        )
        .await?;
    let max_id = highest.rows.first().map_or(0, |r| r.id);
    let wanted = (max_id / MIN_IDS_PER_PART).max(1);
    let count = wanted.min(ctx.options.concurrency.max(1) as i64);
    let width = max_id / count;
    let parts = (0..count)
        .map(|i| Part {
            index: i,
            hi: (i + 1 < count).then_some(width * (i + 1)),
            page_id: width * i,
            done: false,
        })
        .collect();
    ctx.sink
        .lock()
        .await
        .plan_full(spec, watermark, parts, defer)
        .await
}

/// The forward-only scan of every unfinished id range, in parallel.
async fn full_scan(
    ctx: &Arc<Ctx>,
    spec: &'static EntitySpec,
    tally: &Arc<Tally>,
) -> Result<(), SyncError> {
    let state = ctx.sink.lock().await.state(spec).await?;
    ctx.progress.set_total(
        spec,
        state
            .parts
            .iter()
            .map(|p| p.hi.unwrap_or(p.page_id + PAGE_SIZE as i64) - p.page_id)
            .sum::<i64>()
            .max(0) as u64,
    );
    let mut tasks = tokio::task::JoinSet::new();
    for part in state.parts.into_iter().filter(|p| !p.done) {
        let (ctx, tally) = (ctx.clone(), tally.clone());
        tasks.spawn(async move { scan_part(&ctx, spec, part, &tally).await });
    }
    let mut first_error = None;
    while let Some(result) = tasks.join_next().await {
        let result = result
            .unwrap_or_else(|e| Err(SyncError::Destination(format!("a scan task failed: {e}"))));
        if let Err(e) = result {
            // Stop the other ranges: their progress is committed and resumes next run.
            tasks.abort_all();
            first_error.get_or_insert(e);
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    ctx.sink.lock().await.finish_full(spec).await
}

/// One id range, page by page. The next page is requested while this one is written (its
/// `pageId` is this page's last id), so the write hides behind the request; the cursor still
/// advances only in the transaction of the page it covers, so a crash loses nothing.
async fn scan_part(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    mut part: Part,
    tally: &Tally,
) -> Result<(), SyncError> {
    if part.done {
        return Ok(());
    }
    let fetch_after = |page_id: i64| {
        let mut params = Vec::with_capacity(3);
        if let Some(hi) = part.hi {
            params.push(("conditions", format!("id <= {hi}")));
        }
        params.push(("pageSize", PAGE_SIZE.to_string()));
        if page_id > 0 {
            params.push(("pageId", page_id.to_string()));
        }
        ctx.fetch(spec, spec.path, params, true, None)
    };
    let mut page = fetch_after(part.page_id).await?;
    loop {
        if let Some(last) = page.rows.iter().map(|r| r.id).max() {
            if last <= part.page_id {
                return Err(SyncError::Record(format!(
                    "{}: forward-only paging did not advance (pageId {last} after {})",
                    spec.name, part.page_id
                )));
            }
            part.page_id = last;
        }
        // A range whose last id has been read is done, whatever the server says of more
        // pages (a full page ending on the range's bound would cost one more, empty request).
        part.done =
            !page.more || page.rows.is_empty() || part.hi.is_some_and(|hi| part.page_id >= hi);
        let batch = part_page(ctx, spec, page.rows, &part);
        if part.done {
            ctx.write(batch, tally).await?;
            return Ok(());
        }
        let (_, next) = tokio::try_join!(ctx.write(batch, tally), fetch_after(part.page_id))?;
        page = next;
    }
}

/// A page of a first scan's id range, to be written with the range's cursor (`part` as it
/// stands after the page); counted in the progress display.
fn part_page(ctx: &Ctx, spec: &'static EntitySpec, rows: Vec<Row>, part: &Part) -> Batch {
    ctx.progress.add(spec, rows.len() as u64);
    Batch {
        entity: spec,
        rows,
        replace_parent: None,
        recent: None,
        cursor: Cursor::Part {
            part: part.index,
            page_id: part.page_id,
            done: part.done,
        },
        run_id: ctx.run_id,
        delta: RunDelta::default(),
    }
}

/// Records changed after the cursor, in (`lastUpdated`, `id`) order. The pass starts an
/// overlap window before the cursor: timestamps have one-second resolution and a change
/// committed late in a second already read would otherwise be missed.
async fn incremental(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    tally: &Tally,
    since: Option<&str>,
    since_id: i64,
) -> Result<(), SyncError> {
    let start = since.and_then(crate::time::parse).unwrap_or(0);
    let overlap = ctx.options.overlap.as_secs() as i64;
    let (mut at, mut after_id) = if overlap > 0 {
        ((start - overlap).max(0), 0)
    } else {
        (start, since_id)
    };
    let recent = (overlap > 0).then(|| crate::time::format(at));
    loop {
        let when = crate::time::to_condition(at).ok_or_else(|| {
            SyncError::Record(format!("{}: cursor {at} is not a valid time", spec.name))
        })?;
        let condition = field("lastUpdated")
            .ge(when)
            .and(field("lastUpdated").gt(when).or(field("id").gt(after_id)))
            .build()
            .map_err(|e| SyncError::Record(format!("{}: {e}", spec.name)))?;
        let page = ctx
            .fetch(
                spec,
                spec.path,
                vec![
                    ("conditions", condition.to_string()),
                    ("orderBy", "lastUpdated asc, id asc".into()),
                    ("pageSize", PAGE_SIZE.to_string()),
                ],
                false,
                None,
            )
            .await?;
        let full = page.rows.len() >= PAGE_SIZE;
        let next = page
            .rows
            .iter()
            .filter_map(|r| Some((crate::time::parse(r.last_updated.as_deref()?)?, r.id)))
            .max();
        let cursor = match next {
            Some((t, id)) if (t, id) > (at, after_id) => {
                at = t;
                after_id = id;
                Cursor::Since {
                    since: crate::time::format(t),
                    since_id: id,
                }
            }
            Some(_) if full => {
                return Err(SyncError::Record(format!(
                    "{}: the incremental cursor did not advance at {}; the server's lastUpdated ordering is not usable",
                    spec.name,
                    crate::time::format(at)
                )));
            }
            _ => Cursor::None,
        };
        ctx.progress.add(spec, page.rows.len() as u64);
        ctx.write(
            Batch {
                entity: spec,
                rows: page.rows,
                replace_parent: None,
                recent: recent.clone(),
                cursor,
                run_id: ctx.run_id,
                delta: RunDelta::default(),
            },
            tally,
        )
        .await?;
        if !full {
            return Ok(());
        }
    }
}

/// Every id on the server (`fields=id`, 1000 per request), compared with the table: rows the
/// server no longer has are deleted, unless that would be more than the allowed fraction.
pub(crate) async fn deletion_scan(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    tally: &Tally,
) -> Result<u64, SyncError> {
    let mut server = Vec::new();
    let mut page_id = 0i64;
    loop {
        let mut params = vec![
            ("fields", "id".to_owned()),
            ("pageSize", PAGE_SIZE.to_string()),
        ];
        if page_id > 0 {
            params.push(("pageId", page_id.to_string()));
        }
        let page = ctx.fetch(spec, spec.path, params, true, None).await?;
        let last = page.rows.iter().map(|r| r.id).max();
        server.extend(page.rows.iter().map(|r| r.id));
        match last {
            Some(last) if page.more && last > page_id => page_id = last,
            Some(last) if page.more => {
                return Err(SyncError::Record(format!(
                    "{}: the id scan did not advance (pageId {last} after {page_id})",
                    spec.name
                )));
            }
            _ => break,
        }
    }
    server.sort_unstable();
    server.dedup();
    let local = ctx.sink.lock().await.local_ids(spec).await?;
    let gone: Vec<i64> = local
        .iter()
        .copied()
        .filter(|id| server.binary_search(id).is_err())
        .collect();
    check_guard(
        spec,
        gone.len() as u64,
        local.len() as u64,
        ctx.options.max_delete_fraction,
    )?;
    let deleted = if gone.is_empty() {
        0
    } else {
        ctx.sink
            .lock()
            .await
            .delete(spec, &gone, ctx.run_id)
            .await?
    };
    tally.deleted.fetch_add(deleted, Ordering::Relaxed);
    ctx.sink.lock().await.mark_delete_scan(spec).await?;
    Ok(deleted)
}

/// Refuses a deletion of more than `max_fraction` of the rows (and more than one row).
pub(crate) fn check_guard(
    spec: &EntitySpec,
    would_delete: u64,
    rows: u64,
    max_fraction: f64,
) -> Result<(), SyncError> {
    let allowed = (max_fraction * rows as f64).max(1.0);
    if would_delete as f64 <= allowed || max_fraction >= 1.0 {
        return Ok(());
    }
    let fraction = would_delete as f64 / rows.max(1) as f64;
    Err(SyncError::MassDelete {
        entity: spec.name.to_owned(),
        would_delete,
        rows,
        percent: fraction * 100.0,
        max_percent: max_fraction * 100.0,
        suggested: format!("{:.2}", ((fraction * 100.0 - 1e-9).ceil() / 100.0).min(1.0)),
    })
}

/// Fetches the children of every parent in `sync_pending`, `concurrency` parents at a time;
/// each parent's children replace the ones stored, in one transaction.
pub(crate) async fn sync_children(
    ctx: &Arc<Ctx>,
    spec: &'static EntitySpec,
    tally: &Arc<Tally>,
) -> Result<&'static str, SyncError> {
    let state = ctx.sink.lock().await.state(spec).await?;
    let mode = if state.phase == Phase::New {
        ctx.sink.lock().await.seed_pending(spec).await?;
        "full"
    } else {
        "by changed parent"
    };
    let mut after = 0i64;
    let mut first_error = None;
    loop {
        let ids = ctx
            .sink
            .lock()
            .await
            .pending_after(spec, after, CHILD_ROUND)
            .await?;
        let Some(&last) = ids.last() else { break };
        after = last;
        ctx.progress.add_total(spec, ids.len() as u64);
        let mut tasks = tokio::task::JoinSet::new();
        let mut queue = ids.into_iter();
        let width = ctx.options.concurrency.max(1);
        loop {
            while tasks.len() < width {
                let Some(parent) = queue.next() else { break };
                let (ctx, tally) = (ctx.clone(), tally.clone());
                tasks.spawn(async move { children_of(&ctx, spec, parent, &tally).await });
            }
            let Some(done) = tasks.join_next().await else {
                break;
            };
            let done = done.unwrap_or_else(|e| {
                Err(SyncError::Destination(format!("a child task failed: {e}")))
            });
            if let Err(e) = done {
                // This parent stays pending for the next run; the others go on.
                tracing::warn!("{e}");
                first_error.get_or_insert(e);
            }
        }
    }
    ctx.sink.lock().await.touch(spec).await?;
    match first_error {
        Some(e) => Err(e),
        None => Ok(mode),
    }
}

pub(crate) async fn children_of(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    parent: i64,
    tally: &Tally,
) -> Result<(), SyncError> {
    let path = spec.child_path(parent);
    let mut rows = Vec::new();
    let mut page_id = 0i64;
    loop {
        let mut params = vec![("pageSize", PAGE_SIZE.to_string())];
        if page_id > 0 {
            params.push(("pageId", page_id.to_string()));
        }
        let page = match ctx.fetch(spec, &path, params, true, Some(parent)).await {
            Ok(page) => page,
            Err(SyncError::Api { source, .. }) if source.status() == Some(404) => {
                // The parent may be gone; confirm before dropping its children (a 404 on
                // every path means a wrong codebase, not deletions).
                if parent_exists(ctx, spec, parent).await? {
                    return Err(SyncError::api(spec.name, source));
                }
                rows.clear();
                break;
            }
            Err(e) => return Err(e),
        };
        let last = page.rows.iter().map(|r| r.id).max();
        rows.extend(page.rows);
        match last {
            Some(last) if page.more && last > page_id => page_id = last,
            _ => break,
        }
    }
    ctx.progress.add(spec, 1);
    ctx.write(
        Batch {
            entity: spec,
            rows,
            replace_parent: Some(parent),
            recent: None,
            cursor: Cursor::None,
            run_id: ctx.run_id,
            delta: RunDelta::default(),
        },
        tally,
    )
    .await?;
    Ok(())
}

async fn parent_exists(
    ctx: &Ctx,
    spec: &'static EntitySpec,
    parent: i64,
) -> Result<bool, SyncError> {
    let Some(parent_spec) = spec.parent_spec() else {
        return Ok(true);
    };
    ctx.counters.request(parent_spec);
    match ctx
        .client
        .request(Method::GET, &format!("{}/{parent}", parent_spec.path))
        .param("fields", "id")
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.status() == Some(404) => Ok(false),
        Err(e) => Err(SyncError::api(parent_spec.name, e)),
    }
}

/// The summary of one entity after its pass.
pub(crate) fn summarize(
    spec: &'static EntitySpec,
    mode: &str,
    tally: &Tally,
    requests: u64,
    rate_limited: u64,
    elapsed: Duration,
    error: Option<String>,
) -> EntitySummary {
    EntitySummary {
        entity: spec.name.to_owned(),
        mode: mode.to_owned(),
        fetched: tally.fetched.load(Ordering::Relaxed),
        inserted: tally.inserted.load(Ordering::Relaxed),
        updated: tally.updated.load(Ordering::Relaxed),
        unchanged: tally.unchanged.load(Ordering::Relaxed),
        deleted: tally.deleted.load(Ordering::Relaxed),
        requests,
        rate_limited,
        elapsed,
        writing: Duration::from_nanos(tally.write_nanos.load(Ordering::Relaxed)),
        error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_paths_map_to_entities() {
        let name = |p: &str| entity_for_path(p).map(|e| e.name);
        assert_eq!(name("service/tickets"), Some("tickets"));
        assert_eq!(name("service/tickets/12"), Some("tickets"));
        assert_eq!(name("service/tickets/12/notes"), Some("ticket_notes"));
        assert_eq!(
            name("/service/boards/3/statuses?pageSize=1000"),
            Some("board_statuses")
        );
        assert_eq!(name("system/callbacks"), None);
    }

    #[test]
    fn indexes_are_built_at_the_end_only_when_the_budget_outruns_the_writer() {
        let budget = |requests, secs| RateLimit::Budget {
            requests,
            per: Duration::from_secs(secs),
        };
        assert!(defer_indexes(RateLimit::Off));
        // The real service's rule: 1,000 records a second at most.
        assert!(!defer_indexes(budget(60, 60)));
        // The benchmark's 60/6s: 10,000 a second.
        assert!(!defer_indexes(budget(60, 6)));
        assert!(defer_indexes(budget(1000, 60)));
        assert!(defer_indexes(budget(60, 1)));
    }

    #[test]
    fn the_guard_allows_a_fraction_and_refuses_more() {
        let spec = crate::entities::entity("tickets").expect("tickets");
        assert!(check_guard(spec, 10, 100, 0.1).is_ok());
        assert!(
            check_guard(spec, 1, 5, 0.1).is_ok(),
            "one row always may go"
        );
        let err = check_guard(spec, 11, 100, 0.1)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            err.contains("11 of 100") && err.contains("--max-delete-fraction 0.11"),
            "{err}"
        );
        assert!(check_guard(spec, 100, 100, 1.0).is_ok());
        assert!(check_guard(spec, 2, 2, 0.1).is_err());
    }

    #[test]
    fn duplicate_ids_keep_the_last_row() {
        let spec = crate::entities::entity("tickets").expect("tickets");
        let row = |id, json: &str| Row {
            cells: Vec::new(),
            ..crate::record::to_row(spec, &format!(r#"{{"id":{id},"x":"{json}"}}"#), None)
                .expect("row")
        };
        let mut rows = vec![row(1, "a"), row(2, "b"), row(1, "c")];
        dedupe(&mut rows);
        let kept: Vec<(i64, String)> = rows
            .iter()
            .map(|r| {
                (
                    r.id,
                    String::from_utf8_lossy(r.json.as_bytes()).into_owned(),
                )
            })
            .collect();
        assert_eq!(
            kept,
            [
                (2, r#"{"id":2,"x":"b"}"#.into()),
                (1, r#"{"id":1,"x":"c"}"#.into())
            ]
        );
    }
}
