"""The stage-two core: trace time for the seed presets and tensor programs, eager against
compiled, and the Explorer's ``explore()`` time before and after the core changed.

Run: .venv/bin/python bench/bench_core.py [--before REV]
``--before REV`` also times ``explore()`` of the default preset at git revision REV (checked
out into a temporary worktree, run in a subprocess of this Python), so both figures come
from one run on one machine. Each figure is the median of several runs after a warm-up.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, ROOT)

EXPLORE = """
import os, statistics, sys, time, json
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
sys.path.insert(0, sys.argv[1])
import graphviz_core as gc
src = gc.preset("foo3").source
out = {}
kinds = {"eager": {}}
if hasattr(gc, "TraceCache"):       # the Explorer passes its server's cache
    kinds["compiled"] = {"cache": gc.TraceCache()}
for kind, kw in kinds.items():
    for _ in range(5):
        gc.explore(src, **kw)
    times = []
    for _ in range(int(sys.argv[2])):
        t0 = time.perf_counter(); gc.explore(src, **kw); times.append(time.perf_counter() - t0)
    out[kind] = statistics.median(times)
print(json.dumps(out))
"""


def explore_time(root: str, repeat: int) -> dict:
    out = subprocess.run([sys.executable, "-c", EXPLORE, root, str(repeat)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def tensor_program(nodes: int) -> str:
    """A chain of small tensor layers: about ``nodes`` graph nodes, shapes (4, 3) and (3, 3)."""
    src = ["X = constant([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6], [0.7, 0.8, 0.9], [1.0, 1.1, 1.2]])",
           "W = Variable([[0.5, -0.2, 0.1], [0.3, 0.2, -0.4], [0.1, 0.1, 0.2]])",
           "b = Variable([0.1, 0.0, -0.1])", "h0 = X"]
    per_line, i = 4, 1       # matmul, add, tanh, + the previous
    while per_line * i < nodes - 3 and i < 55:
        src.append(f"h{i} = tanh(h{i-1} @ W + b) + h{i-1}" if i % 2 else
                   f"h{i} = sigmoid(h{i-1} @ W + b) * h{i-1}")
        i += 1
    src.append(f"loss = reduce_mean(square(h{i-1}))")
    return "\n".join(src)


def timed(fn, repeat: int) -> float:
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--before", help="git revision to time explore() at, for a before/after")
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    import graphviz_core as gc

    cache = gc.TraceCache()

    def row(prog, targets, repeat):
        """eager ms, compiled ms (warm), first compile ms: one program."""
        eager = timed(lambda: gc.trace(prog, targets=targets), repeat) * 1e3
        if prog.has_conditionals:
            return eager, None, None
        gc.trace(prog, targets=targets, cache=cache)            # noted
        t0 = time.perf_counter()
        gc.trace(prog, targets=targets, cache=cache)            # compiles
        first = (time.perf_counter() - t0) * 1e3
        compiled = timed(lambda: gc.trace(prog, targets=targets, cache=cache), repeat) * 1e3
        return eager, compiled, first

    def show(label, eager, compiled, first):
        if compiled is None:
            print(f"  {label}  eager {eager:8.2f} ms  (branches on a value: eager only)")
        else:
            print(f"  {label}  eager {eager:8.2f} ms  compiled {compiled:7.2f} ms  "
                  f"(eager/compiled {eager / compiled:5.1f}x; compiling took {first:7.0f} ms)")

    print("trace time of the seed presets (median ms)")
    for p in gc.PRESETS:
        prog = gc.parse(p.source)
        n = len(gc.trace(prog, targets=p.targets).graph)
        show(f"{p.key:16s} {n:3d} nodes", *row(prog, p.targets, args.repeat))

    print("trace time of tensor programs (median ms)")
    for nodes in (10, 100, 300):
        prog = gc.parse(tensor_program(nodes))
        n = len(gc.trace(prog).graph)
        show(f"~{nodes:3d} asked, {n:3d} nodes", *row(prog, None, max(3, args.repeat // 4)))
        plain = timed(lambda: gc.forward(prog, gc.resolve(prog)).gradients(),
                      max(3, args.repeat // 4)) * 1e3
        print(f"      plain forward + gradient, nothing recorded: {plain:7.1f} ms")

    print("explore() of the default preset (median ms)")
    now = explore_time(ROOT, args.repeat)
    for kind, v in now.items():
        print(f"  this tree, {kind:9s} {v * 1e3:7.2f} ms")
    if args.before:
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(["git", "-C", ROOT, "worktree", "add", "-q", "--detach", tmp,
                            args.before], check=True)
            try:
                before = explore_time(tmp, args.repeat)
            finally:
                subprocess.run(["git", "-C", ROOT, "worktree", "remove", "--force", tmp],
                               check=False)
        before = before["eager"]
        print(f"  {args.before}:    {before * 1e3:7.2f} ms")
        for kind, v in now.items():
            print(f"  {kind} / before = {v / before:.2f}")


if __name__ == "__main__":
    main()
