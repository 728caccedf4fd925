//! The one-dimensional test functions of Moré & Thuente (1994) §5, shared by the line-search
//! tests: each returns (φ(α), φ'(α)).

use std::f64::consts::PI;

/// Moré & Thuente (1994) §5, eq. 5.1: φ(α) = −α/(α² + β), β = 2.
pub(crate) fn table1(a: f64) -> (f64, f64) {
    let b = 2.0;
    (-a / (a * a + b), (a * a - b) / ((a * a + b) * (a * a + b)))
}

/// Eq. 5.2: φ(α) = (α + β)⁵ − 2(α + β)⁴, β = 0.004.
pub(crate) fn table2(a: f64) -> (f64, f64) {
    let s = a + 0.004;
    (s.powi(5) - 2.0 * s.powi(4), 5.0 * s.powi(4) - 8.0 * s.powi(3))
}

/// Eq. 5.3: φ(α) = φ₀(α) + 2(1 − β)/(lπ)·sin(lπα/2), β = 0.01, l = 39, with φ₀ the
/// smoothed |1 − α|.
pub(crate) fn table3(a: f64) -> (f64, f64) {
    let (b, l) = (0.01, 39.0);
    let (phi0, dphi0) = if a <= 1.0 - b {
        (1.0 - a, -1.0)
    } else if a >= 1.0 + b {
        (a - 1.0, 1.0)
    } else {
        ((a - 1.0) * (a - 1.0) / (2.0 * b) + b / 2.0, (a - 1.0) / b)
    };
    let w = l * PI / 2.0;
    (phi0 + 2.0 * (1.0 - b) / (l * PI) * (w * a).sin(), dphi0 + (1.0 - b) * (w * a).cos())
}

/// Eq. 5.4: φ(α) = γ(β₁)·√((1 − α)² + β₂²) + γ(β₂)·√(α² + β₁²), γ(β) = √(1 + β²) − β.
pub(crate) fn yanai(b1: f64, b2: f64) -> impl Fn(f64) -> (f64, f64) + Copy {
    let gamma = |b: f64| (1.0 + b * b).sqrt() - b;
    let (g1, g2) = (gamma(b1), gamma(b2));
    move |a: f64| {
        let r1 = ((1.0 - a) * (1.0 - a) + b2 * b2).sqrt();
        let r2 = (a * a + b1 * b1).sqrt();
        (g1 * r1 + g2 * r2, g1 * (a - 1.0) / r1 + g2 * a / r2)
    }
}
