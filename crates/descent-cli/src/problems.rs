//! `descent problems`: the registry as a table or JSON.

use descent::problems::{ProblemConfig, registry};
use serde::Serialize;

use crate::args::ProblemsArgs;
use crate::output::{number, print_json, print_table, vector};

#[derive(Serialize)]
struct Entry {
    name: &'static str,
    summary: &'static str,
    dim: usize,
    hessian: String,
    start: Vec<f64>,
    min_value: Option<f64>,
    minimizers: Vec<Vec<f64>>,
}

#[derive(Serialize)]
struct Listing {
    problems: Vec<Entry>,
}

/// Runs `descent problems`.
pub fn run(args: &ProblemsArgs) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for spec in registry() {
        let p = (spec.build)(&ProblemConfig::default())?;
        problems.push(Entry {
            name: spec.name,
            summary: spec.summary,
            dim: p.dim(),
            hessian: p.hessian_structure().name(),
            start: p.start(),
            min_value: p.min_value(),
            minimizers: p.minimizers(),
        });
    }
    if args.json {
        return print_json(&Listing { problems });
    }
    let rows: Vec<Vec<String>> = problems
        .iter()
        .map(|e| {
            vec![
                e.name.to_owned(),
                e.dim.to_string(),
                e.hessian.clone(),
                vector(&e.start),
                e.min_value.map_or("none (unbounded)".into(), number),
                e.summary.to_owned(),
            ]
        })
        .collect();
    print_table(&["name", "dim", "hessian", "start", "minimum", "what it shows"], &rows);
    Ok(())
}
