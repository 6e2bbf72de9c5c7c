//! `cw mcp`: a Model Context Protocol server that gives an AI agent the API through a few
//! tools, on the same client (settings, rate limiter, retries) as every other command.
//!
//! - [`tools`]: the tools' definitions and handlers; [`args`]: their arguments and schemas;
//!   [`describe`]: what the schema registry tells an agent.
//! - [`budget`]: every result cut to the output budget, saying how to get the rest.
//! - [`log`]: one line per call for the operator, and the redaction of the credentials.
//!
//! Read-only unless started with `--allow-writes`: the write tools are then not even listed.
//! Every failure is a tool result with `isError: true` whose text says what to change, never a
//! protocol error (which agents tend to show as an opaque "internal error").

mod args;
mod budget;
mod describe;
pub mod log;
mod tools;

use std::sync::Arc;
use std::time::Instant;

use cwpsa::{Client, Url};
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
    ListToolsResult, PaginatedRequestParams, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::RequestContext;
use rmcp::{ErrorData, RoleServer, ServerHandler};
use serde_json::Value;

use self::log::{Call, CallLog, Outcome};

/// Limits the operator sets on the command line.
#[derive(Debug, Clone)]
pub struct Options {
    pub allow_writes: bool,
    /// Characters of JSON text a result may have.
    pub max_output: usize,
    /// Records search returns when the agent gives no limit.
    pub default_limit: u32,
    /// The most records one search may return.
    pub max_limit: u32,
}

/// What every session shares.
#[derive(Debug)]
pub struct Shared {
    client: Client,
    /// The base URL a dry run shows when the codebase is still to be discovered.
    preview_base: Option<Url>,
    options: Options,
    tools: Vec<Tool>,
    log: CallLog,
}

/// The server: cheap to clone, one clone per HTTP session.
#[derive(Debug, Clone)]
pub struct Server(Arc<Shared>);

impl Server {
    pub fn new(
        client: Client,
        preview_base: Option<Url>,
        options: Options,
        log: CallLog,
    ) -> Server {
        let tools = tools::catalogue(
            options.allow_writes,
            options.default_limit,
            options.max_limit,
        );
        Server(Arc::new(Shared {
            client,
            preview_base,
            options,
            tools,
            log,
        }))
    }

    pub fn tool_count(&self) -> usize {
        self.0.tools.len()
    }

    pub fn log(&self) -> &CallLog {
        &self.0.log
    }

    /// Runs one call and logs it; the text is redacted before it leaves.
    async fn run(&self, name: &str, arguments: Value) -> CallToolResult {
        let started = Instant::now();
        let shared = &*self.0;
        let result = tools::call(shared, name, &arguments).await;
        let redactor = shared.log.redactor();
        let (text, outcome) = match result {
            Ok(reply) => (
                redactor.redact(&reply.text),
                if reply.dry_run {
                    Outcome::DryRun
                } else {
                    Outcome::Ok
                },
            ),
            Err(e) => (redactor.redact(&agent_text(&e)), Outcome::Error),
        };
        shared.log.record(&Call {
            tool: name,
            arguments: &arguments,
            duration: started.elapsed(),
            outcome,
            error: (outcome == Outcome::Error).then(|| text.lines().next().unwrap_or_default()),
            result_chars: text.chars().count(),
        });
        let content = vec![ContentBlock::text(text)];
        if outcome == Outcome::Error {
            CallToolResult::error(content)
        } else {
            CallToolResult::success(content)
        }
    }
}

/// An error as the agent reads it: the message and its details, without the CLI's `error:`.
fn agent_text(e: &crate::error::CliError) -> String {
    let text = e.to_string();
    text.strip_prefix("error: ").unwrap_or(&text).to_owned()
}

const INSTRUCTIONS: &str = "Tools for ConnectWise PSA (tickets, companies, contacts, members, boards, projects, time entries and any other API path). Start with describe_entities and describe_entity to learn entity names and fields; write conditions in the ConnectWise conditions language (check_conditions validates one); search returns compact records with `total`, `more` and `next`; results are cut to an output budget, with a `cut` member that says how to get the rest. Write tools (create, update_fields, add_ticket_note, log_time, delete) exist only when the operator allows writes; each takes dry_run to preview the exact request.";

impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("cw", env!("CARGO_PKG_VERSION"))
                    .with_title("ConnectWise PSA (cw mcp)"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(self.0.tools.clone()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        _context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        Ok(self.run(&request.name, arguments).await.into())
    }
}
