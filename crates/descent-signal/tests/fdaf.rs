//! The partitioned-block frequency-domain NLMS against a naive direct-sum reference, a plain-loop
//! block NLMS, chunking invariance, system identification and its misadjustment, and errors.

use descent_signal::{AdaptiveFilter, Error, Normalisation, Pbfdaf};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

/// FFT filter against the O(N²) reference: relative to the largest reference value.
const REFERENCE_TOL: f64 = 1e-9;
/// Outputs of pending (partial-block) samples, computed in the time domain, against the
/// frequency-domain pass: rounding only.
const ROUNDING_TOL: f64 = 1e-12;

/// White Gaussian noise of standard deviation `sigma`.
fn white(len: usize, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..len).map(|_| sigma * rng.sample::<f64, _>(StandardNormal)).collect()
}

/// AR(1) coloured noise x(n) = a·x(n−1) + w(n): a strongly tilted spectrum for a = 0.9.
fn coloured(len: usize, a: f64, seed: u64) -> Vec<f64> {
    let w = white(len, 1.0, seed);
    let mut prev = 0.0;
    w.iter()
        .map(|v| {
            prev = a * prev + v;
            prev
        })
        .collect()
}

/// d = h ∗ x (zero initial state).
fn convolve(h: &[f64], x: &[f64]) -> Vec<f64> {
    (0..x.len()).map(|n| (0..h.len().min(n + 1)).map(|k| h[k] * x[n - k]).sum()).collect()
}

/// A decaying random impulse response.
fn decaying(len: usize, seed: u64) -> Vec<f64> {
    let g = white(len, 1.0, seed);
    g.iter().enumerate().map(|(k, v)| v * (-(k as f64) / (len as f64 / 4.0)).exp()).collect()
}

fn max_abs(v: &[f64]) -> f64 {
    v.iter().fold(0.0, |m, x| m.max(x.abs()))
}

fn max_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

fn misalignment_db(w: &[f64], h: &[f64]) -> f64 {
    let num: f64 = w.iter().zip(h).map(|(a, b)| (a - b).powi(2)).sum();
    let den: f64 = h.iter().map(|b| b * b).sum();
    10.0 * (num / den).log10()
}

/// The same algorithm as `Pbfdaf` with direct sums instead of FFTs: direct convolution for the
/// output, direct correlation (scalar mode) or direct DFTs (per-bin mode) for the gradient, a
/// direct DFT (per bin) or the time-domain energy (scalar, by Parseval) for the power.
/// Returns the outputs and the weights after every block.
#[allow(clippy::too_many_arguments)]
fn reference(
    x: &[f64],
    d: &[f64],
    taps: usize,
    block: usize,
    mu: f64,
    beta: f64,
    eps: f64,
    normalisation: Normalisation,
) -> (Vec<f64>, Vec<Vec<f64>>) {
    let (l, b) = (taps, block);
    let p_count = l / b;
    let n = 2 * b;
    let xa = |i: isize| if i < 0 { 0.0 } else { x[i as usize] };
    // Direct DFT of a real frame: (re, im) per bin, all N bins.
    let dft = |u: &[f64]| -> Vec<(f64, f64)> {
        (0..n)
            .map(|k| {
                u.iter().enumerate().fold((0.0, 0.0), |(re, im), (j, v)| {
                    let a = -2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                    (re + v * a.cos(), im + v * a.sin())
                })
            })
            .collect()
    };
    let frame = |q: isize| -> Vec<f64> {
        (0..n).map(|j| xa(q * b as isize - b as isize + j as isize)).collect()
    };

    let mut w = vec![0.0; l];
    let mut power = vec![0.0; n];
    let mut scalar_power = 0.0;
    let mut primed = false;
    let mut y = vec![0.0; x.len()];
    let mut snapshots = Vec::new();
    for m in 0..x.len() / b {
        let start = m * b;
        let mut e = vec![0.0; b];
        for i in 0..b {
            let t = (start + i) as isize;
            y[start + i] = (0..l).map(|k| w[k] * xa(t - k as isize)).sum();
            e[i] = d[start + i] - y[start + i];
        }
        let newest = frame(m as isize);
        let smooth =
            |old: f64, new: f64| if primed { beta * old + (1.0 - beta) * new } else { new };
        match normalisation {
            Normalisation::PerBin => {
                let xm = dft(&newest);
                for k in 0..n {
                    let kk = k.min(n - k); // bins k and N − k share one estimate
                    let (re, im) = xm[kk];
                    power[k] = smooth(power[k], p_count as f64 * (re * re + im * im));
                }
            }
            Normalisation::Scalar => {
                let energy: f64 = newest.iter().map(|v| v * v).sum();
                scalar_power = smooth(scalar_power, p_count as f64 * energy);
            }
        }
        primed = true;
        match normalisation {
            Normalisation::Scalar => {
                let step = mu / (scalar_power + eps);
                for p in 0..p_count {
                    for j in 0..b {
                        let g: f64 = (0..b)
                            .map(|i| e[i] * xa((start + i) as isize - (p * b + j) as isize))
                            .sum();
                        w[p * b + j] += step * g;
                    }
                }
            }
            Normalisation::PerBin => {
                let mut padded = vec![0.0; n];
                padded[b..].copy_from_slice(&e);
                let ef = dft(&padded);
                for p in 0..p_count {
                    let xf = dft(&frame(m as isize - p as isize));
                    // G = μ/(P + ε) · conj(X) · E, then the first B samples of the inverse DFT.
                    let g: Vec<(f64, f64)> = (0..n)
                        .map(|k| {
                            let s = mu / (power[k] + eps);
                            let (xr, xi) = xf[k];
                            let (er, ei) = ef[k];
                            (s * (xr * er + xi * ei), s * (xr * ei - xi * er))
                        })
                        .collect();
                    for j in 0..b {
                        let phi: f64 = (0..n)
                            .map(|k| {
                                let a =
                                    2.0 * std::f64::consts::PI * ((j * k) % n) as f64 / n as f64;
                                g[k].0 * a.cos() - g[k].1 * a.sin()
                            })
                            .sum::<f64>()
                            / n as f64;
                        w[p * b + j] += phi;
                    }
                }
            }
        }
        snapshots.push(w.clone());
    }
    (y, snapshots)
}

/// The FFT filter block by block against the reference: outputs and the weights after every
/// block, to `REFERENCE_TOL` relative.
///
/// Scalar normalisation gets a mildly coloured input (AR(1), a = 0.5) and per-bin a strongly
/// coloured one (a = 0.9): block NLMS with one scalar step is unstable on strongly coloured input
/// at this μ (see the module doc), and the test wants the filter to converge.
fn check_against_reference(taps: usize, block: usize, normalisation: Normalisation, beta: f64) {
    let blocks = 80;
    let len = blocks * block;
    let a = match normalisation {
        Normalisation::PerBin => 0.9,
        Normalisation::Scalar => 0.5,
    };
    let x = coloured(len, a, 11);
    let h = decaying(taps, 12);
    let noise = white(len, 0.05, 13);
    let d: Vec<f64> = convolve(&h, &x).iter().zip(&noise).map(|(a, v)| a + v).collect();
    let mu = 0.5;
    let eps = 1e-3;
    let (y_ref, w_ref) = reference(&x, &d, taps, block, mu, beta, eps, normalisation);

    let mut filter = Pbfdaf::new(taps, block, mu)
        .unwrap()
        .with_beta(beta)
        .unwrap()
        .with_epsilon(eps)
        .unwrap()
        .with_normalisation(normalisation);
    let mut y = vec![0.0; len];
    let mut e = vec![0.0; len];
    for m in 0..blocks {
        let r = m * block..(m + 1) * block;
        filter.process_into(&x[r.clone()], &d[r.clone()], &mut y[r.clone()], &mut e[r]).unwrap();
        let w = filter.weights();
        let scale = max_abs(&w_ref[m]).max(1e-300);
        assert!(
            max_diff(&w, &w_ref[m]) <= REFERENCE_TOL * scale,
            "weights after block {m}: {} vs scale {scale}",
            max_diff(&w, &w_ref[m])
        );
    }
    assert!(max_diff(&y, &y_ref) <= REFERENCE_TOL * max_abs(&y_ref));
    // The filter did learn something, so the comparison is not between two zero vectors.
    assert!(
        misalignment_db(&filter.weights(), &h) < -10.0,
        "{}",
        misalignment_db(&filter.weights(), &h)
    );
}

#[test]
fn equals_reference_one_partition_per_bin() {
    check_against_reference(16, 16, Normalisation::PerBin, 0.9);
}

#[test]
fn equals_reference_many_partitions_per_bin() {
    check_against_reference(48, 8, Normalisation::PerBin, 0.5);
    check_against_reference(64, 16, Normalisation::PerBin, 0.9);
}

#[test]
fn equals_reference_one_partition_scalar() {
    check_against_reference(16, 16, Normalisation::Scalar, 0.9);
}

#[test]
fn equals_reference_many_partitions_scalar() {
    check_against_reference(64, 16, Normalisation::Scalar, 0.5);
}

/// Scalar normalisation, β = 0, P = 1 is the time-domain block NLMS
/// w ← w + μ·Σᵢ e(i)·x(i) / (ε + ‖uₘ‖²), written here as plain loops.
#[test]
fn scalar_one_partition_is_block_nlms() {
    let (l, b) = (32, 32);
    let blocks = 60;
    let len = blocks * b;
    let x = coloured(len, 0.5, 21);
    let h = decaying(l, 22);
    let d = convolve(&h, &x);
    let (mu, eps) = (0.9, 1e-4);

    let xa = |i: isize| if i < 0 { 0.0 } else { x[i as usize] };
    let mut w = vec![0.0; l];
    let mut y_loop = vec![0.0; len];
    for m in 0..blocks {
        let s = (m * b) as isize;
        let mut e = vec![0.0; b];
        for i in 0..b {
            let mut acc = 0.0;
            for k in 0..l {
                acc += w[k] * xa(s + i as isize - k as isize);
            }
            y_loop[m * b + i] = acc;
            e[i] = d[m * b + i] - acc;
        }
        let mut energy = 0.0;
        for j in (s - b as isize)..(s + b as isize) {
            energy += xa(j) * xa(j);
        }
        for k in 0..l {
            let mut g = 0.0;
            for i in 0..b {
                g += e[i] * xa(s + i as isize - k as isize);
            }
            w[k] += mu * g / (eps + energy);
        }
    }

    let mut filter = Pbfdaf::new(l, b, mu)
        .unwrap()
        .with_beta(0.0)
        .unwrap()
        .with_epsilon(eps)
        .unwrap()
        .with_normalisation(Normalisation::Scalar);
    let (y, _) = filter.process(&x, &d).unwrap();
    assert!(max_diff(&y, &y_loop) <= REFERENCE_TOL * max_abs(&y_loop));
    assert!(max_diff(&filter.weights(), &w) <= REFERENCE_TOL * max_abs(&w));
    assert!(misalignment_db(&w, &h) < -40.0, "{}", misalignment_db(&w, &h));
}

/// Chunks whose lengths are multiples of B: bit for bit the numbers of one call. Other chunks:
/// the same weights bit for bit (adaptation only ever uses the frequency-domain pass), outputs
/// to rounding.
#[test]
fn chunking_gives_the_same_numbers() {
    let (l, b) = (96, 16);
    let len = 50 * b + 5; // ends in a partial block
    let x = coloured(len, 0.8, 31);
    let d = convolve(&decaying(l, 32), &x);
    let whole = {
        let mut f = Pbfdaf::new(l, b, 0.6).unwrap();
        let (y, e) = f.process(&x, &d).unwrap();
        (y, e, f.weights(), f.pending())
    };
    assert_eq!(whole.3, 5);

    let run = |chunks: &[usize]| {
        let mut f = Pbfdaf::new(l, b, 0.6).unwrap();
        let (mut y, mut e) = (vec![0.0; len], vec![0.0; len]);
        let mut at = 0;
        let mut sizes = chunks.iter().cycle();
        while at < len {
            let n = (*sizes.next().unwrap()).min(len - at);
            let r = at..at + n;
            f.process_into(&x[r.clone()], &d[r.clone()], &mut y[r.clone()], &mut e[r]).unwrap();
            at += n;
        }
        (y, e, f.weights())
    };

    let (y, e, w) = run(&[b, 3 * b, 0, 2 * b, 5 * b]);
    assert_eq!(y, whole.0);
    assert_eq!(e, whole.1);
    assert_eq!(w, whole.2);

    let (y, e, w) = run(&[7, 13, 1, 30, 16, 2]);
    assert_eq!(w, whole.2);
    assert!(max_diff(&y, &whole.0) <= ROUNDING_TOL * max_abs(&whole.0));
    assert!(max_diff(&e, &whole.1) <= ROUNDING_TOL * max_abs(&whole.1));
}

/// A 512-tap white-noise identification at 30 dB SNR: below −25 dB misalignment after 300
/// blocks, per bin and scalar; and no noise with coloured input: below −80 dB.
#[test]
fn identifies_a_system() {
    let (l, b) = (512, 64);
    let len = 300 * b;
    let h = decaying(l, 41);
    for normalisation in [Normalisation::PerBin, Normalisation::Scalar] {
        let x = white(len, 1.0, 42);
        let y = convolve(&h, &x);
        let sigma_y = (y.iter().map(|v| v * v).sum::<f64>() / len as f64).sqrt();
        let noise = white(len, sigma_y * 10f64.powf(-30.0 / 20.0), 43);
        let d: Vec<f64> = y.iter().zip(&noise).map(|(a, v)| a + v).collect();
        let mut f = Pbfdaf::new(l, b, 0.5).unwrap().with_normalisation(normalisation);
        f.process(&x, &d).unwrap();
        let mis = misalignment_db(&f.weights(), &h);
        assert!(mis < -25.0, "{normalisation:?}: {mis} dB");
    }
    // Coloured input, no noise: per-bin normalisation converges to rounding level.
    let x = coloured(len, 0.9, 44);
    let d = convolve(&h, &x);
    let mut f = Pbfdaf::new(l, b, 1.0).unwrap();
    f.process(&x, &d).unwrap();
    let mis = misalignment_db(&f.weights(), &h);
    assert!(mis < -80.0, "coloured, noiseless: {mis} dB");
}

/// The steady-state misadjustment M = (MSE − σᵥ²)/σᵥ² against the module doc's μ/(4 − μ).
#[test]
fn misadjustment_matches_theory() {
    let (l, b) = (128, 32);
    let len = 2000 * b;
    let h = decaying(l, 51);
    let x = white(len, 1.0, 52);
    let sigma_v = 0.01;
    let v = white(len, sigma_v, 53);
    let d: Vec<f64> = convolve(&h, &x).iter().zip(&v).map(|(a, n)| a + n).collect();
    for mu in [0.25, 0.5, 1.0] {
        let mut f = Pbfdaf::new(l, b, mu).unwrap();
        let (_, e) = f.process(&x, &d).unwrap();
        let tail = &e[len / 2..];
        let mse = tail.iter().map(|v| v * v).sum::<f64>() / tail.len() as f64;
        let m = (mse - sigma_v * sigma_v) / (sigma_v * sigma_v);
        let theory = mu / (4.0 - mu);
        eprintln!("mu {mu}: M = {m:.4}, theory {theory:.4}");
        assert!(m > 0.85 * theory && m < 1.25 * theory, "mu {mu}: M = {m}, theory {theory}");
    }
}

/// Frozen: weights do not move; outputs are the convolution with the frozen weights.
#[test]
fn frozen_filter_filters_without_adapting() {
    let (l, b) = (64, 16);
    let x = coloured(40 * b, 0.5, 61);
    let d = convolve(&decaying(l, 62), &x);
    let mut f = Pbfdaf::new(l, b, 0.5).unwrap();
    let half = 20 * b;
    f.process(&x[..half], &d[..half]).unwrap();
    let w = f.weights();
    f.set_adapting(false);
    assert!(!f.is_adapting());
    let (y, _) = f.process(&x[half..], &d[half..]).unwrap();
    assert_eq!(f.weights(), w);
    let full = convolve(&w, &x);
    assert!(max_diff(&y, &full[half..]) <= ROUNDING_TOL * max_abs(&full[half..]));
}

/// `reset` gives the numbers of a new filter.
#[test]
fn reset_restarts() {
    let x = white(10 * 8 + 3, 1.0, 71);
    let d = convolve(&[0.3, -0.2, 0.1], &x);
    let mut f = Pbfdaf::new(16, 8, 0.5).unwrap();
    let first = f.process(&x, &d).unwrap();
    f.reset();
    assert_eq!(f.pending(), 0);
    assert_eq!(f.weights(), vec![0.0; 16]);
    assert_eq!(f.process(&x, &d).unwrap(), first);
}

fn invalid_name(r: Result<Pbfdaf, Error>) -> &'static str {
    match r {
        Err(Error::InvalidParameter { name, .. }) => name,
        other => panic!("expected InvalidParameter, got {other:?}"),
    }
}

#[test]
fn bad_parameters_are_errors() {
    assert_eq!(invalid_name(Pbfdaf::new(100, 16, 0.5)), "taps");
    assert_eq!(invalid_name(Pbfdaf::new(0, 16, 0.5)), "taps");
    assert_eq!(invalid_name(Pbfdaf::new(64, 0, 0.5)), "block");
    for mu in [0.0, 2.0, -0.1, f64::NAN, f64::INFINITY] {
        assert_eq!(invalid_name(Pbfdaf::new(64, 16, mu)), "mu");
    }
    let f = || Pbfdaf::new(64, 16, 0.5).unwrap();
    for beta in [1.0, -0.1, f64::NAN] {
        assert_eq!(invalid_name(f().with_beta(beta)), "beta");
    }
    for eps in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert_eq!(invalid_name(f().with_epsilon(eps)), "epsilon");
    }
    assert!(Pbfdaf::new(64, 64, 1.999).is_ok());

    let mut filter = f();
    let x = vec![0.1; 40];
    let mut d = vec![0.2; 40];
    let (mut y, mut e) = (vec![0.0; 40], vec![0.0; 39]);
    assert!(matches!(
        filter.process_into(&x, &d, &mut y, &mut e),
        Err(Error::LengthMismatch { what: "error", expected: 40, got: 39 })
    ));
    d[33] = f64::NAN;
    assert!(matches!(
        filter.process(&x, &d),
        Err(Error::NonFinite { what: "desired", index: 33, .. })
    ));
    assert_eq!(filter.pending(), 0, "nothing processed after an error");
    let mut w = vec![0.0; 63];
    assert!(matches!(filter.weights_into(&mut w), Err(Error::LengthMismatch { .. })));
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// Any chunking (random lengths, zeros included): the weights of one call bit for bit, the
    /// outputs to rounding.
    #[test]
    fn any_chunking_agrees(chunks in proptest::collection::vec(0usize..40, 1..12), seed in 0u64..1000) {
        let (l, b) = (32, 8);
        let len = 300;
        let x = coloured(len, 0.7, seed);
        let d = convolve(&decaying(l, seed + 1), &x);
        let mut one = Pbfdaf::new(l, b, 0.8).unwrap();
        let (y1, _) = one.process(&x, &d).unwrap();
        let mut many = Pbfdaf::new(l, b, 0.8).unwrap();
        let mut y = vec![0.0; len];
        let mut e = vec![0.0; len];
        let mut at = 0;
        for (i, &c) in chunks.iter().cycle().enumerate() {
            if at == len || i > 10_000 {
                break;
            }
            let n = if c == 0 && i % 7 == 6 { 1 } else { c.min(len - at) };
            let r = at..at + n;
            many.process_into(&x[r.clone()], &d[r.clone()], &mut y[r.clone()], &mut e[r]).unwrap();
            at += n;
        }
        proptest::prop_assert_eq!(at, len);
        proptest::prop_assert_eq!(many.weights(), one.weights());
        proptest::prop_assert_eq!(many.pending(), len % b);
        proptest::prop_assert!(max_diff(&y, &y1) <= ROUNDING_TOL * max_abs(&y1));
    }
}
