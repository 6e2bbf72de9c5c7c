//! Runs the real `cw` binary, in the style of ripgrep's `TestCommand`: a clean environment, a
//! temporary home, a sandbox on port 0, and everything printed when an expectation fails.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use cwpsa_sandbox::seed::SeedConfig;
use cwpsa_sandbox::{RateLimitSetting, Sandbox, SandboxConfig};

pub const CLIENT_ID: &str = "00000000-0000-4000-8000-000000000000";
/// The sandbox's private key and the Basic credentials built from it: neither may ever show.
pub const PRIVATE_KEY: &str = "sandbox-private";
pub const BASIC: &str = "c2FuZGJveCtzYW5kYm94LXB1YmxpYzpzYW5kYm94LXByaXZhdGU=";

/// A sandbox running on its own runtime for the length of a test.
pub struct TestSandbox {
    pub sandbox: Sandbox,
    // Dropped after the sandbox (fields drop in order), which stops it first.
    _runtime: tokio::runtime::Runtime,
}

impl TestSandbox {
    /// A small seeded sandbox with rate limiting off.
    pub fn start() -> TestSandbox {
        TestSandbox::with(SandboxConfig {
            rate_limit: RateLimitSetting::Off,
            seed: SeedConfig::for_tickets(7, 60),
            ..SandboxConfig::default()
        })
    }

    pub fn with(config: SandboxConfig) -> TestSandbox {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        let sandbox = runtime
            .block_on(Sandbox::start(config))
            .expect("the sandbox starts");
        TestSandbox {
            sandbox,
            _runtime: runtime,
        }
    }

    pub fn base_url(&self) -> &str {
        self.sandbox.base_url()
    }

    /// `cw` with the `CONNECTWISE_*` variables pointing at this sandbox.
    pub fn cw(&self) -> TestCommand {
        let mut cmd = TestCommand::new();
        cmd.env("CONNECTWISE_BASE_URL", self.base_url())
            .env("CONNECTWISE_COMPANY_ID", "sandbox")
            .env("CONNECTWISE_PUBLIC_KEY", "sandbox-public")
            .env("CONNECTWISE_PRIVATE_KEY", PRIVATE_KEY)
            .env("CONNECTWISE_CLIENT_ID", CLIENT_ID)
            .env("CONNECTWISE_RATE_LIMIT", "off");
        cmd
    }

    /// `GET /_sandbox/stats`' total request count.
    pub fn requests(&self) -> u64 {
        let origin = self
            .base_url()
            .split("/v4_6_release")
            .next()
            .unwrap_or_default();
        let addr = origin.trim_start_matches("http://");
        let mut stream = std::net::TcpStream::connect(addr).expect("connect to the sandbox");
        write!(
            stream,
            "GET /_sandbox/stats HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut response = String::new();
        std::io::Read::read_to_string(&mut stream, &mut response).expect("read");
        let body = response.split("\r\n\r\n").nth(1).unwrap_or_default();
        // A chunked body would wrap the JSON in sizes: take the object itself.
        let start = body.find('{').unwrap_or(0);
        let end = body.rfind('}').map_or(body.len(), |i| i + 1);
        let stats: serde_json::Value = serde_json::from_str(&body[start..end])
            .unwrap_or_else(|e| panic!("stats are JSON ({e}): {response}"));
        stats["requests"].as_u64().expect("a request count")
    }
}

/// A folder removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "cw-e2e-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a temp dir");
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// One run of `cw`.
pub struct TestCommand {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    pub home: TempDir,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub command: String,
}

impl Outcome {
    /// The whole run, for failure messages.
    pub fn dump(&self) -> String {
        format!(
            "\n--- command\n{}\n--- exit code {}\n--- stdout\n{}\n--- stderr\n{}\n",
            self.command, self.code, self.stdout, self.stderr
        )
    }

    /// stdout's lines parsed as JSON documents.
    pub fn json_lines(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|l| {
                serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("not a JSON line ({e}): {l}{}", self.dump()))
            })
            .collect()
    }

    /// stdout as one JSON document.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}){}", self.dump()))
    }

    /// Neither output holds the private key or the Basic credentials.
    pub fn assert_no_secrets(&self) {
        for secret in [PRIVATE_KEY, BASIC] {
            assert!(
                !self.stdout.contains(secret) && !self.stderr.contains(secret),
                "`{secret}` leaked{}",
                self.dump()
            );
        }
    }
}

impl TestCommand {
    /// `cw` with an empty environment and a temporary home (never the real ~/.config).
    pub fn new() -> TestCommand {
        let home = TempDir::new();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_cw"));
        cmd.env_clear()
            .env("HOME", home.path())
            .env("CW_CONFIG", home.path().join("config.toml"))
            .current_dir(home.path());
        TestCommand {
            cmd,
            stdin: None,
            home,
        }
    }

    pub fn args<I, S>(&mut self, args: I) -> &mut TestCommand
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    pub fn env(&mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> &mut TestCommand {
        self.cmd.env(key, value);
        self
    }

    pub fn stdin(&mut self, data: impl Into<Vec<u8>>) -> &mut TestCommand {
        self.stdin = Some(data.into());
        self
    }

    /// The command itself, for a test that talks to a long-running `cw` (`cw mcp`); the home
    /// folder must outlive the child.
    pub fn into_parts(self) -> (Command, TempDir) {
        (self.cmd, self.home)
    }

    pub fn run(&mut self) -> Outcome {
        let command = format!("{:?}", self.cmd);
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("cw starts");
        if let Some(data) = self.stdin.take() {
            let mut stdin = child.stdin.take().expect("stdin is piped");
            stdin.write_all(&data).expect("write stdin");
        }
        let output = child.wait_with_output().expect("cw runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            command,
        }
    }

    /// Runs and expects success.
    pub fn ok(&mut self) -> Outcome {
        let out = self.run();
        assert_eq!(out.code, 0, "expected success{}", out.dump());
        out
    }

    /// Runs and expects exit code `code`.
    pub fn fails(&mut self, code: i32) -> Outcome {
        let out = self.run();
        assert_eq!(out.code, code, "expected exit code {code}{}", out.dump());
        out
    }
}

/// Runs a shell command under a pseudo-terminal with `script`, which most Linux systems have;
/// `None` when it is missing, so that the terminal-only tests can be skipped there.
pub fn under_tty(shell: &str, env: &[(&str, &str)], stdin: &[u8]) -> Option<(i32, String)> {
    let script = ["/usr/bin/script", "/bin/script"]
        .into_iter()
        .find(|p| Path::new(p).exists())?;
    let home = TempDir::new();
    let typescript = home.path().join("typescript");
    let mut cmd = Command::new(script);
    cmd.args(["-qec", shell])
        .arg(&typescript)
        .env_clear()
        .env("HOME", home.path())
        .env("CW_CONFIG", home.path().join("config.toml"))
        .env("PATH", "/usr/bin:/bin")
        .env("TERM", "xterm")
        .current_dir(home.path())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().ok()?;
    if let Some(mut input) = child.stdin.take() {
        let _ = input.write_all(stdin);
    }
    let status = child.wait().ok()?;
    let text = std::fs::read_to_string(&typescript).unwrap_or_default();
    Some((status.code().unwrap_or(-1), text))
}
