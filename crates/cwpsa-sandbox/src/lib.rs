//! A stateful emulator of the ConnectWise PSA REST API.

pub mod seed;
