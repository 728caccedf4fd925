//! Softmax regression over a shard of a data set: the shard objective f_r that
//! [`Sharded`](crate::Sharded) sums over the ranks, and the problem `logistic:digits`.
//!
//! Multinomial logistic regression with K classes on d features, parameters θ = (W, b) in
//! `descent_nn`'s layout (W, K × d row-major, then b), over N examples:
//!
//! ```text
//! f(θ) = (1/N)·Σ_{i=1..N} ℓ_i(θ) + (λ/2)·‖W‖²_F,    ℓ_i = −log softmax(W·x_i + b)_{y_i}
//! ```
//!
//! The bias is not penalised (as in `descent_nn`). The loss, its gradient and its exact
//! Hessian-vector product (Pearlmutter's R-operator) are `descent_nn`'s [`Mlp`] with no hidden
//! layer ([`Model::loss_grad`], [`Mlp::loss_hvp`]), scaled from a mean to a part of the sum.
//! The Hessian is formed column by column from Hessian-vector products (n of them; Newton's
//! method only).
//!
//! # Blocks: the same bits on 1, 2, 4, … ranks
//! Floating-point addition is not associative, so a sum split over ranks differs from the
//! one-process sum in its last bits, and L-BFGS, run for hundreds of iterations, amplifies
//! that into a different path (measured on `logistic:digits`: 300 against 294 iterations and
//! minimisers 5·10⁻⁶ apart at ‖∇f‖ ≤ 10⁻⁸). So the summation order is fixed by the data, not by
//! the number of ranks. The examples are cut into M contiguous blocks (block m holds rows
//! ⌊m·N/M⌋ ≤ i < ⌊(m + 1)·N/M⌋; M = [`DEFAULT_BLOCKS`] = 16 unless chosen), each block's part
//! φ_m = (1/N)·Σ_{i∈m} ℓ_i (with the penalty in φ_0) is one batched pass, and
//!
//! ```text
//! f = T(0, M),   T(a, b) = φ_a if b = a + 1,   else T(a, m) + T(m, b) with m = a + ⌊(b − a)/2⌋
//! ```
//!
//! (pairwise summation, also for the gradient and the Hessian-vector product, element by
//! element). Rank r of p holds blocks ⌊r·M/p⌋ ≤ m < ⌊(r + 1)·M/p⌋ and returns T over them:
//! when p is a power of two dividing M (M a power of two) that is a subtree of T, and the
//! all-reduce adds the p subtrees. For p = 2 the all-reduce computes T(0, M/2) + T(M/2, M),
//! exactly the one-process root: **1 and 2 ranks give the same bits**. For p = 4, 8, …, the
//! bits agree when the MPI library adds in tree order (recursive doubling, which Open MPI uses
//! for short vectors); otherwise they agree to rounding. For other p, or p > M (ranks with no
//! block return 0), the result is the same sum, rounded differently. Measured with Open MPI
//! 4.1 on `logistic:digits` (L-BFGS to ‖∇f‖ ≤ 10⁻⁸): p = 1, 2, 4 and 8 give the same 302
//! iterations and the same bits; p = 3 takes 298 iterations and stops 3.5·10⁻⁶ away (within
//! what the tolerance promises, ‖x − x*‖ ≤ ‖∇f‖/λ = 10⁻⁵).
//!
//! When p divides M the rows of rank r are those of [`shard`]: ⌊r·N/p⌋ ≤ i < ⌊(r + 1)·N/p⌋.
//!
//! # Symbols
//! | symbol | meaning |
//! |---|---|
//! | N, p | examples in the whole data set, ranks |
//! | M, φ_m | blocks, the part of block m |
//! | K, d | classes, features |
//! | λ | the L2 coefficient |
//! | n | parameters, K·d + K |

use std::cell::RefCell;
use std::ops::Range;

use descent::{Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Objective};
use descent_nn::model::Workspace;
use descent_nn::{Activation, Dataset, Mlp, Model};

use crate::{Error, Result};

/// The name of the built-in distributed problem: softmax regression over the bundled digits.
pub const LOGISTIC_DIGITS: &str = "logistic:digits";

/// λ of [`LOGISTIC_DIGITS`]: enough to make the minimiser unique and well conditioned, little
/// enough that the fit still classifies the training digits.
pub const LOGISTIC_DIGITS_L2: f64 = 1e-3;

/// The number of blocks M of [`SoftmaxShard::new`]: bit-identical results on 1, 2, 4, 8 and 16
/// ranks (see the [module docs](self)), blocks of about 112 digits.
pub const DEFAULT_BLOCKS: usize = 16;

/// The rows ⌊r·N/p⌋ ≤ i < ⌊(r + 1)·N/p⌋ of rank `rank` out of `size`, for N = `examples`.
///
/// # Errors
/// [`Error::InvalidShard`] unless `rank < size`.
pub fn shard_rows(examples: usize, rank: usize, size: usize) -> Result<Range<usize>> {
    if rank >= size {
        return Err(Error::InvalidShard { rank, size });
    }
    Ok(split(examples, size, rank)..split(examples, size, rank + 1))
}

/// ⌊k·n/parts⌋, without overflow.
fn split(n: usize, parts: usize, k: usize) -> usize {
    (k as u128 * n as u128 / parts as u128) as usize
}

/// Rank `rank`'s shard of `data` out of `size`: the contiguous block of [`shard_rows`], in the
/// data set's order; the blocks in rank order are the data set.
///
/// # Errors
/// [`Error::InvalidShard`] unless `rank < size`.
pub fn shard(data: &Dataset, rank: usize, size: usize) -> Result<Dataset> {
    let rows: Vec<usize> = shard_rows(data.len(), rank, size)?.collect();
    Ok(data.subset(&rows)?)
}

/// The data of [`LOGISTIC_DIGITS`]: the 1,797 bundled digits with pixels scaled from 0–16 to
/// [0, 1] (by 1/16, exact in binary, so every rank computes the same bits without any
/// statistics to share).
pub fn logistic_digits_data() -> Dataset {
    let mut data = Dataset::digits();
    data.scale(1.0 / 16.0).expect("1/16 is finite and positive");
    data
}

/// Rank `rank`'s part (out of `size`) of [`LOGISTIC_DIGITS`]: softmax regression over the
/// scaled digits ([`logistic_digits_data`]) with λ = [`LOGISTIC_DIGITS_L2`] in
/// [`DEFAULT_BLOCKS`] blocks; start at θ = 0.
///
/// # Errors
/// [`Error::InvalidShard`] unless `rank < size`.
pub fn logistic_digits(rank: usize, size: usize) -> Result<SoftmaxShard> {
    SoftmaxShard::new(&logistic_digits_data(), rank, size, LOGISTIC_DIGITS_L2)
}

/// Rank r's part f_r of softmax regression over a sharded data set; see the
/// [module docs](self). One process with `rank = 0, size = 1` is the whole objective f.
#[derive(Debug)]
pub struct SoftmaxShard {
    mlp: Mlp,
    /// This rank's rows' features in f64, row-major.
    features: Vec<f64>,
    labels: Vec<usize>,
    /// Block j of this rank holds local rows `bounds[j]..bounds[j + 1]`.
    bounds: Vec<usize>,
    /// N, the examples of the whole data set.
    total: usize,
    /// λ on the rank that holds block 0 (it carries the penalty), 0 elsewhere.
    l2: f64,
    scratch: RefCell<Scratch>,
}

/// Buffers of the passes: nothing is allocated per evaluation.
#[derive(Debug)]
struct Scratch {
    workspace: Workspace<f64>,
    /// The gradient that [`Mlp::loss_hvp`] also computes.
    grad: Vec<f64>,
    /// One partial sum per level of the pairwise tree.
    levels: Vec<Vec<f64>>,
}

impl SoftmaxShard {
    /// Rank `rank`'s part (out of `size`) of softmax regression with L2 coefficient `lambda`
    /// over `data`, in [`DEFAULT_BLOCKS`] blocks; see [`SoftmaxShard::with_blocks`].
    ///
    /// # Errors
    /// As [`SoftmaxShard::with_blocks`].
    pub fn new(data: &Dataset, rank: usize, size: usize, lambda: f64) -> Result<Self> {
        Self::with_blocks(data, DEFAULT_BLOCKS, rank, size, lambda)
    }

    /// Rank `rank`'s part (out of `size`) of softmax regression with L2 coefficient `lambda`
    /// over `data` cut into `blocks` blocks (the summation order; see the
    /// [module docs](self)). Every rank passes the same data set and keeps only its rows.
    ///
    /// # Errors
    /// [`Error::InvalidShard`] unless `rank < size`; [`Error::InvalidHyperparameter`] when
    /// `blocks` is 0, `data` is empty or `lambda` is negative or not finite;
    /// [`Error::Network`] when the data set has no features or fewer than 2 classes.
    pub fn with_blocks(
        data: &Dataset,
        blocks: usize,
        rank: usize,
        size: usize,
        lambda: f64,
    ) -> Result<Self> {
        if rank >= size {
            return Err(Error::InvalidShard { rank, size });
        }
        let invalid = |name, value: f64, valid| Error::InvalidHyperparameter { name, value, valid };
        if blocks == 0 {
            return Err(invalid("blocks", 0.0, "at least 1"));
        }
        if data.is_empty() {
            return Err(invalid("examples", 0.0, "at least 1"));
        }
        if !(lambda >= 0.0 && lambda.is_finite()) {
            return Err(invalid("lambda", lambda, "finite and ≥ 0"));
        }
        let n = data.len();
        let (first, last) = (split(blocks, size, rank), split(blocks, size, rank + 1));
        let start = split(n, blocks, first);
        let bounds: Vec<usize> = (first..=last).map(|m| split(n, blocks, m) - start).collect();
        let rows: Vec<usize> = (start..split(n, blocks, last)).collect();
        let part = data.subset(&rows)?;
        let mlp = Mlp::new(data.dim(), &[], data.classes(), Activation::Relu)?;
        let params = mlp.num_params();
        let widest = bounds.windows(2).map(|w| w[1] - w[0]).max().unwrap_or(0);
        let depth = usize::BITS as usize - (last - first).leading_zeros() as usize;
        let scratch = Scratch {
            workspace: mlp.workspace(widest.max(1)),
            grad: vec![0.0; params],
            levels: vec![vec![0.0; params]; depth],
        };
        Ok(Self {
            features: part.features_f64(),
            labels: part.labels().iter().map(|&y| usize::from(y)).collect(),
            bounds,
            total: n,
            l2: if first == 0 && last > 0 { lambda } else { 0.0 },
            scratch: RefCell::new(scratch),
            mlp,
        })
    }

    /// Examples on this rank.
    pub fn examples(&self) -> usize {
        self.labels.len()
    }

    /// Blocks on this rank.
    pub fn blocks(&self) -> usize {
        self.bounds.len() - 1
    }

    /// Classes K.
    pub fn classes(&self) -> usize {
        self.mlp.classes()
    }

    /// Features d.
    pub fn features(&self) -> usize {
        self.mlp.inputs()
    }

    /// The starting point θ = 0 (every class equally likely; the loss is convex).
    pub fn start(&self) -> Vec<f64> {
        vec![0.0; self.dim()]
    }

    /// Block j's rows (features, labels) and its weight |block|/N.
    fn block(&self, j: usize) -> (&[f64], &[usize], f64) {
        let (lo, hi) = (self.bounds[j], self.bounds[j + 1]);
        let d = self.features();
        (&self.features[lo * d..hi * d], &self.labels[lo..hi], (hi - lo) as f64 / self.total as f64)
    }

    /// The weights W (the first K·d parameters); the biases follow.
    fn weights(&self) -> usize {
        self.classes() * self.features()
    }

    /// The penalty's share of block j: (λ/2)·‖W‖², with λ·W added to `grad` when given (block 0
    /// of the rank that holds it; 0 elsewhere).
    fn penalty(&self, j: usize, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if j != 0 || self.l2 == 0.0 {
            return 0.0;
        }
        let w = &x[..self.weights()];
        if let Some(grad) = grad {
            grad[..w.len()].iter_mut().zip(w).for_each(|(g, &w)| *g += self.l2 * w);
        }
        0.5 * self.l2 * w.iter().map(|w| w * w).sum::<f64>()
    }
}

/// T(lo, hi) of the module docs: the pairwise sum of `leaf(j)` over blocks lo ≤ j < hi, the
/// scalar returned and the vector written into `out`; `levels` holds a buffer per level.
fn pairwise(
    lo: usize,
    hi: usize,
    out: &mut [f64],
    levels: &mut [Vec<f64>],
    leaf: &mut dyn FnMut(usize, &mut [f64]) -> f64,
) -> f64 {
    match hi - lo {
        0 => {
            out.fill(0.0);
            0.0
        }
        1 => leaf(lo, out),
        len => {
            let mid = lo + len / 2;
            let (right, deeper) = levels.split_first_mut().expect("a level per halving");
            let right = &mut right[..out.len()];
            let a = pairwise(lo, mid, out, deeper, leaf);
            let b = pairwise(mid, hi, right, deeper, leaf);
            out.iter_mut().zip(right.iter()).for_each(|(o, r)| *o += r);
            a + b
        }
    }
}

impl Objective for SoftmaxShard {
    fn dim(&self) -> usize {
        self.mlp.num_params()
    }

    fn value(&self, x: &[f64]) -> f64 {
        let Scratch { workspace, levels, .. } = &mut *self.scratch.borrow_mut();
        pairwise(0, self.blocks(), &mut [], levels, &mut |j, _| {
            let (features, labels, weight) = self.block(j);
            let data = if labels.is_empty() {
                0.0
            } else {
                // The buffers' sizes were fixed at construction: a wrong x length is the
                // caller's bug, reported as NaN (the driver's NonFinite), never a panic.
                self.mlp.loss(x, features, labels, workspace).unwrap_or(f64::NAN)
            };
            weight * data + self.penalty(j, x, None)
        })
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let Scratch { workspace, levels, .. } = &mut *self.scratch.borrow_mut();
        pairwise(0, self.blocks(), grad, levels, &mut |j, grad| {
            let (features, labels, weight) = self.block(j);
            let data = if labels.is_empty() {
                grad.fill(0.0);
                0.0
            } else {
                match self.mlp.loss_grad(x, features, labels, workspace, grad) {
                    Ok(loss) => {
                        grad.iter_mut().for_each(|g| *g *= weight);
                        loss
                    }
                    Err(_) => {
                        grad.fill(f64::NAN);
                        f64::NAN
                    }
                }
            };
            weight * data + self.penalty(j, x, Some(grad))
        })
    }
}

impl HessianVectorProduct for SoftmaxShard {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        let Scratch { workspace, grad, levels } = &mut *self.scratch.borrow_mut();
        pairwise(0, self.blocks(), hv, levels, &mut |j, hv| {
            let (features, labels, weight) = self.block(j);
            if labels.is_empty() {
                hv.fill(0.0);
            } else {
                match self.mlp.loss_hvp(x, features, labels, v, workspace, grad, hv) {
                    Ok(_) => hv.iter_mut().for_each(|h| *h *= weight),
                    Err(_) => hv.fill(f64::NAN),
                }
            }
            if j == 0 && self.l2 != 0.0 {
                let k = self.weights();
                hv[..k].iter_mut().zip(&v[..k]).for_each(|(h, &v)| *h += self.l2 * v);
            }
            0.0
        });
    }
}

impl Hessian for SoftmaxShard {
    fn hessian_structure(&self) -> HessianStructure {
        HessianStructure::Dense
    }

    /// Column j is ∇²f_r·e_j: n Hessian-vector products, O(n·|S_r|·n) work.
    fn hessian(&self, x: &[f64], hessian: &mut HessianMatrix) {
        let n = self.dim();
        let (mut e, mut column) = (vec![0.0; n], vec![0.0; n]);
        for j in 0..n {
            e[j] = 1.0;
            self.hessian_vector_product(x, &e, &mut column);
            e[j] = 0.0;
            // The R-operator's products are symmetric up to rounding: keep the lower triangle's
            // columns, which set() mirrors into the upper one.
            for (i, &h) in column.iter().enumerate().skip(j) {
                hessian.set(i, j, h);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use approx::assert_relative_eq;

    use super::*;
    use crate::{Local, Sharded};

    /// 37 examples of the scaled digits (a prime count, so shards differ in size).
    fn small() -> Dataset {
        let data = logistic_digits_data();
        data.subset(&(0..37).map(|i| i * 13).collect::<Vec<_>>()).unwrap()
    }

    /// A point where every class has a different probability (seeded, reproducible).
    fn point(n: usize) -> Vec<f64> {
        (0..n).map(|i| 0.1 * ((i * 7919 % 23) as f64 - 11.0) / 11.0).collect()
    }

    #[test]
    fn shards_are_contiguous_balanced_and_cover_the_data_in_order() {
        for size in 1..=6 {
            let mut next = 0;
            for rank in 0..size {
                let rows = shard_rows(37, rank, size).unwrap();
                assert_eq!(rows.start, next);
                assert!(rows.len() == 37 / size || rows.len() == 37 / size + 1);
                next = rows.end;
            }
            assert_eq!(next, 37);
        }
        // N = 2 over p = 4: ⌊r·2/4⌋ = 0, 0, 1, 1, 2 for r = 0..4.
        assert_eq!(shard_rows(2, 0, 4).unwrap(), 0..0);
        assert_eq!(shard_rows(2, 3, 4).unwrap(), 1..2);
    }

    #[test]
    fn a_rank_outside_the_job_is_an_error() {
        assert!(matches!(shard_rows(10, 2, 2), Err(Error::InvalidShard { rank: 2, size: 2 })));
        assert!(matches!(shard(&small(), 0, 0), Err(Error::InvalidShard { .. })));
    }

    #[test]
    fn the_parts_sum_to_the_whole_for_one_to_four_shards() {
        let data = small();
        let whole = SoftmaxShard::new(&data, 0, 1, 0.05).unwrap();
        let n = whole.dim();
        let x = point(n);
        let v: Vec<f64> = point(n).iter().rev().copied().collect();
        let mut g = vec![0.0; n];
        let value = whole.value_grad(&x, &mut g);
        let mut hv = vec![0.0; n];
        whole.hessian_vector_product(&x, &v, &mut hv);
        for p in 1..=4 {
            let (mut sum_value, mut sum_g, mut sum_hv) = (0.0, vec![0.0; n], vec![0.0; n]);
            let (mut g_r, mut hv_r) = (vec![0.0; n], vec![0.0; n]);
            for r in 0..p {
                let part = SoftmaxShard::new(&data, r, p, 0.05).unwrap();
                let value_r = part.value_grad(&x, &mut g_r);
                // descent_nn's loss and loss_grad round differently (by an ulp).
                assert_relative_eq!(value_r, part.value(&x), max_relative = 4.0 * f64::EPSILON);
                sum_value += value_r;
                part.hessian_vector_product(&x, &v, &mut hv_r);
                sum_g.iter_mut().zip(&g_r).for_each(|(s, g)| *s += g);
                sum_hv.iter_mut().zip(&hv_r).for_each(|(s, h)| *s += h);
            }
            assert_relative_eq!(sum_value, value, epsilon = 1e-12, max_relative = 1e-12);
            for i in 0..n {
                assert_relative_eq!(sum_g[i], g[i], epsilon = 1e-12, max_relative = 1e-12);
                assert_relative_eq!(sum_hv[i], hv[i], epsilon = 1e-12, max_relative = 1e-12);
            }
        }
    }

    #[test]
    fn value_matches_an_independent_computation() {
        // θ = 0: every class has probability 1/K, so f = log K (no penalty at W = 0).
        let data = small();
        let f = SoftmaxShard::new(&data, 0, 1, 0.3).unwrap();
        assert_relative_eq!(f.value(&f.start()), 10f64.ln(), max_relative = 1e-15);
        // At a general point: the loss written out example by example.
        let x = point(f.dim());
        let (k, d) = (f.classes(), f.features());
        let features = data.features_f64();
        let mut expected = 0.0;
        for (i, &y) in data.labels().iter().enumerate() {
            let row = &features[i * d..(i + 1) * d];
            let z: Vec<f64> = (0..k)
                .map(|c| x[k * d + c] + (0..d).map(|j| x[c * d + j] * row[j]).sum::<f64>())
                .collect();
            let lse = z.iter().map(|z| z.exp()).sum::<f64>().ln();
            expected += lse - z[usize::from(y)];
        }
        expected =
            expected / data.len() as f64 + 0.15 * x[..k * d].iter().map(|w| w * w).sum::<f64>();
        assert_relative_eq!(f.value(&x), expected, max_relative = 1e-13);
    }

    #[test]
    fn gradient_and_hvp_match_central_differences() {
        let data = small();
        for (rank, size) in [(0, 1), (0, 3), (2, 3)] {
            let f = SoftmaxShard::new(&data, rank, size, 0.05).unwrap();
            let n = f.dim();
            let x = point(n);
            let v: Vec<f64> = (0..n).map(|i| ((i * 31 % 17) as f64 - 8.0) / 8.0).collect();
            let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
            f.value_grad(&x, &mut g);
            f.hessian_vector_product(&x, &v, &mut hv);
            let h = 1e-5;
            let (mut xp, mut xm) = (x.clone(), x.clone());
            let (mut gp, mut gm) = (vec![0.0; n], vec![0.0; n]);
            for i in (0..n).step_by(7) {
                xp[i] += h;
                xm[i] -= h;
                let fd = (f.value(&xp) - f.value(&xm)) / (2.0 * h);
                assert!((fd - g[i]).abs() <= 1e-8, "∂f/∂x_{i}: {fd} vs {}", g[i]);
                xp[i] = x[i];
                xm[i] = x[i];
            }
            for ((p, m), (x, v)) in xp.iter_mut().zip(&mut xm).zip(x.iter().zip(&v)) {
                *p = x + h * v;
                *m = x - h * v;
            }
            f.value_grad(&xp, &mut gp);
            f.value_grad(&xm, &mut gm);
            for i in 0..n {
                let fd = (gp[i] - gm[i]) / (2.0 * h);
                assert!((fd - hv[i]).abs() <= 1e-8, "(Hv)_{i}: {fd} vs {}", hv[i]);
            }
        }
    }

    #[test]
    fn hessian_columns_are_hessian_vector_products_and_symmetric() {
        let data = small();
        let f = SoftmaxShard::new(&data, 1, 2, 0.05).unwrap();
        let n = f.dim();
        let x = point(n);
        let mut h = HessianMatrix::zeros(f.hessian_structure(), n);
        f.hessian(&x, &mut h);
        let v: Vec<f64> = (0..n).map(|i| ((i * 31 % 17) as f64 - 8.0) / 8.0).collect();
        let (mut hv, mut direct) = (vec![0.0; n], vec![0.0; n]);
        h.mul_vec(&v, &mut hv);
        f.hessian_vector_product(&x, &v, &mut direct);
        for i in 0..n {
            assert_relative_eq!(hv[i], direct[i], epsilon = 1e-13, max_relative = 1e-10);
        }
    }

    #[test]
    fn an_empty_shard_contributes_only_its_penalty() {
        let data = small().subset(&[0, 1]).unwrap();
        let f = SoftmaxShard::new(&data, 0, 4, 0.5).unwrap(); // rows 0..0
        assert_eq!(f.examples(), 0);
        let x = point(f.dim());
        let mut g = vec![0.0; f.dim()];
        let w2: f64 = x[..640].iter().map(|w| w * w).sum();
        assert_relative_eq!(f.value_grad(&x, &mut g), 0.25 * w2, max_relative = 1e-15);
        assert_relative_eq!(g[3], 0.5 * x[3], max_relative = 1e-15);
        assert_eq!(g[645], 0.0); // a bias
        let other = SoftmaxShard::new(&data, 3, 4, 0.5).unwrap(); // rows 1..2, no penalty
        assert_eq!(other.examples(), 1);
    }

    #[test]
    fn sharded_over_local_is_the_plain_objective_bit_for_bit() {
        let data = small();
        let plain = SoftmaxShard::new(&data, 0, 1, 0.05).unwrap();
        let sharded = Sharded::new(SoftmaxShard::new(&data, 0, 1, 0.05).unwrap(), &Local);
        let n = plain.dim();
        let x = point(n);
        let (mut g1, mut g2, mut h1, mut h2) =
            (vec![0.0; n], vec![0.0; n], vec![0.0; n], vec![0.0; n]);
        assert_eq!(
            plain.value_grad(&x, &mut g1).to_bits(),
            sharded.value_grad(&x, &mut g2).to_bits()
        );
        assert_eq!(plain.value(&x).to_bits(), sharded.value(&x).to_bits());
        plain.hessian_vector_product(&x, &g1, &mut h1);
        sharded.hessian_vector_product(&x, &g1, &mut h2);
        for i in 0..n {
            assert_eq!(g1[i].to_bits(), g2[i].to_bits());
            assert_eq!(h1[i].to_bits(), h2[i].to_bits());
        }
    }

    #[test]
    fn invalid_settings_are_errors() {
        let data = small();
        assert!(SoftmaxShard::with_blocks(&data, 0, 0, 1, 0.0).is_err());
        assert!(SoftmaxShard::new(&data, 0, 1, -1.0).is_err());
        assert!(SoftmaxShard::new(&data, 0, 1, f64::NAN).is_err());
        assert!(matches!(SoftmaxShard::new(&data, 1, 1, 0.0), Err(Error::InvalidShard { .. })));
        assert!(SoftmaxShard::new(&data.subset(&[]).unwrap(), 0, 1, 0.0).is_err());
        assert!(SoftmaxShard::with_blocks(&data, 3, 0, 1, 0.0).is_ok());
    }

    #[test]
    fn block_shards_hold_the_rows_of_shard_when_p_divides_m() {
        let data = small();
        for p in [1, 2, 4, 8, 16] {
            for r in 0..p {
                let part = SoftmaxShard::new(&data, r, p, 0.0).unwrap();
                assert_eq!(part.examples(), shard_rows(37, r, p).unwrap().len(), "rank {r} of {p}");
                assert_eq!(part.blocks(), DEFAULT_BLOCKS / p);
            }
        }
    }

    /// f(x, ∇f, Hv) → value: an evaluation writing the gradient and a Hessian-vector product.
    type Evaluation<'a> = &'a dyn Fn(&[f64], &mut [f64], &mut [f64]) -> f64;

    /// Value, gradient and Hessian-vector product that `f` writes at x, as bits.
    fn bits(f: Evaluation<'_>, n: usize) -> Vec<u64> {
        let x = point(n);
        let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
        let value = f(&x, &mut g, &mut hv);
        std::iter::once(value).chain(g).chain(hv).map(f64::to_bits).collect()
    }

    #[test]
    fn one_two_and_four_shards_in_tree_order_give_the_same_bits() {
        let data = small();
        let n = SoftmaxShard::new(&data, 0, 1, 0.05).unwrap().dim();
        let eval = |f: &SoftmaxShard, x: &[f64], g: &mut [f64], hv: &mut [f64]| {
            let v: Vec<f64> = x.iter().rev().copied().collect();
            f.hessian_vector_product(x, &v, hv);
            f.value_grad(x, g)
        };
        // p ranks' parts added in tree order: ((f_0 + f_1) + (f_2 + f_3)) for p = 4.
        let tree = |p: usize, x: &[f64], g: &mut [f64], hv: &mut [f64]| -> f64 {
            let parts: Vec<(f64, Vec<f64>, Vec<f64>)> = (0..p)
                .map(|r| {
                    let f = SoftmaxShard::new(&data, r, p, 0.05).unwrap();
                    let (mut g, mut hv) = (vec![0.0; n], vec![0.0; n]);
                    (eval(&f, x, &mut g, &mut hv), g, hv)
                })
                .collect();
            let mut level = parts;
            while level.len() > 1 {
                level = level
                    .chunks(2)
                    .map(|pair| {
                        let (a, b) = (&pair[0], &pair[1]);
                        let add =
                            |u: &[f64], w: &[f64]| u.iter().zip(w).map(|(u, w)| u + w).collect();
                        (a.0 + b.0, add(&a.1, &b.1), add(&a.2, &b.2))
                    })
                    .collect();
            }
            g.copy_from_slice(&level[0].1);
            hv.copy_from_slice(&level[0].2);
            level[0].0
        };
        let one = bits(&|x, g, hv| tree(1, x, g, hv), n);
        assert_eq!(bits(&|x, g, hv| tree(2, x, g, hv), n), one);
        assert_eq!(bits(&|x, g, hv| tree(4, x, g, hv), n), one);
        // Another block count is another summation order: equal to rounding, not in bits.
        let three = SoftmaxShard::with_blocks(&data, 3, 0, 1, 0.05).unwrap();
        assert_ne!(bits(&|x, g, hv| eval(&three, x, g, hv), n), one);
    }
}
