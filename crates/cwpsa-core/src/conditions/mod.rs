//! The ConnectWise conditions language: `status/name = "New" and priority/id <= 2`.
//!
//! Used by the `conditions`, `childConditions` and `customFieldConditions` query parameters.
//! [`parse`] turns text into an [`Expr`]; `Display` on [`Expr`] prints the canonical form.

mod ast;
mod build;
mod error;
mod lexer;
mod parser;
mod print;

pub use ast::{
    CompareOp, Comparison, DateTime, Decimal, Expr, FieldPath, Membership, Operands, Text, Value,
};
pub use build::{BuildError, Condition, Field, IntoValue, ValueError, field, not};
pub use error::ParseError;
pub use parser::{MAX_DEPTH, MAX_NESTING, parse};
