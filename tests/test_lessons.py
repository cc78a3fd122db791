"""graphviz_core.lessons against the seed notebooks and against TensorFlow written out by hand.

Each reference below is the notebook's own TensorFlow code (or TensorFlow's autodiff of the
plain formula), run here: the lessons must print what the notebooks printed and what
TensorFlow says.
"""
import math
import subprocess
import sys
import urllib.parse

import numpy as np
import pytest
import tensorflow as tf

import graphviz_core as gc
from graphviz_core import lessons as L


# ---------------------------------------------------------------------------- references
def notebook_foo_chain(n, x, dtype=tf.float32):
    """Seed 001/003's foo with its custom gradient, composed n times; returns dy/dx."""
    @tf.custom_gradient
    def foo(x):
        def grad(dy):
            return 2 * x * dy
        return x ** 2, grad

    x = tf.constant(x, dtype)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = x
        for _ in range(n):
            y = foo(y)
    return float(tape.gradient(y, x))


def seed002_f(w1, w2):
    return 3 * w1 ** 2 + 2 * w1 * w2


def same(a, b):
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


# ---------------------------------------------------------------------------- shared
def test_explorer_link_round_trips_through_url_state():
    src = L.chain_source(4, x=3.0)
    link = L.explorer_link(src, inputs={"x": 3.0}, modes={"foo": "automatic"},
                           targets=["y"], watch=[], dtype="float64", preset_key="foo3")
    assert link.startswith("/?")
    query = dict(urllib.parse.parse_qsl(link[2:]))
    state, messages = gc.links.decode(query)
    assert messages == []
    assert state["program"] == src and state["inputs"] == {"x": 3.0}
    assert state["modes"] == {"foo": "automatic"} and state["targets"] == ["y"]
    assert state["watch"] == [] and state["dtype"] == "float64" and state["preset"] == "foo3"


@pytest.mark.parametrize("key", ["softplus", "softplus_custom", "softplus_where", "log1pexp"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_vector_sweep_agrees_with_trace_point_by_point(key, dtype):
    # TensorFlow's vector kernels round differently from its scalar ones (float32's
    # reciprocal near 1e-35 differs in the 5th digit), so: same finite/inf/NaN/None status,
    # and finite values equal to 1e-4.
    prog = gc.parse(gc.preset(key).source)
    xs = [-40.0, -1.0, 0.0, 0.5, 20.0, 80.0, 100.0, 800.0]
    s = L.sweep(prog, "x", xs, dtype=dtype)
    for x, v, g in zip(xs, s.values, s.gradients):
        t = gc.trace(prog, inputs={"x": x}, dtype=dtype)
        for ours, ref in ((v, t.values["y"]), (g, t.gradients["x"])):
            if math.isfinite(ref):
                assert ours == pytest.approx(ref, rel=1e-4, abs=1e-30), (x, ours, ref)
            else:
                assert same(ours, ref), (x, ours, ref)


def test_sweep_runs_point_by_point_for_branches_and_reductions():
    prog = gc.parse(gc.preset("sign").source)                 # uses l2_loss
    s = L.sweep(prog, "x", [-2.0, 3.0], target="loss")
    assert s.values == (0.0, 2.0)
    assert s.gradients[1] == pytest.approx(0.0903533101, rel=1e-6)
    prog = gc.parse(gc.preset("bad_step").source)             # Python branch
    s = L.sweep(prog, "x", [2.0, 7.0], target="y2", modes={"bad_step": "automatic"})
    assert s.values == (3.0, 248.0) and s.gradients == (None, 70.0)


def test_sweep_keeps_none_for_a_disconnected_input():
    prog = gc.parse("x = 1.0\nc = 2.0\ny = c * 3")
    s = L.sweep(prog, "x", [1.0, 2.0, 3.0])
    assert s.values == (6.0, 6.0, 6.0) and s.gradients == (None, None, None)


def test_lessons_module_never_imports_streamlit():
    code = "import sys, graphviz_core.lessons; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env={"PYTHONPATH": ".", "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.stdout.strip().splitlines()[-1] == "False"


# ---------------------------------------------------------------------------- 1 chain rule
def test_chain_rule_prints_the_notebook_table_at_x_2():
    c = L.chain_rule(3, 2.0)
    v = c.variants["custom"]
    assert c.y == 256.0 and v.gradient == 1024.0
    assert [(r["x"], r["y"]) for r in v.forward] == [("2", "4"), ("4", "16"), ("16", "256")]
    assert [(r["x"], r["upstream"], r["current"], r["downstream"]) for r in v.backward] == [
        ("16", "1", "32", "32"), ("4", "32", "8", "256"), ("2", "256", "4", "1024")]
    assert v.product == "1 × 32 × 8 × 4 = 1024"
    assert "x=16\tupstream=1\tcurrent=32\tdownstream=32" in v.log
    assert v.log.endswith("final dy/dx=1024")
    assert c.closed_form == "y = x⁸, so dy/dx = 8·x⁷ = 8·2⁷"
    assert len(c.figure.frames) == 7


def test_chain_rule_automatic_agrees_and_forgotten_upstream_stops():
    c = L.chain_rule(3, 2.0)
    auto, forgot = c.variants["automatic"], c.variants["forgotten"]
    assert auto.product == "1 × 32 × 8 × 4 = 1024" and auto.agrees and not auto.mismatch
    assert [r["downstream"] for r in forgot.backward] == ["32", "8", "4"]
    assert forgot.gradient == 4.0 and forgot.mismatch and not forgot.agrees
    assert "dy/dx = 4" in forgot.product


@pytest.mark.parametrize("n", range(1, 9))
@pytest.mark.parametrize("x", [-1.5, 0.5, 1.25, 2.0, 3.0])
def test_chain_rule_matches_the_notebook_code_for_every_n(n, x):
    c = L.chain_rule(n, x)
    ref = notebook_foo_chain(n, x)
    for key in ("custom", "automatic"):
        assert same(c.variants[key].gradient, ref), (key, c.variants[key].gradient, ref)
    assert len(c.variants["custom"].backward) == n


def test_chain_rule_at_x_3_is_8_times_3_to_the_7():
    c = L.chain_rule(3, 3.0)
    assert c.variants["custom"].gradient == 17496.0
    assert c.variants["custom"].product == "1 × 162 × 18 × 6 = 17496"
    assert c.closed_form.endswith("8·3⁷")


def test_chain_rule_reports_overflow_and_float64_rescues_it():
    assert L.chain_rule(8, 2.0).overflowed                       # 2**256 > float32 max
    big = L.chain_rule(8, 2.0, dtype="float64")
    assert not big.overflowed and big.y == 2.0 ** 256
    assert not L.chain_rule(1, -2.0).overflowed
    assert L.chain_rule(1, -2.0).closed_form == "y = x², so dy/dx = 2·x = 2·(−2)"


def test_chain_source_limits_n():
    with pytest.raises(ValueError):
        L.chain_source(9)
    assert gc.parse(L.chain_source(8)).expressions["y"].text.count("foo(") == 8


# ---------------------------------------------------------------------------- 2 straight-through
def test_two_step_12_and_60():
    r = L.two_step(6.0)
    assert (r.y1, r.y2, r.grad_y1, r.grad_y2) == (36.0, 183.0, 12.0, 60.0)
    assert [(row["upstream"], row["local"], row["downstream"]) for row in r.rows] == [
        ("1", "5", "5"), ("5", "12", "60")]


def test_bad_step_at_2_none_vs_straight_through_5():
    r = L.bad_step_at(2.0, figures=False)
    a, c = r["automatic"], r["custom"]
    assert (a["y1"], a["y2"], a["grad_y1"], a["grad_y2"]) == (0.0, 3.0, None, None)
    assert (c["y1"], c["y2"], c["grad_y1"], c["grad_y2"]) == (0.0, 3.0, 1.0, 5.0)
    assert "constant branch is disconnected" in a["why"] and c["why"] == ""


def test_bad_step_at_7_both_modes_agree():
    r = L.bad_step_at(7.0)
    for mode in ("automatic", "custom"):
        m = r[mode]
        assert (m["y1"], m["y2"], m["grad_y1"], m["grad_y2"]) == (49.0, 248.0, 14.0, 70.0)
        assert m["figure"].frames


def test_straight_through_curve_none_exactly_at_and_below_5():
    s = L.straight_through(0.0, 10.0, 21)
    for x, v, ga, gc_ in zip(s.automatic.xs, s.automatic.values, s.automatic.gradients,
                             s.custom.gradients):
        t = gc.trace(gc.parse(gc.preset("bad_step").source), inputs={"x": x},
                     modes={"bad_step": "automatic"}, targets=["y1"])
        assert v == t.values["y1"] and same(ga, t.gradients["x"])
        if x > 5:
            assert ga == gc_ == 2 * x
        else:
            assert ga is None and gc_ == 1.0
    assert s.none_ranges == [(0.0, 5.0)]
    y2 = L.straight_through(0.0, 10.0, 11, target="y2")
    assert y2.custom.gradients[2] == 5.0 and y2.automatic.gradients[7] == 70.0


def test_straight_through_figure_leaves_a_gap_where_tensorflow_says_none():
    s = L.straight_through(0.0, 10.0, 11)
    fig = L.straight_through_figure(s, x_mark=2.0)
    auto = next(tr for tr in fig.data if tr.name == "TensorFlow automatic")
    points = dict(zip(auto.x, auto.y))
    assert all(points[x] is None for x in (0.0, 1.0, 2.0, 5.0)) and points[7.0] == 14.0
    assert points[5.5] is None                 # the line breaks where the branch switches
    forward = next(tr for tr in fig.data if tr.name == "forward value")
    assert dict(zip(forward.x, forward.y))[5.5] is None
    assert any("None" in (a.text or "") for a in fig.layout.annotations)


# ---------------------------------------------------------------------------- 3 GradientTape
def test_finite_differences_reproduce_the_notebook_digits():
    r = L.finite_differences(5.0, 3.0, 1e-6)
    w1, w2 = 5, 3                                          # the notebook's Python numbers
    eps = 1e-6
    assert r.estimate[("w1", "float64")] == (seed002_f(w1 + eps, w2) - seed002_f(w1, w2)) / eps
    assert r.estimate[("w1", "float64")] == 36.000003007075065
    assert r.estimate[("w2", "float64")] == 10.000000003174137
    assert r.autodiff[("w1", "float64")] == 36.0 and r.autodiff[("w2", "float32")] == 10.0
    row = r.rows[0]
    assert (row["finite difference"], row["tape.gradient"]) == ("36.000003007075065", "36")


def test_finite_difference_error_is_v_shaped_on_a_log_scale():
    r = L.finite_differences(5.0, 3.0, 1e-6)
    for dtype in ("float64", "float32"):
        errs = [e if e is not None else 0.0 for e in r.errors[dtype]]
        best = min(range(len(errs)), key=errs.__getitem__)
        assert 0 < best < len(errs) - 1             # too large and too small eps are worse
        assert errs[0] > errs[best] and errs[-1] > errs[best]
    fig = L.finite_difference_figure(r)
    assert fig.layout.xaxis.type == "log" and fig.layout.yaxis.type == "log"


def test_tape_twice_raises_tensorflows_own_error():
    v1, v2 = tf.Variable(5.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        z = seed002_f(v1, v2)
    tape.gradient(z, v1)
    with pytest.raises(RuntimeError) as info:
        tape.gradient(z, v2)
    r = L.tape_twice(5.0, 3.0)
    assert r.first == 36.0 and r.second is None
    assert r.error == f"RuntimeError: {info.value}"


def test_persistent_tape_answers_twice():
    r = L.tape_twice(5.0, 3.0, persistent=True)
    assert (r.first, r.second, r.error) == (36.0, 10.0, "")


def test_watch_cases_none_none_then_36_10():
    rows = L.watch_cases(5.0, 3.0, watch=("c2",))
    got = [(r["∂z/∂(first)"], r["∂z/∂(second)"]) for r in rows]
    assert got == [("None", "None"), ("36", "10"), ("36", "10"), ("None", "10")]
    assert "not watched" in rows[0]["why"] and rows[1]["why"] == ""
    assert "tape.watch(c2)" in rows[3]["case"]


def test_several_targets_add_up_to_136_30():
    r = L.several_targets(5.0, 3.0)
    rows = r["rows"]
    assert [(x["∂/∂w1"], x["∂/∂w2"]) for x in rows] == [
        ("40", "10"), ("46", "10"), ("50", "10"), ("136", "30")]
    assert r["gradients"] == {"w1": 136.0, "w2": 30.0}
    assert L.several_targets(5.0, 3.0, ("z1", "z3"))["gradients"] == {"w1": 90.0, "w2": 20.0}


@pytest.mark.parametrize("w1, w2", [(5.0, 3.0), (-2.0, 0.5)])
def test_hessian_6_2_2_none_with_reason(w1, w2):
    h = L.hessian_table(w1, w2)
    assert h["hessian"] == {("w1", "w1"): 6.0, ("w1", "w2"): 2.0, ("w2", "w1"): 2.0,
                            ("w2", "w2"): None}
    assert [(r["∂/∂w1"], r["∂/∂w2"]) for r in h["rows"]] == [("6", "2"), ("2", "None")]
    assert len(h["reasons"]) == 1 and "no path" in h["reasons"][0]


def test_stop_gradient_30_none():
    r = L.stop_gradient_case(5.0, 3.0)
    assert r["gradients"] == {"w1": 30.0, "w2": None}
    assert [(x["without stop_gradient"], x["with stop_gradient"]) for x in r["rows"]] == [
        ("36", "30"), ("10", "None")]
    assert "stop_gradient" in r["rows"][1]["why"]
    assert r["figure"].frames


# ---------------------------------------------------------------------------- 4 stability
def test_overflow_threshold_is_log_of_the_largest_float():
    assert L.overflow_threshold("float32") == pytest.approx(
        math.log(float(np.finfo(np.float32).max)), rel=1e-6)
    assert L.overflow_threshold("float64") == pytest.approx(709.782712893384)


def test_stability_sweep_shows_where_each_formulation_breaks():
    s = L.stability_sweep(-50.0, 1000.0, 106)                 # steps of 10
    for dtype in ("float32", "float64"):
        cliff = L.overflow_threshold(dtype)
        for i, x in enumerate(s[("naive", dtype)].xs):
            naive, custom = s[("naive", dtype)], s[("custom", dtype)]
            where, safe = s[("where", dtype)], s[("safe_where", dtype)]
            builtin = s[("builtin", dtype)]
            if x > cliff:
                assert math.isinf(naive.values[i]) and math.isnan(naive.gradients[i])
                assert math.isinf(custom.values[i]) and custom.gradients[i] == 1.0
                assert where.values[i] == x and math.isnan(where.gradients[i])
            elif x < 20:
                assert all(math.isfinite(k.values[i]) and math.isfinite(k.gradients[i])
                           for k in (naive, custom, where))
            for k in (safe, builtin):
                assert math.isfinite(k.values[i]) and math.isfinite(k.gradients[i])
    fig = L.stability_figure(s)
    assert sum(tr.type == "heatmap" for tr in fig.data) == 2


def test_stability_at_100_nan_then_1():
    rows = L.stability_at(100.0, "float32")
    got = [(r["value"], r["gradient"]) for r in rows]
    assert got == [("inf", "NaN"), ("inf", "1"), ("100", "NaN"), ("100", "1"), ("100", "1")]
    assert "upstream 0 × local inf" in rows[0]["why"]
    rows64 = L.stability_at(100.0, "float64")                  # no overflow in float64
    assert [r["gradient"] for r in rows64] == ["1"] * 5


def test_log1pexp_docs_example_matches_custom_row():
    # seed 001: tf.custom_gradient's log1pexp at 100: custom 1.0, automatic NaN
    prog = gc.parse(gc.preset("log1pexp").source)
    assert gc.trace(prog).gradients["x"] == 1.0
    assert L.stability_at(100.0)[1]["gradient"] == "1"


def test_where_trap_1000_and_nan_born_at_exp():
    w = L.where_trap(1000.0)
    assert (w.value, w.safe_value, w.safe_gradient) == (1000.0, 1000.0, 1.0)
    assert math.isnan(w.gradient)
    assert w.origin == "exp: upstream 0 × local inf = NaN"
    assert "NaN" in w.why
    texts = [t for tr in w.figure.data for t in (tr.text or ()) if isinstance(t, str)]
    assert any("NaN born here" in t for t in texts)
    safe_texts = [t for tr in w.safe_figure.data for t in (tr.text or ()) if isinstance(t, str)]
    assert not any("NaN born here" in t for t in safe_texts)


def test_where_trap_without_overflow_has_no_origin():
    w = L.where_trap(10.0, figures=False)
    assert math.isfinite(w.gradient) and w.origin == ""


def test_docstring_examples_run():
    import doctest
    import importlib
    # one module per lesson; by path, since lessons.chain_rule is the function of that name
    names = ["shared", "chain_rule", "straight_through", "tape_mechanics", "stability"]
    modules = [L] + [importlib.import_module(f"graphviz_core.lessons.{n}") for n in names]
    results = [doctest.testmod(m, optionflags=doctest.ELLIPSIS) for m in modules]
    assert sum(r.attempted for r in results) > 10 and sum(r.failed for r in results) == 0
