//! The CLI's error: a class (which picks the exit code), a one-line message and detail lines.

use std::fmt;
use std::process::ExitCode;

use cwpsa::ErrorKind;

/// What went wrong, as far as a script cares: each class has its own exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Class {
    /// Anything else: the server refused the request (400, 409...), a data file, I/O.
    Other,
    /// Bad flags or arguments, an invalid condition, field or value.
    Usage,
    /// Missing or invalid settings, or an unreadable profile file.
    Config,
    /// Credentials rejected (401) or permission denied (403).
    Auth,
    /// 404.
    NotFound,
    /// Still 429 after the retries the policy allows.
    RateLimited,
    /// 5xx after the retries.
    Server,
    /// Cannot connect, timed out, TLS failure, a redirect refused.
    Network,
}

impl Class {
    pub fn exit_code(self) -> u8 {
        match self {
            Class::Other => 1,
            Class::Usage => 2,
            Class::Config => 3,
            Class::Auth => 4,
            Class::NotFound => 5,
            Class::RateLimited => 6,
            Class::Server => 7,
            Class::Network => 8,
        }
    }
}

/// The exit codes, for `cw --help`. Kept next to [`Class::exit_code`] so they cannot drift
/// (a unit test checks every class is listed).
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  other failure: the server refused the request (400 invalid object, 409 conflict...),
     an unreadable data file, an I/O error
  2  usage: bad flags or arguments, an invalid condition (shown with a caret), field or value
  3  config: missing or invalid settings (see `cw config show`), a bad profile file
  4  auth: credentials rejected (401) or permission denied (403)
  5  not found (404)
  6  rate limited: still 429 after the retries
  7  server error (5xx) after the retries
  8  network: cannot connect, timed out, TLS failure, an unsafe redirect refused";

#[derive(Debug)]
pub struct CliError {
    pub class: Class,
    pub message: String,
    pub detail: Vec<String>,
}

pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    pub fn new(class: Class, message: impl Into<String>) -> CliError {
        CliError {
            class,
            message: message.into(),
            detail: Vec::new(),
        }
    }

    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::new(Class::Usage, message)
    }

    pub fn config(message: impl Into<String>) -> CliError {
        CliError::new(Class::Config, message)
    }

    pub fn other(message: impl Into<String>) -> CliError {
        CliError::new(Class::Other, message)
    }

    #[must_use]
    pub fn with_detail(mut self, line: impl Into<String>) -> CliError {
        self.detail.push(line.into());
        self
    }

    /// An error of the client for the request `what` (`GET service/tickets/5`).
    pub fn api(error: &cwpsa::Error, what: &str) -> CliError {
        let class = match error.kind() {
            ErrorKind::Config => Class::Config,
            ErrorKind::Credentials | ErrorKind::MissingClientId | ErrorKind::Permission => {
                Class::Auth
            }
            ErrorKind::NotFound => Class::NotFound,
            ErrorKind::RateLimited => Class::RateLimited,
            ErrorKind::Server => Class::Server,
            ErrorKind::Timeout | ErrorKind::Transport | ErrorKind::Redirect => Class::Network,
            // Caught before anything was sent: the user's input.
            ErrorKind::InvalidArgument if error.status().is_none() => Class::Usage,
            _ => Class::Other,
        };
        let mut lines = error.message().lines();
        let first = lines.next().unwrap_or("failed");
        let mut headline = what.to_owned();
        if let Some(status) = error.status() {
            headline.push_str(&format!(": HTTP {status}"));
            if let Some(code) = error.code() {
                headline.push_str(&format!(" {code}"));
            }
        }
        headline.push_str(&format!(": {first}"));
        let mut e = CliError::new(class, headline);
        e.detail.extend(lines.map(str::to_owned));
        for f in error.field_errors() {
            let mut line = String::from("field");
            if !f.field.is_empty() {
                line.push_str(&format!(" `{}`", f.field));
            }
            if !f.resource.is_empty() {
                line.push_str(&format!(" of {}", f.resource));
            }
            line.push_str(&format!(": {}", f.message));
            if !f.code.is_empty() {
                line.push_str(&format!(" ({})", f.code));
            }
            e.detail.push(line);
        }
        // The cause of a network error (connection refused, certificate...) is the useful part.
        let mut source = std::error::Error::source(error);
        while let Some(s) = source {
            let text = s.to_string();
            if !e.message.contains(&text) && !e.detail.iter().any(|d| d.contains(&text)) {
                e.detail.push(format!("caused by: {text}"));
            }
            source = s.source();
        }
        let hint = match class {
            Class::Auth => Some(
                "check the keys and client id: `cw config show` lists them, redacted, with where each comes from",
            ),
            Class::Config => Some(
                "`cw config show` lists the settings and where each comes from; `cw config init` writes a profile",
            ),
            Class::RateLimited => Some(
                "the API member's request budget is used up: wait, or lower the pace with --rate-limit",
            ),
            Class::Network => Some("check the site or base URL (`cw config show`) and the network"),
            _ => None,
        };
        if let Some(after) = error.retry_after() {
            e.detail
                .push(format!("the server asked to wait {}s", after.as_secs()));
        }
        if let Some(hint) = hint {
            e.detail.push(format!("hint: {hint}"));
        }
        e
    }

    /// A conditions syntax error: the message, then the expression with a caret under the
    /// fault.
    pub fn conditions(
        what: &str,
        error: &cwpsa_core::conditions::ParseError,
        text: &str,
    ) -> CliError {
        let rendered = error.render(text);
        let mut lines = rendered.lines();
        let mut e = CliError::usage(format!("{what}: {}", lines.next().unwrap_or_default()));
        for line in lines {
            // `render` indents by two, as the detail lines are.
            e.detail
                .push(line.strip_prefix("  ").unwrap_or(line).to_owned());
        }
        e
    }

    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.class.exit_code())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "error: {}", self.message)?;
        for line in &self.detail {
            write!(f, "\n  {line}")?;
        }
        Ok(())
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> CliError {
        CliError::other(format!("I/O error: {e}"))
    }
}

/// For subcommands that report errors as plain text.
impl From<String> for CliError {
    fn from(message: String) -> CliError {
        CliError::other(message)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_class_has_a_distinct_documented_code() {
        let all = [
            Class::Other,
            Class::Usage,
            Class::Config,
            Class::Auth,
            Class::NotFound,
            Class::RateLimited,
            Class::Server,
            Class::Network,
        ];
        let codes: std::collections::HashSet<u8> = all.iter().map(|c| c.exit_code()).collect();
        assert_eq!(codes.len(), all.len());
        for c in all {
            let line = format!("\n  {}  ", c.exit_code());
            assert!(EXIT_CODES_HELP.contains(&line), "{c:?} is not documented");
        }
    }

    #[test]
    fn api_errors_are_classified_with_detail() {
        let body = br#"{"code":"InvalidObject","message":"Ticket object is invalid","errors":[{"code":"MissingRequiredField","message":"summary is required","resource":"Ticket","field":"summary"}]}"#;
        let e = CliError::api(
            &cwpsa::Error::from_response(400, body),
            "POST service/tickets",
        );
        assert_eq!(e.class, Class::Other);
        assert_eq!(
            e.message,
            "POST service/tickets: HTTP 400 InvalidObject: Ticket object is invalid"
        );
        assert_eq!(
            e.detail,
            ["field `summary` of Ticket: summary is required (MissingRequiredField)"]
        );
        let e = CliError::api(
            &cwpsa::Error::from_response(401, br#"{"code":"InvalidCredentials","message":"x"}"#),
            "GET x",
        );
        assert_eq!(e.class, Class::Auth);
        assert!(e.detail.iter().any(|d| d.starts_with("hint:")));
        let e = CliError::api(&cwpsa::Error::from_response(503, b""), "GET x");
        assert_eq!(e.class, Class::Server);
    }
}
