//! Hessian curvature at a point: eigenvalues, the index, the most negative direction, and the
//! verdict.
//!
//! [`curvature`] picks one of three methods by the Hessian's size and structure:
//!
//! | method | when | what it gives | cost |
//! |---|---|---|---|
//! | [`EigenMethod::Dense`] | n ≤ `dense_max` | every eigenvalue, the exact index, the eigenvector of λ₁ | one Hessian, O(n³) (faer's self-adjoint EVD) |
//! | [`EigenMethod::Sturm`] | n > `dense_max`, tridiagonal or diagonal Hessian | the exact index, λ₁ and λₙ by bisection, λ₁'s eigenvector by inverse iteration | one Hessian, O(n) per Sturm count |
//! | [`EigenMethod::Lanczos`] | n > `dense_max`, dense or banded Hessian | the converged extreme Ritz values, a lower bound on the index, the Ritz vector of λ₁ | m Hessian-vector products, O(m²n) for full reorthogonalisation, m·n memory |
//!
//! **The verdict.** With the eigenvalues λ₁ ≤ … ≤ λₙ (or the extremes that were found) and the
//! threshold
//!
//! τ = max(`tolerance`, n·ε)·max|λᵢ|,
//!
//! an eigenvalue is *negative* if λ < −τ and *positive* if λ > τ; anything in [−τ, τ] is zero
//! curvature to working accuracy. Then, in this order:
//!
//! 1. every eigenvalue positive → [`CriticalPoint::Minimum`];
//! 2. every eigenvalue negative → [`CriticalPoint::Maximum`];
//! 3. some eigenvalue negative → [`CriticalPoint::SaddlePoint`] with `negative_directions` = the
//!    number of negative eigenvalues (some direction of negative curvature exists, so the point
//!    is not a minimum, and that direction is an escape route: even −x² − y⁴, whose origin is a
//!    degenerate maximum, is reported as a saddle point with one negative direction, because the
//!    quadratic model cannot tell);
//! 4. otherwise (no negative eigenvalue, some zero) → [`CriticalPoint::Degenerate`]: the
//!    second-order test is inconclusive (the monkey saddle x³ − 3xy² at 0, x⁴ at 0).
//!
//! The scale max|λ| makes the test invariant to multiplying f by a constant; the n·ε floor is
//! the accuracy of a backward-stable eigensolver (faer's EVD, the Sturm count), below which a
//! sign means nothing. A zero Hessian gives τ = 0, no positive and no negative eigenvalue, and
//! so "degenerate".
//!
//! **Lanczos.** From a seeded unit vector q₁ (Gaussian entries, `ChaCha8Rng` from `seed`):
//!
//! w = H·qⱼ − βⱼ₋₁·qⱼ₋₁, αⱼ = qⱼᵀw, w ← w − αⱼ·qⱼ, then w ← w − Σᵢ (qᵢᵀw)·qᵢ twice (full
//! reorthogonalisation, "twice is enough"), βⱼ = ‖w‖, qⱼ₊₁ = w/βⱼ
//!
//! (Golub & Van Loan Alg. 10.1.1 with complete reorthogonalisation, §10.3.1). The Ritz values θ
//! are the eigenvalues of the tridiagonal Tⱼ = tridiag(β, α, β); for a Ritz pair (θ, y = Qⱼs) the
//! residual is ‖H·y − θ·y‖ = βⱼ·|sⱼ| (the last component of s; GVL Thm. 10.1.1 / Parlett §13.2),
//! computed without another product. **Convergence test:** every 10 steps (and at the end), the
//! smallest and the largest Ritz pairs are converged when both residuals are
//! ≤ `tolerance`·max(|θ₁|, |θⱼ|). Then |θ − λ| ≤ residual ≤ τ, so the signs the verdict reads
//! are right. When m steps pass without that (a clustered spectrum: the relative gap at the end
//! is tiny), the result still stands if it **proves a saddle point**: θ₁ < −τ and θₘ > τ
//! (interlacing below: then λ₁ < −τ and λₙ > τ); `smallest` and `largest` are then only
//! bounds (λ₁ ≤ θ₁, λₙ ≥ θₘ), with [`Curvature::residual`] saying how far they may be from
//! eigenvalues. A minimum or a maximum needs convergence; otherwise [`Error::CurvatureFailed`]. A breakdown βⱼ ≤ n·ε·max|θ| means the Krylov space is invariant: the Ritz values are
//! exact eigenvalues (for a random start, all the distinct ones). By Cauchy interlacing the i-th
//! smallest Ritz value is ≥ λᵢ, so the number of Ritz values below −τ is a **lower bound** on the
//! index: [`Curvature::index`] is `None` for Lanczos, and `negative_directions` counts the
//! negative Ritz values. m = min(`lanczos_steps`, n); with m = n the Ritz values are exact.
//!
//! **Sturm count.** For a symmetric tridiagonal T (diagonal a, off-diagonal b), the number of
//! eigenvalues below σ is the number of negative pivots of the LDLᵀ factorisation of T − σI
//! (Sylvester's law of inertia):
//!
//! d₁ = a₁ − σ, dᵢ = (aᵢ − σ) − bᵢ₋₁²/dᵢ₋₁,
//!
//! with the usual guard: a pivot with |dᵢ| ≤ pivmin is replaced by −pivmin (LAPACK `dlaebz`),
//! pivmin = `f64::MIN_POSITIVE`·max(1, maxᵢ bᵢ²), so no division by zero or overflow. O(n), no
//! allocation. Bisection on the count, inside the Gershgorin interval, gives λ₁ and λₙ to
//! 4ε·max|λ| (about 60 counts each). Kahan's analysis makes the count exact for a matrix within
//! a few ε·‖T‖ of T (Demmel §5.3.4).
//!
//! **Defaults** ([`CurvatureOptions::default`]): `dense_max` = 1000 (faer's EVD with
//! eigenvectors takes well under a second at n = 1000 on one core); `lanczos_steps` = 300
//! (extreme eigenvalues separated by a relative gap γ converge like e^(−4m√γ): 300 steps reach
//! 10⁻⁸ for γ ≳ 10⁻³; memory 300·n doubles, 24 MB at n = 10⁴); `tolerance` = 1e-8; `seed` = 0.
//!
//! **Deviations.** scipy and the other peers classify nothing. LAPACK's `dstebz` bisects to an
//! absolute tolerance; we bisect until the interval stops shrinking in floating point.
//!
//! References: G. H. Golub and C. F. Van Loan (2013), *Matrix Computations*, 4th ed., §8.4
//! (Sturm sequences, bisection), §10.1 (Lanczos, Alg. 10.1.1), §10.3 (reorthogonalisation);
//! B. N. Parlett (1998), *The Symmetric Eigenvalue Problem*, §7.2 (inertia), §13.2 (residual
//! bounds); J. W. Demmel (1997), *Applied Numerical Linear Algebra*, §5.3.4 (bisection);
//! J. Nocedal and S. J. Wright (2006), *Numerical Optimization*, 2nd ed., Thms. 2.3–2.4
//! (second-order conditions).
//!
//! # Example
//! ```
//! use descent::landscape::{CriticalPoint, curvature::{curvature, CurvatureOptions}};
//! use descent::problems::Saddle;
//!
//! let c = curvature(&Saddle::new(), &[0.0, 0.0], &CurvatureOptions::default())?;
//! assert_eq!(c.verdict, CriticalPoint::SaddlePoint { negative_directions: 1 });
//! assert_eq!(c.eigenvalues, [-2.0, 2.0]);
//! assert_eq!(c.index, Some(1));
//! let v = c.most_negative.unwrap(); // ±(0, 1)
//! assert!((v[1].abs() - 1.0).abs() < 1e-12);
//! # Ok::<(), descent::Error>(())
//! ```

use faer::{Mat, Side};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::CriticalPoint;
use crate::{Error, Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Result};

/// How [`curvature`] works; see the [module docs](self) for the defaults and why.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvatureOptions {
    /// Largest n for the dense eigendecomposition (default 1000). 0 forces Sturm (tridiagonal or
    /// diagonal Hessians) or Lanczos (any other) at every size.
    pub dense_max: usize,
    /// Most Lanczos steps m (default 300); at least 1. m = n makes the Ritz values exact.
    pub lanczos_steps: usize,
    /// Relative threshold of the verdict, τ = max(`tolerance`, n·ε)·max|λ| (default 1e-8), and
    /// of the Lanczos residual test. Zero or positive, finite.
    pub tolerance: f64,
    /// Seed of the Lanczos start vector (and of the Sturm inverse iteration's) (default 0).
    pub seed: u64,
}

impl Default for CurvatureOptions {
    fn default() -> Self {
        Self { dense_max: 1000, lanczos_steps: 300, tolerance: 1e-8, seed: 0 }
    }
}

impl CurvatureOptions {
    /// Checks every field.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] for `lanczos_steps` = 0 or a negative or non-finite
    /// `tolerance`.
    pub fn validate(&self) -> Result<()> {
        crate::error::at_least_one("lanczos_steps", self.lanczos_steps)?;
        crate::error::tolerance("tolerance", self.tolerance)?;
        Ok(())
    }
}

/// Which eigensolver [`curvature`] used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EigenMethod {
    /// faer's self-adjoint eigendecomposition of the assembled Hessian: every eigenvalue.
    Dense,
    /// Lanczos with full reorthogonalisation on Hessian-vector products: the extreme ones.
    Lanczos,
    /// Sturm-sequence counts and bisection on a tridiagonal (or diagonal) Hessian.
    Sturm,
}

/// The curvature at a point: what [`curvature`] returns.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Curvature {
    /// Minimum, maximum, saddle point (with its number of negative directions) or degenerate.
    pub verdict: CriticalPoint,
    /// Ascending: all n eigenvalues (dense); the extreme Ritz values and every other converged one
    /// (Lanczos); λ₁ and λₙ (Sturm).
    pub eigenvalues: Vec<f64>,
    /// The number of eigenvalues below −τ when it is known exactly (dense, Sturm); `None` from
    /// Lanczos, whose count of negative Ritz values is only a lower bound.
    pub index: Option<usize>,
    /// λ₁, the smallest eigenvalue (Lanczos: the smallest Ritz value, converged).
    pub smallest: f64,
    /// λₙ, the largest eigenvalue (Lanczos: the largest Ritz value, converged).
    pub largest: f64,
    /// A unit eigenvector (Lanczos: Ritz vector) of λ₁ when λ₁ < −τ: the most negative
    /// direction, the one to escape a saddle along. Its sign is arbitrary.
    pub most_negative: Option<Vec<f64>>,
    /// The eigensolver that ran.
    pub method: EigenMethod,
    /// The threshold τ the verdict used.
    pub threshold: f64,
    /// Hessian evaluations spent: 1 for dense and Sturm, the number of Hessian-vector products
    /// for Lanczos.
    pub hessian_evaluations: usize,
    /// Lanczos: the larger residual ‖H·y − θ·y‖ of the two extreme Ritz pairs, a bound on how far
    /// `smallest` and `largest` may lie from eigenvalues; ≤ `tolerance`·max|θ| when converged.
    /// 0 for dense and Sturm.
    pub residual: f64,
}

/// Classifies the critical point x of `f` by the eigenvalues of ∇²f(x) (see the
/// [module docs](self) for the methods, the threshold and the rules). It does not check that
/// ∇f(x) = 0: the verdict describes the curvature at x.
///
/// # Errors
/// [`Error::DimensionMismatch`] if `x` does not have f's dimension;
/// [`Error::InvalidHyperparameter`] for invalid `options`; [`Error::NonFiniteInput`] for NaN/∞
/// in `x`; [`Error::CurvatureFailed`] if the Hessian (or a Hessian-vector product) is not
/// finite, the dense eigensolver did not converge, or Lanczos did not converge within
/// `lanczos_steps`.
pub fn curvature<O: Hessian + HessianVectorProduct + ?Sized>(
    f: &O,
    x: &[f64],
    options: &CurvatureOptions,
) -> Result<Curvature> {
    options.validate()?;
    let n = f.dim();
    if x.len() != n {
        return Err(Error::DimensionMismatch { what: "x", expected: n, got: x.len() });
    }
    if let Some((index, &value)) = x.iter().enumerate().find(|(_, v)| !v.is_finite()) {
        return Err(Error::NonFiniteInput { index, value });
    }
    if n == 0 {
        return Err(Error::DimensionMismatch { what: "x", expected: 1, got: 0 });
    }
    let structure = f.hessian_structure();
    if n <= options.dense_max {
        let mut h = HessianMatrix::zeros(structure, n);
        f.hessian(x, &mut h);
        dense(&h, options)
    } else if matches!(structure, HessianStructure::Tridiagonal | HessianStructure::Diagonal) {
        let mut h = HessianMatrix::zeros(structure, n);
        f.hessian(x, &mut h);
        let (diag, off) = match h {
            HessianMatrix::Tridiagonal { diag, off } => (diag, off),
            HessianMatrix::Diagonal(diag) => (diag, vec![0.0; n - 1]),
            _ => unreachable!("the structure was checked above"),
        };
        sturm(&diag, &off, options)
    } else {
        lanczos(|v, hv| f.hessian_vector_product(x, v, hv), n, options)
    }
}

/// The threshold τ = max(tolerance, n·ε)·scale.
fn threshold(tolerance: f64, n: usize, scale: f64) -> f64 {
    tolerance.max(n as f64 * f64::EPSILON) * scale
}

/// The verdict from the counts of negative and positive eigenvalues among n (rules 1–4).
fn verdict(negative: usize, positive: usize, n: usize) -> CriticalPoint {
    if positive == n {
        CriticalPoint::Minimum
    } else if negative == n {
        CriticalPoint::Maximum
    } else if negative > 0 {
        CriticalPoint::SaddlePoint { negative_directions: negative }
    } else {
        CriticalPoint::Degenerate
    }
}

fn failed(method: &'static str, reason: &'static str) -> Error {
    Error::CurvatureFailed { method, reason }
}

/// Every eigenvalue of an assembled Hessian by faer's self-adjoint EVD.
fn dense(h: &HessianMatrix, options: &CurvatureOptions) -> Result<Curvature> {
    let n = h.dim();
    let mut a = Mat::<f64>::zeros(n, n);
    let mut finite = true;
    for i in 0..n {
        for j in 0..n {
            let v = h.get(i, j);
            finite &= v.is_finite();
            a[(i, j)] = v;
        }
    }
    if !finite {
        return Err(failed("dense", "the Hessian is not finite"));
    }
    let evd = a
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| failed("dense", "the eigensolver did not converge"))?;
    let s = evd.S().column_vector();
    let eigenvalues: Vec<f64> = (0..n).map(|i| s[i]).collect();
    let (smallest, largest) = (eigenvalues[0], eigenvalues[n - 1]);
    let tau = threshold(options.tolerance, n, smallest.abs().max(largest.abs()));
    let negative = eigenvalues.iter().filter(|&&l| l < -tau).count();
    let positive = eigenvalues.iter().filter(|&&l| l > tau).count();
    let most_negative = (negative > 0).then(|| {
        let u = evd.U();
        (0..n).map(|i| u[(i, 0)]).collect()
    });
    Ok(Curvature {
        verdict: verdict(negative, positive, n),
        eigenvalues,
        index: Some(negative),
        smallest,
        largest,
        most_negative,
        method: EigenMethod::Dense,
        threshold: tau,
        hessian_evaluations: 1,
        residual: 0.0,
    })
}

/// The number of eigenvalues of the symmetric tridiagonal (a, b) that are below σ: the negative
/// pivots of LDLᵀ(T − σI), with LAPACK's pivmin guard (module docs). O(n), no allocation.
/// An eigenvalue exactly at σ (a zero pivot) is counted as below σ, as LAPACK's `dlaebz` does.
///
/// `off` has length `diag.len() − 1` (or 0 when `diag` is empty).
#[must_use]
pub fn sturm_count(diag: &[f64], off: &[f64], sigma: f64) -> usize {
    let pivmin = f64::MIN_POSITIVE * off.iter().fold(1.0_f64, |m, b| m.max(b * b));
    sturm_count_with(diag, off, sigma, pivmin)
}

fn sturm_count_with(diag: &[f64], off: &[f64], sigma: f64, pivmin: f64) -> usize {
    let Some((&a0, rest)) = diag.split_first() else { return 0 };
    let guard = |d: f64| if d.abs() <= pivmin { -pivmin } else { d };
    let mut d = guard(a0 - sigma);
    let mut count = usize::from(d < 0.0);
    for (&a, &b) in rest.iter().zip(off) {
        // GVL (8.4.2): dᵢ = (aᵢ − σ) − bᵢ₋₁²/dᵢ₋₁.
        d = guard((a - sigma) - b * b / d);
        count += usize::from(d < 0.0);
    }
    count
}

/// The k-th smallest eigenvalue (k counted from 1) by bisection on the Sturm count inside
/// [lo, hi], until the interval stops shrinking.
fn bisect(diag: &[f64], off: &[f64], pivmin: f64, k: usize, mut lo: f64, mut hi: f64) -> f64 {
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if !(mid > lo && mid < hi) {
            break;
        }
        if sturm_count_with(diag, off, mid, pivmin) >= k {
            hi = mid;
        } else {
            lo = mid;
        }
    }
    0.5 * (lo + hi)
}

/// The index and extremes of a tridiagonal Hessian: Sturm counts, bisection, inverse iteration.
fn sturm(diag: &[f64], off: &[f64], options: &CurvatureOptions) -> Result<Curvature> {
    let n = diag.len();
    if !diag.iter().chain(off).all(|v| v.is_finite()) {
        return Err(failed("sturm", "the Hessian is not finite"));
    }
    let pivmin = f64::MIN_POSITIVE * off.iter().fold(1.0_f64, |m, b| m.max(b * b));
    // Gershgorin: every eigenvalue lies in [aᵢ − rᵢ, aᵢ + rᵢ] for some i.
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for i in 0..n {
        let r = if i > 0 { off[i - 1].abs() } else { 0.0 } + off.get(i).map_or(0.0, |b| b.abs());
        lo = lo.min(diag[i] - r);
        hi = hi.max(diag[i] + r);
    }
    let pad = f64::EPSILON * lo.abs().max(hi.abs()) * 4.0 + pivmin;
    let (lo, hi) = (lo - pad, hi + pad);
    let smallest = bisect(diag, off, pivmin, 1, lo, hi);
    let largest = bisect(diag, off, pivmin, n, lo, hi);
    let tau = threshold(options.tolerance, n, smallest.abs().max(largest.abs()));
    let negative = sturm_count_with(diag, off, -tau, pivmin);
    let positive = n - sturm_count_with(diag, off, tau, pivmin);
    let verdict = if tau == 0.0 { verdict(0, 0, n) } else { verdict(negative, positive, n) };
    let most_negative =
        (negative > 0).then(|| inverse_iteration(diag, off, smallest, largest, options.seed));
    Ok(Curvature {
        verdict,
        eigenvalues: if n == 1 { vec![smallest] } else { vec![smallest, largest] },
        index: Some(if tau == 0.0 { 0 } else { negative }),
        smallest,
        largest,
        most_negative,
        method: EigenMethod::Sturm,
        threshold: tau,
        hessian_evaluations: 1,
        residual: 0.0,
    })
}

/// A unit eigenvector of λ₁ of the tridiagonal (a, b): three steps of inverse iteration with
/// μ just below λ₁, so that T − μI is positive definite and its LDLᵀ needs no pivoting.
/// In a cluster of eigenvalues it returns a vector of the cluster, which is all an escape needs.
fn inverse_iteration(
    diag: &[f64],
    off: &[f64],
    smallest: f64,
    largest: f64,
    seed: u64,
) -> Vec<f64> {
    let n = diag.len();
    let spread = (largest - smallest).abs().max(smallest.abs()).max(f64::MIN_POSITIVE);
    let mu = smallest - 1e-10 * spread;
    // LDLᵀ of T − μI: d pivots, l multipliers.
    let mut d = vec![0.0; n];
    let mut l = vec![0.0; n.saturating_sub(1)];
    d[0] = diag[0] - mu;
    for i in 1..n {
        l[i - 1] = off[i - 1] / d[i - 1];
        d[i] = (diag[i] - mu) - l[i - 1] * off[i - 1];
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut y: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
    for _ in 0..3 {
        for i in 1..n {
            y[i] -= l[i - 1] * y[i - 1];
        }
        for i in 0..n {
            y[i] /= d[i];
        }
        for i in (0..n - 1).rev() {
            y[i] -= l[i] * y[i + 1];
        }
        let norm = y.iter().map(|v| v * v).sum::<f64>().sqrt();
        for v in &mut y {
            *v /= norm;
        }
    }
    y
}

/// The extreme eigenpairs of the operator `hvp` by Lanczos with full reorthogonalisation
/// (module docs). Public for operators that are not objectives (and for the benchmarks).
///
/// # Errors
/// [`Error::InvalidHyperparameter`] for invalid `options`; [`Error::CurvatureFailed`] if a
/// product is not finite or the extremes did not converge within `lanczos_steps` (n > steps).
pub fn lanczos(
    mut hvp: impl FnMut(&[f64], &mut [f64]),
    n: usize,
    options: &CurvatureOptions,
) -> Result<Curvature> {
    options.validate()?;
    let m = options.lanczos_steps.min(n);
    let mut q = vec![0.0; m * n];
    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
    for v in &mut q[..n] {
        *v = rng.sample(StandardNormal);
    }
    let norm0 = dot(&q[..n], &q[..n]).sqrt();
    scale(&mut q[..n], 1.0 / norm0);
    let (mut alpha, mut beta) = (Vec::with_capacity(m), Vec::<f64>::with_capacity(m));
    let mut w = vec![0.0; n];
    let mut evaluations = 0;
    let mut j = 0;
    loop {
        let (done, rest) = q.split_at_mut((j + 1) * n);
        let qj = &done[j * n..];
        // GVL Alg. 10.1.1: w = H·qⱼ − βⱼ₋₁·qⱼ₋₁, αⱼ = qⱼᵀw, w ← w − αⱼ·qⱼ.
        hvp(qj, &mut w);
        evaluations += 1;
        if !w.iter().all(|v| v.is_finite()) {
            return Err(failed("lanczos", "a Hessian-vector product is not finite"));
        }
        if j > 0 {
            axpy(-beta[j - 1], &done[(j - 1) * n..j * n], &mut w);
        }
        let a = dot(qj, &w);
        axpy(-a, qj, &mut w);
        alpha.push(a);
        // §10.3.1: complete reorthogonalisation, twice.
        for _ in 0..2 {
            for i in 0..=j {
                let qi = &done[i * n..(i + 1) * n];
                axpy(-dot(qi, &w), qi, &mut w);
            }
        }
        let b = dot(&w, &w).sqrt();
        let steps = j + 1;
        let scale_t = alpha.iter().chain(&beta).fold(0.0_f64, |s, v| s.max(v.abs()));
        let breakdown = b <= n as f64 * f64::EPSILON * scale_t.max(f64::MIN_POSITIVE);
        let last = steps == m || breakdown;
        if last || steps % 10 == 0 {
            let (theta, s) = tridiagonal_eigen(&alpha, &beta)?;
            let big = theta[0].abs().max(theta[steps - 1].abs());
            let tol = options.tolerance * big;
            // Residual of Ritz pair i: βⱼ·|s_{j,i}| (GVL Thm. 10.1.1).
            let residual = |i: usize| if breakdown { 0.0 } else { b * s[(steps - 1, i)].abs() };
            let converged = residual(0) <= tol && residual(steps - 1) <= tol;
            if converged || (last && signs_decided(&theta, n, options)) {
                let q = &done[..steps * n];
                return Ok(lanczos_result(&theta, &s, q, n, options, evaluations, &residual));
            }
            if last {
                return Err(failed(
                    "lanczos",
                    "within lanczos_steps the extreme Ritz values neither converged nor proved \
                     a saddle point",
                ));
            }
        }
        beta.push(b);
        scale(&mut w, 1.0 / b);
        rest[..n].copy_from_slice(&w);
        j += 1;
    }
}

/// Whether the extreme Ritz values, though not converged, prove a saddle point: θ₁ ≥ λ₁ and
/// θₘ ≤ λₙ (interlacing), so θ₁ < −τ < τ < θₘ means λ₁ < −τ and λₙ > τ. Nothing short of
/// convergence proves a minimum or a maximum.
fn signs_decided(theta: &[f64], n: usize, options: &CurvatureOptions) -> bool {
    let (low, high) = (theta[0], theta[theta.len() - 1]);
    let tau = threshold(options.tolerance, n, low.abs().max(high.abs()));
    low < -tau && high > tau
}

fn lanczos_result(
    theta: &[f64],
    s: &Mat<f64>,
    q: &[f64],
    n: usize,
    options: &CurvatureOptions,
    evaluations: usize,
    residual: &dyn Fn(usize) -> f64,
) -> Curvature {
    let steps = theta.len();
    let (smallest, largest) = (theta[0], theta[steps - 1]);
    let big = smallest.abs().max(largest.abs());
    let tau = threshold(options.tolerance, n, big);
    let last = steps - 1;
    let eigenvalues: Vec<f64> = (0..steps)
        .filter(|&i| i == 0 || i == last || residual(i) <= options.tolerance * big)
        .map(|i| theta[i])
        .collect();
    // Interlacing: each Ritz value below −τ proves one eigenvalue below −τ.
    let negative = theta.iter().filter(|&&t| t < -tau).count();
    let verdict = if smallest > tau {
        CriticalPoint::Minimum
    } else if largest < -tau {
        CriticalPoint::Maximum
    } else if negative > 0 {
        CriticalPoint::SaddlePoint { negative_directions: negative }
    } else {
        CriticalPoint::Degenerate
    };
    let most_negative = (negative > 0).then(|| {
        // The Ritz vector y = Q·s₁.
        let mut y = vec![0.0; n];
        for k in 0..steps {
            axpy(s[(k, 0)], &q[k * n..(k + 1) * n], &mut y);
        }
        let norm = dot(&y, &y).sqrt();
        scale(&mut y, 1.0 / norm);
        y
    });
    Curvature {
        verdict,
        eigenvalues,
        index: None,
        smallest,
        largest,
        most_negative,
        method: EigenMethod::Lanczos,
        threshold: tau,
        hessian_evaluations: evaluations,
        residual: residual(0).max(residual(last)),
    }
}

/// Eigenvalues (ascending) and eigenvectors (columns) of tridiag(β, α, β), by faer.
fn tridiagonal_eigen(alpha: &[f64], beta: &[f64]) -> Result<(Vec<f64>, Mat<f64>)> {
    let k = alpha.len();
    let t = Mat::<f64>::from_fn(k, k, |i, j| {
        if i == j {
            alpha[i]
        } else if i.abs_diff(j) == 1 {
            beta[i.min(j)]
        } else {
            0.0
        }
    });
    let evd = t
        .self_adjoint_eigen(Side::Lower)
        .map_err(|_| failed("lanczos", "the eigensolver of the tridiagonal did not converge"))?;
    let s = evd.S().column_vector();
    Ok(((0..k).map(|i| s[i]).collect(), evd.U().to_owned()))
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(a, b)| a * b).sum()
}

fn axpy(a: f64, x: &[f64], y: &mut [f64]) {
    for (y, x) in y.iter_mut().zip(x) {
        *y += a * x;
    }
}

fn scale(x: &mut [f64], a: f64) {
    for v in x {
        *v *= a;
    }
}

#[cfg(test)]
mod tests {
    use num_dual::DualNum;

    use super::*;
    use crate::problems::{Himmelblau, MonkeySaddle, Rosenbrock, Saddle};
    use crate::{AutoDiff, DualFunction, Objective};

    /// a·x² + b·y², dense Hessian diag(2a, 2b) by dual numbers.
    struct Bowl(f64, f64);
    impl DualFunction for Bowl {
        fn dim(&self) -> usize {
            2
        }
        fn eval<D: DualNum<Primitive = f64> + Copy>(&self, x: &[D]) -> D {
            x[0] * x[0] * self.0 + x[1] * x[1] * self.1
        }
    }

    fn classify<O: Hessian + HessianVectorProduct + ?Sized>(f: &O, x: &[f64]) -> Curvature {
        curvature(f, x, &CurvatureOptions::default()).unwrap()
    }

    #[test]
    fn the_saddle_x2_minus_y2_has_eigenvalues_minus_two_and_two() {
        let c = classify(&Saddle::new(), &[0.0, 0.0]);
        assert_eq!(c.verdict, CriticalPoint::SaddlePoint { negative_directions: 1 });
        assert_eq!(c.eigenvalues, [-2.0, 2.0]);
        assert_eq!((c.index, c.smallest, c.largest), (Some(1), -2.0, 2.0));
        assert_eq!(c.method, EigenMethod::Dense);
        let v = c.most_negative.unwrap();
        assert!(v[0].abs() < 1e-15 && (v[1].abs() - 1.0).abs() < 1e-15, "{v:?}");
        // The same through Sturm (diagonal structure) and Lanczos (dense, by dual numbers).
        let forced = CurvatureOptions { dense_max: 0, ..CurvatureOptions::default() };
        let sturm = curvature(&Saddle::new(), &[0.0, 0.0], &forced).unwrap();
        assert_eq!(sturm.method, EigenMethod::Sturm);
        assert_eq!(sturm.verdict, c.verdict);
        assert_eq!(sturm.index, Some(1));
        assert!((sturm.smallest + 2.0).abs() < 1e-14 && (sturm.largest - 2.0).abs() < 1e-14);
        let autodiff = AutoDiff::new(Bowl(1.0, -1.0));
        let lanczos = curvature(&autodiff, &[0.0, 0.0], &forced).unwrap();
        assert_eq!(lanczos.method, EigenMethod::Lanczos);
        assert_eq!(lanczos.verdict, c.verdict);
        assert!((lanczos.smallest + 2.0).abs() < 1e-13 && (lanczos.largest - 2.0).abs() < 1e-13);
        let v = lanczos.most_negative.unwrap();
        assert!((v[1].abs() - 1.0).abs() < 1e-12, "{v:?}");
    }

    #[test]
    fn a_bowl_is_a_minimum_and_a_dome_a_maximum() {
        let bowl = classify(&AutoDiff::new(Bowl(1.0, 1.0)), &[0.0, 0.0]);
        assert_eq!(bowl.verdict, CriticalPoint::Minimum);
        assert_eq!((bowl.eigenvalues.as_slice(), bowl.index), ([2.0, 2.0].as_slice(), Some(0)));
        assert!(bowl.most_negative.is_none());
        let dome = classify(&AutoDiff::new(Bowl(-1.0, -1.0)), &[0.0, 0.0]);
        assert_eq!(dome.verdict, CriticalPoint::Maximum);
        assert_eq!((dome.eigenvalues.as_slice(), dome.index), ([-2.0, -2.0].as_slice(), Some(2)));
        // Scale invariance: the verdict of 1e-12·(x² + y²) is the same.
        let tiny = classify(&AutoDiff::new(Bowl(1e-12, 1e-12)), &[0.0, 0.0]);
        assert_eq!(tiny.verdict, CriticalPoint::Minimum);
        // Flat in one direction, curved in the other: degenerate.
        let trough = classify(&AutoDiff::new(Bowl(1.0, 0.0)), &[0.0, 0.0]);
        assert_eq!(trough.verdict, CriticalPoint::Degenerate);
    }

    #[test]
    fn the_monkey_saddle_at_the_origin_is_degenerate() {
        let c = classify(&MonkeySaddle::new(), &[0.0, 0.0]);
        assert_eq!(c.verdict, CriticalPoint::Degenerate);
        assert_eq!((c.eigenvalues.as_slice(), c.index), ([0.0, 0.0].as_slice(), Some(0)));
        assert_eq!(c.threshold, 0.0);
        // Off the origin the Hessian [[6x, −6y], [−6y, −6x]] has eigenvalues ±6‖(x, y)‖.
        let c = classify(&MonkeySaddle::new(), &[0.3, 0.4]);
        assert_eq!(c.verdict, CriticalPoint::SaddlePoint { negative_directions: 1 });
        assert!((c.smallest + 3.0).abs() < 1e-14 && (c.largest - 3.0).abs() < 1e-14);
    }

    #[test]
    fn rosenbrock_at_its_minimum_matches_the_closed_form_eigenvalues() {
        // ∇²f(1, 1) = [[802, −400], [−400, 200]]: λ = 501 ± √(301² + 400²).
        let c = classify(&Rosenbrock::new(2).unwrap(), &[1.0, 1.0]);
        let r = (301.0_f64 * 301.0 + 400.0 * 400.0).sqrt();
        assert_eq!(c.verdict, CriticalPoint::Minimum);
        assert!((c.smallest - (501.0 - r)).abs() < 1e-12 * 1002.0);
        assert!((c.largest - (501.0 + r)).abs() < 1e-12 * 1002.0);
    }

    /// Newton's method on ∇f = 0 from `x`: converges to the nearest critical point, whatever
    /// its kind.
    fn critical_point_near(f: &Himmelblau, mut x: [f64; 2]) -> [f64; 2] {
        let mut h = HessianMatrix::zeros(HessianStructure::Dense, 2);
        let mut g = [0.0; 2];
        for _ in 0..50 {
            f.value_grad(&x, &mut g);
            f.hessian(&x, &mut h);
            let (a, b, d) = (h.get(0, 0), h.get(0, 1), h.get(1, 1));
            let det = a * d - b * b;
            x[0] -= (d * g[0] - b * g[1]) / det;
            x[1] -= (a * g[1] - b * g[0]) / det;
        }
        f.value_grad(&x, &mut g);
        assert!(g[0].abs().max(g[1].abs()) < 1e-10, "not critical: {x:?} {g:?}");
        x
    }

    #[test]
    fn himmelblaus_nine_critical_points_are_classified() {
        // Starting guesses from the literature (4 minima, 1 maximum, 4 saddles), refined here.
        let f = Himmelblau::new();
        let minimum = CriticalPoint::Minimum;
        let saddle = CriticalPoint::SaddlePoint { negative_directions: 1 };
        let cases = [
            ([3.0, 2.0], minimum),
            ([-2.805, 3.131], minimum),
            ([-3.779, -3.283], minimum),
            ([3.584, -1.848], minimum),
            ([-0.271, -0.923], CriticalPoint::Maximum),
            ([0.087, 2.884], saddle),
            ([-3.073, -0.081], saddle),
            ([3.385, 0.074], saddle),
            ([-0.128, -1.954], saddle),
        ];
        let mut found: Vec<[f64; 2]> = Vec::new();
        for (guess, expected) in cases {
            let x = critical_point_near(&f, guess);
            assert!(found.iter().all(|p| (p[0] - x[0]).hypot(p[1] - x[1]) > 0.1), "distinct");
            found.push(x);
            let c = classify(&f, &x);
            assert_eq!(c.verdict, expected, "at {x:?}: {:?}", c.eigenvalues);
            // Away from zero: every eigenvalue is at least 1 in magnitude.
            assert!(c.eigenvalues.iter().all(|l| l.abs() > 1.0), "{:?}", c.eigenvalues);
        }
    }

    /// ½xᵀQΛQᵀx with Q = H₁H₂H₃ (seeded Householder reflections): a dense Hessian with a
    /// chosen spectrum, O(n) Hessian-vector products.
    struct Indefinite {
        lambda: Vec<f64>,
        u: [Vec<f64>; 3],
    }

    impl Indefinite {
        /// `negative` eigenvalues spread over [−10, −1], the rest over [1, 100].
        fn new(n: usize, negative: usize, seed: u64) -> Self {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            let lambda = (0..n)
                .map(|i| {
                    if i < negative {
                        -1.0 - 9.0 * i as f64 / negative.max(2) as f64
                    } else {
                        1.0 + 99.0 * (i - negative) as f64 / (n - negative) as f64
                    }
                })
                .collect();
            let mut unit = || {
                let mut u: Vec<f64> = (0..n).map(|_| rng.sample(StandardNormal)).collect();
                let norm = dot(&u, &u).sqrt();
                scale(&mut u, 1.0 / norm);
                u
            };
            Self { lambda, u: [unit(), unit(), unit()] }
        }

        fn reflect(u: &[f64], v: &mut [f64]) {
            let d = 2.0 * dot(u, v);
            axpy(-d, u, v);
        }

        /// out = QΛQᵀv.
        fn apply(&self, v: &[f64], out: &mut [f64]) {
            out.copy_from_slice(v);
            for u in &self.u {
                Self::reflect(u, out); // Qᵀ = H₃H₂H₁, applied right to left.
            }
            for (o, l) in out.iter_mut().zip(&self.lambda) {
                *o *= l;
            }
            for u in self.u.iter().rev() {
                Self::reflect(u, out);
            }
        }
    }

    impl Objective for Indefinite {
        fn dim(&self) -> usize {
            self.lambda.len()
        }
        fn value(&self, x: &[f64]) -> f64 {
            let mut g = vec![0.0; x.len()];
            self.value_grad(x, &mut g)
        }
        fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
            self.apply(x, grad);
            0.5 * dot(x, grad)
        }
    }

    impl Hessian for Indefinite {
        fn hessian_structure(&self) -> HessianStructure {
            HessianStructure::Dense
        }
        fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
            let n = self.dim();
            let (mut e, mut column) = (vec![0.0; n], vec![0.0; n]);
            for j in 0..n {
                e[j] = 1.0;
                self.apply(&e, &mut column);
                e[j] = 0.0;
                for i in j..n {
                    hessian.set(i, j, column[i]);
                }
            }
        }
    }

    impl HessianVectorProduct for Indefinite {
        fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
            self.apply(v, hv);
        }
    }

    #[test]
    fn random_quadratics_with_k_negative_eigenvalues_have_index_k() {
        let n = 1000;
        let x = vec![0.3; n];
        let lanczos_options = CurvatureOptions { dense_max: 0, ..CurvatureOptions::default() };
        for (k, seed) in [(1, 11), (5, 12), (50, 13)] {
            let f = Indefinite::new(n, k, seed);
            let dense = classify(&f, &x);
            assert_eq!(dense.method, EigenMethod::Dense);
            assert_eq!(dense.index, Some(k));
            assert_eq!(dense.verdict, CriticalPoint::SaddlePoint { negative_directions: k });
            let mut expected = f.lambda.clone();
            expected.sort_by(f64::total_cmp);
            for (got, want) in dense.eigenvalues.iter().zip(&expected) {
                assert!((got - want).abs() < 1e-11 * 100.0, "{got} vs {want}");
            }
            let lanczos = curvature(&f, &x, &lanczos_options).unwrap();
            assert_eq!(lanczos.method, EigenMethod::Lanczos);
            assert!((lanczos.smallest - dense.smallest).abs() < 1e-6, "k = {k}");
            assert!((lanczos.largest - dense.largest).abs() < 1e-6, "k = {k}");
            assert!(lanczos.index.is_none());
            let CriticalPoint::SaddlePoint { negative_directions } = lanczos.verdict else {
                panic!("k = {k}: {:?}", lanczos.verdict)
            };
            assert!((1..=k).contains(&negative_directions), "a lower bound on {k}");
            assert!(lanczos.hessian_evaluations <= 300);
            // The Ritz vector is an eigenvector of λ₁: ‖Hv − λ₁v‖ small.
            for c in [&dense, &lanczos] {
                let v = c.most_negative.as_ref().unwrap();
                let mut hv = vec![0.0; n];
                f.apply(v, &mut hv);
                axpy(-c.smallest, v, &mut hv);
                assert!(dot(&hv, &hv).sqrt() < 1e-6 * 100.0, "{:?}", c.method);
            }
        }
    }

    /// ½xᵀ(T − σI)x, T = tridiag(−1, 2, −1): eigenvalues 2 − 2cos(jπ/(n + 1)) − σ.
    struct ShiftedSecondDifference {
        n: usize,
        sigma: f64,
    }

    impl Objective for ShiftedSecondDifference {
        fn dim(&self) -> usize {
            self.n
        }
        fn value(&self, x: &[f64]) -> f64 {
            let mut g = vec![0.0; x.len()];
            self.value_grad(x, &mut g)
        }
        fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
            self.hessian_vector_product(x, x, grad);
            0.5 * dot(x, grad)
        }
    }

    impl Hessian for ShiftedSecondDifference {
        fn hessian_structure(&self) -> HessianStructure {
            HessianStructure::Tridiagonal
        }
        fn hessian(&self, _x: &[f64], hessian: &mut HessianMatrix) {
            let HessianMatrix::Tridiagonal { diag, off } = hessian else { unreachable!() };
            diag.fill(2.0 - self.sigma);
            off.fill(-1.0);
        }
    }

    impl HessianVectorProduct for ShiftedSecondDifference {
        fn hessian_vector_product(&self, _x: &[f64], v: &[f64], hv: &mut [f64]) {
            let n = self.n;
            for i in 0..n {
                let left = if i > 0 { v[i - 1] } else { 0.0 };
                let right = if i + 1 < n { v[i + 1] } else { 0.0 };
                hv[i] = (2.0 - self.sigma) * v[i] - left - right;
            }
        }
    }

    /// The analytic eigenvalues and the number below zero, checking that none lies within
    /// `margin` of zero (so the count does not depend on rounding).
    fn analytic(n: usize, sigma: f64, margin: f64) -> (Vec<f64>, usize) {
        let h = std::f64::consts::PI / (n + 1) as f64;
        let lambda: Vec<f64> = (1..=n).map(|j| 2.0 - 2.0 * (j as f64 * h).cos() - sigma).collect();
        assert!(lambda.iter().all(|l| l.abs() > margin), "σ too close to an eigenvalue");
        (lambda.clone(), lambda.iter().filter(|&&l| l < 0.0).count())
    }

    #[test]
    fn sturm_counts_a_million_variable_tridiagonal_hessian() {
        let (n, sigma) = (1_000_000, 1.234_567);
        let (lambda, negative) = analytic(n, sigma, 1e-7);
        // Analytically: #{j : 2 − 2cos(jπ/(n + 1)) < σ} = ⌊(n + 1)·acos(1 − σ/2)/π⌋.
        let closed_form =
            ((n + 1) as f64 * (1.0 - sigma / 2.0).acos() / std::f64::consts::PI) as usize;
        assert_eq!(negative, closed_form);
        let f = ShiftedSecondDifference { n, sigma };
        let c = classify(&f, &vec![0.0; n]);
        assert_eq!(c.method, EigenMethod::Sturm);
        assert_eq!(c.index, Some(negative));
        assert_eq!(c.verdict, CriticalPoint::SaddlePoint { negative_directions: negative });
        assert!((c.smallest - lambda[0]).abs() < 1e-12, "{} vs {}", c.smallest, lambda[0]);
        assert!((c.largest - lambda[n - 1]).abs() < 1e-12);
        // The inverse-iteration vector lies in the bottom cluster: Rayleigh quotient near λ₁.
        let v = c.most_negative.unwrap();
        let mut hv = vec![0.0; n];
        f.hessian_vector_product(&[], &v, &mut hv);
        assert!((dot(&v, &hv) - lambda[0]).abs() < 1e-6, "{}", dot(&v, &hv));
    }

    #[test]
    fn sturm_agrees_with_the_dense_eigenvalues_on_small_matrices() {
        for (n, sigma) in [(1, 1.5), (2, 1.2), (7, 0.3), (60, 2.05), (60, 4.5), (60, -0.01)] {
            let f = ShiftedSecondDifference { n, sigma };
            let x = vec![0.0; n];
            let dense = classify(&f, &x);
            let forced = CurvatureOptions { dense_max: 0, ..CurvatureOptions::default() };
            let sturm = curvature(&f, &x, &forced).unwrap();
            assert_eq!(sturm.method, EigenMethod::Sturm);
            assert_eq!(
                (sturm.verdict, sturm.index),
                (dense.verdict, dense.index),
                "n={n} σ={sigma}"
            );
            assert_eq!(dense.index, Some(analytic(n, sigma, 1e-6).1));
            assert!((sturm.smallest - dense.smallest).abs() < 1e-13);
            assert!((sturm.largest - dense.largest).abs() < 1e-13);
            for sigma in [-1.0, 0.4321, 1.987, 3.999] {
                let below = dense.eigenvalues.iter().filter(|&&l| l < sigma).count();
                let (diag, off) = (vec![2.0 - f.sigma; n], vec![-1.0; n - 1]);
                assert_eq!(sturm_count(&diag, &off, sigma), below);
            }
        }
        // The pivot guard: a zero pivot neither divides by zero nor loses the count.
        // Eigenvalues −√2, 0, √2; an eigenvalue exactly at σ counts as below (LAPACK's rule).
        assert_eq!(sturm_count(&[0.0, 0.0, 0.0], &[1.0, 1.0], -0.1), 1);
        assert_eq!(sturm_count(&[0.0, 0.0, 0.0], &[1.0, 1.0], 0.0), 2);
        assert_eq!(sturm_count(&[0.0, 0.0, 0.0], &[1.0, 1.0], 1.5), 3);
        assert_eq!(sturm_count(&[], &[], 0.0), 0);
    }

    #[test]
    fn invalid_input_is_an_error_not_a_panic() {
        let f = Saddle::new();
        assert!(matches!(
            curvature(&f, &[0.0], &CurvatureOptions::default()),
            Err(Error::DimensionMismatch { expected: 2, got: 1, .. })
        ));
        let zero_steps = CurvatureOptions { lanczos_steps: 0, ..CurvatureOptions::default() };
        assert!(matches!(
            curvature(&f, &[0.0, 0.0], &zero_steps),
            Err(Error::InvalidHyperparameter { name: "lanczos_steps", .. })
        ));
        assert!(matches!(
            curvature(&f, &[f64::NAN, 0.0], &CurvatureOptions::default()),
            Err(Error::NonFiniteInput { index: 0, .. })
        ));
        // Lanczos that cannot converge in 3 steps on 50 spread positive eigenvalues says so
        // (nothing short of convergence proves a minimum) ...
        let short =
            CurvatureOptions { dense_max: 0, lanczos_steps: 3, ..CurvatureOptions::default() };
        let g = Indefinite::new(50, 0, 1);
        assert!(matches!(
            curvature(&g, &vec![0.0; 50], &short),
            Err(Error::CurvatureFailed { method: "lanczos", .. })
        ));
        // ... but 3 steps that find Ritz values of both signs prove a saddle point.
        let g = Indefinite::new(50, 25, 1);
        let c = curvature(&g, &vec![0.0; 50], &short).unwrap();
        let lambda_min = g.lambda.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(matches!(c.verdict, CriticalPoint::SaddlePoint { .. }), "{c:?}");
        assert!(c.residual > 0.0 && c.smallest >= lambda_min && c.hessian_evaluations == 3);
    }
}
