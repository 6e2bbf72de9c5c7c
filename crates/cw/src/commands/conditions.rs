//! `cw conditions check EXPR [--entity tickets|finance/agreements|...]`: validates a conditions expression and prints
//! its canonical form, or the error with a caret under the fault.

use clap::Subcommand;
use cwpsa_core::conditions;

use crate::error::{CliError, CliResult};
use crate::paths;

#[derive(Debug, Subcommand)]
pub enum ConditionsCommand {
    /// Check an expression and print its canonical form.
    Check {
        /// The expression, e.g. 'status/name = "New" and priority/id <= 2'.
        expression: String,
        /// Also check field names and value types against this entity: a name, an alias or any
        /// collection path (tickets, agreements, finance/agreements, company/companies/5/sites).
        #[arg(long)]
        entity: Option<String>,
    },
}

pub fn run(command: &ConditionsCommand) -> CliResult {
    let ConditionsCommand::Check { expression, entity } = command;
    let expr = check(expression, entity.as_deref(), Kind::Conditions)?;
    println!("{expr}");
    Ok(())
}

/// Which parameter an expression is written for: each checks other fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `conditions`: the record's own fields.
    Conditions,
    /// `childConditions`: fields of the record's lists (`communicationItems/value`).
    Child,
    /// `customFieldConditions`: `caption`, `value` and the other fields of a custom field.
    CustomField,
}

/// Parses `expression` (a caret under a syntax error) and, given an entity, checks its field
/// names and value types; shared with `cw mcp`'s `check_conditions`.
pub fn check(expression: &str, entity: Option<&str>, kind: Kind) -> CliResult<conditions::Expr> {
    let expr = conditions::parse(expression)
        .map_err(|e| CliError::conditions("invalid conditions", &e, expression))?;
    if let Some(name) = entity {
        let entity = paths::entity(name)?;
        let checked = match kind {
            Kind::Conditions => entity.validate_conditions(&expr),
            Kind::Child => entity.validate_child_conditions(&expr),
            Kind::CustomField => entity.validate_custom_field_conditions(&expr),
        };
        checked.map_err(|problems| {
            let mut err = CliError::usage(format!("the conditions do not fit {}", entity.name()));
            for p in problems {
                err = err.with_detail(p.to_string());
            }
            err
        })?;
    }
    Ok(expr)
}
