"""The tracer against TensorFlow itself and against finite differences."""
import math
import threading

import pytest
import tensorflow as tf
from hypothesis import HealthCheck, given, settings, strategies as st

import graphviz_core as gc

# A random smooth expression over x and y, as a tree; rendered twice: as program text for
# the app, and as TensorFlow calls written directly (the reference).
UNARY = {"exp": tf.exp, "sin": tf.sin, "cos": tf.cos, "tanh": tf.tanh,
         "sigmoid": tf.math.sigmoid, "square": tf.square, "softplus": tf.math.softplus}
BINARY = {"+": tf.add, "-": tf.subtract, "*": tf.multiply}


def trees(depth=4):
    leaf = st.one_of(st.sampled_from(["x", "y"]),
                     st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3)))
    return st.recursive(
        leaf,
        lambda kids: st.one_of(
            st.tuples(st.sampled_from(sorted(UNARY)), kids),
            st.tuples(st.sampled_from(sorted(BINARY)), kids, kids)),
        max_leaves=8)


def to_text(t):
    if isinstance(t, str):
        return t
    if isinstance(t, float):
        return repr(t)
    if len(t) == 2:
        return f"{t[0]}({to_text(t[1])})"
    return f"({to_text(t[1])} {t[0]} {to_text(t[2])})"


def to_tf(t, env, dtype):
    if isinstance(t, str):
        return env[t]
    if isinstance(t, float):
        return tf.constant(t, dtype)
    if len(t) == 2:
        return UNARY[t[0]](to_tf(t[1], env, dtype))
    return BINARY[t[0]](to_tf(t[1], env, dtype), to_tf(t[2], env, dtype))


def reference(tree, x, y, dtype):
    xv, yv = tf.constant(x, dtype), tf.constant(y, dtype)
    with tf.GradientTape() as tape:
        tape.watch([xv, yv])
        # the program wraps the expression in a function g and adds x*y outside it
        z = to_tf(tree, {"x": xv, "y": yv}, dtype) + xv * yv
    gx, gy = tape.gradient(z, [xv, yv])
    f = lambda v: None if v is None else float(v.numpy())  # noqa: E731
    return float(z.numpy()), f(gx), f(gy)


def program(tree):
    return f"g(x, y) = {to_text(tree)}\nx = 0.5\ny = -0.25\nz = g(x, y) + x * y"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_automatic_equals_direct_tensorflow(tree, x, y):
    prog = gc.parse(program(tree))
    for expand in (False, True):
        t = gc.trace(prog, inputs={"x": x, "y": y}, expand=expand)
        z, gx, gy = reference(tree, x, y, tf.float32)
        assert t.values["z"] == z or (math.isnan(z) and math.isnan(t.values["z"]))
        assert t.gradients["x"] == gx and t.gradients["y"] == gy, (to_text(tree), expand)


@settings(max_examples=25, deadline=None)
@given(trees(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5))
def test_automatic_agrees_with_finite_differences_float64(tree, x, y):
    prog = gc.parse(program(tree))
    t = gc.trace(prog, inputs={"x": x, "y": y}, dtype="float64")
    h = 1e-6
    for name, other in (("x", "y"), ("y", "x")):
        base = {name: x if name == "x" else y, other: y if name == "x" else x}
        plus = gc.trace(prog, inputs={**base, name: base[name] + h}, dtype="float64").values["z"]
        minus = gc.trace(prog, inputs={**base, name: base[name] - h}, dtype="float64").values["z"]
        fd = (plus - minus) / (2 * h)
        assert t.gradients[name] == pytest.approx(fd, rel=1e-5, abs=1e-5), to_text(tree)


@settings(max_examples=20, deadline=None)
@given(st.sampled_from(sorted(UNARY)), st.floats(-2, 2))
def test_custom_rule_equal_to_upstream_times_local_matches_automatic(op, x):
    # the rule is TensorFlow's own derivative of the op, written in the language
    deriv = {"exp": "exp(x)", "sin": "cos(x)", "cos": "-sin(x)", "tanh": "1 - tanh(x)**2",
             "sigmoid": "sigmoid(x) * (1 - sigmoid(x))", "square": "2*x",
             "softplus": "sigmoid(x)"}[op]
    src = f"h(x) = {op}(x)\ngrad h(x, dy) = dy * ({deriv})\nx = 1.0\ny = h(h(x)) * 3"
    prog = gc.parse(src)
    auto = gc.trace(prog, inputs={"x": x}, modes={"h": "automatic"}, dtype="float64")
    custom = gc.trace(prog, inputs={"x": x}, dtype="float64")
    assert custom.gradients["x"] == pytest.approx(auto.gradients["x"], rel=1e-12, abs=1e-12)
    for a, c in zip(auto.events, custom.events):
        assert c.upstream == pytest.approx(a.upstream, rel=1e-12, abs=1e-12)
        assert c.local[0] == pytest.approx(a.local[0], rel=1e-12, abs=1e-12)


def test_fan_out_contributions_add_before_the_producer_event():
    # x feeds a*b twice through a: the add-node for a sees both contributions summed
    prog = gc.parse("x = 3.0\na = x + 1\nb = a * a\nc = b + a")
    t = gc.trace(prog)
    ev = {t.graph.nodes[e.node]["names"][-1]: e for e in t.events if t.graph.nodes[e.node]["names"]}
    assert ev["a"].upstream == 2 * 4.0 + 1.0
    order = [e.node for e in t.events]
    assert order.index(ev["b"].node) < order.index(ev["a"].node)
    assert t.gradients["x"] == 9.0


def test_graph_schema_and_values():
    t = gc.trace(gc.parse(gc.preset("foo3").source))
    g = t.graph
    calls = [n for n, k in g.nodes(data="kind") if k == "call"]
    assert len(calls) == 3 and all(g.nodes[n]["mode"] == "custom" for n in calls)
    assert [g.nodes[n]["value"] for n in calls] == [4.0, 16.0, 256.0]
    assert [g.nodes[n]["gradient"] for n in calls] == [256.0, 32.0, 1.0]
    x = [n for n, k in g.nodes(data="kind") if k == "input"][0]
    assert g.nodes[x]["gradient"] == 1024.0 and g.nodes[x]["watched"]
    assert g.nodes[calls[-1]]["target"] and g.nodes[calls[-1]]["names"] == ("y",)
    assert g.nodes[calls[0]]["rule"] == "dy * 2*x"


def test_expanded_view_shows_body_ops():
    prog = gc.parse(gc.preset("f_variables").source)
    t = gc.trace(prog, expand=True)
    ops = [a["op"] for _, a in t.graph.nodes(data=True) if a["kind"] == "op"]
    assert sorted(ops) == ["add", "mul", "mul", "mul", "pow"]
    assert all(a["group"] == "f#1" for _, a in t.graph.nodes(data=True) if a["kind"] == "op")
    assert t.gradients == {"w1": 36.0, "w2": 10.0}


def test_float64():
    t = gc.trace(gc.parse("x = 0.1\ny = x * 3"), dtype="float64")
    assert t.values["y"] == 0.1 * 3
    t32 = gc.trace(gc.parse("x = 0.1\ny = x * 3"), dtype="float32")
    assert t32.values["y"] != 0.1 * 3


def test_bad_arguments_are_value_errors():
    prog = gc.parse(gc.preset("two_step").source)
    for kw in ({"inputs": {"q": 1}}, {"modes": {"step_1": "custom"}}, {"targets": ["nope"]},
               {"dtype": "int8"}, {"watch": ["nope"]}):
        with pytest.raises(ValueError):
            gc.trace(prog, **kw)


def test_eight_threads_trace_at_once():
    cases = [("foo3", {"x": float(i)}) for i in range(1, 5)] + \
            [("two_step", {"x": float(i)}) for i in range(1, 5)]
    results, errors = {}, []

    def work(i, key, inputs):
        try:
            p = gc.preset(key)
            for _ in range(5):
                t = gc.trace(gc.parse(p.source), inputs=inputs, targets=p.targets)
                results[i] = t
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i, k, v)) for i, (k, v) in enumerate(cases)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors
    for i, (key, inputs) in enumerate(cases):
        t, x = results[i], inputs["x"]
        if key == "foo3":
            assert t.gradients["x"] == 8 * x ** 7
            assert [e.upstream for e in t.events] == [1.0, 2 * x ** 4, 4 * x ** 6]
            assert len(t.events) == 3
        else:
            assert t.gradients["x"] == 10 * x
            assert len(t.events) == 2
