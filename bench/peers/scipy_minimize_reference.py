"""Reference runs of scipy.optimize.minimize, for the tests of descent's Python package.

Writes bench/peers/scipy_minimize_reference.json. The Python package's tests (pytest, run
without scipy installed) read it to check that `descent.minimize` reaches the same minimiser as
scipy (to 1e-6) with no more function evaluations, and that an existing scipy-style script
(the `script` section) gets every field of the result back from `from descent import minimize`.

Problems (float64; each written out below in numpy with its exact gradient, dense Hessian and
Hessian-vector product; Rosenbrock is scipy's own rosen, rosen_der, rosen_hess, rosen_hess_prod):
    rosen2       Rosenbrock, n = 2                         from (-1.2, 1)         minimiser 1
    rosen5       scipy's chained Rosenbrock
                 sum_i 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2, n = 5
                                                           from (1.3, 0.7, 0.8, 1.9, 1.2)
                                                           (scipy's tutorial)     minimiser 1
    ravine       0.5 (w1^2 + 10 w2^2)                      from (10, 1)           minimiser 0
    beale        (1.5 - x + xy)^2 + (2.25 - x + xy^2)^2 + (2.625 - x + xy^3)^2
                                                           from (1, 1)            minimiser (3, 0.5)
    himmelblau   (x^2 + y - 11)^2 + (x + y^2 - 7)^2        from (0, 0)            four minima
    booth        (x + 2y - 7)^2 + (2x + y - 5)^2           from (0, 0)            minimiser (1, 3)
    tridiagonal  0.5 x'Ax - sum(x), A = tridiag(-1, 2, -1), n = 100
                                                           from 0    minimiser x_i = i(n+1-i)/2
    rastrigin    10 n + sum(x_i^2 - 10 cos(2 pi x_i)), n = 2
                                                           from (2.3, 2.3)
                 Many local minima; scipy's end point is recorded wherever it lands. The known
                 minimisers are all local minima with coordinates in [-5.5, 5.5]: the problem is
                 separable, so they are the grid of the 1-D minimisers (the roots of
                 2x + 20 pi sin(2 pi x) next to each integer k = -5..5, found by Newton's
                 method here; the global one is 0).

Methods: BFGS, L-BFGS-B, Newton-CG, trust-ncg, dogleg. Each (problem, method) is run twice:
    defaults  options = {} (scipy's defaults; their values are in `scipy_default_options`)
    tight     BFGS {'gtol': 1e-10}; L-BFGS-B {'gtol': 1e-10, 'ftol': 1e-15};
              Newton-CG {'xtol': 1e-12}; trust-ncg and dogleg {'gtol': 1e-10};
              maxiter stays scipy's default.
`fun` and `jac` are always separate callables (jac=grad); Newton-CG and trust-ncg also get
`hessp=`, dogleg `hess=`. Each callable is wrapped in a counter (`calls`), next to scipy's own
nfev/njev/nhev (scipy's counts may differ: its ScalarFunction caches, and trust-ncg's nhev adds
one; dogleg's is one less than the calls of hess). dogleg needs a positive definite Hessian:
where it is not at x0 (rosen5, beale, himmelblau and rastrigin) scipy 1.17.1 does not raise but
stops at once (nit 0, x = x0) with status 3, 'A linalg error occurred, such as a non-psd
Hessian.'; such runs are kept as they are and listed, with every other run that ends with
success false, in `failures` {problem, method, setting, status, message}.

What the tight runs do not reach (scipy 1.17.1): on tridiagonal (condition number about 4100)
L-BFGS-B stops on its relative f reduction 0.0008 from x* (with ftol = 0 too: f is about
-4.3e4, so f cannot resolve a smaller error along the flattest eigenvector), and BFGS stops
with status 2 (precision loss) 1.2e-7 from x*; compare those with the analytic x*. Newton-CG
ends 1e-8 from x* on rosen5 and 8e-10 on rosen2; every other successful tight run is within
1e-10.

Each run records: method, options, x0, x, fun, jac (the gradient at x, from the uncounted
gradient), scipy_jac (scipy's res.jac: the same as jac, except in the Newton-CG default runs on
rosen2, rosen5, beale, himmelblau and rastrigin, where it is the gradient scipy held before its
last step, not the gradient at x), nit, nfev, njev, nhev (None where scipy gives
none), calls {fun, jac, hess, hessp}, status, success, message, distance (2-norm from x to the
nearest known minimiser) and nearest_minimiser.

The `script` section runs SCRIPT below verbatim (with exec) and records every key of its
OptimizeResult except hess_inv (numpy values turned into floats, ints and lists), the number of
callback calls, the callback's iterates and sorted(res.keys()).

Rerun from the repository root (a few seconds; deterministic, byte for byte for the same
Python, numpy and scipy, which the JSON records under `versions`):
    bash bench/peers/setup-scipy.sh
    bench/peers/.venv-scipy/bin/python bench/peers/scipy_minimize_reference.py
"""

import inspect
import json
import os
import platform
import sys

import numpy as np
import scipy
from scipy.optimize import minimize, rosen, rosen_der, rosen_hess, rosen_hess_prod

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "scipy_minimize_reference.json")

METHODS = ["BFGS", "L-BFGS-B", "Newton-CG", "trust-ncg", "dogleg"]
TIGHT = {
    "BFGS": {"gtol": 1e-10},
    "L-BFGS-B": {"gtol": 1e-10, "ftol": 1e-15},
    "Newton-CG": {"xtol": 1e-12},
    "trust-ncg": {"gtol": 1e-10},
    "dogleg": {"gtol": 1e-10},
}


# --- problems -------------------------------------------------------------------------------

def ravine_f(w):
    return float(0.5 * (w[0] ** 2 + 10.0 * w[1] ** 2))


def ravine_g(w):
    return np.array([w[0], 10.0 * w[1]])


def ravine_h(w):
    return np.array([[1.0, 0.0], [0.0, 10.0]])


def ravine_hp(w, p):
    return np.array([p[0], 10.0 * p[1]])


def _beale_terms(v):
    x, y = v[0], v[1]
    t = np.array([1.5 - x + x * y, 2.25 - x + x * y ** 2, 2.625 - x + x * y ** 3])
    # rows: gradients of t1, t2, t3
    dt = np.array([[y - 1.0, x], [y ** 2 - 1.0, 2.0 * x * y], [y ** 3 - 1.0, 3.0 * x * y ** 2]])
    # Hessians of t1, t2, t3
    d2t = np.array([
        [[0.0, 1.0], [1.0, 0.0]],
        [[0.0, 2.0 * y], [2.0 * y, 2.0 * x]],
        [[0.0, 3.0 * y ** 2], [3.0 * y ** 2, 6.0 * x * y]],
    ])
    return t, dt, d2t


def beale_f(v):
    t, _, _ = _beale_terms(v)
    return float(t @ t)


def beale_g(v):
    t, dt, _ = _beale_terms(v)
    return 2.0 * dt.T @ t


def beale_h(v):
    t, dt, d2t = _beale_terms(v)
    return 2.0 * (dt.T @ dt + np.einsum("i,ijk->jk", t, d2t))


def beale_hp(v, p):
    t, dt, d2t = _beale_terms(v)
    return 2.0 * (dt.T @ (dt @ p) + np.einsum("i,ijk,k->j", t, d2t, p))


def himmel_f(v):
    a, b = v[0] ** 2 + v[1] - 11.0, v[0] + v[1] ** 2 - 7.0
    return float(a * a + b * b)


def himmel_g(v):
    a, b = v[0] ** 2 + v[1] - 11.0, v[0] + v[1] ** 2 - 7.0
    return np.array([4.0 * v[0] * a + 2.0 * b, 2.0 * a + 4.0 * v[1] * b])


def himmel_h(v):
    a, b = v[0] ** 2 + v[1] - 11.0, v[0] + v[1] ** 2 - 7.0
    hxx = 4.0 * a + 8.0 * v[0] ** 2 + 2.0
    hxy = 4.0 * v[0] + 4.0 * v[1]
    hyy = 2.0 + 4.0 * b + 8.0 * v[1] ** 2
    return np.array([[hxx, hxy], [hxy, hyy]])


def himmel_hp(v, p):
    return himmel_h(v) @ p


def booth_f(v):
    a, b = v[0] + 2.0 * v[1] - 7.0, 2.0 * v[0] + v[1] - 5.0
    return float(a * a + b * b)


def booth_g(v):
    a, b = v[0] + 2.0 * v[1] - 7.0, 2.0 * v[0] + v[1] - 5.0
    return np.array([2.0 * a + 4.0 * b, 4.0 * a + 2.0 * b])


def booth_h(v):
    return np.array([[10.0, 8.0], [8.0, 10.0]])


def booth_hp(v, p):
    return np.array([10.0 * p[0] + 8.0 * p[1], 8.0 * p[0] + 10.0 * p[1]])


TRI_N = 100


def tri_ax(x):
    """A x for A = tridiag(-1, 2, -1), without forming A."""
    y = 2.0 * x
    y[1:] -= x[:-1]
    y[:-1] -= x[1:]
    return y


def tri_f(x):
    return float(0.5 * x @ tri_ax(x) - np.sum(x))


def tri_g(x):
    return tri_ax(x) - 1.0


def tri_h(x):
    n = len(x)
    return 2.0 * np.eye(n) - np.eye(n, k=1) - np.eye(n, k=-1)


def tri_hp(x, p):
    return tri_ax(np.asarray(p, dtype=float))


TWO_PI = 2.0 * np.pi


def rast_f(x):
    return float(10.0 * len(x) + np.sum(x * x - 10.0 * np.cos(TWO_PI * x)))


def rast_g(x):
    return 2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x)


def rast_h(x):
    return np.diag(2.0 + 10.0 * TWO_PI ** 2 * np.cos(TWO_PI * x))


def rast_hp(x, p):
    return (2.0 + 10.0 * TWO_PI ** 2 * np.cos(TWO_PI * x)) * p


def rastrigin_minimisers_1d(kmax=5):
    """The 1-D local minima of x^2 - 10 cos(2 pi x): Newton on its derivative from each integer."""
    roots = []
    for k in range(-kmax, kmax + 1):
        x = float(k)
        for _ in range(100):
            step = (2.0 * x + 10.0 * TWO_PI * np.sin(TWO_PI * x)) / (
                2.0 + 10.0 * TWO_PI ** 2 * np.cos(TWO_PI * x))
            x -= step
            if abs(step) <= 1e-17 * max(1.0, abs(x)):
                break
        assert abs(x - k) < 0.1 and 2.0 + 10.0 * TWO_PI ** 2 * np.cos(TWO_PI * x) > 0
        roots.append(x)
    return roots


RAST_1D = rastrigin_minimisers_1d()

PROBLEMS = {
    "rosen2": dict(
        f=rosen, g=rosen_der, h=rosen_hess, hp=rosen_hess_prod, x0=[-1.2, 1.0],
        minimisers=[[1.0, 1.0]],
        formula="scipy.optimize.rosen, n = 2: 100 (x2 - x1^2)^2 + (1 - x1)^2"),
    "rosen5": dict(
        f=rosen, g=rosen_der, h=rosen_hess, hp=rosen_hess_prod, x0=[1.3, 0.7, 0.8, 1.9, 1.2],
        minimisers=[[1.0] * 5],
        formula="scipy.optimize.rosen, n = 5: sum_{i<4} 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2"),
    "ravine": dict(
        f=ravine_f, g=ravine_g, h=ravine_h, hp=ravine_hp, x0=[10.0, 1.0],
        minimisers=[[0.0, 0.0]], formula="0.5 (w1^2 + 10 w2^2)"),
    "beale": dict(
        f=beale_f, g=beale_g, h=beale_h, hp=beale_hp, x0=[1.0, 1.0],
        minimisers=[[3.0, 0.5]],
        formula="(1.5 - x + x y)^2 + (2.25 - x + x y^2)^2 + (2.625 - x + x y^3)^2"),
    "himmelblau": dict(
        f=himmel_f, g=himmel_g, h=himmel_h, hp=himmel_hp, x0=[0.0, 0.0],
        minimisers=[[3.0, 2.0], [-2.805118086952745, 3.131312518250573],
                    [-3.779310253377747, -3.2831859912861696],
                    [3.5844283403304917, -1.8481265269644036]],
        formula="(x^2 + y - 11)^2 + (x + y^2 - 7)^2"),
    "booth": dict(
        f=booth_f, g=booth_g, h=booth_h, hp=booth_hp, x0=[0.0, 0.0],
        minimisers=[[1.0, 3.0]], formula="(x + 2 y - 7)^2 + (2 x + y - 5)^2"),
    "tridiagonal": dict(
        f=tri_f, g=tri_g, h=tri_h, hp=tri_hp, x0=[0.0] * TRI_N,
        minimisers=[[i * (TRI_N + 1 - i) / 2.0 for i in range(1, TRI_N + 1)]],
        formula="0.5 x'Ax - sum(x), A = tridiag(-1, 2, -1), n = 100; x*_i = i (n + 1 - i) / 2"),
    "rastrigin": dict(
        f=rast_f, g=rast_g, h=rast_h, hp=rast_hp, x0=[2.3, 2.3],
        minimisers=[[a, b] for a in RAST_1D for b in RAST_1D],
        formula="10 n + sum(x_i^2 - 10 cos(2 pi x_i)), n = 2; known minimisers: the grid of "
                "minimisers_1d (every local minimum in [-5.5, 5.5]^2; global at 0)"),
}


def check_derivatives():
    """Central differences against each gradient, Hessian and Hessian-vector product."""
    rng = np.random.default_rng(20260101)
    for name, p in PROBLEMS.items():
        n = len(p["x0"])
        for x in (np.array(p["x0"], dtype=float) + 0.1, rng.standard_normal(n)):
            eps = 1e-6
            e = np.eye(n)
            g = p["g"](x)
            gfd = np.array([(p["f"](x + eps * e[i]) - p["f"](x - eps * e[i])) / (2 * eps)
                            for i in range(n)])
            h = p["h"](x)
            hfd = np.array([(p["g"](x + eps * e[i]) - p["g"](x - eps * e[i])) / (2 * eps)
                            for i in range(n)])
            v = rng.standard_normal(n)
            scale = 1.0 + np.max(np.abs(h))
            assert np.max(np.abs(g - gfd)) <= 1e-5 * (1.0 + np.max(np.abs(g))), name
            assert np.max(np.abs(h - hfd)) <= 1e-5 * scale, name
            hv_err = np.max(np.abs(p["hp"](x, v) - h @ v))
            assert hv_err <= 1e-12 * scale * (1 + np.abs(v).sum()), name
        for m in p["minimisers"]:
            assert np.max(np.abs(p["g"](np.array(m)))) < 1e-9, (name, m)


# --- runs -----------------------------------------------------------------------------------

def counted(fn, counter, key):
    def wrapper(*args):
        counter[key] += 1
        return fn(*args)
    return wrapper


def floats(v):
    return [float(t) for t in np.asarray(v, dtype=float).ravel()]


def nearest(p, x):
    d = [float(np.linalg.norm(x - np.array(m))) for m in p["minimisers"]]
    i = int(np.argmin(d))
    return d[i], p["minimisers"][i]


def run(name, method, options):
    p = PROBLEMS[name]
    x0 = np.array(p["x0"], dtype=float)
    calls = {"fun": 0, "jac": 0, "hess": 0, "hessp": 0}
    kwargs = {"jac": counted(p["g"], calls, "jac")}
    if method in ("Newton-CG", "trust-ncg"):
        kwargs["hessp"] = counted(p["hp"], calls, "hessp")
    elif method == "dogleg":
        kwargs["hess"] = counted(p["h"], calls, "hess")
    out = {"method": method, "options": dict(options), "x0": floats(x0)}
    try:
        res = minimize(counted(p["f"], calls, "fun"), x0, method=method,
                       options=dict(options), **kwargs)
    except Exception as e:  # recorded, not raised (no such case with scipy 1.17.1)
        out.update(error=f"{type(e).__name__}: {e}", calls=calls, success=False)
        return out
    x = np.asarray(res.x, dtype=float)
    g = p["g"](x)
    assert float(res.fun) == p["f"](x), (name, method)
    dist, xm = nearest(p, x)
    out.update(
        x=floats(x),
        fun=float(res.fun),
        jac=floats(g),
        scipy_jac=floats(res.jac),
        nit=int(res.nit),
        nfev=int(res.nfev),
        njev=int(res.njev) if "njev" in res else None,
        nhev=int(res.nhev) if "nhev" in res else None,
        calls=calls,
        status=int(res.status),
        success=bool(res.success),
        message=str(res.message),
        distance=dist,
        nearest_minimiser=xm,
    )
    return out


def scipy_default_options():
    """The keyword defaults of scipy's solver functions (private modules; empty if they move)."""
    from scipy.optimize import _lbfgsb_py, _optimize, _trustregion
    funcs = {
        "BFGS": _optimize._minimize_bfgs,
        "L-BFGS-B": _lbfgsb_py._minimize_lbfgsb,
        "Newton-CG": _optimize._minimize_newtoncg,
        "trust-ncg": _trustregion._minimize_trust_region,
        "dogleg": _trustregion._minimize_trust_region,
    }
    keep = {
        "BFGS": ["gtol", "norm", "maxiter", "xrtol", "c1", "c2"],
        "L-BFGS-B": ["maxcor", "ftol", "gtol", "maxfun", "maxiter", "maxls"],
        "Newton-CG": ["xtol", "maxiter", "c1", "c2"],
        "trust-ncg": ["gtol", "maxiter", "initial_trust_radius", "max_trust_radius", "eta"],
        "dogleg": ["gtol", "maxiter", "initial_trust_radius", "max_trust_radius", "eta"],
    }
    out = {}
    for method, fn in funcs.items():
        try:
            sig = inspect.signature(fn).parameters
        except (TypeError, ValueError):
            continue
        d = {}
        for k in keep[method]:
            if k in sig:
                v = sig[k].default
                if v is None:
                    d[k] = None
                elif isinstance(v, (int, float, np.floating)):
                    d[k] = "inf" if float(v) == np.inf else v if isinstance(v, int) else float(v)
        if "maxiter" in d and d["maxiter"] is None:
            d["maxiter"] = "200 n" if method != "L-BFGS-B" else None
        out[method] = d
    return out


# --- the existing scipy-style script --------------------------------------------------------

SCRIPT = """\
from scipy.optimize import minimize, rosen, rosen_der
def f(x, a, b):   # value and gradient together (jac=True), extra args
    return a * rosen(x) + b, a * rosen_der(x)
seen = []
res = minimize(f, [1.3, 0.7, 0.8, 1.9, 1.2], args=(2.0, 1.0), jac=True, method='L-BFGS-B',
               bounds=[(-2, 2)] * 5, callback=lambda xk: seen.append(xk.copy()),
               options={'maxiter': 500, 'gtol': 1e-9, 'maxcor': 10, 'disp': False})
"""


def jsonable(v):
    if isinstance(v, np.ndarray):
        return [jsonable(t) for t in v.tolist()] if v.ndim else jsonable(v.item())
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, (list, tuple)):
        return [jsonable(t) for t in v]
    if isinstance(v, bytes):
        return v.decode()
    if v is None or isinstance(v, str):
        return v
    return str(v)


def run_script():
    scope = {}
    exec(compile(SCRIPT, "<script>", "exec"), scope)
    res, seen = scope["res"], scope["seen"]
    result = {k: jsonable(res[k]) for k in sorted(res.keys()) if k != "hess_inv"}
    result["message"] = str(res.message)
    return {
        "source": SCRIPT,
        "result": result,
        "result_types": {k: type(res[k]).__name__ for k in sorted(res.keys())},
        "hess_inv_type": type(res.hess_inv).__name__ if "hess_inv" in res else None,
        "len_seen": len(seen),
        "seen": [floats(s) for s in seen],
        "keys": sorted(res.keys()),
        "distance": float(np.linalg.norm(np.asarray(res.x) - 1.0)),
    }


def main():
    check_derivatives()
    runs, failures = {}, []
    for name in PROBLEMS:
        runs[name] = {}
        for method in METHODS:
            r = {"defaults": run(name, method, {}), "tight": run(name, method, TIGHT[method])}
            runs[name][method] = r
            for setting, v in r.items():
                if not v["success"]:
                    failures.append({"problem": name, "method": method, "setting": setting,
                                     "status": v.get("status"),
                                     "message": v.get("error", v.get("message"))})
    problems = {}
    for name, p in PROBLEMS.items():
        problems[name] = {"n": len(p["x0"]), "x0": floats(p["x0"]), "formula": p["formula"],
                          "minimisers": p["minimisers"]}
    problems["rastrigin"]["minimisers_1d"] = RAST_1D
    data = {
        "generated_by": "bench/peers/scipy_minimize_reference.py",
        "versions": {"python": platform.python_version(), "numpy": np.__version__,
                     "scipy": scipy.__version__, "platform": platform.platform()},
        "methods": METHODS,
        "tight_options": TIGHT,
        "scipy_default_options": scipy_default_options(),
        "problems": problems,
        "runs": runs,
        "failures": failures,
        "script": run_script(),
    }
    with open(OUT, "w") as fh:
        json.dump(data, fh, separators=(",", ":"), allow_nan=False)
        fh.write("\n")
    print(f"{'problem':12} {'method':10} {'defaults nfev/njev/nhev/nit':>28} "
          f"{'dist':>9} | {'tight nfev/njev/nhev/nit':>25} {'dist':>9}  status", file=sys.stderr)
    for name, by in runs.items():
        for method, r in by.items():
            cols = []
            for s in ("defaults", "tight"):
                v = r[s]
                cols.append(f"{v['nfev']}/{v['njev']}/{v['nhev'] if v['nhev'] is not None else '-'}"
                            f"/{v['nit']}")
                cols.append(f"{v['distance']:.2e}")
            status = f"{r['defaults']['status']},{r['tight']['status']}"
            print(f"{name:12} {method:10} {cols[0]:>28} {cols[1]:>9} | {cols[2]:>25} "
                  f"{cols[3]:>9}  {status}", file=sys.stderr)
    for fl in failures:
        print("failure:", fl, file=sys.stderr)
    s = data["script"]
    print(f"script: nit {s['result']['nit']} nfev {s['result']['nfev']} len(seen) {s['len_seen']} "
          f"keys {s['keys']} distance {s['distance']:.2e}", file=sys.stderr)


if __name__ == "__main__":
    main()
