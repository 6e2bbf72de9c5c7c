//! `cw mcp [--http ADDR] [--allow-writes]`: the Model Context Protocol server (see
//! `crate::mcp`), over stdio for desktop agents or streamable HTTP on a loopback address.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use rmcp::ServiceExt;
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::{StreamableHttpServerConfig, StreamableHttpService};

use crate::app::Ctx;
use crate::error::{CliError, CliResult};
use crate::mcp::log::{CallLog, Redactor};
use crate::mcp::{Options, Server};

#[derive(Debug, Args)]
#[command(after_help = "\
Read-only unless --allow-writes: the write tools (create, update_fields, add_ticket_note,
log_time, delete) are then listed, and each takes dry_run. Every call is logged as one JSON
line (time, tool, arguments, duration, outcome) on stderr or to --log FILE; the credentials
never appear in a result or the log.

For a desktop agent, add to its MCP configuration:
  {\"mcpServers\": {\"connectwise\": {\"command\": \"cw\", \"args\": [\"mcp\"]}}}
and try it on demo data first with \"args\": [\"--sandbox\", \"mcp\"].")]
pub struct McpArgs {
    /// Serve streamable HTTP at http://ADDR/mcp instead of stdio. Loopback only (the server
    /// has no authentication of its own); port 0 picks a free port, printed on stderr.
    #[arg(long, value_name = "ADDR")]
    pub http: Option<SocketAddr>,
    /// Offer the write tools. Without it they are not listed, and calling one is refused.
    #[arg(long)]
    pub allow_writes: bool,
    /// Characters of JSON text a tool result may have; longer results are cut, saying how to
    /// get the rest.
    #[arg(long, value_name = "CHARS", default_value_t = 16_000,
          value_parser = clap::value_parser!(u64).range(1_000..=1_000_000))]
    pub max_output: u64,
    /// Records a search returns when the agent gives no limit.
    #[arg(long, value_name = "N", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub default_limit: u32,
    /// The most records one search may return.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub max_limit: u32,
    /// Append the call log to FILE instead of writing it on stderr.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    #[command(flatten)]
    pub conn: crate::settings::ConnectionArgs,
}

pub async fn run(ctx: &Ctx, args: &McpArgs) -> CliResult {
    if args.default_limit > args.max_limit {
        return Err(CliError::usage(format!(
            "--default-limit {} is above --max-limit {}",
            args.default_limit, args.max_limit
        )));
    }
    let preview_base = match ctx.client.known_base_url() {
        Some(_) => None,
        None => ctx.placeholder_base().ok(),
    };
    let log = CallLog::open(args.log.as_deref(), Redactor::new(&ctx.settings)).map_err(|e| {
        CliError::usage(format!(
            "cannot open the log file {}: {e}",
            args.log
                .as_deref()
                .unwrap_or(std::path::Path::new(""))
                .display()
        ))
    })?;
    let options = Options {
        allow_writes: args.allow_writes,
        max_output: usize::try_from(args.max_output).unwrap_or(usize::MAX),
        default_limit: args.default_limit,
        max_limit: args.max_limit,
    };
    let server = Server::new(ctx.client.clone(), preview_base, options, log);
    let mode = if args.allow_writes {
        "writes allowed"
    } else {
        "read-only"
    };
    match args.http {
        None => {
            server.log().event(&format!(
                "serving {} tools ({mode}) over stdio",
                server.tool_count()
            ));
            serve_stdio(server).await
        }
        Some(addr) => serve_http(server, addr, mode).await,
    }
}

async fn serve_stdio(server: Server) -> CliResult {
    if std::io::stdin().is_terminal() {
        eprintln!(
            "cw mcp speaks the Model Context Protocol on stdin and stdout: an agent starts it (see `cw mcp --help`). Ctrl-D ends it."
        );
    }
    let log = server.clone();
    let running = server
        .serve(rmcp::transport::stdio())
        .await
        .map_err(|e| CliError::other(format!("the MCP session did not start: {e}")))?;
    let reason = running
        .waiting()
        .await
        .map_err(|e| CliError::other(format!("the MCP session failed: {e}")))?;
    log.log().event(&format!("session ended: {reason:?}"));
    Ok(())
}

async fn serve_http(server: Server, addr: SocketAddr, mode: &str) -> CliResult {
    if !addr.ip().is_loopback() {
        return Err(CliError::usage(format!(
            "--http {addr}: only a loopback address (127.0.0.1, [::1]) is served, as the server has no authentication; put an authenticating proxy in front for remote agents"
        )));
    }
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| CliError::other(format!("cannot listen on {addr}: {e}")))?;
    let bound = listener
        .local_addr()
        .map_err(|e| CliError::other(format!("no local address: {e}")))?;
    let tools = server.tool_count();
    let log = server.clone();
    let config = StreamableHttpServerConfig::default();
    let stop = config.cancellation_token.clone();
    let service = StreamableHttpService::new(
        move || Ok(server.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    let app = axum::Router::new().route_service("/mcp", service);
    // On stderr whatever --log says: a test or a supervisor reads the port from it.
    eprintln!("cw mcp: listening on http://{bound}/mcp");
    log.log().event(&format!(
        "serving {tools} tools ({mode}) on http://{bound}/mcp"
    ));
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.cancel();
        })
        .await
        .map_err(|e| CliError::other(format!("the HTTP server failed: {e}")))?;
    log.log().event("stopped");
    Ok(())
}
