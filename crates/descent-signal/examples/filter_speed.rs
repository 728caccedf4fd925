//! Times descent-signal's NLMS: descent's side of `bench/peers/padasip_speed.sh`.
//!
//! ```text
//! cargo run --release -p descent-signal --example filter_speed -- \
//!     --taps 1024 --input signal.f64 [--repeats 5] [--samples N]
//! ```
//!
//! `--input FILE` holds x then d as raw little-endian f64 (2N values), as
//! `bench/peers/padasip_speed.py --signal-out` writes them; without it, N (`--samples`, default
//! 48000) samples of seeded white noise x and d = x through a 16-tap FIR are made here. The filter
//! is `Nlms::new(L, μ = 0.5, ε = 1e-3)`, padasip's `FilterNLMS(L, mu=0.5, eps=1e-3)`; each repeat
//! resets it and adapts over the whole signal in one `process_into` call, timed. Prints one JSON
//! line: the median samples per second and, to check that both sides computed the same thing, the
//! RMS of e over the last quarter, ‖w‖ and the first weights.

use std::time::Instant;

use descent_signal::{AdaptiveFilter, Nlms};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, StandardNormal};

const MU: f64 = 0.5;
const EPS: f64 = 1e-3;

struct Args {
    taps: usize,
    samples: usize,
    repeats: usize,
    input: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args { taps: 1024, samples: 48_000, repeats: 5, input: None };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        let count = |v: String| v.parse::<usize>().map_err(|e| format!("{flag} {v}: {e}"));
        match flag.as_str() {
            "--taps" => args.taps = count(value()?)?,
            "--samples" => args.samples = count(value()?)?,
            "--repeats" => args.repeats = count(value()?)?.max(1),
            "--input" => args.input = Some(value()?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(args)
}

/// x then d from a raw little-endian f64 file, or seeded white noise through a 16-tap FIR.
fn signals(args: &Args) -> Result<(Vec<f64>, Vec<f64>), String> {
    if let Some(path) = &args.input {
        let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
        if bytes.len() % 16 != 0 {
            return Err(format!("{path}: {} bytes is not 2N float64 values", bytes.len()));
        }
        let values: Vec<f64> = bytes
            .chunks_exact(8)
            .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
            .collect();
        let (x, d) = values.split_at(values.len() / 2);
        return Ok((x.to_vec(), d.to_vec()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(20_261_204);
    let x: Vec<f64> = (0..args.samples).map(|_| StandardNormal.sample(&mut rng)).collect();
    let h: Vec<f64> =
        (0..16).map(|k| 0.8f64.powi(k) * if k % 2 == 0 { 1.0 } else { -0.5 }).collect();
    let d = (0..x.len())
        .map(|n| h.iter().enumerate().filter(|&(k, _)| k <= n).map(|(k, h)| h * x[n - k]).sum())
        .collect();
    Ok((x, d))
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(message) => {
            eprintln!("filter_speed: {message}");
            std::process::exit(2);
        }
    };
    let (x, d) = match signals(&args) {
        Ok(signals) => signals,
        Err(message) => {
            eprintln!("filter_speed: {message}");
            std::process::exit(2);
        }
    };
    let n = x.len();
    let mut filter = match Nlms::new(args.taps, MU, EPS) {
        Ok(filter) => filter,
        Err(error) => {
            eprintln!("filter_speed: {error}");
            std::process::exit(2);
        }
    };
    let (mut y, mut e) = (vec![0.0; n], vec![0.0; n]);
    let mut seconds = Vec::with_capacity(args.repeats);
    for _ in 0..args.repeats {
        filter.reset();
        let start = Instant::now();
        if let Err(error) = filter.process_into(&x, &d, &mut y, &mut e) {
            eprintln!("filter_speed: {error}");
            std::process::exit(2);
        }
        seconds.push(start.elapsed().as_secs_f64());
    }
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let median = sorted[sorted.len() / 2];
    let tail = &e[n - n / 4..];
    let error_rms = (tail.iter().map(|e| e * e).sum::<f64>() / tail.len().max(1) as f64).sqrt();
    let w = filter.weights();
    let w_norm = w.iter().map(|w| w * w).sum::<f64>().sqrt();
    println!(
        "{}",
        serde_json::json!({
            "library": "descent",
            "filter": format!("Nlms::new({}, {MU}, {EPS})", args.taps),
            "taps": args.taps,
            "samples": n,
            "repeats": args.repeats,
            "seconds": seconds,
            "samples_per_s": n as f64 / median,
            "error_rms_last_quarter": error_rms,
            "w_norm": w_norm,
            "w_first": &w[..w.len().min(4)],
        })
    );
}
