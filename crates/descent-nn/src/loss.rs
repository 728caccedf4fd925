//! Softmax cross-entropy over a batch of logits, with its gradient p − y.
//!
//! # The loss
//! A classifier with K classes gives each example a row of logits z ∈ ℝᴷ. The softmax turns
//! them into probabilities and the cross-entropy scores them against a target distribution ỹ:
//!
//! ```text
//! p_k = exp(z_k) / Σ_j exp(z_j)                     (softmax)
//! ℓ(z, ỹ) = −Σ_k ỹ_k log p_k                        (cross-entropy)
//! ỹ = (1 − ε)·y + ε/K                               (label smoothing; ε = 0: ỹ = y one-hot)
//! L = (1/B) Σ_rows ℓ                                (mean over the batch of B rows)
//! ```
//!
//! # The gradient is p − ỹ
//! log p_k = z_k − lse(z) with lse(z) = log Σ_j exp(z_j), and ∂lse/∂z_i = exp(z_i)/Σ_j exp(z_j)
//! = p_i. Hence ∂(log p_k)/∂z_i = δ_ki − p_i and
//!
//! ```text
//! ∂ℓ/∂z_i = −Σ_k ỹ_k (δ_ki − p_i) = −ỹ_i + p_i·Σ_k ỹ_k = p_i − ỹ_i,
//! ```
//!
//! because ỹ sums to one (also with smoothing: (1 − ε) + K·ε/K = 1). Each logit moves by how
//! much more probability it claimed than the target gives it. The batch mean divides by B:
//! ∂L/∂z = (p − ỹ)/B, which is what [`softmax_cross_entropy`] writes.
//!
//! # Stability
//! exp(z_k) overflows for z_k > 88 in f32, so the log-sum-exp is shifted by the row's maximum
//! m: lse(z) = m + log Σ_j exp(z_j − m), every exponent ≤ 0 and the largest term is 1 (the
//! sum lies in [1, K]). Logits of 10⁴ give finite losses and gradients. The loss is written
//! as ℓ = lse(z) − Σ_k ỹ_k z_k (using Σ ỹ_k = 1), the sum of each row is accumulated in f64.
//!
//! # Symbols
//! | symbol | meaning |
//! |---|---|
//! | B | rows in the batch (`labels.len()`) |
//! | K | classes (`classes`) |
//! | z | logits, row-major B × K (`logits`) |
//! | y | one-hot label of a row (`labels[r]`) |
//! | ε | label smoothing (`smoothing`, default 0 = plain cross-entropy) |
//!
//! # Deviations
//! Matches PyTorch's `F.cross_entropy(z, y, label_smoothing=ε)` with its default mean
//! reduction (same ỹ = (1 − ε)·y + ε/K).
//!
//! # References
//! - Bridle (1990), *Probabilistic interpretation of feedforward classification network
//!   outputs, with relationships to statistical pattern recognition* (the softmax).
//! - Goodfellow, Bengio & Courville (2016), *Deep Learning*, §6.2.2.3 (softmax units) and
//!   §4.1 (log-sum-exp stabilisation).
//! - Szegedy et al. (2016), *Rethinking the Inception Architecture for Computer Vision*, §7
//!   (label smoothing).
//!
//! # Example
//! ```
//! use descent_nn::loss::softmax_cross_entropy;
//! // One row, three classes, equal logits: p = (1/3, 1/3, 1/3), true class 0.
//! let mut grad = [0.0; 3];
//! let loss = softmax_cross_entropy(&[0.0, 0.0, 0.0], &[0], 3, 0.0, &mut grad).unwrap();
//! assert!((loss - 3.0f64.ln()).abs() < 1e-15);
//! assert!((grad[0] - (1.0 / 3.0 - 1.0)).abs() < 1e-15); // p − y
//! assert!((grad[1] - 1.0 / 3.0).abs() < 1e-15);
//! ```

use descent::first_order::Real;

use crate::{Error, Result};

/// Mean softmax cross-entropy of a batch of logits (row-major, `labels.len()` × `classes`),
/// with label smoothing `smoothing` (ε; 0 for none). Writes ∂L/∂z = (p − ỹ)/B into `grad`
/// (same shape as `logits`) and returns L. See the [module docs](self) for the equations.
///
/// # Errors
/// [`Error::DimensionMismatch`] when `logits` or `grad` is not `labels.len()·classes` long or
/// the batch is empty; [`Error::InvalidHyperparameter`] for `classes` = 0 or ε outside [0, 1);
/// [`Error::LabelOutOfRange`] for a label ≥ `classes`.
///
/// # Panics
/// Never.
pub fn softmax_cross_entropy<T: Real>(
    logits: &[T],
    labels: &[usize],
    classes: usize,
    smoothing: T,
    grad: &mut [T],
) -> Result<T> {
    check(logits, labels, classes, smoothing)?;
    if grad.len() != logits.len() {
        return Err(Error::DimensionMismatch {
            what: "gradient of the logits",
            expected: logits.len(),
            got: grad.len(),
        });
    }
    let batch = labels.len();
    let eps = smoothing.as_f64();
    let off_target = eps / classes as f64; // ε/K
    let on_target = 1.0 - eps + off_target; // (1 − ε) + ε/K
    let inv_batch = 1.0 / batch as f64;
    let mut total = 0.0f64;
    for ((z, g), &label) in
        logits.chunks_exact(classes).zip(grad.chunks_exact_mut(classes)).zip(labels)
    {
        let m = row_max(z);
        // Σ_j exp(z_j − m), written to g as the unnormalised probabilities.
        let mut s = 0.0f64;
        for (g, &zk) in g.iter_mut().zip(z) {
            let e = (zk.as_f64() - m).exp();
            *g = T::of(e);
            s += e;
        }
        let lse = m + s.ln();
        // ℓ = lse − Σ_k ỹ_k z_k.
        let mut target_dot_z = 0.0f64;
        for (k, &zk) in z.iter().enumerate() {
            let yk = if k == label { on_target } else { off_target };
            target_dot_z += yk * zk.as_f64();
        }
        total += lse - target_dot_z;
        // ∂L/∂z_k = (p_k − ỹ_k)/B.
        let inv_s = 1.0 / s;
        for (k, g) in g.iter_mut().enumerate() {
            let yk = if k == label { on_target } else { off_target };
            *g = T::of((g.as_f64() * inv_s - yk) * inv_batch);
        }
    }
    Ok(T::of(total * inv_batch))
}

/// The mean softmax cross-entropy alone (no gradient); see [`softmax_cross_entropy`].
///
/// # Errors
/// As [`softmax_cross_entropy`].
pub fn softmax_cross_entropy_value<T: Real>(
    logits: &[T],
    labels: &[usize],
    classes: usize,
    smoothing: T,
) -> Result<T> {
    check(logits, labels, classes, smoothing)?;
    let eps = smoothing.as_f64();
    let off_target = eps / classes as f64;
    let on_target = 1.0 - eps + off_target;
    let mut total = 0.0f64;
    for (z, &label) in logits.chunks_exact(classes).zip(labels) {
        let m = row_max(z);
        let s: f64 = z.iter().map(|&zk| (zk.as_f64() - m).exp()).sum();
        let target_dot_z: f64 = z
            .iter()
            .enumerate()
            .map(|(k, &zk)| if k == label { on_target } else { off_target } * zk.as_f64())
            .sum();
        total += m + s.ln() - target_dot_z;
    }
    Ok(T::of(total / labels.len() as f64))
}

/// The row's largest logit (NaN-propagating enough: a NaN row gives a NaN loss).
fn row_max<T: Real>(z: &[T]) -> f64 {
    z.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v.as_f64()))
}

fn check<T: Real>(logits: &[T], labels: &[usize], classes: usize, smoothing: T) -> Result<()> {
    if classes == 0 {
        return Err(Error::InvalidHyperparameter {
            name: "classes",
            value: 0.0,
            valid: "at least 1",
        });
    }
    let eps = smoothing.as_f64();
    if !(0.0..1.0).contains(&eps) {
        return Err(Error::InvalidHyperparameter {
            name: "label smoothing",
            value: eps,
            valid: "in [0, 1)",
        });
    }
    if labels.is_empty() {
        return Err(Error::DimensionMismatch { what: "labels in the batch", expected: 1, got: 0 });
    }
    if logits.len() != labels.len() * classes {
        return Err(Error::DimensionMismatch {
            what: "logits (batch × classes)",
            expected: labels.len() * classes,
            got: logits.len(),
        });
    }
    if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| l >= classes) {
        return Err(Error::LabelOutOfRange { index, label, classes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;

    const EXACT: f64 = 1e-12;

    #[test]
    fn gradient_is_p_minus_y_by_hand() {
        // Row 1: z = (ln 1, ln 2, ln 3) → p = (1/6, 2/6, 3/6), label 2.
        // Row 2: z = (ln 1, ln 1, ln 2) → p = (1/4, 1/4, 1/2), label 0.
        let logits = [0.0, 2f64.ln(), 3f64.ln(), 0.0, 0.0, 2f64.ln()];
        let mut grad = [0.0; 6];
        let loss = softmax_cross_entropy(&logits, &[2, 0], 3, 0.0, &mut grad).unwrap();
        // Mean of −ln(1/2) and −ln(1/4).
        assert_abs_diff_eq!(loss, 0.5 * (2f64.ln() + 4f64.ln()), epsilon = EXACT);
        let expected = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0 - 1.0, 0.25 - 1.0, 0.25, 0.5];
        for (g, e) in grad.iter().zip(expected) {
            assert_abs_diff_eq!(*g, e / 2.0, epsilon = EXACT);
        }
        // Each row's gradient sums to zero: Σ p = Σ y = 1.
        assert_abs_diff_eq!(grad[..3].iter().sum::<f64>(), 0.0, epsilon = EXACT);
    }

    #[test]
    fn gradient_matches_central_differences() {
        let logits: Vec<f64> = (0..12).map(|i| ((i * 7 % 5) as f64 - 2.0) * 0.7).collect();
        let labels = [1, 3, 0];
        for eps in [0.0, 0.1] {
            let mut grad = vec![0.0; 12];
            softmax_cross_entropy(&logits, &labels, 4, eps, &mut grad).unwrap();
            let h = 1e-5;
            for i in 0..12 {
                let mut zp = logits.clone();
                zp[i] += h;
                let mut zm = logits.clone();
                zm[i] -= h;
                let fp = softmax_cross_entropy_value(&zp, &labels, 4, eps).unwrap();
                let fm = softmax_cross_entropy_value(&zm, &labels, 4, eps).unwrap();
                assert_abs_diff_eq!(grad[i], (fp - fm) / (2.0 * h), epsilon = 1e-9);
            }
        }
    }

    #[test]
    fn huge_logits_stay_finite() {
        // z = (1e4, 0, −1e4), label 1: p ≈ (1, 0, 0), ℓ = lse − z_1 = 1e4 (to within e^−1e4).
        let mut grad = [0.0f64; 3];
        let loss = softmax_cross_entropy(&[1e4, 0.0, -1e4], &[1], 3, 0.0, &mut grad).unwrap();
        assert_abs_diff_eq!(loss, 1e4, epsilon = 1e-9);
        assert_eq!(grad, [1.0, -1.0, 0.0]);
        let mut grad32 = [0.0f32; 3];
        let loss32 =
            softmax_cross_entropy(&[1e4f32, 0.0, -1e4], &[0], 3, 0.0, &mut grad32).unwrap();
        assert!(loss32.is_finite() && loss32.abs() < 1e-6);
        assert!(grad32.iter().all(|g| g.is_finite()));
        // The value-only path agrees.
        let v = softmax_cross_entropy_value(&[1e4, 0.0, -1e4], &[1], 3, 0.0).unwrap();
        assert_abs_diff_eq!(v, 1e4, epsilon = 1e-9);
    }

    #[test]
    fn label_smoothing_by_hand() {
        // K = 2, z = (0, 0): p = (1/2, 1/2) whatever ε; ỹ = (1 − ε/2, ε/2) for label 0.
        // ℓ = −Σ ỹ log p = ln 2; gradient (1/2 − (1 − ε/2), 1/2 − ε/2) = (−(1 − ε)/2, (1 − ε)/2).
        let eps = 0.2;
        let mut grad = [0.0; 2];
        let loss = softmax_cross_entropy(&[0.0, 0.0], &[0], 2, eps, &mut grad).unwrap();
        assert_abs_diff_eq!(loss, 2f64.ln(), epsilon = EXACT);
        assert_abs_diff_eq!(grad[0], -0.4, epsilon = EXACT);
        assert_abs_diff_eq!(grad[1], 0.4, epsilon = EXACT);
        // K = 3, z = (ln 2, 0, 0): p = (1/2, 1/4, 1/4); ε = 0.3 → ỹ = (0.8, 0.1, 0.1) for label 0.
        // ℓ = −0.8 ln(1/2) − 0.2 ln(1/4) = 0.8 ln 2 + 0.4 ln 2 = 1.2 ln 2.
        let mut grad = [0.0; 3];
        let loss = softmax_cross_entropy(&[2f64.ln(), 0.0, 0.0], &[0], 3, 0.3, &mut grad).unwrap();
        assert_abs_diff_eq!(loss, 1.2 * 2f64.ln(), epsilon = EXACT);
        for (g, e) in grad.iter().zip([0.5 - 0.8, 0.25 - 0.1, 0.25 - 0.1]) {
            assert_abs_diff_eq!(*g, e, epsilon = EXACT);
        }
    }

    #[test]
    fn bad_input_gives_typed_errors() {
        let mut g = [0.0; 3];
        assert!(matches!(
            softmax_cross_entropy(&[0.0; 3], &[3], 3, 0.0, &mut g),
            Err(Error::LabelOutOfRange { index: 0, label: 3, classes: 3 })
        ));
        assert!(matches!(
            softmax_cross_entropy(&[0.0; 3], &[0], 3, 1.0, &mut g),
            Err(Error::InvalidHyperparameter { .. })
        ));
        assert!(matches!(
            softmax_cross_entropy(&[0.0; 4], &[0], 3, 0.0, &mut g),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(matches!(
            softmax_cross_entropy(&[0.0; 3], &[0], 3, 0.0, &mut g[..2]),
            Err(Error::DimensionMismatch { .. })
        ));
        assert!(softmax_cross_entropy::<f64>(&[], &[], 3, 0.0, &mut []).is_err());
    }
}
