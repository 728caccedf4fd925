#!/usr/bin/env bash
# Issue 10's side-by-side: 10-shot MAML on the sinusoids, 70 000 meta-iterations, in JAX
# (maml_jax.py, XLA's default threads and one thread) and in descent (`descent meta maml`, one
# thread and two), alternating, ROUNDS rounds. Writes maml_vs_jax.json (JSON Lines: one object
# per run, with the load average) and prints the training times and post-update MSEs.
# Needs bench/peers/.venv with jax and optax (`bash bench/peers/setup.sh`).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-1}"
iterations="${ITERATIONS:-70000}"
out="$here/maml_vs_jax.json"
(cd "$root" && cargo build --release --quiet -p descent-cli)
: > "$out.tmp"
for round in $(seq 1 "$rounds"); do
    for threads in 0 1; do
        "$here/.venv/bin/python" "$here/maml_jax.py" --iterations "$iterations" --threads "$threads" >> "$out.tmp"
    done
    for threads in 1 2; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        "$root/target/release/descent" --quiet meta maml --iterations "$iterations" --threads "$threads" --json \
            | python3 -c "import json,sys; d=json.load(sys.stdin); d.update(library='descent', threads=$threads, load_average_before=$load); print(json.dumps(d))" >> "$out.tmp"
    done
done
mv "$out.tmp" "$out"
python3 - "$out" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    seconds = d.get("train_seconds", d.get("meta_train_seconds"))
    print(f'{d["library"]:8} threads {str(d["threads"]):12} {seconds:7.1f} s   '
          f'MSE after 1 step {d["mse_after_steps"]["1"]:.3f}, after 10 {d["mse_after_steps"]["10"]:.3f}')
PY
