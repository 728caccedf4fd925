"""Reference runs of scipy.optimize's trust-ncg, dogleg and Newton-CG, for descent's tests.

Writes bench/peers/trust_region_reference.json. descent's `TrustRegion<SteihaugCg>` and
`TrustRegion<Dogleg>` implement the same algorithms with the same radius rules as scipy's
`trust-ncg` and `dogleg`, so their accepted iterates must match the ones recorded here to
~1e-8 relative; `NewtonCg` differs from scipy's `Newton-CG` in its CG tolerance (2-norm,
not 1-norm) and its line search (Armijo, not Wolfe), so only its end point and iteration
count are compared.

Problems (float64; each written out below, with its exact Hessian and Hessian-vector product):
    rosenbrock2    f = 100(y − x²)² + (1 − x)²                from (−1.2, 1)
    rosenbrock10   Σᵢ 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)²       from (−1.2, 1, −1.2, 1, …)  (n = 10)
    tridiagonal10  ½xᵀAx − 1ᵀx, A = tridiag(−1, 2, −1)         from 0                     (n = 10)
    himmelblau_saddle  (x² + y − 11)² + (x + y² − 7)²          from (0.1, 2.9), near the saddle
                                                               (0.086678, 2.884255)

The callback records x after every scipy iteration. For the trust-region methods a scipy
iteration is one *trial*: a rejected trial leaves x unchanged, so `iterates` repeats the
previous point. `hessp_calls` counts the calls of the Hessian-vector product handed to scipy
(scipy's `nhev` may differ from it: for trust-ncg it adds one). `model_evaluations` counts
scipy's calls of the quadratic model m(p) (one per trial, plus two per negative-curvature exit
of Steihaug-CG); with `hessp`, each costs one product, so `hessp_calls − model_evaluations` is
the number of products the Steihaug-CG iterations themselves spent.

Rerun from the repository root:
    bash bench/peers/setup-scipy.sh
    bench/peers/.venv-scipy/bin/python bench/peers/trust_region_reference.py
"""

import json
import os
import platform
import sys

import numpy as np
import scipy
from scipy.optimize import minimize
from scipy.optimize import _trustregion

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "trust_region_reference.json")
GTOL = 1e-8  # trust-ncg and dogleg: stop when ‖∇f‖₂ < GTOL
XTOL = 1e-10  # Newton-CG: stop when ‖step‖₁ ≤ n·XTOL (its only stopping rule)


# --- problems -------------------------------------------------------------------------------

def rosen_value(x):
    a, b = x[0::2], x[1::2]
    return float(np.sum(100.0 * (b - a * a) ** 2 + (1.0 - a) ** 2))


def rosen_grad(x):
    a, b = x[0::2], x[1::2]
    t = b - a * a
    g = np.empty_like(x)
    g[0::2] = -400.0 * a * t - 2.0 * (1.0 - a)
    g[1::2] = 200.0 * t
    return g


def rosen_hess(x):
    n = len(x)
    h = np.zeros((n, n))
    for k in range(0, n, 2):
        a, b = x[k], x[k + 1]
        h[k, k] = 1200.0 * a * a - 400.0 * b + 2.0
        h[k, k + 1] = h[k + 1, k] = -400.0 * a
        h[k + 1, k + 1] = 200.0
    return h


def tri_matrix(n):
    return 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)


def tri_value(x):
    return float(0.5 * x @ (tri_matrix(len(x)) @ x) - np.sum(x))


def tri_grad(x):
    return tri_matrix(len(x)) @ x - 1.0


def tri_hess(x):
    return tri_matrix(len(x))


def himmel_value(x):
    a, b = x[0] ** 2 + x[1] - 11.0, x[0] + x[1] ** 2 - 7.0
    return float(a * a + b * b)


def himmel_grad(x):
    a, b = x[0] ** 2 + x[1] - 11.0, x[0] + x[1] ** 2 - 7.0
    return np.array([4.0 * x[0] * a + 2.0 * b, 2.0 * a + 4.0 * x[1] * b])


def himmel_hess(x):
    a, b = x[0] ** 2 + x[1] - 11.0, x[0] + x[1] ** 2 - 7.0
    hxx = 4.0 * a + 8.0 * x[0] ** 2 + 2.0
    hxy = 4.0 * x[0] + 4.0 * x[1]
    hyy = 2.0 + 4.0 * b + 8.0 * x[1] ** 2
    return np.array([[hxx, hxy], [hxy, hyy]])


PROBLEMS = {
    "rosenbrock2": (rosen_value, rosen_grad, rosen_hess, [-1.2, 1.0]),
    "rosenbrock10": (rosen_value, rosen_grad, rosen_hess, [-1.2, 1.0] * 5),
    "tridiagonal10": (tri_value, tri_grad, tri_hess, [0.0] * 10),
    "himmelblau_saddle": (himmel_value, himmel_grad, himmel_hess, [0.1, 2.9]),
}

RUNS = [
    ("trust-ncg", "rosenbrock2"),
    ("trust-ncg", "rosenbrock10"),
    ("trust-ncg", "tridiagonal10"),
    ("trust-ncg", "himmelblau_saddle"),
    ("dogleg", "rosenbrock2"),
    ("dogleg", "rosenbrock10"),
    ("dogleg", "tridiagonal10"),
    ("dogleg", "himmelblau_saddle"),  # scipy stops: the Hessian is indefinite there
    ("Newton-CG", "rosenbrock2"),
    ("Newton-CG", "rosenbrock10"),
    ("Newton-CG", "tridiagonal10"),
]


# Count the quadratic model's evaluations m(p) (each costs a Hessian-vector product with hessp).
MODEL_CALLS = [0]
_model = _trustregion.BaseQuadraticSubproblem.__call__


def _counted_model(self, p):
    MODEL_CALLS[0] += 1
    return _model(self, p)


_trustregion.BaseQuadraticSubproblem.__call__ = _counted_model


def run(method, name):
    value, grad, hess, x0 = PROBLEMS[name]
    x0 = np.array(x0, dtype=float)
    iterates = []

    def callback(intermediate_result):
        iterates.append([float(v) for v in intermediate_result.x])

    hessp_calls = [0]

    def hessp(x, p):
        hessp_calls[0] += 1
        return hess(x) @ p

    kwargs = dict(jac=grad, callback=callback)
    if method == "dogleg":
        kwargs["hess"] = hess
        kwargs["options"] = {"gtol": GTOL}
    elif method == "trust-ncg":
        kwargs["hessp"] = hessp
        kwargs["options"] = {"gtol": GTOL}
    else:
        kwargs["hessp"] = hessp
        kwargs["options"] = {"xtol": XTOL}
    MODEL_CALLS[0] = 0
    res = minimize(value, x0, method=method, **kwargs)
    out = {
        "method": method,
        "problem": name,
        "x0": [float(v) for v in x0],
        "options": kwargs["options"],
        "hessian_given_as": "hess" if method == "dogleg" else "hessp",
        "status": int(res.status),
        "success": bool(res.success),
        "message": str(res.message),
        "nit": int(res.nit),
        "nfev": int(res.nfev),
        "njev": int(res.njev),
        "nhev": int(res.nhev),
        "hessp_calls": hessp_calls[0],
        "x": [float(v) for v in res.x],
        "fun": float(res.fun),
        "grad_norm": float(np.linalg.norm(grad(res.x))),
        "iterates": iterates,
    }
    if method != "Newton-CG":
        out["model_evaluations"] = MODEL_CALLS[0]
        out["accepted"] = sum(
            1 for i, x in enumerate(iterates) if x != (iterates[i - 1] if i else list(x0))
        )
    return out


def main():
    data = {
        "generated_by": "bench/peers/trust_region_reference.py",
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
        },
        "gtol": GTOL,
        "xtol": XTOL,
        "runs": [run(method, name) for method, name in RUNS],
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    for r in data["runs"]:
        print(
            f"{r['method']:10} {r['problem']:18} status {r['status']} nit {r['nit']:3} "
            f"nfev {r['nfev']:3} njev {r['njev']:3} nhev {r['nhev']:3} hessp {r['hessp_calls']:3} "
            f"model {r.get('model_evaluations', '-')!s:3} accepted {r.get('accepted', '-')!s:3} "
            f"f {r['fun']:.3e} x[0] {r['x'][0]:.10f}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
