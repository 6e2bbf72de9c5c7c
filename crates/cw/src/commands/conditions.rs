//! `cw conditions check EXPR [--entity tickets]`: validates a conditions expression and prints
//! its canonical form, or the error with a caret under the fault.

use clap::Subcommand;
use cwpsa_core::conditions;
use cwpsa_core::schema::registry;

use crate::error::{CliError, CliResult};

#[derive(Debug, Subcommand)]
pub enum ConditionsCommand {
    /// Check an expression and print its canonical form.
    Check {
        /// The expression, e.g. 'status/name = "New" and priority/id <= 2'.
        expression: String,
        /// Also check field names and value types against this entity (e.g. tickets).
        #[arg(long)]
        entity: Option<String>,
    },
}

pub fn run(command: &ConditionsCommand) -> CliResult {
    let ConditionsCommand::Check { expression, entity } = command;
    let expr = conditions::parse(expression)
        .map_err(|e| CliError::conditions("invalid conditions", &e, expression))?;
    if let Some(name) = entity {
        let entity = registry().entity(name).ok_or_else(|| {
            let known: Vec<&str> = registry()
                .entities()
                .iter()
                .map(cwpsa_core::schema::Entity::name)
                .collect();
            CliError::usage(format!(
                "unknown entity `{name}`; known entities: {}",
                known.join(", ")
            ))
        })?;
        entity.validate_conditions(&expr).map_err(|problems| {
            let mut err = CliError::usage(format!("the conditions do not fit {}", entity.name()));
            for p in problems {
                err = err.with_detail(p.to_string());
            }
            err
        })?;
    }
    println!("{expr}");
    Ok(())
}
