"""Issue 19's lessons against plain TensorFlow: broadcasting, Jacobians, the classifier lab."""
from __future__ import annotations

import ast

import numpy as np
import pytest
import tensorflow as tf

import graphviz_core as gc
from graphviz_core.training import classifier as bc


def _literal(source: str, name: str):
    line = next(l for l in source.splitlines() if l.startswith(f"{name} = "))
    return np.array(ast.literal_eval(line.split("(", 1)[1].rsplit(")", 1)[0]), np.float32)


# ---------------------------------------------------------------------------- broadcasting
def _plain(key, X, b):
    """The case written directly in TensorFlow (automatic gradients)."""
    X, b = tf.constant(X), tf.Variable(b)
    with tf.GradientTape() as tape:
        if key in ("bias", "forgot", "fixed"):
            y = tf.reduce_sum((X + b) ** 2)
        elif key == "scale":
            y = tf.reduce_sum((X * b) ** 2)
        else:
            y = tf.reduce_sum(X * tf.sigmoid(b * X))
    return tape.gradient(y, b).numpy()


@pytest.mark.parametrize("key", list(gc.BROADCAST_CASES))
def test_broadcast_cases_against_plain_tensorflow(key):
    r = gc.broadcast_case(key)
    X, p = _literal(r.source, "X"), _literal(r.source, r.param)
    want = _plain(key, X, p)
    np.testing.assert_allclose(r.automatic, want, rtol=1e-5, atol=1e-6)
    if key in ("bias", "scale", "fixed", "silu_fixed"):
        # the right rule: the upstream summed over the batch axis, TensorFlow's numbers
        assert r.gradient_shape == (3,) and r.checks == []
        np.testing.assert_allclose(r.gradient, want, rtol=1e-5, atol=1e-6)
        assert "moves it to" in r.sgd_step
    if key in ("bias", "fixed"):
        np.testing.assert_allclose(r.downstream, r.upstream.sum(axis=0), rtol=1e-6)
    if key == "scale":
        np.testing.assert_allclose(r.downstream, (r.upstream * X).sum(axis=0), rtol=1e-5)


def test_a_rule_that_forgets_the_sum_is_handed_on_and_named():
    r = gc.broadcast_case("forgot")
    # TensorFlow hands the rule's (4, 3) on as b's gradient, without a check
    assert r.error is None and r.gradient_shape == (4, 3)
    np.testing.assert_array_equal(r.gradient, r.upstream)
    kinds = dict(r.checks)
    assert "axis 0" in kinds["shape"] and "(4, 3)" in kinds["shape"]
    assert "shapes must be equal" in r.sgd_step        # Keras refuses the update


def test_silu_bug_127690_gives_a_scalar_for_a_per_column_beta():
    bug, fixed = gc.broadcast_case("silu_bug"), gc.broadcast_case("silu_fixed")
    assert bug.gradient_shape == () and bug.param_shape == (3,)
    # the scalar is the per-column gradient summed once more
    np.testing.assert_allclose(bug.gradient, np.sum(fixed.gradient), rtol=1e-5)
    assert [k for k, _ in bug.checks] == ["shape", "automatic"]
    X = _literal(bug.source, "X")
    beta = tf.Variable(_literal(bug.source, "beta"))
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.silu(tf.constant(X), beta=beta))
    g = tape.gradient(y, beta)
    # the installed TensorFlow's own tf.nn.silu: the bug the program rebuilds, number for number
    assert tuple(g.shape) == () and bug.library_gradient == pytest.approx(float(g))
    np.testing.assert_allclose(bug.gradient, g.numpy(), rtol=1e-5)
    np.testing.assert_allclose(fixed.gradient, fixed.automatic, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- Jacobians
@pytest.mark.parametrize("n, m", [(3, 2), (1, 4), (5, 1), (2, 2)])
def test_rows_and_columns_are_tensorflows_jacobian(n, m):
    r = gc.jacobians(n, m, row=m - 1, column=n - 1)
    x, W = _literal(r.source, "x"), _literal(r.source, "W")
    xv = tf.Variable(x)
    with tf.GradientTape() as tape:
        y = tf.tanh(tf.reduce_sum(tf.constant(W) * xv, axis=1))
    J = tape.jacobian(y, xv).numpy()
    np.testing.assert_allclose(r.jacobian, J, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(np.stack(r.rows), J, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(np.stack(r.columns, axis=1), J, rtol=1e-5, atol=1e-7)
    # one pass per row in reverse mode, one per column in forward mode
    assert (r.reverse_passes, r.forward_passes) == (m, n)
    assert r.cheaper == ("either" if n == m else "reverse" if m < n else "forward")
    # the animated column: the output node's tangent is that column of J
    out = next(node for node, names in r.graph.nodes(data="names") if "y" in names)
    np.testing.assert_allclose(r.tangents[out], J[:, n - 1], rtol=1e-5, atol=1e-7)
    # the animated row: the reverse trace's gradient of x is that row of J
    np.testing.assert_allclose(np.reshape(r.reverse_trace.gradients["x"], n), J[m - 1],
                               rtol=1e-5, atol=1e-7)


def test_jacobian_sizes_are_checked():
    with pytest.raises(ValueError, match="from 1 to 8"):
        gc.jacobians(9, 2)
    with pytest.raises(ValueError, match="row must be"):
        gc.jacobians(2, 2, row=2)


def test_forward_mode_figure_lights_the_layers_left_to_right():
    r = gc.jacobians(3, 2)
    fig = gc.forward_mode_figure(r.graph, r.tangents)
    layers = sorted({x for x, _ in gc.layered_layout(r.graph).values()})
    assert len(fig.frames) == len(layers) + 1
    lit = [sum(c == gc.PALETTE["forward"] for c in f.data[2].marker.color) for f in fig.frames]
    assert lit[0] == 0 and lit == sorted(lit) and lit[-1] > 0


def test_heatmaps_draw_the_numbers_given():
    r = gc.jacobians(3, 2)
    fig = gc.heatmaps([("J", r.jacobian)], highlight={0: ("row", 1)})
    np.testing.assert_array_equal(fig.data[0].z, r.jacobian)
    assert len(fig.layout.shapes) == 1


# ---------------------------------------------------------------------------- classifier
def _plain_classifier(prog, rule, steps, lr=0.05):
    """The lab's model in plain TensorFlow + Keras Adam, sign's gradient given by ``rule``."""
    X, t = tf.constant(_literal(prog.source, "X")), tf.constant(_literal(prog.source, "t"))
    w, b = tf.Variable(_literal(prog.source, "w")), tf.Variable(0.0)

    @tf.custom_gradient
    def sign(x):
        return tf.sign(x), lambda dy: rule(x, dy)

    opt = tf.keras.optimizers.Adam(learning_rate=lr)
    for _ in range(steps):
        with tf.GradientTape() as tape:
            logits = tf.reduce_sum(X * sign(w), axis=1) + b
            loss = tf.reduce_mean(tf.nn.softplus(logits) - t * logits)
        opt.apply_gradients(zip(tape.gradient(loss, [w, b]), [w, b]))
    acc = tf.reduce_mean(tf.cast(tf.equal(tf.cast(logits > 0, tf.float32), t), tf.float32))
    return w.numpy(), float(b.numpy()), float(acc)


RULES = {
    "straight_through": lambda x, dy: dy,
    "sigmoid": lambda x, dy: dy * tf.sigmoid(x) * (1 - tf.sigmoid(x)),
    "tanh": lambda x, dy: dy * (1 - tf.tanh(x) ** 2),
    "sigmoid_t": lambda x, dy: dy * tf.sigmoid(x / 0.5) * (1 - tf.sigmoid(x / 0.5)) / 0.5,
    "automatic": lambda x, dy: tf.zeros_like(x),
}


@pytest.mark.parametrize("surrogate", list(RULES))
def test_classifier_trains_as_plain_tensorflow_does(surrogate):
    prog, modes = gc.classifier_program(surrogate)
    recs = list(gc.train_classifier(prog, modes, steps=40))
    w, b, acc = _plain_classifier(prog, RULES[surrogate], 40)
    np.testing.assert_allclose(recs[-1].params["w"], w, rtol=1e-4, atol=1e-5)
    assert abs(recs[-1].params["b"] - b) < 1e-4
    assert gc.accuracy(recs[-1]) == pytest.approx(acc)


@pytest.mark.parametrize("surrogate", ["straight_through", "sigmoid", "tanh", "sigmoid_t"])
def test_each_surrogate_reaches_the_best_diagonal(surrogate):
    prog, modes = gc.classifier_program(surrogate)
    recs = list(gc.train_classifier(prog, modes, steps=150))
    X, t = bc.blobs()
    # the diagonal that separates the blobs best is sign(w) = (+1, +1), whatever b
    best = {s: max(np.mean(((X @ np.array(s) + b0) > 0) == t) for b0 in np.linspace(-2, 2, 81))
            for s in [(1, 1), (1, -1), (-1, 1), (-1, -1)]}
    assert max(best, key=best.get) == (1, 1)
    assert bc.sign_of(recs[-1].params["w"]).tolist() == [1.0, 1.0]
    # from 52.5 % to 97.5 % for every surrogate (the loss's best b on that diagonal)
    assert gc.accuracy(recs[0]) == pytest.approx(0.525)
    assert gc.accuracy(recs[-1]) == pytest.approx(0.975)


def test_automatic_cannot_move_the_weights():
    prog, modes = gc.classifier_program("automatic")
    recs = list(gc.train_classifier(prog, modes, steps=300))
    for r in recs:
        np.testing.assert_array_equal(r.gradients["w"], [0.0, 0.0])
        np.testing.assert_array_equal(r.params["w"], np.float32(bc.W_START))
    assert bc.weight_change(recs[0].values["w"], recs[-1].params["w"]) == 0.0
    assert recs[-1].params["b"] != 0.0                     # the bias alone learns
    assert max(gc.accuracy(r) for r in recs) == pytest.approx(0.525)   # never better


def test_probability_grid_and_line_agree():
    w, b = [0.3, -2.0], 0.5
    axis, P = gc.probability_grid(w, b, size=5)
    (x0, y0), (x1, y1) = gc.decision_line(w, b)
    s = np.sign(w)
    assert abs(s[0] * x0 + s[1] * y0 + b) < 1e-6 and abs(s[0] * x1 + s[1] * y1 + b) < 1e-6
    gx, gy = np.meshgrid(axis, axis)
    np.testing.assert_allclose(P, 1 / (1 + np.exp(-(s[0] * gx + s[1] * gy + b))), rtol=1e-5)


def test_a_narrow_surrogate_with_sgd_barely_moves_w():
    """The accuracy a surrogate allows: sigmoid with T = 0.05 is a bump 0.05 wide, so at
    w = (-0.6, 0.4) its gradient is ~1e-4 of straight-through's; SGD (no normalising, unlike
    Adam) then leaves w's signs where they were, while T = 0.5 crosses in a few steps."""
    finals = {}
    for T in (0.05, 0.5):
        prog, modes = gc.classifier_program("sigmoid_t", T)
        recs = list(gc.train_classifier(prog, modes, optimizer="sgd", learning_rate=0.5,
                                        steps=150))
        finals[T] = (gc.accuracy(recs[-1]), bc.weight_change(recs[0].values["w"],
                                                              recs[-1].params["w"]))
    assert finals[0.05][0] == pytest.approx(0.525) and finals[0.05][1] < 0.1
    assert finals[0.5][0] == pytest.approx(0.975) and finals[0.5][1] > 1.0
