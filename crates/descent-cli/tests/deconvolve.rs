//! `descent deconvolve` end to end: the demo's numbers, a FITS round trip against a known truth,
//! `--psf` parsing, and bad input as one line on stderr, exit code 2 and no file written.

use std::path::Path;

use assert_cmd::Command;
use descent_imaging::metrics::psnr_db;
use descent_imaging::{
    Bitpix, Boundary, Convolution, Image, Psf, add_poisson_gaussian, read_fits, write_fits,
};
use serde_json::Value;

fn descent() -> Command {
    Command::cargo_bin("descent").unwrap()
}

/// Runs `descent` in `dir` with `args` and `--json`, expecting one JSON object on stdout.
fn json(dir: &Path, args: &[&str]) -> Value {
    let out = descent().current_dir(dir).args(args).arg("--json").output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.trim_end().lines().count(), 1, "exactly one line: {stdout}");
    serde_json::from_str(&stdout).unwrap()
}

/// Runs `descent` in `dir` expecting failure: one line on stderr, exit code 2.
fn fails(dir: &Path, args: &[&str]) -> String {
    let out = descent().current_dir(dir).args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{args:?} should fail");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    stderr
}

/// A 64 × 64 field of a few sharp stars on zero background, peak 1.
fn truth() -> Image {
    let mut im = Image::zeros(64, 64);
    for (i, (x, y)) in [(12, 14), (40, 20), (30, 45), (50, 52), (20, 33)].into_iter().enumerate() {
        im.set(x, y, 1.0 - 0.15 * i as f64);
        im.set(x + 1, y, 0.3);
    }
    im
}

/// Writes `truth()` blurred by a Gaussian of FWHM 3 (periodic) with light noise as `blurred.fits`.
fn blurred(dir: &Path) -> Image {
    let t = truth();
    let kernel = Psf::Gaussian { fwhm: 3.0 }.kernel(Some(15)).unwrap();
    let mut h = Convolution::new(&kernel, t.shape(), Boundary::Periodic).unwrap();
    let mut clean = h.apply(&t).unwrap();
    clean.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    let y = add_poisson_gaussian(&clean, 1e5, 1e-4, 7).unwrap();
    write_fits(&dir.join("blurred.fits"), &y, Bitpix::F64).unwrap();
    y
}

#[test]
fn demo_restores_m13_with_every_method() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(dir.path(), &["deconvolve", "--demo", "--out", "previews"]);
    let blurred = v["blurred_psnr_db"].as_f64().unwrap();
    assert!((30.0..40.0).contains(&blurred), "blurred PSNR {blurred}");
    let methods = v["methods"].as_array().unwrap();
    let names: Vec<&str> = methods.iter().map(|m| m["method"].as_str().unwrap()).collect();
    assert_eq!(names, ["landweber", "fista-tv", "rl", "rl-tv", "wiener"]);
    for m in methods {
        let name = m["method"].as_str().unwrap();
        let psnr = m["psnr_db"].as_f64().unwrap();
        let flux = m["flux_ratio"].as_f64().unwrap();
        let ssim = m["ssim"].as_f64().unwrap();
        assert!(psnr > blurred, "{name}: {psnr} dB");
        assert!(ssim > 0.9 && ssim <= 1.0, "{name}: SSIM {ssim}");
        assert!(m["iterations"].as_u64().unwrap() >= 1);
        if name.starts_with("rl") {
            assert!(psnr > blurred + 8.0, "{name}: {psnr} dB vs blurred {blurred}");
            assert!((flux - 1.0).abs() <= 0.01, "{name}: flux ratio {flux}");
            assert_eq!(m["stopped_by"], "discrepancy");
        }
    }
    for name in ["truth", "blurred", "landweber", "fista-tv", "rl", "rl-tv", "wiener"] {
        let bytes = std::fs::read(dir.path().join("previews").join(format!("{name}.png"))).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{name}.png");
    }
}

#[test]
fn a_blurred_fits_comes_back_sharper() {
    let dir = tempfile::tempdir().unwrap();
    let y = blurred(dir.path());
    let v = json(
        dir.path(),
        &[
            "deconvolve",
            "--input",
            "blurred.fits",
            "--psf",
            "gaussian:fwhm=3,size=15",
            "--method",
            "rl",
            "--boundary",
            "periodic",
            "--auto-stop",
            "--out",
            "restored.fits",
            "--png",
            "preview.png",
        ],
    );
    assert_eq!(v["method"], "rl");
    assert_eq!(v["width"], 64);
    let iterations = v["iterations"].as_u64().unwrap();
    assert!((1..=500).contains(&iterations));
    assert!((v["flux_ratio"].as_f64().unwrap() - 1.0).abs() < 1e-3, "RL conserves flux");
    assert!(v["noise_sigma"].as_f64().unwrap() > 0.0);
    let restored = read_fits(&dir.path().join("restored.fits")).unwrap();
    assert_eq!(restored.shape(), (64, 64));
    let before = psnr_db(&truth(), &y, 1.0).unwrap();
    let after = psnr_db(&truth(), &restored, 1.0).unwrap();
    assert!(after > before + 3.0, "PSNR {before} → {after}");
    let png = std::fs::read(dir.path().join("preview.png")).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let preview = descent_imaging::read_png(&dir.path().join("preview.png")).unwrap();
    assert_eq!(preview.shape(), (64, 64));

    // A fixed count runs exactly that many iterations.
    let v = json(
        dir.path(),
        &[
            "deconvolve",
            "--input",
            "blurred.fits",
            "--psf",
            "gaussian:fwhm=3",
            "--method",
            "landweber",
            "--iterations",
            "7",
            "--out",
            "lw.fits",
        ],
    );
    assert_eq!(v["iterations"], 7);
    assert_eq!(v["stopped_by"], "fixed");
}

#[test]
fn every_psf_form_parses_and_bad_ones_fail() {
    let dir = tempfile::tempdir().unwrap();
    blurred(dir.path());
    let kernel = Psf::Moffat { fwhm: 3.0, beta: 2.5 }.kernel(Some(11)).unwrap();
    write_fits(&dir.path().join("psf.fits"), &kernel, Bitpix::F64).unwrap();
    for spec in
        ["gaussian:fwhm=4.7", "moffat:fwhm=3.9,beta=2.5", "airy:fwhm=3.0,size=21", "file:psf.fits"]
    {
        let v = json(
            dir.path(),
            &[
                "deconvolve",
                "--input",
                "blurred.fits",
                "--psf",
                spec,
                "--iterations",
                "3",
                "--out",
                "o.fits",
            ],
        );
        assert_eq!(v["psf"], spec);
        assert_eq!(v["iterations"], 3);
    }
    for (spec, says) in [
        ("gaussian:fwhm=-1", "fwhm"),
        ("moffat:beta=2.5", "fwhm"),
        ("lorentz:fwhm=3", "unknown kind"),
        ("gaussian", "KIND:PARAMS"),
        ("gaussian:fwhm=3,size=4", "size"),
        ("file:missing.fits", "missing.fits"),
    ] {
        let err = fails(
            dir.path(),
            &["deconvolve", "--input", "blurred.fits", "--psf", spec, "--out", "bad.fits"],
        );
        assert!(err.contains(says), "{spec}: {err}");
        assert!(!dir.path().join("bad.fits").exists(), "{spec}: no output");
    }
}

#[test]
fn malformed_fits_is_one_line_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("junk.fits"), b"SIMPLE  = nonsense, not a FITS header").unwrap();
    let err = fails(
        dir.path(),
        &["deconvolve", "--input", "junk.fits", "--psf", "gaussian:fwhm=3", "--out", "r.fits"],
    );
    assert!(err.starts_with("error:"), "{err}");
    assert!(!dir.path().join("r.fits").exists());
    let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(names.len(), 1, "only the input remains");
    fails(
        dir.path(),
        &["deconvolve", "--input", "x.tiff", "--psf", "gaussian:fwhm=3", "--out", "r.fits"],
    );
}
