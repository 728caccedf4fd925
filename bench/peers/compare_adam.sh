#!/usr/bin/env bash
# descent's Adam against PyTorch's on CPU, side by side in one run: 10^7 float32 parameters,
# 1 and 2 threads. Installs torch in bench/peers/.venv (setup.sh) if it is not there, times
# torch's three CPU paths (foreach=False, foreach=True, fused=True), then runs descent's
# `first_order` criterion bench for the same rows, and prints one JSON object with the medians
# and the ratios. Committed output: bench/peers/adam_vs_torch.json.
#
#   bash bench/peers/compare_adam.sh > bench/peers/adam_vs_torch.json
set -euo pipefail
cd "$(dirname "$0")/../.."

bash bench/peers/setup.sh >&2
torch_json=$(bench/peers/.venv/bin/python bench/peers/torch_adam_speed.py)
cargo bench -p descent --bench first_order -- --warm-up-time 2 --measurement-time 8 \
  "yardstick/adam/|/adam/" >&2

TORCH="$torch_json" python3 - <<'PY'
import json, os

def median_ms(threads, row):
    path = f"target/criterion/first_order_{threads}_thread/{row}/10000000/new/estimates.json"
    with open(path) as f:
        return json.load(f)["median"]["point_estimate"] / 1e6

torch = [json.loads(line) for line in os.environ["TORCH"].splitlines() if line.strip()]
out = {"params": 10_000_000, "dtype": "float32", "rows": []}
for threads in (1, 2):
    ours = median_ms(threads, "adam")
    yardstick = median_ms(threads, "yardstick_adam")
    row = {"threads": threads, "descent_adam_ms": round(ours, 3),
           "yardstick_ms": round(yardstick, 3), "descent_over_yardstick": round(ours / yardstick, 3)}
    for t in torch:
        if t["threads"] == threads:
            key = t["mode"].replace("=", "_").lower()
            row[f"torch_{key}_ms"] = t["median_ms"]
            row[f"speedup_vs_torch_{key}"] = round(t["median_ms"] / ours, 2)
    out["rows"].append(row)
out["torch"] = torch[0]["torch"] if torch else None
print(json.dumps(out, indent=1))
PY
