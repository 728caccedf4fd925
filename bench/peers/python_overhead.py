"""Issue 13's yardsticks for the Python package, measured in one process:

1. Per-iteration overhead of L-BFGS on a Python objective, descent vs scipy's L-BFGS-B, at
   n = 2 and n = 10⁴. The objective is extended Rosenbrock in numpy, value and gradient from
   one call (jac=True). Every call is timed (perf_counter around the user's function), and
   overhead per iteration = (wall time of minimize − time inside the objective) / nit: what the
   solver and the binding cost on top of the user's function. Both libraries run to the same
   tolerance (gtol 1e-8 on the inf-norm, scipy's default factr; at n = 10⁴ 1,000 iterations);
   descent runs
   'L-BFGS-B' (scipy's semantics) and 'lbfgs' (its own L-BFGS, More-Thuente line search).
2. descent.optim.Adam's step on 10⁷ float32 parameters (NumPy arrays, in place) against the
   same step of the Rust step API on Rust vectors (descent._native.rust_adam_step_seconds),
   alternating, medians of 30 steps each per round.

Rounds alternate the libraries; medians over rounds are reported. Run with the scipy venv
holding descent (bench/peers/python_overhead.sh does the set-up); writes JSON to stdout.
"""

import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import scipy.optimize

import descent
from descent import _native

ROUNDS = int(os.environ.get("ROUNDS", "5"))


def rosen_pair(x):
    """Extended (chained) Rosenbrock, value and gradient."""
    d = x[1:] - x[:-1] ** 2
    f = float(np.sum(100.0 * d**2 + (1 - x[:-1]) ** 2))
    g = np.zeros_like(x)
    g[:-1] = -400.0 * x[:-1] * d - 2.0 * (1 - x[:-1])
    g[1:] += 200.0 * d
    return f, g


class Timed:
    """The objective with the time spent inside it."""

    def __init__(self):
        self.inside = 0.0
        self.calls = 0

    def __call__(self, x):
        start = time.perf_counter()
        out = rosen_pair(x)
        self.inside += time.perf_counter() - start
        self.calls += 1
        return out


def start(n):
    x0 = np.empty(n)
    x0[0::2], x0[1::2] = -1.2, 1.0
    return x0


def lbfgs_overhead(library, method, n, repeats, maxiter):
    """Median over `repeats` runs of (wall − inside)/nit, in µs, and the run's counts."""
    per_iteration, last = [], None
    for _ in range(repeats):
        f = Timed()
        options = {"gtol": 1e-8, "maxiter": maxiter}
        if method == "lbfgs":
            options = {"gtol_inf": 1e-8, "gtol": 0.0, "max_iter": maxiter, "memory": 10,
                       "line_search": "more-thuente"}
        begin = time.perf_counter()
        res = library(f, start(n), jac=True, method=method, options=options)
        wall = time.perf_counter() - begin
        per_iteration.append((wall - f.inside) / max(res.nit, 1) * 1e6)
        last = {"nit": int(res.nit), "nfev": int(res.nfev), "calls": f.calls,
                "fun": float(res.fun), "inside_per_call_us": f.inside / f.calls * 1e6}
    return statistics.median(per_iteration), last


def adam_step_seconds(n, steps):
    w = np.ones(n, dtype=np.float32)
    g = ((np.arange(n) % 17).astype(np.float32) - 8.0) * np.float32(1e-3)
    opt = descent.optim.Adam(lr=1e-3)
    seconds = []
    for _ in range(steps):
        begin = time.perf_counter()
        opt.step(w, g)
        seconds.append(time.perf_counter() - begin)
    return seconds


def main():
    out = {
        "generated_by": "bench/peers/python_overhead.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "descent": descent.__version__,
                     "platform": platform.platform()},
        "rounds": ROUNDS,
        "lbfgs": {},
    }
    runs = [("scipy L-BFGS-B", scipy.optimize.minimize, "L-BFGS-B"),
            ("descent L-BFGS-B", descent.minimize, "L-BFGS-B"),
            ("descent lbfgs", descent.minimize, "lbfgs")]
    # n = 10⁴ from the standard start needs ~13,000 iterations; 1,000 measure the overhead.
    for n, repeats, maxiter in [(2, 200, 20000), (10_000, 3, 1000)]:
        samples = {name: [] for name, _, _ in runs}
        counts = {}
        for _ in range(ROUNDS):
            for name, library, method in runs:
                us, last = lbfgs_overhead(library, method, n, repeats, maxiter)
                samples[name].append(us)
                counts[name] = last
        medians = {name: statistics.median(v) for name, v in samples.items()}
        out["lbfgs"][str(n)] = {
            "overhead_us_per_iteration": medians,
            "every_round": samples,
            "counts": counts,
            "ratio_to_scipy": {name: medians[name] / medians["scipy L-BFGS-B"] for name in medians},
        }
    n, steps = 10_000_000, 30
    binding, rust = [], []
    for _ in range(ROUNDS):
        binding.append(statistics.median(adam_step_seconds(n, steps)))
        rust.append(statistics.median(_native.rust_adam_step_seconds(n, steps)))
    out["adam_step_1e7_float32"] = {
        "binding_ms": statistics.median(binding) * 1e3,
        "rust_ms": statistics.median(rust) * 1e3,
        "ratio": statistics.median(binding) / statistics.median(rust),
        "every_round_ms": {"binding": [b * 1e3 for b in binding], "rust": [r * 1e3 for r in rust]},
        "bytes_per_step": n * 4 * 5,  # p, g read; m, v read and written; p written: 5 streams
    }
    out["loadavg"] = os.getloadavg()
    json.dump(out, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
