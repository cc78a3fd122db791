"""What one tick of a playing lab costs the server (``explorer_app/player.py``, issue 19).

While ▶ plays, the classifier lab's fragment reruns every ``player.tick(speed)[0]`` seconds
and, per tick, pulls ``player.tick(speed)[1]`` steps from one ``gc.Trainer`` run
(compiled calls of ``player.CHUNK`` steps) and redraws: the accuracies (TensorFlow), the
curves, the probability grid and boundary, and the latest step's backward pass
(``gc.explore`` with the Explorer's compiled-trace cache). This times those parts in
process, without Streamlit, after one warm-up run: the median over ``TICKS`` ticks of each,
and "busy", the share of the tick interval the work takes (the CPU a playing tab holds).
Usage: ``.venv/bin/python bench/bench_player.py``
"""
from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import graphviz_core as gc  # noqa: E402
from explorer_app.player import CHUNK, tick  # noqa: E402
from graphviz_core.training import classifier as bc  # noqa: E402

TICKS = 25




def main():
    prog, modes = gc.classifier_program("sigmoid")
    trainer = gc.Trainer(prog, list(bc.PARAMS), bc.TARGET, modes=modes)
    list(trainer.run(steps=5, chunk=1))                          # warm-up: traces
    X, t = bc.blobs()
    cache = gc.TraceCache()         # the lab passes the Explorer's (explorer.trace_cache)
    for speed in (10, 100):
        interval, per_tick = tick(speed)
        steps = iter(trainer.run(steps=TICKS * per_tick, chunk=CHUNK, learning_rate=0.05))
        records, accs = [], []
        parts = {"train": [], "accuracy": [], "figures": [], "graph": [], "tick": []}
        for _ in range(TICKS):
            t0 = time.perf_counter()
            new = [next(steps) for _ in range(per_tick)]
            t1 = time.perf_counter()
            accs += [gc.accuracy(r) for r in new]
            records += new
            t2 = time.perf_counter()
            rec = records[-1]
            gc.classifier_curves([("run", [r.loss for r in records], accs)], steps=150)
            gc.boundary_figure(X, t, gc.probability_grid(rec.values["w"], rec.values["b"]),
                               gc.decision_line(rec.values["w"], rec.values["b"]))
            t3 = time.perf_counter()
            gc.explore(prog.source, inputs={"w": list(map(float, rec.values["w"])),
                                            "b": float(rec.values["b"])},
                       modes=modes, targets=["loss"], cache=cache)
            t4 = time.perf_counter()
            for k, v in zip(parts, (t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0)):
                parts[k].append(v * 1000)
        med = {k: statistics.median(v) for k, v in parts.items()}
        print(f"speed {speed:>3} steps/s: a tick every {interval:.2f} s, {per_tick} steps")
        for k, v in med.items():
            print(f"  {k:<9} {v:7.1f} ms")
        print(f"  busy     {med['tick'] / (interval * 1000):7.1%} of the interval")


if __name__ == "__main__":
    main()
