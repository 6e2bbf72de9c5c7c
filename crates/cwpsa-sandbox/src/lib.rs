//! Placeholder: see the project README for the plan of this crate.
