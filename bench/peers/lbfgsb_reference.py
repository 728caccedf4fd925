"""scipy's L-BFGS-B on bound-constrained problems whose solutions have active bounds.

Writes bench/peers/lbfgsb_reference.json, which crates/descent/tests/bounds.rs reads to check
that descent's Lbfgsb reaches scipy's x* (1e-6) and to bound its evaluation counts by scipy's.

Problems (each f and gradient written out below, exactly as the Rust test computes them):
  driver1      n = 25, the problem of L-BFGS-B's Fortran driver1.f:
               f = (x1 - 1)^2 + 4 * sum_{i>=2} (x_i - x_{i-1}^2)^2
               (driver1.f computes 4 * [0.25 (x1 - 1)^2 + sum ...]),
               l_i = 1 for odd i, -100 for even i (1-based), u_i = 100, x0 = 3.
               Its minimiser x* = (1, ..., 1) is degenerate: the odd coordinates sit on their
               lower bounds with zero gradient, and along the valley x_i - 1 = 2^(i-1) (x_1 - 1)
               f changes only by (x_1 - 1)^2, so the tail of x is not determined (scipy ends
               with x_25 = 3.8 at f = 6e-15). Recorded for f* and the counts.
  driver1_box  the same with l_i = 1.5 for odd i: eleven odd coordinates and x_25 end on a
               bound with nonzero gradient, and x* is determined
  rosenbrock2  the Rosenbrock function, x1 in [-2, 2], x2 in [1.5, 3] (excludes (1, 1)),
               x0 = (-1.2, 1) (infeasible: scipy clips it to (-1.2, 1.5))
  rosenbrock10 the extended Rosenbrock function (n/2 independent pairs (x_{2i}, x_{2i+1}),
               0-based), x_i <= 0.8 for i = 0 mod 4, x_i >= 1.2 for i = 3 mod 4, others free,
               x0 = (-1.2, 1, ...)
  quadratic    f = 0.5 x'Ax - b'x, A = tridiag(-1, 4, -1), n = 8, with b chosen so that the
               analytic minimiser on the box is x* = XSTAR below, with strict complementarity
               (gradient g* = GSTAR: 0 on free coordinates, > 0 at lower, < 0 at upper bounds)

scipy settings: method="L-BFGS-B", maxcor = 10 (m, the default), ftol = 0 (factr off),
gtol = 1e-10 (pgtol: the projected gradient's max-norm), maxls = 20 (default), maxiter = 15000.

Run from the repository root with the venv made by setup-scipy.sh:
    bash bench/peers/setup-scipy.sh
    bench/peers/.venv-scipy/bin/python bench/peers/lbfgsb_reference.py
"""

import json
import os
import platform
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lbfgsb_reference.json")
OPTIONS = {"maxcor": 10, "ftol": 0.0, "gtol": 1e-10, "maxls": 20, "maxiter": 15000}
INF = float("inf")


def driver1(x):
    t = x[1:] - x[:-1] ** 2
    f = (x[0] - 1.0) ** 2 + 4.0 * float(t @ t)
    g = np.zeros_like(x)
    g[0] = 2.0 * (x[0] - 1.0)
    g[:-1] += -16.0 * x[:-1] * t
    g[1:] += 8.0 * t
    return f, g


def rosenbrock(x):
    a, b = x[0::2], x[1::2]
    t = b - a * a
    f = float(100.0 * t @ t + (1.0 - a) @ (1.0 - a))
    g = np.zeros_like(x)
    g[0::2] = -400.0 * a * t - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * t
    return f, g


QN = 8
A = 4.0 * np.eye(QN) - np.eye(QN, k=1) - np.eye(QN, k=-1)
QLOWER = [0.0, -1.0, -1.0, -1.0, 0.0, -1.0, -2.0, -INF]
QUPPER = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 0.5, INF]
XSTAR = np.array([0.0, 0.5, 1.0, -0.25, 0.0, 0.75, 0.5, -0.5])
GSTAR = np.array([2.0, 0.0, -3.0, 0.0, 1.5, 0.0, -1.0, 0.0])
B = A @ XSTAR - GSTAR


def quadratic(x):
    g = A @ x - B
    return float(0.5 * x @ A @ x - B @ x), g


def problems():
    n = 25
    yield {
        "name": "driver1",
        "function": driver1,
        "lower": [1.0 if i % 2 == 0 else -100.0 for i in range(n)],
        "upper": [100.0] * n,
        "x0": [3.0] * n,
    }
    yield {
        "name": "rosenbrock2",
        "function": rosenbrock,
        "lower": [-2.0, 1.5],
        "upper": [2.0, 3.0],
        "x0": [-1.2, 1.0],
    }
    yield {
        "name": "driver1_box",
        "function": driver1,
        "lower": [1.5 if i % 2 == 0 else -100.0 for i in range(n)],
        "upper": [100.0] * n,
        "x0": [3.0] * n,
    }
    n = 10
    yield {
        "name": "rosenbrock10",
        "function": rosenbrock,
        "lower": [1.2 if i % 4 == 3 else -INF for i in range(n)],
        "upper": [0.8 if i % 4 == 0 else INF for i in range(n)],
        "x0": [-1.2 if i % 2 == 0 else 1.0 for i in range(n)],
    }
    yield {
        "name": "quadratic",
        "function": quadratic,
        "lower": QLOWER,
        "upper": QUPPER,
        "x0": [0.5] * QN,
        "analytic_x": XSTAR.tolist(),
        "b": B.tolist(),
    }


def finite(v):
    """JSON has no infinity: None stands for an absent bound."""
    return [None if abs(b) == INF else b for b in v]


def main():
    runs = {}
    for p in problems():
        bounds = list(zip(p["lower"], p["upper"]))
        res = minimize(p["function"], np.array(p["x0"]), jac=True, method="L-BFGS-B",
                       bounds=bounds, options=OPTIONS)
        x = res.x
        lower, upper = np.array(p["lower"]), np.array(p["upper"])
        at_lower = [i for i in range(len(x)) if x[i] == lower[i]]
        at_upper = [i for i in range(len(x)) if x[i] == upper[i]]
        _, g = p["function"](x)
        pg = np.clip(x - g, lower, upper) - x
        run = {
            "lower": finite(p["lower"]),
            "upper": finite(p["upper"]),
            "x0": p["x0"],
            "x": x.tolist(),
            "f": float(res.fun),
            "nit": int(res.nit),
            "nfev": int(res.nfev),
            "status": int(res.status),
            "message": str(res.message),
            "projected_gradient_inf": float(np.max(np.abs(pg))),
            "at_lower": at_lower,
            "at_upper": at_upper,
        }
        for key in ("analytic_x", "b"):
            if key in p:
                run[key] = p[key]
        runs[p["name"]] = run
        print(f"{p['name']:>13}: f = {res.fun:.12g}, nit = {res.nit}, nfev = {res.nfev}, "
              f"|pg|_inf = {run['projected_gradient_inf']:.2e}, active = "
              f"{len(at_lower) + len(at_upper)}, {res.message}", file=sys.stderr)
    data = {
        "generated_by": "bench/peers/lbfgsb_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "platform": platform.platform()},
        "options": OPTIONS,
        "runs": runs,
    }
    with open(OUT, "w") as fh:
        json.dump(data, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
