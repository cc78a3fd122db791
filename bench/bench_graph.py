"""Parse + trace + figure time and figure JSON size for programs of about 10, 100, 300 nodes.

Run: .venv/bin/python bench/bench_graph.py
Each figure is the median of several runs in this one process (TensorFlow warmed up first).
"""
from __future__ import annotations

import os
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

import graphviz_core as gc  # noqa: E402


def program(lines: int) -> str:
    """A layered program: a function with a rule, fan-out and fan-in, built-ins."""
    src = ["foo(x) = x * sigmoid(x)",
           "grad foo(x, dy) = dy * (sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)))",
           "w = Variable(0.5)", "x = 0.3", "v0 = foo(x) * w", "v1 = tanh(v0 + x)"]
    for i in range(2, lines):
        src.append(f"v{i} = sin(v{i-1}) * w + v{i-2} * 0.5")
    return "\n".join(src)


def timed(fn, repeat):
    out, times = None, []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return out, statistics.median(times)


def main():
    gc.trace(gc.parse(program(3)))              # TensorFlow warm-up, not measured
    print(f"{'lines':>5} {'nodes':>5} {'events':>6} {'parse ms':>9} {'trace ms':>9} "
          f"{'figure ms':>9} {'json KB':>8}")
    rows = []
    for lines in (3, 21, 56):
        src = program(lines)
        prog, t_parse = timed(lambda: gc.parse(src), 20)
        tr, t_trace = timed(lambda: gc.trace(prog), 3)
        fig, t_fig = timed(lambda: gc.backward_figure(tr, prog), 3)
        size = len(fig.to_json()) / 1024
        rows.append((lines, tr.graph.number_of_nodes(), len(tr.events), t_parse, t_trace, t_fig, size))
        print(f"{lines:>5} {tr.graph.number_of_nodes():>5} {len(tr.events):>6} "
              f"{t_parse * 1e3:>9.1f} {t_trace * 1e3:>9.1f} {t_fig * 1e3:>9.1f} {size:>8.0f}")
    small, big = rows[0], rows[-1]
    print(f"\nper node, largest vs smallest: trace {big[4] / big[1] / (small[4] / small[1]):.2f}x, "
          f"figure {big[5] / big[1] / (small[5] / small[1]):.2f}x")


if __name__ == "__main__":
    main()
