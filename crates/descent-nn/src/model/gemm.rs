//! The three matrix products of the network's passes, on row-major slices.
//!
//! | function | product | used for |
//! |---|---|---|
//! | [`a_bt`] | C (m×n) ← C + A (m×k) · Bᵀ (B n×k) | Z_l = A_{l−1}·W_lᵀ |
//! | [`at_b`] | C (m×n) ← C + Aᵀ (A k×m) · B (k×n) | ∂L/∂W_l = Δ_lᵀ·A_{l−1} |
//! | [`a_b`] | C (m×n) ← C + A (m×k) · B (k×n) | Δ_l·W_l |
//!
//! (`accumulate = false` overwrites C instead.) Every product goes through faer's GEMM on strided
//! views (no copies, no transposes materialised).

use faer::linalg::matmul::matmul;
use faer::{Accum, MatMut, MatRef, Par};

use super::Scalar;

fn accum(accumulate: bool) -> Accum {
    if accumulate { Accum::Add } else { Accum::Replace }
}

/// C (m×n) (+)= A (m×k) · Bᵀ, B being n×k.
pub(crate) fn a_bt<T: Scalar>(
    c: &mut [T],
    accumulate: bool,
    a: &[T],
    b: &[T],
    (m, n, k): (usize, usize, usize),
    par: Par,
) {
    matmul(
        MatMut::from_row_major_slice_mut(c, m, n),
        accum(accumulate),
        MatRef::from_row_major_slice(a, m, k),
        MatRef::from_row_major_slice(b, n, k).transpose(),
        T::one(),
        par,
    );
}

/// C (m×n) (+)= Aᵀ · B, A being k×m and B k×n.
pub(crate) fn at_b<T: Scalar>(
    c: &mut [T],
    accumulate: bool,
    a: &[T],
    b: &[T],
    (m, n, k): (usize, usize, usize),
    par: Par,
) {
    matmul(
        MatMut::from_row_major_slice_mut(c, m, n),
        accum(accumulate),
        MatRef::from_row_major_slice(a, k, m).transpose(),
        MatRef::from_row_major_slice(b, k, n),
        T::one(),
        par,
    );
}

/// C (m×n) (+)= A (m×k) · B (k×n).
pub(crate) fn a_b<T: Scalar>(
    c: &mut [T],
    accumulate: bool,
    a: &[T],
    b: &[T],
    (m, n, k): (usize, usize, usize),
    par: Par,
) {
    matmul(
        MatMut::from_row_major_slice_mut(c, m, n),
        accum(accumulate),
        MatRef::from_row_major_slice(a, m, k),
        MatRef::from_row_major_slice(b, k, n),
        T::one(),
        par,
    );
}
