//! Softmax regression over a shard of a data set: the shard objective f_r that
//! [`Sharded`](crate::Sharded) sums over the ranks, and the problem `logistic:digits`.
//!
//! Multinomial logistic regression with K classes on d features, parameters θ = (W, b) in
//! `descent_nn`'s layout (W, K × d row-major, then b), over N examples split into p shards
//! S_0, …, S_{p−1}:
//!
//! ```text
//! f(θ)   = (1/N)·Σ_{i=1..N} ℓ_i(θ) + (λ/2)·‖W‖²_F,    ℓ_i = −log softmax(W·x_i + b)_{y_i}
//! f_r(θ) = (1/N)·Σ_{i∈S_r} ℓ_i(θ) + [r = 0]·(λ/2)·‖W‖²_F,    so f = Σ_r f_r
//! ```
//!
//! The regulariser is added once in total, by rank 0 (the bias is not penalised, as in
//! `descent_nn`). f_r reuses [`Mlp`]'s batched passes (no hidden layer): its mean loss over the
//! shard, its gradient and its exact Hessian-vector product (Pearlmutter's R-operator,
//! [`Mlp::loss_hvp`]), each scaled by |S_r|/N. Its Hessian is formed column by column from
//! Hessian-vector products (n of them; used by Newton's method only).
//!
//! # Shards
//! [`shard`] splits the examples into p contiguous blocks: rank r gets rows
//! ⌊r·N/p⌋ ≤ i < ⌊(r + 1)·N/p⌋, so the sizes differ by at most one and the blocks in rank order
//! are the data set in its order. A shard may be empty (N < p): its f_r is then 0 (plus the
//! regulariser on rank 0).
//!
//! # Symbols
//! | symbol | meaning |
//! |---|---|
//! | N, p | examples in the whole data set, ranks |
//! | S_r | the examples of rank r |
//! | K, d | classes, features |
//! | λ | the L2 coefficient |
//! | n | parameters, K·d + K |

use std::cell::RefCell;

use descent::{Hessian, HessianMatrix, HessianStructure, HessianVectorProduct, Objective};
use descent_nn::model::Workspace;
use descent_nn::{Activation, Dataset, Mlp, Model};

use crate::{Error, Result};

/// The name of the built-in distributed problem: softmax regression over the bundled digits.
pub const LOGISTIC_DIGITS: &str = "logistic:digits";

/// λ of [`LOGISTIC_DIGITS`]: enough to make the minimiser unique and well conditioned, little
/// enough that the fit still classifies the training digits.
pub const LOGISTIC_DIGITS_L2: f64 = 1e-3;

/// The rows ⌊r·N/p⌋ ≤ i < ⌊(r + 1)·N/p⌋ of rank `rank` out of `size`, as a range.
///
/// # Errors
/// [`Error::InvalidShard`] unless `rank < size`.
pub fn shard_rows(examples: usize, rank: usize, size: usize) -> Result<std::ops::Range<usize>> {
    if rank >= size {
        return Err(Error::InvalidShard { rank, size });
    }
    // u128: r·N cannot overflow.
    let bound = |r: usize| ((r as u128 * examples as u128) / size as u128) as usize;
    Ok(bound(rank)..bound(rank + 1))
}

/// Rank `rank`'s shard of `data` out of `size`: the contiguous block of [`shard_rows`], in the
/// data set's order.
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
/// scaled digits ([`logistic_digits_data`]) with λ = [`LOGISTIC_DIGITS_L2`]; start at θ = 0.
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
    /// The shard's features in f64, row-major.
    features: Vec<f64>,
    labels: Vec<usize>,
    /// |S_r|/N.
    weight: f64,
    /// λ on the rank that holds the regulariser, 0 elsewhere.
    l2: f64,
    /// The batched passes' scratch and a gradient buffer for the Hessian-vector product.
    scratch: RefCell<(Workspace<f64>, Vec<f64>)>,
}

impl SoftmaxShard {
    /// Rank `rank`'s part (out of `size`) of softmax regression with L2 coefficient `lambda`
    /// over `data`, which every rank holds whole: the shard is [`shard`]`(data, rank, size)` and
    /// rank 0 holds the regulariser.
    ///
    /// # Errors
    /// [`Error::InvalidShard`] unless `rank < size`; as [`SoftmaxShard::from_shard`].
    pub fn new(data: &Dataset, rank: usize, size: usize, lambda: f64) -> Result<Self> {
        let part = shard(data, rank, size)?;
        Self::from_shard(&part, data.len(), if rank == 0 { lambda } else { 0.0 })
    }

    /// The part of softmax regression over `part`, a shard of a data set of `total` examples,
    /// with the regulariser (l2/2)·‖W‖² (give λ on exactly one rank, 0 on the others): for a
    /// rank that reads only its own shard from disk.
    ///
    /// # Errors
    /// [`Error::InvalidHyperparameter`] when `total` is 0 or less than `part.len()`, or `l2` is
    /// negative or not finite; [`Error::Network`] when the data set has fewer than 2 classes
    /// or no features.
    pub fn from_shard(part: &Dataset, total: usize, l2: f64) -> Result<Self> {
        if total == 0 || total < part.len() {
            return Err(Error::InvalidHyperparameter {
                name: "total examples",
                value: total as f64,
                valid: "positive and at least the shard's size",
            });
        }
        if !(l2 >= 0.0 && l2.is_finite()) {
            return Err(Error::InvalidHyperparameter {
                name: "l2",
                value: l2,
                valid: "finite and ≥ 0",
            });
        }
        let mlp = Mlp::new(part.dim(), &[], part.classes(), Activation::Relu)?;
        let n = mlp.num_params();
        let workspace = mlp.workspace(part.len().max(1));
        Ok(Self {
            features: part.features_f64(),
            labels: part.labels().iter().map(|&y| usize::from(y)).collect(),
            weight: part.len() as f64 / total as f64,
            l2,
            scratch: RefCell::new((workspace, vec![0.0; n])),
            mlp,
        })
    }

    /// Examples in this shard, |S_r|.
    pub fn examples(&self) -> usize {
        self.labels.len()
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

    /// The weights W (the first K·d parameters); the biases follow.
    fn weights(&self) -> usize {
        self.classes() * self.features()
    }

    /// (λ/2)·‖W‖² of this rank, and λ·W added to `grad` when `grad` is given.
    fn penalty(&self, x: &[f64], grad: Option<&mut [f64]>) -> f64 {
        if self.l2 == 0.0 {
            return 0.0;
        }
        let w = &x[..self.weights()];
        if let Some(grad) = grad {
            grad[..w.len()].iter_mut().zip(w).for_each(|(g, &w)| *g += self.l2 * w);
        }
        0.5 * self.l2 * w.iter().map(|w| w * w).sum::<f64>()
    }
}

impl Objective for SoftmaxShard {
    fn dim(&self) -> usize {
        self.mlp.num_params()
    }

    fn value(&self, x: &[f64]) -> f64 {
        let data = if self.labels.is_empty() {
            0.0
        } else {
            let ws = &mut self.scratch.borrow_mut().0;
            // The buffers' sizes were fixed at construction; a wrong x length is the caller's
            // bug, reported as NaN (the driver's NonFinite), never a panic.
            self.mlp.loss(x, &self.features, &self.labels, ws).unwrap_or(f64::NAN)
        };
        self.weight * data + self.penalty(x, None)
    }

    fn value_grad(&self, x: &[f64], grad: &mut [f64]) -> f64 {
        let data = if self.labels.is_empty() {
            grad.fill(0.0);
            0.0
        } else {
            let ws = &mut self.scratch.borrow_mut().0;
            match self.mlp.loss_grad(x, &self.features, &self.labels, ws, grad) {
                Ok(loss) => {
                    grad.iter_mut().for_each(|g| *g *= self.weight);
                    loss
                }
                Err(_) => {
                    grad.fill(f64::NAN);
                    f64::NAN
                }
            }
        };
        self.weight * data + self.penalty(x, Some(grad))
    }
}

impl HessianVectorProduct for SoftmaxShard {
    fn hessian_vector_product(&self, x: &[f64], v: &[f64], hv: &mut [f64]) {
        if self.labels.is_empty() {
            hv.fill(0.0);
        } else {
            let (ws, grad) = &mut *self.scratch.borrow_mut();
            match self.mlp.loss_hvp(x, &self.features, &self.labels, v, ws, grad, hv) {
                Ok(_) => hv.iter_mut().for_each(|h| *h *= self.weight),
                Err(_) => hv.fill(f64::NAN),
            }
        }
        if self.l2 != 0.0 {
            let k = self.weights();
            hv[..k].iter_mut().zip(&v[..k]).for_each(|(h, &v)| *h += self.l2 * v);
        }
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
        assert!(SoftmaxShard::from_shard(&data, 36, 0.0).is_err());
        assert!(SoftmaxShard::from_shard(&data, 37, -1.0).is_err());
        assert!(SoftmaxShard::from_shard(&data, 37, f64::NAN).is_err());
        assert!(SoftmaxShard::from_shard(&data, 37, 0.0).is_ok());
    }
}
