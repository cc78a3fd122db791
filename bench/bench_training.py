"""Seed 003's training run: gc.train against the notebook's own eager loop, same process.

Prints the wall time of 100 and 1,000 steps (Adam, learning rate 0.1, x from -1) for

* the seed: the notebook's code, copied below unchanged except that ``tf.print`` writes to
  /dev/null (so the terminal is not part of the measurement);
* ``gc.train`` as a page calls it: a fresh call each time, so the time *includes* building
  the variables and optimizer and tracing the compiled step (nothing is cached between
  calls);
* ``gc.train(compiled=False)``: the same interpreter run eagerly, for reference.

All run after one warm-up (TensorFlow and Keras initialise themselves on first use), in
alternation, ``REPEATS`` times each; figures are the median and, in brackets, the minimum. Usage: ``.venv/bin/python bench/bench_training.py``
"""
from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import tensorflow as tf  # noqa: E402

import graphviz_core as gc  # noqa: E402

REPEATS = 5
SINK = "file:///dev/null"


# ---------------------------------------------------------------------------- the seed
# Seed 003, cells 4 and 5, as written in the notebook.
@tf.custom_gradient
def differentiable_sign(x):
    tf.debugging.assert_rank(x, 0)

    def grad(upstream):
        dy_dx = tf.math.sigmoid(x) * (1 - tf.math.sigmoid(x))
        return upstream * dy_dx

    if x > tf.constant(0.0):
        return tf.constant(1.0), grad
    else:
        return tf.constant(-1.0), grad


def seed_loop(steps):
    x = tf.Variable(-1.0)
    opt = tf.keras.optimizers.Adam(1e-1)

    def train_step():
        with tf.GradientTape() as tape:
            y = differentiable_sign(x)
            loss = tf.nn.l2_loss(y - tf.constant(1.0))
        grads = tape.gradient(loss, x)
        opt.apply_gradients(zip([grads], [x]))
        return loss, y, grads

    for i in range(steps):
        loss, y, grads = train_step()
        if i % 10 == 0:
            tf.print(i, loss, grads, x, y, output_stream=SINK)
    return float(x.numpy())


# ---------------------------------------------------------------------------- gc.train
PROG = gc.parse(gc.preset("sign_train").source)


def gc_train(steps, compiled=None):
    records = list(gc.train(PROG, ["x"], "loss", optimizer="adam", learning_rate=0.1,
                            steps=steps, compiled=compiled))
    return records[-1].params["x"]


def gc_parts(steps):
    """Time to the first chunk (variables, optimizer, tracing, 10 steps) and the rest."""
    t0 = time.perf_counter()
    chunks = gc.train_chunks(PROG, ["x"], "loss", steps=steps)
    next(chunks)
    t1 = time.perf_counter()
    for _ in chunks:
        pass
    return t1 - t0, time.perf_counter() - t1


def timed_together(steps):
    """Seed, gc.train and eager gc.train alternately, so that a busy machine slows all three
    alike; returns {name: [seconds, ...]} and the final x of the seed and of gc.train."""
    times = {"seed": [], "gc": [], "eager": []}
    x_seed = x_gc = None
    for _ in range(REPEATS):
        for name, fn, args in (("seed", seed_loop, (steps,)), ("gc", gc_train, (steps,)),
                               ("eager", gc_train, (steps, False))):
            t0 = time.perf_counter()
            x = fn(*args)
            times[name].append(time.perf_counter() - t0)
            x_seed = x if name == "seed" else x_seed
            x_gc = x if name == "gc" else x_gc
    return times, x_seed, x_gc


def main():
    seed_loop(5)                        # warm-up: TensorFlow and Keras set themselves up
    gc_train(5)
    gc_train(5, compiled=False)
    print(f"seed 003 training run (Adam 0.1, x from -1); {REPEATS} alternating repeats, "
          f"median (min); TensorFlow {tf.__version__}, {os.cpu_count()} CPU(s)")
    print(f"{'steps':>6} {'seed loop':>17} {'gc.train':>17} {'ratio':>14}   "
          f"{'eager gc.train':>14}   {'first chunk + rest':>20}   x at the end (seed / gc)")
    for steps in (100, 1000):
        times, x_seed, x_gc = timed_together(steps)
        med = {k: statistics.median(v) for k, v in times.items()}
        low = {k: min(v) for k, v in times.items()}
        first, rest = gc_parts(steps)
        print(f"{steps:>6} {med['seed']:>7.3f}s ({low['seed']:.3f}s) "
              f"{med['gc']:>7.3f}s ({low['gc']:.3f}s) "
              f"{med['seed'] / med['gc']:>5.1f}x ({low['seed'] / low['gc']:.1f}x)   "
              f"{med['eager']:>13.3f}s   {first:>8.3f}s + {rest:>7.4f}s   "
              f"{x_seed:.7f} / {x_gc:.7f}")
    per_seed = med["seed"] / 1000
    per_gc = rest / (1000 - 10)
    print(f"per step once compiled: seed {per_seed * 1e3:.2f} ms, gc.train "
          f"{per_gc * 1e3:.3f} ms ({per_seed / per_gc:.0f}x); the rest of gc.train's time is "
          "the fixed cost of one call (variables, optimizer, tracing the compiled step)")


if __name__ == "__main__":
    main()
