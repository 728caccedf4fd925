"""Reference runs of padasip's NLMS, LMS, RLS and affine-projection filters, for descent's tests.

Writes bench/peers/padasip_reference.json, read by crates/descent-signal/tests/padasip.rs:
descent-signal's `Nlms`, `Lms`, `Rls` and `AffineProjection` run on the same signals must give
padasip's y, e and final w to 1e-9 relative.

padasip 1.2.2's update rules (read from its source, padasip/filters/*.py), for one sample with
the input row x = x(n), desired d = d(n), all filters starting from w = 0 (`w="zeros"`; padasip's
default is random weights):

    y = wᵀx,  e = d − y                                         (base_filter.AdaptiveFilter.run)
    FilterLMS(n, mu)        w ← w + μ·e·x
    FilterNLMS(n, mu, eps)  w ← w + μ/(ε + xᵀx)·e·x                     (ε outside, no sqrt)
    FilterRLS(n, mu, eps)   R(0) = I/ε;  R ← (R − R x xᵀ R / (μ + xᵀRx)) / μ;  w ← w + R·x·e
                            (padasip's `mu` is the forgetting factor λ; the gain R(n)·x equals
                            the textbook k(n) = P x / (λ + xᵀPx), so this is standard RLS with
                            P(0) = δ⁻¹·I, δ = ε)
    FilterAP(n, order, mu, ifc)
                            X = [x(n), x(n−1), …, x(n−K+1)]  (n × K, newest column first, columns
                            before the start are 0),  dₖ = [d(n), …, d(n−K+1)]
                            e = dₖ − Xᵀw  (all K errors recomputed with the current w)
                            w ← w + μ·X·(XᵀX + ifc·I)⁻¹·e;   y(n), e(n) = first entries
                            (ifc is the regularisation δ, added unscaled)

`run` returns the weights *before* each update (w_history); the final w is `filter.w` after it.

Input rows follow descent's convention (crates/descent-signal/src/filter.rs): row n of the input
matrix is [x(n), x(n−1), …, x(n−L+1)] with zeros before the start, built explicitly here
(padasip.preprocess.input_from_history orders a row oldest first and drops the first L−1
samples, so it is not used).

Signals (numpy.random.default_rng(20261204), float64, values rounded to 6 decimals so that the
JSON stays small; the rounded values are the signals, exactly):
    white     x ~ N(0, 1),                       d = h ∗ x + 0.01·N(0, 1)
    coloured  x(n) = 0.95·x(n−1) + 0.3·N(0, 1),  d = h ∗ x + 0.01·N(0, 1)   (AR(1): the eigenvalue
              spread of its 16 × 16 autocorrelation matrix is ≈ 480)
    h: 12 taps, h_k = N(0, 1)·0.8^k; the filters have L = 16 taps (over-modelled).
NLMS (μ = 0.5, ε = 1e-3) runs on all 4000 samples of each signal; NLMS (μ = 1, ε = 0.1), LMS, RLS
and AP on the first 1200 (to keep the file under 1 MB).

Rerun from the repository root (deterministic; same versions give the same file byte for byte):
    bash bench/peers/setup-padasip.sh
    bench/peers/.venv-padasip/bin/python bench/peers/padasip_reference.py
"""

import importlib.metadata
import json
import os
import platform
import sys

import numpy as np
import padasip as pa

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "padasip_reference.json")
SEED = 20261204
SAMPLES = 4000
SHORT = 1200  # samples for the second NLMS setting, LMS, RLS and AP
TAPS = 16
SYSTEM_TAPS = 12


def input_matrix(x, taps):
    """Row n = [x(n), x(n−1), …, x(n−taps+1)], zeros before the start (descent's convention)."""
    rows = np.zeros((len(x), taps))
    for k in range(taps):
        rows[k:, k] = x[: len(x) - k]
    return rows


def signals(rng):
    h = np.round(rng.standard_normal(SYSTEM_TAPS) * 0.8 ** np.arange(SYSTEM_TAPS), 6)
    white = np.round(rng.standard_normal(SAMPLES), 6)
    drive = rng.standard_normal(SAMPLES)
    coloured = np.zeros(SAMPLES)
    prev = 0.0
    for n in range(SAMPLES):
        prev = 0.95 * prev + 0.3 * drive[n]
        coloured[n] = prev
    coloured = np.round(coloured, 6)
    out = {}
    for name, x in (("white", white), ("coloured", coloured)):
        d = np.convolve(x, h)[:SAMPLES] + 0.01 * rng.standard_normal(SAMPLES)
        out[name] = {"x": x, "d": np.round(d, 6)}
    return h, out


def configurations():
    """(name, constructor, arguments in padasip's spelling, descent's equivalent, samples)."""
    return [
        ("nlms", "FilterNLMS", {"mu": 0.5, "eps": 1e-3},
         {"filter": "Nlms", "mu": 0.5, "eps": 1e-3}, SAMPLES),
        ("nlms_mu1", "FilterNLMS", {"mu": 1.0, "eps": 0.1},
         {"filter": "Nlms", "mu": 1.0, "eps": 0.1}, SHORT),
        ("lms", "FilterLMS", {"mu": 0.01},
         {"filter": "Lms", "mu": 0.01}, SHORT),
        ("rls", "FilterRLS", {"mu": 0.99, "eps": 0.1},
         {"filter": "Rls", "lambda": 0.99, "delta": 0.1}, SHORT),
        ("ap", "FilterAP", {"mu": 0.5, "order": 4, "ifc": 1e-3},
         {"filter": "AffineProjection", "order": 4, "mu": 0.5, "delta": 1e-3}, SHORT),
    ]


def main():
    rng = np.random.default_rng(SEED)
    h, sigs = signals(rng)
    runs = {}
    for signal_name, sig in sigs.items():
        for name, constructor, args, descent_args, samples in configurations():
            x = sig["x"][:samples]
            d = sig["d"][:samples]
            f = getattr(pa.filters, constructor)(TAPS, w="zeros", **args)
            y, e, _w_before = f.run(d, input_matrix(x, TAPS))
            runs[f"{name}/{signal_name}"] = {
                "signal": signal_name,
                "samples": samples,
                "constructor": f"padasip.filters.{constructor}",
                "arguments": {"n": TAPS, "w": "zeros", **args},
                "descent": {"taps": TAPS, **descent_args},
                "y": y.tolist(),
                "e": e.tolist(),
                "w": f.w.tolist(),
            }
    out = {
        "generated_by": "bench/peers/padasip_reference.py",
        "versions": {
            "python": sys.version.split()[0],
            "numpy": np.__version__,
            "padasip": importlib.metadata.version("padasip"),
            "platform": platform.platform(),
        },
        "seed": SEED,
        "taps": TAPS,
        "input_rows": "row n = [x(n), x(n-1), ..., x(n-taps+1)], zeros before the start",
        "system": h.tolist(),
        "signals": {k: {"x": v["x"].tolist(), "d": v["d"].tolist()} for k, v in sigs.items()},
        "runs": runs,
    }
    with open(OUT + ".tmp", "w") as fh:
        json.dump(out, fh)
    os.replace(OUT + ".tmp", OUT)
    print(f"wrote {OUT}: {os.path.getsize(OUT)} bytes, {len(runs)} runs")
    for key, run in runs.items():
        e = np.array(run["e"])
        tail = e[-500:]
        print(f"  {key:20s} final-500 error rms {np.sqrt(np.mean(tail ** 2)):.3e}"
              f"  |w - h| {np.linalg.norm(np.array(run['w']) - np.pad(h, (0, TAPS - SYSTEM_TAPS))):.3e}")


if __name__ == "__main__":
    main()
