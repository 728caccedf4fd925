//! Richardson–Lucy's speed on the input of scikit-image's timing
//! (`bench/peers/skimage_deconvolution.py`, its `speed()`), for the side-by-side in
//! `bench/peers/deconvolution_speed.sh`.
//!
//! The input, built as the Python script builds it: the issue's M13 truth (median subtracted,
//! clipped at 0, peak 1) tiled 4 × 4 (1200 × 1200) and cropped to the first 1024 rows and
//! columns; blurred periodically by the σ = 2 px Gaussian PSF on 25 × 25; Poisson noise at 2000
//! photons per unit plus Gaussian read noise 2/2000 (seeded, seed 20261206; our own sampler, so
//! not numpy's draw); clipped at 0. Then [`richardson_lucy`], exactly 100 iterations, with the
//! blur H as a [`Convolution`] with [`Boundary::Same`] (zero padding, as skimage's
//! `scipy.signal.convolve(mode='same')`) and with [`Boundary::Periodic`]; one warm-up run, then
//! the median of `repeats` timed runs (default 3), on one thread (the crate has no threads).
//!
//! ```text
//! cargo run --release -p descent-imaging --example rl_speed [-- repeats]
//! ```
//!
//! Prints one JSON line: per boundary the times (s), their median and pixel-iterations per second
//! (1024² · 100 / median).

use std::process::ExitCode;
use std::time::Instant;

use descent_imaging::{
    Boundary, Convolution, Image, Options, Psf, Result, add_poisson_gaussian, m13, richardson_lucy,
};

/// The image side.
const SIDE: usize = 1024;
/// Richardson–Lucy iterations per timed run.
const ITERATIONS: usize = 100;
/// The noise seed (the Python script's SEED_SPEED).
const SEED: u64 = 20_261_206;

/// The issue's truth: M13 minus its median, clipped at 0, peak 1.
fn truth() -> Result<Image> {
    let m = m13();
    let (w, h) = m.shape();
    let mut sorted = m.data().to_vec();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let data: Vec<f64> = m.data().iter().map(|v| (v - median).max(0.0)).collect();
    let peak = data.iter().copied().fold(0.0, f64::max);
    Image::new(w, h, data.into_iter().map(|v| v / peak).collect())
}

/// The 1024 × 1024 observed image (see the module docs) and the σ = 2 kernel.
fn observed() -> Result<(Image, Image)> {
    let t = truth()?;
    let (w, h) = t.shape();
    let mut big = Image::zeros(SIDE, SIDE);
    for r in 0..SIDE {
        for c in 0..SIDE {
            big.set(c, r, t.get(c % w, r % h));
        }
    }
    let sigma = 2.0;
    let kernel = Psf::Gaussian { fwhm: 2.0 * (2.0 * std::f64::consts::LN_2).sqrt() * sigma }
        .kernel(Some(25))?;
    let mut blur = Convolution::new(&kernel, (SIDE, SIDE), Boundary::Periodic)?;
    let mut b = blur.apply(&big)?;
    b.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    // 2000 photons per unit of the truth: add_poisson_gaussian scales the blurred peak
    let photons = 2000.0 * b.max();
    let mut y = add_poisson_gaussian(&b, photons, 2.0 / 2000.0, SEED)?;
    y.data_mut().iter_mut().for_each(|v| *v = v.max(0.0));
    Ok((y, kernel))
}

/// Times one boundary: warm-up, then `repeats` runs; returns the JSON object.
fn time(y: &Image, kernel: &Image, boundary: Boundary, repeats: usize) -> Result<String> {
    let mut h = Convolution::new(kernel, y.shape(), boundary)?;
    let warm = richardson_lucy(&mut h, y, Options::fixed(ITERATIONS))?;
    let mut times = Vec::with_capacity(repeats);
    for _ in 0..repeats {
        let start = Instant::now();
        let out = richardson_lucy(&mut h, y, Options::fixed(ITERATIONS))?;
        times.push(start.elapsed().as_secs_f64());
        std::hint::black_box(out);
    }
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let rate = (SIDE * SIDE * ITERATIONS) as f64 / median;
    let list: Vec<String> = times.iter().map(|t| format!("{t:.4}")).collect();
    Ok(format!(
        "{{\"times_s\":[{}],\"median_s\":{median:.4},\"pixel_iterations_per_s\":{rate:.4e},\"result_sum\":{:.6}}}",
        list.join(","),
        warm.image.sum()
    ))
}

fn run(repeats: usize) -> Result<()> {
    let (y, kernel) = observed()?;
    let same = time(&y, &kernel, Boundary::Same, repeats)?;
    let periodic = time(&y, &kernel, Boundary::Periodic, repeats)?;
    println!(
        "{{\"side\":{SIDE},\"iterations\":{ITERATIONS},\"threads\":1,\"warmup_calls\":1,\"observed_sum\":{:.6},\"same\":{same},\"periodic\":{periodic}}}",
        y.sum()
    );
    Ok(())
}

fn main() -> ExitCode {
    let repeats = match std::env::args().nth(1).map(|a| a.parse::<usize>()) {
        None => 3,
        Some(Ok(n)) if n >= 1 => n,
        Some(_) => {
            eprintln!("rl_speed: the argument is the number of timed runs, a whole number ≥ 1");
            return ExitCode::from(2);
        }
    };
    match run(repeats) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rl_speed: {e}");
            ExitCode::from(2)
        }
    }
}
