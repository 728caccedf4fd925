"""Times one torch.optim.Adam step on 10^7 float32 parameters on CPU.

Configurations: foreach=False (single-tensor loop), foreach=True (multi-tensor),
fused=True (when this torch build supports it on CPU), each with 1 and 2 threads
(torch.set_num_threads). Each is 3 warm-up steps, then the median of 20 timed steps.
Prints one JSON object per line per configuration; the committed copy of that output
is bench/peers/torch_adam_speed.json, a peer number for descent's own Adam benchmark.

Rerun from the repository root:
    bash bench/peers/setup.sh && bench/peers/.venv/bin/python bench/peers/torch_adam_speed.py \
        > bench/peers/torch_adam_speed.json
"""

import json
import os
import platform
import statistics
import time

import torch

N = 10_000_000
WARMUP = 3
TIMED = 20


def time_adam(mode, threads):
    torch.set_num_threads(threads)
    gen = torch.Generator().manual_seed(0)
    p = torch.randn(N, dtype=torch.float32, generator=gen)
    p.grad = torch.randn(N, dtype=torch.float32, generator=gen)
    kwargs = {"foreach": False} if mode == "foreach=False" else {"foreach": True} if mode == "foreach=True" else {"fused": True}
    opt = torch.optim.Adam([p], lr=1e-3, **kwargs)
    for _ in range(WARMUP):
        opt.step()
    times = []
    for _ in range(TIMED):
        t0 = time.perf_counter()
        opt.step()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3, min(times) * 1e3


def cpu_model():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def main():
    common = {
        "torch": torch.__version__,
        "cpu_count": os.cpu_count(),
        "cpu_model": cpu_model(),
        "params": N,
        "dtype": "float32",
        "warmup": WARMUP,
        "timed_steps": TIMED,
    }
    for mode in ["foreach=False", "foreach=True", "fused=True"]:
        for threads in [1, 2]:
            row = {"optimizer": "torch.optim.Adam", "mode": mode, "threads": threads}
            try:
                median_ms, min_ms = time_adam(mode, threads)
                row.update(median_ms=round(median_ms, 3), min_ms=round(min_ms, 3))
            except Exception as e:  # e.g. fused Adam not built for CPU
                row.update(error=f"{type(e).__name__}: {e}")
            row.update(common)
            print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
