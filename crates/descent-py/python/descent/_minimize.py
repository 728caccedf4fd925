"""``descent.minimize``: ``scipy.optimize.minimize``'s signature and semantics, descent's solvers.

The arguments scipy defines mean what they mean in scipy; they are turned into the flags of
``descent minimize`` (``--method bfgs --gtol-inf 1e-5 --max-iter 400``) and the Rust half
(``descent._native``) parses those with the command line's own parser, so a bad argument
raises ``ValueError`` with the message the CLI prints.
"""

import inspect
import json
import math
import warnings

import numpy as np

from . import _native

__all__ = ["minimize", "OptimizeResult", "OptimizeWarning", "SCIPY_METHODS"]

_EPS = np.finfo(float).eps

#: scipy's method names that descent offers, lower-cased, with the CLI's method for each.
SCIPY_METHODS = {
    "bfgs": "bfgs",
    "l-bfgs-b": "lbfgsb",
    "newton-cg": "newton-cg",
    "trust-ncg": "trust-ncg",
    "dogleg": "dogleg",
}

#: scipy methods descent does not implement (a clear error rather than "unknown method").
_SCIPY_ELSEWHERE = {
    "nelder-mead", "powell", "cg", "tnc", "cobyla", "cobyqa", "slsqp", "trust-constr",
    "trust-exact", "trust-krylov",
}

#: scipy options that descent accepts and ignores (they tune scipy's own internals).
_IGNORED = {"maxls", "iprint", "xrtol", "c1", "c2", "hess_inv0", "workers", "adaptive"}

#: Methods that take box bounds.
_BOUNDED = {"lbfgsb", "projected-gd"}


class OptimizeWarning(UserWarning):
    """An argument scipy would accept that descent ignores (as scipy's own OptimizeWarning)."""


class OptimizeResult(dict):
    """The result of :func:`minimize`: a dict whose keys are also attributes, as scipy's.

    scipy's fields: ``x, fun, jac, nit, nfev, njev, nhev, status, success, message``;
    descent's own: ``reason`` (how the run ended: ``converged``, ``max_iterations``,
    ``unbounded_below``, ``stopped``, ...), ``convergence`` (which test fired),
    ``critical_point`` (``minimum``, ``saddle_point``, ... when the Hessian was available),
    ``grad_norm``, ``at_iteration``, ``method``, ``hyperparameters``, ``elapsed``.
    """

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e

    __setattr__ = dict.__setitem__
    __delattr__ = dict.__delitem__

    def __dir__(self):
        return list(self.keys())

    def __repr__(self):
        if not self:
            return self.__class__.__name__ + "()"
        width = max(map(len, self.keys())) + 1
        return "\n".join(f"{k.rjust(width)}: {v!r}" for k, v in self.items())


def _number(value):
    """A flag value: floats as their shortest round-trip text, so nothing is rounded."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, (float, np.floating)):
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    return str(value)


def _flags(options):
    """Options named as the CLI's flags (``lr``, ``line_search``, ``beta1``, ...) as argv."""
    argv = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [flag, ",".join(_number(v) for v in value)]
        else:
            argv += [flag, _number(value)]
    return argv


def _scipy_options(method, n, tol, options):
    """scipy's options of a scipy-named method as the CLI's flags: scipy's defaults first,
    then ``tol``, then the options given; what is left is passed on under its own name."""
    options = dict(options)
    flags = {}
    if method == "bfgs":
        # scipy's BFGS itself: H₀ = I, its Wolfe line search and first trial steps.
        flags.update(preset="scipy", gtol_inf=1e-5, gtol=0.0, max_iter=200 * n)
        if tol is not None:
            flags["gtol_inf"] = tol
        if "gtol" in options:
            flags["gtol_inf"] = options.pop("gtol")
        norm = options.pop("norm", math.inf)
        if norm == 2:
            flags["gtol"], flags["gtol_inf"] = flags["gtol_inf"], 0.0
        elif norm != math.inf:
            raise ValueError(f"norm={norm!r}: descent's BFGS tests the gradient's 2- or inf-norm")
    elif method == "lbfgsb":
        ftol = 1e7 * _EPS  # scipy's factr = 1e7
        flags.update(gtol_inf=1e-5, gtol=0.0, max_iter=15000, max_evals=15000, memory=10)
        if tol is not None:
            ftol = flags["gtol_inf"] = tol
        ftol = options.pop("ftol", ftol)
        if "factr" in options:
            ftol = options.pop("factr") * _EPS
        # scipy stops when (f_k − f_{k+1}) ≤ ftol·max(|f_k|, |f_{k+1}|, 1): an absolute and a
        # relative test together.
        flags["ftol"] = flags["ftol_rel"] = ftol
        if "gtol" in options:
            flags["gtol_inf"] = options.pop("gtol")
        if "pgtol" in options:
            flags["gtol_inf"] = options.pop("pgtol")
        if "maxcor" in options:
            flags["memory"] = options.pop("maxcor")
        if "maxfun" in options:
            flags["max_evals"] = options.pop("maxfun")
    elif method == "newton-cg":
        # scipy's Newton-CG itself: its CG rules and Wolfe search, and its one stopping rule,
        # ‖Δx‖₁ ≤ n·xtol (xtol is a per-variable average).
        xtol = 1e-5 if tol is None else tol
        xtol = options.pop("xtol", xtol)
        flags.update(preset="scipy", xtol_l1=n * xtol, gtol=0.0, max_iter=200 * n)
    else:  # trust-ncg, dogleg
        flags.update(gtol=1e-4, max_iter=200 * n)
        if tol is not None:
            flags["gtol"] = tol
        renames = {
            "initial_trust_radius": "initial_radius",
            "max_trust_radius": "max_radius",
        }
        for scipy_name, ours in renames.items():
            if scipy_name in options:
                flags[ours] = options.pop(scipy_name)
    if "maxiter" in options:
        flags["max_iter"] = options.pop("maxiter")
    if "maxfev" in options:
        flags["max_evals"] = options.pop("maxfev")
    for name in _IGNORED & set(options):
        warnings.warn(f"option {name!r} tunes scipy's own solver; descent ignores it",
                      OptimizeWarning, stacklevel=4)
        options.pop(name)
    flags.update(options)
    return flags


def _own_options(tol, options):
    """Options of one of descent's own methods: the CLI's flags under their own names, plus
    scipy's ``maxiter`` and ``maxfev``/``maxfun`` and ``tol`` (the gradient norm)."""
    options = dict(options)
    flags = {}
    if tol is not None:
        flags["gtol"] = tol
    if "maxiter" in options:
        flags["max_iter"] = options.pop("maxiter")
    for name in ("maxfev", "maxfun"):
        if name in options:
            flags["max_evals"] = options.pop(name)
    flags.update(options)
    return flags


def _bounds(bounds, n):
    """Bounds as (lower, upper) pairs with ±inf for None: a sequence of pairs, or an object
    with ``lb`` and ``ub`` (``scipy.optimize.Bounds``)."""
    if bounds is None:
        return None
    if hasattr(bounds, "lb") and hasattr(bounds, "ub"):
        lb = np.broadcast_to(np.asarray(bounds.lb, dtype=float), (n,))
        ub = np.broadcast_to(np.asarray(bounds.ub, dtype=float), (n,))
        return [(float(lo), float(hi)) for lo, hi in zip(lb, ub)]
    pairs = []
    for pair in bounds:
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise ValueError(f"bounds must be (min, max) pairs, got {pair!r}") from None
        pairs.append((-math.inf if lo is None else float(lo), math.inf if hi is None else float(hi)))
    if len(pairs) != n:
        raise ValueError(f"bounds has {len(pairs)} pairs for x0 of {n} values")
    return pairs


def _observer(callback, allvecs):
    """The ``callback(x, f)`` the Rust half calls: scipy's ``callback(xk)``, or
    ``callback(intermediate_result)`` when that is its one parameter's name."""
    if callback is None and allvecs is None:
        return None
    takes_result = False
    if callback is not None:
        try:
            takes_result = list(inspect.signature(callback).parameters) == ["intermediate_result"]
        except (TypeError, ValueError):
            pass

    def observe(x, f):
        if allvecs is not None:
            allvecs.append(x)
        if callback is None:
            return
        if takes_result:
            callback(intermediate_result=OptimizeResult(x=x.copy(), fun=f))
        else:
            callback(x.copy())

    return observe


def _display(result):
    """What scipy prints with ``disp=True``."""
    head = "Optimization terminated successfully." if result.success else f"Warning: {result.message}"
    print(head)
    print(f"         Current function value: {result.fun:f}")
    print(f"         Iterations: {result.nit}")
    print(f"         Function evaluations: {result.nfev}")
    print(f"         Gradient evaluations: {result.njev}")
    if result.nhev:
        print(f"         Hessian evaluations: {result.nhev}")


def minimize(fun, x0=None, args=(), method=None, jac=None, hess=None, hessp=None, bounds=None,
             constraints=(), tol=None, callback=None, options=None):
    """Minimise ``fun`` from ``x0``: ``scipy.optimize.minimize``'s signature and semantics.

    ``fun`` is a Python callable ``fun(x, *args) -> float`` (or ``-> (f, g)`` with
    ``jac=True``), or a string that runs entirely in Rust: the name of a built-in problem
    (``"rosenbrock"``; see :func:`descent.problems`) or an expression
    (``"100*(y-x^2)^2+(1-x)^2"``, variables in order of appearance). For a string, ``x0`` may
    be ``None`` (the problem's standard start, or the origin).

    ``method``: scipy's ``'BFGS'``, ``'L-BFGS-B'``, ``'Newton-CG'``, ``'trust-ncg'``,
    ``'dogleg'`` (default: BFGS, or L-BFGS-B with bounds), with scipy's options and default
    tolerances; or any of descent's own methods by its CLI name (``'lbfgs'``, ``'newton'``,
    ``'gd'``, ``'adam'``, ``'nesterov'``, ...), whose options are the CLI's flags without the
    dashes (``options={'lr': 0.01, 'line_search': 'more-thuente', 'max_iter': 500}``).

    ``jac``: a callable, ``True`` (``fun`` returns ``(f, g)``), or ``None`` / ``'2-point'``
    (forward differences, step ``options['eps']``, default √ε as scipy). ``hess``: a callable
    returning the dense Hessian; ``hessp(x, p, *args)``: Hessian-vector products (Newton-CG,
    trust-ncg; without either, products are differences of the gradient). ``bounds``: pairs
    ``(lo, hi)`` with ``None`` for no bound, or a ``scipy.optimize.Bounds``.

    ``callback(xk)`` (or ``callback(intermediate_result)``) is called after every iteration;
    raising ``StopIteration`` in it ends the run with ``status == 99`` and
    ``reason == 'stopped'``. An exception raised by ``fun``, ``jac``, ``hess``, ``hessp`` or
    ``callback`` propagates with its traceback.

    Returns an :class:`OptimizeResult`.

    Raises ``ValueError`` (with the CLI's message) for an unknown method, an invalid option or
    hyperparameter, or a start where ``fun`` is not finite; ``TypeError`` for arguments of the
    wrong type.
    """
    if constraints:
        raise ValueError("descent.minimize does not take constraints (only bounds)")
    options = dict(options or {})
    disp = options.pop("disp", False)
    allvecs = [] if options.pop("return_all", False) else None
    fd_step = options.pop("finite_diff_rel_step", None)

    if method is None:
        method = "L-BFGS-B" if bounds is not None else "BFGS"
    if not isinstance(method, str):
        raise TypeError(f"method must be a string, got {type(method).__name__}")
    lowered = method.lower()
    if lowered in _SCIPY_ELSEWHERE:
        raise ValueError(
            f"method {method!r} is scipy's; descent offers "
            + ", ".join(repr(m) for m in ("BFGS", "L-BFGS-B", "Newton-CG", "trust-ncg", "dogleg"))
            + " and its own methods (see `descent minimize --help`)"
        )

    native = isinstance(fun, str)
    if native:
        target, start = _target(fun, options)
        x0 = start if x0 is None else np.asarray(x0, dtype=float)
    else:
        if not callable(fun):
            raise TypeError(f"fun must be callable or a string, got {type(fun).__name__}")
        if x0 is None:
            raise TypeError("minimize() missing required argument: 'x0'")
        x0 = np.asarray(x0, dtype=float)
    if x0.ndim > 1:
        raise ValueError("'x0' must only have one dimension.")
    x0 = np.atleast_1d(x0).astype(float, copy=True)
    n = x0.size
    if not isinstance(args, tuple):
        args = (args,)

    if lowered in SCIPY_METHODS:
        cli_method = SCIPY_METHODS[lowered]
        if "eps" in options:  # scipy's finite-difference step (Adam's ε for descent's own)
            fd_step = options.pop("eps") if fd_step is None else fd_step
        flags = _scipy_options(cli_method, n, tol, options)
        if bounds is not None and cli_method not in _BOUNDED:
            warnings.warn(f"Method {method} cannot handle constraints nor bounds.",
                          RuntimeWarning, stacklevel=2)
            bounds = None
    else:
        cli_method = lowered  # scipy's method names are case-insensitive; so are ours here
        flags = _own_options(tol, options)
    argv = ["--method", cli_method] + _flags(flags)
    pairs = _bounds(bounds, n)

    observe = _observer(callback, allvecs)
    if native:
        if args:
            raise ValueError("args are for a Python fun; a string fun takes none")
        if jac is not None or hess is not None or hessp is not None:
            raise ValueError("jac, hess and hessp are for a Python fun; a string fun has exact "
                             "derivatives already")
        fields = _native.minimize_native(target + argv, list(x0), pairs, observe)
    else:
        if jac is True:
            mode, jac_fn = "combined", None
        elif callable(jac):
            mode, jac_fn = "callable", jac
        elif jac is None or jac is False or jac in ("2-point", "3-point", "cs"):
            mode, jac_fn = "2-point", None
        else:
            raise TypeError(f"jac must be callable, True, None or '2-point', got {jac!r}")
        if hess is not None and not callable(hess):
            hess = None  # '2-point', '3-point', 'cs' or an update strategy: differences instead
        if hessp is not None and not callable(hessp):
            raise TypeError(f"hessp must be callable, got {type(hessp).__name__}")
        step = math.sqrt(_EPS) if fd_step is None else float(fd_step)
        fields = _native.minimize_callable(fun, list(x0), args, mode, jac_fn, hess, hessp, argv,
                                           pairs, observe, step)
    if allvecs is not None:
        allvecs.insert(0, x0)
    result = OptimizeResult(fields)
    if cli_method in ("bfgs", "lbfgsb", "lbfgs"):
        # scipy returns its inverse-Hessian approximation here; descent keeps its own inside
        # the solver, so the field is present (a script that reads it runs) but empty.
        result["hess_inv"] = None
    result["hyperparameters"] = json.loads(result["hyperparameters"])
    if allvecs is not None:
        result["allvecs"] = allvecs
    if disp:
        _display(result)
    return result


#: The parameters of a built-in problem, as options (and `descent minimize` flags).
_PROBLEM_PARAMETERS = ("dim", "condition", "slope", "seed")


def _target(source, options):
    """The CLI's target flags for a string ``fun``, and its standard start."""
    if source in {p["name"] for p in _native.problems()}:
        params = {k: options[k] for k in _PROBLEM_PARAMETERS if options.get(k) is not None}
        return ["--problem", source], _native.Problem(source, **params).x0
    variables = options.get("vars")
    if isinstance(variables, str):
        variables = variables.split(",")
    if variables is None:
        variables = _native.expression_variables(source)
    return ["--expr", source], np.zeros(len(variables))
