//! Escaping saddle points: perturbed gradient descent, and how fast a method leaves a saddle.
//!
//! Plain gradient descent started exactly at a saddle never moves (∇f = 0), and started near
//! one it leaves only as fast as the tiny component along the negative-curvature direction
//! grows. **Perturbed gradient descent** (PGD; Jin, Ge, Netrapalli, Kakade & Jordan 2017) adds
//! a small random kick whenever the gradient is small and no kick was given recently; a kick
//! at a saddle has a component along the escape direction with probability 1, and gradient
//! descent then amplifies it by (1 + η|λ₋|) per step. If f has not fallen by `f_thres` within
//! `t_thres` steps of the kick, the point is (with high probability) an approximate local
//! minimum.
//!
//! ```text
//! t_noise ← −t_thres − 1
//! for t = 0, 1, …:
//!     if ‖∇f(xₜ)‖ ≤ g_thres and t − t_noise > t_thres:        (Alg. 2, line 3)
//!         x̃ ← xₜ,  t_noise ← t
//!         xₜ ← x̃ + ξₜ,  ξₜ uniform in the ball B₀(r)          (Alg. 2, line 4)
//!     if t − t_noise = t_thres and f(xₜ) − f(x̃) > −f_thres:    (Alg. 3, line 8)
//!         x̃ is certified: stop perturbing, let the driver converge
//!     xₜ₊₁ ← xₜ − η∇f(xₜ)                                       (Alg. 2, line 5)
//! ```
//!
//! | symbol | field | meaning | paper (Alg. 3) | default ([`PerturbedGradientDescent::new`]) |
//! |---|---|---|---|---|
//! | η | `learning_rate` | gradient step | c/ℓ | given |
//! | g_thres | `gradient_threshold` | "small gradient": kick | √c·ε/χ² | ε = 10⁻³ |
//! | r | `radius` | radius of the kick's ball | √c·ε/(χ²ℓ) | ε·η |
//! | t_thres | `wait` | steps between kicks, and to judge one | χℓ/(c²√(ρε)) | ⌈1/(η√ε)⌉ |
//! | f_thres | `decrease` | fall in f that proves an escape | (c/χ³)·√(ε³/ρ) | ε^{3/2} |
//! | | `seed` | seeds the kicks | | 0 |
//!
//! with ℓ the gradient's Lipschitz constant, ρ the Hessian's, ε the target (an ε-second-order
//! stationary point: ‖∇f‖ ≤ ε, λ_min(∇²f) ≥ −√(ρε)), c ≤ c_max an absolute constant,
//! δ the failure probability, Δf ≥ f(x₀) − f* and χ = 3·max(ln(dℓΔf/(cε²δ)), 4).
//! [`PerturbedGradientDescent::paper`] computes exactly these. **The defaults** are the same
//! formulas with the proof's constants set to c = χ = 1, ρ = 1 and ℓ = 1/η: χ is a union-bound
//! artefact (≥ 12) that makes r and f_thres 10³–10⁵ times smaller and t_thres 12 times longer
//! than they need to be in practice; ε = 10⁻³ is the gradient scale below which a point counts
//! as stationary, comfortably above the driver's default `gtol` = 10⁻⁶.
//!
//! **Deviations from the paper.** (1) Algorithm 3 *returns* x̃ when a kick fails to lower f by
//! f_thres. Here the run goes on with plain gradient steps and the driver's own rules end it
//! (usually `gtol`, since the certified point is an approximate minimum); the certificate is
//! what [`Method::may_converge`] reports: until a kick has failed, no convergence test may end
//! the run. This is what lets a run started *exactly* at a saddle (where ‖∇f(x₀)‖ = 0 ≤ `gtol`)
//! perturb instead of reporting convergence at iteration 0. (2) After the certificate the
//! method stops perturbing (the paper stops altogether). (3) The kicked point's gradient is
//! evaluated inside the same iteration as the step from it, so an iteration with a kick costs
//! two gradient evaluations; the driver sees only xₜ₊₁.
//!
//! The ball sample is ξ = r·u^{1/n}·z/‖z‖ with z standard normal and u uniform in (0, 1)
//! (`rand_chacha::ChaCha8Rng::seed_from_u64(seed)`): the same seed, the same run.
//!
//! [`escape_iterations`] measures how many iterations a method needs to leave a saddle's
//! neighbourhood — the yardstick of the claim that heavy-ball momentum escapes faster than
//! plain gradient descent (along the escape direction, gradient descent grows by 1 + ηγ per
//! step, heavy ball with momentum β by the larger root of z² − (1 + β + ηγ)z + β = 0: 1.2
//! against 1.5 at η = 0.1, γ = 2, β = 0.9; over 20 seeded starts 10⁻⁶ from the saddle of
//! x² − y² + y⁴/4 the medians to reach a distance of 0.5 are 75 and 35 iterations).
//!
//! Reference: C. Jin, R. Ge, P. Netrapalli, S. M. Kakade, M. I. Jordan (2017), *How to escape
//! saddle points efficiently*, ICML, Algorithms 2 and 3 and Theorem 3.
//!
//! # Example
//! ```
//! use descent::landscape::PerturbedGradientDescent;
//! use descent::{minimize, AutoDiff, DualFunction, Options, Status};
//! use descent::num_dual::DualNum;
//!
//! /// x² − y² + y⁴/4: a saddle at 0, minima −1 at (0, ±√2).
//! struct Seat;
//! impl DualFunction for Seat {
//!     fn dim(&self) -> usize { 2 }
//!     fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
//!         let y2 = x[1] * x[1];
//!         x[0] * x[0] - y2 + y2 * y2 * 0.25
//!     }
//! }
//! let f = AutoDiff::new(Seat);
//! let report = minimize(&f, &[0.0, 0.0], PerturbedGradientDescent::new(0.1)?, &Options::default())?;
//! assert!(report.status.is_converged());
//! assert!((report.value + 1.0).abs() < 1e-9 && (report.x[1].abs() - 2f64.sqrt()).abs() < 1e-5);
//! # Ok::<(), descent::Error>(())
//! ```

use std::ops::ControlFlow;

use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;

use super::jiggle::unit_direction;
use crate::driver::{Counted, Iterate, Method, StepOutcome};
use crate::error::{at_least_one, positive};
use crate::kernels::norm;
use crate::{Error, Objective, Options, Progress, Result, Status, minimize_observed};

/// Perturbed gradient descent (see the [module docs](self)).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PerturbedGradientDescent {
    /// η: the gradient step. Positive and finite.
    pub learning_rate: f64,
    /// g_thres: a gradient at most this long is "small" and may be kicked. Positive.
    pub gradient_threshold: f64,
    /// r: radius of the ball the kick is drawn from. Positive.
    pub radius: f64,
    /// t_thres: steps after a kick before the next one, and before the kick is judged. ≥ 1.
    pub wait: usize,
    /// f_thres: how much f must fall within `wait` steps of a kick to count as an escape.
    /// Positive.
    pub decrease: f64,
    /// Seeds the kicks.
    pub seed: u64,
}

/// The target ε behind [`PerturbedGradientDescent::new`]'s defaults.
pub const DEFAULT_EPSILON: f64 = 1e-3;

impl PerturbedGradientDescent {
    /// PGD with step η and the practical defaults of the module docs (ε = 10⁻³, c = χ = ρ = 1,
    /// ℓ = 1/η): g_thres = ε, r = εη, t_thres = ⌈1/(η√ε)⌉, f_thres = ε^{3/2}, seed 0.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless η is positive and finite.
    pub fn new(learning_rate: f64) -> Result<Self> {
        positive("learning_rate", learning_rate)?;
        let epsilon = DEFAULT_EPSILON;
        let wait = (1.0 / (learning_rate * epsilon.sqrt())).ceil().clamp(1.0, 1e9) as usize;
        Ok(Self {
            learning_rate,
            gradient_threshold: epsilon,
            radius: epsilon * learning_rate,
            wait,
            decrease: epsilon.powf(1.5),
            seed: 0,
        })
    }

    /// The parameters of Jin et al. (2017), Algorithm 3, exactly: ℓ-gradient-Lipschitz and
    /// ρ-Hessian-Lipschitz f in `dim` variables, target ε, constant c, failure probability δ,
    /// Δf ≥ f(x₀) − f*. χ = 3·max(ln(dℓΔf/(cε²δ)), 4), η = c/ℓ, r = √c·ε/(χ²ℓ),
    /// g_thres = √c·ε/χ², f_thres = (c/χ³)·√(ε³/ρ), t_thres = ⌈χℓ/(c²√(ρε))⌉.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] unless ℓ, ρ, ε, c, Δf are positive and finite, δ lies in
    /// (0, 1) and `dim` ≥ 1.
    pub fn paper(
        ell: f64,
        rho: f64,
        epsilon: f64,
        c: f64,
        delta: f64,
        delta_f: f64,
        dim: usize,
    ) -> Result<Self> {
        for (name, value) in
            [("ell", ell), ("rho", rho), ("epsilon", epsilon), ("c", c), ("delta_f", delta_f)]
        {
            positive(name, value)?;
        }
        crate::error::in_unit_interval("delta", delta)?;
        at_least_one("dim", dim)?;
        let d = dim as f64;
        let chi = 3.0 * (d * ell * delta_f / (c * epsilon * epsilon * delta)).ln().max(4.0);
        let wait = (chi * ell / (c * c * (rho * epsilon).sqrt())).ceil().clamp(1.0, 1e15);
        Ok(Self {
            learning_rate: c / ell,
            gradient_threshold: c.sqrt() * epsilon / (chi * chi),
            radius: c.sqrt() * epsilon / (chi * chi * ell),
            wait: wait as usize,
            decrease: c / chi.powi(3) * (epsilon.powi(3) / rho).sqrt(),
            seed: 0,
        })
    }

    /// The same method with another seed.
    #[must_use]
    pub fn with_seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] naming the first field out of range.
    pub fn validate(&self) -> Result<()> {
        positive("learning_rate", self.learning_rate)?;
        positive("gradient_threshold", self.gradient_threshold)?;
        positive("radius", self.radius)?;
        at_least_one("wait", self.wait)?;
        positive("decrease", self.decrease)?;
        Ok(())
    }
}

/// The memory of a [`PerturbedGradientDescent`] run.
#[derive(Debug, Clone)]
pub struct PerturbedState {
    rng: ChaCha8Rng,
    /// t: iterations taken.
    t: usize,
    /// t_noise: the iteration of the last kick.
    last_kick: Option<usize>,
    /// f(x̃) at the last kick.
    anchor_value: f64,
    /// A kick has failed to lower f by f_thres: x̃ is an approximate local minimum.
    certified: bool,
    /// How many kicks so far.
    kicks: usize,
    /// x̃ + ξ and its gradient.
    kicked: Iterate,
}

impl PerturbedState {
    /// How many kicks the run has given.
    #[must_use]
    pub fn kicks(&self) -> usize {
        self.kicks
    }

    /// Whether a kick has failed to lower f (the point is certified as a local minimum).
    #[must_use]
    pub fn certified(&self) -> bool {
        self.certified
    }
}

impl<O: Objective + ?Sized> Method<O> for PerturbedGradientDescent {
    type State = PerturbedState;

    fn init(&self, objective: &Counted<'_, O>, _start: &Iterate) -> Result<Self::State> {
        self.validate()?;
        Ok(PerturbedState {
            rng: ChaCha8Rng::seed_from_u64(self.seed),
            t: 0,
            last_kick: None,
            anchor_value: f64::NAN,
            certified: false,
            kicks: 0,
            kicked: Iterate::zeros(objective.dim()),
        })
    }

    fn step(
        &self,
        state: &mut Self::State,
        objective: &Counted<'_, O>,
        current: &Iterate,
        next: &mut Iterate,
    ) -> StepOutcome {
        let t = state.t;
        let rested = state.last_kick.is_none_or(|t_noise| t - t_noise > self.wait);
        // Alg. 2, line 3: a small gradient and no kick within the last t_thres steps.
        let from = if !state.certified && rested && norm(&current.grad) <= self.gradient_threshold {
            state.last_kick = Some(t);
            state.anchor_value = current.value;
            state.kicks += 1;
            // Alg. 2, line 4: x ← x̃ + ξ, ξ uniform in B₀(r).
            let kicked = &mut state.kicked;
            unit_direction(&mut state.rng, &mut kicked.x);
            let n = kicked.x.len() as f64;
            let length = self.radius * state.rng.random::<f64>().powf(1.0 / n);
            for (k, x) in kicked.x.iter_mut().zip(&current.x) {
                *k = x + length * *k;
            }
            kicked.value = objective.value_grad(&kicked.x, &mut kicked.grad);
            &state.kicked
        } else {
            current
        };
        // Alg. 2, line 5: xₜ₊₁ = xₜ − η∇f(xₜ).
        for ((y, x), g) in next.x.iter_mut().zip(&from.x).zip(&from.grad) {
            *y = x - self.learning_rate * g;
        }
        next.value = objective.value_grad(&next.x, &mut next.grad);
        state.t = t + 1;
        // Alg. 3, line 8: t_thres steps after the kick, f has not fallen by f_thres.
        if state.last_kick.is_some_and(|t_noise| state.t - t_noise == self.wait)
            && next.value - state.anchor_value > -self.decrease
        {
            state.certified = true;
        }
        StepOutcome::Moved
    }

    fn may_converge(&self, state: &Self::State) -> bool {
        state.certified
    }
}

/// How many iterations `method` takes from `start` until ‖x − `saddle`‖ > `radius`; `None` if
/// it has not left after `max_iter` iterations (or stopped for another reason first: converged
/// at the saddle, diverged, ...). Convergence tests are switched off (`gtol` = 0) so that a
/// run creeping away from a saddle is not stopped for its small gradient.
///
/// # Errors
/// As [`minimize`](crate::minimize); [`Error::DimensionMismatch`] if `saddle` and `start`
/// differ in length; [`Error::InvalidHyperparameter`] for a radius that is not positive.
pub fn escape_iterations<O, M>(
    objective: &O,
    saddle: &[f64],
    start: &[f64],
    method: M,
    radius: f64,
    max_iter: usize,
) -> Result<Option<usize>>
where
    O: Objective + ?Sized,
    M: Method<O>,
{
    positive("radius", radius)?;
    if saddle.len() != start.len() {
        return Err(Error::DimensionMismatch {
            what: "saddle",
            expected: start.len(),
            got: saddle.len(),
        });
    }
    let options = Options { gtol: 0.0, max_iter, ..Options::default() };
    let mut left = None;
    let mut observer = |p: &Progress<'_>| {
        let distance: f64 = p.x.iter().zip(saddle).map(|(x, s)| (x - s) * (x - s)).sum();
        if distance.sqrt() > radius {
            left = Some(p.iteration);
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let report = minimize_observed(objective, start, method, &options, &mut observer)?;
    Ok(left.filter(|_| report.status == Status::Stopped))
}

#[cfg(test)]
mod tests {
    use num_dual::DualNum;

    use super::*;
    use crate::first_order::{FirstOrder, HeavyBall};
    use crate::landscape::CriticalPoint;
    use crate::{AutoDiff, DualFunction, GradientDescent, minimize};

    /// x² − y² + y⁴/4: a saddle at 0 (Hessian diag(2, −2)), minima −1 at (0, ±√2).
    struct Seat;

    impl DualFunction for Seat {
        fn dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
            let y2 = x[1] * x[1];
            x[0] * x[0] - y2 + y2 * y2 * 0.25
        }
    }

    const SQRT2: f64 = std::f64::consts::SQRT_2;

    #[test]
    fn plain_gradient_descent_started_at_the_saddle_stays_there() {
        let f = AutoDiff::new(Seat);
        let gd = GradientDescent::new(0.1).unwrap();
        // With the default gtol it stops at once; with every test off it runs and never moves.
        let report = minimize(&f, &[0.0, 0.0], gd, &Options::default()).unwrap();
        assert_eq!((report.iterations, report.x.as_slice()), (0, &[0.0, 0.0][..]));
        assert!(report.status.is_converged());
        // ... and the report says where it stopped (honest stopping).
        let saddle = CriticalPoint::SaddlePoint { negative_directions: 1 };
        assert_eq!(report.critical_point, Some(saddle));
        let options = Options { gtol: 0.0, max_iter: 500, ..Options::default() };
        let report = minimize(&f, &[0.0, 0.0], gd, &options).unwrap();
        assert_eq!((report.status, report.x), (Status::MaxIterations, vec![0.0, 0.0]));
    }

    #[test]
    fn perturbed_gradient_descent_escapes_the_saddle_and_converges_to_a_minimum() {
        let f = AutoDiff::new(Seat);
        for seed in 0..5 {
            let pgd = PerturbedGradientDescent::new(0.1).unwrap().with_seed(seed);
            let report = minimize(&f, &[0.0, 0.0], pgd, &Options::default()).unwrap();
            assert!(report.status.is_converged(), "seed {seed}: {report:?}");
            assert!(report.x[0].abs() < 1e-6, "seed {seed}: {:?}", report.x);
            assert!((report.x[1].abs() - SQRT2).abs() < 1e-6, "seed {seed}: {:?}", report.x);
            assert!((report.value + 1.0).abs() < 1e-12);
            assert_eq!(report.critical_point, Some(CriticalPoint::Minimum));
            // It converged only after a second kick at the minimum failed to lower f: at least
            // the first wait, the escape and the second wait.
            assert!(report.iterations > 2 * pgd.wait, "{} ≤ 2·{}", report.iterations, pgd.wait);
        }
    }

    #[test]
    fn perturbed_gradient_descent_at_a_minimum_kicks_once_and_stays() {
        // At the minimum (0, √2) a kick of size r = 1e-4 is undone; the run converges there.
        let f = AutoDiff::new(Seat);
        let pgd = PerturbedGradientDescent::new(0.1).unwrap();
        let report = minimize(&f, &[0.0, SQRT2], pgd, &Options::default()).unwrap();
        assert!(report.status.is_converged());
        assert!((report.x[1] - SQRT2).abs() < 1e-6 && report.x[0].abs() < 1e-6);
        // t_thres = ⌈1/(0.1·√1e-3)⌉ = 317 steps before the kick may be judged.
        assert_eq!(pgd.wait, 317);
        assert!(report.iterations >= pgd.wait);
    }

    #[test]
    fn the_papers_parameters_follow_algorithm_3() {
        // ℓ = 2, ρ = 6, ε = 1e-2, c = 1, δ = 0.1, Δf = 1, d = 2:
        // χ = 3·max(ln(2·2·1/(1e-4·0.1)), 4) = 3·ln(4e5) = 38.7047…
        let p = PerturbedGradientDescent::paper(2.0, 6.0, 1e-2, 1.0, 0.1, 1.0, 2).unwrap();
        let chi = 3.0 * 4e5_f64.ln();
        assert!((p.learning_rate - 0.5).abs() < 1e-15);
        assert!((p.gradient_threshold - 1e-2 / (chi * chi)).abs() < 1e-18);
        assert!((p.radius - p.gradient_threshold / 2.0).abs() < 1e-18);
        assert!((p.decrease - (1e-6_f64 / 6.0).sqrt() / chi.powi(3)).abs() < 1e-20);
        assert_eq!(p.wait, (chi * 2.0 / 0.06_f64.sqrt()).ceil() as usize);
        // χ never drops below 12.
        let q = PerturbedGradientDescent::paper(1.0, 1.0, 1.0, 1.0, 0.5, 1e-3, 1).unwrap();
        assert!((q.gradient_threshold - 1.0 / 144.0).abs() < 1e-15);
    }

    #[test]
    fn invalid_settings_are_errors() {
        assert!(PerturbedGradientDescent::new(0.0).is_err());
        assert!(PerturbedGradientDescent::paper(1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1).is_err());
        let f = AutoDiff::new(Seat);
        let bad =
            PerturbedGradientDescent { wait: 0, ..PerturbedGradientDescent::new(0.1).unwrap() };
        let err = minimize(&f, &[0.0, 0.0], bad, &Options::default()).unwrap_err();
        assert!(matches!(err, Error::InvalidHyperparameter { name: "wait", .. }));
    }

    /// The seeded tiny perturbation of the saddle that both methods start from.
    fn nudge(seed: u64) -> Vec<f64> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut u = vec![0.0; 2];
        unit_direction(&mut rng, &mut u);
        u.iter().map(|u| 1e-6 * u).collect()
    }

    fn median(mut v: Vec<usize>) -> f64 {
        v.sort_unstable();
        let m = v.len() / 2;
        if v.len().is_multiple_of(2) { (v[m - 1] + v[m]) as f64 / 2.0 } else { v[m] as f64 }
    }

    #[test]
    fn heavy_ball_momentum_leaves_the_saddle_faster_than_gradient_descent_over_20_seeds() {
        // η = 0.1, γ = 2 along y: gradient descent grows the escape component by 1 + ηγ = 1.2
        // per step; heavy ball (β = 0.9) by the larger root of z² − 2.1z + 0.9, z = 1.5. From
        // |y₀| ≈ 0.7e-6 (a typical angle) to R = 0.5 that is ≈ ln(7e5)/ln(1.2) ≈ 74 against
        // ≈ ln(7e5)/ln(1.5) ≈ 33 steps, a little more where y⁴/4 flattens the slope.
        let f = AutoDiff::new(Seat);
        let (eta, beta, radius) = (0.1, 0.9, 0.5);
        let mut plain = Vec::new();
        let mut heavy = Vec::new();
        for seed in 0..20 {
            let start = nudge(seed);
            let gd = GradientDescent::new(eta).unwrap();
            let hb = FirstOrder::new(HeavyBall::new(eta, beta).rule());
            plain.push(
                escape_iterations(&f, &[0.0, 0.0], &start, gd, radius, 10_000).unwrap().unwrap(),
            );
            heavy.push(
                escape_iterations(&f, &[0.0, 0.0], &start, hb, radius, 10_000).unwrap().unwrap(),
            );
        }
        let (gd, hb) = (median(plain.clone()), median(heavy.clone()));
        eprintln!(
            "median iterations to leave ‖x‖ ≤ {radius}: gradient descent {gd}, heavy ball {hb}"
        );
        assert!(hb < gd, "heavy ball {hb} vs gradient descent {gd}");
        // The predicted counts, within a few steps of transient and of the start's angle.
        assert!((65.0..=90.0).contains(&gd), "{gd}: {plain:?}");
        assert!((28.0..=42.0).contains(&hb), "{hb}: {heavy:?}");
    }

    #[test]
    fn escape_iterations_reports_none_for_a_run_that_never_leaves() {
        let f = AutoDiff::new(Seat);
        let gd = GradientDescent::new(0.1).unwrap();
        assert_eq!(escape_iterations(&f, &[0.0, 0.0], &[0.0, 0.0], gd, 0.5, 100).unwrap(), None);
        assert!(escape_iterations(&f, &[0.0], &[0.0, 0.0], gd, 0.5, 100).is_err());
    }
}
