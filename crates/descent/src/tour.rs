//! The numbers behind `descent tour`: each chapter is a function that runs the experiment and
//! returns what the narrative quotes, so that every claim the tour makes is also a tested value.
//!
//! | chapter | claim |
//! |---|---|
//! | [`ramp`] | on L = c·θ the hiker marches off for ever: each step is exactly α·c and the run ends `unbounded_below` |
//! | [`ravine`] | on ½(w₁² + κw₂²) plain GD zig-zags: the steep coordinate flips sign every step, and the iterations grow like κ |

use crate::problems::{Ramp, Ravine};
use crate::{GradientDescent, Objective, Options, Report, Result, Trace, minimize_observed};

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

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
