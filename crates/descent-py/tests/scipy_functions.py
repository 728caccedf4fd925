"""scipy.optimize's Rosenbrock test functions, written out from their definitions (scipy's
chained form, f = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², with its standard starts), so that the
tests exercise a scipy user's own Python callables without scipy installed."""

import numpy as np


def rosen(x):
    x = np.asarray(x)
    return float(np.sum(100.0 * (x[1:] - x[:-1] ** 2.0) ** 2.0 + (1 - x[:-1]) ** 2.0))


def rosen_der(x):
    x = np.asarray(x)
    xm, xm_m1, xm_p1 = x[1:-1], x[:-2], x[2:]
    der = np.zeros_like(x)
    der[1:-1] = 200 * (xm - xm_m1**2) - 400 * (xm_p1 - xm**2) * xm - 2 * (1 - xm)
    der[0] = -400 * x[0] * (x[1] - x[0] ** 2) - 2 * (1 - x[0])
    der[-1] = 200 * (x[-1] - x[-2] ** 2)
    return der


def rosen_hess(x):
    x = np.asarray(x)
    h = np.diag(-400 * x[:-1], 1) - np.diag(400 * x[:-1], -1)
    diagonal = np.zeros_like(x)
    diagonal[0] = 1200 * x[0] ** 2 - 400 * x[1] + 2
    diagonal[-1] = 200
    diagonal[1:-1] = 202 + 1200 * x[1:-1] ** 2 - 400 * x[2:]
    return h + np.diag(diagonal)


def rosen_hess_prod(x, p):
    x, p = np.asarray(x), np.asarray(p)
    hp = np.zeros_like(x)
    hp[0] = (1200 * x[0] ** 2 - 400 * x[1] + 2) * p[0] - 400 * x[0] * p[1]
    hp[1:-1] = (
        -400 * x[:-2] * p[:-2]
        + (202 + 1200 * x[1:-1] ** 2 - 400 * x[2:]) * p[1:-1]
        - 400 * x[1:-1] * p[2:]
    )
    hp[-1] = -400 * x[-2] * p[-2] + 200 * p[-1]
    return hp
