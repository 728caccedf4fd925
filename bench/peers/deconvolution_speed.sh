#!/usr/bin/env bash
# Issue 9's speed comparison, side by side: Richardson–Lucy, 100 iterations on a 1024 × 1024
# image (M13's truth tiled 4 × 4 and cropped, σ = 2 Gaussian blur, Poisson + read noise, clipped
# at 0), one thread, in scikit-image (skimage_deconvolution.py --speed-only:
# richardson_lucy(y, psf, num_iter=100, clip=False), scipy's FFT 'same' convolution) and in
# descent-imaging (crates/descent-imaging/examples/rl_speed.rs, release build: Boundary::Same,
# skimage's zero-padded borders, and Boundary::Periodic). Each side makes its own noise draw
# from the same recipe. The two alternate ROUNDS times so that both see the same load; each
# call is one warm-up run then the median of REPEATS timed runs. The ratio is skimage's time
# over descent's, per round (the pair ran back to back) and its median over rounds.
#
#   bash bench/peers/deconvolution_speed.sh    # writes bench/peers/deconvolution_speed.json, prints a table
#   ROUNDS=1 REPEATS=1 bash bench/peers/deconvolution_speed.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-3}"
repeats="${REPEATS:-3}"
out="${OUT:-$here/deconvolution_speed.json}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bash "$here/setup-skimage.sh" >&2
(cd "$root" && cargo build --release -p descent-imaging --example rl_speed >&2)
speed="$root/target/release/examples/rl_speed"
python="$here/.venv-skimage/bin/python"
export OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 NUMEXPR_NUM_THREADS=1

for round in $(seq 1 "$rounds"); do
    echo "round $round: scikit-image" >&2
    "$python" "$here/skimage_deconvolution.py" --speed-only >> "$tmp/skimage.jsonl"
    echo "round $round: descent" >&2
    "$speed" "$repeats" >> "$tmp/descent.jsonl"
done

"$python" - "$tmp" "$rounds" "$out" <<'PY'
import json, os, platform, statistics, sys, tempfile

tmp, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
sk = [json.loads(l) for l in open(f"{tmp}/skimage.jsonl")]
de = [json.loads(l) for l in open(f"{tmp}/descent.jsonl")]
doc = {
    "generated_by": "bench/peers/deconvolution_speed.sh",
    "task": "Richardson-Lucy, 100 iterations, 1024x1024, sigma=2 Gaussian PSF 25x25, one thread",
    "rounds": rounds,
    "speed": "median over timed runs after one warm-up; ratio = skimage median / descent median, "
             "per round (run back to back), then the median over rounds",
    "versions": sk[0]["versions"],
    "platform": platform.platform(),
    "skimage": {"call": sk[0]["call"], "convolution": sk[0]["convolution"],
                "auto_method_chosen": sk[0]["auto_method_chosen"],
                "median_s": [s["median_s"] for s in sk], "times_s": [s["times_s"] for s in sk],
                "result_sum": [s["result"]["sum"] for s in sk]},
    "descent": {"call": "richardson_lucy(&mut Convolution, &y, Options::fixed(100))", "runs": de},
    "ratio": {},
}
try:
    doc["loadavg_at_end"] = list(os.getloadavg())
except OSError:
    pass
rows = [("skimage richardson_lucy ('same', zero padded)", statistics.median(doc["skimage"]["median_s"]), None)]
for b in ("same", "periodic"):
    per_round = [s["median_s"] / d[b]["median_s"] for s, d in zip(sk, de)]
    med = statistics.median(d[b]["median_s"] for d in de)
    doc["ratio"][b] = {"per_round": [round(r, 3) for r in per_round],
                       "median": round(statistics.median(per_round), 3)}
    rows.append((f"descent richardson_lucy, Boundary::{b.capitalize()}", med, statistics.median(per_round)))
fd, path = tempfile.mkstemp(dir=os.path.dirname(out), prefix=".deconvolution_speed.")
with os.fdopen(fd, "w") as f:
    json.dump(doc, f, indent=1, ensure_ascii=False)
    f.write("\n")
os.replace(path, out)
n = 1024 * 1024 * 100
print(f"| RL, 100 iterations, 1024 x 1024, one thread | median s | pixel-iterations/s | skimage / descent |")
print("|---|---|---|---|")
for name, t, r in rows:
    print(f"| {name} | {t:.3f} | {n / t:.3g} | {'' if r is None else f'{r:.2f}x'} |")
print(f"wrote {out}")
PY
