//! `cw callbacks list|add|remove`: callback (webhook) registrations at `system/callbacks`.

use clap::{Args, Subcommand};
use cwpsa::{Method, Query};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::app::Ctx;
use crate::error::{CliError, CliResult};
use crate::output::Columns;
use crate::paths;
use crate::settings::ConnectionArgs;

const PATH: &str = "system/callbacks";

#[derive(Debug, Subcommand)]
pub enum CallbacksCommand {
    /// List the registered callbacks.
    List {
        /// Fields to fetch and show, e.g. id,url,type.
        #[arg(short, long, value_name = "FIELDS")]
        fields: Option<String>,
        #[command(flatten)]
        conn: ConnectionArgs,
    },
    /// Register a callback: ConnectWise POSTs to URL when a record of TYPE changes.
    Add(AddArgs),
    /// Remove a callback by id (asks first on a terminal; elsewhere --yes is required).
    Remove {
        /// Callback id (see `cw callbacks list`).
        id: String,
        /// Remove without asking.
        #[arg(short, long)]
        yes: bool,
        #[command(flatten)]
        conn: ConnectionArgs,
    },
}

#[derive(Debug, Args)]
pub struct AddArgs {
    /// Where to deliver, an https URL your receiver serves.
    #[arg(long)]
    url: String,
    /// What to watch: ticket, company, contact, project, activity, opportunity...
    #[arg(long = "type", value_name = "TYPE")]
    kind: String,
    /// owner (every record), or a reference field whose id must be --object-id (board...).
    #[arg(long, default_value = "owner")]
    level: String,
    /// The id the level's reference must have (ignored for owner).
    #[arg(long, default_value_t = 0)]
    object_id: i64,
    #[arg(long)]
    description: Option<String>,
    /// Register it switched off.
    #[arg(long)]
    inactive: bool,
    #[command(flatten)]
    conn: ConnectionArgs,
}

impl CallbacksCommand {
    pub fn connection(&self) -> &ConnectionArgs {
        match self {
            CallbacksCommand::List { conn, .. } | CallbacksCommand::Remove { conn, .. } => conn,
            CallbacksCommand::Add(args) => &args.conn,
        }
    }
}

pub async fn run(ctx: &Ctx, command: &CallbacksCommand) -> CliResult {
    let target = paths::resolve(PATH)?;
    match command {
        CallbacksCommand::List { fields, .. } => {
            let mut query = Query::new();
            if let Some(f) = fields {
                query = query.fields(super::list::fields_to_fetch(f, true).as_str());
            }
            let how = super::list::Listing {
                limit: None,
                page_size: None,
                forward_only: true,
                fields: fields.as_deref(),
            };
            super::list::stream(ctx, &target, query, &how).await
        }
        CallbacksCommand::Add(args) => {
            let mut body = Map::new();
            body.insert("url".into(), Value::String(args.url.clone()));
            body.insert("type".into(), Value::String(args.kind.clone()));
            body.insert("level".into(), Value::String(args.level.clone()));
            body.insert("objectId".into(), Value::from(args.object_id));
            if let Some(d) = &args.description {
                body.insert("description".into(), Value::String(d.clone()));
            }
            if args.inactive {
                body.insert("inactiveFlag".into(), Value::Bool(true));
            }
            let request = ctx.client.request(Method::POST, PATH).json(&body);
            if ctx.dry_run(&request, None)? {
                return Ok(());
            }
            let created: Box<RawValue> = request
                .send_json()
                .await
                .map_err(|e| CliError::api(&e, &format!("POST {PATH}")))?;
            if let Some(id) = super::create::record_id(&created) {
                ctx.notice(&format!("registered callback {id}"));
            }
            ctx.print_one(&created, &Columns::for_record(None, target.entity))
        }
        CallbacksCommand::Remove { id, yes, .. } => {
            let one = target.child(id)?;
            let request = ctx.client.request(Method::DELETE, &one.path);
            if ctx.dry_run(&request, None)? {
                return Ok(());
            }
            super::delete::confirm_delete(&one.path, *yes)?;
            request
                .send()
                .await
                .map_err(|e| CliError::api(&e, &format!("DELETE {}", one.path)))?;
            ctx.notice(&format!("removed callback {id}"));
            Ok(())
        }
    }
}
