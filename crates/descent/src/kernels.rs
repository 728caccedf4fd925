//! Reductions over slices, written so the compiler vectorises them.
//!
//! A plain `iter().sum()` over f64 is one long dependency chain: floating-point addition is
//! not associative, so the compiler may not reorder it, and each add waits for the previous
//! one (4 cycles). Summing into [`LANES`] independent accumulators over fixed-size chunks lets
//! it use SIMD registers and pipelining; the result differs from the sequential sum only by
//! rounding, and is the same on every run (the order is fixed).

/// Independent partial sums per reduction.
const LANES: usize = 8;

/// The sum of the partial sums, as a tree of depth 3: a chain of 7 dependent additions
/// (`iter().sum()`) would cost ≈ 28 cycles, which at n = 2 is most of a dot product.
#[inline]
fn sum_lanes(acc: &[f64; LANES]) -> f64 {
    // Opaque to the optimiser: seeing this tree, LLVM's SLP vectoriser would hold lanes k and
    // k + 4 (added first here) in one register all through the loop, with a shuffle per load.
    let acc = std::hint::black_box(*acc);
    let half = [acc[0] + acc[4], acc[1] + acc[5], acc[2] + acc[6], acc[3] + acc[7]];
    (half[0] + half[2]) + (half[1] + half[3])
}

/// The first `LANES` elements of `a` as an array: a unit the vectoriser keeps whole (indexing
/// a slice chunk lane by lane, it pairs lanes k and k + 4 with half loads and stores instead).
#[inline(always)]
fn lanes(a: &[f64]) -> &[f64; LANES] {
    match a.get(..LANES) {
        Some(chunk) => chunk.try_into().unwrap_or_else(|_| unreachable!("LANES elements")),
        None => unreachable!("callers pass at least LANES elements"),
    }
}

/// Σ f(aᵢ, bᵢ) in `LANES` interleaved partial sums; a plain sum below `LANES` elements.
#[inline]
fn reduce2(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    debug_assert_eq!(a.len(), b.len());
    let n = a.len().min(b.len());
    let (a, b) = (&a[..n], &b[..n]);
    if n < LANES {
        return a.iter().zip(b).fold(0.0, |sum, (x, y)| sum + f(*x, *y));
    }
    let mut acc = [0.0; LANES];
    let (ac, bc) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let (ar, br) = (ac.remainder(), bc.remainder());
    for (x, y) in ac.zip(bc) {
        let (x, y) = (lanes(x), lanes(y));
        for k in 0..LANES {
            acc[k] += f(x[k], y[k]);
        }
    }
    for (k, (x, y)) in ar.iter().zip(br).enumerate() {
        acc[k] += f(*x, *y);
    }
    sum_lanes(&acc)
}

/// aᵀb.
#[inline]
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    reduce2(a, b, |x, y| x * y)
}

/// ‖a‖₂.
#[inline]
pub(crate) fn norm(a: &[f64]) -> f64 {
    norm_from_squares(dot(a, a), a)
}

/// ‖a‖₂ given `squares` = Σ aᵢ²: its square root, unless the squares overflowed (some
/// |aᵢ| > 10¹⁵⁴) while every aᵢ is finite; then ‖a‖₂ = m·‖a/m‖₂ with m = maxᵢ |aᵢ|, so that a
/// gradient of 10²⁰⁰ has norm 10²⁰⁰ and not ∞. The extra pass runs only on overflow.
#[inline]
pub(crate) fn norm_from_squares(squares: f64, a: &[f64]) -> f64 {
    if squares.is_finite() || !all_finite(a) {
        return squares.sqrt();
    }
    scaled_norm(a)
}

/// ‖a‖₂ = m·‖a/m‖₂ with m = maxᵢ |aᵢ| (no overflow for finite aᵢ).
#[cold]
pub(crate) fn scaled_norm(a: &[f64]) -> f64 {
    let m = norm_inf(a);
    if m == 0.0 {
        return 0.0;
    }
    m * a.iter().map(|v| (v / m) * (v / m)).sum::<f64>().sqrt()
}

/// (‖g₁‖², ‖x₁ − x₀‖², (x₁ − x₀)ᵀ(g₁ − g₀), ‖g₁‖∞) in one pass over the four vectors.
pub(crate) fn step_geometry(
    x0: &[f64],
    g0: &[f64],
    x1: &[f64],
    g1: &[f64],
) -> (f64, f64, f64, f64) {
    let (mut gg, mut ss, mut sy, mut gm) = ([0.0; LANES], [0.0; LANES], [0.0; LANES], [0.0; LANES]);
    let mut lane = |k: usize, x0: f64, g0: f64, x1: f64, g1: f64| {
        let s = x1 - x0;
        gg[k] += g1 * g1;
        ss[k] += s * s;
        sy[k] += s * (g1 - g0);
        gm[k] = f64::max(gm[k], g1.abs());
    };
    let chunks = x0
        .chunks_exact(LANES)
        .zip(g0.chunks_exact(LANES))
        .zip(x1.chunks_exact(LANES))
        .zip(g1.chunks_exact(LANES));
    for (((x0, g0), x1), g1) in chunks {
        let (x0, g0, x1, g1) = (lanes(x0), lanes(g0), lanes(x1), lanes(g1));
        for k in 0..LANES {
            lane(k, x0[k], g0[k], x1[k], g1[k]);
        }
    }
    let full = x1.len() - x1.len() % LANES;
    let tail = x0[full..].iter().zip(&g0[full..]).zip(&x1[full..]).zip(&g1[full..]);
    for (k, (((x0, g0), x1), g1)) in tail.enumerate() {
        lane(k, *x0, *g0, *x1, *g1);
    }
    (sum_lanes(&gg), sum_lanes(&ss), sum_lanes(&sy), norm_inf(&gm))
}

/// ‖a‖₁.
pub(crate) fn norm_l1(a: &[f64]) -> f64 {
    reduce2(a, a, |x, _| x.abs())
}

/// ‖a‖∞ (NaN entries are skipped, as by `f64::max`; callers check finiteness separately).
pub(crate) fn norm_inf(a: &[f64]) -> f64 {
    a.iter().fold(0.0, |m, v| f64::max(m, v.abs()))
}

/// Writes s = x₁ − x₀ and y = g₁ − g₀ and returns (sᵀs, yᵀy, sᵀy), in one pass: the secant
/// pair of a quasi-Newton update with the products its curvature test needs.
pub(crate) fn secant_pair(
    x0: &[f64],
    g0: &[f64],
    x1: &[f64],
    g1: &[f64],
    s: &mut [f64],
    y: &mut [f64],
) -> (f64, f64, f64) {
    let (mut ss, mut yy, mut sy) = ([0.0; LANES], [0.0; LANES], [0.0; LANES]);
    let n = s.len();
    let (x0, g0, x1, g1, y) = (&x0[..n], &g0[..n], &x1[..n], &g1[..n], &mut y[..n]);
    let full = n - n % LANES;
    for start in (0..full).step_by(LANES) {
        let (x0, g0) = (lanes(&x0[start..]), lanes(&g0[start..]));
        let (x1, g1) = (lanes(&x1[start..]), lanes(&g1[start..]));
        let si: [f64; LANES] = std::array::from_fn(|k| x1[k] - x0[k]);
        let yi: [f64; LANES] = std::array::from_fn(|k| g1[k] - g0[k]);
        s[start..start + LANES].copy_from_slice(&si);
        y[start..start + LANES].copy_from_slice(&yi);
        for k in 0..LANES {
            ss[k] += si[k] * si[k];
            yy[k] += yi[k] * yi[k];
            sy[k] += si[k] * yi[k];
        }
    }
    for i in full..n {
        let k = i - full;
        let (si, yi) = (x1[i] - x0[i], g1[i] - g0[i]);
        s[i] = si;
        y[i] = yi;
        ss[k] += si * si;
        yy[k] += yi * yi;
        sy[k] += si * yi;
    }
    (sum_lanes(&ss), sum_lanes(&yy), sum_lanes(&sy))
}

/// yᵢ ← f(yᵢ, xᵢ) for every i, returning zᵀy for the updated y (0 when `z` is empty), in one
/// pass: an update fused with the dot product that the next step of a recursion needs.
#[inline]
pub(crate) fn update_dot(y: &mut [f64], x: &[f64], z: &[f64], f: impl Fn(f64, f64) -> f64) -> f64 {
    let n = y.len();
    let x = &x[..n];
    if z.is_empty() {
        for (y, x) in y.iter_mut().zip(x) {
            *y = f(*y, *x);
        }
        return 0.0;
    }
    let z = &z[..n];
    if n < LANES {
        return y.iter_mut().zip(x).zip(z).fold(0.0, |sum, ((y, x), z)| {
            *y = f(*y, *x);
            sum + z * *y
        });
    }
    let mut acc = [0.0; LANES];
    let mut yc = y.chunks_exact_mut(LANES);
    let (mut xc, mut zc) = (x.chunks_exact(LANES), z.chunks_exact(LANES));
    for ((y, x), z) in (&mut yc).zip(&mut xc).zip(&mut zc) {
        // As arrays (see `lanes`), written back whole.
        let (x, z) = (lanes(x), lanes(z));
        let v: [f64; LANES] = std::array::from_fn(|k| f(y[k], x[k]));
        y.copy_from_slice(&v);
        for k in 0..LANES {
            acc[k] += z[k] * v[k];
        }
    }
    let tail = yc.into_remainder().iter_mut().zip(xc.remainder()).zip(zc.remainder());
    for (k, ((y, x), z)) in tail.enumerate() {
        *y = f(*y, *x);
        acc[k] += z * *y;
    }
    sum_lanes(&acc)
}

/// Whether every element is finite: 0·x is 0 for finite x and NaN for ±∞ or NaN, and a sum
/// of those vectorises where an early-exit loop would not.
pub(crate) fn all_finite(v: &[f64]) -> bool {
    let mut acc = [0.0; LANES];
    let chunks = v.chunks_exact(LANES);
    for (k, x) in chunks.remainder().iter().enumerate() {
        acc[k] += x * 0.0;
    }
    for c in chunks {
        for k in 0..LANES {
            acc[k] += c[k] * 0.0;
        }
    }
    acc.iter().sum::<f64>() == 0.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norm_of_a_vector_whose_squares_overflow_is_finite() {
        // Found by `descent bench soak`: ‖∇f‖² overflowed for gradients above 10¹⁵⁴ and runs
        // reported grad_norm = ∞ (JSON null) with every component finite.
        // Rescaling costs a few roundings: within 4ε of the exact norm.
        let close = |got: f64, exact: f64| (got - exact).abs() <= 4.0 * f64::EPSILON * exact;
        assert!(close(norm(&[3e200, -4e200]), 5e200), "{}", norm(&[3e200, -4e200]));
        assert!(close(norm(&[1e300; 9]), 3e300));
        assert!(close(norm_from_squares(f64::INFINITY, &[3e200, 4e200]), 5e200));
        // Non-finite components keep their non-finite norm.
        assert_eq!(norm(&[f64::INFINITY, 1.0]), f64::INFINITY);
        assert!(norm(&[f64::NAN, 1.0]).is_nan());
        assert_eq!(norm(&[0.0; 3]), 0.0);
    }

    #[test]
    fn reductions_match_the_naive_sums_at_every_length() {
        for n in [0, 1, 7, 8, 9, 31, 100] {
            let a: Vec<f64> = (0..n).map(|i| (i as f64 * 0.37).sin()).collect();
            let b: Vec<f64> = (0..n).map(|i| (i as f64 * 0.11).cos()).collect();
            let c: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
            let d: Vec<f64> = (0..n).map(|i| i as f64 - 3.0).collect();
            let naive_dot: f64 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
            let tolerance = 1e-14 * (1 + n) as f64;
            assert!((dot(&a, &b) - naive_dot).abs() <= tolerance, "n = {n}");
            let mut u = a.clone();
            let dot_after = update_dot(&mut u, &b, &c, |u, b| u - 0.5 * b);
            let naive_u: Vec<f64> = a.iter().zip(&b).map(|(a, b)| a - 0.5 * b).collect();
            let naive_after: f64 = naive_u.iter().zip(&c).map(|(u, c)| u * c).sum();
            assert_eq!(u, naive_u, "n = {n}");
            assert!((dot_after - naive_after).abs() <= tolerance * naive_after.abs().max(1.0));
            assert_eq!(update_dot(&mut u, &b, &[], |u, _| u), 0.0);
            let (gg, ss, sy, g_inf) = step_geometry(&a, &b, &c, &d);
            let naive_inf = d.iter().fold(0.0f64, |m, g| m.max(g.abs()));
            assert_eq!(g_inf, naive_inf, "n = {n}");
            let naive_gg: f64 = d.iter().map(|g| g * g).sum();
            let naive_ss: f64 = a.iter().zip(&c).map(|(x0, x1)| (x1 - x0).powi(2)).sum();
            let naive_sy: f64 = (0..n).map(|i| (c[i] - a[i]) * (d[i] - b[i])).sum();
            assert!((gg - naive_gg).abs() <= tolerance * naive_gg.max(1.0), "n = {n}");
            assert!((ss - naive_ss).abs() <= tolerance * naive_ss.max(1.0), "n = {n}");
            assert!((sy - naive_sy).abs() <= tolerance * naive_sy.abs().max(1.0), "n = {n}");
            let (mut s, mut y) = (vec![0.0; n], vec![0.0; n]);
            let (ss2, yy, sy2) = secant_pair(&a, &b, &c, &d, &mut s, &mut y);
            let naive_yy: f64 = b.iter().zip(&d).map(|(g0, g1)| (g1 - g0).powi(2)).sum();
            assert!((ss2 - naive_ss).abs() <= tolerance * naive_ss.max(1.0), "n = {n}");
            assert!((yy - naive_yy).abs() <= tolerance * naive_yy.max(1.0), "n = {n}");
            assert!((sy2 - naive_sy).abs() <= tolerance * naive_sy.abs().max(1.0), "n = {n}");
            assert!(s.iter().zip(&a).zip(&c).all(|((s, x0), x1)| *s == x1 - x0));
            assert!(y.iter().zip(&b).zip(&d).all(|((y, g0), g1)| *y == g1 - g0));
            assert!(all_finite(&a));
            for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
                for i in [0, n / 2, n.saturating_sub(1)].into_iter().filter(|&i| i < n) {
                    let mut v = a.clone();
                    v[i] = bad;
                    assert!(!all_finite(&v), "n = {n}, v[{i}] = {bad}");
                }
            }
        }
    }
}
