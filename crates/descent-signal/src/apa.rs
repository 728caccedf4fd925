//! The affine projection algorithm (APA): NLMS on the last K input vectors at once.
//!
//! NLMS makes the a posteriori error of the current sample zero (for μ = 1); APA of order K
//! does so for the last K samples, projecting the weight change onto the span of
//! x(n), …, x(n−K+1). On coloured input (speech) that decorrelates the update and converges
//! much faster than NLMS, for a cost of O(K·L) per sample.
//!
//! ```text
//! X(n)   = [x(n), x(n−1), …, x(n−K+1)]                 L × K
//! d(n)   = [d(n), d(n−1), …, d(n−K+1)]ᵀ
//! e(n)   = d(n) − X(n)ᵀ w(n)                            K a priori errors; e₀ = e(n)
//! w(n+1) = w(n) + μ · X(n) · (X(n)ᵀX(n) + δI)⁻¹ · e(n)
//! ```
//!
//! | symbol | meaning |
//! |---|---|
//! | L | taps |
//! | K | projection order (`order`), 1 ≤ K ≤ L; K = 1 is NLMS with ε = δ |
//! | μ | step size (`mu`), 0 < μ < 2 |
//! | δ | regularisation (`delta`), > 0: keeps X ᵀX + δI invertible |
//!
//! **Stability.** 0 < μ < 2, as NLMS.
//!
//! **Misadjustment.** For white input and small δ, M ≈ μ/(2 − μ) · K (H.-C. Shin, A. H. Sayed
//! (2004), "Mean-square performance of a family of affine projection algorithms", IEEE Trans.
//! Signal Processing 52(1)): faster convergence is paid for with K times the steady-state
//! excess error at equal μ.
//!
//! **Implementation.** The Gram matrix G = XᵀX is shift-structured: column j of X(n) is column
//! j − 1 of X(n−1), so G(n)ᵢⱼ = G(n−1)ᵢ₋₁,ⱼ₋₁ and only its first row, K dot products, is new each
//! sample (exactly, no drift). G + δI is factored by Cholesky (K × K, in a buffer made at
//! construction); should a pivot not be positive (δ far below the rounding of G), the update
//! of that sample is skipped. The history holds L + K − 1 samples in a doubled ring buffer, so
//! every column is a contiguous slice.
//!
//! References: K. Ozeki, T. Umeda (1984), "An adaptive filtering algorithm using an orthogonal
//! projection to an affine subspace and its properties", Electronics and Communications in
//! Japan 67-A(5), pp. 19–27; Haykin, *Adaptive Filter Theory* (2014), §7.6; Sayed,
//! *Fundamentals of Adaptive Filtering* (2003), ch. 5 and 17.

use crate::lms::{History, Isa, axpy, check_positive, check_taps, copy_weights, dot, run_samples};
use crate::{AdaptiveFilter, Error, Result, SampleFilter};

/// The affine projection algorithm of order K; see the [module docs](self).
#[derive(Clone, Debug)]
pub struct AffineProjection {
    mu: f64,
    delta: f64,
    order: usize,
    w: Vec<f64>,
    /// x(n), …, x(n − L − K + 2).
    x: History,
    /// d(n), …, d(n − K + 1).
    d: History,
    /// G = XᵀX, K × K row-major.
    gram: Vec<f64>,
    /// The Cholesky factor of G + δI, lower triangle, row-major.
    chol: Vec<f64>,
    /// The a priori errors, then (G + δI)⁻¹e in place.
    e: Vec<f64>,
    adapting: bool,
    isa: Isa,
}

impl AffineProjection {
    /// An APA filter of `taps` taps, projection order `order`, step size `mu` and
    /// regularisation `delta`, weights zero.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] when `taps` is 0, `order` is 0 or above `taps`, `mu` is not
    /// in (0, 2) or `delta` is not finite and positive.
    pub fn new(taps: usize, order: usize, mu: f64, delta: f64) -> Result<Self> {
        check_taps(taps)?;
        if order == 0 || order > taps {
            return Err(Error::InvalidParameter {
                name: "order",
                value: order as f64,
                valid: "between 1 and taps",
            });
        }
        if !(mu > 0.0 && mu < 2.0) {
            return Err(Error::InvalidParameter { name: "mu", value: mu, valid: "in (0, 2)" });
        }
        check_positive("delta", delta)?;
        Ok(Self {
            mu,
            delta,
            order,
            w: vec![0.0; taps],
            x: History::new(taps + order - 1),
            d: History::new(order),
            gram: vec![0.0; order * order],
            chol: vec![0.0; order * order],
            e: vec![0.0; order],
            adapting: true,
            isa: Isa::detect(),
        })
    }

    /// The projection order K.
    pub fn order(&self) -> usize {
        self.order
    }

    /// Solves (G + δI)·a = e in place in `self.e`; false when G + δI is not numerically
    /// positive definite.
    fn solve(&mut self) -> bool {
        let k = self.order;
        let (g, l, b) = (&self.gram, &mut self.chol, &mut self.e);
        // Cholesky–Banachiewicz, row by row.
        for i in 0..k {
            for j in 0..=i {
                let mut s = g[i * k + j] + if i == j { self.delta } else { 0.0 };
                for m in 0..j {
                    s -= l[i * k + m] * l[j * k + m];
                }
                if i == j {
                    if !(s > 0.0) {
                        return false;
                    }
                    l[i * k + i] = s.sqrt();
                } else {
                    l[i * k + j] = s / l[j * k + j];
                }
            }
        }
        // L z = e, then Lᵀ a = z.
        for i in 0..k {
            let mut s = b[i];
            for m in 0..i {
                s -= l[i * k + m] * b[m];
            }
            b[i] = s / l[i * k + i];
        }
        for i in (0..k).rev() {
            let mut s = b[i];
            for m in i + 1..k {
                s -= l[m * k + i] * b[m];
            }
            b[i] = s / l[i * k + i];
        }
        true
    }
}

impl SampleFilter for AffineProjection {
    fn process_sample(&mut self, reference: f64, desired: f64) -> (f64, f64) {
        let (k, taps, isa) = (self.order, self.w.len(), self.isa);
        self.x.push(reference);
        self.d.push(desired);
        let xs = self.x.slice();
        let column = |j: usize| &xs[j..j + taps];
        // G(n)ᵢⱼ = G(n−1)ᵢ₋₁,ⱼ₋₁; the first row and column are new.
        for i in (1..k).rev() {
            for j in (1..k).rev() {
                self.gram[i * k + j] = self.gram[(i - 1) * k + j - 1];
            }
        }
        for j in 0..k {
            let g = dot(isa, column(0), column(j));
            self.gram[j] = g;
            self.gram[j * k] = g;
        }
        let ds = self.d.slice();
        let y = dot(isa, &self.w, column(0));
        let e = desired - y;
        if !self.adapting {
            return (y, e);
        }
        self.e[0] = e;
        for j in 1..k {
            self.e[j] = ds[j] - dot(isa, &self.w, column(j));
        }
        if self.solve() {
            for j in 0..k {
                let xs = self.x.slice();
                axpy(isa, &mut self.w, self.mu * self.e[j], &xs[j..j + taps]);
            }
        }
        (y, e)
    }
}

impl AdaptiveFilter for AffineProjection {
    fn taps(&self) -> usize {
        self.w.len()
    }
    fn weights_into(&self, out: &mut [f64]) -> Result<()> {
        copy_weights(&self.w, out)
    }
    fn process_into(
        &mut self,
        reference: &[f64],
        desired: &[f64],
        output: &mut [f64],
        error: &mut [f64],
    ) -> Result<()> {
        run_samples(self, reference, desired, output, error)
    }
    fn set_adapting(&mut self, adapting: bool) {
        self.adapting = adapting;
    }
    fn is_adapting(&self) -> bool {
        self.adapting
    }
    fn reset(&mut self) {
        self.w.fill(0.0);
        self.x.reset();
        self.d.reset();
        self.gram.fill(0.0);
    }
}
