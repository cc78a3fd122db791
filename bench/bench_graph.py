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
from explorer_app import server as server_tuning  # noqa: E402


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
    import plotly.io as pio
    gc.trace(gc.parse(program(3)))              # TensorFlow warm-up, not measured
    print(f"{'lines':>5} {'nodes':>5} {'events':>6} {'parse ms':>9} {'trace ms':>9} "
          f"{'spec ms':>8} {'to_json ms':>10} {'go.Figure ms':>12} {'json KB':>8}")
    rows = []
    for lines in (3, 21, 56):
        src = program(lines)
        prog, t_parse = timed(lambda: gc.parse(src), 20)
        tr, t_trace = timed(lambda: gc.trace(prog), 3)
        # what a page builds and ships (st.plotly_chart encodes it with plotly's to_json)
        spec, t_spec = timed(lambda: gc.backward_spec(tr, prog), 3)
        shipped = server_tuning.plotly_spec(spec).to_dict()     # with the theme's template
        text, t_json = timed(lambda: pio.to_json(shipped, validate=False), 3)
        # the go.Figure, built only for exports and API users
        _, t_fig = timed(lambda: gc.figure_from_spec(spec), 3)
        size = len(text) / 1024
        n = tr.graph.number_of_nodes()
        rows.append((lines, n, len(tr.events), t_parse, t_trace, t_spec, size))
        print(f"{lines:>5} {n:>5} {len(tr.events):>6} {t_parse * 1e3:>9.1f} "
              f"{t_trace * 1e3:>9.1f} {t_spec * 1e3:>8.1f} {t_json * 1e3:>10.1f} "
              f"{t_fig * 1e3:>12.1f} {size:>8.0f}")
    print(f"(plotly JSON engine: {pio.json.config.default_engine}, orjson when installed)")
    small, big = rows[0], rows[-1]
    print(f"\nper node, largest vs smallest: trace {big[4] / big[1] / (small[4] / small[1]):.2f}x, "
          f"spec {big[5] / big[1] / (small[5] / small[1]):.2f}x")


def layouts():
    """dot against stage one's layered layout, per node count: one layout call each, and
    the whole frame model (dot may run a few times while it looks for the largest type
    that fits; a cache hit skips them all)."""
    from graphviz_core.figures.frames import frame_model
    from graphviz_core.layout import LayoutCache, layered_layout
    print(f"\n{'nodes':>5} {'layered ms':>10} {'model+layered ms':>16} {'model+dot ms':>12} "
          f"{'dot runs':>8} {'cached ms':>9} {'level':>7}")
    for lines in (2, 6, 12, 21, 40, 56):
        prog = gc.parse(program(lines))
        tr = gc.trace(prog)
        n = tr.graph.number_of_nodes()
        _, t_layered = timed(lambda: layered_layout(tr.graph), 3)
        _, t_ml = timed(lambda: frame_model(tr, prog, engine="layered"), 3)
        cache = LayoutCache(max_entries=1000)
        t0 = time.perf_counter()
        m = frame_model(tr, prog, layouts=cache)
        t_md = time.perf_counter() - t0
        _, t_cached = timed(lambda: frame_model(tr, prog, layouts=cache), 3)
        print(f"{n:>5} {t_layered * 1e3:>10.1f} {t_ml * 1e3:>16.1f} {t_md * 1e3:>12.1f} "
              f"{len(cache):>8} {t_cached * 1e3:>9.1f} {m['view']['level']:>7}")


if __name__ == "__main__":
    main()
    layouts()
