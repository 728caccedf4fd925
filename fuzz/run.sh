#!/usr/bin/env bash
# Runs every fuzz target (or those named) for RUNS executions each, one after the other, one
# job: `fuzz/run.sh [TARGET...]`, RUNS=1000000 by default. Logs go to fuzz/logs/<target>.log,
# crash inputs to fuzz/artifacts/<target>/, new coverage into fuzz/corpus/<target>/ (minimise
# it afterwards with `cargo +nightly fuzz cmin <target>`). Prints one summary line per target:
# target, executions, seconds, corpus files, result.
set -u
cd "$(dirname "$0")"
RUNS=${RUNS:-1000000}
ALL="expr x0 bounds model dataset schedule psf wav fits png jpeg idx csv nn_checkpoint maml dist_checkpoint"
TARGETS=${*:-$ALL}
max_len() {
    case $1 in
        x0|bounds|model|dataset|schedule|psf) echo 256 ;;
        expr) echo 1024 ;;
        *) echo 16384 ;;
    esac
}
mkdir -p logs
for t in $TARGETS; do
    mkdir -p "artifacts/$t" "corpus/$t"
    start=$(date +%s)
    cargo +nightly fuzz run "$t" "corpus/$t" -- -runs="$RUNS" -rss_limit_mb=2048 \
        -malloc_limit_mb=2048 -timeout=10 -max_len="$(max_len "$t")" -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"logs/$t.log" 2>&1
    status=$?
    secs=$(( $(date +%s) - start ))
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "logs/$t.log" | grep -o '[0-9]*$' | tail -1)
    files=$(ls "corpus/$t" | wc -l)
    if [ "$status" -eq 0 ]; then result=ok; else result="FAILED (exit $status, see logs/$t.log)"; fi
    echo "$t ${execs:-?} ${secs}s ${files} $result"
done
