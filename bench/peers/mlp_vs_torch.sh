#!/usr/bin/env bash
# Issue 7's speed comparison, side by side: an epoch of the MLP 784-256-10 (ReLU, f32, batch 128,
# Adam lr 1e-3, He-normal init, MNIST pixels x/255) in PyTorch on CPU (torch_mlp.py) and in
# descent (`descent train`), on 1 and on 2 threads, alternating the two libraries ROUNDS times
# so that both see the same load. An "epoch" is the minibatch phase on both sides: the permutation
# and 469 x (gather, forward, loss, backward, Adam step); the per-epoch evaluations are excluded
# (descent's `epoch_steps_s`, torch's `epoch_s`). descent's first epoch is dropped (its
# warm-up; torch warms up 50 steps before timing).
#
#   bash bench/peers/mlp_vs_torch.sh            # writes bench/peers/mlp_vs_torch.json, prints a table
#   ROUNDS=1 EPOCHS=2 bash bench/peers/mlp_vs_torch.sh
#
# Needs MNIST in ../shared/data/mnist (or MNIST=DIR) and the torch venv (bench/peers/setup.sh,
# run here if missing).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
mnist="${MNIST:-$root/../shared/data/mnist}"
rounds="${ROUNDS:-2}"
epochs="${EPOCHS:-3}"
out="${OUT:-$here/mlp_vs_torch.json}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bash "$here/setup.sh" >&2
(cd "$root" && cargo build --release -p descent-cli >&2)
descent="$root/target/release/descent"

for round in $(seq 1 "$rounds"); do
    for threads in 1 2; do
        echo "round $round, $threads thread(s): torch" >&2
        "$here/.venv/bin/python" "$here/torch_mlp.py" --threads "$threads" --epochs "$epochs" \
            --acc-epochs 0 --scalings unit --mnist "$mnist" --out "$tmp/torch-$round-$threads.json" >&2
        echo "round $round, $threads thread(s): descent" >&2
        "$descent" --quiet train --dataset "mnist:$mnist" --model mlp:256 --optimizer adam --lr 1e-3 \
            --batch 128 --epochs "$((epochs + 1))" --seed 0 --threads "$threads" --json \
            > "$tmp/descent-$round-$threads.json"
    done
done

python3 - "$tmp" "$rounds" "$out" <<'PY'
import json, os, platform, statistics, sys

tmp, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
rows, doc = [], {"generated_by": "bench/peers/mlp_vs_torch.sh", "rounds": rounds, "threads": {},
                  "epoch": "the minibatch phase: permutation + 469 x (gather, forward, loss, backward, "
                           "Adam step); descent's first epoch (warm-up) dropped"}
for threads in (1, 2):
    torch_epochs, descent_epochs, loads = [], [], []
    for r in range(1, rounds + 1):
        t = json.load(open(f"{tmp}/torch-{r}-{threads}.json"))
        run = t["runs"][0]
        torch_epochs += run["timing"]["epoch_s"]
        loads.append(run["loadavg_at_start"][0])
        doc["torch_version"] = t["versions"]["torch"]
        d = json.load(open(f"{tmp}/descent-{r}-{threads}.json"))
        descent_epochs += d["epoch_steps_s"][1:]
    tm, dm = statistics.median(torch_epochs), statistics.median(descent_epochs)
    doc["threads"][str(threads)] = {
        "torch_epoch_s": torch_epochs, "descent_epoch_s": descent_epochs,
        "torch_median_s": tm, "descent_median_s": dm, "ratio_descent_over_torch": dm / tm,
        "loadavg_1min_at_torch_starts": loads,
    }
    rows.append((threads, tm, dm, dm / tm))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.processor())
doc["machine"] = {"platform": platform.platform(), "cpu_model": cpu, "cpu_count": os.cpu_count(),
                  "loadavg_at_end": list(os.getloadavg())}
with open(out, "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
print("threads | torch median epoch | descent median epoch | descent / torch")
for threads, tm, dm, ratio in rows:
    print(f"{threads:7} | {tm:16.3f} s | {dm:18.3f} s | {ratio:.2f}")
PY
