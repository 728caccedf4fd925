"""Reference trajectories of torch.optim and optax optimizers on one least-squares problem.

Writes bench/peers/reference_trajectories.json, which the Rust tests read to check
descent's optimizers against PyTorch and optax to 1e-9 relative, without torch installed.

Problem (float64 throughout):
    rng = numpy.random.default_rng(20261204); m, n = 100, 50
    A = rng.standard_normal((m, n)) / sqrt(m); b = rng.standard_normal(m); x0 = rng.standard_normal(n)
    f(x) = 0.5 * ||A x - b||^2,   g(x) = A.T @ (A @ x - b)   (computed in numpy, handed to the optimizer)

Each configuration runs 200 steps from x0; the iterate after each step in STEPS is
recorded (the full 50-vector), with f at that iterate. Torch optimizers are built with
foreach=False, so the single-tensor code path runs; the JSON holds each one's
param_groups[0] minus the params. Optax optimizers run eagerly (not jitted) with
jax_enable_x64; the JSON holds the bound arguments with defaults applied and the
function's signature defaults.

Run with: torch 2.15.0+cu132 (CPU path), numpy 2.4.6, jax 0.10.2, jaxlib 0.10.2,
optax 0.2.8, Python 3.11.7; the JSON's "versions" records the ones actually used.

Rerun from the repository root:
    bash bench/peers/setup.sh && bench/peers/.venv/bin/python bench/peers/reference_trajectories.py
"""

import inspect
import json
import math
import os
import platform
import sys

import numpy as np

SEED = 20261204
M, N = 100, 50
STEPS = [1, 2, 3, 5, 10, 20, 50, 100, 150, 200]
TOTAL_STEPS = STEPS[-1]
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference_trajectories.json")


def problem():
    rng = np.random.default_rng(SEED)
    a = rng.standard_normal((M, N)) / math.sqrt(M)
    b = rng.standard_normal(M)
    x0 = rng.standard_normal(N)
    return a, b, x0


def gradient(a, b, x):
    return a.T @ (a @ x - b)


def loss(a, b, x):
    r = a @ x - b
    return 0.5 * float(r @ r)


def jsonable(v):
    """Plain JSON value for a hyperparameter; anything exotic becomes its repr."""
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, float):
        return v
    if isinstance(v, (tuple, list)):
        return [jsonable(u) for u in v]
    if isinstance(v, dict):
        return {str(k): jsonable(u) for k, u in v.items()}
    if isinstance(v, (np.floating, np.integer, np.bool_)):
        return v.item()
    if v is inspect.Parameter.empty:
        return "<required>"
    try:
        import torch

        if isinstance(v, torch.Tensor) and v.numel() == 1:
            return v.item()
    except ImportError:
        pass
    return repr(v)


def record(a, b, x, trajectory):
    trajectory["iterates"].append([float(u) for u in x])
    trajectory["losses"].append(loss(a, b, x))


# name -> (constructor name, keyword arguments); foreach=False is added to every one.
TORCH_CONFIGS = {
    "torch_sgd": ("SGD", dict(lr=0.1)),
    "torch_sgd_wd": ("SGD", dict(lr=0.1, weight_decay=0.01)),
    "torch_momentum": ("SGD", dict(lr=0.05, momentum=0.9)),
    "torch_momentum_dampening": ("SGD", dict(lr=0.05, momentum=0.9, dampening=0.1)),
    "torch_nesterov": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True)),
    "torch_nesterov_wd": ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.01)),
    "torch_adagrad": ("Adagrad", dict(lr=0.1)),
    "torch_adagrad_decay": (
        "Adagrad",
        dict(lr=0.1, lr_decay=0.01, weight_decay=0.01, initial_accumulator_value=0.1, eps=1e-10),
    ),
    "torch_rmsprop": ("RMSprop", dict(lr=0.01)),
    "torch_rmsprop_centered": ("RMSprop", dict(lr=0.01, centered=True)),
    "torch_rmsprop_momentum": ("RMSprop", dict(lr=0.01, momentum=0.9)),
    "torch_rmsprop_all": (
        "RMSprop",
        dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.01, momentum=0.5, centered=True),
    ),
    "torch_adadelta": ("Adadelta", dict(lr=1.0)),
    "torch_adadelta_wd": ("Adadelta", dict(lr=0.5, rho=0.95, eps=1e-6, weight_decay=0.01)),
    "torch_adam": ("Adam", dict(lr=0.01)),
    "torch_adam_wd": ("Adam", dict(lr=0.01, weight_decay=0.01)),
    "torch_amsgrad": ("Adam", dict(lr=0.01, amsgrad=True)),
    "torch_adamw": ("AdamW", dict(lr=0.01)),
    "torch_adamw_amsgrad": ("AdamW", dict(lr=0.01, weight_decay=0.1, amsgrad=True)),
    "torch_adamax": ("Adamax", dict(lr=0.01)),
    "torch_nadam": ("NAdam", dict(lr=0.01)),
    "torch_nadam_decoupled": ("NAdam", dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
    "torch_radam": ("RAdam", dict(lr=0.01)),
    "torch_radam_decoupled": ("RAdam", dict(lr=0.01, weight_decay=0.01, decoupled_weight_decay=True)),
}

# name -> (optax function name, positional args, keyword args)
OPTAX_CONFIGS = {
    "optax_sgd": ("sgd", (0.1,), {}),
    "optax_momentum": ("sgd", (0.05,), dict(momentum=0.9)),
    "optax_nesterov": ("sgd", (0.05,), dict(momentum=0.9, nesterov=True)),
    "optax_adagrad": ("adagrad", (0.1,), {}),
    "optax_rmsprop": ("rmsprop", (0.01,), {}),
    "optax_rmsprop_centered": ("rmsprop", (0.01,), dict(centered=True)),
    "optax_rmsprop_momentum": ("rmsprop", (0.01,), dict(momentum=0.9)),
    "optax_adam": ("adam", (0.01,), {}),
    "optax_adamw": ("adamw", (0.01,), {}),
    "optax_amsgrad": ("amsgrad", (0.01,), {}),
    "optax_adamax": ("adamax", (0.01,), {}),
    "optax_nadam": ("nadam", (0.01,), {}),
    "optax_radam": ("radam", (0.01,), {}),
    "optax_lion": ("lion", (0.001,), {}),
    "optax_adadelta": ("adadelta", (1.0,), {}),
}


def torch_runs(a, b, x0, runs, failures):
    import torch

    torch.set_num_threads(1)
    for name, (ctor_name, kwargs) in TORCH_CONFIGS.items():
        try:
            ctor = getattr(torch.optim, ctor_name)
            kwargs = dict(kwargs)
            if "foreach" in inspect.signature(ctor.__init__).parameters:
                kwargs["foreach"] = False
            p = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
            opt = ctor([p], **kwargs)
            group = {k: jsonable(v) for k, v in opt.param_groups[0].items() if k != "params"}
            run = {
                "library": "torch",
                "constructor": "torch.optim." + ctor_name,
                "arguments": jsonable(kwargs),
                "hyperparameters": group,
                "iterates": [],
                "losses": [],
            }
            for step in range(1, TOTAL_STEPS + 1):
                x = p.detach().numpy().copy()
                p.grad = torch.from_numpy(gradient(a, b, x))
                opt.step()
                if step in STEPS:
                    record(a, b, p.detach().numpy(), run)
            runs[name] = run
        except Exception as e:  # report, keep going
            failures[name] = f"{type(e).__name__}: {e}"


def optax_runs(a, b, x0, runs, failures):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    import optax

    for name, (fn_name, args, kwargs) in OPTAX_CONFIGS.items():
        try:
            fn = getattr(optax, fn_name, None)
            if fn is None:
                failures[name] = f"optax.{fn_name} does not exist in optax {optax.__version__}"
                continue
            sig = inspect.signature(fn)
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            opt = fn(*args, **kwargs)
            params = jnp.asarray(x0, dtype=jnp.float64)
            state = opt.init(params)
            run = {
                "library": "optax",
                "constructor": "optax." + fn_name,
                "arguments": jsonable({**dict(zip(list(sig.parameters)[: len(args)], args)), **kwargs}),
                "hyperparameters": {k: jsonable(v) for k, v in bound.arguments.items()},
                "signature_defaults": {k: jsonable(p.default) for k, p in sig.parameters.items()},
                "iterates": [],
                "losses": [],
            }
            for step in range(1, TOTAL_STEPS + 1):
                x = np.asarray(params, dtype=np.float64)
                g = jnp.asarray(gradient(a, b, x), dtype=jnp.float64)
                updates, state = opt.update(g, state, params)
                params = optax.apply_updates(params, updates)
                assert params.dtype == jnp.float64, params.dtype
                if step in STEPS:
                    record(a, b, np.asarray(params, dtype=np.float64), run)
            runs[name] = run
        except Exception as e:
            failures[name] = f"{type(e).__name__}: {e}"


def versions():
    out = {"python": platform.python_version(), "numpy": np.__version__, "platform": platform.platform()}
    for mod in ["torch", "jax", "jaxlib", "optax"]:
        try:
            out[mod] = __import__(mod).__version__
        except Exception as e:
            out[mod] = f"unavailable: {type(e).__name__}: {e}"
    return out


def main():
    a, b, x0 = problem()
    runs, failures = {}, {}
    torch_runs(a, b, x0, runs, failures)
    optax_runs(a, b, x0, runs, failures)
    for name, run in runs.items():
        if not all(math.isfinite(u) for it in run["iterates"] for u in it):
            failures[name] = "non-finite iterate"
    doc = {
        "generated_by": "bench/peers/reference_trajectories.py",
        "versions": versions(),
        "problem": {
            "seed": SEED,
            "m": M,
            "n": N,
            "loss": "0.5*||A x - b||^2",
            "gradient": "A.T @ (A @ x - b), numpy float64",
            "A": [[float(u) for u in row] for row in a],
            "b": [float(u) for u in b],
            "x0": [float(u) for u in x0],
            "loss_at_x0": loss(a, b, x0),
        },
        "steps": STEPS,
        "runs": runs,
        "failures": failures,
    }
    with open(OUT, "w") as f:
        json.dump(doc, f, separators=(",", ":"), allow_nan=False)
        f.write("\n")
    print(f"wrote {OUT}: {len(runs)} runs, {len(failures)} failures")
    for name, why in failures.items():
        print(f"  FAILED {name}: {why}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
