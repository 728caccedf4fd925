"""Issue 10's peer: MAML on the sinusoid family in JAX, the set-up of descent's benchmark.

Finn, Abbeel & Levine (2017), section 5.1, as `descent_meta::maml::MetaConfig::paper` and
`EvalConfig::paper` build it:
- tasks y = A sin(x - phi), A ~ U[0.1, 5], phi ~ U[0, pi], x ~ U[-5, 5]; K support and K query
  points per training task;
- a 1-40-40-1 ReLU network, weights N(0, 0.01^2) truncated at +-2 sigma, biases zero (the MAML
  reference code's `construct_fc_weights`);
- one inner SGD step at alpha = 0.01 on the support MSE, the query MSE after it as the meta-loss,
  its exact gradient (jax.grad through the inner step: second order), averaged over a meta-batch
  of 25 tasks, Adam at 1e-3 (optax.adam, eps 1e-8), 70 000 iterations, float32;
- evaluation: 600 held-out tasks, K support points, SGD at 0.01, MSE on 100 query points after
  0, 1, 2, 5, 10 steps; mean and 1.96 s / sqrt(600).

The whole meta-step (task sampling with jax.random included) is one jitted function, so the
loop is XLA's time plus one Python dispatch per iteration. Run with `.venv/bin/python`
(`bash bench/peers/setup.sh` makes it); `--iterations N` for a shorter run, `--threads 1`
restricts XLA's CPU thread pool. Prints one JSON object (what `maml_jax.json` holds).
"""

import argparse
import json
import os
import platform
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--iterations", type=int, default=70_000)
    parser.add_argument("--shots", type=int, default=10)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0, help="0: XLA's default")
    args = parser.parse_args()
    if args.threads:
        os.environ["XLA_FLAGS"] = (
            "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=%d" % args.threads
        )
    import jax
    import jax.numpy as jnp
    import optax

    jax.config.update("jax_platforms", "cpu")
    K, ALPHA, BATCH, EVAL_TASKS, QUERY = args.shots, 0.01, 25, 600, 100
    STEPS = [0, 1, 2, 5, 10]

    def init(key):
        params = []
        for n_in, n_out in [(1, 40), (40, 40), (40, 1)]:
            key, sub = jax.random.split(key)
            w = 0.01 * jax.random.truncated_normal(sub, -2.0, 2.0, (n_in, n_out), jnp.float32)
            params.append((w, jnp.zeros((n_out,), jnp.float32)))
        return params

    def forward(params, x):
        h = x
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i + 1 < len(params):
                h = jax.nn.relu(h)
        return h

    def mse(params, x, y):
        return jnp.mean((forward(params, x) - y) ** 2)

    def sgd(params, x, y):
        g = jax.grad(mse)(params, x, y)
        return jax.tree_util.tree_map(lambda p, g: p - ALPHA * g, params, g)

    def sample(key, points):
        ka, kp, kx = jax.random.split(key, 3)
        amplitude = jax.random.uniform(ka, (), minval=0.1, maxval=5.0)
        phase = jax.random.uniform(kp, (), minval=0.0, maxval=jnp.pi)
        x = jax.random.uniform(kx, (points, 1), minval=-5.0, maxval=5.0)
        return x, amplitude * jnp.sin(x - phase)

    def task_loss(params, key):
        x, y = sample(key, 2 * K)
        return mse(sgd(params, x[:K], y[:K]), x[K:], y[K:])

    def meta_loss(params, key):
        return jnp.mean(jax.vmap(task_loss, in_axes=(None, 0))(params, jax.random.split(key, BATCH)))

    optimizer = optax.adam(1e-3)

    @jax.jit
    def step(params, state, key):
        loss, grads = jax.value_and_grad(meta_loss)(params, key)
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    @jax.jit
    def evaluate_task(params, key):
        x, y = sample(key, K + QUERY)
        losses = []
        p = params
        for k in range(max(STEPS) + 1):
            if k in STEPS:
                losses.append(mse(p, x[K:], y[K:]))
            p = sgd(p, x[:K], y[:K])
        return jnp.stack(losses)

    key = jax.random.PRNGKey(args.seed)
    key, sub = jax.random.split(key)
    params = init(sub)
    state = optimizer.init(params)
    params, state, loss = step(params, state, key)  # compile outside the clock
    jax.block_until_ready(loss)
    params = init(sub)
    state = optimizer.init(params)
    load_before = os.getloadavg()
    start = time.perf_counter()
    for _ in range(args.iterations):
        key, sub = jax.random.split(key)
        params, state, loss = step(params, state, sub)
    jax.block_until_ready(params)
    seconds = time.perf_counter() - start
    load_after = os.getloadavg()

    eval_keys = jax.random.split(jax.random.PRNGKey(args.seed + 1_000_003), EVAL_TASKS)
    table = jnp.stack([evaluate_task(params, k) for k in eval_keys])
    mean = table.mean(axis=0)
    ci95 = 1.96 * table.std(axis=0, ddof=1) / EVAL_TASKS**0.5
    print(
        json.dumps(
            {
                "library": "jax",
                "jax": jax.__version__,
                "optax": optax.__version__,
                "python": sys.version.split()[0],
                "machine": platform.processor() or platform.machine(),
                "cpu_count": os.cpu_count(),
                "threads": args.threads or "xla default",
                "shots": K,
                "iterations": args.iterations,
                "seed": args.seed,
                "train_seconds": round(seconds, 2),
                "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
                "final_meta_batch_loss": float(loss),
                "mse_after_steps": {str(k): round(float(m), 5) for k, m in zip(STEPS, mean)},
                "ci95_after_steps": {str(k): round(float(c), 5) for k, c in zip(STEPS, ci95)},
            }
        )
    )


if __name__ == "__main__":
    main()
