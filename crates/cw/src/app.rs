//! What every command that talks to the API shares: global flags, the client (from settings
//! or an in-process sandbox), output settings, dry runs, and reading data files.

use std::io::{self, IsTerminal, Read, Write};

use clap::{ArgAction, Args};
use cwpsa::{Client, PreparedRequest, RequestBuilder};
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{CliError, CliResult};
use crate::output::{Columns, Format};
use crate::progress::Progress;
use crate::settings::{ConnectionArgs, Key, Settings, process_env};

#[derive(Debug, Clone, Args)]
pub struct GlobalArgs {
    /// Run against an in-process sandbox seeded with demo data: no settings needed, and every
    /// change is gone when the command ends.
    #[arg(long, global = true)]
    pub sandbox: bool,
    /// Output format [default: table on a terminal, ndjson when piped].
    #[arg(short = 'o', long, global = true, value_enum, value_name = "FORMAT")]
    pub output: Option<Format>,
    /// Print the request instead of sending it: method, URL (encoded and decoded), headers with
    /// the credentials redacted, and body.
    #[arg(long, global = true)]
    pub dry_run: bool,
    /// No progress bar or notices on stderr.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// Log to stderr: -v retries and waits, -vv every request, -vvv everything. Secrets are
    /// redacted.
    #[arg(short, long, global = true, action = ArgAction::Count)]
    pub verbose: u8,
    #[command(flatten)]
    pub connection: ConnectionArgs,
}

impl GlobalArgs {
    /// With the connection flags given after the subcommand.
    #[must_use]
    pub fn with(&self, conn: &ConnectionArgs) -> GlobalArgs {
        GlobalArgs {
            connection: self.connection.overlay(conn),
            ..self.clone()
        }
    }

    /// The format asked for, else table on a terminal and ndjson when piped.
    pub fn format(&self) -> Format {
        self.output.unwrap_or(if io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Ndjson
        })
    }

    /// The width a table must fit: the terminal's, else `$COLUMNS`, else none.
    pub fn width() -> Option<usize> {
        if io::stdout().is_terminal()
            && let Some((_, cols)) = console::Term::stdout().size_checked()
        {
            return Some(usize::from(cols));
        }
        process_env("COLUMNS").and_then(|c| c.parse().ok())
    }

    /// Settings from flags, environment and profile, with their warnings shown once.
    pub fn settings(&self) -> CliResult<Settings> {
        let settings = Settings::resolve(&self.connection, &process_env)?;
        if !self.quiet {
            for w in &settings.warnings {
                eprintln!("warning: {w}");
            }
        }
        Ok(settings)
    }
}

/// A client and everything a command needs around it.
pub struct Ctx {
    pub client: Client,
    pub settings: Settings,
    pub global: GlobalArgs,
    pub progress: Progress,
    pub format: Format,
    pub width: Option<usize>,
    /// Kept alive for the command's duration.
    _sandbox: Option<Sandbox>,
}

impl Ctx {
    pub async fn new(global: &GlobalArgs) -> CliResult<Ctx> {
        let stderr_tty = io::stderr().is_terminal();
        let progress = Progress::new(
            stderr_tty && !global.quiet && global.verbose == 0,
            stderr_tty && !global.quiet,
        );
        let (settings, sandbox) = if global.sandbox {
            let sandbox = Sandbox::start(SandboxConfig {
                rate_limit: RateLimitSetting::Off,
                ..SandboxConfig::default()
            })
            .await
            .map_err(|e| CliError::other(format!("cannot start the sandbox: {e}")))?;
            tracing::info!(
                base_url = sandbox.base_url(),
                "started an in-process sandbox"
            );
            (Settings::sandbox(sandbox.base_url()), Some(sandbox))
        } else {
            (global.settings()?, None)
        };
        tracing::debug!(?settings, "settings");
        let config = settings
            .builder()?
            .user_agent(format!("cw/{}", env!("CARGO_PKG_VERSION")))
            .on_event(progress.hook())
            .build()
            .map_err(|e| settings.invalid(e.message()))?;
        let client = Client::new(config).map_err(|e| settings.invalid(e.message()))?;
        Ok(Ctx {
            client,
            settings,
            global: global.clone(),
            progress,
            format: global.format(),
            width: GlobalArgs::width(),
            _sandbox: sandbox,
        })
    }

    /// Columns for this command's output.
    pub fn columns(
        &self,
        fields: Option<&str>,
        entity: Option<&'static cwpsa_core::schema::Entity>,
    ) -> Columns {
        Columns::choose(fields, entity, self.format)
    }

    /// Writes one record (the server's JSON text) in the chosen format.
    pub fn print_one(&self, record: &RawValue, columns: &Columns) -> CliResult {
        // A field selection applies to every format (the server may have sent more).
        if let (Columns::Fixed(fields), Format::Json | Format::Ndjson | Format::Yaml) =
            (columns, self.format)
        {
            let value = crate::output::parse(record)?;
            let raw = crate::output::to_raw(&crate::output::select(&value, fields))?;
            return self.print_raw(&raw, columns);
        }
        self.print_raw(record, columns)
    }

    fn print_raw(&self, record: &RawValue, columns: &Columns) -> CliResult {
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        quiet_pipe(crate::output::write_one(
            self.format,
            &mut out,
            record,
            columns,
            self.width,
        ))
    }

    /// Writes a value built here (a count, a summary).
    pub fn print_value(&self, value: &Value, columns: &Columns) -> CliResult {
        self.print_one(&crate::output::to_raw(value)?, columns)
    }

    /// Writes a response that may be a record or an array of them.
    pub fn print_response(
        &self,
        body: &RawValue,
        fields: Option<&str>,
        entity: Option<&'static cwpsa_core::schema::Entity>,
    ) -> CliResult {
        if !body.get().trim_start().starts_with('[') {
            return self.print_one(body, &Columns::for_record(fields, entity));
        }
        let records: Vec<Box<RawValue>> = serde_json::from_str(body.get())
            .map_err(|e| CliError::other(format!("the response is not a JSON array: {e}")))?;
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        let mut sink = crate::output::sink(
            self.format,
            &mut out,
            self.columns(fields, entity),
            self.width,
        );
        let written: io::Result<()> = records
            .iter()
            .try_for_each(|r| sink.record(r))
            .and_then(|()| sink.finish());
        quiet_pipe(written)
    }

    /// A notice on stderr (`deleted service/tickets/5`), unless --quiet.
    pub fn notice(&self, text: &str) {
        if !self.global.quiet {
            eprintln!("{text}");
        }
    }

    /// With --dry-run, prints `request` and returns true: the caller then sends nothing.
    /// At -vv, logs it (redacted) before it is sent.
    pub fn dry_run(&self, request: &RequestBuilder, note: Option<&str>) -> CliResult<bool> {
        if !self.global.dry_run && !tracing::enabled!(tracing::Level::DEBUG) {
            return Ok(false);
        }
        let (base, placeholder) = match self.client.known_base_url() {
            Some(b) => (b, false),
            None => (self.placeholder_base()?, true),
        };
        let prepared = request
            .prepare(&base)
            .map_err(|e| CliError::api(&e, "preparing the request"))?;
        if !self.global.dry_run {
            tracing::debug!(
                method = %prepared.method,
                url = %prepared.url,
                headers = ?prepared.headers,
                "sending"
            );
            return Ok(false);
        }
        let mut notes: Vec<String> = note.map(str::to_owned).into_iter().collect();
        if placeholder {
            notes.push(format!(
                "CODEBASE is discovered at run time through GET {}login/companyinfo/{}",
                base.as_str().trim_end_matches("CODEBASE/apis/3.0/"),
                self.settings.value(Key::CompanyId).unwrap_or_default()
            ));
        }
        let stdout = io::stdout();
        let mut out = io::BufWriter::new(stdout.lock());
        quiet_pipe(print_prepared(
            &mut out,
            &prepared,
            &notes,
            self.global.output,
        ))?;
        Ok(true)
    }

    /// `https://{site}/CODEBASE/apis/3.0/` when the codebase is yet to be discovered.
    pub fn placeholder_base(&self) -> CliResult<cwpsa::Url> {
        let site = self.settings.value(Key::Site).unwrap_or_default();
        let host = match site.to_ascii_lowercase().as_str() {
            "na" => cwpsa::Region::Na.site().to_owned(),
            "eu" => cwpsa::Region::Eu.site().to_owned(),
            "au" => cwpsa::Region::Au.site().to_owned(),
            "staging" => cwpsa::Region::Staging.site().to_owned(),
            _ => site.trim_end_matches('/').to_owned(),
        };
        let origin = if host.starts_with("http://") || host.starts_with("https://") {
            host
        } else {
            format!("https://{host}")
        };
        cwpsa::Url::parse(&format!("{origin}/CODEBASE/apis/3.0/"))
            .map_err(|e| CliError::config(format!("invalid site `{site}`: {e}")))
    }
}

/// Writes a prepared request: text, or a document with `-o json|ndjson|yaml`.
fn print_prepared(
    out: &mut dyn Write,
    p: &PreparedRequest,
    notes: &[String],
    format: Option<Format>,
) -> io::Result<()> {
    let doc = prepared_document(p, notes);
    if let Some(format @ (Format::Json | Format::Ndjson | Format::Yaml)) = format {
        let raw = crate::output::to_raw(&doc)?;
        return crate::output::write_one(format, out, &raw, &Columns::Discover(None), None);
    }
    writeln!(out, "# dry run: nothing was sent")?;
    for n in notes {
        writeln!(out, "# {n}")?;
    }
    writeln!(out, "{} {}", p.method, p.url)?;
    writeln!(
        out,
        "# decoded: {} {}",
        p.method,
        percent_decode(p.url.as_str())
    )?;
    for (k, v) in &p.headers {
        writeln!(out, "{k}: {v}")?;
    }
    if p.body.is_some() {
        writeln!(out)?;
        serde_json::to_writer_pretty(&mut *out, &doc["body"])?;
        writeln!(out)?;
    }
    out.flush()
}

/// A prepared request as a JSON document (credentials already redacted by the client):
/// `--dry-run -o json`, and the `dry_run` of `cw mcp`'s write tools.
pub fn prepared_document(p: &PreparedRequest, notes: &[String]) -> Value {
    let body: Option<Value> = p.body.as_ref().map(|b| {
        serde_json::from_slice(b)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(b).into_owned()))
    });
    let headers: serde_json::Map<String, Value> = p
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    serde_json::json!({
        "dry_run": true,
        "method": p.method.as_str(),
        "url": p.url.as_str(),
        "decoded_url": percent_decode(p.url.as_str()),
        "headers": headers,
        "body": body,
        "notes": notes,
    })
}

/// `%XX` → the byte; invalid UTF-8 is shown lossily. For display only.
pub fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| char::from(b).to_digit(16);
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A closed pipe (`cw list ... | head`) ends the output quietly, like other Unix tools.
pub fn quiet_pipe(result: io::Result<()>) -> CliResult {
    match result {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(CliError::from),
    }
}

/// The JSON of `--data FILE` (`-` for stdin).
pub fn read_data(source: &str) -> CliResult<Value> {
    let (text, name) = if source == "-" {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("cannot read the data from stdin: {e}")))?;
        (text, "stdin".to_owned())
    } else {
        let text = std::fs::read_to_string(source)
            .map_err(|e| CliError::usage(format!("cannot read {source}: {e}")))?;
        (text, source.to_owned())
    };
    serde_json::from_str(&text).map_err(|e| {
        CliError::usage(format!("{name} is not valid JSON: {e}"))
            .with_detail("--data takes a JSON document: a file, or - for stdin")
    })
}

/// Filters shared by `list` and `count`.
#[derive(Debug, Clone, Default, Args)]
pub struct FilterArgs {
    /// Conditions, e.g. 'closedFlag = false and priority/name contains "High"'.
    #[arg(short = 'w', long = "where", value_name = "CONDITIONS")]
    pub conditions: Option<String>,
    /// Conditions on list children, e.g. 'communicationItems/value like "*@acme.com"'.
    #[arg(long, value_name = "CONDITIONS")]
    pub child_where: Option<String>,
    /// Conditions on custom fields, e.g. 'caption = "Region" and value = "North"'.
    #[arg(long, value_name = "CONDITIONS")]
    pub custom_where: Option<String>,
}

/// What the three conditions parameters are called where the user gave them, for messages:
/// the flags here, the tool's argument names in `cw mcp`.
pub type FilterNames = [&'static str; 3];

impl FilterArgs {
    pub const FLAGS: FilterNames = ["--where", "--child-where", "--custom-where"];

    /// The query with these filters, each parsed here first so that a mistake is shown with a
    /// caret under it; field names are checked against the entity's schema when it is known
    /// (unknown ones are a warning on stderr: the server has the last word).
    pub fn query(
        &self,
        entity: Option<&'static cwpsa_core::schema::Entity>,
        quiet: bool,
    ) -> CliResult<cwpsa::Query> {
        let (q, warnings) = self.checked_query(entity, Self::FLAGS)?;
        if !quiet {
            for w in warnings {
                eprintln!("warning: {w}");
            }
        }
        Ok(q)
    }

    /// [`FilterArgs::query`] with the schema's warnings returned rather than printed, and the
    /// parameters called `names` in messages.
    pub fn checked_query(
        &self,
        entity: Option<&'static cwpsa_core::schema::Entity>,
        names: FilterNames,
    ) -> CliResult<(cwpsa::Query, Vec<String>)> {
        use cwpsa_core::conditions::parse;
        let mut q = cwpsa::Query::new();
        let mut warnings = Vec::new();
        let parts = [
            (names[0], &self.conditions),
            (names[1], &self.child_where),
            (names[2], &self.custom_where),
        ];
        for (i, (name, text)) in parts.into_iter().enumerate() {
            let Some(text) = text else { continue };
            let expr = parse(text)
                .map_err(|e| CliError::conditions(&format!("invalid {name}"), &e, text))?;
            if let Some(entity) = entity {
                let checked = match i {
                    0 => entity.validate_conditions(&expr),
                    1 => entity.validate_child_conditions(&expr),
                    _ => entity.validate_custom_field_conditions(&expr),
                };
                if let Err(problems) = checked {
                    warnings.extend(problems.iter().map(|p| format!("{name}: {p}")));
                }
            }
            q = match i {
                0 => q.conditions(expr),
                1 => q.child_conditions(expr),
                _ => q.custom_field_conditions(expr),
            };
        }
        Ok((q, warnings))
    }
}

/// Asks `question` on the terminal; true for y/yes.
pub fn confirm(question: &str) -> CliResult<bool> {
    eprint!("{question} [y/N] ");
    io::stderr().flush()?;
    let mut answer = String::new();
    io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_for_display() {
        assert_eq!(
            percent_decode("a?conditions=summary%20%3D%20%22a%2Bb%22&x=%E2%9C%93%zz%4"),
            "a?conditions=summary = \"a+b\"&x=✓%zz%4"
        );
    }

    #[test]
    fn bad_conditions_are_usage_errors_with_a_caret() {
        let f = FilterArgs {
            conditions: Some("summary = ".into()),
            ..FilterArgs::default()
        };
        let e = f.query(None, true).expect_err("invalid");
        assert_eq!(e.class, crate::error::Class::Usage);
        assert!(e.detail.iter().any(|d| d.contains('^')), "{e}");
    }
}
