//! The mean-squared-error head and the Hessian-vector products of both heads (Pearlmutter's
//! R-operator). The equations are in the [parent module's docs](super).

use super::{Activation, Head, Mlp, check_len, column_sums};
use crate::model::{Scalar, Workspace, gemm};
use crate::{Error, Result};

impl Mlp {
    /// The rows of a buffer of `len` = B·n_L numbers (targets or outputs), named `what`.
    fn rows_of(&self, what: &'static str, len: usize) -> Result<usize> {
        let n = self.outputs();
        if len.is_multiple_of(n) {
            Ok(len / n)
        } else {
            Err(Error::DimensionMismatch { what, expected: (len / n + 1) * n, got: len })
        }
    }

    /// The network's outputs (the logits of a classifier, the predictions Ŷ of a regression
    /// network) for the rows of `x` (row-major, B × n_0), written into `out` (B × n_L
    /// row-major, B = `out.len()`/n_L). Either head.
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`] when `out` is not a whole number of rows, or `params`, `x`
    /// or the workspace does not fit; [`Error::BatchSize`] for an empty batch or one larger
    /// than the workspace.
    pub fn forward_values<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        ws: &mut Workspace<T>,
        out: &mut [T],
    ) -> Result<()> {
        let batch = self.rows_of("outputs (rows × outputs)", out.len())?;
        self.check(params, x, batch, ws)?;
        self.forward(params, x, batch, ws);
        out.copy_from_slice(&ws.acts[self.layers() - 1][..out.len()]);
        Ok(())
    }

    /// The regression loss L = (1/(B·n_L))·Σ(ŷ − y)² + (λ/2)·Σ_l ‖W_l‖² of the rows of `x`
    /// (row-major, B × n_0) against `targets` (row-major, B × n_L; B = `targets.len()`/n_L).
    /// The squares are summed in f64.
    ///
    /// # Errors
    /// [`Error::WrongHead`] on a classifier; [`Error::DimensionMismatch`] when `targets` is not
    /// a whole number of rows or `params`, `x` or the workspace does not fit;
    /// [`Error::BatchSize`] for an empty batch or one larger than the workspace.
    pub fn mse<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        targets: &[T],
        ws: &mut Workspace<T>,
    ) -> Result<T> {
        self.require(Head::MeanSquaredError, "mse")?;
        let batch = self.rows_of("targets (rows × outputs)", targets.len())?;
        self.check(params, x, batch, ws)?;
        self.forward(params, x, batch, ws);
        let predictions = &ws.acts[self.layers() - 1][..targets.len()];
        let sum: f64 = predictions
            .iter()
            .zip(targets)
            .map(|(&p, &y)| {
                let e = (p - y).as_f64();
                e * e
            })
            .sum();
        Ok(T::of(sum / targets.len() as f64 + self.l2_term(params)))
    }

    /// The regression loss (as [`Mlp::mse`]) and its gradient, written into `grads`: back-
    /// propagation from Δ_L = (2/(B·n_L))·(Ŷ − Y), see the [module docs](super).
    ///
    /// # Errors
    /// As [`Mlp::mse`]; [`Error::DimensionMismatch`] also when `grads` is not
    /// [`num_params`](crate::Model::num_params) long.
    pub fn mse_grad<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        targets: &[T],
        ws: &mut Workspace<T>,
        grads: &mut [T],
    ) -> Result<T> {
        self.require(Head::MeanSquaredError, "mse_grad")?;
        let batch = self.rows_of("targets (rows × outputs)", targets.len())?;
        self.check(params, x, batch, ws)?;
        check_len("gradient", params.len(), grads.len())?;
        self.forward(params, x, batch, ws);
        let data_loss = self.mse_delta(targets, ws);
        self.backward(params, x, batch, ws, grads);
        Ok(T::of(data_loss + self.l2_term(params)))
    }

    /// The regression loss (as [`Mlp::mse`]), its gradient (into `grads`) and the exact
    /// Hessian-vector product ∇²L·v (into `hv`) by Pearlmutter's R-operator: one forward, one
    /// R-forward, one backward and one R-backward pass, about three gradients' work, no
    /// allocation. See the [module docs](super) for the equations. For ReLU, the Hessian is
    /// that of the current activation pattern (σ″ = 0; units exactly at 0 count as off).
    ///
    /// # Errors
    /// As [`Mlp::mse_grad`]; [`Error::DimensionMismatch`] also when `v` or `hv` is not
    /// [`num_params`](crate::Model::num_params) long.
    #[allow(clippy::too_many_arguments)] // the contract's signature: inputs, then two outputs
    pub fn mse_hvp<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        targets: &[T],
        v: &[T],
        ws: &mut Workspace<T>,
        grads: &mut [T],
        hv: &mut [T],
    ) -> Result<T> {
        self.require(Head::MeanSquaredError, "mse_hvp")?;
        let batch = self.rows_of("targets (rows × outputs)", targets.len())?;
        self.check(params, x, batch, ws)?;
        check_len("gradient", params.len(), grads.len())?;
        check_len("direction v", params.len(), v.len())?;
        check_len("Hessian-vector product", params.len(), hv.len())?;
        self.forward(params, x, batch, ws);
        self.r_forward(params, v, x, batch, ws);
        let data_loss = self.mse_delta(targets, ws);
        // R(Δ_L) = (2/(B·n_L))·R(Z_L).
        let scale = T::of(2.0 / targets.len() as f64);
        let Workspace { r_acts, r_delta, .. } = &mut *ws;
        let rz = &r_acts[self.layers() - 1][..targets.len()];
        r_delta[0][..targets.len()].iter_mut().zip(rz).for_each(|(d, &r)| *d = scale * r);
        self.backward_hvp(params, v, x, batch, ws, grads, hv);
        Ok(T::of(data_loss + self.l2_term(params)))
    }

    /// The classifier's loss (as [`Model::loss`](crate::Model::loss)), its gradient (into
    /// `grads`) and the exact Hessian-vector product ∇²L·v (into `hv`), as [`Mlp::mse_hvp`]
    /// with the softmax head's R(Δ_L) = (1/B)·P ⊙ (R(Z_L) − (P ⊙ R(Z_L))·1·1ᵀ) (label smoothing
    /// does not change it: ỹ does not depend on θ).
    ///
    /// # Errors
    /// As [`Model::loss_grad`](crate::Model::loss_grad) ([`Error::WrongHead`] on a regression
    /// network); [`Error::DimensionMismatch`] also when `v` or `hv` is not
    /// [`num_params`](crate::Model::num_params) long.
    #[allow(clippy::too_many_arguments)] // mse_hvp's signature
    pub fn loss_hvp<T: Scalar>(
        &self,
        params: &[T],
        x: &[T],
        labels: &[usize],
        v: &[T],
        ws: &mut Workspace<T>,
        grads: &mut [T],
        hv: &mut [T],
    ) -> Result<T> {
        self.require(Head::SoftmaxCrossEntropy, "loss_hvp")?;
        let batch = labels.len();
        self.check(params, x, batch, ws)?;
        check_len("gradient", params.len(), grads.len())?;
        check_len("direction v", params.len(), v.len())?;
        check_len("Hessian-vector product", params.len(), hv.len())?;
        self.forward(params, x, batch, ws);
        self.r_forward(params, v, x, batch, ws);
        let classes = self.outputs();
        let n = batch * classes;
        let Workspace { acts, delta, r_acts, r_delta, .. } = &mut *ws;
        let logits = &acts[self.layers() - 1][..n];
        let data_loss = crate::loss::softmax_cross_entropy(
            logits,
            labels,
            classes,
            T::of(self.label_smoothing),
            &mut delta[0][..n],
        )?;
        let inv_batch = T::one() / T::of(batch as f64);
        for ((z, rz), rd) in logits
            .chunks_exact(classes)
            .zip(r_acts[self.layers() - 1][..n].chunks_exact(classes))
            .zip(r_delta[0][..n].chunks_exact_mut(classes))
        {
            // P (shifted by the row's maximum, as the loss), then P ⊙ (R(Z) − ⟨P, R(Z)⟩)/B.
            let m = z.iter().fold(T::neg_infinity(), |m, &v| m.max(v));
            let mut total = T::zero();
            for (p, &z) in rd.iter_mut().zip(z) {
                *p = (z - m).exp();
                total += *p;
            }
            let mut dot = T::zero();
            for (p, &r) in rd.iter_mut().zip(rz) {
                *p /= total;
                dot += *p * r;
            }
            rd.iter_mut().zip(rz).for_each(|(p, &r)| *p = *p * (r - dot) * inv_batch);
        }
        self.backward_hvp(params, v, x, batch, ws, grads, hv);
        Ok(T::of(data_loss.as_f64() + self.l2_term(params)))
    }

    /// Δ_L = (2/(B·n_L))·(Ŷ − Y) into `delta[0]` after [`Mlp::forward`]; returns the data loss
    /// (1/(B·n_L))·Σ(ŷ − y)², summed in f64.
    fn mse_delta<T: Scalar>(&self, targets: &[T], ws: &mut Workspace<T>) -> f64 {
        let n = targets.len();
        let scale = T::of(2.0 / n as f64);
        let predictions = &ws.acts[self.layers() - 1][..n];
        let mut sum = 0.0;
        for ((d, &p), &y) in ws.delta[0][..n].iter_mut().zip(predictions).zip(targets) {
            let e = p - y;
            sum += e.as_f64() * e.as_f64();
            *d = scale * e;
        }
        sum / n as f64
    }

    /// The R-forward pass after [`Mlp::forward`]: R(A_l) (R(Z_L) for the last layer) into
    /// `r_acts`.
    fn r_forward<T: Scalar>(
        &self,
        params: &[T],
        v: &[T],
        x: &[T],
        batch: usize,
        ws: &mut Workspace<T>,
    ) {
        let par = self.par();
        let layers = self.layers();
        let Workspace { acts, r_acts, .. } = ws;
        let mut offset = 0;
        for l in 0..layers {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            let w = &params[offset..offset + n_out * n_in];
            let (vw, rest) = v[offset..].split_at(n_out * n_in);
            let vb = &rest[..n_out];
            offset += n_out * n_in + n_out;
            let (before, after) = r_acts.split_at_mut(l);
            let rz = &mut after[0][..batch * n_out];
            // R(Z_l) = 1·v_bᵀ + A_{l−1}·V_lᵀ + R(A_{l−1})·W_lᵀ (R(A_0) = 0).
            for row in rz.chunks_exact_mut(n_out) {
                row.copy_from_slice(vb);
            }
            let prev: &[T] = if l == 0 { x } else { &acts[l - 1][..batch * n_in] };
            gemm::a_bt(rz, true, prev, vw, (batch, n_out, n_in), par);
            if l > 0 {
                gemm::a_bt(rz, true, &before[l - 1][..batch * n_in], w, (batch, n_out, n_in), par);
            }
            if l + 1 < layers {
                // R(A_l) = σ′(Z_l) ⊙ R(Z_l).
                let a = &acts[l][..batch * n_out];
                match self.activation {
                    Activation::Relu => rz.iter_mut().zip(a).for_each(|(r, &a)| {
                        if a <= T::zero() {
                            *r = T::zero();
                        }
                    }),
                    Activation::Tanh => {
                        rz.iter_mut().zip(a).for_each(|(r, &a)| *r *= T::one() - a * a);
                    }
                }
            }
        }
    }

    /// Back-propagation of Δ_L (in `delta[0]`) and R(Δ_L) (in `r_delta[0]`) after the forward
    /// and R-forward passes: ∇L into `grads`, ∇²L·v into `hv` (L2 terms included).
    #[allow(clippy::too_many_arguments)]
    fn backward_hvp<T: Scalar>(
        &self,
        params: &[T],
        v: &[T],
        x: &[T],
        batch: usize,
        ws: &mut Workspace<T>,
        grads: &mut [T],
        hv: &mut [T],
    ) {
        let par = self.par();
        let lambda = T::of(self.l2);
        let two = T::of(2.0);
        let Workspace { acts, delta, r_acts, r_delta, .. } = ws;
        let mut current = 0; // which of `delta` (and `r_delta`) holds Δ_l (R(Δ_l))
        let mut end = params.len();
        for l in (0..self.layers()).rev() {
            let (n_in, n_out) = (self.widths[l], self.widths[l + 1]);
            let start = end - (n_out * n_in + n_out);
            let w = &params[start..start + n_out * n_in];
            let vw = &v[start..start + n_out * n_in];
            let (gw, gb) = grads[start..end].split_at_mut(n_out * n_in);
            let (hw, hb) = hv[start..end].split_at_mut(n_out * n_in);
            let [d0, d1] = &mut *delta;
            let (d_cur, d_prev) = if current == 0 { (&*d0, d1) } else { (&*d1, d0) };
            let [r0, r1] = &mut *r_delta;
            let (rd_cur, rd_prev) = if current == 0 { (&*r0, r1) } else { (&*r1, r0) };
            let (d_cur, rd_cur) = (&d_cur[..batch * n_out], &rd_cur[..batch * n_out]);
            let (prev, r_prev): (&[T], &[T]) = if l == 0 {
                (x, &[])
            } else {
                (&acts[l - 1][..batch * n_in], &r_acts[l - 1][..batch * n_in])
            };
            let dims = (n_out, n_in, batch);
            // ∂L/∂W_l = Δ_lᵀ·A_{l−1} + λ·W_l, ∂L/∂b_l = Δ_lᵀ·1.
            gemm::at_b(gw, false, d_cur, prev, dims, par);
            // R(∂L/∂W_l) = R(Δ_l)ᵀ·A_{l−1} + Δ_lᵀ·R(A_{l−1}) + λ·V_l, R(∂L/∂b_l) = R(Δ_l)ᵀ·1.
            gemm::at_b(hw, false, rd_cur, prev, dims, par);
            if l > 0 {
                gemm::at_b(hw, true, d_cur, r_prev, dims, par);
            }
            if self.l2 != 0.0 {
                gw.iter_mut().zip(w).for_each(|(g, &w)| *g += lambda * w);
                hw.iter_mut().zip(vw).for_each(|(h, &v)| *h += lambda * v);
            }
            column_sums(gb, d_cur);
            column_sums(hb, rd_cur);
            if l > 0 {
                let (d_prev, rd_prev) = (&mut d_prev[..batch * n_in], &mut rd_prev[..batch * n_in]);
                let dims = (batch, n_in, n_out);
                // E = Δ_l·W_l (in Δ_{l−1}'s buffer), R(Δ_l)·W_l + Δ_l·V_l (in R(Δ_{l−1})'s).
                gemm::a_b(d_prev, false, d_cur, w, dims, par);
                gemm::a_b(rd_prev, false, rd_cur, w, dims, par);
                gemm::a_b(rd_prev, true, d_cur, vw, dims, par);
                match self.activation {
                    Activation::Relu => {
                        for ((d, r), &a) in d_prev.iter_mut().zip(rd_prev.iter_mut()).zip(prev) {
                            if a <= T::zero() {
                                *d = T::zero();
                                *r = T::zero();
                            }
                        }
                    }
                    Activation::Tanh => {
                        // σ′ = 1 − A², E ⊙ σ″ ⊙ R(Z) = −2·A ⊙ E ⊙ R(A).
                        for (((d, r), &a), &ra) in
                            d_prev.iter_mut().zip(rd_prev.iter_mut()).zip(prev).zip(r_prev)
                        {
                            let s = T::one() - a * a;
                            let e = *d;
                            *r = s * *r - two * a * e * ra;
                            *d = s * e;
                        }
                    }
                }
                current = 1 - current;
            }
            end = start;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model as _;
    use approx::assert_abs_diff_eq;
    use proptest::prelude::*;

    /// Uniform numbers in [−1, 1) from a seed (splitmix64).
    fn uniform(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s = s.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = s;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                z ^= z >> 31;
                (z >> 11) as f64 / (1u64 << 52) as f64 - 1.0
            })
            .collect()
    }

    /// A random regression problem: θ, x, targets, a direction v.
    fn problem(mlp: &Mlp, batch: usize, seed: u64) -> [Vec<f64>; 4] {
        let n = mlp.num_params();
        [
            uniform(seed, n),
            uniform(seed ^ 0xABCD, batch * mlp.inputs()),
            uniform(seed ^ 0x1234, batch * mlp.outputs()).iter().map(|y| 2.0 * y).collect(),
            uniform(seed ^ 0x5678, n),
        ]
    }

    fn grad(mlp: &Mlp, params: &[f64], x: &[f64], y: &[f64]) -> Vec<f64> {
        let mut ws = mlp.workspace(y.len() / mlp.outputs());
        let mut g = vec![f64::NAN; mlp.num_params()];
        mlp.mse_grad(params, x, y, &mut ws, &mut g).unwrap();
        g
    }

    fn hvp(
        mlp: &Mlp,
        params: &[f64],
        x: &[f64],
        y: &[f64],
        v: &[f64],
    ) -> (f64, Vec<f64>, Vec<f64>) {
        let mut ws = mlp.workspace(y.len() / mlp.outputs());
        let (mut g, mut h) = (vec![f64::NAN; v.len()], vec![f64::NAN; v.len()]);
        let loss = mlp.mse_hvp(params, x, y, v, &mut ws, &mut g, &mut h).unwrap();
        (loss, g, h)
    }

    /// θ + t·v.
    fn along(params: &[f64], v: &[f64], t: f64) -> Vec<f64> {
        params.iter().zip(v).map(|(p, v)| p + t * v).collect()
    }

    /// The hidden units' on/off pattern of a ReLU network at θ (its activations' signs).
    fn pattern(mlp: &Mlp, params: &[f64], x: &[f64], batch: usize) -> Vec<bool> {
        let mut ws = mlp.workspace(batch);
        mlp.forward(params, x, batch, &mut ws);
        let hidden = mlp.layers() - 1;
        ws.acts[..hidden].iter().flat_map(|a| a.iter().map(|&a| a > 0.0)).collect()
    }

    /// 1-2-1 ReLU by hand: W₁ = (1, −1)ᵀ, b₁ = (0, ½), W₂ = (2, 3), b₂ = 0.1, λ = 0.1.
    /// x = 1: Z₁ = (1, −½), A₁ = (1, 0), ŷ = 2.1; x = −1: Z₁ = (−1, 1.5), A₁ = (0, 1.5), ŷ = 4.6.
    /// Targets (2, 5): errors (0.1, −0.4), mean square 0.085; L2: 0.05·(1 + 1 + 4 + 9) = 0.75.
    /// Δ_L = (2/2)·(0.1, −0.4), so ∂L/∂b₂ = −0.3 and ∂L/∂W₂ = (0.1·1, −0.4·1.5) + 0.1·(2, 3).
    #[test]
    fn mse_and_its_gradient_by_hand() {
        let mlp = Mlp::regression(1, &[2], 1, Activation::Relu).unwrap().with_l2(0.1).unwrap();
        let params = [1.0, -1.0, 0.0, 0.5, 2.0, 3.0, 0.1];
        let (x, y) = ([1.0, -1.0], [2.0, 5.0]);
        let mut ws = mlp.workspace(2);
        let mut out = [0.0; 2];
        mlp.forward_values(&params, &x, &mut ws, &mut out).unwrap();
        assert_abs_diff_eq!(out[0], 2.1, epsilon = 1e-15);
        assert_abs_diff_eq!(out[1], 4.6, epsilon = 1e-15);
        assert_abs_diff_eq!(mlp.mse(&params, &x, &y, &mut ws).unwrap(), 0.835, epsilon = 1e-15);
        let mut g = [0.0; 7];
        let loss = mlp.mse_grad(&params, &x, &y, &mut ws, &mut g).unwrap();
        assert_abs_diff_eq!(loss, 0.835, epsilon = 1e-15);
        assert_abs_diff_eq!(g[6], -0.3, epsilon = 1e-15);
        assert_abs_diff_eq!(g[4], 0.1 + 0.2, epsilon = 1e-15);
        assert_abs_diff_eq!(g[5], -0.6 + 0.3, epsilon = 1e-15);
        // Unit 1 is on for x = 1 only: ∂L/∂W₁[0] = Δ·W₂[0]·x = 0.1·2·1, plus λ·1.
        assert_abs_diff_eq!(g[0], 0.2 + 0.1, epsilon = 1e-15);
        // f32 gives the same to its precision.
        let p32: Vec<f32> = params.iter().map(|&p| p as f32).collect();
        let mut ws32 = mlp.workspace::<f32>(2);
        let l32 = mlp.mse(&p32, &[1.0, -1.0], &[2.0, 5.0], &mut ws32).unwrap();
        assert!((l32 - 0.835).abs() < 1e-6);
    }

    /// Linear regression (no hidden layer): L is quadratic with the Hessian
    /// (2/(B·n_L))·X̃ᵀX̃ per output (X̃ = [X 1], the bias as a last input) plus λ on the
    /// weights, and none between outputs. Built column by column from H·e_i, exactly.
    #[test]
    fn linear_regression_hessian_is_two_xtx_over_bn() {
        let (inputs, outputs, batch, lambda) = (3, 2, 4, 0.2);
        let mlp = Mlp::regression(inputs, &[], outputs, Activation::Tanh)
            .unwrap()
            .with_l2(lambda)
            .unwrap();
        let [params, x, y, _] = problem(&mlp, batch, 9);
        let n = mlp.num_params();
        assert_eq!(n, outputs * inputs + outputs);
        // Parameter index of (output j, input k), k = inputs being the bias.
        let index =
            |j: usize, k: usize| if k < inputs { j * inputs + k } else { outputs * inputs + j };
        let xt = |r: usize, k: usize| if k < inputs { x[r * inputs + k] } else { 1.0 };
        let scale = 2.0 / (batch * outputs) as f64;
        for (j, k) in (0..outputs).flat_map(|j| (0..=inputs).map(move |k| (j, k))) {
            let mut e = vec![0.0; n];
            e[index(j, k)] = 1.0;
            let (_, _, column) = hvp(&mlp, &params, &x, &y, &e);
            for (j2, k2) in (0..outputs).flat_map(|j| (0..=inputs).map(move |k| (j, k))) {
                let mut expected = 0.0;
                if j2 == j {
                    expected = scale * (0..batch).map(|r| xt(r, k) * xt(r, k2)).sum::<f64>();
                    if k2 == k && k < inputs {
                        expected += lambda;
                    }
                }
                assert_abs_diff_eq!(column[index(j2, k2)], expected, epsilon = 1e-14);
            }
        }
    }

    fn activation() -> impl Strategy<Value = Activation> {
        prop_oneof![Just(Activation::Relu), Just(Activation::Tanh)]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        /// mse_grad against central differences of mse (f64, h = 10⁻⁶).
        #[test]
        fn mse_gradient_matches_central_differences(
            inputs in 1usize..4,
            hidden in proptest::collection::vec(1usize..6, 0..3),
            outputs in 1usize..4,
            batch in 1usize..6,
            act in activation(),
            l2 in prop_oneof![Just(0.0), Just(0.3)],
            seed in any::<u64>(),
        ) {
            let mlp = Mlp::regression(inputs, &hidden, outputs, act).unwrap().with_l2(l2).unwrap();
            let [params, x, y, _] = problem(&mlp, batch, seed);
            let mut ws = mlp.workspace(batch);
            let g = grad(&mlp, &params, &x, &y);
            let h = 1e-6;
            let mut p = params.clone();
            for i in 0..params.len() {
                p[i] = params[i] + h;
                let fp = mlp.mse(&p, &x, &y, &mut ws).unwrap();
                p[i] = params[i] - h;
                let fm = mlp.mse(&p, &x, &y, &mut ws).unwrap();
                p[i] = params[i];
                let d = (fp - fm) / (2.0 * h);
                prop_assert!((g[i] - d).abs() <= 1e-6 * (1.0 + d.abs()), "component {i}: {} vs {d}", g[i]);
            }
        }

        /// mse_hvp against central differences of mse_grad along v: (g(θ + hv) − g(θ − hv))/2h.
        /// ReLU: only where θ ± hv keep the activation pattern (the loss is smooth there).
        #[test]
        fn mse_hvp_matches_central_differences_of_the_gradient(
            inputs in 1usize..4,
            hidden in proptest::collection::vec(1usize..6, 0..3),
            outputs in 1usize..3,
            batch in 1usize..6,
            act in activation(),
            l2 in prop_oneof![Just(0.0), Just(0.3)],
            seed in any::<u64>(),
        ) {
            let mlp = Mlp::regression(inputs, &hidden, outputs, act).unwrap().with_l2(l2).unwrap();
            let [params, x, y, v] = problem(&mlp, batch, seed);
            let h = 1e-5;
            let (plus, minus) = (along(&params, &v, h), along(&params, &v, -h));
            if act == Activation::Relu {
                let here = pattern(&mlp, &params, &x, batch);
                prop_assume!(here == pattern(&mlp, &plus, &x, batch));
                prop_assume!(here == pattern(&mlp, &minus, &x, batch));
            }
            let (loss, g, hv) = hvp(&mlp, &params, &x, &y, &v);
            let mut ws = mlp.workspace(batch);
            prop_assert!((loss - mlp.mse(&params, &x, &y, &mut ws).unwrap()).abs() < 1e-14);
            let g_ref = grad(&mlp, &params, &x, &y);
            prop_assert!(g.iter().zip(&g_ref).all(|(a, b)| a == b), "same gradient as mse_grad");
            let (gp, gm) = (grad(&mlp, &plus, &x, &y), grad(&mlp, &minus, &x, &y));
            for i in 0..params.len() {
                let d = (gp[i] - gm[i]) / (2.0 * h);
                prop_assert!((hv[i] - d).abs() <= 1e-6 * (1.0 + d.abs()), "component {i}: {} vs {d}", hv[i]);
            }
        }

        /// The Hessian is symmetric: uᵀ(H·v) = vᵀ(H·u).
        #[test]
        fn hvp_is_symmetric(
            hidden in proptest::collection::vec(1usize..8, 1..3),
            act in activation(),
            seed in any::<u64>(),
        ) {
            let mlp = Mlp::regression(2, &hidden, 2, act).unwrap().with_l2(0.1).unwrap();
            let [params, x, y, v] = problem(&mlp, 5, seed);
            let u = uniform(seed ^ 0x9999, v.len());
            let (_, _, hv) = hvp(&mlp, &params, &x, &y, &v);
            let (_, _, hu) = hvp(&mlp, &params, &x, &y, &u);
            let uhv: f64 = u.iter().zip(&hv).map(|(a, b)| a * b).sum();
            let vhu: f64 = v.iter().zip(&hu).map(|(a, b)| a * b).sum();
            prop_assert!((uhv - vhu).abs() <= 1e-12 * (1.0 + uhv.abs()), "{uhv} vs {vhu}");
        }
    }

    /// The classifier's loss_hvp against central differences of loss_grad (tanh, L2, label
    /// smoothing).
    #[test]
    fn classifier_hvp_matches_central_differences() {
        let mlp = Mlp::new(3, &[5, 4], 3, Activation::Tanh)
            .unwrap()
            .with_l2(0.1)
            .unwrap()
            .with_label_smoothing(0.1)
            .unwrap();
        let labels = [0, 2, 1, 2];
        for seed in 0..4 {
            let params = uniform(seed, mlp.num_params());
            let x = uniform(seed ^ 1, 4 * 3);
            let v = uniform(seed ^ 2, mlp.num_params());
            let mut ws = mlp.workspace(4);
            let n = mlp.num_params();
            let (mut g, mut hv, mut gp, mut gm) =
                (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
            let loss = mlp.loss_hvp(&params, &x, &labels, &v, &mut ws, &mut g, &mut hv).unwrap();
            assert_abs_diff_eq!(
                loss,
                mlp.loss(&params, &x, &labels, &mut ws).unwrap(),
                epsilon = 1e-14
            );
            let h = 1e-5;
            mlp.loss_grad(&along(&params, &v, h), &x, &labels, &mut ws, &mut gp).unwrap();
            mlp.loss_grad(&along(&params, &v, -h), &x, &labels, &mut ws, &mut gm).unwrap();
            for i in 0..n {
                let d = (gp[i] - gm[i]) / (2.0 * h);
                assert!((hv[i] - d).abs() <= 1e-6 * (1.0 + d.abs()), "{i}: {} vs {d}", hv[i]);
            }
        }
    }

    /// f32 computes the same product as f64 to f32's precision (1-40-40-1 ReLU, B = 10: MAML's
    /// network).
    #[test]
    fn f32_hvp_agrees_with_f64() {
        let mlp = Mlp::regression(1, &[40, 40], 1, Activation::Relu).unwrap();
        let params: Vec<f64> = mlp.init_params(3);
        let [_, x, y, v] = problem(&mlp, 10, 4);
        let x: Vec<f64> = x.iter().map(|x| 5.0 * x).collect();
        let (l64, g64, h64) = hvp(&mlp, &params, &x, &y, &v);
        let f = |s: &[f64]| s.iter().map(|&a| a as f32).collect::<Vec<f32>>();
        let mut ws = mlp.workspace::<f32>(10);
        let n = mlp.num_params();
        let (mut g, mut h) = (vec![0.0f32; n], vec![0.0f32; n]);
        let l32 =
            mlp.mse_hvp(&f(&params), &f(&x), &f(&y), &f(&v), &mut ws, &mut g, &mut h).unwrap();
        assert!((f64::from(l32) - l64).abs() <= 1e-5 * l64);
        let norm = |s: &[f64]| s.iter().map(|a| a * a).sum::<f64>().sqrt();
        let diff = |a: &[f32], b: &[f64]| {
            norm(&a.iter().zip(b).map(|(&a, b)| f64::from(a) - b).collect::<Vec<_>>())
        };
        assert!(diff(&g, &g64) <= 1e-5 * norm(&g64), "{}", diff(&g, &g64));
        assert!(diff(&h, &h64) <= 1e-5 * norm(&h64), "{}", diff(&h, &h64));
    }

    #[test]
    fn wrong_head_and_sizes_give_typed_errors() {
        let reg = Mlp::regression(2, &[3], 2, Activation::Relu).unwrap();
        let cls = Mlp::new(2, &[3], 2, Activation::Relu).unwrap();
        let params: Vec<f64> = reg.init_params(0);
        let n = params.len();
        let mut ws = reg.workspace(2);
        let (mut g, mut h) = (vec![0.0; n], vec![0.0; n]);
        let (x, y, v) = ([0.5; 4], [1.0; 4], vec![1.0; n]);
        let wrong = |r: Result<f64>, op: &str| matches!(r, Err(Error::WrongHead { operation, .. }) if operation == op);
        assert!(wrong(reg.loss_grad(&params, &x, &[0, 1], &mut ws, &mut g), "loss_grad"));
        assert!(wrong(reg.loss(&params, &x, &[0, 1], &mut ws), "loss"));
        assert!(matches!(
            reg.predict(&params, &x, &mut ws, &mut [0; 2]),
            Err(Error::WrongHead {
                needed: Head::SoftmaxCrossEntropy,
                head: Head::MeanSquaredError,
                ..
            })
        ));
        assert!(wrong(reg.loss_hvp(&params, &x, &[0, 1], &v, &mut ws, &mut g, &mut h), "loss_hvp"));
        assert!(wrong(cls.mse(&params, &x, &y, &mut ws), "mse"));
        assert!(wrong(cls.mse_grad(&params, &x, &y, &mut ws, &mut g), "mse_grad"));
        assert!(wrong(cls.mse_hvp(&params, &x, &y, &v, &mut ws, &mut g, &mut h), "mse_hvp"));
        let e = cls.mse_grad(&params, &x, &y, &mut ws, &mut g).unwrap_err();
        assert!(e.to_string().contains("mean squared error head"), "{e}");

        let dim = |r: Result<f64>| matches!(r, Err(Error::DimensionMismatch { .. }));
        // Targets not a whole number of rows; x not matching them; v, hv, grads too short.
        assert!(dim(reg.mse(&params, &x, &y[..3], &mut ws)));
        assert!(dim(reg.mse_grad(&params, &x[..3], &y, &mut ws, &mut g)));
        assert!(dim(reg.mse_hvp(&params, &x, &y, &v[1..], &mut ws, &mut g, &mut h)));
        assert!(dim(reg.mse_hvp(&params, &x, &y, &v, &mut ws, &mut g, &mut h[1..])));
        assert!(dim(reg.mse_grad(&params, &x, &y, &mut ws, &mut g[1..])));
        assert!(dim(reg.mse(&params[1..], &x, &y, &mut ws)));
        let mut out = [0.0; 3];
        assert!(matches!(
            reg.forward_values(&params, &x, &mut ws, &mut out),
            Err(Error::DimensionMismatch { .. })
        ));
        // More rows than the workspace holds; none.
        assert!(matches!(
            reg.mse(&params, &[0.5; 6], &[1.0; 6], &mut ws),
            Err(Error::BatchSize { got: 3, max: 2 })
        ));
        assert!(matches!(
            reg.mse(&params, &[], &[], &mut ws),
            Err(Error::BatchSize { got: 0, .. })
        ));
        // Construction.
        assert!(Mlp::regression(2, &[3], 0, Activation::Relu).is_err());
        assert!(Mlp::regression(0, &[3], 1, Activation::Relu).is_err());
        assert!(reg.clone().with_label_smoothing(0.1).is_err());
        assert!(reg.clone().with_label_smoothing(0.0).is_ok());
        // One output is a valid regression network; the spec keeps the head.
        let one = Mlp::regression(1, &[40, 40], 1, Activation::Relu).unwrap().with_l2(0.5).unwrap();
        assert_eq!(
            (one.head(), one.outputs(), one.num_params()),
            (Head::MeanSquaredError, 1, 1761)
        );
        assert_eq!(Mlp::from_spec(&one.spec()).unwrap(), one);
        assert_eq!(Mlp::from_spec(&cls.spec()).unwrap().head(), Head::SoftmaxCrossEntropy);
    }
}
