//! `cw list PATH`: records as a stream, one page in memory at a time.

use std::cell::RefCell;
use std::io::{self, IsTerminal, Write};
use std::rc::Rc;

use clap::Args;
use cwpsa::{HeaderName, HeaderValue, Method, Paging, Query};
use futures_util::StreamExt;
use serde_json::value::RawValue;

use crate::app::{Ctx, FilterArgs, quiet_pipe};
use crate::error::{CliError, CliResult};
use crate::output;
use crate::paths::{self, Target};

/// Records shown when neither --limit nor --all is given.
const DEFAULT_LIMIT: u64 = 25;

#[derive(Debug, Args)]
#[command(after_help = paths::aliases_help())]
pub struct ListArgs {
    /// API path or alias: tickets, companies, tickets/5/notes, service/boards...
    pub path: String,
    #[command(flatten)]
    pub filters: FilterArgs,
    /// Sort order, e.g. 'priority/id asc, id desc' (pages by number instead of forward-only).
    #[arg(long, value_name = "ORDER")]
    pub order_by: Option<String>,
    /// Fields to fetch, also the table and csv columns, e.g. id,summary,status/name.
    #[arg(short, long, value_name = "FIELDS")]
    pub fields: Option<String>,
    /// Records per request, 1 to 1000 [default: the limit, at most 1000].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub page_size: Option<u32>,
    /// Show at most N records [default: 25].
    #[arg(
        short = 'n',
        long,
        value_name = "N",
        conflicts_with = "all",
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub limit: Option<u64>,
    /// Every record, however many: streamed, so memory stays flat.
    #[arg(long)]
    pub all: bool,
    /// Forward-only paging (ordered by id, consistent while records change): the default
    /// without --order-by; this flag makes it explicit.
    #[arg(long, conflicts_with = "order_by")]
    pub forward_only: bool,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &ListArgs) -> CliResult {
    let target = paths::resolve(&args.path)?;
    let mut query = args.filters.query(target.entity, ctx.global.quiet)?;
    if let Some(order) = &args.order_by {
        query = query.order_by(order.as_str());
    }
    let forward_only = args.forward_only || args.order_by.is_none();
    if let Some(fields) = &args.fields {
        query = query.fields(fields_to_fetch(fields, forward_only).as_str());
    }
    let limit = if args.all {
        None
    } else {
        Some(args.limit.unwrap_or(DEFAULT_LIMIT))
    };
    stream(
        ctx,
        &target,
        query,
        &Listing {
            limit,
            page_size: args.page_size,
            forward_only,
            fields: args.fields.as_deref(),
        },
    )
    .await
}

/// The `fields` to ask for: forward-only paging goes on from the last record's id, so `id` is
/// fetched too (tables and csv still show only the fields asked for).
pub fn fields_to_fetch(fields: &str, forward_only: bool) -> String {
    let has_id = fields
        .split(',')
        .any(|f| f.trim().eq_ignore_ascii_case("id"));
    if forward_only && !has_id {
        format!("id,{fields}")
    } else {
        fields.to_owned()
    }
}

/// How to list.
pub struct Listing<'a> {
    pub limit: Option<u64>,
    pub page_size: Option<u32>,
    pub forward_only: bool,
    pub fields: Option<&'a str>,
}

/// Lists `target` into stdout in the chosen format; shared with `callbacks list`.
pub async fn stream(ctx: &Ctx, target: &Target, query: Query, how: &Listing<'_>) -> CliResult {
    let what = format!("GET {}", target.path);
    // One record more than the limit tells whether there are more, at no extra request.
    let page_size = how.page_size.unwrap_or_else(|| {
        how.limit.map_or(1000, |l| {
            u32::try_from(l.saturating_add(1)).unwrap_or(1000).min(1000)
        })
    });
    let query = query.page_size(page_size);
    query.validate().map_err(|e| CliError::api(&e, &what))?;
    let paging = if how.forward_only {
        Paging::ForwardOnly
    } else {
        Paging::Pages
    };

    // What the first request will be, for --dry-run and -vv.
    let mut first = ctx.client.request(Method::GET, &target.path).query(&query);
    let note = if how.forward_only {
        first = first.header(
            HeaderName::from_static("pagination-type"),
            HeaderValue::from_static("forward-only"),
        );
        "the first page: the next ones add pageId=<the last id so far>"
    } else {
        first = first.param("page", "1");
        "the first page: the next ones ask for page=2, 3..."
    };
    if ctx.dry_run(&first, Some(note))? {
        return Ok(());
    }

    let long = how.limit.is_none_or(|l| l > u64::from(page_size));
    if ctx.progress.bar_allowed() && long {
        // The total gives the bar a length and an ETA; without it the bar still counts.
        let total = ctx.client.count(&target.path, &query).await.ok();
        let total = match (total, how.limit) {
            (Some(t), Some(l)) => Some(t.min(l)),
            (t, _) => t,
        };
        ctx.progress.start(total);
    }

    let buffer = PageBuffer::default();
    let mut writer = buffer.clone();
    let columns = ctx.columns(how.fields, target.entity);
    let mut sink = output::sink(ctx.format, &mut writer, columns, ctx.width);
    let mut pages = ctx
        .client
        .pages::<Box<RawValue>>(&target.path, &query, paging);
    let stdout_tty = io::stdout().is_terminal();
    let mut written: u64 = 0;
    let mut more = false;
    let mut failure = None;
    'pages: while let Some(page) = pages.next().await {
        let page = match page {
            Ok(page) => page,
            Err(e) => {
                failure = Some(CliError::api(&e, &what));
                break;
            }
        };
        ctx.progress.page(page.len() as u64);
        for record in page {
            if how.limit.is_some_and(|l| written >= l) {
                more = true;
                break 'pages;
            }
            match record {
                Ok(v) => sink.record(&v)?,
                Err(e) => {
                    if !ctx.global.quiet {
                        eprintln!("warning: {e}");
                    }
                }
            }
            written += 1;
        }
        if !buffer.drain(ctx, stdout_tty)? {
            return Ok(());
        }
    }
    drop(pages);
    if failure.is_none() {
        sink.finish()?;
    }
    drop(sink);
    ctx.progress.finish();
    if !buffer.drain(ctx, stdout_tty)? {
        return Ok(());
    }
    if let Some(e) = failure {
        if written > 0 {
            return Err(e.with_detail(format!("{written} records were written before the failure")));
        }
        return Err(e);
    }
    let on_terminal = io::stderr().is_terminal() && !ctx.global.quiet;
    if on_terminal && more {
        eprintln!("(the first {written} records; --limit N or --all for more)");
    } else if on_terminal && written == 0 {
        eprintln!("(no records)");
    }
    Ok(())
}

/// Output of the current page, written to stdout between pages so that the progress bar can
/// step aside on a terminal.
#[derive(Clone, Default)]
struct PageBuffer(Rc<RefCell<Vec<u8>>>);

impl Write for PageBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl PageBuffer {
    /// Writes what is buffered to stdout; false when stdout is closed (a pipe to `head`).
    fn drain(&self, ctx: &Ctx, stdout_tty: bool) -> CliResult<bool> {
        let mut bytes = self.0.borrow_mut();
        if bytes.is_empty() {
            return Ok(true);
        }
        let write = || {
            let mut out = io::stdout().lock();
            out.write_all(&bytes).and_then(|()| out.flush())
        };
        let result = if stdout_tty {
            ctx.progress.suspend(write)
        } else {
            write()
        };
        bytes.clear();
        match result {
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(false),
            other => quiet_pipe(other).map(|()| true),
        }
    }
}
