//! The forward model of deconvolution: PSF kernels, the blur operator H and its adjoint, noise.
//!
//! Oracles: the PSFs' analytic FWHM, Sheppard's variance of a pixel-integrated Gaussian and the
//! Airy pattern's first dark ring; the direct O(N·K) convolution; the adjoint identity
//! ⟨Hx, y⟩ = ⟨x, Hᵀy⟩; power iteration for ‖H‖²; the Poisson and Gaussian moments.

use descent_imaging::{
    Boundary, Convolution, Error, Image, Psf, add_poisson_gaussian, convolve_direct,
    normalise_kernel,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// FFT against direct convolution, relative to the output's natural scale max|x|·Σ|K|.
const FFT_VS_DIRECT: f64 = 1e-12;
/// ⟨Hx, y⟩ − ⟨x, Hᵀy⟩, relative to ‖Hx‖‖y‖ + ‖x‖‖Hᵀy‖.
const ADJOINT: f64 = 1e-10;

fn random_image(width: usize, height: usize, rng: &mut ChaCha8Rng) -> Image {
    let data = (0..width * height).map(|_| rng.random_range(-1.0..1.0)).collect();
    Image::new(width, height, data).unwrap()
}

fn dot(a: &Image, b: &Image) -> f64 {
    a.data().iter().zip(b.data()).map(|(x, y)| x * y).sum()
}

fn norm(a: &Image) -> f64 {
    dot(a, a).sqrt()
}

fn max_abs(a: &Image) -> f64 {
    a.data().iter().fold(0.0, |m, v| m.max(v.abs()))
}

// ---------------------------------------------------------------------------------------------
// PSFs

/// The FWHM of a kernel measured along its central row (`dir` = (1, 0)), column ((0, 1)) or
/// diagonal ((1, 1)): the half-maximum crossing, linearly interpolated between pixels, relative
/// to the central pixel.
fn measured_fwhm(kernel: &Image, dir: (usize, usize)) -> f64 {
    let c = kernel.width() / 2;
    let peak = kernel.get(c, c);
    let step = ((dir.0 * dir.0 + dir.1 * dir.1) as f64).sqrt();
    for i in 1..=c {
        let (inner, outer) = (
            kernel.get(c + (i - 1) * dir.0, c + (i - 1) * dir.1),
            kernel.get(c + i * dir.0, c + i * dir.1),
        );
        if outer <= peak / 2.0 {
            let t = (inner - peak / 2.0) / (inner - outer);
            return 2.0 * step * ((i - 1) as f64 + t);
        }
    }
    panic!("the kernel never falls to half its peak");
}

fn all_psfs(fwhm: f64) -> [Psf; 4] {
    [
        Psf::Gaussian { fwhm },
        Psf::Moffat { fwhm, beta: 2.5 },
        Psf::Moffat { fwhm, beta: 4.765 },
        Psf::Airy { fwhm },
    ]
}

#[test]
fn psf_profiles_are_half_at_half_the_fwhm() {
    for fwhm in [0.7, 3.0, 11.0] {
        for psf in all_psfs(fwhm) {
            assert!((psf.profile(0.0) - 1.0).abs() < 1e-15, "{psf:?}");
            assert!((psf.profile(fwhm / 2.0) - 0.5).abs() < 1e-14, "{psf:?}");
            assert!(psf.profile(0.4 * fwhm) > 0.5 && psf.profile(0.6 * fwhm) < 0.5, "{psf:?}");
        }
    }
}

#[test]
fn psf_kernels_are_odd_centred_symmetric_and_sum_to_one() {
    for fwhm in [1.0, 2.5, 6.0] {
        for psf in all_psfs(fwhm) {
            let k = psf.kernel(None).unwrap();
            let n = k.width();
            assert_eq!((n % 2, k.height()), (1, n), "{psf:?}");
            assert!((k.sum() - 1.0).abs() < 1e-13, "{psf:?}: sum {}", k.sum());
            assert!(k.data().iter().all(|&v| v >= 0.0), "{psf:?}");
            let c = n / 2;
            assert_eq!(k.max(), k.get(c, c), "{psf:?}: the centre is the peak");
            for y in 0..n {
                for x in 0..n {
                    let v = k.get(x, y);
                    assert_eq!(v, k.get(n - 1 - x, y), "{psf:?}: mirror x at ({x}, {y})");
                    assert_eq!(v, k.get(x, n - 1 - y), "{psf:?}: mirror y at ({x}, {y})");
                    assert_eq!(v, k.get(y, x), "{psf:?}: transpose at ({x}, {y})");
                }
            }
        }
    }
}

#[test]
fn psf_fwhm_measured_back_from_the_kernel() {
    // Pixel integration widens the profile by the pixel's box, and the linear interpolation of
    // the crossing errs by O(h²/FWHM²) with h the sample spacing (√2 along the diagonal): both
    // shrink with the FWHM. Measured: +1.2…3.0 % along an axis at FWHM 4, +0.1…0.3 % at 12.
    for (fwhm, axis, diagonal) in [(4.0, 0.035, 0.07), (7.5, 0.012, 0.02), (12.0, 0.004, 0.008)] {
        for psf in all_psfs(fwhm) {
            let k = psf.kernel(None).unwrap();
            for (dir, tolerance) in [((1, 0), axis), ((0, 1), axis), ((1, 1), diagonal)] {
                let excess = measured_fwhm(&k, dir) / fwhm - 1.0;
                assert!(excess > -1e-3 && excess < tolerance, "{psf:?} along {dir:?}: {excess:+}");
            }
        }
    }
}

#[test]
fn pixel_integrated_gaussian_has_sheppards_variance() {
    // Σ dx²·K = σ² + 1/12 for a Gaussian integrated over unit pixels (Sheppard's correction;
    // the error terms are O(exp(−2π²σ²)) < 1e-13 for σ ≥ 1.27), here with ±8σ of support.
    for fwhm in [3.0, 4.7, 8.0] {
        let sigma = fwhm / (2.0 * (2.0 * std::f64::consts::LN_2).sqrt());
        let size = 2 * (8.0 * sigma).ceil() as usize + 1;
        let k = Psf::Gaussian { fwhm }.kernel(Some(size)).unwrap();
        let c = (size / 2) as f64;
        let mut variance = 0.0;
        for y in 0..size {
            for x in 0..size {
                variance += (x as f64 - c).powi(2) * k.get(x, y);
            }
        }
        let expected = sigma * sigma + 1.0 / 12.0;
        assert!(
            (variance - expected).abs() < 1e-9 * expected,
            "FWHM {fwhm}: {variance} vs {expected}"
        );
    }
}

#[test]
fn airy_first_dark_ring_where_the_scaling_puts_it() {
    // First zero of J₁ at x = 3.8317 → r₁ = 3.8317 / (2·1.61634 / FWHM) = 1.18530·FWHM (with
    // λ/D taken for the FWHM it would be 1.2197·FWHM, 0.69 px further out at FWHM 20). The
    // ring is located by the vertex of a parabola through the darkest pixel of the central row
    // and its neighbours: unbiased for a quadratic minimum (the pixel box adds a constant), but
    // the ring is lopsided (steep inside, shallow outside), which pushes it out by ≈ 0.1 px.
    for fwhm in [8.0, 12.0, 20.0] {
        let k = Psf::Airy { fwhm }.kernel(None).unwrap();
        let c = k.width() / 2;
        let row: Vec<f64> = (c..k.width()).map(|x| k.get(x, c)).collect();
        let i = (1..row.len() - 1).find(|&i| row[i] < row[i - 1] && row[i] <= row[i + 1]).unwrap();
        let vertex =
            i as f64 + 0.5 * (row[i - 1] - row[i + 1]) / (row[i - 1] - 2.0 * row[i] + row[i + 1]);
        let r1 = 1.185_303_244_596_587 * fwhm;
        assert!((vertex - r1).abs() < 0.2, "FWHM {fwhm}: ring at {vertex}, expected {r1}");
        // Dark: far below the first bright ring's 1.75 % of the peak.
        assert!(row[i] < 0.003 * row[0], "FWHM {fwhm}: {}", row[i] / row[0]);
    }
}

#[test]
fn psf_default_sizes_and_explicit_sizes() {
    // Gaussian: ±⌈4σ⌉; σ(3) = 1.274 → ±6. Airy: ±⌈5.095·FWHM⌉ → ±11 for FWHM 2.
    assert_eq!(Psf::Gaussian { fwhm: 3.0 }.kernel(None).unwrap().width(), 13);
    assert_eq!(Psf::Airy { fwhm: 2.0 }.kernel(None).unwrap().width(), 23);
    // Moffat β = 2.5: 99 % of the flux within α·√(0.01^{−1/1.5} − 1) = 4.01·FWHM → ±9 at FWHM 2.
    assert_eq!(Psf::Moffat { fwhm: 2.0, beta: 2.5 }.kernel(None).unwrap().width(), 19);
    // β near 1: capped at 8·FWHM.
    assert_eq!(Psf::Moffat { fwhm: 2.0, beta: 1.2 }.kernel(None).unwrap().width(), 33);
    assert_eq!(Psf::Gaussian { fwhm: 3.0 }.kernel(Some(1)).unwrap().data(), &[1.0]);
    let k = Psf::Moffat { fwhm: 3.0, beta: 3.0 }.kernel(Some(31)).unwrap();
    assert_eq!(k.shape(), (31, 31));
    assert!((k.sum() - 1.0).abs() < 1e-13);
}

#[test]
fn psf_rejects_invalid_parameters() {
    let invalid = |r: Result<Image, Error>| matches!(r, Err(Error::InvalidParameter { .. }));
    for fwhm in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(invalid(Psf::Gaussian { fwhm }.kernel(None)), "{fwhm}");
        assert!(invalid(Psf::Airy { fwhm }.kernel(None)), "{fwhm}");
    }
    for beta in [1.0, 0.5, f64::NAN, f64::INFINITY] {
        assert!(invalid(Psf::Moffat { fwhm: 2.0, beta }.kernel(None)), "{beta}");
    }
    assert!(invalid(Psf::Gaussian { fwhm: 2.0 }.kernel(Some(4))));
    assert!(invalid(Psf::Gaussian { fwhm: 2.0 }.kernel(Some(0))));
    assert!(invalid(Psf::Gaussian { fwhm: 2.0 }.kernel(Some(5001))));
    assert!(invalid(Psf::Airy { fwhm: 1000.0 }.kernel(None)));
}

#[test]
fn normalise_kernel_clips_negatives_and_scales_to_one() {
    let k = Image::new(3, 1, vec![-0.5, 2.0, 6.0]).unwrap();
    assert_eq!(normalise_kernel(k).unwrap().data(), &[0.0, 0.25, 0.75]);
    let zero = Image::new(2, 2, vec![0.0, -1.0, 0.0, 0.0]).unwrap();
    assert!(matches!(normalise_kernel(zero), Err(Error::InvalidParameter { .. })));
    let nan = Image::new(2, 1, vec![1.0, f64::NAN]).unwrap();
    assert!(matches!(normalise_kernel(nan), Err(Error::NonFinite { x: 1, y: 0, .. })));
}

// ---------------------------------------------------------------------------------------------
// Convolution

/// Checks H (FFT) against the direct sum and the adjoint identity on random data.
fn check_operator(
    width: usize,
    height: usize,
    kw: usize,
    kh: usize,
    boundary: Boundary,
    seed: u64,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let kernel = random_image(kw, kh, &mut rng);
    let x = random_image(width, height, &mut rng);
    let y = random_image(width, height, &mut rng);
    let mut h = Convolution::new(&kernel, (width, height), boundary).unwrap();
    let label = format!("{width}×{height}, kernel {kw}×{kh}, {boundary:?}");

    let hx = h.apply(&x).unwrap();
    let direct = convolve_direct(&x, &kernel, boundary).unwrap();
    let scale = max_abs(&x) * kernel.data().iter().map(|v| v.abs()).sum::<f64>();
    let error = hx.data().iter().zip(direct.data()).fold(0.0f64, |m, (a, b)| m.max((a - b).abs()));
    assert!(error <= FFT_VS_DIRECT * scale, "{label}: FFT vs direct {error:e} (scale {scale:e})");

    let hty = h.adjoint(&y).unwrap();
    let (lhs, rhs) = (dot(&hx, &y), dot(&x, &hty));
    let size = norm(&hx) * norm(&y) + norm(&x) * norm(&hty);
    assert!((lhs - rhs).abs() <= ADJOINT * size, "{label}: ⟨Hx,y⟩ = {lhs}, ⟨x,Hᵀy⟩ = {rhs}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Odd and even sides from 1 pixel, kernels smaller and larger than the image (a periodic
    /// kernel larger than the image wraps onto itself; "same" pads past it).
    #[test]
    fn fft_equals_direct_and_adjoint_holds(
        width in 1usize..=20, height in 1usize..=20, kw in 1usize..=25, kh in 1usize..=25,
        periodic: bool, seed: u64,
    ) {
        let boundary = if periodic { Boundary::Periodic } else { Boundary::Same };
        check_operator(width, height, kw, kh, boundary, seed);
    }
}

#[test]
fn fft_equals_direct_on_larger_images() {
    // Sides not multiples of the 8-row blocks, prime sides (Bluestein/Rader in rustfft), padded
    // sides with factors 3 and 5.
    for (w, h, kw, kh) in [(64, 48, 9, 9), (67, 53, 11, 6), (101, 37, 25, 25), (40, 90, 7, 31)] {
        for boundary in [Boundary::Periodic, Boundary::Same] {
            check_operator(w, h, kw, kh, boundary, (w * h + kw) as u64);
        }
    }
}

#[test]
fn a_point_source_is_spread_into_the_kernel() {
    // H δ_p has K(q) at p + q − c: the orientation check, independent of convolve_direct.
    let kernel = Image::new(3, 2, vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]).unwrap(); // c = (1, 1)
    for boundary in [Boundary::Periodic, Boundary::Same] {
        let mut h = Convolution::new(&kernel, (7, 5), boundary).unwrap();
        let mut delta = Image::zeros(7, 5);
        delta.set(3, 2, 1.0);
        let out = h.apply(&delta).unwrap();
        for qy in 0..2 {
            for qx in 0..3 {
                let v = out.get(3 + qx - 1, 2 + qy - 1);
                assert!((v - kernel.get(qx, qy)).abs() < 1e-14, "{boundary:?} q = ({qx}, {qy})");
            }
        }
        assert!((out.sum() - 21.0).abs() < 1e-13);
        // Hᵀ δ_p = K flipped: K(q) at p − q + c.
        let back = h.adjoint(&delta).unwrap();
        assert!((back.get(3 - 2 + 1, 2 - 1 + 1) - 6.0).abs() < 1e-14, "{boundary:?}");
        assert!((back.get(3 + 1, 2 + 1) - 1.0).abs() < 1e-14, "{boundary:?}");
    }
    // "Same" loses the flux that falls off the edge; periodic wraps it to the other side.
    let mut delta = Image::zeros(7, 5);
    delta.set(0, 0, 1.0);
    let same = Convolution::new(&kernel, (7, 5), Boundary::Same).unwrap().apply(&delta).unwrap();
    assert!((same.sum() - (5.0 + 6.0)).abs() < 1e-13);
    let wrapped =
        Convolution::new(&kernel, (7, 5), Boundary::Periodic).unwrap().apply(&delta).unwrap();
    assert!((wrapped.get(6, 4) - 1.0).abs() < 1e-14 && (wrapped.sum() - 21.0).abs() < 1e-13);
}

/// The largest eigenvalue of HᵀH by power iteration from a random start.
fn power_iteration(h: &mut Convolution, iterations: usize, seed: u64) -> f64 {
    let (w, hgt) = h.shape();
    let mut v = random_image(w, hgt, &mut ChaCha8Rng::seed_from_u64(seed));
    let (mut hv, mut hthv) = (Image::zeros(w, hgt), Image::zeros(w, hgt));
    let mut lambda = 0.0;
    for _ in 0..iterations {
        let n = norm(&v);
        v.data_mut().iter_mut().for_each(|x| *x /= n);
        h.apply_into(&v, &mut hv).unwrap();
        h.adjoint_into(&hv, &mut hthv).unwrap();
        lambda = dot(&v, &hthv);
        std::mem::swap(&mut v, &mut hthv);
    }
    lambda
}

#[test]
fn norm_squared_against_power_iteration() {
    // A PSF (K ≥ 0, Σ K = 1): periodic ‖H‖² = 1 exactly; "same" slightly below its bound 1.
    let psf = Psf::Moffat { fwhm: 3.0, beta: 2.5 }.kernel(None).unwrap();
    let mut periodic = Convolution::new(&psf, (40, 30), Boundary::Periodic).unwrap();
    assert!((periodic.norm_squared() - 1.0).abs() < 1e-13);
    let estimate = power_iteration(&mut periodic, 300, 1);
    assert!((estimate - 1.0).abs() < 1e-6, "periodic power iteration {estimate}");
    let mut same = Convolution::new(&psf, (40, 30), Boundary::Same).unwrap();
    assert!((same.norm_squared() - 1.0).abs() < 1e-13);
    let estimate = power_iteration(&mut same, 300, 2);
    assert!(estimate <= 1.0 && estimate > 0.9, "same power iteration {estimate}");

    // A signed random kernel: the maximum is at no special frequency.
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    let kernel = random_image(5, 4, &mut rng);
    let mut periodic = Convolution::new(&kernel, (16, 12), Boundary::Periodic).unwrap();
    let bound = periodic.norm_squared();
    let estimate = power_iteration(&mut periodic, 2000, 4);
    assert!(
        estimate <= bound * (1.0 + 1e-12) && estimate > bound * (1.0 - 1e-6),
        "{estimate} vs {bound}"
    );
    let mut same = Convolution::new(&kernel, (16, 12), Boundary::Same).unwrap();
    let estimate = power_iteration(&mut same, 2000, 5);
    assert!(
        estimate <= same.norm_squared() * (1.0 + 1e-12),
        "{estimate} vs {}",
        same.norm_squared()
    );
}

#[test]
fn transfer_is_the_kernel_spectrum_and_filter_generalises_apply() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let kernel = random_image(3, 3, &mut rng);
    let mut h = Convolution::new(&kernel, (10, 7), Boundary::Periodic).unwrap();
    assert_eq!(h.spectrum_shape(), (6, 7));
    // Ĥ(ω) = Σ_q K(q) e^{−2πi ω·(q − c)} by the definition.
    for (index, t) in h.transfer().iter().enumerate() {
        let (fx, fy) = h.frequency(index);
        let (mut re, mut im) = (0.0, 0.0);
        for qy in 0..3 {
            for qx in 0..3 {
                let phase =
                    -2.0 * std::f64::consts::PI * (fx * (qx as f64 - 1.0) + fy * (qy as f64 - 1.0));
                re += kernel.get(qx, qy) * phase.cos();
                im += kernel.get(qx, qy) * phase.sin();
            }
        }
        assert!((t.re - re).abs() < 1e-13 && (t.im - im).abs() < 1e-13, "index {index}");
    }
    let x = random_image(10, 7, &mut rng);
    let gain = h.transfer().to_vec();
    let mut filtered = Image::zeros(10, 7);
    h.filter_into(&x, &gain, &mut filtered).unwrap();
    let applied = h.apply(&x).unwrap();
    assert!(filtered.data().iter().zip(applied.data()).all(|(a, b)| (a - b).abs() < 1e-14));
    assert!(matches!(
        h.filter_into(&x, &gain[1..], &mut filtered),
        Err(Error::ShapeMismatch { .. })
    ));
}

#[test]
fn convolution_rejects_bad_shapes_and_kernels() {
    let kernel = Psf::Gaussian { fwhm: 2.0 }.kernel(None).unwrap();
    let mut h = Convolution::new(&kernel, (8, 6), Boundary::Same).unwrap();
    let mut out = Image::zeros(8, 6);
    assert!(matches!(
        h.apply_into(&Image::zeros(6, 8), &mut out),
        Err(Error::ShapeMismatch { expected: (8, 6), got: (6, 8), .. })
    ));
    assert!(matches!(
        h.adjoint_into(&Image::zeros(8, 6), &mut Image::zeros(8, 5)),
        Err(Error::ShapeMismatch { .. })
    ));
    assert!(matches!(
        Convolution::new(&kernel, (0, 6), Boundary::Same),
        Err(Error::InvalidParameter { .. })
    ));
    let mut bad = kernel.clone();
    bad.set(1, 1, f64::INFINITY);
    assert!(matches!(
        Convolution::new(&bad, (8, 6), Boundary::Periodic),
        Err(Error::NonFinite { .. })
    ));
    assert!(matches!(convolve_direct(&out, &bad, Boundary::Same), Err(Error::NonFinite { .. })));
    assert!(matches!(
        Convolution::new(&kernel, (1 << 16, 1 << 15), Boundary::Same),
        Err(Error::InvalidParameter { .. })
    ));
}

// ---------------------------------------------------------------------------------------------
// Noise

fn mean_variance(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    (mean, values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0))
}

#[test]
fn poisson_plus_gaussian_moments() {
    // Constant u = 2, P = 400 photons → s = 200 photons per unit: Var = u/s + σ² = 0.01 + 0.0025.
    let n = 256 * 256;
    let image = Image::new(256, 256, vec![2.0; n]).unwrap();
    let noisy = add_poisson_gaussian(&image, 400.0, 0.05, 11).unwrap();
    let (mean, variance) = mean_variance(noisy.data());
    let expected = 2.0 / 200.0 + 0.05 * 0.05;
    // Five standard errors: of the mean √(Var/n); of the variance ≈ Var·√(2/n).
    assert!((mean - 2.0).abs() < 5.0 * (expected / n as f64).sqrt(), "mean {mean}");
    assert!(
        (variance - expected).abs() < 5.0 * expected * (2.0 / n as f64).sqrt(),
        "variance {variance}"
    );
}

#[test]
fn poisson_variance_follows_the_signal_and_counts_are_whole() {
    // Left half u = 1 (the peak), right half u = 0.25; P = 100 → s = 100; no read noise.
    let (w, h) = (256, 256);
    let data = (0..w * h).map(|i| if i % w < w / 2 { 1.0 } else { 0.25 }).collect();
    let image = Image::new(w, h, data).unwrap();
    let noisy = add_poisson_gaussian(&image, 100.0, 0.0, 5).unwrap();
    assert!(noisy.data().iter().all(|v| ((v * 100.0) - (v * 100.0).round()).abs() < 1e-9));
    let half = |left: bool| -> Vec<f64> {
        noisy
            .data()
            .iter()
            .enumerate()
            .filter(|(i, _)| (i % w < w / 2) == left)
            .map(|(_, v)| *v)
            .collect()
    };
    let m = (w * h / 2) as f64;
    for (left, u) in [(true, 1.0), (false, 0.25)] {
        let (mean, variance) = mean_variance(&half(left));
        let expected = u / 100.0;
        assert!((mean - u).abs() < 5.0 * (expected / m).sqrt(), "u = {u}: mean {mean}");
        // Poisson: Var of the sample variance ≈ (2λ² + λ)/(m·s⁴) in image units.
        let lambda = u * 100.0;
        let se = ((2.0 * lambda * lambda + lambda) / m).sqrt() / 1e4;
        assert!((variance - expected).abs() < 5.0 * se, "u = {u}: variance {variance}");
    }
    // Low counts: P(n = 0) = e^{−λ}, which no Gaussian model reproduces. λ = 4 (u = 1, P = 4).
    let dim = Image::new(w, h, vec![1.0; w * h]).unwrap();
    let counts = add_poisson_gaussian(&dim, 4.0, 0.0, 6).unwrap();
    let zeros = counts.data().iter().filter(|&&v| v == 0.0).count() as f64 / (w * h) as f64;
    let p0 = (-4.0f64).exp();
    assert!((zeros - p0).abs() < 5.0 * (p0 * (1.0 - p0) / (w * h) as f64).sqrt(), "P(0) = {zeros}");
}

#[test]
fn gaussian_noise_alone_and_reproducibility() {
    let n = 128 * 128;
    let zero = Image::zeros(128, 128);
    let noisy = add_poisson_gaussian(&zero, f64::INFINITY, 0.3, 1).unwrap();
    let (mean, variance) = mean_variance(noisy.data());
    assert!(mean.abs() < 5.0 * 0.3 / (n as f64).sqrt(), "mean {mean}");
    assert!((variance - 0.09).abs() < 5.0 * 0.09 * (2.0 / n as f64).sqrt(), "variance {variance}");
    // An all-zero image has no photons: only read noise (here none) remains.
    assert_eq!(add_poisson_gaussian(&zero, 50.0, 0.0, 1).unwrap(), zero);
    // Same seed, same bits; another seed, other values.
    let image = Psf::Gaussian { fwhm: 4.0 }.kernel(Some(33)).unwrap();
    let a = add_poisson_gaussian(&image, 1000.0, 1e-4, 42).unwrap();
    assert_eq!(a, add_poisson_gaussian(&image, 1000.0, 1e-4, 42).unwrap());
    let b = add_poisson_gaussian(&image, 1000.0, 1e-4, 43).unwrap();
    assert!(a.data().iter().zip(b.data()).filter(|(x, y)| x != y).count() > 1000);
}

#[test]
fn noise_rejects_invalid_input() {
    let image = Image::new(2, 1, vec![1.0, 0.5]).unwrap();
    let invalid = |r: Result<Image, Error>| matches!(r, Err(Error::InvalidParameter { .. }));
    for p in [0.0, -1.0, f64::NAN, 1e20] {
        assert!(invalid(add_poisson_gaussian(&image, p, 0.0, 0)), "photons {p}");
    }
    for s in [-0.1, f64::NAN, f64::INFINITY] {
        assert!(invalid(add_poisson_gaussian(&image, 10.0, s, 0)), "read noise {s}");
    }
    let negative = Image::new(2, 1, vec![1.0, -0.5]).unwrap();
    assert!(invalid(add_poisson_gaussian(&negative, 10.0, 0.0, 0)));
    let nan = Image::new(2, 1, vec![1.0, f64::NAN]).unwrap();
    assert!(matches!(add_poisson_gaussian(&nan, 10.0, 0.0, 0), Err(Error::NonFinite { .. })));
}
