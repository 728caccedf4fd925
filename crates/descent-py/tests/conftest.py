"""Shared fixtures: the reference data committed under bench/peers/."""

import json
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
PEERS = ROOT / "bench" / "peers"


@pytest.fixture(scope="session")
def scipy_reference():
    """scipy.optimize.minimize's runs (bench/peers/scipy_minimize_reference.py)."""
    return json.loads((PEERS / "scipy_minimize_reference.json").read_text())


@pytest.fixture(scope="session")
def torch_reference():
    """torch.optim's trajectories (bench/peers/reference_trajectories.py)."""
    return json.loads((PEERS / "reference_trajectories.json").read_text())
