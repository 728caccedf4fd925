//! Hessians as structures: the structure decides the cost of a Newton solve
//! (dense O(n³), banded O(n·b²), tridiagonal and diagonal O(n)).

use serde::{Deserialize, Serialize};

/// The sparsity pattern of a symmetric Hessian.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HessianStructure {
    /// Every entry may be non-zero.
    Dense,
    /// Only H_ii and H_{i,i±1}.
    Tridiagonal,
    /// Only entries with |i − j| ≤ `bandwidth`.
    Banded {
        /// The half-bandwidth b (1 is tridiagonal).
        bandwidth: usize,
    },
    /// Only H_ii.
    Diagonal,
}

impl HessianStructure {
    /// The half-bandwidth: the largest |i − j| of a structurally non-zero entry for dimension `n`.
    #[must_use]
    pub fn bandwidth(self, n: usize) -> usize {
        match self {
            Self::Dense => n.saturating_sub(1),
            Self::Tridiagonal => 1.min(n.saturating_sub(1)),
            Self::Banded { bandwidth } => bandwidth.min(n.saturating_sub(1)),
            Self::Diagonal => 0,
        }
    }

    /// A short name for tables: `dense`, `tridiagonal`, `banded(b)`, `diagonal`.
    #[must_use]
    pub fn name(self) -> String {
        match self {
            Self::Dense => "dense".into(),
            Self::Tridiagonal => "tridiagonal".into(),
            Self::Banded { bandwidth } => format!("banded({bandwidth})"),
            Self::Diagonal => "diagonal".into(),
        }
    }
}

/// A symmetric matrix stored in the layout its structure calls for.
///
/// Entries outside the structure are zero and cannot be set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum HessianMatrix {
    /// Full n×n storage, row-major, both triangles kept equal.
    Dense {
        /// Dimension.
        n: usize,
        /// `data[i * n + j]` = H_ij.
        data: Vec<f64>,
    },
    /// Main diagonal and first off-diagonal.
    Tridiagonal {
        /// H_ii, length n.
        diag: Vec<f64>,
        /// H_{i,i+1} = H_{i+1,i}, length n − 1 (0 when n = 0).
        off: Vec<f64>,
    },
    /// Diagonals 0..=bandwidth, each stored in a row of length n.
    Banded {
        /// Dimension.
        n: usize,
        /// Half-bandwidth b.
        bandwidth: usize,
        /// `bands[d * n + i]` = H_{i,i+d} for i < n − d; the tail of each row is unused (0).
        bands: Vec<f64>,
    },
    /// Diagonal entries only.
    Diagonal(Vec<f64>),
}

impl HessianMatrix {
    /// A zero matrix of dimension `n` with the given structure.
    #[must_use]
    pub fn zeros(structure: HessianStructure, n: usize) -> Self {
        match structure {
            HessianStructure::Dense => Self::Dense { n, data: vec![0.0; n * n] },
            HessianStructure::Tridiagonal => {
                Self::Tridiagonal { diag: vec![0.0; n], off: vec![0.0; n.saturating_sub(1)] }
            }
            HessianStructure::Banded { bandwidth } => {
                Self::Banded { n, bandwidth, bands: vec![0.0; (bandwidth + 1) * n] }
            }
            HessianStructure::Diagonal => Self::Diagonal(vec![0.0; n]),
        }
    }

    /// The dimension n.
    #[must_use]
    pub fn dim(&self) -> usize {
        match self {
            Self::Dense { n, .. } | Self::Banded { n, .. } => *n,
            Self::Tridiagonal { diag, .. } | Self::Diagonal(diag) => diag.len(),
        }
    }

    /// The structure this matrix is stored in.
    #[must_use]
    pub fn structure(&self) -> HessianStructure {
        match self {
            Self::Dense { .. } => HessianStructure::Dense,
            Self::Tridiagonal { .. } => HessianStructure::Tridiagonal,
            Self::Banded { bandwidth, .. } => HessianStructure::Banded { bandwidth: *bandwidth },
            Self::Diagonal(_) => HessianStructure::Diagonal,
        }
    }

    /// Whether (i, j) lies inside the structure.
    #[must_use]
    pub fn contains(&self, i: usize, j: usize) -> bool {
        let n = self.dim();
        i < n && j < n && i.abs_diff(j) <= self.structure().bandwidth(n)
    }

    /// H_ij (zero outside the structure).
    ///
    /// # Panics
    /// If `i` or `j` is not below the dimension.
    #[must_use]
    pub fn get(&self, i: usize, j: usize) -> f64 {
        let n = self.dim();
        assert!(i < n && j < n, "index ({i}, {j}) out of range for dimension {n}");
        if !self.contains(i, j) {
            return 0.0;
        }
        let (lo, hi) = (i.min(j), i.max(j));
        match self {
            Self::Dense { data, .. } => data[i * n + j],
            Self::Tridiagonal { diag, off } => {
                if lo == hi {
                    diag[lo]
                } else {
                    off[lo]
                }
            }
            Self::Banded { bands, .. } => bands[(hi - lo) * n + lo],
            Self::Diagonal(diag) => diag[lo],
        }
    }

    /// Sets H_ij = H_ji = `value`.
    ///
    /// # Panics
    /// If (i, j) lies outside the structure: that is a bug in the objective that declared it.
    pub fn set(&mut self, i: usize, j: usize, value: f64) {
        assert!(
            self.contains(i, j),
            "Hessian entry ({i}, {j}) lies outside the {} structure",
            self.structure().name()
        );
        let n = self.dim();
        let (lo, hi) = (i.min(j), i.max(j));
        match self {
            Self::Dense { data, .. } => {
                data[i * n + j] = value;
                data[j * n + i] = value;
            }
            Self::Tridiagonal { diag, off } => {
                if lo == hi {
                    diag[lo] = value;
                } else {
                    off[lo] = value;
                }
            }
            Self::Banded { bands, .. } => bands[(hi - lo) * n + lo] = value,
            Self::Diagonal(diag) => diag[lo] = value,
        }
    }

    /// Sets every entry to zero, keeping the structure.
    pub fn fill_zero(&mut self) {
        match self {
            Self::Dense { data, .. } | Self::Banded { bands: data, .. } | Self::Diagonal(data) => {
                data.fill(0.0);
            }
            Self::Tridiagonal { diag, off } => {
                diag.fill(0.0);
                off.fill(0.0);
            }
        }
    }

    /// y = H·v, in O(n·(b + 1)) for bandwidth b.
    ///
    /// # Panics
    /// If `v` or `y` does not have length n.
    pub fn mul_vec(&self, v: &[f64], y: &mut [f64]) {
        let n = self.dim();
        assert!(v.len() == n && y.len() == n, "mul_vec: vectors must have length {n}");
        match self {
            Self::Dense { data, .. } => {
                for (yi, row) in y.iter_mut().zip(data.chunks_exact(n.max(1))) {
                    *yi = row.iter().zip(v).map(|(h, v)| h * v).sum();
                }
            }
            Self::Diagonal(diag) => {
                for ((yi, d), vi) in y.iter_mut().zip(diag).zip(v) {
                    *yi = d * vi;
                }
            }
            Self::Tridiagonal { diag, off } => {
                for i in 0..n {
                    let mut s = diag[i] * v[i];
                    if i > 0 {
                        s += off[i - 1] * v[i - 1];
                    }
                    if i + 1 < n {
                        s += off[i] * v[i + 1];
                    }
                    y[i] = s;
                }
            }
            Self::Banded { bandwidth, bands, .. } => {
                for i in 0..n {
                    let mut s = bands[i] * v[i];
                    for d in 1..=(*bandwidth).min(n.saturating_sub(1)) {
                        if i + d < n {
                            s += bands[d * n + i] * v[i + d];
                        }
                        if i >= d {
                            s += bands[d * n + i - d] * v[i - d];
                        }
                    }
                    y[i] = s;
                }
            }
        }
    }

    /// The full matrix, row-major.
    #[must_use]
    pub fn to_dense(&self) -> Vec<f64> {
        let n = self.dim();
        let mut out = vec![0.0; n * n];
        for i in 0..n {
            for j in 0..n {
                out[i * n + j] = self.get(i, j);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn example(structure: HessianStructure) -> HessianMatrix {
        let n = 5;
        let mut h = HessianMatrix::zeros(structure, n);
        for i in 0..n {
            for j in i..n {
                if h.contains(i, j) {
                    h.set(i, j, 1.0 + (i * n + j) as f64);
                }
            }
        }
        h
    }

    #[test]
    fn mul_vec_matches_dense_product_for_every_structure() {
        let v = [0.5, -1.0, 2.0, 0.25, -3.0];
        for s in [
            HessianStructure::Dense,
            HessianStructure::Tridiagonal,
            HessianStructure::Banded { bandwidth: 2 },
            HessianStructure::Diagonal,
        ] {
            let h = example(s);
            let dense = h.to_dense();
            let mut y = [0.0; 5];
            h.mul_vec(&v, &mut y);
            for i in 0..5 {
                let expect: f64 = (0..5).map(|j| dense[i * 5 + j] * v[j]).sum();
                assert!((y[i] - expect).abs() < 1e-12, "{s:?} row {i}");
                for j in 0..5 {
                    assert_eq!(dense[i * 5 + j], dense[j * 5 + i], "symmetric");
                }
            }
        }
    }

    #[test]
    fn entries_outside_the_structure_read_as_zero() {
        let h = example(HessianStructure::Tridiagonal);
        assert_eq!(h.get(0, 2), 0.0);
        assert_eq!(h.get(1, 2), h.get(2, 1));
        assert_eq!(HessianStructure::Banded { bandwidth: 3 }.bandwidth(2), 1);
    }
}
