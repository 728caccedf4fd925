"""descent: gradient-based optimization, written in Rust, from Python.

- :func:`minimize`: ``scipy.optimize.minimize``'s signature and semantics (``from descent
  import minimize`` in a scipy script), with descent's solvers, honest statuses
  (``result.reason``: ``converged``, ``unbounded_below``, ``diverged``, ...) and a verdict on
  the point found (``result.critical_point``). A string objective (a built-in problem's name or
  an expression such as ``"100*(y-x^2)^2+(1-x)^2"``) runs entirely in Rust.
- :mod:`descent.optim`: first-order optimizers (``Adam``, ``SGD``, ``Lion``, ...) whose
  ``step(params, grads)`` updates a float32 or float64 NumPy array in place.
- :func:`problems` and :class:`Problem`: the built-in landscapes, callable from Python.

One sign convention throughout: we minimise.
"""

from . import optim
from ._minimize import SCIPY_METHODS, OptimizeResult, OptimizeWarning, minimize
from ._native import Problem, __version__, problems

__all__ = [
    "minimize",
    "OptimizeResult",
    "OptimizeWarning",
    "SCIPY_METHODS",
    "optim",
    "Problem",
    "problems",
    "__version__",
]
