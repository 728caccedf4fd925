"""scipy's L-BFGS-B (m = 10) on the extended Rosenbrock function: the scipy column of
rosenbrock_peers.sh.

    python rosenbrock_scipy.py N [N ...]

prints one JSON object per n: iterations, value+gradient evaluations (one call gives both),
and the median over repeats (after one warm-up solve, as many as fit in a second, at least 5) of the whole
solve's wall time and of the time spent inside the objective, so that the solver's overhead
is their difference. Start (-1.2, 1, -1.2, 1, ...); stop at ||g||_inf <= 1e-5 (L-BFGS-B's
`gtol`, the projected gradient's infinity norm, which without bounds is the gradient's);
`ftol` = 0, the smallest scipy accepts, so that only the gradient test ends the run.
"""
import json
import sys
import time

import numpy as np
import scipy
from scipy.optimize import minimize

GTOL_INF = 1e-5
MEMORY = 10


def solve(n):
    clock = {"inside": 0.0, "calls": 0}

    def fun(x):
        start = time.perf_counter()
        a, b = x[0::2], x[1::2]
        t, u = b - a * a, 1.0 - a
        value = float(np.sum(100.0 * t * t + u * u))
        g = np.empty_like(x)
        g[0::2] = -400.0 * a * t - 2.0 * u
        g[1::2] = 200.0 * t
        clock["inside"] += time.perf_counter() - start
        clock["calls"] += 1
        return value, g

    x0 = np.tile([-1.2, 1.0], n // 2)
    options = {"maxcor": MEMORY, "gtol": GTOL_INF, "ftol": 0.0, "maxiter": 10_000,
               "maxfun": 100_000}
    start = time.perf_counter()
    res = minimize(fun, x0, jac=True, method="L-BFGS-B", options=options)
    wall = time.perf_counter() - start
    return res, wall, clock


def main():
    for n in map(int, sys.argv[1:]):
        solve(n)  # warm-up: first calls, caches
        res, _, clock = solve(n)
        walls, insides = [], []
        while len(walls) < 5 or (sum(walls) < 1.0 and len(walls) < 10_000):
            _, wall, c = solve(n)
            walls.append(wall)
            insides.append(c["inside"])
        repeats = len(walls)
        wall, inside = float(np.median(walls)), float(np.median(insides))
        print(json.dumps({
            "library": "scipy", "version": scipy.__version__, "numpy": np.__version__,
            "method": "L-BFGS-B", "n": n, "memory": MEMORY,
            "status": "converged" if res.success else str(res.message),
            "message": str(res.message),
            "iterations": int(res.nit), "values": clock["calls"], "gradients": clock["calls"],
            "nfev": int(res.nfev), "value": float(res.fun),
            "grad_inf": float(np.max(np.abs(res.jac))), "repeats": repeats,
            "wall_s": wall, "objective_s": inside, "overhead_s": wall - inside,
            "overhead_per_iteration_s": (wall - inside) / max(int(res.nit), 1),
        }), flush=True)


if __name__ == "__main__":
    main()
