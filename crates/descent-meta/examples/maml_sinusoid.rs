//! The sinusoid benchmark of the MAML paper: meta-train (or pretrain) on the paper's set-up,
//! time it, evaluate on 600 held-out tasks.
//!
//! ```text
//! cargo run --release -p descent-meta --example maml_sinusoid -- \
//!     [--shots 10] [--algorithm maml|first_order_maml|reptile|pretrained] \
//!     [--iterations 70000] [--threads 1] [--seed 0] [--f64] [--save FILE]
//! ```
//!
//! Prints the training wall time, the evaluation table (mean query MSE ± 95% half-width after
//! 0, 1, 2, 5, 10 SGD steps at α = 0.01) and one JSON line with the same numbers.

use std::ops::ControlFlow;
use std::time::Instant;

use descent_meta::maml::{
    Algorithm, EvalConfig, Evaluation, MetaConfig, MetaModel, evaluate, meta_train, pretrain,
};
use descent_meta::tasks::Sinusoid;
use descent_nn::model::Scalar;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut shots = 10;
    let mut algorithm = "maml".to_string();
    let mut iterations = 70_000;
    let mut threads = 1;
    let mut seed = 0;
    let mut f64_ = false;
    let mut save = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--shots" => shots = value()?.parse()?,
            "--algorithm" => algorithm = value()?,
            "--iterations" => iterations = value()?.parse()?,
            "--threads" => threads = value()?.parse()?,
            "--seed" => seed = value()?.parse()?,
            "--f64" => f64_ = true,
            "--save" => save = Some(std::path::PathBuf::from(value()?)),
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    if f64_ {
        run::<f64>(shots, &algorithm, iterations, threads, seed, save.as_deref())
    } else {
        run::<f32>(shots, &algorithm, iterations, threads, seed, save.as_deref())
    }
}

fn run<T: Scalar>(
    shots: usize,
    algorithm: &str,
    iterations: usize,
    threads: usize,
    seed: u64,
    save: Option<&std::path::Path>,
) -> Result<(), Box<dyn std::error::Error>> {
    let (meta, pretrained) = match algorithm {
        "maml" => (Algorithm::Maml, false),
        "first_order_maml" | "fomaml" => (Algorithm::FirstOrderMaml, false),
        "reptile" => (Algorithm::Reptile, false),
        "pretrained" => (Algorithm::Maml, true),
        other => return Err(format!("unknown algorithm {other}").into()),
    };
    let family = Sinusoid::default();
    let config = MetaConfig { iterations, threads, seed, ..MetaConfig::paper(meta, shots) };
    let every = (iterations / 10).max(1);
    let report = |p: &descent_meta::maml::MetaProgress| {
        if p.iteration.is_multiple_of(every) {
            eprintln!(
                "  iteration {:>6}: pre-update {:.4}, post-update {:.4}",
                p.iteration, p.pre_update_loss, p.post_update_loss
            );
        }
        ControlFlow::Continue(())
    };
    let start = Instant::now();
    let model: MetaModel<T> = if pretrained {
        pretrain(&family, &config, report)?
    } else {
        meta_train(&family, &config, report)?
    };
    let train_s = start.elapsed().as_secs_f64();
    if let Some(path) = save {
        descent_meta::maml::save(path, &model)?;
    }
    let start = Instant::now();
    let eval: Evaluation = evaluate(&family, &model, &EvalConfig::paper(shots))?;
    let eval_s = start.elapsed().as_secs_f64();
    println!(
        "{algorithm}, {shots}-shot, {iterations} iterations, {threads} thread(s), {}: training {train_s:.1} s, evaluation {eval_s:.2} s",
        std::any::type_name::<T>()
    );
    println!("steps  mean MSE  ±95%");
    for ((s, m), c) in eval.steps.iter().zip(&eval.mean).zip(&eval.ci95) {
        println!("{s:>5}  {m:>8.4}  {c:.4}");
    }
    let fmt = |v: &[f64]| {
        eval.steps
            .iter()
            .zip(v)
            .map(|(s, m)| format!("\"{s}\": {m:.5}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!(
        "{{\"algorithm\": \"{algorithm}\", \"shots\": {shots}, \"iterations\": {iterations}, \"threads\": {threads}, \"train_seconds\": {train_s:.2}, \"mse_after_steps\": {{{}}}, \"ci95_after_steps\": {{{}}}}}",
        fmt(&eval.mean),
        fmt(&eval.ci95)
    );
    Ok(())
}
