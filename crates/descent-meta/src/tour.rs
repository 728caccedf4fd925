//! The numbers behind the tour's chapter on learning to learn (`descent tour`, chapter 10,
//! "Learning to learn"): the experiments run here and return what the narrative quotes, so that
//! every claim the chapter makes is also a tested value. No I/O: the two sinusoid models the
//! chapter adapts are embedded in the library ([`MAML_SINUSOID_10SHOT`],
//! [`PRETRAINED_SINUSOID_10SHOT`]).
//!
//! | function | claim |
//! |---|---|
//! | [`learning_to_learn`] | on the digits, SGD-HD ends with a training cross-entropy several times lower than SGD at its fixed α₀; started from α₀ two decades apart it tunes α to about the same value; the shipped MAML network adapted by one SGD step on 10 points fits a new sinusoid better than the pretrained network after ten, and its 10-step error is below 0.2 |
//! | [`mean_sinusoid`] | the task family's mean curve, which both shipped models predict before adapting ([`Adapted::start_vs_mean_rms`]) |
//! | [`shipped_maml`], [`shipped_pretrained`] | the embedded models, decoded with [`maml::file::from_bytes`]'s checks |
//!
//! # The chapter's equations
//! ```text
//! θₜ = θₜ₋₁ − αₜ·∇f(θₜ₋₁)                     SGD with a learning rate that changes
//! hₜ = ∂f(θₜ₋₁)/∂αₜ₋₁ = −∇f(θₜ₋₁)·∇f(θₜ₋₂)      the hypergradient: one dot product
//! αₜ = αₜ₋₁ − β·hₜ                             SGD-HD (Baydin et al. 2018, eq. 5)
//!
//! θ' = θ − α·∇L_S(θ)                           adaptation to a task on its support points
//! min_θ E_task[L_Q(θ')]                         MAML (Finn et al. 2017): train θ for θ'
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | f | the mean training cross-entropy of softmax regression (plus its L2 term) |
//! | α₀, αₜ, β | the initial and current learning rate, the hyper learning rate |
//! | θ | network parameters; for MAML, the meta-learned starting point |
//! | L_S, L_Q | a task's mean-squared error on its K support / its query points |
//!
//! # Example
//! ```
//! use descent_meta::tour::{MetaSettings, learning_to_learn};
//! let settings = MetaSettings { alpha0s: vec![1e-3], eval_tasks: 20, fit_tasks: 1, ..MetaSettings::default() };
//! let chapter = learning_to_learn(&settings)?;
//! assert!(chapter.hypergradient.final_loss < chapter.hypergradient.baseline_final_loss);
//! # Ok::<(), descent_meta::Error>(())
//! ```

use std::path::Path;

use crate::hypergradient::{
    Comparison, ComparisonReport, HdOptimizer, compare_on_softmax_regression, digits_prepared,
};
use rayon::prelude::*;

use crate::maml::{self, AdaptedFit, EvalConfig, Evaluation, MetaModel};
use crate::tasks::Sinusoid;
use crate::{Error, Result};
use descent_nn::model::Model as _;

/// The shipped 10-shot MAML sinusoid model (exact MAML, f32, 70 000 iterations, seed 0; made
/// by `cargo run --release -p descent-meta --example maml_sinusoid -- --shots 10 --algorithm
/// maml --save FILE`), as the bytes of its file.
pub const MAML_SINUSOID_10SHOT: &[u8] = include_bytes!("../data/maml-sinusoid-10shot.dmeta");

/// The shipped pretrained baseline of the same run (`--algorithm pretrained`).
pub const PRETRAINED_SINUSOID_10SHOT: &[u8] =
    include_bytes!("../data/pretrained-sinusoid-10shot.dmeta");

/// The shipped MAML model, decoded.
///
/// # Errors
/// [`Error::Malformed`] if the embedded bytes do not decode (a damaged build).
pub fn shipped_maml() -> Result<MetaModel<f32>> {
    maml::file::from_bytes(MAML_SINUSOID_10SHOT, Path::new("<embedded maml-sinusoid-10shot.dmeta>"))
}

/// The shipped pretrained baseline, decoded.
///
/// # Errors
/// [`Error::Malformed`] if the embedded bytes do not decode (a damaged build).
pub fn shipped_pretrained() -> Result<MetaModel<f32>> {
    maml::file::from_bytes(
        PRETRAINED_SINUSOID_10SHOT,
        Path::new("<embedded pretrained-sinusoid-10shot.dmeta>"),
    )
}

/// The family's mean curve E[y | x] over tasks, with A and φ uniform and independent:
/// Ā·(cos(x − φ_hi) − cos(x − φ_lo))/(φ_hi − φ_lo), Ā = (A_lo + A_hi)/2, since
/// ∫ sin(x − φ) dφ = cos(x − φ). For the paper's family (φ ∈ [0, π]) it is −(2Ā/π)·cos x.
#[must_use]
pub fn mean_sinusoid(family: &Sinusoid, x: f64) -> f64 {
    let mean_amplitude = 0.5 * (family.amplitude.0 + family.amplitude.1);
    let (lo, hi) = family.phase;
    if hi == lo {
        return mean_amplitude * (x - lo).sin();
    }
    mean_amplitude * ((x - hi).cos() - (x - lo).cos()) / (hi - lo)
}

/// The root-mean-square gap between `model`'s prediction and [`mean_sinusoid`] on `grid`
/// evenly spaced points of the family's x range.
fn start_vs_mean(family: &Sinusoid, model: &MetaModel<f32>, grid: usize) -> Result<f64> {
    let mlp = model.mlp()?;
    let (lo, hi) = family.x_range;
    let xs: Vec<f64> =
        (0..grid).map(|i| lo + (hi - lo) * i as f64 / (grid.max(2) - 1) as f64).collect();
    let xs_t: Vec<f32> = xs.iter().map(|&x| x as f32).collect();
    let mut ws = mlp.workspace(grid);
    let mut out = vec![0.0f32; grid];
    mlp.forward_values(&model.params, &xs_t, &mut ws, &mut out)?;
    let sum: f64 =
        xs.iter().zip(&out).map(|(&x, &y)| (f64::from(y) - mean_sinusoid(family, x)).powi(2)).sum();
    Ok((sum / grid as f64).sqrt())
}

/// How the chapter's experiments are set up; [`Default`] is what the tour runs.
#[derive(Debug, Clone, PartialEq)]
pub struct MetaSettings {
    /// SGD-HD against SGD at a fixed α₀ on the prepared digits ([`digits_prepared`]).
    pub comparison: Comparison,
    /// The α₀ of the SGD-HD runs whose learning-rate paths are compared (the comparison's own
    /// α₀ is not rerun when listed).
    pub alpha0s: Vec<f64>,
    /// Held-out sinusoids the shipped models are evaluated on.
    pub eval_tasks: usize,
    /// Adaptation steps at which the evaluation measures the error.
    pub steps: Vec<usize>,
    /// The held-out tasks' seed (the evaluation and the fits draw the same tasks).
    pub seed: u64,
    /// Tasks whose adapted fits are kept for the figure (the first of the evaluated ones).
    pub fit_tasks: usize,
    /// The step counts drawn in the fits.
    pub fit_steps: Vec<usize>,
    /// Points of each fitted curve.
    pub fit_grid: usize,
}

impl Default for MetaSettings {
    /// The issue's digits set-up ([`Comparison::issue`] with SGD: α₀ = β = 10⁻³, 200
    /// iterations, λ = 10⁻⁴); α₀ ∈ {10⁻⁴, 10⁻³, 10⁻²}; 200 held-out tasks, seed 0, measured
    /// after 0, 1, …, 10 steps; fits of 3 tasks after 0, 1 and 10 steps on a 200-point grid.
    fn default() -> Self {
        Self {
            comparison: Comparison::issue(HdOptimizer::Sgd),
            alpha0s: vec![1e-4, 1e-3, 1e-2],
            eval_tasks: 200,
            steps: (0..=10).collect(),
            seed: 0,
            fit_tasks: 3,
            fit_steps: vec![0, 1, 10],
            fit_grid: 200,
        }
    }
}

/// One SGD-HD run of the α₀ comparison.
#[derive(Debug, Clone, PartialEq)]
pub struct AlphaPath {
    /// α₀.
    pub alpha0: f64,
    /// αₜ of steps t = 1, …, T.
    pub learning_rates: Vec<f64>,
    /// α_T.
    pub final_lr: f64,
    /// The final training cross-entropy (without the L2 term).
    pub final_loss: f64,
}

impl AlphaPath {
    fn of(report: &ComparisonReport) -> Self {
        Self {
            alpha0: report.comparison.lr0,
            learning_rates: report.learning_rates.clone(),
            final_lr: report.final_lr,
            final_loss: report.final_loss,
        }
    }
}

/// One shipped model on the held-out tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapted {
    /// The model.
    pub model: MetaModel<f32>,
    /// Its query MSE after each step count of [`MetaSettings::steps`].
    pub evaluation: Evaluation,
    /// Its fits to the first [`MetaSettings::fit_tasks`] evaluated tasks.
    pub fits: Vec<AdaptedFit>,
    /// The root-mean-square gap, over [`MetaSettings::fit_grid`] evenly spaced x of the
    /// family's range, between the un-adapted network's prediction (the same for every task)
    /// and the family's mean curve ([`mean_sinusoid`]): how close θ is to "predict the
    /// average task".
    pub start_vs_mean_rms: f64,
}

impl Adapted {
    /// The mean query MSE after `steps` adaptation steps, if measured.
    #[must_use]
    pub fn mse_after(&self, steps: usize) -> Option<f64> {
        let e = &self.evaluation;
        e.steps.iter().position(|&s| s == steps).map(|i| e.mean[i])
    }
}

/// The chapter's experiments; see the [module docs](self).
#[derive(Debug, Clone, PartialEq)]
pub struct MetaChapter {
    /// The settings it ran with.
    pub settings: MetaSettings,
    /// SGD-HD against SGD at the fixed α₀.
    pub hypergradient: ComparisonReport,
    /// SGD-HD from each α₀ of [`MetaSettings::alpha0s`], in that order.
    pub alpha_paths: Vec<AlphaPath>,
    /// The shipped MAML model.
    pub maml: Adapted,
    /// The shipped pretrained baseline.
    pub pretrained: Adapted,
}

impl MetaChapter {
    /// The largest α_T over the α₀ runs divided by the smallest: 1 when the final learning rate
    /// does not depend on α₀ at all.
    #[must_use]
    pub fn alpha_spread(&self) -> f64 {
        let finals = self.alpha_paths.iter().map(|p| p.final_lr);
        let (lo, hi) =
            finals.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), a| (lo.min(a), hi.max(a)));
        hi / lo
    }
}

/// Runs the chapter's experiments; see the [module docs](self).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for settings out of range (no α₀, fewer than 2 held-out
/// tasks, a fit grid of fewer than 2 points, …); as [`compare_on_softmax_regression`],
/// [`maml::evaluate`] and [`maml::adapted_fits`] otherwise.
pub fn learning_to_learn(settings: &MetaSettings) -> Result<MetaChapter> {
    if settings.alpha0s.is_empty() {
        return Err(Error::InvalidHyperparameter {
            name: "alpha0s",
            value: 0.0,
            valid: "at least one α₀",
        });
    }
    let family = Sinusoid::default();
    let adapt = |model: MetaModel<f32>| -> Result<Adapted> {
        let shots = model.config.shots;
        let eval = EvalConfig {
            tasks: settings.eval_tasks,
            inner_lr: model.config.inner_lr,
            steps: settings.steps.clone(),
            seed: settings.seed,
            ..EvalConfig::paper(shots)
        };
        let evaluation = maml::evaluate(&family, &model, &eval)?;
        let fits = maml::adapted_fits(
            &family,
            &model,
            settings.fit_tasks,
            shots,
            &settings.fit_steps,
            settings.seed,
            settings.fit_grid,
        )?;
        let start_vs_mean_rms = start_vs_mean(&family, &model, settings.fit_grid)?;
        Ok(Adapted { model, evaluation, fits, start_vs_mean_rms })
    };
    // The models first: a bad evaluation setting fails before the digits' runs.
    let maml = adapt(shipped_maml()?)?;
    let pretrained = adapt(shipped_pretrained()?)?;
    let data = digits_prepared()?;
    // The comparison and the runs from the other α₀ are independent: run them side by side.
    let others: Vec<f64> =
        settings.alpha0s.iter().copied().filter(|&a| a != settings.comparison.lr0).collect();
    let (hypergradient, others) = rayon::join(
        || compare_on_softmax_regression(&data, &settings.comparison),
        || {
            others
                .par_iter()
                .map(|&lr0| {
                    let c = Comparison { lr0, ..settings.comparison.clone() };
                    compare_on_softmax_regression(&data, &c)
                })
                .collect::<Result<Vec<_>>>()
        },
    );
    let (hypergradient, others) = (hypergradient?, others?);
    let alpha_paths = settings
        .alpha0s
        .iter()
        .map(|&lr0| {
            let run = others.iter().find(|r| r.comparison.lr0 == lr0).unwrap_or(&hypergradient);
            AlphaPath::of(run)
        })
        .collect();
    Ok(MetaChapter { settings: settings.clone(), hypergradient, alpha_paths, maml, pretrained })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::maml::{Algorithm, ModelKind};

    #[test]
    fn the_chapter_s_claims_hold() {
        let c = learning_to_learn(&MetaSettings::default()).unwrap();
        let h = &c.hypergradient;
        println!(
            "SGD {:.4}, SGD-HD {:.4} (α → {:.5}), {:.1}×",
            h.baseline_final_loss,
            h.final_loss,
            h.final_lr,
            h.baseline_final_loss / h.final_loss
        );
        for p in &c.alpha_paths {
            println!("α₀ = {:e}: α_T = {:.5}, loss {:.4}", p.alpha0, p.final_lr, p.final_loss);
        }
        for (name, m) in [("MAML", &c.maml), ("pretrained", &c.pretrained)] {
            println!("{name}: {:?} ± {:?}", m.evaluation.mean, m.evaluation.ci95);
            println!("{name}: start vs the mean curve, rms {:.4}", m.start_vs_mean_rms);
        }
        // SGD-HD: at least 4× lower than SGD at its fixed α₀ (the issue's claim), α risen
        // well above α₀.
        assert!(h.baseline_final_loss >= 4.0 * h.final_loss, "{h:?}");
        assert!(h.final_lr > 10.0 * h.comparison.lr0);
        // The insensitivity to α₀: from 10⁻⁴ to 10⁻², α_T within 10 % of each other.
        assert_eq!(c.alpha_paths.len(), 3);
        assert!(c.alpha_spread() < 1.1, "spread {}", c.alpha_spread());
        let from_1e3 = c.alpha_paths.iter().find(|p| p.alpha0 == 1e-3).unwrap();
        assert_eq!(from_1e3.final_lr, h.final_lr);
        for p in &c.alpha_paths {
            assert_eq!(p.learning_rates.len(), h.comparison.iterations);
            assert_eq!(p.learning_rates.last().copied(), Some(p.final_lr));
        }
        // The models are the shipped ones.
        assert_eq!(c.maml.model.kind, ModelKind::Meta(Algorithm::Maml));
        assert_eq!(c.pretrained.model.kind, ModelKind::Pretrained);
        assert_eq!(c.maml.model.config.shots, 10);
        let (m, p) = (&c.maml, &c.pretrained);
        let (m1, m10, p10) =
            (m.mse_after(1).unwrap(), m.mse_after(10).unwrap(), p.mse_after(10).unwrap());
        // MAML after one step beats the pretrained network after ten; after ten, < 0.2.
        assert!(m1 < p10, "MAML 1 step {m1}, pretrained 10 steps {p10}");
        assert!(m10 < 0.2, "{m10}");
        // The pretrained network stays above 1 (the issue's benchmark claim).
        assert!(p10 > 1.0, "{p10}");
        // Before adaptation both are equally wrong (within the 95 % intervals): MAML's θ is a
        // better start, not a better guess.
        let (m0, p0) = (m.mse_after(0).unwrap(), p.mse_after(0).unwrap());
        assert!((m0 - p0).abs() < m.evaluation.ci95[0] + p.evaluation.ci95[0], "{m0} vs {p0}");
        // …and for the same reason: both start near the family's mean curve (amplitude
        // 2Ā/π ≈ 1.62), within rms 0.2.
        for a in [m, p] {
            assert!(a.start_vs_mean_rms < 0.2, "{}", a.start_vs_mean_rms);
        }
        // The fits are of the first evaluated tasks, and the 10-step fit is close to the truth
        // for MAML only (grid MSE).
        for (fits, limit) in [(&m.fits, 0.3), (&p.fits, f64::INFINITY)] {
            assert_eq!(fits.len(), 3);
            for f in fits.iter() {
                assert_eq!(f.curves.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [0, 1, 10]);
                let grid_mse =
                    f.curves[2].1.iter().zip(&f.truth).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
                        / f.truth.len() as f64;
                assert!(grid_mse < limit, "{grid_mse}");
            }
        }
    }

    #[test]
    fn the_embedded_models_decode_as_saved() {
        let m = shipped_maml().unwrap();
        let p = shipped_pretrained().unwrap();
        assert_eq!(m.spec, p.spec);
        assert_eq!(m.params.len(), m.mlp().unwrap().num_params());
        assert_eq!(m.config.iterations, 70_000);
        assert_eq!(m.config.seed, 0);
        assert!(matches!(
            maml::file::from_bytes::<f64>(MAML_SINUSOID_10SHOT, Path::new("x")),
            Err(Error::Malformed { .. })
        ));
    }

    /// The mean curve against a midpoint-rule average over φ, and the paper's closed form.
    #[test]
    fn the_mean_sinusoid_is_the_average_over_phases() {
        let family = Sinusoid::default();
        let n = 20_000;
        let (lo, hi) = family.phase;
        for x in [-5.0, -1.3, 0.0, 0.7, 4.9] {
            let average = (0..n)
                .map(|i| (x - (lo + (hi - lo) * (i as f64 + 0.5) / n as f64)).sin())
                .sum::<f64>()
                / n as f64;
            let expected = 2.55 * average;
            assert!((mean_sinusoid(&family, x) - expected).abs() < 1e-8, "x = {x}");
            let closed = -2.0 * 2.55 / std::f64::consts::PI * x.cos();
            assert!((mean_sinusoid(&family, x) - closed).abs() < 1e-12, "x = {x}");
        }
        let fixed = Sinusoid { phase: (0.5, 0.5), ..family };
        assert!((mean_sinusoid(&fixed, 1.0) - 2.55 * 0.5f64.sin()).abs() < 1e-15);
    }

    #[test]
    fn bad_settings_are_errors() {
        let bad = MetaSettings { alpha0s: vec![], ..MetaSettings::default() };
        assert!(matches!(learning_to_learn(&bad), Err(Error::InvalidHyperparameter { .. })));
        let bad = MetaSettings { eval_tasks: 1, ..MetaSettings::default() };
        assert!(matches!(learning_to_learn(&bad), Err(Error::InvalidHyperparameter { .. })));
        let bad = MetaSettings { fit_grid: 1, ..MetaSettings::default() };
        assert!(matches!(learning_to_learn(&bad), Err(Error::InvalidHyperparameter { .. })));
    }
}
