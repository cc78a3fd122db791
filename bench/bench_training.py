"""Seed 003's training run: gc.train and a reused gc.Trainer against the notebook's own
eager loop, same process.

Prints the wall time of 100 and 1,000 steps (Adam, learning rate 0.1, x from -1) for

* the seed: the notebook's code, copied below unchanged except that ``tf.print`` writes to
  /dev/null (so the terminal is not part of the measurement);
* a fresh ``gc.train``: a new call each time, so the time *includes* building the variables
  and optimizer and tracing the compiled step (nothing is cached between calls);
* a reused ``gc.Trainer``, as the training page keeps one per configuration in its session:
  built and run once before timing (that run traces), then timed on its second and later
  runs, each of which resets the variables and the optimizer and records every step;
* ``gc.train(compiled=False)``: the same interpreter run eagerly, for reference.

All run after one warm-up (TensorFlow and Keras initialise themselves on first use), in
alternation, ``REPEATS`` times each; figures are the median and, in brackets, the minimum;
ratios are the seed's median over the other's median (in brackets, min over min).
Usage: ``.venv/bin/python bench/bench_training.py``
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


def trainer_run(trainer, steps):
    records = list(trainer.run(steps=steps))
    return records[-1].params["x"]


def timed_together(steps, trainer):
    """Seed, fresh gc.train, the reused Trainer and eager gc.train alternately, so that a busy
    machine slows all alike; returns {name: [seconds, ...]} and {name: final x}."""
    times = {"seed": [], "gc": [], "trainer": [], "eager": []}
    final = {}
    for _ in range(REPEATS):
        for name, fn, args in (("seed", seed_loop, (steps,)), ("gc", gc_train, (steps,)),
                               ("trainer", trainer_run, (trainer, steps)),
                               ("eager", gc_train, (steps, False))):
            t0 = time.perf_counter()
            final[name] = fn(*args)
            times[name].append(time.perf_counter() - t0)
    return times, final


def main():
    seed_loop(5)                        # warm-up: TensorFlow and Keras set themselves up
    gc_train(5)
    gc_train(5, compiled=False)
    trainer = gc.Trainer(PROG, ["x"], "loss", optimizer="adam", learning_rate=0.1)
    trainer_run(trainer, 5)             # its first run traces; every timed run is a later one
    print(f"seed 003 training run (Adam 0.1, x from -1); {REPEATS} alternating repeats, "
          f"median (min); TensorFlow {tf.__version__}, {os.cpu_count()} CPU(s)")
    print(f"{'steps':>6} {'seed loop':>17} {'fresh gc.train':>17} {'seed/fresh':>13} "
          f"{'reused Trainer':>17} {'seed/reused':>13} {'eager gc.train':>15}   "
          "x at the end (seed / gc.train / Trainer)")
    med = {}
    for steps in (100, 1000):
        times, x = timed_together(steps, trainer)
        med = {k: statistics.median(v) for k, v in times.items()}
        low = {k: min(v) for k, v in times.items()}
        print(f"{steps:>6} {med['seed']:>7.3f}s ({low['seed']:.3f}s) "
              f"{med['gc']:>7.3f}s ({low['gc']:.3f}s) "
              f"{med['seed'] / med['gc']:>5.1f}x ({low['seed'] / low['gc']:.1f}x) "
              f"{med['trainer']:>7.4f}s ({low['trainer']:.4f}s) "
              f"{med['seed'] / med['trainer']:>5.0f}x ({low['seed'] / low['trainer']:.0f}x) "
              f"{med['eager']:>14.3f}s   {x['seed']:.7f} / {x['gc']:.7f} / {x['trainer']:.7f}")
    per_seed, per_run = med["seed"] / 1000, med["trainer"] / 1000
    print(f"per step at 1,000 steps: seed {per_seed * 1e3:.2f} ms, reused Trainer "
          f"{per_run * 1e3:.3f} ms ({per_seed / per_run:.0f}x). A fresh gc.train adds a fixed "
          f"~{(med['gc'] - med['trainer']) * 1e3:.0f} ms (variables, optimizer, tracing the "
          f"compiled step); the Trainer was traced {trainer.traces} time(s) in all")


if __name__ == "__main__":
    main()
