//! The numbers behind `descent tour`: each chapter is a function that runs the experiment and
//! returns what the narrative quotes, so that every claim the tour makes is also a tested value.
//!
//! | chapter | claim |
//! |---|---|
//! | [`ramp`] | on L = c·θ the hiker marches off for ever: each step is exactly α·c and the run ends `unbounded_below` |
//! | [`ravine`] | on ½(w₁² + κw₂²) plain GD zig-zags: the steep coordinate flips sign every step, and the iterations grow like κ |
//! | [`momentum`] | in the same ravine heavy-ball momentum needs far fewer iterations than GD, Nesterov fewer still and with smaller overshoots |
//! | [`adagrad`] | Adagrad gives each coordinate its own step, so a rescaled parameter changes its path, where GD only needs its step rescaled |

use crate::first_order::{FirstOrder, HeavyBall, Nesterov, Preset};
use crate::problems::{Problem, Ramp, Ravine};
use crate::{
    GradientDescent, Method, Objective, Options, Report, Result, Trace, minimize_observed,
};

/// What the ramp chapter measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RampChapter {
    /// The slope c.
    pub slope: f64,
    /// The learning rate α.
    pub learning_rate: f64,
    /// θ at every iteration.
    pub path: Vec<f64>,
    /// The run's report (status `unbounded_below`).
    pub report: Report,
}

impl RampChapter {
    /// The step lengths |θₖ₊₁ − θₖ|.
    #[must_use]
    pub fn steps(&self) -> Vec<f64> {
        self.path.windows(2).map(|w| (w[1] - w[0]).abs()).collect()
    }
}

/// Gradient descent with step α on the one-dimensional ramp L(θ) = c·θ from θ = 0.
///
/// # Errors
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for α ≤ 0 or c = 0.
pub fn ramp(slope: f64, learning_rate: f64) -> Result<RampChapter> {
    let problem = Ramp::new(1, slope)?;
    let mut trace = Trace::default();
    let report = minimize_observed(
        &problem,
        &[0.0],
        GradientDescent::new(learning_rate)?,
        &Options::default(),
        &mut trace,
    )?;
    let path = trace.rows.iter().map(|row| row.x[0]).collect();
    Ok(RampChapter { slope, learning_rate, path, report })
}

/// What one ravine run measured.
#[derive(Debug, Clone, PartialEq)]
pub struct RavineRun {
    /// κ = β/α, the ratio of the two curvatures.
    pub condition: f64,
    /// The step used, 2/(λ_min + λ_max) = 2/(1 + κ): the best fixed step for a quadratic.
    pub learning_rate: f64,
    /// The tolerance on ‖∇L‖.
    pub gtol: f64,
    /// Iterations GD needed.
    pub iterations: usize,
    /// The iterations the theory predicts: the error contracts by ρ = (κ − 1)/(κ + 1) per
    /// step, so ‖∇L‖ reaches `gtol` after ⌈ln(‖∇L₀‖/gtol)/ln(1/ρ)⌉ steps (an upper bound).
    pub predicted_iterations: usize,
    /// How often the steep coordinate w₂ changed sign.
    pub sign_flips: usize,
    /// (w₁, w₂) at every iteration.
    pub path: Vec<[f64; 2]>,
    /// The run's report.
    pub report: Report,
}

/// Plain GD at the best fixed step 2/(1 + κ) down the ravine ½(w₁² + κw₂²) from its standard
/// start, to ‖∇L‖ ≤ `gtol`.
///
/// # Errors
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for κ < 1 or a
/// non-positive `gtol`.
pub fn ravine(condition: f64, gtol: f64) -> Result<RavineRun> {
    let problem = Ravine::new(condition)?;
    let learning_rate = 2.0 / (problem.alpha() + problem.beta());
    let start = crate::problems::Problem::start(&problem);
    let mut g0 = [0.0_f64; 2];
    problem.value_grad(&start, &mut g0);
    let g0_norm = g0[0].hypot(g0[1]);
    let options = Options {
        gtol: crate::error::positive("gtol", gtol)?,
        max_iter: usize::MAX,
        ..Options::default()
    };
    let mut trace = Trace::default();
    let report = minimize_observed(
        &problem,
        &start,
        GradientDescent::new(learning_rate)?,
        &options,
        &mut trace,
    )?;
    let path: Vec<[f64; 2]> = trace.rows.iter().map(|row| [row.x[0], row.x[1]]).collect();
    let sign_flips = path.windows(2).filter(|w| w[0][1] * w[1][1] < 0.0).count();
    let rho = (condition - 1.0) / (condition + 1.0);
    let predicted_iterations =
        if rho == 0.0 { 1 } else { ((g0_norm / gtol).ln() / (1.0 / rho).ln()).ceil() as usize };
    Ok(RavineRun {
        condition,
        learning_rate,
        gtol,
        iterations: report.iterations,
        predicted_iterations,
        sign_flips,
        path,
        report,
    })
}

/// One method's best run in the ravine.
#[derive(Debug, Clone, PartialEq)]
pub struct TunedRun {
    /// The step (learning rate) used.
    pub learning_rate: f64,
    /// Iterations to ‖∇L‖ ≤ `gtol`.
    pub iterations: usize,
    /// The largest rise of the loss between consecutive iterates: how far the method
    /// overshoots (0 for a monotone run).
    pub largest_rise: f64,
    /// (w₁, w₂) at every iteration.
    pub path: Vec<[f64; 2]>,
}

/// What the momentum chapter measured, on the ravine ½(w₁² + κw₂²).
#[derive(Debug, Clone, PartialEq)]
pub struct MomentumChapter {
    /// κ.
    pub condition: f64,
    /// Plain GD at its best fixed step.
    pub gradient_descent: TunedRun,
    /// Heavy ball with γ = 0.9 at its best fixed step.
    pub heavy_ball: TunedRun,
    /// Heavy ball with Polyak's tuning γ = ((√κ − 1)/(√κ + 1))², α = 4/(√L + √μ)².
    pub polyak: TunedRun,
    /// Polyak's γ.
    pub polyak_momentum: f64,
    /// Nesterov with μ = 0.9 at its best fixed step.
    pub nesterov: TunedRun,
}

/// Runs `method` down the ravine to ‖∇L‖ ≤ `gtol`.
fn tuned_run<M: Method<Ravine>>(
    ravine: &Ravine,
    method: M,
    learning_rate: f64,
    gtol: f64,
) -> Result<Option<TunedRun>> {
    let options = Options { max_iter: 20_000, gtol, ..Options::default() };
    let mut trace = Trace::default();
    let report = minimize_observed(ravine, &ravine.start(), method, &options, &mut trace)?;
    if !report.status.is_converged() {
        return Ok(None);
    }
    let largest_rise = trace.rows.windows(2).map(|w| w[1].value - w[0].value).fold(0.0, f64::max);
    let path = trace.rows.iter().map(|row| [row.x[0], row.x[1]]).collect();
    Ok(Some(TunedRun { learning_rate, iterations: report.iterations, largest_rise, path }))
}

/// The fewest-iteration run over a grid of fixed steps, as a practitioner would tune: the 400
/// steps (2/λ_max)·i/400, i = 1, …, 400, with λ_max = κ the ravine's steep curvature.
///
/// # Errors
/// As [`minimize`](crate::minimize); none for valid inputs.
pub fn best_fixed_step<M: Method<Ravine>>(
    ravine: &Ravine,
    gtol: f64,
    make: impl Fn(f64) -> Result<M>,
) -> Result<Option<TunedRun>> {
    let top = 2.0 / ravine.beta();
    let mut best: Option<TunedRun> = None;
    for i in 1..=400 {
        let learning_rate = top * f64::from(i) / 400.0;
        if let Some(run) = tuned_run(ravine, make(learning_rate)?, learning_rate, gtol)?
            && best.as_ref().is_none_or(|b| run.iterations < b.iterations)
        {
            best = Some(run);
        }
    }
    Ok(best)
}

/// GD, heavy ball and Nesterov, each at its best fixed step, and heavy ball with Polyak's
/// tuning, down the ravine with condition κ.
///
/// # Errors
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for κ < 1 or a
/// non-positive `gtol`.
pub fn momentum(condition: f64, gtol: f64) -> Result<MomentumChapter> {
    let ravine = Ravine::new(condition)?;
    crate::error::positive("gtol", gtol)?;
    let never = || crate::Error::InvalidHyperparameter {
        name: "condition",
        value: condition,
        valid: "small enough that a fixed step converges within 20000 iterations",
    };
    let gradient_descent =
        best_fixed_step(&ravine, gtol, GradientDescent::new)?.ok_or_else(never)?;
    let heavy_ball =
        best_fixed_step(&ravine, gtol, |lr| Ok(FirstOrder::new(HeavyBall::new(lr, 0.9).rule())))?
            .ok_or_else(never)?;
    let nesterov = best_fixed_step(&ravine, gtol, |lr| {
        Ok(FirstOrder::new(Nesterov::preset(Preset::Torch, lr).rule()))
    })?
    .ok_or_else(never)?;
    let (l, mu) = (ravine.beta(), ravine.alpha());
    let root = (l / mu).sqrt();
    let polyak_momentum = ((root - 1.0) / (root + 1.0)).powi(2);
    let alpha = 4.0 / (l.sqrt() + mu.sqrt()).powi(2);
    let polyak = tuned_run(
        &ravine,
        FirstOrder::new(HeavyBall::new(alpha, polyak_momentum).rule()),
        alpha,
        gtol,
    )?
    .ok_or_else(never)?;
    Ok(MomentumChapter {
        condition,
        gradient_descent,
        heavy_ball,
        polyak,
        polyak_momentum,
        nesterov,
    })
}

/// The path, in w-space, of `steps` steps of `rule` on f(w) = ½(w₁² + 10w₂²) from w₀ = (3, 1),
/// run either on w itself or on z with w = `scale`·z (that is, on g(z) = f(scale·z), whose
/// gradient is scale·∇f).
///
/// # Errors
/// [`Error::InvalidHyperparameter`](crate::Error::InvalidHyperparameter) for an invalid rule.
pub fn rescaled_path<R: crate::first_order::Rule>(
    rule: R,
    scale: f64,
    steps: usize,
) -> Result<Vec<[f64; 2]>> {
    let mut optimizer = crate::first_order::Optimizer::new(rule, 2)?;
    let mut z = [3.0 / scale, 1.0 / scale];
    let mut path = vec![[3.0, 1.0]];
    for _ in 0..steps {
        let w = [z[0] * scale, z[1] * scale];
        let grad = [scale * w[0], scale * 10.0 * w[1]];
        optimizer.step(&mut z, &grad)?;
        path.push([z[0] * scale, z[1] * scale]);
    }
    Ok(path)
}

/// What the Adagrad section measured: paths in w-space run on w and on z = w/2.
#[derive(Debug, Clone, PartialEq)]
pub struct AdagradChapter {
    /// The largest gap between GD's path on w (step α) and on z (step α/4), in w-space.
    pub gd_gap: f64,
    /// The largest gap between Adagrad's path on w and on z, the same η for both.
    pub adagrad_gap: f64,
    /// Adagrad's first step in w-space, run on w.
    pub adagrad_first_step_w: [f64; 2],
    /// Adagrad's first step in w-space, run on z.
    pub adagrad_first_step_z: [f64; 2],
    /// Iterations of Adagrad (torch preset, η = 0.5) down the ravine, for κ = 10 and κ = 100.
    pub ravine_iterations: [usize; 2],
    /// The four paths in w-space: GD on w, GD on z, Adagrad on w, Adagrad on z.
    pub paths: Vec<(String, Vec<[f64; 2]>)>,
}

/// Adagrad against plain GD under the reparametrisation w = 2z.
///
/// # Errors
/// None for the fixed settings used; the signature carries the library's errors.
pub fn adagrad() -> Result<AdagradChapter> {
    use crate::first_order::{Adagrad, Sgd};
    const STEPS: usize = 50;
    let gap = |a: &[[f64; 2]], b: &[[f64; 2]]| {
        a.iter()
            .zip(b)
            .map(|(p, q)| (p[0] - q[0]).abs().max((p[1] - q[1]).abs()))
            .fold(0.0, f64::max)
    };
    let gd_w = rescaled_path(Sgd::new(0.05).rule(), 1.0, STEPS)?;
    let gd_z = rescaled_path(Sgd::new(0.05 / 4.0).rule(), 2.0, STEPS)?;
    let rule = Adagrad::preset(Preset::Torch, 0.1).rule();
    let ada_w = rescaled_path(rule.clone(), 1.0, STEPS)?;
    let ada_z = rescaled_path(rule, 2.0, STEPS)?;
    let step = |p: &[[f64; 2]]| [p[1][0] - p[0][0], p[1][1] - p[0][1]];
    let iterations = |condition: f64| -> Result<usize> {
        let ravine = Ravine::new(condition)?;
        let options = Options { max_iter: 100_000, gtol: 1e-6, ..Options::default() };
        let method = FirstOrder::new(Adagrad::preset(Preset::Torch, 0.5).rule());
        Ok(crate::minimize(&ravine, &ravine.start(), method, &options)?.iterations)
    };
    Ok(AdagradChapter {
        gd_gap: gap(&gd_w, &gd_z),
        adagrad_gap: gap(&ada_w, &ada_z),
        adagrad_first_step_w: step(&ada_w),
        adagrad_first_step_z: step(&ada_z),
        ravine_iterations: [iterations(10.0)?, iterations(100.0)?],
        paths: vec![
            ("GD on w".into(), gd_w),
            ("GD on z, step ÷ 4".into(), gd_z),
            ("Adagrad on w".into(), ada_w),
            ("Adagrad on z".into(), ada_z),
        ],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn adagrad_depends_on_the_parametrisation_and_gd_does_not() {
        let c = adagrad().unwrap();
        assert!(c.gd_gap <= 1e-12);
        assert!(c.adagrad_gap > 1e-2);
        for k in 0..2 {
            assert!((c.adagrad_first_step_z[k] - 2.0 * c.adagrad_first_step_w[k]).abs() < 1e-9);
        }
        // On an axis-aligned ravine the per-coordinate scaling removes κ: ten times the
        // condition number costs Adagrad (almost) nothing, where it costs GD ten times.
        let [k10, k100] = c.ravine_iterations;
        assert!(k100 < 100_000 && k100 <= k10 + k10 / 10, "κ = 10: {k10}, κ = 100: {k100}");
    }

    #[test]
    fn momentum_and_nesterov_shorten_the_ravine() {
        let c = momentum(100.0, 1e-6).unwrap();
        let gd = c.gradient_descent.iterations;
        assert!(2 * c.heavy_ball.iterations < gd, "γ = 0.9 halves GD at least");
        assert!(4 * c.polyak.iterations <= gd, "tuned momentum: under a quarter");
        assert!(c.nesterov.iterations <= c.heavy_ball.iterations);
        assert!(c.nesterov.largest_rise < c.heavy_ball.largest_rise);
        assert_eq!(c.gradient_descent.largest_rise, 0.0, "GD at a stable step never rises");
    }

    #[test]
    fn the_ramp_marches_off_at_exactly_alpha_c_per_step() {
        let chapter = ramp(1.0, 0.1).unwrap();
        assert_eq!(chapter.report.status, Status::UnboundedBelow);
        assert!(chapter.steps().len() >= 10);
        for step in chapter.steps() {
            assert!((step - 0.1).abs() < 1e-12, "{step}");
        }
    }

    #[test]
    fn the_ravine_zig_zags_and_costs_iterations_in_proportion_to_kappa() {
        let runs: Vec<RavineRun> =
            [10.0, 100.0].iter().map(|&k| ravine(k, 1e-6).unwrap()).collect();
        for run in &runs {
            assert!(run.report.status.is_converged());
            // 1 − αβ = (1 − κ)/(1 + κ) < 0: the steep coordinate flips at every step.
            assert_eq!(run.sign_flips, run.iterations, "κ = {}", run.condition);
            assert!(run.iterations <= run.predicted_iterations);
            assert!(
                run.iterations + 3 >= run.predicted_iterations,
                "{} vs {}",
                run.iterations,
                run.predicted_iterations
            );
        }
        let ratio = runs[1].iterations as f64 / runs[0].iterations as f64;
        assert!(
            (8.0..12.5).contains(&ratio),
            "ten times the condition, {ratio} times the iterations"
        );
    }
}
