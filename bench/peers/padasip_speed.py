"""Times padasip's NLMS on 16 kHz-like signals: padasip's side of padasip_speed.sh.

The signals (numpy.random.default_rng(seed), float64): a far-end x(n) that is AR(2) noise with a
spectral peak near 500 Hz at 16 kHz and a slow amplitude envelope (speech-like colour and
level changes), and a microphone d = h ∗ x + 1e-3·N(0, 1), h a 1024-tap room-like impulse
response (Gaussian taps under an exponential decay, 60 dB over the 1024 taps = 64 ms). With
`--signal-out FILE` they are written there as raw little-endian float64, x then d, for descent's
side (crates/descent-signal/examples/filter_speed.rs --input FILE) to run on the same numbers.

For each tap count L: padasip's `FilterNLMS(L, mu=0.5, eps=1e-3, w="zeros")` adapts over all N
samples; the input matrix (row n = [x(n), …, x(n−L+1)], zeros before the start) is built before
the clock starts. Two ways of driving padasip are timed, each `--repeats` times on a fresh filter:
  run    `f.run(d, X)`, the documented batch call (it also stores the weight history, N × L)
  adapt  `for n: f.adapt(d[n], X[n])`, padasip's per-sample call (no history)
and the faster median counts as padasip's speed. Prints one JSON object per L (one line each).
numpy's BLAS is held to one thread (descent's NLMS runs on one).

    bench/peers/.venv-padasip/bin/python bench/peers/padasip_speed.py --taps 64 1024 --samples 16000
"""

import argparse
import importlib.metadata
import json
import os
import platform
import statistics
import sys
import time

for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

import numpy as np  # noqa: E402
import padasip as pa  # noqa: E402

MU, EPS = 0.5, 1e-3
ROOM_TAPS = 1024


def signals(samples, seed, rate=16000):
    rng = np.random.default_rng(seed)
    # AR(2) resonance: poles at radius 0.98, angle 2π·500/rate.
    r, theta = 0.98, 2 * np.pi * 500 / rate
    a1, a2 = 2 * r * np.cos(theta), -r * r
    drive = rng.standard_normal(samples)
    x = np.zeros(samples)
    x1 = x2 = 0.0
    for n in range(samples):
        x0 = a1 * x1 + a2 * x2 + drive[n]
        x[n], x2, x1 = x0, x1, x0
    # A syllable-rate (4 Hz) envelope between 0.1 and 1, peak near 0.5.
    t = np.arange(samples) / rate
    x *= 0.1 + 0.9 * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2
    x *= 0.5 / np.max(np.abs(x))
    decay = 10 ** (-3 * np.arange(ROOM_TAPS) / ROOM_TAPS)  # −60 dB over the response
    h = rng.standard_normal(ROOM_TAPS) * decay
    h *= 0.5 / np.linalg.norm(h)
    d = np.convolve(x, h)[:samples] + 1e-3 * rng.standard_normal(samples)
    return x, d


def input_matrix(x, taps):
    rows = np.zeros((len(x), taps))
    for k in range(taps):
        rows[k:, k] = x[: len(x) - k]
    return rows


def time_run(x_rows, d, taps):
    f = pa.filters.FilterNLMS(taps, mu=MU, eps=EPS, w="zeros")
    start = time.perf_counter()
    _, e, _ = f.run(d, x_rows)
    return time.perf_counter() - start, e, f.w


def time_adapt(x_rows, d, taps):
    f = pa.filters.FilterNLMS(taps, mu=MU, eps=EPS, w="zeros")
    start = time.perf_counter()
    for n in range(len(d)):
        f.adapt(d[n], x_rows[n])
    return time.perf_counter() - start, f.w


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taps", type=int, nargs="+", default=[64, 1024])
    parser.add_argument("--samples", type=int, default=16000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261204)
    parser.add_argument("--signal-out", help="write x then d as raw little-endian float64 here")
    args = parser.parse_args()

    x, d = signals(args.samples, args.seed)
    if args.signal_out:
        np.concatenate([x, d]).astype("<f8").tofile(args.signal_out)
    versions = {"python": sys.version.split()[0], "numpy": np.__version__,
                "padasip": importlib.metadata.version("padasip")}
    for taps in args.taps:
        x_rows = input_matrix(x, taps)
        run_s, adapt_s = [], []
        for _ in range(args.repeats):
            seconds, e, w = time_run(x_rows, d, taps)
            run_s.append(seconds)
            seconds, w_adapt = time_adapt(x_rows, d, taps)
            adapt_s.append(seconds)
        assert np.array_equal(w, w_adapt), "run and adapt compute the same weights"
        best = min(statistics.median(run_s), statistics.median(adapt_s))
        tail = e[-len(e) // 4:]
        print(json.dumps({
            "library": "padasip", "filter": f"FilterNLMS(mu={MU}, eps={EPS})", "taps": taps,
            "samples": args.samples, "seed": args.seed, "repeats": args.repeats,
            "run_s": run_s, "adapt_s": adapt_s,
            "run_samples_per_s": args.samples / statistics.median(run_s),
            "adapt_samples_per_s": args.samples / statistics.median(adapt_s),
            "samples_per_s": args.samples / best,
            "error_rms_last_quarter": float(np.sqrt(np.mean(tail ** 2))),
            "w_norm": float(np.linalg.norm(w)), "w_first": w[:4].tolist(),
            "versions": versions, "platform": platform.platform(),
            "loadavg": list(os.getloadavg()),
        }), flush=True)


if __name__ == "__main__":
    main()
