//! A stateful emulator of the ConnectWise PSA REST API.
//!
//! Start one in-process with [`Sandbox::start`] (tests use port 0), or from the command line
//! with `cw sandbox serve`. Records live in SQLite (in memory, or a file with `--db`), seeded
//! with deterministic demo data; requests are answered with the real service's semantics.

mod api;
mod auth;
mod catalog;
mod clock;
pub mod config;
mod demo;
mod error;
mod patch;
mod project;
mod query;
mod records;
pub mod seed;
mod server;
mod store;
mod tls;

pub use config::{Profile, SandboxConfig};
pub use server::{Sandbox, StartError};
