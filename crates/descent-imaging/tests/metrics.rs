//! Metrics with known answers: closed forms, a brute-force SSIM, and scikit-image's numbers.

use descent_imaging::metrics::{chi2, flux_ratio, psnr_db, reduced_chi2, ssim};
use descent_imaging::{Error, Image};

const TIGHT: f64 = 1e-12;

fn image(w: usize, h: usize, f: impl Fn(usize, usize) -> f64) -> Image {
    let data = (0..h).flat_map(|y| (0..w).map(move |x| (x, y))).map(|(x, y)| f(x, y)).collect();
    Image::new(w, h, data).unwrap()
}

/// The images of the scikit-image comparison (24 wide, 19 high).
fn truth() -> Image {
    image(24, 19, |x, y| ((x * 7 + y * 13) % 17) as f64 / 16.0)
}
fn wavy() -> Image {
    let t = truth();
    image(24, 19, |x, y| t.get(x, y) + 0.1 * (0.9 * x as f64 + 1.7 * y as f64).sin())
}
fn affine() -> Image {
    let t = truth();
    image(24, 19, |x, y| 0.8 * t.get(x, y) + 0.1)
}

#[test]
fn matches_scikit_image() {
    // scikit-image 0.26.0 (numpy arrays t[y, x] built as above):
    //   structural_similarity(t, e, gaussian_weights=True, sigma=1.5,
    //                         use_sample_covariance=False, data_range=R)
    //   peak_signal_noise_ratio(t, e, data_range=R)
    for (estimate, range, want_ssim, want_psnr) in [
        (wavy(), 1.0, 0.973_939_611_044_427_7, 23.012_147_303_664_413),
        (affine(), 2.0, 0.976_157_446_313_119_3, 30.276_320_713_835_183),
        (wavy(), 0.25, 0.973_824_373_913_927, 10.970_947_477_105_168),
    ] {
        let s = ssim(&truth(), &estimate, range).unwrap();
        let p = psnr_db(&truth(), &estimate, range).unwrap();
        assert!((s - want_ssim).abs() < 1e-12, "SSIM {s} vs {want_ssim}");
        assert!((p - want_psnr).abs() < 1e-10, "PSNR {p} vs {want_psnr}");
    }
}

/// SSIM straight from its definition: 2-D weights, one window per valid pixel.
fn ssim_by_hand(a: &Image, b: &Image, range: f64) -> f64 {
    let g: Vec<f64> =
        (-5..=5).map(|d: i32| (-f64::from(d * d) / (2.0 * 1.5 * 1.5)).exp()).collect();
    let norm: f64 = g.iter().sum::<f64>().powi(2);
    let (c1, c2) = ((0.01 * range).powi(2), (0.03 * range).powi(2));
    let (w, h) = a.shape();
    let mut total = 0.0;
    let mut count = 0;
    for cy in 5..h - 5 {
        for cx in 5..w - 5 {
            let (mut mx, mut my, mut vx, mut vy, mut cxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for j in 0..11 {
                for i in 0..11 {
                    let wt = g[i] * g[j] / norm;
                    let (p, q) = (a.get(cx + i - 5, cy + j - 5), b.get(cx + i - 5, cy + j - 5));
                    mx += wt * p;
                    my += wt * q;
                }
            }
            for j in 0..11 {
                for i in 0..11 {
                    let wt = g[i] * g[j] / norm;
                    let (p, q) =
                        (a.get(cx + i - 5, cy + j - 5) - mx, b.get(cx + i - 5, cy + j - 5) - my);
                    vx += wt * p * p;
                    vy += wt * q * q;
                    cxy += wt * p * q;
                }
            }
            total += (2.0 * mx * my + c1) * (2.0 * cxy + c2)
                / ((mx * mx + my * my + c1) * (vx + vy + c2));
            count += 1;
        }
    }
    total / f64::from(count)
}

#[test]
fn ssim_equals_its_definition_and_closed_forms() {
    // Brute force on an 11×11 pair (one window) and a 17×13 pair.
    let a = image(11, 11, |x, y| ((x * x + 3 * y) % 11) as f64);
    let b = image(11, 11, |x, y| ((x * 5 + y * y) % 7) as f64 + 0.5);
    assert!((ssim(&a, &b, 10.0).unwrap() - ssim_by_hand(&a, &b, 10.0)).abs() < TIGHT);
    let (a, b) = (
        image(17, 13, |x, y| (x as f64 * 0.4).sin() * y as f64),
        image(17, 13, |x, y| (x * y % 5) as f64),
    );
    assert!((ssim(&a, &b, 12.0).unwrap() - ssim_by_hand(&a, &b, 12.0)).abs() < TIGHT);
    // Identical images: 1. Flat images c₁, c₂: (2c₁c₂ + C₁)/(c₁² + c₂² + C₁).
    assert!((ssim(&a, &a, 12.0).unwrap() - 1.0).abs() < TIGHT);
    let (p, q) = (image(15, 15, |_, _| 0.3), image(15, 15, |_, _| 0.6));
    let c1 = 0.01f64.powi(2);
    let want = (2.0 * 0.3 * 0.6 + c1) / (0.09 + 0.36 + c1);
    assert!((ssim(&p, &q, 1.0).unwrap() - want).abs() < 1e-13);
    // An inverted structure (30 − a: positive means, negative covariance) scores below 0; symmetry.
    let neg = image(17, 13, |x, y| 30.0 - a.get(x, y));
    assert!(ssim(&a, &neg, 12.0).unwrap() < 0.0);
    assert!((ssim(&a, &b, 12.0).unwrap() - ssim(&b, &a, 12.0).unwrap()).abs() < TIGHT);
}

#[test]
fn psnr_has_its_closed_form() {
    // MSE = 0.01 and R = 1: 10·log₁₀(100) = 20 dB; R = 255 adds 20·log₁₀ 255.
    let zero = Image::zeros(4, 3);
    let tenth = image(4, 3, |x, y| if (x + y) % 2 == 0 { 0.1 } else { -0.1 });
    assert!((psnr_db(&zero, &tenth, 1.0).unwrap() - 20.0).abs() < TIGHT);
    let want = 20.0 + 20.0 * 255f64.log10();
    assert!((psnr_db(&zero, &tenth, 255.0).unwrap() - want).abs() < 1e-10);
    assert_eq!(psnr_db(&tenth, &tenth, 1.0).unwrap(), f64::INFINITY);
}

#[test]
fn flux_and_chi2_have_their_closed_forms() {
    let reference = image(5, 4, |x, y| (x + y) as f64 + 1.0);
    let doubled = image(5, 4, |x, y| 2.0 * reference.get(x, y));
    assert!((flux_ratio(&doubled, &reference).unwrap() - 2.0).abs() < TIGHT);
    // r = ±1 everywhere, σ = 0.5: χ² = 20 · 4 = 80; reduced with p = 4: 80/16 = 5.
    let residual = image(5, 4, |x, y| if (x * y) % 2 == 0 { 1.0 } else { -1.0 });
    assert!((chi2(&residual, 0.5).unwrap() - 80.0).abs() < TIGHT);
    assert!((reduced_chi2(&residual, 0.5, 4).unwrap() - 5.0).abs() < TIGHT);
    assert!((reduced_chi2(&residual, 1.0, 0).unwrap() - 1.0).abs() < TIGHT);
}

#[test]
fn bad_inputs_are_typed_errors() {
    let (a, small) = (Image::zeros(12, 12), Image::zeros(10, 12));
    assert!(matches!(psnr_db(&a, &small, 1.0), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(ssim(&a, &small, 1.0), Err(Error::ShapeMismatch { .. })));
    assert!(matches!(ssim(&small, &small, 1.0), Err(Error::InvalidParameter { .. })));
    for range in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(psnr_db(&a, &a, range), Err(Error::InvalidParameter { .. })));
        assert!(matches!(ssim(&a, &a, range), Err(Error::InvalidParameter { .. })));
    }
    assert!(matches!(flux_ratio(&a, &a), Err(Error::InvalidParameter { .. })), "zero flux");
    assert!(matches!(chi2(&a, 0.0), Err(Error::InvalidParameter { .. })));
    assert!(matches!(reduced_chi2(&a, 1.0, 144), Err(Error::InvalidParameter { .. })));
}
