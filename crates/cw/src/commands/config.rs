//! `cw config init|show|path`: the profile file and the effective settings.

use std::io::{self, IsTerminal, Read, Write};

use clap::{Args, Subcommand};
use serde_json::{Map, Value, json};

use crate::app::{GlobalArgs, quiet_pipe};
use crate::error::{CliError, CliResult};
use crate::output::{self, Columns, Format};
use crate::settings::{self, ConnectionArgs, Key, Settings, process_env};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Write a profile to the config file (mode 600): values from the connection flags
    /// (--site, --company-id, --public-key, --client-id, ...), prompting for the rest on a
    /// terminal. The private key is read from a hidden prompt, or from stdin when piped:
    /// `cw config init --profile acme --site na ... < key.txt`.
    Init(InitArgs),
    /// Show the effective settings, secrets redacted, and where each comes from.
    Show {
        #[command(flatten)]
        conn: ConnectionArgs,
    },
    /// Print the config file's path.
    Path,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// Make this profile the default one (the first profile written always is).
    #[arg(long)]
    default: bool,
    #[command(flatten)]
    conn: ConnectionArgs,
}

pub fn run(command: &ConfigCommand, global: &GlobalArgs) -> CliResult {
    match command {
        ConfigCommand::Init(args) => init(args, &global.with(&args.conn)),
        ConfigCommand::Show { conn } => show(&global.with(conn)),
        ConfigCommand::Path => {
            let path = settings::config_path(&process_env).ok_or_else(no_home)?;
            println!("{}", path.display());
            Ok(())
        }
    }
}

fn no_home() -> CliError {
    CliError::config("cannot locate the config file: set CW_CONFIG, XDG_CONFIG_HOME or HOME")
}

fn init(args: &InitArgs, global: &GlobalArgs) -> CliResult {
    let path = settings::config_path(&process_env).ok_or_else(no_home)?;
    let flags = &global.connection;
    let name = flags
        .profile
        .clone()
        .unwrap_or_else(|| "default".to_owned());
    let interactive = io::stdin().is_terminal() && io::stderr().is_terminal();
    let mut values: Vec<(Key, String)> = Vec::new();
    let given = [
        (Key::CompanyId, &flags.company_id, "Company id", None),
        (Key::PublicKey, &flags.public_key, "Public key", None),
        (Key::ClientId, &flags.client_id, "Client id (UUID)", None),
        (
            Key::Site,
            &flags.site,
            "Site (na, eu, au, or a host)",
            Some("na"),
        ),
    ];
    let mut missing = Vec::new();
    for (key, flag, prompt, default) in given {
        let value = match flag.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            Some(v) => Some(v.to_owned()),
            // A base URL replaces the site.
            None if key == Key::Site && flags.base_url.is_some() => None,
            None if interactive => Some(ask(prompt, default)?),
            None => {
                missing.push(key);
                None
            }
        };
        if let Some(v) = value.filter(|v| !v.is_empty()) {
            values.push((key, v));
        }
    }
    if !missing.is_empty() {
        let flags: Vec<&str> = missing.iter().filter_map(|k| k.flag()).collect();
        return Err(CliError::usage(format!(
            "not on a terminal: give {}",
            flags.join(", ")
        )));
    }
    for (key, flag) in [
        (Key::BaseUrl, &flags.base_url),
        (Key::Codebase, &flags.codebase),
        (Key::ApiVersion, &flags.api_version),
        (Key::RateLimit, &flags.rate_limit),
    ] {
        if let Some(v) = flag.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            values.push((key, v.to_owned()));
        }
    }
    let private_key = read_private_key(interactive)?;
    values.push((Key::PrivateKey, private_key));

    // Check the values the way the client will, before writing anything.
    let mut b = cwpsa::Config::builder();
    for (key, v) in &values {
        b = key
            .apply(b, v)
            .map_err(|why| CliError::config(format!("{}: {why}", key.name())))?;
    }
    b.build()
        .map_err(|e| CliError::config(format!("not written: {}", e.message())))?;

    let warnings = settings::write_profile(&path, &name, &values, args.default)?;
    for w in warnings {
        eprintln!("warning: {w}");
    }
    if !global.quiet {
        eprintln!(
            "wrote profile `{name}` to {} (mode 600); check it with `cw --profile {name} config show`",
            path.display()
        );
    }
    Ok(())
}

fn ask(prompt: &str, default: Option<&str>) -> CliResult<String> {
    match default {
        Some(d) => eprint!("{prompt} [{d}]: "),
        None => eprint!("{prompt}: "),
    }
    io::stderr().flush()?;
    let mut line = String::new();
    io::stdin().read_line(&mut line)?;
    let line = line.trim();
    Ok(if line.is_empty() {
        default.unwrap_or_default().to_owned()
    } else {
        line.to_owned()
    })
}

/// From a hidden prompt on a terminal, else the first line of stdin.
fn read_private_key(interactive: bool) -> CliResult<String> {
    let key = if interactive {
        eprint!("Private key (hidden): ");
        io::stderr().flush()?;
        console::Term::stderr()
            .read_secure_line()
            .map_err(|e| CliError::usage(format!("cannot read the private key: {e}")))?
    } else {
        let mut text = String::new();
        io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| CliError::usage(format!("cannot read the private key from stdin: {e}")))?;
        text.lines().next().unwrap_or_default().to_owned()
    };
    let key = key.trim().to_owned();
    if key.is_empty() {
        return Err(CliError::usage(
            "no private key: type it at the prompt, or pipe it on stdin (never as a flag)",
        ));
    }
    Ok(key)
}

fn show(global: &GlobalArgs) -> CliResult {
    let settings = if global.sandbox {
        Settings::sandbox("http://127.0.0.1:<a free port>/v4_6_release/apis/3.0/")
    } else {
        global.settings()?
    };
    let mut rows: Vec<(String, String, String)> = Vec::new();
    let file = settings.file.as_ref().map_or_else(
        || "(none: no HOME)".to_owned(),
        |p| {
            let state = if settings.file_exists {
                ""
            } else {
                " (not created yet)"
            };
            format!("{}{state}", p.display())
        },
    );
    let file_source = if global.sandbox {
        "--sandbox (not read)"
    } else if process_env("CW_CONFIG").is_some() {
        "env CW_CONFIG"
    } else if process_env("XDG_CONFIG_HOME").is_some() {
        "env XDG_CONFIG_HOME"
    } else {
        "HOME"
    };
    rows.push(("config_file".into(), file, file_source.into()));
    match &settings.profile {
        Some((name, why)) => rows.push(("profile".into(), name.clone(), why.clone())),
        None => rows.push(("profile".into(), String::new(), "none".into())),
    }
    for (key, value) in settings.iter() {
        let (shown, source) = match value {
            Some((_, source)) if key.is_secret() => ("***".to_owned(), source.to_string()),
            Some((v, source)) => (v.clone(), source.to_string()),
            None => match key {
                Key::ApiVersion => (cwpsa::DEFAULT_API_VERSION.to_owned(), "default".into()),
                Key::RateLimit => ("60/60s".to_owned(), "default".into()),
                Key::Codebase if settings.get(Key::BaseUrl).is_none() => {
                    (String::new(), "discovered at run time".into())
                }
                _ => (String::new(), "not set".into()),
            },
        };
        rows.push((key.name().to_owned(), shown, source));
    }
    if let Err(e) = settings.builder()
        && !global.quiet
    {
        eprintln!("warning: these settings cannot be used yet:\n{e}");
    }
    let format = global.format();
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = match format {
        Format::Table | Format::Csv => {
            let columns = Columns::Fixed(vec!["setting".into(), "value".into(), "source".into()]);
            let mut sink = output::sink(format, &mut out, columns, GlobalArgs::width());
            rows.iter()
                .try_for_each(|(k, v, s)| {
                    sink.record(&output::to_raw(
                        &json!({"setting": k, "value": v, "source": s}),
                    )?)
                })
                .and_then(|()| sink.finish())
        }
        _ => {
            let mut doc = Map::new();
            for (k, v, s) in &rows {
                doc.insert(k.clone(), json!({"value": v, "source": s}));
            }
            output::to_raw(&Value::Object(doc)).and_then(|raw| {
                output::write_one(format, &mut out, &raw, &Columns::Discover(None), None)
            })
        }
    };
    quiet_pipe(result)
}
