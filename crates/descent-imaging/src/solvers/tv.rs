//! Total variation: its value, its proximal operator (Beck & Teboulle's FGP) and its
//! curvature term div(∇x/|∇x|) (for RL-TV).
//!
//! Gradients are forward differences, zero across the last column and row (Neumann boundary):
//! (∇x)_{r,c} = (x_{r,c+1} − x_{r,c}, x_{r+1,c} − x_{r,c}); isotropic TV(x) = Σ |(∇x)_{r,c}|.
//!
//! ## FGP (Beck & Teboulle 2009b, Algorithm GP/FGP)
//! The constrained denoising problem min_{x ∈ C} ½‖x − b‖² + θ·TV(x) (C = {x ≥ 0} or all
//! images) has the dual max over fields (p, q) with |(p, q)_{r,c}| ≤ 1; with their operators
//! L(p, q)_{r,c} = p_{r,c} + q_{r,c} − p_{r−1,c} − q_{r,c−1} (p across rows, q across columns)
//! and Lᵀx = (x_{r,c} − x_{r+1,c}, x_{r,c} − x_{r,c+1}) one dual step is
//!
//! ```text
//!   (p_k, q_k) = P_P[(r_k, s_k) + 1/(8θ) · Lᵀ P_C(b − θ·L(r_k, s_k))]     (eq. 4.9 ff.)
//!   t_{k+1} = (1 + √(1 + 4t_k²))/2
//!   (r_{k+1}, s_{k+1}) = (p_k, q_k) + (t_k − 1)/t_{k+1} · ((p_k, q_k) − (p_{k−1}, q_{k−1}))
//! ```
//!
//! and the primal solution is x = P_C(b − θ·L(p, q)). P_P scales each (p, q)_{r,c} onto the
//! unit disc. We run a fixed number of inner iterations and warm-start (p, q) from the previous
//! call (the outer solver's iterates change little), restarting t at 1.
//!
//! Reference: A. Beck, M. Teboulle, "Fast gradient-based algorithms for constrained total
//! variation image denoising and deblurring problems", IEEE Trans. Image Processing 18(11),
//! 2009, pp. 2419–2434.

use crate::Image;

/// Isotropic TV(x) (see the [module docs](self)).
pub(crate) fn total_variation(x: &Image) -> f64 {
    let (w, h) = x.shape();
    let d = x.data();
    let mut tv = 0.0;
    for r in 0..h {
        for c in 0..w {
            let i = r * w + c;
            let gx = if c + 1 < w { d[i + 1] - d[i] } else { 0.0 };
            let gy = if r + 1 < h { d[i + w] - d[i] } else { 0.0 };
            tv += (gx * gx + gy * gy).sqrt();
        }
    }
    tv
}

/// FGP's state: the dual fields, kept between calls for the warm start.
#[derive(Debug, Clone)]
pub(crate) struct TvProx {
    w: usize,
    h: usize,
    /// Dual p (across rows; zero in the last row) and q (across columns; zero in the last column).
    p: Vec<f64>,
    q: Vec<f64>,
    /// FGP's extrapolated point (r, s).
    r: Vec<f64>,
    s: Vec<f64>,
    /// Inner iterations per call.
    inner: usize,
}

impl TvProx {
    pub(crate) fn new(shape: (usize, usize), inner: usize) -> Self {
        let n = shape.0 * shape.1;
        TvProx {
            w: shape.0,
            h: shape.1,
            p: vec![0.0; n],
            q: vec![0.0; n],
            r: vec![0.0; n],
            s: vec![0.0; n],
            inner,
        }
    }

    /// out ← b − θ·L(p, q), projected onto C if `positivity`.
    fn primal(
        (w, h): (usize, usize),
        (p, q): (&[f64], &[f64]),
        b: &[f64],
        theta: f64,
        positivity: bool,
        out: &mut [f64],
    ) {
        for r in 0..h {
            for c in 0..w {
                let i = r * w + c;
                let mut l = p[i] + q[i];
                if r > 0 {
                    l -= p[i - w];
                }
                if c > 0 {
                    l -= q[i - 1];
                }
                let v = b[i] - theta * l;
                out[i] = if positivity { v.max(0.0) } else { v };
            }
        }
    }

    /// out ← argmin_{x ∈ C} ½‖x − b‖² + θ·TV(x), approximately (a fixed number of FGP steps).
    pub(crate) fn prox(&mut self, b: &Image, theta: f64, positivity: bool, out: &mut Image) {
        let (w, h) = (self.w, self.h);
        let b = b.data();
        if theta <= 0.0 {
            for (o, v) in out.data_mut().iter_mut().zip(b) {
                *o = if positivity { v.max(0.0) } else { *v };
            }
            return;
        }
        let step = 1.0 / (8.0 * theta);
        self.r.copy_from_slice(&self.p);
        self.s.copy_from_slice(&self.q);
        let mut t = 1.0_f64;
        for _ in 0..self.inner {
            Self::primal((w, h), (&self.r, &self.s), b, theta, positivity, out.data_mut());
            let x = out.data();
            let t_next = 0.5 * (1.0 + (1.0 + 4.0 * t * t).sqrt());
            let beta = (t - 1.0) / t_next;
            for r in 0..h {
                for c in 0..w {
                    let i = r * w + c;
                    // Lᵀx, then the gradient step and P_P
                    let mut pn = if r + 1 < h { self.r[i] + step * (x[i] - x[i + w]) } else { 0.0 };
                    let mut qn = if c + 1 < w { self.s[i] + step * (x[i] - x[i + 1]) } else { 0.0 };
                    let norm = (pn * pn + qn * qn).sqrt();
                    if norm > 1.0 {
                        pn /= norm;
                        qn /= norm;
                    }
                    self.r[i] = pn + beta * (pn - self.p[i]);
                    self.s[i] = qn + beta * (qn - self.q[i]);
                    self.p[i] = pn;
                    self.q[i] = qn;
                }
            }
            t = t_next;
        }
        Self::primal((w, h), (&self.p, &self.q), b, theta, positivity, out.data_mut());
    }
}

/// Buffers for div(∇x/|∇x|_ε), the curvature term of RL-TV.
#[derive(Debug, Clone)]
pub(crate) struct Curvature {
    nx: Vec<f64>,
    ny: Vec<f64>,
}

impl Curvature {
    pub(crate) fn new(shape: (usize, usize)) -> Self {
        let n = shape.0 * shape.1;
        Curvature { nx: vec![0.0; n], ny: vec![0.0; n] }
    }

    /// out ← div(∇x / √(|∇x|² + ε²)), forward differences for ∇ and backward for div (its
    /// negative adjoint).
    pub(crate) fn compute(&mut self, x: &Image, eps: f64, out: &mut Image) {
        let (w, h) = x.shape();
        let d = x.data();
        let eps2 = eps * eps;
        for r in 0..h {
            for c in 0..w {
                let i = r * w + c;
                let gx = if c + 1 < w { d[i + 1] - d[i] } else { 0.0 };
                let gy = if r + 1 < h { d[i + w] - d[i] } else { 0.0 };
                let inv = 1.0 / (gx * gx + gy * gy + eps2).sqrt();
                self.nx[i] = gx * inv;
                self.ny[i] = gy * inv;
            }
        }
        let o = out.data_mut();
        for r in 0..h {
            for c in 0..w {
                let i = r * w + c;
                let mut div = self.nx[i] + self.ny[i];
                if c > 0 {
                    div -= self.nx[i - 1];
                }
                if r > 0 {
                    div -= self.ny[i - w];
                }
                o[i] = div;
            }
        }
    }
}
