#!/usr/bin/env bash
# Issue 8's speed comparison, side by side: NLMS (μ = 0.5, ε = 1e-3) adapting over the same
# 16 kHz-like signals (padasip_speed.py's: AR(2) far end with a 4 Hz envelope, a 1024-tap room
# response) in padasip (padasip_speed.py, numpy on one BLAS thread) and in descent-signal
# (crates/descent-signal/examples/filter_speed.rs, release build, one thread), at 64 and 1024
# taps, alternating the two libraries ROUNDS times so that both see the same load. Speed is
# samples adapted per second (median of REPEATS runs over the whole signal, DESCENT_REPEATS for
# descent); padasip's is the faster of its two calls (`run`, per-sample `adapt`). Both sides
# print the last-quarter error RMS and ‖w‖: equal numbers say they computed the same filter.
#
#   bash bench/peers/padasip_speed.sh            # writes bench/peers/padasip_speed.json, prints a table
#   ROUNDS=1 SAMPLES=16000 bash bench/peers/padasip_speed.sh
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
rounds="${ROUNDS:-3}"
samples="${SAMPLES:-48000}"
repeats="${REPEATS:-3}"
# descent runs a 48000-sample signal in ~10 ms at 1024 taps: more repeats for a stable median.
descent_repeats="${DESCENT_REPEATS:-15}"
taps_list="${TAPS:-64 1024}"
out="${OUT:-$here/padasip_speed.json}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

bash "$here/setup-padasip.sh" >&2
(cd "$root" && cargo build --release -p descent-signal --example filter_speed >&2)
speed="$root/target/release/examples/filter_speed"
python="$here/.venv-padasip/bin/python"

"$python" "$here/padasip_speed.py" --taps 1 --samples "$samples" --repeats 1 \
    --signal-out "$tmp/signal.f64" > /dev/null
for round in $(seq 1 "$rounds"); do
    for taps in $taps_list; do
        echo "round $round, $taps taps: padasip" >&2
        "$python" "$here/padasip_speed.py" --taps "$taps" --samples "$samples" \
            --repeats "$repeats" >> "$tmp/padasip.jsonl"
        echo "round $round, $taps taps: descent" >&2
        "$speed" --taps "$taps" --input "$tmp/signal.f64" --repeats "$descent_repeats" \
            >> "$tmp/descent.jsonl"
    done
done

"$python" - "$tmp" "$rounds" "$out" <<'PY'
import json, os, platform, statistics, sys

tmp, rounds, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
padasip = [json.loads(l) for l in open(f"{tmp}/padasip.jsonl")]
descent = [json.loads(l) for l in open(f"{tmp}/descent.jsonl")]
doc = {"generated_by": "bench/peers/padasip_speed.sh", "rounds": rounds,
       "filter": "NLMS, mu = 0.5, eps = 1e-3, zero initial weights",
       "speed": "samples adapted per second, median over rounds of each round's median of repeats; "
                "padasip: the faster of f.run(d, X) and a per-sample f.adapt loop, input matrix "
                "built before timing",
       "versions": padasip[0]["versions"], "taps": {}}
rows = []
for taps in sorted({p["taps"] for p in padasip}):
    ps = [p for p in padasip if p["taps"] == taps]
    ds = [d for d in descent if d["taps"] == taps]
    p_speed = statistics.median(p["samples_per_s"] for p in ps)
    p_run = statistics.median(p["run_samples_per_s"] for p in ps)
    p_adapt = statistics.median(p["adapt_samples_per_s"] for p in ps)
    d_speed = statistics.median(d["samples_per_s"] for d in ds)
    same = {k: [ps[0][k], ds[0][k]] for k in ("error_rms_last_quarter", "w_norm")}
    rel = max(abs(a - b) / abs(b) for a, b in same.values())
    doc["taps"][str(taps)] = {
        "samples": ps[0]["samples"],
        "padasip_samples_per_s": p_speed, "padasip_run_samples_per_s": p_run,
        "padasip_adapt_samples_per_s": p_adapt, "descent_samples_per_s": d_speed,
        "ratio_descent_over_padasip": d_speed / p_speed,
        "padasip_rounds": ps, "descent_rounds": ds,
        "same_result": {"padasip_vs_descent": same, "max_relative_difference": rel},
    }
    rows.append((taps, p_run, p_adapt, d_speed, d_speed / p_speed, rel))
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")),
           platform.processor())
doc["machine"] = {"platform": platform.platform(), "cpu_model": cpu, "cpu_count": os.cpu_count(),
                  "loadavg_at_end": list(os.getloadavg())}
with open(out + ".tmp", "w") as f:
    json.dump(doc, f, indent=1)
    f.write("\n")
os.replace(out + ".tmp", out)
print(f"NLMS, {doc['taps'][str(rows[0][0])]['samples']} samples, samples adapted per second")
print(" taps | padasip run | padasip adapt | descent | descent / padasip | results differ by")
for taps, p_run, p_adapt, d, ratio, rel in rows:
    print(f"{taps:5} | {p_run:11.3g} | {p_adapt:13.3g} | {d:7.3g} | {ratio:16.1f} | {rel:.1e}")
PY
