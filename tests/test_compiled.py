"""A compiled trace (one tf.function per program structure) is the eager trace, bit for bit."""
from __future__ import annotations

import numpy as np
import pytest

import graphviz_core as gc
from tests.test_tensors import FORGOT_SUM, MLP


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is None and b is None
    return np.asarray(a).shape == np.asarray(b).shape and \
        np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True)


def assert_same_trace(c, e):
    assert c.values.keys() == e.values.keys()
    for k in e.values:
        assert _same(c.values[k], e.values[k]), k
    for k in e.gradients:
        assert _same(c.gradients[k], e.gradients[k]), k
    assert [ev.node for ev in c.events] == [ev.node for ev in e.events]
    for a, b in zip(c.events, e.events):
        assert (a.name, a.mode) == (b.name, b.mode)
        for field in ("inputs", "output", "upstream", "local", "downstream"):
            assert _same(getattr(a, field), getattr(b, field)), (a.node, field)
        if a.automatic is not None and b.automatic is not None:
            assert _same(a.automatic, b.automatic), a.node
    for node, attrs in e.graph.nodes(data=True):
        other = c.graph.nodes[node]
        for key in ("kind", "op", "label", "names", "inputs", "target", "watched", "event"):
            assert other[key] == attrs[key], (node, key)
        assert _same(other["value"], attrs["value"]) and _same(other["gradient"], attrs["gradient"])


CASES = [(p.key, p.source, p.targets) for p in gc.PRESETS
         if not gc.parse(p.source).has_conditionals and not gc.parse(p.source).has_script]
CASES += [("mlp", MLP, None), ("forgot_sum", FORGOT_SUM, None)]


@pytest.mark.parametrize("key, source, targets", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_compiled_trace_is_the_eager_trace(key, source, targets, dtype):
    cache = gc.TraceCache()
    prog = gc.parse(source)
    first = gc.trace(prog, targets=targets, dtype=dtype, cache=cache)     # eager, noted
    assert len(cache) == 0
    compiled = gc.trace(prog, targets=targets, dtype=dtype, cache=cache)
    assert len(cache) == 1
    assert_same_trace(compiled, gc.trace(prog, targets=targets, dtype=dtype))
    assert_same_trace(first, compiled)
    # the compiled run also carries the rule checks' automatic references, for free
    assert gc.rule_checks(compiled) == gc.rule_checks(first)


def test_a_python_cell_with_a_script_runs_eagerly_every_time():
    # its tapes and prints are the notebook's: a tf.function would print once, at tracing
    cache = gc.TraceCache()
    prog = gc.parse(gc.preset("py_foo").source)
    for _ in range(2):
        t = gc.trace(prog, cache=cache)
        assert t.output[-1] == "final dy/dx=1024.0"
    assert len(cache) == 0


def test_one_compiled_function_serves_every_input_value():
    cache = gc.TraceCache()
    prog = gc.parse(gc.preset("foo3").source)
    gc.trace(prog, cache=cache)
    tracer = cache.compiled(prog, gc.resolve(prog))
    for x in (2.0, 3.0, -1.5, 1e3):
        assert_same_trace(gc.trace(prog, inputs={"x": x}, cache=cache),
                          gc.trace(prog, inputs={"x": x}))
    assert tracer._fn.experimental_get_tracing_count() == 1
    # a new shape is a new structure: it traces eagerly first, then compiles once
    mlp = gc.parse(MLP)
    gc.trace(mlp, cache=cache)
    assert len(cache) == 1


def test_programs_that_branch_on_a_value_stay_eager():
    cache = gc.TraceCache()
    prog = gc.parse(gc.preset("bad_step").source)
    for _ in range(3):
        gc.trace(prog, cache=cache)
    assert len(cache) == 0


def test_a_shape_tensorflow_refuses_falls_back_to_the_eager_message():
    src = FORGOT_SUM.replace("y = reduce_sum(f(X, b) ** 2)", "c = b * 2.0\ny = reduce_sum(f(X, c))")
    cache = gc.TraceCache()
    prog = gc.parse(src)
    for _ in range(3):
        t = gc.trace(prog, cache=cache)
        assert "rule for f (line 2)" in t.error


@pytest.mark.xfail(strict=True, reason="found 2026-12-08, not fixed: a value that gets three "
                   "gradient contributions (h1 below: twice inside bar, once in h3) is summed "
                   "in another order by the compiled function than by the eager tape; the "
                   "upstream shown at that node differs in the last bit (4.2705278 compiled, "
                   "4.2705283 eager at x = 0.685, w = 2.055); the final gradients agree")
def test_a_value_with_three_gradient_contributions_is_summed_as_eagerly():
    from tests.test_graph_view import _DOZEN
    prog = gc.parse(_DOZEN)
    inputs = {n: i.default * 1.37 for n, i in prog.inputs.items()}
    cache = gc.TraceCache()
    gc.trace(prog, inputs={n: v + 0.1 for n, v in inputs.items()}, cache=cache)   # noted
    compiled = gc.trace(prog, inputs=inputs, cache=cache)
    assert len(cache) == 1
    assert_same_trace(compiled, gc.trace(prog, inputs=inputs))
