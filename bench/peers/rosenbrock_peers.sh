#!/usr/bin/env bash
# L-BFGS on the extended Rosenbrock function, side by side: scipy's L-BFGS-B (m = 10), argmin's
# L-BFGS (m = 7, its Moré–Thuente line search) and descent's L-BFGS with Moré–Thuente (m = 10
# and m = 7), from (−1.2, 1, −1.2, 1, …) until ‖∇f‖∞ ≤ 1e-5, at n = 2 … 10⁶.
#
#   bash bench/peers/rosenbrock_peers.sh            # writes bench/peers/rosenbrock_peers.json
#   SIZES="2 10 100" bash bench/peers/rosenbrock_peers.sh
#
# Makes the scipy venv (setup-scipy.sh), builds argmin in its own cargo project
# (argmin-rosenbrock/, not a workspace member) and descent's example `rosenbrock_lbfgs`, runs
# all of them one after the other on the same machine, prints a table and writes the JSON.
# Each entry records evaluation counts and the median wall time of the whole solve and of the
# time inside the objective; their difference is the solver's own overhead.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
sizes="${SIZES:-2 10 100 1000 10000 100000 1000000}"
out="${OUT:-$here/rosenbrock_peers.json}"

bash "$here/setup-scipy.sh" >&2
# Every library on one thread: numpy's BLAS would otherwise start one per core and, on a shared
# machine, spin against the others (at n = 2 that made scipy 300× slower here).
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
python="$here/.venv-scipy/bin/python"
(cd "$here/argmin-rosenbrock" && cargo build --release --quiet)
(cd "$root" && cargo build --release --quiet -p descent --example rosenbrock_lbfgs)
argmin="$here/argmin-rosenbrock/target/release/argmin-rosenbrock"
ours="$root/target/release/examples/rosenbrock_lbfgs"

lines="$(mktemp)"
trap 'rm -f "$lines"' EXIT
for n in $sizes; do
    echo "n = $n" >&2
    "$python" "$here/rosenbrock_scipy.py" "$n" >> "$lines"
    "$argmin" "$n" 7 >> "$lines"
    "$ours" "$n" 10 >> "$lines"
    "$ours" "$n" 7 >> "$lines"
done

"$python" - "$lines" "$out" <<'PY'
import json, os, platform, subprocess, sys, time

lines, out = sys.argv[1], sys.argv[2]
runs = [json.loads(line) for line in open(lines) if line.strip()]
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
result = {
    "generated_by": "bench/peers/rosenbrock_peers.sh",
    "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
    "machine": {"cpu": cpu, "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(),
                "platform": platform.platform(), "python": platform.python_version(),
                "rustc": rustc},
    "problem": "extended Rosenbrock, x0 = (-1.2, 1, -1.2, 1, ...), stop at ||g||_inf <= 1e-5",
    "timing": "median over repeats (after one warm-up solve: as many as fit in a second, at "
              "least 5) of the wall time of the whole solve and of the time inside the objective; "
              "overhead = wall - objective",
    "runs": runs,
}
with open(out + ".tmp", "w") as f:
    json.dump(result, f, indent=1)
    f.write("\n")
os.replace(out + ".tmp", out)

def us(s):
    return f"{s * 1e6:12.2f}"
print(f"{'n':>8} {'library':8} {'m':>2} {'iter':>4} {'values':>6} {'grads':>5} "
      f"{'solve µs':>12} {'objective µs':>12} {'overhead/iter µs':>16}")
for r in runs:
    print(f"{r['n']:8d} {r['library']:8} {r['memory']:2d} {r['iterations']:4d} {r['values']:6d} "
          f"{r['gradients']:5d} {us(r['wall_s'])} {us(r['objective_s'])} "
          f"{r['overhead_per_iteration_s'] * 1e6:16.3f}")
print()
big = max(r["n"] for r in runs)
at = {(r["library"], r["memory"]): r for r in runs if r["n"] == big}
if ("descent", 10) in at:
    for peer in [("scipy", 10), ("argmin", 7)]:
        if peer in at:
            mine = at[("descent", 10) if peer[1] == 10 else ("descent", 7)]
            print(f"n = {big}: {peer[0]} (m = {peer[1]}) / descent (m = {mine['memory']}) whole solve: "
                  f"{at[peer]['wall_s'] / mine['wall_s']:.2f}x")
PY
