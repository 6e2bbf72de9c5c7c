//! The operator's record of the server: one JSON line per tool call (time, tool, arguments,
//! duration, outcome) on stderr or appended to a file, and the redaction that keeps the
//! credentials out of it and out of every tool result.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::settings::{Key, Settings};

/// Shown in place of a secret.
pub const REDACTED: &str = "<redacted>";

/// Replaces the secrets of the settings wherever they occur in a text: the private key, and the
/// Basic credentials built from it. The client never puts them in a result or an error, so this
/// is a second line of defence (a server echoing a header, a key pasted into an argument).
#[derive(Clone)]
pub struct Redactor {
    secrets: Vec<String>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

impl Redactor {
    pub fn new(settings: &Settings) -> Redactor {
        let mut secrets: Vec<String> = Key::ALL
            .iter()
            .filter(|k| k.is_secret())
            .filter_map(|&k| settings.value(k))
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
            .collect();
        if let (Some(company), Some(public), Some(private)) = (
            settings.value(Key::CompanyId),
            settings.value(Key::PublicKey),
            settings.value(Key::PrivateKey),
        ) {
            use base64::Engine;
            let basic = base64::engine::general_purpose::STANDARD
                .encode(format!("{company}+{public}:{private}"));
            secrets.push(basic);
        }
        // Results and log lines are JSON: a secret with a quote or a backslash shows escaped.
        let escaped: Vec<String> = secrets
            .iter()
            .filter_map(|s| {
                let quoted = serde_json::to_string(s).ok()?;
                let inner = quoted[1..quoted.len() - 1].to_owned();
                (inner != *s).then_some(inner)
            })
            .collect();
        secrets.extend(escaped);
        // Longest first, so that a secret containing another is replaced whole.
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        Redactor { secrets }
    }

    pub fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), REDACTED);
            }
        }
        out
    }
}

/// How a call ended, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    /// A write tool's `dry_run`: nothing was sent.
    DryRun,
    /// A tool error (the agent was told what to change).
    Error,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::DryRun => "dry_run",
            Outcome::Error => "error",
        }
    }
}

/// One call, as logged.
#[derive(Debug)]
pub struct Call<'a> {
    pub tool: &'a str,
    pub arguments: &'a Value,
    pub duration: Duration,
    pub outcome: Outcome,
    /// The first line of the error, for [`Outcome::Error`].
    pub error: Option<&'a str>,
    /// Characters of the result sent back.
    pub result_chars: usize,
}

/// Where the call log goes.
pub struct CallLog {
    sink: Mutex<Box<dyn Write + Send>>,
    redactor: Redactor,
}

impl CallLog {
    /// To `path` (appended to, created if missing), or stderr.
    pub fn open(path: Option<&Path>, redactor: Redactor) -> io::Result<CallLog> {
        let sink: Box<dyn Write + Send> = match path {
            Some(path) => Box::new(File::options().create(true).append(true).open(path)?),
            None => Box::new(io::stderr()),
        };
        Ok(CallLog {
            sink: Mutex::new(sink),
            redactor,
        })
    }

    pub fn redactor(&self) -> &Redactor {
        &self.redactor
    }

    /// Writes one line for `call`. A failing log is not a reason to fail the call: it is
    /// reported once on stderr instead.
    pub fn record(&self, call: &Call<'_>) {
        let mut line = json!({
            "time": utc_now(),
            "tool": call.tool,
            "arguments": call.arguments,
            "duration_ms": u64::try_from(call.duration.as_millis()).unwrap_or(u64::MAX),
            "outcome": call.outcome.as_str(),
            "result_chars": call.result_chars,
        });
        if let Some(error) = call.error {
            line["error"] = json!(error);
        }
        self.write_line(&line.to_string());
    }

    /// A line that is not a call (the server started, stopped).
    pub fn event(&self, message: &str) {
        let line = json!({"time": utc_now(), "event": message});
        self.write_line(&line.to_string());
    }

    fn write_line(&self, line: &str) {
        let line = self.redactor.redact(line);
        let Ok(mut sink) = self.sink.lock() else {
            return;
        };
        if let Err(e) = writeln!(sink, "{line}").and_then(|()| sink.flush()) {
            static WARNED: std::sync::Once = std::sync::Once::new();
            WARNED.call_once(|| eprintln!("warning: cannot write the call log: {e}"));
        }
    }
}

impl std::fmt::Debug for CallLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallLog")
            .field("redactor", &self.redactor)
            .finish_non_exhaustive()
    }
}

/// Now as `2026-01-31T12:00:00.123Z`.
fn utc_now() -> String {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs() as i64;
    let (year, month, day) = cwpsa_core::calendar::civil_from_days(secs.div_euclid(86_400));
    let of_day = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        now.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn secrets_and_the_basic_credentials_are_redacted() {
        let settings = Settings::sandbox("http://127.0.0.1:1/v4_6_release/apis/3.0/");
        let r = Redactor::new(&settings);
        let basic = "c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU=";
        let text = format!("key sandbox-private and Basic {basic} and sandbox-public");
        let out = r.redact(&text);
        assert_eq!(
            out, "key <redacted> and Basic <redacted> and sandbox-public",
            "the public key is not a secret"
        );
    }

    #[test]
    fn a_secret_is_redacted_in_its_json_escaped_form_too() {
        let env = |name: &str| match name {
            "CONNECTWISE_PRIVATE_KEY" => Some("pa\"ss\\word".to_owned()),
            _ => None,
        };
        let settings =
            Settings::resolve(&crate::settings::ConnectionArgs::default(), &env).unwrap();
        let r = Redactor::new(&settings);
        let line = serde_json::json!({"arguments": {"x": "pa\"ss\\word"}}).to_string();
        assert_eq!(r.redact(&line), r#"{"arguments":{"x":"<redacted>"}}"#);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        let t = utc_now();
        assert_eq!(t.len(), "2026-01-31T12:00:00.123Z".len(), "{t}");
        assert!(t.ends_with('Z') && t.as_bytes()[10] == b'T', "{t}");
    }
}
