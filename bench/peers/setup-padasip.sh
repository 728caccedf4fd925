#!/usr/bin/env bash
# Creates bench/peers/.venv-padasip with numpy and padasip from PyPI: the peer for
# descent-signal's adaptive filters (NLMS, LMS, RLS, affine projection), used by
# padasip_reference.py and padasip_speed.py. The versions are recorded in the JSON those write.
# Idempotent: does nothing when the venv already imports numpy and padasip.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-padasip"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import numpy, padasip' 2>/dev/null; then
    echo "setup-padasip.sh: $venv already has numpy and padasip; skipping install"
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet numpy padasip
"$venv/bin/python" -c 'import numpy, padasip; import importlib.metadata as m; print("numpy", numpy.__version__, "padasip", m.version("padasip"))'
