"""First-order optimizers for NumPy arrays, updated in place.

Each class is one of descent's first-order update rules (the Rust step API, one fused pass
over parameters, gradient and state), with PyTorch's argument names::

    import numpy as np
    from descent.optim import Adam

    w = np.zeros(10, dtype=np.float32)
    opt = Adam(lr=1e-2)
    for _ in range(100):
        g = 2 * (w - 1)              # the gradient of ‖w − 1‖², as float32
        opt.step(w, g)               # w is updated in place: same buffer, no copy

``step(params, grads)`` takes two C-contiguous arrays of one shape and one dtype (float32 or
float64). The state is created at the first step for that size and dtype; later steps must
match. One optimizer updates one array (keep several parameter tensors as views of one flat
array, or use one optimizer per array).

Hyperparameters left as ``None`` take the ``preset``'s default: ``preset="torch"`` (default)
gives ``torch.optim``'s defaults and conventions (ε outside the square root, coupled weight
decay where torch couples it), ``preset="optax"`` optax's. ``schedule`` is a learning-rate
schedule as ``descent train --schedule`` spells it, ``KIND[:field=value,...]`` with the fields of
``descent::first_order::Schedule``: ``"step:step_size=30,gamma=0.1"``,
``"exponential:gamma=0.99"``, ``"warmup_cosine:warmup_steps=100,decay_steps=1000"``, ...

Invalid hyperparameters raise ``ValueError`` with the message ``descent train`` prints; an
argument a method does not have raises ``TypeError``, as any Python call does.
"""

import json

from . import _native

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Nesterov",
    "HeavyBall",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "AMSGrad",
    "Adamax",
    "NAdam",
    "NAdamW",
    "RAdam",
    "RAdamW",
    "Lion",
]


def _text(value):
    """A flag's value as text: floats in their shortest round-trip form."""
    if isinstance(value, bool):
        raise TypeError(f"expected a number, got {value!r}")
    if isinstance(value, float):
        return repr(value)
    return str(value)


class Optimizer:
    """A first-order method's step on NumPy arrays (the base of every class here).

    ``Optimizer("adam", lr=1e-3, beta1=0.9)`` builds any of descent's first-order methods by
    its CLI name with the CLI's flag names; the subclasses give each its PyTorch signature.
    """

    def __init__(self, method, *, preset=None, schedule=None, **hyperparameters):
        argv = ["--method", method]
        if preset is not None:
            argv += ["--preset", preset]
        if schedule is not None:
            argv += ["--schedule", schedule]
        for name, value in hyperparameters.items():
            if value is None or value is False:
                continue
            flag = "--" + name.replace("_", "-")
            argv += [flag] if value is True else [flag, _text(value)]
        self._native = _native.Optimizer(argv)

    def step(self, params, grads):
        """Updates ``params`` in place from ``grads`` (same shape and dtype, C-contiguous)."""
        self._native.step(params, grads)

    @property
    def steps(self):
        """Steps taken."""
        return self._native.steps

    @property
    def method(self):
        """The method's CLI name (``"adam"``)."""
        return self._native.method

    @property
    def hyperparameters(self):
        """The full configuration, every default filled in."""
        return json.loads(self._native.config)

    def state_dict(self):
        """The state, as a dict (with a copy of the per-parameter state as an array)."""
        return dict(self._native.state_dict())

    def load_state_dict(self, state):
        """Restores a state from :meth:`state_dict`; the next step continues bit for bit."""
        self._native.load_state_dict(dict(state))

    def __repr__(self):
        return f"{type(self).__name__}({self.hyperparameters})"


def _betas(betas):
    if betas is None:
        return None, None
    beta1, beta2 = betas
    return beta1, beta2


class SGD(Optimizer):
    """torch's SGD: plain steps, or momentum (``momentum > 0``), or Nesterov momentum
    (``nesterov=True``); coupled weight decay."""

    def __init__(self, lr=None, momentum=0.0, dampening=None, weight_decay=None, nesterov=False,
                 *, preset=None, schedule=None):
        if nesterov:
            method, extra = "nesterov", {"momentum": momentum or None, "dampening": dampening}
        elif momentum:
            method, extra = "momentum", {"momentum": momentum, "dampening": dampening}
        else:
            method, extra = "sgd", {"dampening": dampening}
        super().__init__(method, preset=preset, schedule=schedule, lr=lr,
                         weight_decay=weight_decay, **extra)


class Momentum(Optimizer):
    """Momentum as torch's ``SGD(momentum=…)``: v ← μv + (1 − dampening)g, θ ← θ − αv."""

    def __init__(self, lr=None, momentum=None, dampening=None, weight_decay=None, *,
                 preset=None, schedule=None):
        super().__init__("momentum", preset=preset, schedule=schedule, lr=lr, momentum=momentum,
                         dampening=dampening, weight_decay=weight_decay)


class Nesterov(Optimizer):
    """Nesterov momentum, reformulated as torch and optax do."""

    def __init__(self, lr=None, momentum=None, weight_decay=None, *, preset=None, schedule=None):
        super().__init__("nesterov", preset=preset, schedule=schedule, lr=lr, momentum=momentum,
                         weight_decay=weight_decay)


class HeavyBall(Optimizer):
    """Polyak's heavy ball: v ← γv − α∇L, θ ← θ + v."""

    def __init__(self, lr=None, momentum=None, *, schedule=None):
        super().__init__("heavy-ball", schedule=schedule, lr=lr, momentum=momentum)


class Adagrad(Optimizer):
    """Adagrad: steps divided by the root of the summed squared gradients."""

    def __init__(self, lr=None, eps=None, initial_accumulator_value=None, weight_decay=None, *,
                 preset=None, schedule=None):
        super().__init__("adagrad", preset=preset, schedule=schedule, lr=lr, eps=eps,
                         initial_accumulator=initial_accumulator_value, weight_decay=weight_decay)


class RMSprop(Optimizer):
    """RMSProp (``alpha`` is the decay of the mean square), optionally centered, with
    momentum."""

    def __init__(self, lr=None, alpha=None, eps=None, weight_decay=None, momentum=None,
                 centered=False, *, preset=None, schedule=None):
        super().__init__("rmsprop", preset=preset, schedule=schedule, lr=lr, decay=alpha,
                         eps=eps, weight_decay=weight_decay, momentum=momentum,
                         centered=centered)


class Adadelta(Optimizer):
    """Adadelta: RMSProp with a unit-correcting numerator."""

    def __init__(self, lr=None, rho=None, eps=None, weight_decay=None, *, preset=None,
                 schedule=None):
        super().__init__("adadelta", preset=preset, schedule=schedule, lr=lr, decay=rho,
                         eps=eps, weight_decay=weight_decay)


class _AdamFamily(Optimizer):
    """A method of Adam's family: ``lr, betas, eps, weight_decay``."""

    _method = None

    def __init__(self, lr=None, betas=None, eps=None, weight_decay=None, *, preset=None,
                 schedule=None):
        beta1, beta2 = _betas(betas)
        super().__init__(self._method, preset=preset, schedule=schedule, lr=lr, beta1=beta1,
                         beta2=beta2, eps=eps, weight_decay=weight_decay)


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015); ``amsgrad=True`` is :class:`AMSGrad`, as in torch."""

    def __init__(self, lr=None, betas=None, eps=None, weight_decay=None, amsgrad=False, *,
                 preset=None, schedule=None):
        beta1, beta2 = _betas(betas)
        super().__init__("amsgrad" if amsgrad else "adam", preset=preset, schedule=schedule,
                         lr=lr, beta1=beta1, beta2=beta2, eps=eps, weight_decay=weight_decay)


class AdamW(_AdamFamily):
    """AdamW: Adam with decoupled weight decay (Loshchilov & Hutter 2019)."""

    _method = "adamw"


class AMSGrad(_AdamFamily):
    """AMSGrad: Adam with a running maximum of the second moment (Reddi et al. 2018)."""

    _method = "amsgrad"


class Adamax(_AdamFamily):
    """Adamax: Adam with the infinity norm."""

    _method = "adamax"


class NAdam(_AdamFamily):
    """NAdam: Adam with Nesterov momentum (Dozat 2016)."""

    _method = "nadam"


class NAdamW(_AdamFamily):
    """NAdam with decoupled weight decay."""

    _method = "nadamw"


class RAdam(_AdamFamily):
    """RAdam: Adam with a rectified warm-up (Liu et al. 2020)."""

    _method = "radam"


class RAdamW(_AdamFamily):
    """RAdam with decoupled weight decay."""

    _method = "radamw"


class Lion(Optimizer):
    """Lion: the sign of an interpolated momentum (Chen et al. 2023)."""

    def __init__(self, lr=None, betas=None, weight_decay=None, *, schedule=None):
        beta1, beta2 = _betas(betas)
        super().__init__("lion", schedule=schedule, lr=lr, beta1=beta1, beta2=beta2,
                         weight_decay=weight_decay)
