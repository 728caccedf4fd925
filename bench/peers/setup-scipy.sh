#!/usr/bin/env bash
# Creates bench/peers/.venv-scipy with numpy and scipy from PyPI: the light environment for the
# scipy.optimize comparisons (L-BFGS-B, trust regions, Newton-CG), without torch's CUDA wheels.
# Idempotent: does nothing when the venv already imports scipy.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-scipy"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import numpy, scipy' 2>/dev/null; then
    echo "setup-scipy.sh: $venv already has numpy and scipy; skipping install"
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet numpy scipy
"$venv/bin/python" -c 'import numpy, scipy; print("numpy", numpy.__version__, "scipy", scipy.__version__)'
