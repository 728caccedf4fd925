//! The LMS family, affine projection and RLS against theory and against naive references:
//! misadjustment, system identification, the leaky solution, equivalences, freezing, blocks,
//! errors.

use descent_signal::{
    AdaptiveFilter, AffineProjection, Error, LeakyLms, Lms, Nlms, Rls, SampleFilter, SignKind,
    SignLms,
};
use rand::{RngExt as _, SeedableRng as _};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// White Gaussian noise of standard deviation `sigma`.
fn gaussian(n: usize, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..n).map(|_| sigma * rng.sample::<f64, _>(StandardNormal)).collect()
}

/// y = h ∗ x (zero initial state), the first `x.len()` samples.
fn fir(h: &[f64], x: &[f64]) -> Vec<f64> {
    (0..x.len())
        .map(|n| h.iter().enumerate().take(n + 1).map(|(k, hk)| hk * x[n - k]).sum())
        .collect()
}

/// ‖w − h‖² / ‖h‖² in dB.
fn misalignment_db(w: &[f64], h: &[f64]) -> f64 {
    let num: f64 = w.iter().zip(h).map(|(a, b)| (a - b).powi(2)).sum();
    let den: f64 = h.iter().map(|b| b * b).sum();
    10.0 * (num / den).log10()
}

/// A random FIR system of unit energy.
fn system(taps: usize, seed: u64) -> Vec<f64> {
    let h = gaussian(taps, 1.0, seed);
    let norm = h.iter().map(|v| v * v).sum::<f64>().sqrt();
    h.iter().map(|v| v / norm).collect()
}

/// Measured misadjustment mean e² / σ̂_v² − 1 over the samples after `skip`, averaged over
/// seeds; σ̂_v² is the noise's power over the same samples.
fn measured_misadjustment<F: AdaptiveFilter>(
    make: impl Fn() -> F,
    taps: usize,
    n: usize,
    skip: usize,
    seeds: &[u64],
) -> f64 {
    let mut total = 0.0;
    for &seed in seeds {
        let h = system(taps, seed);
        let x = gaussian(n, 1.0, seed + 100);
        let v = gaussian(n, 0.1, seed + 200);
        let d: Vec<f64> = fir(&h, &x).iter().zip(&v).map(|(a, b)| a + b).collect();
        let mut filter = make();
        let (_, e) = filter.process(&x, &d).unwrap();
        let mse = e[skip..].iter().map(|e| e * e).sum::<f64>() / (n - skip) as f64;
        let noise = v[skip..].iter().map(|v| v * v).sum::<f64>() / (n - skip) as f64;
        total += mse / noise - 1.0;
    }
    total / seeds.len() as f64
}

fn db(ratio: f64) -> f64 {
    10.0 * ratio.log10()
}

const SEEDS: [u64; 4] = [1, 2, 3, 4];

#[test]
fn lms_misadjustment_matches_mu_tr_r_over_2_within_half_a_db() {
    let taps = 32;
    for mu_tr in [0.04, 0.08] {
        let mu = mu_tr / taps as f64; // tr R = L·σ_x² = L
        let theory = mu_tr / 2.0;
        let m =
            measured_misadjustment(|| Lms::new(taps, mu).unwrap(), taps, 400_000, 40_000, &SEEDS);
        let gap = db(m) - db(theory);
        println!("LMS μ·tr R = {mu_tr}: M = {m:.5}, theory {theory:.5}, {gap:+.3} dB");
        assert!(gap.abs() < 0.5, "LMS μ·tr R = {mu_tr}: M = {m}, theory {theory} ({gap:+.3} dB)");
    }
}

#[test]
fn nlms_misadjustment_matches_mu_over_2_minus_mu_within_half_a_db() {
    let taps = 64;
    for mu in [0.05, 0.1, 0.2] {
        let theory = mu / (2.0 - mu);
        let m = measured_misadjustment(
            || Nlms::new(taps, mu, 1e-6).unwrap(),
            taps,
            400_000,
            40_000,
            &SEEDS,
        );
        let gap = db(m) - db(theory);
        println!("NLMS μ = {mu}: M = {m:.5}, theory {theory:.5}, {gap:+.3} dB");
        assert!(gap.abs() < 0.5, "NLMS μ = {mu}: M = {m}, theory {theory} ({gap:+.3} dB)");
    }
}

/// Every filter, by name, built for `taps` taps with settings that identify a system quickly.
fn all_filters(taps: usize) -> Vec<(&'static str, Box<dyn AdaptiveFilter>)> {
    vec![
        ("lms", Box::new(Lms::new(taps, 0.01).unwrap())),
        ("nlms", Box::new(Nlms::new(taps, 0.5, 1e-6).unwrap())),
        ("leaky", Box::new(LeakyLms::new(taps, 0.01, 1e-3).unwrap())),
        ("sign-error", Box::new(SignLms::new(taps, 1e-3, SignKind::SignError).unwrap())),
        ("sign-data", Box::new(SignLms::new(taps, 0.01, SignKind::SignData).unwrap())),
        ("sign-sign", Box::new(SignLms::new(taps, 1e-4, SignKind::SignSign).unwrap())),
        ("apa", Box::new(AffineProjection::new(taps, 4, 0.5, 1e-4).unwrap())),
        ("rls", Box::new(Rls::new(taps, 0.999, 0.01).unwrap())),
    ]
}

#[test]
fn every_filter_identifies_a_random_fir_system() {
    // (filter, samples, bound on ‖w − h‖²/‖h‖² in dB). Noise at −60 dB of the echo; the
    // bounds leave room for each filter's steady-state jitter (leaky: its bias, γ = 1e-3 ⇒
    // w → h/(1 + γ), −60 dB) and convergence speed (the sign variants are slow).
    let bounds = [
        ("lms", 20_000, -40.0),
        ("nlms", 5_000, -40.0),
        ("leaky", 20_000, -40.0),
        ("sign-error", 50_000, -30.0),
        ("sign-data", 20_000, -40.0),
        ("sign-sign", 100_000, -30.0),
        ("apa", 5_000, -40.0),
        ("rls", 48, -40.0), // 3L samples
    ];
    let taps = 16;
    let h = system(taps, 7);
    for ((name, mut filter), (bound_name, n, bound)) in all_filters(taps).into_iter().zip(bounds) {
        assert_eq!(name, bound_name);
        let x = gaussian(n, 1.0, 8);
        let v = gaussian(n, 1e-3, 9);
        let d: Vec<f64> = fir(&h, &x).iter().zip(&v).map(|(a, b)| a + b).collect();
        filter.process(&x, &d).unwrap();
        let m = misalignment_db(&filter.weights(), &h);
        println!("{name}: misalignment {m:.1} dB after {n} samples");
        assert!(m < bound, "{name}: misalignment {m:.1} dB after {n} samples, bound {bound} dB");
    }
}

#[test]
fn rls_is_near_the_least_squares_solution_after_2l_samples_but_nlms_is_not() {
    let taps = 32;
    let h = system(taps, 11);
    let x = gaussian(2 * taps, 1.0, 12);
    let d = fir(&h, &x);
    let mut rls = Rls::new(taps, 1.0, 1e-6).unwrap();
    rls.process(&x, &d).unwrap();
    let mut nlms = Nlms::new(taps, 1.0, 1e-6).unwrap();
    nlms.process(&x, &d).unwrap();
    let m_rls = misalignment_db(&rls.weights(), &h);
    let m_nlms = misalignment_db(&nlms.weights(), &h);
    assert!(m_rls < -60.0, "RLS after 2L: {m_rls:.1} dB");
    assert!(m_nlms > -20.0, "NLMS after 2L: {m_nlms:.1} dB");
}

/// Solves A z = b by Gaussian elimination with partial pivoting (small dense systems).
fn solve(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Vec<f64> {
    let n = b.len();
    for c in 0..n {
        let p = (c..n).max_by(|&i, &j| a[i][c].abs().total_cmp(&a[j][c].abs())).unwrap();
        a.swap(c, p);
        b.swap(c, p);
        for r in c + 1..n {
            let f = a[r][c] / a[c][c];
            for k in c..n {
                a[r][k] -= f * a[c][k];
            }
            b[r] -= f * b[c];
        }
    }
    let mut z = vec![0.0; n];
    for r in (0..n).rev() {
        z[r] = (b[r] - (r + 1..n).map(|k| a[r][k] * z[k]).sum::<f64>()) / a[r][r];
    }
    z
}

#[test]
fn leaky_lms_converges_to_the_shrunk_wiener_solution() {
    // Coloured input, AR(1) with coefficient a and unit innovation: r(k) = a^|k|/(1 − a²).
    // d = hᵀx + v, so p = R h and the leaky solution is (R + γI)⁻¹ R h.
    let (taps, a, leak, mu) = (8, 0.8, 0.5, 0.002);
    let h = system(taps, 21);
    let n = 400_000;
    let u = gaussian(n, 1.0, 22);
    let mut x = vec![0.0; n];
    for i in 0..n {
        x[i] = u[i] + if i > 0 { a * x[i - 1] } else { 0.0 };
    }
    let v = gaussian(n, 0.1, 23);
    let d: Vec<f64> = fir(&h, &x).iter().zip(&v).map(|(a, b)| a + b).collect();
    let r = |k: usize| a.powi(k as i32) / (1.0 - a * a);
    let big_r: Vec<Vec<f64>> =
        (0..taps).map(|i| (0..taps).map(|j| r(i.abs_diff(j))).collect()).collect();
    let p: Vec<f64> = (0..taps).map(|i| (0..taps).map(|j| big_r[i][j] * h[j]).sum()).collect();
    let shrunk: Vec<Vec<f64>> = big_r
        .iter()
        .enumerate()
        .map(|(i, row)| {
            row.iter().enumerate().map(|(j, v)| v + if i == j { leak } else { 0.0 }).collect()
        })
        .collect();
    let expected = solve(shrunk, p);

    let mut filter = LeakyLms::new(taps, mu, leak).unwrap();
    let skip = 50_000;
    filter.process(&x[..skip], &d[..skip]).unwrap();
    // Average the weights over the steady state to remove the jitter.
    let mut mean = vec![0.0; taps];
    let mut w = vec![0.0; taps];
    for i in skip..n {
        filter.process_sample(x[i], d[i]);
        filter.weights_into(&mut w).unwrap();
        for (m, w) in mean.iter_mut().zip(&w) {
            *m += w / (n - skip) as f64;
        }
    }
    let gap = misalignment_db(&mean, &expected);
    let bias = misalignment_db(&expected, &h);
    println!("leaky: mean w vs (R + γI)⁻¹p: {gap:.1} dB; (R + γI)⁻¹p vs h: {bias:.1} dB");
    assert!(bias > -20.0, "the leak must shrink visibly for the test to mean anything");
    assert!(gap < -30.0, "mean weights {gap:.1} dB from (R + γI)⁻¹p");
}

#[test]
fn apa_of_order_one_is_nlms() {
    let taps = 32;
    let h = system(taps, 31);
    let x = gaussian(5_000, 1.0, 32);
    let d: Vec<f64> =
        fir(&h, &x).iter().zip(gaussian(5_000, 0.01, 33)).map(|(a, b)| a + b).collect();
    let (_, e_nlms) = Nlms::new(taps, 0.7, 1e-3).unwrap().process(&x, &d).unwrap();
    let (_, e_apa) = AffineProjection::new(taps, 1, 0.7, 1e-3).unwrap().process(&x, &d).unwrap();
    for (n, (a, b)) in e_nlms.iter().zip(&e_apa).enumerate() {
        assert!((a - b).abs() < 1e-12, "sample {n}: NLMS e = {a}, APA e = {b}");
    }
}

/// Naive references: the textbook equations with a shifted vector and dense algebra.
mod naive {
    /// The last L samples, newest first, shifted in.
    pub fn shift(x: &mut [f64], sample: f64) {
        x.rotate_right(1);
        x[0] = sample;
    }
    pub fn dot(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(a, b)| a * b).sum()
    }
    /// NLMS with xᵀx computed afresh every sample.
    pub fn nlms(taps: usize, mu: f64, eps: f64, x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (mut w, mut xv, mut es) = (vec![0.0; taps], vec![0.0; taps], vec![]);
        for (&xn, &dn) in x.iter().zip(d) {
            shift(&mut xv, xn);
            let e = dn - dot(&w, &xv);
            let step = mu * e / (eps + dot(&xv, &xv));
            for (w, x) in w.iter_mut().zip(&xv) {
                *w += step * x;
            }
            es.push(e);
        }
        (w, es)
    }
    /// APA with the Gram matrix computed afresh and solved by elimination.
    pub fn apa(
        taps: usize,
        k: usize,
        mu: f64,
        delta: f64,
        x: &[f64],
        d: &[f64],
    ) -> (Vec<f64>, Vec<f64>) {
        let (mut w, mut xv, mut dv, mut es) =
            (vec![0.0; taps], vec![0.0; taps + k - 1], vec![0.0; k], vec![]);
        for (&xn, &dn) in x.iter().zip(d) {
            shift(&mut xv, xn);
            shift(&mut dv, dn);
            let col = |j: usize| xv[j..j + taps].to_vec();
            let e: Vec<f64> = (0..k).map(|j| dv[j] - dot(&w, &col(j))).collect();
            let g: Vec<Vec<f64>> = (0..k)
                .map(|i| {
                    (0..k)
                        .map(|j| dot(&col(i), &col(j)) + if i == j { delta } else { 0.0 })
                        .collect()
                })
                .collect();
            let a = super::solve(g, e.clone());
            for j in 0..k {
                for (w, x) in w.iter_mut().zip(col(j)) {
                    *w += mu * a[j] * x;
                }
            }
            es.push(e[0]);
        }
        (w, es)
    }
    /// RLS in Haykin's Table 10.1 form with a full P update, symmetrised.
    pub fn rls(taps: usize, lambda: f64, delta: f64, x: &[f64], d: &[f64]) -> (Vec<f64>, Vec<f64>) {
        let (mut w, mut xv, mut es) = (vec![0.0; taps], vec![0.0; taps], vec![]);
        let mut p: Vec<Vec<f64>> = (0..taps)
            .map(|i| (0..taps).map(|j| if i == j { 1.0 / delta } else { 0.0 }).collect())
            .collect();
        for (&xn, &dn) in x.iter().zip(d) {
            shift(&mut xv, xn);
            let pi: Vec<f64> = p.iter().map(|row| dot(row, &xv)).collect();
            let k: Vec<f64> = pi.iter().map(|v| v / (lambda + dot(&xv, &pi))).collect();
            let e = dn - dot(&w, &xv);
            for (w, k) in w.iter_mut().zip(&k) {
                *w += k * e;
            }
            for i in 0..taps {
                for j in 0..taps {
                    p[i][j] = (p[i][j] - k[i] * pi[j]) / lambda;
                }
            }
            // Symmetrised: without this the plain update's asymmetric rounding drifts (measured:
            // 2e-9 in e after 3000 samples at λ = 0.995, against 3e-15 with it).
            for i in 0..taps {
                for j in 0..i {
                    let m = 0.5 * (p[i][j] + p[j][i]);
                    p[i][j] = m;
                    p[j][i] = m;
                }
            }
            es.push(e);
        }
        (w, es)
    }
}

/// The fast and the naive filters round differently (summation order, the RLS's symmetric
/// update form): measured differences are ~3e-15 on signals of unit size.
const TOL_NAIVE: f64 = 1e-12;

#[test]
fn fast_filters_match_naive_references() {
    let taps = 19; // not a multiple of the kernels' chunk
    let h = system(taps, 41);
    let x = gaussian(3_000, 1.0, 42);
    let d: Vec<f64> =
        fir(&h, &x).iter().zip(gaussian(3_000, 0.05, 43)).map(|(a, b)| a + b).collect();
    let check = |name: &str, filter: &mut dyn AdaptiveFilter, (w, e): (Vec<f64>, Vec<f64>)| {
        let (_, got) = filter.process(&x, &d).unwrap();
        let worst = got.iter().zip(&e).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        println!("{name}: largest |e − e_naive| = {worst:.1e}");
        for (n, (a, b)) in got.iter().zip(&e).enumerate() {
            assert!((a - b).abs() < TOL_NAIVE, "{name}, sample {n}: e {a} vs {b}");
        }
        for (a, b) in filter.weights().iter().zip(&w) {
            assert!((a - b).abs() < TOL_NAIVE, "{name}: weights {a} vs {b}");
        }
    };
    check("nlms", &mut Nlms::new(taps, 0.6, 1e-3).unwrap(), naive::nlms(taps, 0.6, 1e-3, &x, &d));
    check(
        "apa",
        &mut AffineProjection::new(taps, 3, 0.4, 1e-2).unwrap(),
        naive::apa(taps, 3, 0.4, 1e-2, &x, &d),
    );
    check("rls", &mut Rls::new(taps, 0.995, 0.1).unwrap(), naive::rls(taps, 0.995, 0.1, &x, &d));
    // LMS and its relatives: the naive loop inline.
    let mut xv = vec![0.0; taps];
    let (mut w_lms, mut w_leaky, mut w_se, mut w_sd, mut w_ss) =
        (vec![0.0; taps], vec![0.0; taps], vec![0.0; taps], vec![0.0; taps], vec![0.0; taps]);
    let (mut lms, mut leaky) =
        (Lms::new(taps, 0.01).unwrap(), LeakyLms::new(taps, 0.01, 0.1).unwrap());
    let mut se = SignLms::new(taps, 0.002, SignKind::SignError).unwrap();
    let mut sd = SignLms::new(taps, 0.01, SignKind::SignData).unwrap();
    let mut ss = SignLms::new(taps, 0.001, SignKind::SignSign).unwrap();
    let sgn = |v: f64| {
        if v > 0.0 {
            1.0
        } else if v < 0.0 {
            -1.0
        } else {
            0.0
        }
    };
    for (&xn, &dn) in x.iter().zip(&d) {
        naive::shift(&mut xv, xn);
        for (filter, w, rule) in [
            (&mut lms as &mut dyn SampleFilter, &mut w_lms, 0),
            (&mut leaky, &mut w_leaky, 1),
            (&mut se, &mut w_se, 2),
            (&mut sd, &mut w_sd, 3),
            (&mut ss, &mut w_ss, 4),
        ] {
            let e = dn - naive::dot(w, &xv);
            let (_, got) = filter.process_sample(xn, dn);
            assert!((got - e).abs() < TOL_NAIVE, "rule {rule}: e {got} vs {e}");
            for (w, &x) in w.iter_mut().zip(&xv) {
                *w = match rule {
                    0 => *w + 0.01 * e * x,
                    1 => (1.0 - 0.01 * 0.1) * *w + 0.01 * e * x,
                    2 => *w + 0.002 * sgn(e) * x,
                    3 => *w + 0.01 * e * sgn(x),
                    _ => *w + 0.001 * sgn(e) * sgn(x),
                };
            }
        }
    }
    for (filter, w) in [
        (&lms as &dyn AdaptiveFilter, &w_lms),
        (&leaky, &w_leaky),
        (&se, &w_se),
        (&sd, &w_sd),
        (&ss, &w_ss),
    ] {
        for (a, b) in filter.weights().iter().zip(w) {
            assert!((a - b).abs() < TOL_NAIVE, "weights {a} vs {b}");
        }
    }
}

#[test]
fn frozen_adaptation_keeps_the_weights_and_still_filters() {
    let taps = 12;
    let h = system(taps, 51);
    let x = gaussian(4_000, 1.0, 52);
    let d = fir(&h, &x);
    for (name, mut filter) in all_filters(taps) {
        filter.process(&x[..2_000], &d[..2_000]).unwrap();
        let w = filter.weights();
        filter.set_adapting(false);
        assert!(!filter.is_adapting());
        let (y, e) = filter.process(&x[2_000..3_000], &d[2_000..3_000]).unwrap();
        assert_eq!(filter.weights(), w, "{name}: weights moved while frozen");
        // Frozen, y is the fixed filter w applied to x.
        let full = fir(&w, &x[..3_000]);
        for i in 0..1_000 {
            assert!((y[i] - full[2_000 + i]).abs() < 1e-12, "{name}: y");
            assert_eq!(e[i], d[2_000 + i] - y[i], "{name}: e");
        }
        filter.set_adapting(true);
        filter.process(&x[3_000..], &d[3_000..]).unwrap();
        assert_ne!(filter.weights(), w, "{name}: weights did not move after resuming");
    }
}

#[test]
fn processing_in_pieces_equals_processing_at_once() {
    let taps = 10;
    let x = gaussian(1_000, 1.0, 61);
    let d: Vec<f64> = fir(&system(taps, 62), &x)
        .iter()
        .zip(gaussian(1_000, 0.1, 63))
        .map(|(a, b)| a + b)
        .collect();
    for ((name, mut one), (_, mut pieces)) in all_filters(taps).into_iter().zip(all_filters(taps)) {
        let (y1, e1) = one.process(&x, &d).unwrap();
        let (mut y2, mut e2) = (vec![], vec![]);
        let mut start = 0;
        for len in [1, 7, 0, 100, 333, 559] {
            let (y, e) = pieces.process(&x[start..start + len], &d[start..start + len]).unwrap();
            y2.extend(y);
            e2.extend(e);
            start += len;
        }
        assert_eq!(start, x.len());
        assert_eq!(y1, y2, "{name}");
        assert_eq!(e1, e2, "{name}");
        assert_eq!(one.weights(), pieces.weights(), "{name}");
        // And reset gives back the fresh filter.
        one.reset();
        let (y3, _) = one.process(&x, &d).unwrap();
        assert_eq!(y1, y3, "{name}: reset");
    }
}

fn invalid(result: Result<impl std::fmt::Debug, Error>, expected: &str) {
    match result {
        Err(Error::InvalidParameter { name, .. }) => assert_eq!(name, expected),
        other => panic!("expected InvalidParameter {expected}, got {other:?}"),
    }
}

#[test]
fn bad_parameters_are_refused() {
    let nan = f64::NAN;
    invalid(Lms::new(0, 0.1), "taps");
    invalid(Lms::new(4, 0.0), "mu");
    invalid(Lms::new(4, -0.1), "mu");
    invalid(Lms::new(4, nan), "mu");
    invalid(Lms::new(4, f64::INFINITY), "mu");
    invalid(Nlms::new(0, 0.5, 1e-6), "taps");
    invalid(Nlms::new(4, 0.0, 1e-6), "mu");
    invalid(Nlms::new(4, 2.0, 1e-6), "mu");
    invalid(Nlms::new(4, nan, 1e-6), "mu");
    invalid(Nlms::new(4, 0.5, 0.0), "eps");
    invalid(Nlms::new(4, 0.5, nan), "eps");
    invalid(LeakyLms::new(0, 0.1, 0.1), "taps");
    invalid(LeakyLms::new(4, 0.0, 0.1), "mu");
    invalid(LeakyLms::new(4, 0.1, -0.1), "leak");
    invalid(LeakyLms::new(4, 0.1, 10.0), "leak");
    invalid(LeakyLms::new(4, 0.1, nan), "leak");
    invalid(SignLms::new(0, 0.1, SignKind::SignSign), "taps");
    invalid(SignLms::new(4, nan, SignKind::SignData), "mu");
    invalid(AffineProjection::new(0, 1, 0.5, 1e-3), "taps");
    invalid(AffineProjection::new(4, 0, 0.5, 1e-3), "order");
    invalid(AffineProjection::new(4, 5, 0.5, 1e-3), "order");
    invalid(AffineProjection::new(4, 2, 2.0, 1e-3), "mu");
    invalid(AffineProjection::new(4, 2, 0.5, 0.0), "delta");
    invalid(AffineProjection::new(4, 2, 0.5, nan), "delta");
    invalid(Rls::new(0, 0.99, 0.01), "taps");
    invalid(Rls::new(4, 0.0, 0.01), "lambda");
    invalid(Rls::new(4, 1.01, 0.01), "lambda");
    invalid(Rls::new(4, nan, 0.01), "lambda");
    invalid(Rls::new(4, 0.99, 0.0), "delta");
    invalid(Rls::new(4, 0.99, -1.0), "delta");
    // The edges that are valid.
    assert!(Rls::new(4, 1.0, 0.01).is_ok());
    assert!(AffineProjection::new(4, 4, 1.999, 1e-9).is_ok());
    assert!(LeakyLms::new(4, 0.1, 0.0).is_ok());
}

#[test]
fn bad_blocks_are_refused_and_leave_the_filter_untouched() {
    let x = gaussian(100, 1.0, 71);
    let d = gaussian(100, 1.0, 72);
    for (name, mut filter) in all_filters(6) {
        filter.process(&x[..50], &d[..50]).unwrap();
        let w = filter.weights();
        match filter.process(&x[50..], &d[50..99]) {
            Err(Error::LengthMismatch { what: "desired", expected: 50, got: 49 }) => {}
            other => panic!("{name}: {other:?}"),
        }
        let (mut y, mut e) = (vec![0.0; 50], vec![0.0; 49]);
        match filter.process_into(&x[50..], &d[50..], &mut y, &mut e) {
            Err(Error::LengthMismatch { what: "error", expected: 50, got: 49 }) => {}
            other => panic!("{name}: {other:?}"),
        }
        let mut bad = x[50..].to_vec();
        bad[17] = f64::NAN;
        match filter.process(&bad, &d[50..]) {
            Err(Error::NonFinite { what: "reference", index: 17, .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
        let mut bad = d[50..].to_vec();
        bad[3] = f64::INFINITY;
        match filter.process(&x[50..], &bad) {
            Err(Error::NonFinite { what: "desired", index: 3, .. }) => {}
            other => panic!("{name}: {other:?}"),
        }
        assert_eq!(filter.weights(), w, "{name}: a refused block changed the weights");
        let mut short = vec![0.0; 5];
        assert!(matches!(filter.weights_into(&mut short), Err(Error::LengthMismatch { .. })));
        assert_eq!(filter.taps(), 6);
    }
}
