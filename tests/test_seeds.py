"""Every number the seed notebooks print, through parse + trace / hessian."""
import math

import numpy as np

import pytest

import graphviz_core as gc


def run(key, **kw):
    p = gc.preset(key)
    args = dict(inputs=p.inputs, modes=p.modes, targets=p.targets, watch=p.watch)
    args.update(kw)
    return gc.trace(gc.parse(p.source), **args)


def approx(v, rel=1e-6):
    return pytest.approx(v, rel=rel)


# seed 000 ---------------------------------------------------------------------------
def test_two_step_values_and_gradients():
    prog = gc.parse(gc.preset("two_step").source)
    t1 = gc.trace(prog, targets=["y1"])
    t2 = gc.trace(prog, targets=["y2"])
    assert (t1.values["y1"], t1.values["y2"]) == (36.0, 183.0)
    assert t1.gradients["x"] == 12.0
    assert t2.gradients["x"] == 60.0


def test_bad_step_automatic_gives_none_below_five():
    prog = gc.parse(gc.preset("bad_step").source)
    auto = {"bad_step": "automatic"}
    t1 = gc.trace(prog, targets=["y1"], modes=auto)
    t2 = gc.trace(prog, targets=["y2"], modes=auto)
    assert (t1.values["y1"], t1.values["y2"]) == (0.0, 3.0)
    assert t1.gradients["x"] is None and t2.gradients["x"] is None
    bad = [e for e in t2.events if e.name == "bad_step"][0]
    assert bad.upstream == 5.0 and bad.downstream == (None,) and bad.local == (None,)


def test_bad_step_straight_through():
    prog = gc.parse(gc.preset("bad_step").source)
    assert gc.trace(prog, targets=["y1"]).gradients["x"] == 1.0
    assert gc.trace(prog, targets=["y2"]).gradients["x"] == 5.0


@pytest.mark.parametrize("mode", ["automatic", "custom"])
def test_bad_step_above_five(mode):
    prog = gc.parse(gc.preset("bad_step").source)
    t1 = gc.trace(prog, inputs={"x": 7.0}, targets=["y1"], modes={"bad_step": mode})
    t2 = gc.trace(prog, inputs={"x": 7.0}, targets=["y2"], modes={"bad_step": mode})
    assert (t1.values["y1"], t1.values["y2"]) == (49.0, 248.0)
    assert (t1.gradients["x"], t2.gradients["x"]) == (14.0, 70.0)


# seeds 001 / 003 ------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["custom", "automatic"])
def test_foo_three_events(mode):
    t = run("foo3", modes={"foo": mode})
    assert t.gradients["x"] == 1024.0
    assert [e.inputs[0] for e in t.events] == [16.0, 4.0, 2.0]
    assert [e.upstream for e in t.events] == [1.0, 32.0, 256.0]
    assert [e.local[0] for e in t.events] == [32.0, 8.0, 4.0]
    assert [e.downstream[0] for e in t.events] == [32.0, 256.0, 1024.0]
    assert all(e.mode == mode and e.name == "foo" for e in t.events)


def test_rule_that_forgets_upstream_acts_like_a_stop():
    src = "foo(x) = x**2\ngrad foo(x, dy) = 2*x\nx = 2.0\ny = foo(foo(foo(x)))"
    t = gc.trace(gc.parse(src))
    assert [e.downstream[0] for e in t.events] == [32.0, 8.0, 4.0]
    assert t.gradients["x"] == 4.0
    assert t.events[1].downstream[0] != t.events[1].upstream * t.events[1].local[0]


def test_log1pexp_custom_is_stable_automatic_is_nan():
    assert run("log1pexp").gradients["x"] == 1.0
    assert math.isnan(run("log1pexp", modes={"log1pexp": "automatic"}).gradients["x"])


# seed 002 -------------------------------------------------------------------------------
def test_variables_36_and_10():
    t = run("f_variables")
    assert t.gradients == {"w1": 36.0, "w2": 10.0}


def test_finite_differences_36_000003():
    # the notebook's (f(w1 + eps, w2) - f(w1, w2)) / eps in float64
    prog = gc.parse("w1 = 5.0\nw2 = 3.0\nz = 3 * w1**2 + 2 * w1 * w2")
    eps = 1e-6
    base = gc.trace(prog, dtype="float64").values["z"]
    up = gc.trace(prog, inputs={"w1": 5.0 + eps}, dtype="float64").values["z"]
    assert (up - base) / eps == pytest.approx(36.000003007075065, rel=1e-9)


def test_constants_unwatched_none_watched_36_10():
    assert run("f_constants").gradients == {"c1": None, "c2": None}
    assert run("f_constants", watch=None).gradients == {"c1": 36.0, "c2": 10.0}
    assert run("f_constants", watch=["c1"]).gradients == {"c1": 36.0, "c2": None}


def test_unwatched_constants_record_no_events():
    assert run("f_constants").events == []


def test_multiple_targets_add_136_30():
    t = run("f_multi")
    assert t.gradients == {"w1": 136.0, "w2": 30.0}


def test_hessian_6_2_2_none():
    h = gc.hessian(gc.parse(gc.preset("f_variables").source))
    assert h == {("w1", "w1"): 6.0, ("w1", "w2"): 2.0, ("w2", "w1"): 2.0, ("w2", "w2"): None}


def test_stop_gradient_30_none():
    assert run("f_stop").gradients == {"w1": 30.0, "w2": None}


# Seed 002's x is tf.Variable([100.]): rank 1, so values and gradients are arrays of one
# element, as the notebook printed (numpy=array([nan])).
def test_softplus_nan_and_custom_fix():
    t = run("softplus")
    assert t.values["y"].shape == (1,) and t.gradients["x"].shape == (1,)
    assert np.isinf(t.values["y"][0]) and np.isnan(t.gradients["x"][0])
    t = run("softplus_custom")
    assert np.isinf(t.values["y"][0]) and t.gradients["x"].tolist() == [1.0]


def test_where_trap_forward_1000_gradient_nan():
    t = run("softplus_where")
    assert t.values["y"].tolist() == [1000.0]             # array([1000.], dtype=float32)
    assert t.gradients["x"].dtype == np.float32 and np.isnan(t.gradients["x"][0])


# seed 003 -------------------------------------------------------------------------------
def test_bar_6_3_2_and_none():
    t = run("bar")
    assert t.values["z"] == 6.0
    assert t.gradients == {"x": 3.0, "y": 2.0}
    t = run("bar", targets=["x"])          # tape.gradient(x, y)
    assert t.gradients["y"] is None


def test_differentiable_sign():
    prog = gc.parse(gc.preset("sign").source)
    ty = gc.trace(prog, targets=["y"])
    tl = gc.trace(prog, targets=["loss"])
    assert ty.values["y"] == 1.0 and tl.values["loss"] == 2.0
    assert ty.gradients["x"] == approx(0.0451766551)
    assert tl.gradients["x"] == approx(0.0903533101)


def test_sign_train_first_gradient():
    t = run("sign_train")
    assert t.values["loss"] == 2.0
    assert t.gradients["x"] == approx(-0.393223882)
