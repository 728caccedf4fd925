"""descent.minimize's behaviour: scipy's arguments and result, descent's statuses, errors."""

import math
import pathlib
import shutil
import subprocess
import traceback

import numpy as np
import pytest

import descent
from scipy_functions import rosen, rosen_der, rosen_hess, rosen_hess_prod

ROOT = pathlib.Path(__file__).resolve().parents[3]


def test_result_is_a_dict_with_attribute_access_and_every_scipy_field():
    res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS")
    for key in ("x", "fun", "jac", "nit", "nfev", "njev", "nhev", "status", "success",
                "message", "hess_inv", "reason", "critical_point"):
        assert key in res
        assert getattr(res, key) is res[key]
    assert res.success and res.status == 0 and res.reason == "converged"
    assert res.critical_point is None  # no second derivatives given: no verdict
    with_hessian = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, hess=rosen_hess)
    assert with_hessian.critical_point == "minimum"
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)
    np.testing.assert_allclose(res.jac, rosen_der(res.x), rtol=0, atol=0)
    assert np.max(np.abs(res.jac)) <= 1e-5  # scipy's BFGS default: gtol 1e-5 on the inf-norm
    assert "x" in dir(res) and "fun:" in repr(res)
    with pytest.raises(AttributeError):
        res.no_such_field


def test_default_method_is_bfgs_or_lbfgsb_with_bounds():
    assert descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der).method == "bfgs"
    bounded = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, bounds=[(-2, 0.5), (None, None)])
    assert bounded.method == "lbfgsb"
    # the constrained minimiser of Rosenbrock with x ≤ 0.5 is (0.5, 0.25), on the bound
    np.testing.assert_allclose(bounded.x, [0.5, 0.25], atol=1e-6)


def test_bounds_object_with_lb_and_ub_as_scipy_bounds():
    class Bounds:  # the two attributes scipy.optimize.Bounds has
        lb = np.array([-2.0, -2.0])
        ub = np.array([0.5, 2.0])

    res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="L-BFGS-B", bounds=Bounds())
    np.testing.assert_allclose(res.x, [0.5, 0.25], atol=1e-6)


def test_bounds_on_a_method_without_them_warn_and_are_ignored_as_in_scipy():
    with pytest.warns(RuntimeWarning, match="cannot handle constraints nor bounds"):
        res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS",
                               bounds=[(-2, 0.5)] * 2)
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-5)


def test_jac_true_and_args():
    def f(x, a, b):
        return a * rosen(x) + b, a * rosen_der(x)

    res = descent.minimize(f, [-1.2, 1.0], args=(3.0, 7.0), jac=True, method="L-BFGS-B",
                           options={"gtol": 1e-9, "ftol": 1e-15})
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-6)
    assert math.isclose(res.fun, 7.0, abs_tol=1e-10)
    assert res.nfev == res.njev  # one call gives both


def test_finite_difference_gradient_counts_its_evaluations():
    calls = []

    def f(x):
        calls.append(1)
        return rosen(x)

    res = descent.minimize(f, [-1.2, 1.0], method="BFGS")
    assert res.success
    np.testing.assert_allclose(res.x, [1.0, 1.0], atol=1e-4)
    assert res.nfev == len(calls)
    assert res.nfev >= 3 * res.njev - 3  # each gradient costs n = 2 extra values


def test_newton_cg_and_trust_regions_with_hess_and_hessp():
    for method, second in [("Newton-CG", {"hessp": rosen_hess_prod}),
                           ("Newton-CG", {"hess": rosen_hess}),
                           ("trust-ncg", {"hessp": rosen_hess_prod}),
                           ("dogleg", {"hess": rosen_hess}),
                           ("newton", {"hess": rosen_hess})]:
        # tol: Newton-CG's xtol (scipy's default 1e-5 stops 2.7e-4 away), the others' gtol
        res = descent.minimize(rosen, [1.3, 0.7, 0.8, 1.9, 1.2], jac=rosen_der, method=method,
                               tol=1e-10, options={"maxiter": 500}, **second)
        assert res.success, (method, res.message)
        np.testing.assert_allclose(res.x, np.ones(5), atol=1e-4, err_msg=method)
        assert res.nhev > 0


def test_callback_gets_each_iterate_and_intermediate_result_form():
    seen, results = [], []
    res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS",
                           callback=lambda xk: seen.append(xk))
    assert len(seen) == res.nit
    np.testing.assert_array_equal(seen[-1], res.x)

    def callback(intermediate_result):
        results.append(intermediate_result)

    res2 = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS", callback=callback)
    assert len(results) == res2.nit
    assert results[-1].fun == res2.fun and results[-1]["x"].shape == (2,)


def test_stop_iteration_in_the_callback_stops_the_run():
    count = []

    def callback(xk):
        count.append(1)
        if len(count) == 3:
            raise StopIteration

    res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="BFGS", callback=callback)
    assert res.reason == "stopped" and res.status == 99 and not res.success
    assert res.nit == 3
    count.clear()
    native = descent.minimize("rosenbrock", method="lbfgs", callback=callback)
    assert native.reason == "stopped" and native.nit == 3


def test_an_exception_in_fun_propagates_with_its_traceback():
    def broken_objective(x):
        if x[0] > -0.5:
            raise KeyError("deliberate")
        return float(x @ x)

    with pytest.raises(KeyError, match="deliberate") as info:
        descent.minimize(broken_objective, [-1.0, 1.0], jac=lambda x: 2 * x, method="BFGS")
    frames = [frame.name for frame in traceback.extract_tb(info.value.__traceback__)]
    assert "broken_objective" in frames


def test_an_exception_in_the_callback_or_jac_propagates():
    def callback(xk):
        raise RuntimeError("callback says no")

    with pytest.raises(RuntimeError, match="callback says no"):
        descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, callback=callback)
    with pytest.raises(ZeroDivisionError):
        descent.minimize(rosen, [-1.2, 1.0], jac=lambda x: 1 / 0)
    with pytest.raises(RuntimeError, match="native callback"):
        descent.minimize("rosenbrock", callback=lambda xk: (_ for _ in ()).throw(
            RuntimeError("native callback")))


def test_a_bad_return_value_is_a_clear_error():
    with pytest.raises(ValueError, match="jac returned 3 values for 2 variables"):
        descent.minimize(rosen, [-1.2, 1.0], jac=lambda x: np.zeros(3))
    with pytest.raises(TypeError, match="fun must return a float"):
        descent.minimize(lambda x: "no", [-1.2, 1.0], jac=rosen_der)
    with pytest.raises(TypeError, match="pair"):
        descent.minimize(rosen, [-1.2, 1.0], jac=True)


def test_string_objectives_run_in_rust():
    expr = descent.minimize("100*(y-x^2)^2+(1-x)^2", [-1.2, 1.0], method="BFGS",
                            options={"gtol": 1e-10})
    np.testing.assert_allclose(expr.x, [1.0, 1.0], atol=1e-8)
    problem = descent.minimize("rosenbrock", method="newton")  # standard start
    np.testing.assert_allclose(problem.x, [1.0, 1.0], atol=1e-8)
    big = descent.minimize("rosenbrock", method="lbfgs", options={"dim": 1000, "max_iter": 5000})
    assert big.success and big.x.shape == (1000,)
    np.testing.assert_allclose(big.x, np.ones(1000), atol=1e-5)


def test_descents_own_methods_and_honest_statuses():
    ramp = descent.minimize("ramp", method="gd", options={"lr": 0.1, "max_iter": 100000})
    assert ramp.reason == "unbounded_below" and ramp.status == 5 and not ramp.success
    saddle = descent.minimize("x^2 - y^2", [1.0, 0.0], method="newton")
    assert saddle.reason == "converged" and saddle.critical_point == "saddle_point"
    assert saddle.negative_directions == 1
    adam = descent.minimize("ravine", method="adam", options={"lr": 0.1, "max_iter": 5000})
    assert adam.success and np.linalg.norm(adam.x) < 1e-5
    # `eps` is Adam's ε for descent's own methods (scipy's finite-difference step for its own)
    with_eps = descent.minimize("ravine", method="adam", options={"eps": 1e-6, "max_iter": 1})
    assert with_eps.hyperparameters["eps"] == 1e-6
    capped = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, method="GD",
                              options={"lr": 1e-3, "maxiter": 10})
    assert capped.reason == "max_iterations" and capped.status == 1 and capped.nit == 10


def cli_error(*args):
    """The line `descent minimize` prints for `args`, without `error: `, or None without the
    binary."""
    binary = ROOT / "target" / "release" / "descent"
    if not binary.exists():
        binary = shutil.which("descent")
    if binary is None:
        return None
    out = subprocess.run([str(binary), "minimize", *args], capture_output=True, text=True)
    assert out.returncode == 2
    return out.stderr.strip().removeprefix("error: ")


@pytest.mark.parametrize("call,cli,message", [
    (dict(fun="rosenbrock", method="gd", options={"lr": -1}),
     ["--problem", "rosenbrock", "--method", "gd", "--lr", "-1"],
     "invalid learning_rate = -1: must be positive and finite"),
    (dict(fun="rosenbrock", method="adam", options={"momentum": 0.5}),
     ["--problem", "rosenbrock", "--method", "adam", "--momentum", "0.5"],
     "--momentum does not apply to --method adam"),
    (dict(fun="x^2+"), ["--expr", "x^2+"], "syntax error at column 5"),
])
def test_bad_arguments_raise_value_error_with_the_cli_message(call, cli, message):
    with pytest.raises(ValueError) as info:
        descent.minimize(**call)
    assert message in str(info.value)
    expected = cli_error(*cli)
    if expected is not None:
        assert str(info.value) == expected


def test_wrong_types_and_shapes():
    with pytest.raises(TypeError, match="fun must be callable"):
        descent.minimize(42, [1.0])
    with pytest.raises(ValueError, match="one dimension"):
        descent.minimize(rosen, np.zeros((2, 2)))
    with pytest.raises(ValueError, match="scipy's"):
        descent.minimize(rosen, [1.0, 2.0], method="Nelder-Mead")
    with pytest.raises(ValueError, match="bounds has 1 pairs"):
        descent.minimize(rosen, [1.0, 2.0], method="L-BFGS-B", bounds=[(0, 1)])
    with pytest.raises(ValueError, match="not finite|non-finite|NaN"):
        descent.minimize(lambda x: float("nan"), [1.0, 2.0], jac=lambda x: x)


def test_disp_prints_scipys_summary(capsys):
    descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={"disp": True})
    out = capsys.readouterr().out
    assert "Optimization terminated successfully." in out and "Iterations:" in out


def test_return_all_collects_the_iterates():
    res = descent.minimize(rosen, [-1.2, 1.0], jac=rosen_der, options={"return_all": True})
    assert len(res.allvecs) == res.nit + 1
    np.testing.assert_array_equal(res.allvecs[0], [-1.2, 1.0])


def test_problems_are_callable_from_python():
    names = {p["name"] for p in descent.problems()}
    assert {"rosenbrock", "ravine", "ramp", "tridiagonal"} <= names
    p = descent.Problem("rosenbrock", dim=4)
    x = np.array([0.3, -0.2, 1.1, 0.9])
    assert p.fun(x) == pytest.approx(100 * (-0.2 - 0.09) ** 2 + 0.49 + 100 * (0.9 - 1.21) ** 2
                                     + 0.01, rel=1e-15)
    h = p.hess(x)
    v = np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(p.hessp(x, v), h @ v, rtol=1e-14)
    eps = 1e-6
    numeric = [(p.fun(x + eps * e) - p.fun(x - eps * e)) / (2 * eps) for e in np.eye(4)]
    np.testing.assert_allclose(p.jac(x), numeric, rtol=1e-7)
    with pytest.raises(ValueError, match="dimension 4"):
        p.fun(np.zeros(3))
