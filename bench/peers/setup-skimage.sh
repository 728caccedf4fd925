#!/usr/bin/env bash
# Creates bench/peers/.venv-skimage with numpy, scipy and scikit-image from PyPI: the environment
# for issue 9's deconvolution peer (skimage_deconvolution.py). No astropy: the script reads
# ../shared/data/m13.fits with numpy (a FITS primary HDU is simple enough).
# Idempotent: does nothing when the venv already imports skimage.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv-skimage"
if [ -x "$venv/bin/python" ] && "$venv/bin/python" -c 'import numpy, scipy, skimage' 2>/dev/null; then
    echo "setup-skimage.sh: $venv already has numpy, scipy and scikit-image; skipping install"
    exit 0
fi
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet numpy scipy scikit-image
"$venv/bin/python" -c 'import numpy, scipy, skimage; print("numpy", numpy.__version__, "scipy", scipy.__version__, "scikit-image", skimage.__version__)'
