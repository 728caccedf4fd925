//! Factorisations of H + τI by structure, in place on preallocated storage, and the solves
//! that use them.
//!
//! Each factorisation writes the factors of H + τI into the workspace (H itself is never
//! changed); it returns `false` (and leaves the workspace meaningless) when a pivot is ≤ `tiny`,
//! i.e. when H + τI is not numerically positive definite. Each `solve_*` overwrites its right-hand side with the
//! solution.
//!
//! | structure | factorisation | storage | flops |
//! |---|---|---|---|
//! | dense, n < [`FAER_MIN_DIM`] | Cholesky LLᵀ (row-oriented, lower triangle) | n² | n³/3 |
//! | dense, n ≥ [`FAER_MIN_DIM`] | faer's blocked Cholesky LLᵀ (column-major, lower triangle) | n² + faer's scratch | n³/3 |
//! | banded, half-bandwidth b | band Cholesky (Golub & Van Loan Alg. 4.3.5) | (b + 1)n | n(b² + 3b) |
//! | tridiagonal | LDLᵀ (the symmetric Thomas algorithm) | 2n | 3n |
//! | diagonal | the diagonal itself | n | n |
//!
//! **Why faer for large dense n.** The hand-written loop is a right-looking dot-product
//! Cholesky: every entry of L is one dot product, so it streams the trailing matrix from memory
//! once per column and runs at the speed of memory, not of the floating-point units. faer's
//! Cholesky is blocked and recursive (left-looking panels whose updates are matrix–matrix
//! products by its SIMD GEMM kernels), so it reuses each loaded block from cache many times.
//! Measured on this project's machine (one thread, the factorisation only): n = 64: 13 µs by
//! hand, 8 µs by faer; n = 200: 490 µs against 93 µs; n = 800: 42 ms against 4.1 ms. Below
//! [`FAER_MIN_DIM`] the loop wins (n = 16: 0.28 µs against 0.40 µs), as faer's set-up then
//! costs more than its blocking saves. faer runs sequentially (`Par::Seq`): with rayon on two
//! cores it was slower at every n measured (n = 400: 0.77 ms against 0.57 ms), and a solver
//! step is often itself one of several jobs sharing the machine.
//!
//! Both paths fail on the same pivots. faer refuses only pivots ≤ 0 (or NaN); after it
//! succeeds, every pivot dⱼ = Lⱼⱼ² is compared with `tiny` as the loop does, so H + τI is
//! refused exactly when some pivot is ≤ `tiny` (the pivots before the first small one are the
//! same in both, up to rounding).

use faer::dyn_stack::{MemBuffer, MemStack, StackReq};
use faer::linalg::cholesky::llt;
use faer::{MatMut, MatRef, Par};

use crate::HessianMatrix;

/// The dimension from which a dense Hessian is factorised by faer rather than by the
/// hand-written loop (measured: see the module docs; the two are within 10% at n = 32).
pub(crate) const FAER_MIN_DIM: usize = 32;

/// faer's scratch memory for its Cholesky factorisation and solve, allocated once, so that
/// a factorisation allocates nothing.
pub(crate) struct FaerScratch {
    requirement: StackReq,
    buffer: MemBuffer,
}

impl FaerScratch {
    fn new(n: usize) -> Self {
        let requirement = StackReq::any_of(&[
            llt::factor::cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default()),
            llt::solve::solve_in_place_scratch::<f64>(n, 1, Par::Seq),
        ]);
        Self { requirement, buffer: MemBuffer::new(requirement) }
    }
}

impl Clone for FaerScratch {
    fn clone(&self) -> Self {
        Self { requirement: self.requirement, buffer: MemBuffer::new(self.requirement) }
    }
}

/// Scratch memory holds nothing between calls: any two are equal.
impl PartialEq for FaerScratch {
    fn eq(&self, _other: &Self) -> bool {
        true
    }
}

impl std::fmt::Debug for FaerScratch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaerScratch").field("requirement", &self.requirement).finish()
    }
}

/// Where a factorisation lives: allocated once for a structure and dimension.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Workspace {
    /// L, n×n, lower triangle used: row-major for the hand-written loop (`faer` is `None`,
    /// n < [`FAER_MIN_DIM`]), column-major for faer. H is symmetric, so its row-major storage
    /// is also its column-major storage, and both start from a plain copy.
    Dense { n: usize, l: Vec<f64>, faer: Option<FaerScratch> },
    /// L of band Cholesky in the band layout of [`HessianMatrix::Banded`]:
    /// `l[d * n + j]` = L_{j+d, j}.
    Banded { n: usize, bandwidth: usize, l: Vec<f64> },
    /// D (`pivot`) and the sub-diagonal of the unit lower bidiagonal L (`mult`).
    Tridiagonal { pivot: Vec<f64>, mult: Vec<f64> },
    /// The diagonal of H + τI.
    Diagonal { pivot: Vec<f64> },
}

impl Workspace {
    /// Storage for factorising matrices shaped like `h`.
    pub(crate) fn for_matrix(h: &HessianMatrix) -> Self {
        match h {
            HessianMatrix::Dense { n, .. } => Self::Dense {
                n: *n,
                l: vec![0.0; n * n],
                faer: (*n >= FAER_MIN_DIM).then(|| FaerScratch::new(*n)),
            },
            HessianMatrix::Banded { n, bandwidth, .. } => {
                Self::Banded { n: *n, bandwidth: *bandwidth, l: vec![0.0; (bandwidth + 1) * n] }
            }
            HessianMatrix::Tridiagonal { diag, off } => {
                Self::Tridiagonal { pivot: vec![0.0; diag.len()], mult: vec![0.0; off.len()] }
            }
            HessianMatrix::Diagonal(diag) => Self::Diagonal { pivot: vec![0.0; diag.len()] },
        }
    }

    /// Factorises H + τI into the workspace; `false` if a pivot is ≤ `tiny`.
    ///
    /// # Panics
    /// If `h` does not have the structure and dimension the workspace was made for.
    pub(crate) fn factor(&mut self, h: &HessianMatrix, shift: f64, tiny: f64) -> bool {
        match (self, h) {
            (Self::Dense { n, l, faer }, HessianMatrix::Dense { data, .. }) => {
                l.copy_from_slice(data);
                add_to_diagonal_dense(*n, l, shift);
                match faer {
                    None => cholesky_dense(*n, l, tiny),
                    Some(scratch) => cholesky_faer(*n, l, scratch, tiny),
                }
            }
            (Self::Banded { n, bandwidth, l }, HessianMatrix::Banded { bands, .. }) => {
                l.copy_from_slice(bands);
                for a in &mut l[..*n] {
                    *a += shift;
                }
                cholesky_banded(*n, *bandwidth, l, tiny)
            }
            (Self::Tridiagonal { pivot, mult }, HessianMatrix::Tridiagonal { diag, off }) => {
                ldlt_tridiagonal(diag, off, shift, pivot, mult, tiny)
            }
            (Self::Diagonal { pivot }, HessianMatrix::Diagonal(diag)) => {
                for (p, d) in pivot.iter_mut().zip(diag) {
                    *p = d + shift;
                }
                pivot.iter().all(|&p| p > tiny)
            }
            _ => panic!("the Hessian's structure changed between iterations"),
        }
    }

    /// Overwrites `x` (the right-hand side) with the solution of (H + τI) x = rhs, using the
    /// last successful [`factor`](Self::factor).
    pub(crate) fn solve(&mut self, x: &mut [f64]) {
        match self {
            Self::Dense { n, l, faer: None } => solve_dense(*n, l, x),
            Self::Dense { n, l, faer: Some(scratch) } => {
                llt::solve::solve_in_place(
                    MatRef::from_column_major_slice(l, *n, *n),
                    MatMut::from_column_major_slice_mut(x, *n, 1),
                    Par::Seq,
                    MemStack::new(&mut scratch.buffer),
                );
            }
            Self::Banded { n, bandwidth, l } => solve_banded(*n, *bandwidth, l, x),
            Self::Tridiagonal { pivot, mult } => solve_tridiagonal(pivot, mult, x),
            Self::Diagonal { pivot } => {
                for (x, p) in x.iter_mut().zip(pivot.iter()) {
                    *x /= p;
                }
            }
        }
    }
}

/// The solve of Newton's step on its own: H + τI factorised by the Hessian's structure, in
/// storage allocated once, then solved for any right-hand side.
///
/// A pivot ≤ n·ε·‖H‖∞ counts as "not positive definite", as in [`Newton`](super::Newton).
/// Factorising allocates nothing while the structure and dimension stay those of the last
/// matrix (a matrix of another shape re-allocates the storage).
///
/// ```
/// use descent::newton::Factorization;
/// use descent::{HessianMatrix, HessianStructure};
/// // H = tridiag(−1, 2, −1), n = 3; solve H x = (1, 0, 1): x = (1, 1, 1).
/// let mut h = HessianMatrix::zeros(HessianStructure::Tridiagonal, 3);
/// for i in 0..3 {
///     h.set(i, i, 2.0);
/// }
/// h.set(0, 1, -1.0);
/// h.set(1, 2, -1.0);
/// let mut factorization = Factorization::new(&h);
/// assert!(factorization.factor(&h, 0.0));
/// let mut x = [1.0, 0.0, 1.0];
/// assert!(factorization.solve(&mut x)?);
/// assert!(x.iter().all(|v| (v - 1.0).abs() < 1e-15));
/// # Ok::<(), descent::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Factorization {
    work: Workspace,
    structure: crate::HessianStructure,
    n: usize,
    factored: bool,
}

impl Factorization {
    /// Storage for factorising matrices shaped like `h` (its structure and dimension).
    #[must_use]
    pub fn new(h: &HessianMatrix) -> Self {
        Self {
            work: Workspace::for_matrix(h),
            structure: h.structure(),
            n: h.dim(),
            factored: false,
        }
    }

    /// Factorises H + `shift`·I; `false` when it is not numerically positive definite (a pivot
    /// ≤ n·ε·‖H‖∞, or a NaN), after which [`solve`](Self::solve) refuses to run.
    pub fn factor(&mut self, h: &HessianMatrix, shift: f64) -> bool {
        if (h.structure(), h.dim()) != (self.structure, self.n) {
            *self = Self::new(h);
        }
        let (norm, _) = super::modified::norm_inf_and_min_diagonal(h);
        let tiny = self.n.max(1) as f64 * f64::EPSILON * norm;
        self.factored = norm.is_finite() && shift.is_finite() && self.work.factor(h, shift, tiny);
        self.factored
    }

    /// Overwrites `x` with (H + τI)⁻¹x from the last [`factor`](Self::factor) and returns
    /// `true`; returns `false`, leaving `x` as it was, if that factorisation failed (or none
    /// was made).
    ///
    /// # Errors
    /// [`Error::DimensionMismatch`](crate::Error::DimensionMismatch) if `x` does not have the
    /// matrix's dimension.
    pub fn solve(&mut self, x: &mut [f64]) -> crate::Result<bool> {
        if x.len() != self.n {
            return Err(crate::Error::DimensionMismatch {
                what: "right-hand side of a factorisation",
                expected: self.n,
                got: x.len(),
            });
        }
        if self.factored {
            self.work.solve(x);
        }
        Ok(self.factored)
    }
}

fn add_to_diagonal_dense(n: usize, a: &mut [f64], shift: f64) {
    for i in 0..n {
        a[i * n + i] += shift;
    }
}

/// Cholesky A = LLᵀ in place on the row-major n×n `a` (lower triangle read and overwritten
/// by L; the upper triangle is left as it was). `false` if a pivot is ≤ `tiny`.
pub(crate) fn cholesky_dense(n: usize, a: &mut [f64], tiny: f64) -> bool {
    for j in 0..n {
        // L_jj = √(A_jj − Σ_{k<j} L_jk²)
        let row_j = &mut a[j * n..(j + 1) * n];
        let pivot = row_j[j] - row_j[..j].iter().map(|l| l * l).sum::<f64>();
        if !(pivot > tiny) {
            return false;
        }
        let ljj = pivot.sqrt();
        row_j[j] = ljj;
        // L_ij = (A_ij − Σ_{k<j} L_ik L_jk) / L_jj for i > j
        let (upto, below) = a.split_at_mut((j + 1) * n);
        let row_j = &upto[j * n..j * n + j];
        for row_i in below.chunks_exact_mut(n) {
            let s: f64 = row_i[..j].iter().zip(row_j).map(|(a, b)| a * b).sum();
            row_i[j] = (row_i[j] - s) / ljj;
        }
    }
    true
}

/// Cholesky A = LLᵀ by faer, in place on the column-major n×n `a` (lower triangle read and
/// overwritten by L). `false` if a pivot Lⱼⱼ² is ≤ `tiny` (see the module docs).
pub(crate) fn cholesky_faer(n: usize, a: &mut [f64], scratch: &mut FaerScratch, tiny: f64) -> bool {
    let factored = llt::factor::cholesky_in_place(
        MatMut::from_column_major_slice_mut(a, n, n),
        llt::factor::LltRegularization::default(),
        Par::Seq,
        MemStack::new(&mut scratch.buffer),
        Default::default(),
    );
    // faer stopped at a pivot ≤ 0 or NaN; else every pivot must also exceed `tiny`.
    factored.is_ok() && (0..n).all(|j| a[j * n + j] * a[j * n + j] > tiny)
}

/// Solves LLᵀ x = b in place, L from [`cholesky_dense`].
pub(crate) fn solve_dense(n: usize, l: &[f64], x: &mut [f64]) {
    for i in 0..n {
        let row = &l[i * n..i * n + i];
        let s: f64 = row.iter().zip(&x[..i]).map(|(a, b)| a * b).sum();
        x[i] = (x[i] - s) / l[i * n + i];
    }
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..n {
            s -= l[k * n + i] * x[k];
        }
        x[i] = s / l[i * n + i];
    }
}

/// Band Cholesky in place on band storage `a[d * n + j]` = A_{j+d, j} (d ≤ b): overwritten
/// by L in the same layout (Golub & Van Loan, *Matrix Computations*, 4th ed., Alg. 4.3.5).
/// `false` if a pivot is ≤ `tiny`.
pub(crate) fn cholesky_banded(n: usize, b: usize, a: &mut [f64], tiny: f64) -> bool {
    let b = b.min(n.saturating_sub(1));
    let at = |i: usize, j: usize| (i - j) * n + j; // L_ij, i ≥ j, i − j ≤ b
    for j in 0..n {
        let lo = j.saturating_sub(b);
        let mut pivot = a[at(j, j)];
        for k in lo..j {
            pivot -= a[at(j, k)] * a[at(j, k)];
        }
        if !(pivot > tiny) {
            return false;
        }
        let ljj = pivot.sqrt();
        a[at(j, j)] = ljj;
        for i in j + 1..(j + b + 1).min(n) {
            let mut s = a[at(i, j)];
            for k in i.saturating_sub(b)..j {
                s -= a[at(i, k)] * a[at(j, k)];
            }
            a[at(i, j)] = s / ljj;
        }
    }
    true
}

/// Solves LLᵀ x = b in place, L from [`cholesky_banded`].
pub(crate) fn solve_banded(n: usize, b: usize, l: &[f64], x: &mut [f64]) {
    let b = b.min(n.saturating_sub(1));
    let at = |i: usize, j: usize| (i - j) * n + j;
    for i in 0..n {
        let mut s = x[i];
        for k in i.saturating_sub(b)..i {
            s -= l[at(i, k)] * x[k];
        }
        x[i] = s / l[at(i, i)];
    }
    for i in (0..n).rev() {
        let mut s = x[i];
        for k in i + 1..(i + b + 1).min(n) {
            s -= l[at(k, i)] * x[k];
        }
        x[i] = s / l[at(i, i)];
    }
}

/// LDLᵀ of the tridiagonal matrix with diagonal `diag` + `shift` and off-diagonal `off`, in
/// one pass that writes D into `pivot` and the sub-diagonal of L into `mult` (the copy of H + τI
/// is never made: at n = 10⁷ every pass over memory counts). `false` if a pivot is ≤ `tiny`.
pub(crate) fn ldlt_tridiagonal(
    diag: &[f64],
    off: &[f64],
    shift: f64,
    pivot: &mut [f64],
    mult: &mut [f64],
    tiny: f64,
) -> bool {
    let mut previous = 0.0;
    for i in 0..diag.len() {
        let mut d = diag[i] + shift;
        if i > 0 {
            // dᵢ = aᵢ − lᵢ₋₁ eᵢ₋₁ with lᵢ₋₁ = eᵢ₋₁/dᵢ₋₁
            let e = off[i - 1];
            let l = e / previous;
            mult[i - 1] = l;
            d -= l * e;
        }
        if !(d > tiny) {
            return false;
        }
        pivot[i] = d;
        previous = d;
    }
    true
}

/// Solves LDLᵀ x = b in place, the factors from [`ldlt_tridiagonal`]: L z = b and D y = z in
/// one forward pass, Lᵀ x = y in one backward pass.
pub(crate) fn solve_tridiagonal(pivot: &[f64], mult: &[f64], x: &mut [f64]) {
    let n = pivot.len();
    let mut z = 0.0;
    for i in 0..n {
        z = if i > 0 { x[i] - mult[i - 1] * z } else { x[i] };
        x[i] = z / pivot[i];
    }
    for i in (0..n.saturating_sub(1)).rev() {
        x[i] -= mult[i] * x[i + 1];
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::HessianStructure;

    /// A deterministic pseudo-random number in [−1, 1).
    fn noise(state: &mut u64) -> f64 {
        *state =
            state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        (*state >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }

    /// A random SPD matrix of the structure: random entries in the band, then a diagonal that
    /// dominates each row (so SPD by Gershgorin), plus one.
    fn random_spd(structure: HessianStructure, n: usize, seed: u64) -> HessianMatrix {
        let mut state = seed;
        let mut h = HessianMatrix::zeros(structure, n);
        let mut row_sums = vec![0.0; n];
        for i in 0..n {
            for j in i + 1..n {
                if h.contains(i, j) {
                    let v = noise(&mut state);
                    h.set(i, j, v);
                    row_sums[i] += v.abs();
                    row_sums[j] += v.abs();
                }
            }
        }
        for (i, s) in row_sums.iter().enumerate() {
            h.set(i, i, s + 1.0 + noise(&mut state).abs());
        }
        h
    }

    /// Naive reference: Gaussian elimination with partial pivoting on the dense copy.
    fn dense_reference(h: &HessianMatrix, rhs: &[f64]) -> Vec<f64> {
        let n = h.dim();
        let mut a = h.to_dense();
        let mut x = rhs.to_vec();
        for k in 0..n {
            let p =
                (k..n).max_by(|&i, &j| a[i * n + k].abs().total_cmp(&a[j * n + k].abs())).unwrap();
            for c in 0..n {
                a.swap(k * n + c, p * n + c);
            }
            x.swap(k, p);
            for i in k + 1..n {
                let m = a[i * n + k] / a[k * n + k];
                for c in k..n {
                    a[i * n + c] -= m * a[k * n + c];
                }
                x[i] -= m * x[k];
            }
        }
        for i in (0..n).rev() {
            let s: f64 = (i + 1..n).map(|c| a[i * n + c] * x[c]).sum();
            x[i] = (x[i] - s) / a[i * n + i];
        }
        x
    }

    /// Relative agreement between two solutions of a well-conditioned system.
    const SAME_SOLUTION: f64 = 1e-12;

    #[test]
    fn every_structure_solves_like_dense_elimination() {
        for (structure, n) in [
            (HessianStructure::Banded { bandwidth: 3 }, 40),
            (HessianStructure::Banded { bandwidth: 1 }, 17),
            (HessianStructure::Banded { bandwidth: 10 }, 8),
            (HessianStructure::Banded { bandwidth: 0 }, 5),
            (HessianStructure::Dense, 30),
            (HessianStructure::Dense, FAER_MIN_DIM),
            (HessianStructure::Dense, 70),
            (HessianStructure::Tridiagonal, 50),
            (HessianStructure::Diagonal, 9),
        ] {
            for seed in 0..5 {
                let h = random_spd(structure, n, seed);
                let mut state = seed + 100;
                let rhs: Vec<f64> = (0..n).map(|_| noise(&mut state)).collect();
                let expect = dense_reference(&h, &rhs);
                let mut work = Workspace::for_matrix(&h);
                // A dirty workspace must not matter: factor overwrites all it reads.
                match &mut work {
                    Workspace::Dense { l, .. } | Workspace::Banded { l, .. } => l.fill(f64::NAN),
                    Workspace::Tridiagonal { pivot, mult } => {
                        pivot.fill(f64::NAN);
                        mult.fill(f64::NAN);
                    }
                    Workspace::Diagonal { pivot } => pivot.fill(f64::NAN),
                }
                assert!(work.factor(&h, 0.0, 0.0), "{structure:?} n = {n}: SPD");
                let mut x = rhs.clone();
                work.solve(&mut x);
                let scale = expect.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                for (a, b) in x.iter().zip(&expect) {
                    assert!((a - b).abs() <= SAME_SOLUTION * scale, "{structure:?} n = {n}");
                }
            }
        }
    }

    #[test]
    fn banded_cholesky_equals_dense_cholesky() {
        let (n, b) = (25, 4);
        let h = random_spd(HessianStructure::Banded { bandwidth: b }, n, 7);
        let mut dense = h.to_dense();
        assert!(cholesky_dense(n, &mut dense, 0.0));
        let HessianMatrix::Banded { bands, .. } = &h else { unreachable!() };
        let mut band = bands.clone();
        assert!(cholesky_banded(n, b, &mut band, 0.0));
        for j in 0..n {
            for i in j..n {
                let banded = if i - j <= b { band[(i - j) * n + j] } else { 0.0 };
                assert!((dense[i * n + j] - banded).abs() <= 1e-12, "L[{i}][{j}]");
            }
        }
    }

    #[test]
    fn an_indefinite_matrix_is_refused_and_a_shift_repairs_it() {
        for structure in [
            HessianStructure::Dense,
            HessianStructure::Banded { bandwidth: 2 },
            HessianStructure::Tridiagonal,
            HessianStructure::Diagonal,
        ] {
            for n in [6, FAER_MIN_DIM + 8] {
                let mut h = random_spd(structure, n, 3);
                h.set(3, 3, -5.0);
                let mut work = Workspace::for_matrix(&h);
                assert!(!work.factor(&h, 0.0, 0.0), "{structure:?} n = {n}");
                assert!(work.factor(&h, 100.0, 0.0), "{structure:?} n = {n}");
            }
        }
    }

    #[test]
    fn the_public_factorization_checks_what_it_is_given() {
        let h = random_spd(HessianStructure::Tridiagonal, 5, 1);
        let mut f = Factorization::new(&h);
        let mut x = [1.0; 5];
        assert!(!f.solve(&mut x).unwrap(), "nothing factorised yet");
        assert_eq!(x, [1.0; 5]);
        assert!(matches!(
            f.solve(&mut [1.0; 4]),
            Err(crate::Error::DimensionMismatch { expected: 5, got: 4, .. })
        ));
        assert!(!f.factor(&h, -1e3), "H − 1000·I is indefinite");
        assert!(!f.solve(&mut x).unwrap());
        // Another structure and size: the storage follows, and the solve is elimination's.
        let dense = random_spd(HessianStructure::Dense, 40, 2);
        assert!(f.factor(&dense, 0.0));
        let rhs: Vec<f64> = (0..40).map(|i| (i as f64).sin()).collect();
        let mut x = rhs.clone();
        assert!(f.solve(&mut x).unwrap());
        let expect = dense_reference(&dense, &rhs);
        assert!(x.iter().zip(&expect).all(|(a, b)| (a - b).abs() <= SAME_SOLUTION * 10.0));
        assert!(!f.factor(&dense, f64::NAN));
    }

    /// L (row-major, lower) from the hand-written loop and L (column-major, lower) from faer.
    fn both_cholesky(n: usize, a: &[f64], tiny: f64) -> (Option<Vec<f64>>, Option<Vec<f64>>) {
        let mut hand = a.to_vec();
        let hand = cholesky_dense(n, &mut hand, tiny).then_some(hand);
        let mut by_faer = a.to_vec();
        let mut scratch = FaerScratch::new(n);
        let by_faer = cholesky_faer(n, &mut by_faer, &mut scratch, tiny).then_some(by_faer);
        (hand, by_faer)
    }

    /// faer's factor equals the loop's on random SPD matrices, entry by entry, to within
    /// 8·n·ε·max|L| (the forward error of Cholesky on a well-conditioned matrix, Higham
    /// Thm. 10.3, scaled as faer's own tests scale theirs); `factor`/`solve` with a dirty
    /// workspace then solve like elimination (checked above at n ≥ `FAER_MIN_DIM`).
    #[test]
    fn faer_cholesky_equals_the_hand_written_one() {
        for n in [1, 2, FAER_MIN_DIM - 1, FAER_MIN_DIM, 65, 130] {
            for seed in 0..3 {
                let h = random_spd(HessianStructure::Dense, n, 40 + seed);
                let (Some(hand), Some(by_faer)) = both_cholesky(n, &h.to_dense(), 0.0) else {
                    panic!("n = {n}: SPD, both must factor");
                };
                let scale = hand.iter().fold(0.0f64, |m, v| m.max(v.abs()));
                let tolerance = 8.0 * n as f64 * f64::EPSILON * scale;
                for i in 0..n {
                    for j in 0..=i {
                        let (a, b) = (hand[i * n + j], by_faer[j * n + i]);
                        assert!((a - b).abs() <= tolerance, "n = {n} L[{i}][{j}]: {a} vs {b}");
                    }
                }
            }
        }
    }

    /// A pivot in (0, tiny] is refused by both paths, also when it is not the last one (faer
    /// itself only refuses pivots ≤ 0 and would go on), and accepted by both below it.
    #[test]
    fn faer_and_the_loop_refuse_the_same_small_pivot() {
        let n = 2 * FAER_MIN_DIM;
        let k = n / 3;
        let delta: f64 = 1e-9;
        // A = LLᵀ with L unit lower triangular but L_kk = √δ: pivot k is δ.
        let mut state = 9;
        let mut l = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..i {
                l[i * n + j] = 0.1 * noise(&mut state);
            }
            l[i * n + i] = if i == k { delta.sqrt() } else { 1.0 };
        }
        let mut a = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                a[i * n + j] = (0..n).map(|c| l[i * n + c] * l[j * n + c]).sum();
            }
        }
        for (tiny, accept) in [(2.0 * delta, false), (0.5 * delta, true)] {
            let (hand, by_faer) = both_cholesky(n, &a, tiny);
            assert_eq!(hand.is_some(), accept, "loop, tiny = {tiny}");
            assert_eq!(by_faer.is_some(), accept, "faer, tiny = {tiny}");
        }
    }
}
