//! End-to-end tests: the real `cw` binary against a sandbox on port 0.
#![allow(clippy::missing_panics_doc)]

mod harness;

mod config;
mod errors;
mod mcp;
mod misc;
mod output;
mod reads;
mod terminal;
mod writes;
