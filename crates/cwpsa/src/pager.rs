//! Lists as streams of records, one page in memory at a time.
//!
//! Two modes:
//! - forward-only (`pagination-type: forward-only`, `pageId` = the last id seen): ordered by id
//!   and consistent under concurrent inserts and deletes; the default when no `orderBy` is
//!   given;
//! - pages (`page=N`): needed for `orderBy`. The `Link` header's `rel="next"` says whether
//!   there is another page (and its number); without a `Link` header at all, a short page ends
//!   the list.
//!
//! The next request is built by the client rather than copied from `Link`: the server's URL
//! encoding of `conditions` is not to be trusted with a `+`, and a search body is not in it.

use std::marker::PhantomData;
use std::sync::Arc;

use futures_util::stream::{self, BoxStream, StreamExt};
use reqwest::Method;
use reqwest::header::{HeaderName, HeaderValue};
use serde::de::{Deserialize, DeserializeOwned, DeserializeSeed, Deserializer, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::error::{Error, ErrorKind, Result};
use crate::query::{Encoded, Query};
use crate::transport::{Client, MAX_URL_LEN, json_text};

/// How a list is paged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Paging {
    /// Forward-only unless the query has an `orderBy`.
    #[default]
    Auto,
    ForwardOnly,
    Pages,
}

/// Page size used when the query names none: the largest, as requests are what is rationed.
pub const DEFAULT_LIST_PAGE_SIZE: u32 = 1000;

/// Paths that offer `POST <path>/search` for conditions too long for a URL.
const SEARCHABLE: [&str; 2] = ["service/tickets", "project/tickets"];

#[derive(Debug, Clone, Copy)]
enum Cursor {
    Page(u32),
    PageId(i64),
}

/// What every page request of one list shares.
struct Pager {
    client: Client,
    path: String,
    filters: Encoded,
    forward_only: bool,
    page_size: u32,
}

/// A page's records, decoded one by one.
type Page<T> = Vec<Result<T>>;
type PageStream<T> = BoxStream<'static, Result<Page<T>>>;

impl Client {
    /// Every record of a list, as a stream (forward-only unless the query orders).
    ///
    /// A record that fails to decode is yielded as an `Err` naming its index, id and field;
    /// the stream goes on. A request failure (after retries) ends the stream with that error.
    pub fn list<T>(&self, path: &str, query: &Query) -> BoxStream<'static, Result<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.list_with(path, query, Paging::Auto)
    }

    pub fn list_with<T>(
        &self,
        path: &str,
        query: &Query,
        paging: Paging,
    ) -> BoxStream<'static, Result<T>>
    where
        T: DeserializeOwned + Send + 'static,
    {
        self.pages(path, query, paging)
            .flat_map(|page| match page {
                Ok(records) => stream::iter(records).left_stream(),
                Err(e) => stream::iter(vec![Err(e)]).right_stream(),
            })
            .boxed()
    }

    /// The pages of a list, each a vector of per-record decode results. The stream ends after
    /// the first request that fails (after retries).
    pub fn pages<T>(&self, path: &str, query: &Query, paging: Paging) -> PageStream<T>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let forward_only = match paging {
            Paging::Auto => !query.has_order_by(),
            Paging::ForwardOnly => true,
            Paging::Pages => false,
        };
        let setup = if forward_only && query.has_order_by() {
            Err(Error::new(
                ErrorKind::InvalidArgument,
                "forward-only paging always orders by id: drop orderBy or use Paging::Pages",
            ))
        } else {
            query.encode_filters(!forward_only)
        };
        let mut filters = match setup {
            Ok(f) => f,
            Err(e) => return stream::iter(vec![Err(e)]).boxed(),
        };
        if forward_only {
            ensure_id_selected(&mut filters);
        }
        let pager = Arc::new(Pager {
            client: self.clone(),
            path: path.trim_matches('/').to_owned(),
            filters,
            forward_only,
            page_size: query.page_size_or(DEFAULT_LIST_PAGE_SIZE),
        });
        let pages_in_flight = query.concurrency_or_one();
        let pages = if pages_in_flight <= 1 {
            let first = if forward_only {
                Cursor::PageId(0)
            } else {
                Cursor::Page(1)
            };
            sequential(pager, first)
        } else if forward_only {
            id_ranges(pager, pages_in_flight)
        } else {
            prefetched(pager, query.clone(), pages_in_flight)
        };
        stop_after_error(pages)
    }
}

/// Pages one after the other, each request built from the previous page's answer.
fn sequential<T>(pager: Arc<Pager>, first: Cursor) -> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    stream::unfold(
        (pager, Some(first), 0u64),
        |(pager, cursor, seen)| async move {
            let cursor = cursor?;
            match Arc::clone(&pager).fetch_in_task::<T>(cursor, seen).await {
                Ok((records, next)) => {
                    let seen = seen + records.len() as u64;
                    Some((Ok(records), (pager, next, seen)))
                }
                Err(e) => Some((Err(e), (pager, None, seen))),
            }
        },
    )
    .boxed()
}

/// Page mode with up to `k` pages in flight: `/count` says how many pages there are, those are
/// fetched ahead and yielded in order; anything after the last counted page (records added
/// meanwhile) is then followed one page at a time.
fn prefetched<T>(pager: Arc<Pager>, query: Query, k: usize) -> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let planning = {
        let pager = Arc::clone(&pager);
        async move {
            let total = pager.client.count(&pager.path, &query).await?;
            Ok::<u32, Error>(total.div_ceil(u64::from(pager.page_size)).max(1) as u32)
        }
    };
    stream::once(planning)
        .flat_map(move |planned| {
            let pages = match planned {
                Ok(n) => n,
                Err(e) => return stream::iter(vec![Err(e)]).boxed(),
            };
            // The last counted page's answer says whether the list goes on.
            let after_last = Arc::new(std::sync::Mutex::new(None::<Cursor>));
            let fetched = {
                let (pager, after_last) = (Arc::clone(&pager), Arc::clone(&after_last));
                stream::iter(1..=pages)
                    .map(move |n| {
                        let pager = Arc::clone(&pager);
                        let after_last = Arc::clone(&after_last);
                        async move {
                            let first_index = u64::from(n - 1) * u64::from(pager.page_size);
                            let (records, next) = Arc::clone(&pager)
                                .fetch_in_task::<T>(Cursor::Page(n), first_index)
                                .await?;
                            if n == pages {
                                *lock(&after_last) = next;
                            }
                            Ok(records)
                        }
                    })
                    .buffered(k)
            };
            let pager = Arc::clone(&pager);
            let rest =
                stream::once(async move { lock(&after_last).take() }).flat_map(move |next| {
                    match next {
                        Some(cursor) => sequential(Arc::clone(&pager), cursor),
                        None => stream::empty().boxed(),
                    }
                });
            fetched.chain(rest).boxed()
        })
        .boxed()
}

/// Forward-only with `k` id ranges scanned side by side. The first page is read as usual; the
/// largest id (one more request) bounds the rest, which is cut into `k` ranges, the last one
/// open so that records inserted meanwhile are still seen. Each range is an ordinary
/// forward-only scan, so a record that exists throughout is yielded exactly once.
fn id_ranges<T>(pager: Arc<Pager>, k: usize) -> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let first = {
        let pager = Arc::clone(&pager);
        async move {
            let (records, next) = Arc::clone(&pager)
                .fetch_in_task::<T>(Cursor::PageId(0), 0)
                .await?;
            let plan = match next {
                Some(Cursor::PageId(after)) => match pager.largest_id().await? {
                    Some(largest) if largest > after => Some((after, largest)),
                    // Nothing beyond the first page when it was read: one plain scan.
                    _ => Some((after, after)),
                },
                _ => None,
            };
            Ok::<_, Error>((records, plan))
        }
    };
    stream::once(first)
        .flat_map(move |outcome| {
            let (records, plan) = match outcome {
                Ok(done) => done,
                Err(e) => return stream::iter(vec![Err(e)]).boxed(),
            };
            let head = stream::iter(vec![Ok(records)]);
            let Some((after, largest)) = plan else {
                return head.boxed();
            };
            let span = (largest - after).max(0);
            let k = (k as i64).min(span.max(1));
            // In i128: ids near i64::MAX must not overflow the arithmetic.
            let bounds: Vec<i64> = (0..k)
                .map(|i| {
                    (i128::from(after) + i128::from(span) * i128::from(i) / i128::from(k)) as i64
                })
                .collect();
            let ranges: Vec<PageStream<T>> = bounds
                .iter()
                .enumerate()
                .map(|(i, &from)| {
                    let upto = bounds.get(i + 1).copied();
                    sequential(Arc::new(pager.with_upper_id(upto)), Cursor::PageId(from))
                })
                .collect();
            head.chain(stream::select_all(ranges)).boxed()
        })
        .boxed()
}

/// Forward-only paging continues from the last id seen (when the server sends no `Link`), so
/// a `fields` selection without `id` gets it added: records then carry their id too.
fn ensure_id_selected(filters: &mut Encoded) {
    if let Some((_, fields)) = filters.pairs.iter_mut().find(|(k, _)| *k == "fields")
        && !fields
            .split(',')
            .any(|f| f.trim().eq_ignore_ascii_case("id"))
    {
        fields.push_str(",id");
    }
}

/// Ends a page stream after its first error: pages fetched ahead past a failure are dropped,
/// so a consumer never mistakes a list with a hole for a complete one.
fn stop_after_error<T: Send + 'static>(pages: PageStream<T>) -> PageStream<T> {
    pages
        .scan(false, |failed, page| {
            let item = (!*failed).then(|| {
                *failed = page.is_err();
                page
            });
            std::future::ready(item)
        })
        .boxed()
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Aborts a spawned page fetch when the stream that wanted it is dropped.
struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Pager {
    /// [`Pager::fetch`] as its own task: with several pages in flight, their decoding then
    /// runs on all the runtime's threads instead of inside the one task polling the stream.
    async fn fetch_in_task<T>(
        self: Arc<Pager>,
        cursor: Cursor,
        first_index: u64,
    ) -> Result<(Vec<Result<T>>, Option<Cursor>)>
    where
        T: DeserializeOwned + Send + 'static,
    {
        let mut task = AbortOnDrop(tokio::spawn(async move {
            self.fetch::<T>(cursor, first_index).await
        }));
        match (&mut task.0).await {
            Ok(outcome) => outcome,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(Error::new(
                ErrorKind::Transport,
                format!("a page request was cancelled: {e}"),
            )),
        }
    }

    /// The same list restricted to `id <= upto` (unchanged for `None`).
    fn with_upper_id(&self, upto: Option<i64>) -> Pager {
        let mut filters = self.filters.clone();
        if let Some(upto) = upto {
            let bound = format!("id <= {upto}");
            match filters.pairs.iter_mut().find(|(k, _)| *k == "conditions") {
                // The text is the canonical print of a parsed expression: balanced, so
                // parenthesising it keeps its meaning.
                Some((_, c)) => *c = format!("({c}) and {bound}"),
                None => filters.pairs.insert(0, ("conditions", bound)),
            }
        }
        Pager {
            client: self.client.clone(),
            path: self.path.clone(),
            filters,
            forward_only: self.forward_only,
            page_size: self.page_size,
        }
    }

    /// The largest id the list's conditions match, or `None` when nothing matches.
    async fn largest_id(&self) -> Result<Option<i64>> {
        let mut params = Encoded::default();
        for (k, v) in &self.filters.pairs {
            if !matches!(*k, "fields" | "orderBy") {
                params.push(k, v.clone());
            }
        }
        params.push("orderBy", "id desc");
        params.push("fields", "id");
        params.push("pageSize", "1");
        let response = self
            .client
            .request(Method::GET, &self.path)
            .params(params)
            .send()
            .await?;
        let text = json_text(&response.body, &format!("the largest id of {}", self.path))?;
        let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
            Error::new(
                ErrorKind::Decode,
                format!("the largest id of {} is not a JSON array: {e}", self.path),
            )
        })?;
        Ok(raws.first().and_then(|r| record_id(r)))
    }

    async fn fetch<T: DeserializeOwned>(
        &self,
        cursor: Cursor,
        first_index: u64,
    ) -> Result<(Vec<Result<T>>, Option<Cursor>)> {
        let mut paging = Encoded::default();
        paging.push("pageSize", self.page_size.to_string());
        match cursor {
            Cursor::PageId(0) => {}
            Cursor::PageId(id) => paging.push("pageId", id.to_string()),
            // The page number goes last, where clients in the wild expect it.
            Cursor::Page(n) => paging.push("page", n.to_string()),
        }
        let base = self.client.base_url().await?;
        let mut all = self.filters.clone();
        all.pairs.extend(paging.pairs.iter().cloned());
        let url_len = base.as_str().len() + self.path.len() + 1 + all.to_query_string().len();
        let mut request = if url_len <= MAX_URL_LEN {
            self.client.request(Method::GET, &self.path).params(all)
        } else if SEARCHABLE
            .iter()
            .any(|p| p.eq_ignore_ascii_case(&self.path))
        {
            let body: serde_json::Map<String, serde_json::Value> = self
                .filters
                .pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                .collect();
            // A search is a read: safe to retry.
            self.client
                .request(Method::POST, &format!("{}/search", self.path))
                .params(paging)
                .json(&body)
                .retry_writes(true)
        } else {
            return Err(Error::new(
                ErrorKind::InvalidArgument,
                format!(
                    "the conditions make the URL of {} {url_len} characters long, over {MAX_URL_LEN}, and this endpoint has no POST .../search: split the query",
                    self.path
                ),
            ));
        };
        if self.forward_only {
            request = request.header(
                HeaderName::from_static("pagination-type"),
                HeaderValue::from_static("forward-only"),
            );
        }
        let response = request.send().await?;
        let records = decode_page::<T>(&response.body, &self.path, first_index, self.page_size)?;
        let link = response
            .headers
            .get(reqwest::header::LINK)
            .and_then(|v| v.to_str().ok())
            .map(parse_next);
        let full = records.len() >= self.page_size as usize;
        let next = if records.is_empty() {
            None
        } else if self.forward_only {
            let from_link = match link {
                Some(None) => return Ok((records, None)),
                Some(Some(url)) => param_of(&url, "pageId").and_then(|v| v.parse::<i64>().ok()),
                None if !full => return Ok((records, None)),
                None => None,
            };
            let id = match from_link {
                Some(id) => id,
                None => last_id(&response.body).ok_or_else(|| {
                    Error::new(
                        ErrorKind::Decode,
                        format!("forward-only paging of {} needs each record's id: include `id` in fields", self.path),
                    )
                })?,
            };
            let previous = match cursor {
                Cursor::PageId(p) => p,
                Cursor::Page(_) => 0,
            };
            if id <= previous {
                return Err(Error::new(
                    ErrorKind::Decode,
                    format!(
                        "forward-only paging of {} did not advance (pageId {id} after {previous})",
                        self.path
                    ),
                ));
            }
            Some(Cursor::PageId(id))
        } else {
            let current = match cursor {
                Cursor::Page(n) => n,
                Cursor::PageId(_) => 1,
            };
            match link {
                Some(None) => None,
                Some(Some(url)) => {
                    let n = param_of(&url, "page")
                        .and_then(|v| v.parse::<u32>().ok())
                        .unwrap_or(current + 1);
                    (n > current).then_some(Cursor::Page(n))
                }
                None => full.then_some(Cursor::Page(current + 1)),
            }
        };
        Ok((records, next))
    }
}

/// A page's records. The whole array is decoded in one pass when it can be, straight into a
/// vector with room for the page (no regrowth: a decoded `Ticket` is some 6 KB); only a page
/// with a record that does not decode is split record by record, so that the others still
/// come through and the failing one is named.
fn decode_page<T: DeserializeOwned>(
    body: &[u8],
    path: &str,
    first_index: u64,
    page_size: u32,
) -> Result<Vec<Result<T>>> {
    let text = json_text(body, &format!("a page of {path}"))?;
    // A record takes at least two bytes (`{}`) and a comma.
    let capacity = (page_size as usize).min(text.len() / 3);
    let mut de = serde_json::Deserializer::from_str(text);
    let whole = PageSeed {
        capacity,
        record: PhantomData,
    }
    .deserialize(&mut de)
    .and_then(|records| de.end().map(|()| records));
    if let Ok(records) = whole {
        return Ok(records);
    }
    let raws: Vec<&RawValue> = serde_json::from_str(text).map_err(|e| {
        Error::new(
            ErrorKind::Decode,
            format!("a page of {path} is not a JSON array: {e}"),
        )
    })?;
    Ok(raws
        .iter()
        .enumerate()
        .map(|(i, raw)| decode_record(raw, path, first_index + i as u64))
        .collect())
}

/// Decodes a JSON array of records into a page's vector, sized up front.
struct PageSeed<T> {
    capacity: usize,
    record: PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> DeserializeSeed<'de> for PageSeed<T> {
    type Value = Vec<Result<T>>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for PageSeed<T> {
    type Value = Vec<Result<T>>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON array of records")
    }

    fn visit_seq<A: SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<Self::Value, A::Error> {
        let mut records = Vec::with_capacity(self.capacity);
        while let Some(record) = seq.next_element()? {
            records.push(Ok(record));
        }
        Ok(records)
    }
}

/// The id of a page's last record (for forward-only paging without a `Link` header).
fn last_id(body: &[u8]) -> Option<i64> {
    let raws: Vec<&RawValue> = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
    raws.last().and_then(|r| record_id(r))
}

fn decode_record<T: DeserializeOwned>(raw: &RawValue, path: &str, index: u64) -> Result<T> {
    // The fast path; only a failure pays for decoding again while tracking the field's path.
    if let Ok(record) = serde_json::from_str(raw.get()) {
        return Ok(record);
    }
    let mut de = serde_json::Deserializer::from_str(raw.get());
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let id = record_id(raw).map_or_else(|| "no id".to_owned(), |id| format!("id {id}"));
        Error::new(
            ErrorKind::Decode,
            format!(
                "record {index} of {path} ({id}): cannot decode `{}`: {}",
                e.path(),
                e.inner()
            ),
        )
    })
}

fn record_id(raw: &RawValue) -> Option<i64> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<i64>,
    }
    serde_json::from_str::<IdOnly>(raw.get()).ok()?.id
}

/// From a `Link` header: `Some(url)` of `rel="next"`, or `None` when there is no next.
fn parse_next(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, params) = part.trim().strip_prefix('<')?.split_once('>')?;
        params
            .split(';')
            .any(|p| {
                let p = p.trim();
                p.eq_ignore_ascii_case("rel=\"next\"") || p.eq_ignore_ascii_case("rel=next")
            })
            .then(|| url.to_owned())
    })
}

fn param_of(url: &str, name: &str) -> Option<String> {
    let query = url.split_once('?')?.1;
    query.split('&').rev().find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.eq_ignore_ascii_case(name).then(|| v.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_next_is_found() {
        let h = r#"<https://h/v4_6_release/apis/3.0/service/tickets?pageSize=50&page=1>; rel="first", <https://h/x?pageSize=50&page=3>; rel="next", <https://h/x?pageSize=50&page=9>; rel="last""#;
        let next = parse_next(h);
        assert_eq!(next.as_deref(), Some("https://h/x?pageSize=50&page=3"));
        assert_eq!(
            param_of("https://h/x?pageSize=50&page=3", "page").as_deref(),
            Some("3")
        );
        assert_eq!(parse_next(r#"<https://h/x?page=1>; rel="first""#), None);
    }
}
