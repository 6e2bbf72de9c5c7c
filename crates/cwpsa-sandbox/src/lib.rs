//! A stateful emulator of the ConnectWise PSA REST API.
//!
//! Start one in-process with [`Sandbox::start`] (tests use port 0), or from the command line
//! with `cw sandbox serve`. Records live in SQLite (in memory, or a file with `--db`), seeded
//! with deterministic demo data; requests are answered with the real service's semantics.

mod admin;
mod api;
mod auth;
mod callbacks;
mod catalog;
mod clock;
pub mod config;
mod coverage;
mod demo;
mod error;
pub mod faults;
mod hot;
pub mod limiter;
mod patch;
mod project;
mod query;
mod records;
pub mod seed;
mod server;
mod stats;
mod store;
mod tls;

pub use config::{Profile, RateLimitSetting, SandboxConfig};
pub use coverage::actions_markdown;
pub use server::{Sandbox, StartError};
