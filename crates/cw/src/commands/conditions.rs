//! `cw conditions check EXPR [--entity tickets|finance/agreements|...]`: validates a conditions expression and prints
//! its canonical form, or the error with a caret under the fault.

use clap::Subcommand;
use cwpsa_core::conditions;
use cwpsa_core::schema::{Entity, registry};

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
    let expr = conditions::parse(expression)
        .map_err(|e| CliError::conditions("invalid conditions", &e, expression))?;
    if let Some(name) = entity {
        let entity = entity_named(name)?;
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

/// An entity by name (`tickets`), alias (`agreements`), or collection path, with or without
/// ids (`finance/agreements`, `company/companies/5/sites`,
/// `company/companies/{parentId}/sites`).
fn entity_named(name: &str) -> CliResult<&'static Entity> {
    if let Some(entity) = registry().entity(name) {
        return Ok(entity);
    }
    if let Some(entity) = paths::resolve(name).ok().and_then(|t| t.entity) {
        return Ok(entity);
    }
    let mut err = CliError::usage(format!("unknown entity `{name}`"));
    if let Some(close) = registry().suggest_entity(name) {
        err = err.with_detail(format!("did you mean `{}`?", close.name()));
    }
    let core: Vec<&str> = registry().entities().iter().map(Entity::name).collect();
    Err(err.with_detail(format!(
        "an entity is one of {}, an alias, or any collection path of the API (finance/agreements, company/companies/5/sites)",
        core.join(", ")
    )))
}
