#!/usr/bin/env bash
# Issue 13's side-by-side: descent's Python package against scipy in one process (see
# python_overhead.py). Makes the scipy venv, installs ./crates/descent-py into it (a release
# build), runs the script and writes python_overhead.json; prints the figures.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bash "$here/setup-scipy.sh"
"$here/.venv-scipy/bin/python" -m pip install --quiet "$root/crates/descent-py"
"$here/.venv-scipy/bin/python" "$here/python_overhead.py" > "$here/python_overhead.json.tmp"
mv "$here/python_overhead.json.tmp" "$here/python_overhead.json"
"$here/.venv-scipy/bin/python" - "$here/python_overhead.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
for n, r in d["lbfgs"].items():
    print(f"n = {n}: overhead µs/iteration (median), ratio to scipy's L-BFGS-B")
    for name, us in r["overhead_us_per_iteration"].items():
        print(f"  {name:18s} {us:9.2f}  {r['ratio_to_scipy'][name]:.3f}   {r['counts'][name]}")
a = d["adam_step_1e7_float32"]
print(f"Adam step, 10^7 float32: binding {a['binding_ms']:.2f} ms, Rust {a['rust_ms']:.2f} ms, ratio {a['ratio']:.3f}")
PY
