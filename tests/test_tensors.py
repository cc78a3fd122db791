"""Tensor programs give TensorFlow's own gradients; rule checks; shape limits and messages."""
from __future__ import annotations

import time

import numpy as np
import pytest
import tensorflow as tf

import graphviz_core as gc

RNG = np.random.default_rng(7)
X8 = np.round(RNG.normal(size=(8, 2)), 3)
LABELS = np.eye(3)[RNG.integers(0, 3, size=8)]
W1 = np.round(RNG.normal(size=(2, 4)) * 0.5, 3)
B1 = np.round(RNG.normal(size=(4,)) * 0.1, 3)
W2 = np.round(RNG.normal(size=(4, 3)) * 0.5, 3)
B2 = np.round(RNG.normal(size=(3,)) * 0.1, 3)


def lit(a) -> str:
    return repr(np.asarray(a).tolist())


MLP = f"""# a 2-layer MLP on 8 points, softmax cross-entropy
X = constant({lit(X8)})
Y = constant({lit(LABELS)})
W1 = Variable({lit(W1)})
b1 = Variable({lit(B1)})
W2 = Variable({lit(W2)})
b2 = Variable({lit(B2)})
h = tanh(X @ W1 + b1)
logits = h @ W2 + b2
loss = reduce_mean(-reduce_sum(Y * log_softmax(logits), axis=1))
"""


def _plain_mlp(dtype):
    vs = [tf.Variable(a, dtype=dtype) for a in (W1, B1, W2, B2)]
    X, Y = tf.constant(X8, dtype), tf.constant(LABELS, dtype)
    with tf.GradientTape() as tape:
        w1, b1, w2, b2 = (tf.convert_to_tensor(v) for v in vs)
        h = tf.tanh(X @ w1 + b1)
        logits = h @ w2 + b2
        loss = tf.reduce_mean(-tf.reduce_sum(Y * tf.nn.log_softmax(logits), axis=1))
    return loss, tape.gradient(loss, vs)


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64])
def test_mlp_with_softmax_cross_entropy_gives_tensorflows_gradients(dtype):
    t = gc.trace(gc.parse(MLP), dtype=dtype.name)
    loss, grads = _plain_mlp(dtype)
    assert t.values["loss"] == float(loss)
    for name, g in zip(("W1", "b1", "W2", "b2"), grads):
        assert t.gradients[name].shape == g.shape
        np.testing.assert_array_equal(t.gradients[name], g.numpy())
    assert t.values["h"].shape == (8, 4) and t.values["logits"].shape == (8, 3)
    assert gc.rule_checks(t) == []


def test_a_broadcast_bias_gets_the_sum_over_the_batch():
    src = "X = constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])\nb = Variable([0.5, -1.0, 2.0])\n" \
          "y = reduce_sum((X + b) ** 2)"
    t = gc.trace(gc.parse(src))
    X, b = tf.constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), tf.Variable([0.5, -1.0, 2.0])
    with tf.GradientTape() as tape:
        y = tf.reduce_sum((X + b) ** 2)
    np.testing.assert_array_equal(t.gradients["b"], tape.gradient(y, b).numpy())
    add = next(e for e in t.events if e.name == "add")
    # what reaches the add is (2, 3); what leaves for b is summed over axis 0: (3,)
    assert np.shape(add.upstream) == (2, 3) and np.shape(add.downstream[1]) == (3,)
    np.testing.assert_array_equal(add.downstream[1], np.sum(add.upstream, axis=0))


FORGOT_SUM = """f(X, b) = X + b
grad f(X, b, dy) = dy, dy
X = constant([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
b = Variable([0.1, 0.2, 0.3])
y = reduce_sum(f(X, b) ** 2)
"""


def test_rule_that_forgets_the_reduce_sum_is_named_with_its_line():
    t = gc.trace(gc.parse(FORGOT_SUM))
    # TensorFlow hands the (2, 3) gradient on as it is: no error, a wrongly shaped gradient
    assert t.error is None and t.gradients["b"].shape == (2, 3)
    checks = gc.rule_checks(t)
    shape = [c for c in checks if c.kind == "shape"]
    assert [(c.function, c.param, c.line) for c in shape] == [("f", "b", 2)]
    assert "(2, 3)" in shape[0].message and "(3,)" in shape[0].message
    assert "axis 0" in shape[0].message
    # the fixed rule passes every check and gives TensorFlow's automatic gradient
    fixed = FORGOT_SUM.replace("dy, dy", "dy, reduce_sum(dy, axis=0)")
    t2 = gc.trace(gc.parse(fixed))
    assert gc.rule_checks(t2) == []
    auto = gc.trace(gc.parse(fixed), modes={"f": "automatic"})
    np.testing.assert_array_equal(t2.gradients["b"], auto.gradients["b"])


def test_a_wrong_shape_that_tensorflow_refuses_finishes_the_trace_with_a_message():
    src = FORGOT_SUM.replace("y = reduce_sum(f(X, b) ** 2)", "c = b * 2.0\ny = reduce_sum(f(X, c))")
    t = gc.trace(gc.parse(src))
    assert t.gradients == {"X": None, "b": None}
    assert "rule for f (line 2)" in t.error and "(2, 3)" in t.error and "(3,)" in t.error
    assert [c.kind for c in gc.rule_checks(t)][:1] == ["shape"]
    ex = gc.explore(src)                    # the page gets the trace and the words
    assert ex.ok and any("rule for f" in n for n in ex.notes)


def test_rule_that_ignores_dy_is_a_chain_check():
    src = "f(x) = sin(x)\ngrad f(x, dy) = cos(x)\nx = Variable([0.5, 1.0])\ny = reduce_sum(f(2.0 * f(x)))"
    t = gc.trace(gc.parse(src))
    chain = [c for c in gc.rule_checks(t) if c.kind == "chain"]
    assert chain and chain[0].function == "f" and "ignores dy" in chain[0].message
    assert {c.kind for c in gc.rule_checks(t)} >= {"chain", "automatic"}
    good = gc.trace(gc.parse(src.replace("= cos(x)", "= dy * cos(x)")))
    assert gc.rule_checks(good) == []


def test_a_surrogate_is_flagged_automatic_only():
    t = gc.trace(gc.parse(gc.preset("sign_train").source))
    kinds = {c.kind for c in gc.rule_checks(t)}
    assert kinds <= {"automatic"}


def test_custom_rule_local_is_the_rule_against_basis_upstreams():
    src = "f(x) = x * x\ngrad f(x, dy) = dy * 2.0 * x\nx = Variable([1.0, 3.0])\ny = reduce_sum(f(x))"
    t = gc.trace(gc.parse(src))
    ev = next(e for e in t.events if e.name == "f")
    np.testing.assert_array_equal(ev.local[0], [[2.0, 0.0], [0.0, 6.0]])
    np.testing.assert_array_equal(ev.downstream[0], [2.0, 6.0])


def test_hessian_says_clearly_it_needs_scalar_inputs():
    with pytest.raises(ValueError, match="single-number inputs; W has shape"):
        gc.hessian(gc.parse("W = Variable([1.0, 2.0])\ny = reduce_sum(W * W)"))


def test_inputs_may_be_given_as_lists_and_change_shape_checked():
    prog = gc.parse("x = Variable([1.0, 2.0])\ny = reduce_sum(x * x)")
    t = gc.trace(prog, inputs={"x": [3.0, 4.0, 5.0]})
    np.testing.assert_array_equal(t.gradients["x"], [6.0, 8.0, 10.0])
    prog = gc.parse("x = Variable([1.0, 2.0])\nc = [1.0, 1.0]\ny = reduce_sum(x * c)")
    with pytest.raises(gc.ProgramError, match=r"\(3,\) and \(2,\)"):
        gc.trace(prog, inputs={"x": [3.0, 4.0, 5.0]})


# ---------------------------------------------------------------------------- limits
@pytest.mark.parametrize("src, line, col, words", [
    ("x = [[1.0, 2.0], [3.0]]", 1, 5, "ragged"),
    ("a = [[1.0, 2.0, 3.0]]\nb = [1.0, 2.0]\ny = a @ b", 3, 5, "(1, 3) and (2,)"),
    ("a = [[1.0, 2.0]]\nb = [[1.0, 2.0]]\ny = a @ b", 3, 5, "inner sizes differ"),
    ("a = [[1.0, 2.0]]\nb = [1.0, 2.0, 3.0]\ny = a + b", 3, 5, "(1, 2) and (3,) do not broadcast"),
    ("x = [1.0, 2.0, 3.0]\ny = reshape(x, [2, 2])", 2, 5, "3 elements"),
    ("x = [1.0, 2.0]\ny = x[2]", 2, 5, "index 2 is out of range"),
    ("x = [[1.0, 2.0]]\ny = x[0, 5]", 2, 5, "index 5 is out of range for axis 1"),
    ("x = [1.0, 2.0]\ny = reduce_sum(x, axis=1)", 2, 5, "axis 1 is out of range"),
    ("x = 2.0\ny = softmax(x)", 2, 5, "single number"),
    ("x = [" + ", ".join(["1.0"] * 257) + "]", 1, 5, "257 numbers"),
    ("x = [" + ", ".join(["1.0"] * 256) + "]\ny = reshape(x, [16, 16]) @ reshape(x, [16, 16])"
     "\nz = concat([y, y])", 3, 5, "512 elements"),
    ("x = [1.0, 2.0]\ny = x if x > 1 else x", 2, 5, "where(condition, a, b)"),
    ("x = [1.0]\ny = reduce_sum(x, keep=True)", 2, 5, "keyword 'keep'"),
    ("x = [[[1.0]]]", 1, 5, "rank 3"),
])
def test_shape_mistakes_are_located_and_name_the_shapes(src, line, col, words):
    with pytest.raises(gc.ProgramError) as e:
        gc.parse(src)
    assert (e.value.line, e.value.column) == (line, col), str(e.value)
    assert words in str(e.value) and e.value.hint


def test_total_elements_of_a_trace_are_limited():
    lines = ["x = [" + ", ".join(["1.0"] * 256) + "]"]
    lines += [f"y{i} = x * {i}.0 + x" for i in range(1, 50)]
    with pytest.raises(gc.ProgramError, match="numbers in all"):
        gc.parse("\n".join(lines))


def test_a_long_flat_sum_is_not_too_deep():
    src = "x = 1.0\ny = " + " + ".join(f"sin(x*{k}.0)" for k in range(1, 71))
    t0 = time.perf_counter()
    t = gc.trace(gc.parse(src))
    assert time.perf_counter() - t0 < 10
    want = sum(np.cos(np.float32(k)) * k for k in range(1, 71))
    assert abs(t.gradients["x"] - want) < 1e-3


def test_tensor_export_runs_and_prints_the_same_numbers(tmp_path):
    from tests.exported import run_scripts, same
    prog = gc.parse(MLP)
    t = gc.trace(prog)
    printed = run_scripts(tmp_path, {"mlp": gc.to_tensorflow(prog)})["mlp"]
    for name, g in t.gradients.items():
        assert same(printed["d/d" + name], g), name


def test_event_automatic_is_tensorflows_gradient_of_the_body():
    cache, prog = gc.TraceCache(), gc.parse(FORGOT_SUM)
    gc.trace(prog, cache=cache)
    t = gc.trace(prog, cache=cache)                # compiled: events carry the reference
    ev = next(e for e in t.events if e.mode == "custom")
    from graphviz_core.checks import _automatic
    import dataclasses
    recomputed = _automatic(t, t.program.functions["f"], dataclasses.replace(ev, automatic=None))
    for a, b in zip(ev.automatic, recomputed):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ev.automatic[1], np.sum(ev.upstream, axis=0))
