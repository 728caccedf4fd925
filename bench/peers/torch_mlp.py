"""PyTorch's side of issue 7's MLP comparison: time an epoch of the 784-256-10 MLP on CPU.

Run from the repository root (the venv comes from `bash bench/peers/setup.sh`):

    bench/peers/.venv/bin/python bench/peers/torch_mlp.py            # writes bench/peers/torch_mlp.json
    bench/peers/.venv/bin/python bench/peers/torch_mlp.py --quick    # 1 timed epoch, 3 accuracy epochs

What is trained (the same as descent's side must train)
--------------------------------------------------------
* Model: Linear(784, 256) -> ReLU -> Linear(256, 10), float32, 203,530 parameters.
  Loss: softmax cross-entropy (torch.nn.functional.cross_entropy), mean over the minibatch,
  no label smoothing, no L2.
* Optimizer: torch.optim.Adam(lr=1e-3), other settings at torch's defaults
  (betas (0.9, 0.999), eps 1e-8, no weight decay; on CPU the default is the single-tensor loop).
* Initialisation, two schemes (`init` in the JSON):
  - "torch-default": what nn.Linear does on construction, kaiming_uniform_(a=sqrt(5)), i.e.
    W ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) and b ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
  - "he-normal": the scheme descent uses for ReLU layers: W ~ N(0, 2/fan_in) (std sqrt(2/fan_in)),
    b = 0, for both layers (including the output layer).
  Both seeded with torch.manual_seed(SEED). The timing runs use "he-normal"; the init does not
  change the amount of work.
* Data: MNIST from ../shared/data/mnist (IDX, gzip, parsed with numpy; no torchvision) when the
  four files are there, else seeded synthetic data of the same shape (numpy default_rng(SEED):
  pixels uniform in [0, 1), labels uniform in 0..9; 60,000 train and 10,000 test rows).
  Pixels are scaled to [0, 1] (divided by 255); then, for scaling "standardize" (the timing runs
  and the first accuracy runs), standardised per feature with the train set's mean and standard
  deviation (features with std 0 are only centred; the test set gets the train set's statistics);
  scaling "unit" keeps the [0, 1] pixels. Layout: one row-major, contiguous float32 matrix of 60,000 x 784
  (one image per row) and int64 labels.
* Minibatches: batch 128; every epoch draws a fresh permutation of the 60,000 rows
  (torch.randperm with a generator seeded once with SEED), and walks it in order: 468 full
  batches and a last one of 96 rows (60,000 = 468 * 128 + 96), 469 optimizer steps an epoch.
  Each minibatch is gathered into a contiguous 128 x 784 tensor (index_select on the rows).

What one "epoch time" includes
------------------------------
Wall-clock time (time.perf_counter) from before the permutation is drawn to after the last
optimizer step: the permutation, 469 x (gather the batch rows, zero_grad(set_to_none=True),
forward, loss, backward, Adam step, loss.item() for the running train loss). It excludes loading
and standardising the data, building the model, and evaluating on the test set.
Warm-up: WARMUP_STEPS minibatch steps before the first timed epoch (not timed, not counted).
Reported: the median over the timed epochs, min and max, and the per-minibatch time
(median epoch time / 469; and the median of the individually timed steps of the timed epochs).

Threads: each thread count runs in its own child process with OMP_NUM_THREADS,
MKL_NUM_THREADS, OPENBLAS_NUM_THREADS, VECLIB_MAXIMUM_THREADS and NUMEXPR_NUM_THREADS set to it
before torch is imported, and torch.set_num_threads(n), torch.set_num_interop_threads(1).

Accuracy: extra runs (in the 1-thread child, each init scheme and each scaling) train for
--acc-epochs (20) epochs and record, after each epoch, the mean train loss over that epoch's
minibatches (weighted by batch size) and the test loss and accuracy on the 10,000 test images
(evaluated in one batch under torch.no_grad()).

On a shared machine the epoch time carries every preemption: with other jobs running, the sum
of the steps can be twice median step x 469, and with 2 threads an OpenMP barrier waits for
whichever thread was descheduled. Compare descent with torch in the same conditions (run both
back to back, look at the load average recorded with each run) and compare medians of steps as
well as epochs.

Output: bench/peers/torch_mlp.json (versions, machine, data used, settings, times, curves) and a
table on stdout.
"""

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import time

SEED = 0
BATCH = 128
LR = 1e-3
HIDDEN = 256
WARMUP_STEPS = 50
HERE = os.path.dirname(os.path.abspath(__file__))
MNIST_DIR = os.path.normpath(os.path.join(HERE, "..", "..", "..", "shared", "data", "mnist"))
FILES = {
    "train_x": "train-images.idx3-ubyte.gz",
    "train_y": "train-labels.idx1-ubyte.gz",
    "test_x": "t10k-images.idx3-ubyte.gz",
    "test_y": "t10k-labels.idx1-ubyte.gz",
}
THREAD_VARS = ["OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
               "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"]


def read_idx(path, magic, dims):
    """Parses a gzip IDX file with numpy: big-endian magic, big-endian u32 dims, u8 data."""
    import numpy as np

    with gzip.open(path, "rb") as f:
        raw = f.read()
    head = np.frombuffer(raw, dtype=">u4", count=1 + dims)
    if int(head[0]) != magic:
        raise ValueError(f"{path}: magic {int(head[0])}, expected {magic}")
    shape = tuple(int(d) for d in head[1:])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 * (1 + dims))
    if data.size != int(np.prod(shape)):
        raise ValueError(f"{path}: {data.size} bytes of data, header promises {shape}")
    return data.reshape(shape)


def load_data(mnist_dir, force_synthetic):
    """Returns (train_x, train_y, test_x, test_y, description) as numpy arrays, standardised."""
    import numpy as np

    paths = {k: os.path.join(mnist_dir, v) for k, v in FILES.items()}
    if not force_synthetic and all(os.path.exists(p) for p in paths.values()):
        tx = read_idx(paths["train_x"], 2051, 3).reshape(-1, 784)
        ty = read_idx(paths["train_y"], 2049, 1)
        vx = read_idx(paths["test_x"], 2051, 3).reshape(-1, 784)
        vy = read_idx(paths["test_y"], 2049, 1)
        data = {"kind": "mnist", "dir": os.path.relpath(mnist_dir, os.path.join(HERE, "..", ".."))}
        tx = tx.astype(np.float32) / np.float32(255)
        vx = vx.astype(np.float32) / np.float32(255)
    else:
        rng = np.random.default_rng(SEED)
        tx = rng.random((60_000, 784), dtype=np.float32)
        ty = rng.integers(0, 10, 60_000)
        vx = rng.random((10_000, 784), dtype=np.float32)
        vy = rng.integers(0, 10, 10_000)
        data = {"kind": "synthetic", "generator": f"numpy default_rng({SEED}): x ~ U[0,1), y ~ U{{0..9}}"}
    data.update({"train_rows": int(tx.shape[0]), "test_rows": int(vx.shape[0]), "features": 784})
    return tx, ty.astype(np.int64), vx, vy.astype(np.int64), data


def scale(tx, vx, scaling):
    """"unit": the [0, 1] pixels as they are; "standardize": per feature with train statistics."""
    import numpy as np

    if scaling == "standardize":
        mean = tx.mean(axis=0, dtype=np.float64)
        std = tx.std(axis=0, dtype=np.float64)
        std[std == 0] = 1.0
        tx = ((tx - mean) / std).astype(np.float32)
        vx = ((vx - mean) / std).astype(np.float32)
    elif scaling != "unit":
        raise ValueError(scaling)
    return np.ascontiguousarray(tx), np.ascontiguousarray(vx)


def build(init):
    import torch

    torch.manual_seed(SEED)
    model = torch.nn.Sequential(torch.nn.Linear(784, HIDDEN), torch.nn.ReLU(), torch.nn.Linear(HIDDEN, 10))
    if init == "he-normal":
        with torch.no_grad():
            for layer in (model[0], model[2]):
                layer.weight.normal_(0.0, (2.0 / layer.in_features) ** 0.5)
                layer.bias.zero_()
    elif init != "torch-default":
        raise ValueError(init)
    return model


def child(threads, epochs, acc_epochs, inits, scalings, mnist_dir, force_synthetic):
    """Runs in a process whose thread env variables are already set; prints one JSON object."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.set_num_interop_threads(1)
    raw_tx, ty, raw_vx, vy, data = load_data(mnist_dir, force_synthetic)
    ty, vy = torch.from_numpy(ty), torch.from_numpy(vy)
    n = ty.shape[0]
    steps_per_epoch = (n + BATCH - 1) // BATCH

    def run(init, scaling, n_epochs, evaluate, warmup, time_steps):
        tx, vx = (torch.from_numpy(a) for a in scale(raw_tx, raw_vx, scaling))
        model = build(init)
        opt = torch.optim.Adam(model.parameters(), lr=LR)
        gen = torch.Generator().manual_seed(SEED)

        def step(idx):
            xb = tx.index_select(0, idx)
            yb = ty.index_select(0, idx)
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            return loss.item()

        if warmup:
            # Warm-up steps on a throwaway model (allocator, kernel dispatch); the timed model
            # and its optimizer are rebuilt afterwards, so the warm-up changes no numbers.
            wperm = torch.randperm(n, generator=torch.Generator().manual_seed(SEED + 1))
            for k in range(WARMUP_STEPS):
                step(wperm[(k * BATCH) % (n - BATCH):][:BATCH])
            model = build(init)
            opt = torch.optim.Adam(model.parameters(), lr=LR)
        epoch_times, step_times, curve = [], [], []
        for epoch in range(n_epochs):
            model.train()
            t0 = time.perf_counter()
            perm = torch.randperm(n, generator=gen)
            total = 0.0
            for s in range(steps_per_epoch):
                idx = perm[s * BATCH:(s + 1) * BATCH]
                if time_steps:
                    ts = time.perf_counter()
                    total += step(idx) * idx.numel()
                    step_times.append(time.perf_counter() - ts)
                else:
                    total += step(idx) * idx.numel()
            epoch_times.append(time.perf_counter() - t0)
            if evaluate:
                model.eval()
                with torch.no_grad():
                    logits = model(vx)
                    test_loss = F.cross_entropy(logits, vy).item()
                    acc = (logits.argmax(1) == vy).float().mean().item()
                curve.append({"epoch": epoch + 1, "train_loss": total / n, "test_loss": test_loss,
                              "test_accuracy": acc, "epoch_s": epoch_times[-1]})
                print(f"  [{threads} thr, {init}, {scaling}] epoch {epoch + 1}: train loss {total / n:.4f}, "
                      f"test loss {test_loss:.4f}, test acc {acc:.4f}, {epoch_times[-1]:.2f} s",
                      file=sys.stderr, flush=True)
        return epoch_times, step_times, curve

    out = {"threads": threads, "torch_threads": torch.get_num_threads(),
           "loadavg_at_start": list(os.getloadavg()),
           "env": {v: os.environ.get(v) for v in THREAD_VARS}, "data": data,
           "steps_per_epoch": steps_per_epoch}
    if epochs > 0:
        et, st, _ = run("he-normal", scalings[0], epochs, False, True, True)
        print(f"  [{threads} thr] epochs: " + ", ".join(f"{t:.2f} s" for t in et), file=sys.stderr, flush=True)
        med = statistics.median(et)
        out["timing"] = {"init": "he-normal", "scaling": scalings[0], "warmup_steps": WARMUP_STEPS, "timed_epochs": epochs,
                         "epoch_s": et, "epoch_median_s": med, "epoch_min_s": min(et),
                         "epoch_max_s": max(et), "per_minibatch_ms": med / steps_per_epoch * 1e3,
                         "step_median_ms": statistics.median(st) * 1e3,
                         "epoch_from_median_step_s": statistics.median(st) * steps_per_epoch}
    if acc_epochs > 0:
        out["accuracy"] = {}
        for scaling in scalings:
            for init in inits:
                _, _, curve = run(init, scaling, acc_epochs, True, False, False)
                out["accuracy"][f"{init}, {scaling}"] = curve
    print(json.dumps(out))


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
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=3, help="timed epochs per thread count")
    ap.add_argument("--acc-epochs", type=int, default=20, help="epochs of the accuracy run (fewest threads)")
    ap.add_argument("--inits", default="he-normal,torch-default", help="init schemes of the accuracy run")
    ap.add_argument("--scalings", default="standardize,unit",
                    help="input scalings of the accuracy run; the first is also the timing run's")
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--synthetic", action="store_true", help="use synthetic data even when MNIST is there")
    ap.add_argument("--mnist", default=MNIST_DIR)
    ap.add_argument("--quick", action="store_true", help="1 timed epoch, 3 accuracy epochs")
    ap.add_argument("--out", default=os.path.join(HERE, "torch_mlp.json"))
    ap.add_argument("--child", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.quick:
        a.epochs, a.acc_epochs = 1, 3
    inits = a.inits.split(",") if a.inits else []
    if a.child:
        child(a.child, a.epochs, a.acc_epochs, inits, a.scalings.split(","), a.mnist, a.synthetic)
        return
    threads = [int(t) for t in a.threads.split(",")]
    results = []
    for t in threads:
        env = dict(os.environ, **{v: str(t) for v in THREAD_VARS})
        acc = a.acc_epochs if t == min(threads) else 0
        cmd = [sys.executable, os.path.abspath(__file__), "--child", str(t), "--epochs", str(a.epochs),
               "--acc-epochs", str(acc), "--inits", a.inits, "--scalings", a.scalings, "--mnist", a.mnist]
        if a.synthetic:
            cmd.append("--synthetic")
        print(f"torch_mlp: {t} thread(s) ...", file=sys.stderr, flush=True)
        res = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True)
        results.append(json.loads(res.stdout.strip().splitlines()[-1]))
    import numpy
    import torch

    doc = {
        "generated_by": "bench/peers/torch_mlp.py",
        "versions": {"python": platform.python_version(), "torch": torch.__version__,
                     "numpy": numpy.__version__, "platform": platform.platform()},
        "machine": {"cpu_model": cpu_model(), "cpu_count": os.cpu_count(),
                    "loadavg_at_end": list(os.getloadavg())},
        "model": {"layers": [784, HIDDEN, 10], "activation": "relu", "params": 784 * HIDDEN + HIDDEN + HIDDEN * 10 + 10,
                  "dtype": "float32", "loss": "softmax cross-entropy, mean over the batch"},
        "optimizer": {"name": "torch.optim.Adam", "lr": LR, "betas": [0.9, 0.999], "eps": 1e-8},
        "batch": BATCH, "seed": SEED,
        "epoch_time_includes": "randperm + per minibatch (index_select gather, zero_grad, forward, "
                               "loss, backward, Adam step, loss.item()); excludes data loading and test evaluation",
        "runs": results,
    }
    with open(a.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    data = results[0]["data"]
    print(f"torch {torch.__version__}, data: {data['kind']} ({data['train_rows']} x {data['features']}), "
          f"batch {BATCH}, {results[0]['steps_per_epoch']} steps/epoch, {cpu_model()}")
    print("| threads | timed epochs | median epoch (s) | min (s) | max (s) | per minibatch (ms) | median step (ms) | load avg |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        if "timing" in r:
            tm = r["timing"]
            print(f"| {r['threads']} | {tm['timed_epochs']} | {tm['epoch_median_s']:.3f} | {tm['epoch_min_s']:.3f} | "
                  f"{tm['epoch_max_s']:.3f} | {tm['per_minibatch_ms']:.3f} | {tm['step_median_ms']:.3f} | "
                  f"{r['loadavg_at_start'][0]:.1f} |")
    for r in results:
        for key, curve in r.get("accuracy", {}).items():
            print(f"\naccuracy run, {r['threads']} thread(s), init and scaling: {key}:")
            print("| epoch | train loss | test loss | test accuracy | epoch (s) |")
            print("|---|---|---|---|---|")
            for c in curve:
                print(f"| {c['epoch']} | {c['train_loss']:.4f} | {c['test_loss']:.4f} | "
                      f"{c['test_accuracy']:.4f} | {c['epoch_s']:.2f} |")


if __name__ == "__main__":
    main()
