//! `descent classify`: what kind of critical point a point is, by curvature and the jiggle test.

use anyhow::bail;
use descent::Objective;
use descent::landscape::{
    Classification, CurvatureOptions, DecidedBy, Jiggle, JiggleVerdict, classify,
};
use serde::Serialize;

use crate::args::ClassifyArgs;
use crate::minimize::Target;
use crate::output::{number, print_fields, print_json, print_table, vector};

/// The `--json` object: `verdict`, `jiggle` and `curvature` are the documented interface.
#[derive(Serialize)]
struct ClassifyJson<'a> {
    verdict: JiggleVerdict,
    decided_by: DecidedBy,
    stationary: bool,
    problem: &'a str,
    x: &'a [f64],
    value: f64,
    jiggle: &'a descent::landscape::JiggleReport,
    curvature: &'a descent::landscape::Curvature,
}

/// Runs `descent classify`.
pub fn run(args: &ClassifyArgs) -> anyhow::Result<()> {
    let target = Target::from_args(&args.target())?;
    let x = &args.at.0;
    let n = match &target {
        Target::Problem(p) => p.dim(),
        Target::Expression(e) => e.dim(),
    };
    if x.len() != n {
        bail!("--at has {} coordinates, but {} has {n} variables", x.len(), target.name());
    }
    let jiggle = Jiggle { samples: args.samples, radius: args.radius, seed: args.seed };
    let options = CurvatureOptions { seed: args.seed, ..CurvatureOptions::default() };
    let c = match &target {
        Target::Problem(p) => classify(&**p, x, &jiggle, &options)?,
        Target::Expression(e) => classify(e, x, &jiggle, &options)?,
    };
    if args.json {
        return print_json(&ClassifyJson {
            verdict: c.verdict,
            decided_by: c.decided_by,
            stationary: c.stationary,
            problem: target.name(),
            x,
            value: target.value(x),
            jiggle: &c.jiggle,
            curvature: &c.curvature,
        });
    }
    print_human(&target, x, &c);
    Ok(())
}

fn word(verdict: JiggleVerdict) -> &'static str {
    match verdict {
        JiggleVerdict::Minimum => "minimum",
        JiggleVerdict::Maximum => "maximum",
        JiggleVerdict::Saddle => "saddle",
        JiggleVerdict::Degenerate => "degenerate",
    }
}

fn print_human(target: &Target, x: &[f64], c: &Classification) {
    let by = match c.decided_by {
        DecidedBy::Curvature => "by curvature",
        DecidedBy::Jiggle => "by the jiggle test: curvature is degenerate",
    };
    let mut fields = vec![
        ("problem", target.name().to_owned()),
        ("at", vector(x)),
        ("value", number(target.value(x))),
        ("‖∇f‖", number(c.jiggle.gradient_norm)),
        ("verdict", format!("{} ({by})", word(c.verdict))),
    ];
    if !c.stationary {
        fields.push((
            "warning",
            "the gradients around x all point one way: x is not a critical point".into(),
        ));
    }
    print_fields(&fields);
    println!();
    let curvature = &c.curvature;
    let index = curvature.index.map_or_else(|| "≥ ".to_owned() + &negatives(c), |i| i.to_string());
    let j = &c.jiggle;
    let rows = vec![
        vec![
            "curvature".to_owned(),
            curvature.verdict.describe(),
            format!(
                "eigenvalues {}, index {index}, {:?}",
                vector(&curvature.eigenvalues),
                curvature.method
            )
            .to_lowercase(),
        ],
        vec![
            "jiggle".to_owned(),
            word(j.verdict).to_owned(),
            format!(
                "{} samples at r = {}: {}% outward, {}% inward, {}% flat, direction spread {}",
                j.samples,
                number(j.radius),
                number(100.0 * j.outward_fraction),
                number(100.0 * j.inward_fraction),
                number(100.0 * j.flat_fraction),
                number(j.direction_spread),
            ),
        ],
    ];
    print_table(&["test", "verdict", "evidence"], &rows);
}

/// The negative eigenvalues found, a lower bound on the index when it is not known exactly.
fn negatives(c: &Classification) -> String {
    c.curvature.eigenvalues.iter().filter(|&&l| l < 0.0).count().to_string()
}
