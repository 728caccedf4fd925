#!/usr/bin/env bash
# Creates bench/peers/.venv with torch, numpy, jax and optax from PyPI.
# Idempotent: does nothing when the venv already imports torch and optax.
# The Linux torch wheel from PyPI pulls the CUDA runtime packages (several GB);
# only the CPU path is used here.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import torch, numpy, jax, optax' 2>/dev/null; then
    echo "setup.sh: $venv already has torch, numpy, jax and optax; skipping install"
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --upgrade pip
"$venv/bin/python" -m pip install torch numpy jax optax
"$venv/bin/python" -c 'import torch, numpy, jax, optax; print("torch", torch.__version__, "numpy", numpy.__version__, "jax", jax.__version__, "optax", optax.__version__)'
