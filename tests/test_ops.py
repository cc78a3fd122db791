"""The op registry, one line per op (tinygrad's test_ops style).

Each line is a program using the op on inputs of given shapes. For each, at two random
points: the trace's value and gradient equal plain TensorFlow's bit for bit (the app runs the
same ops), and the float64 gradient matches central finite differences of TensorFlow's
forward pass.
"""
from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

import graphviz_core as gc
from graphviz_core.ops import OPS

# op -> [(expression over inputs a, b; shapes of a, b; the same in plain TensorFlow)]
CASES = {
    "add": [("a + b", [(2, 3), (3,)], lambda a, b: a + b), ("a + b", [(), ()], tf.add)],
    "sub": [("a - b", [(2, 1), (1, 3)], lambda a, b: a - b)],
    "mul": [("a * b", [(3,), ()], lambda a, b: a * b), ("a * b", [(2, 2), (2, 2)], tf.multiply)],
    "div": [("a / b", [(2, 3), (3,)], lambda a, b: a / b)],
    "pow": [("a ** b", [(3,), (3,)], tf.pow), ("a ** 2.0", [(2, 2)], lambda a: a ** 2.0)],
    "neg": [("-a", [(3,)], lambda a: -a)],
    "matmul": [("a @ b", [(2, 3), (3, 2)], lambda a, b: a @ b),
               ("matmul(a, b)", [(1, 2), (2, 2)], tf.matmul)],
    "exp": [("exp(a)", [(3,)], tf.exp), ("exp(a)", [()], tf.exp)],
    "log": [("log(a)", [(2, 2)], tf.math.log)],
    "log1p": [("log1p(a)", [(3,)], tf.math.log1p)],
    "sqrt": [("sqrt(a)", [(3,)], tf.sqrt)],
    "square": [("square(a)", [(2, 3)], tf.square)],
    "abs": [("abs(a)", [(3,)], tf.abs)],
    "sign": [("sign(a)", [(3,)], tf.sign)],
    "relu": [("relu(a)", [(2, 2)], tf.nn.relu)],
    "sigmoid": [("sigmoid(a)", [(3,)], tf.sigmoid)],
    "tanh": [("tanh(a)", [(3,)], tf.tanh)],
    "softplus": [("softplus(a)", [(3,)], tf.nn.softplus)],
    "sin": [("sin(a)", [(3,)], tf.sin), ("sin(a)", [()], tf.sin)],
    "cos": [("cos(a)", [(2, 2)], tf.cos)],
    "round": [("round(a) * a", [(3,)], lambda a: tf.round(a) * a)],
    "floor": [("floor(a) * a", [(3,)], lambda a: tf.floor(a) * a)],
    "stop_gradient": [("stop_gradient(a) * a", [(3,)], lambda a: tf.stop_gradient(a) * a)],
    "ones_like": [("ones_like(a) * b", [(3,), (3,)], lambda a, b: tf.ones_like(a) * b)],
    "zeros_like": [("zeros_like(a) + b", [(3,), (3,)], lambda a, b: tf.zeros_like(a) + b)],
    "where": [("where(a > 0, a, b)", [(2, 3), (2, 3)], lambda a, b: tf.where(a > 0, a, b)),
              ("where(a > b, a * b, b)", [(3,), ()], lambda a, b: tf.where(a > b, a * b, b))],
    "maximum": [("maximum(a, b)", [(3,), (3,)], tf.maximum)],
    "minimum": [("minimum(a, b)", [(2, 3), (3,)], tf.minimum)],
    "clip_by_value": [("clip_by_value(a, -0.6, 0.6)", [(2, 3)],
                       lambda a: tf.clip_by_value(a, -0.6, 0.6))],
    "l2_loss": [("l2_loss(a)", [(2, 3)], tf.nn.l2_loss)],
    "reduce_sum": [("reduce_sum(a)", [(2, 3)], tf.reduce_sum),
                   ("reduce_sum(a, axis=0)", [(2, 3)], lambda a: tf.reduce_sum(a, axis=0)),
                   ("reduce_sum(a, axis=1, keepdims=True)", [(2, 3)],
                    lambda a: tf.reduce_sum(a, axis=1, keepdims=True))],
    "reduce_mean": [("reduce_mean(a, axis=-1)", [(2, 3)], lambda a: tf.reduce_mean(a, -1))],
    "reduce_max": [("reduce_max(a, axis=0)", [(3, 2)], lambda a: tf.reduce_max(a, 0))],
    "reduce_min": [("reduce_min(a)", [(4,)], tf.reduce_min)],
    "reduce_logsumexp": [("reduce_logsumexp(a, axis=1)", [(2, 3)],
                          lambda a: tf.reduce_logsumexp(a, 1))],
    "softmax": [("softmax(a)", [(2, 3)], tf.nn.softmax),
                ("softmax(a, axis=0)", [(2, 3)], lambda a: tf.nn.softmax(a, axis=0))],
    "log_softmax": [("log_softmax(a)", [(3,)], tf.nn.log_softmax)],
    "transpose": [("transpose(a) * b", [(2, 3), (3, 2)], lambda a, b: tf.transpose(a) * b)],
    "reshape": [("reshape(a, [3, 2])", [(2, 3)], lambda a: tf.reshape(a, [3, 2])),
                ("reshape(a, [-1])", [(2, 2)], lambda a: tf.reshape(a, [-1]))],
    "broadcast_to": [("broadcast_to(a, [2, 3])", [(3,)], lambda a: tf.broadcast_to(a, [2, 3]))],
    "concat": [("concat([a, b], axis=0)", [(2, 3), (1, 3)], lambda a, b: tf.concat([a, b], 0)),
               ("concat([a, b])", [(2,), (3,)], lambda a, b: tf.concat([a, b], 0))],
    "stack": [("stack([a, b], axis=1)", [(3,), (3,)], lambda a, b: tf.stack([a, b], 1))],
    "clip_by_norm": [("clip_by_norm(a, 1.0)", [(3,)], lambda a: tf.clip_by_norm(a, 1.0))],
    "getitem": [("a[1]", [(3,)], lambda a: a[1]), ("a[:, 1]", [(2, 3)], lambda a: a[:, 1]),
                ("a[0, 1:3]", [(2, 3)], lambda a: a[0, 1:3]), ("a[-1]", [(2, 2)], lambda a: a[-1])],
}
POSITIVE = {"log", "sqrt", "log1p", "div", "pow"}


def test_every_registry_op_has_a_line():
    assert set(CASES) == set(OPS)


def _values(shapes, seed, positive):
    rng = np.random.default_rng(seed)
    out = []
    for shape in shapes:
        # away from 0, kinks and ties: |v| in [0.2, 1.5], rounded to 3 digits
        v = rng.uniform(0.2, 1.5, size=shape)
        if not positive:
            v = v * rng.choice([-1.0, 1.0], size=shape)
        out.append(np.round(v, 3))
    return out


def _program(expr, values):
    lines = [f"{n} = Variable({v.tolist()!r})" for n, v in zip("abc", values)]
    return "\n".join(lines + [f"y = {expr}"])


def _plain(ref, values, dtype):
    """The reference: the op written directly in TensorFlow, under a plain tape."""
    vs = [tf.Variable(v, dtype=dtype) for v in values]
    with tf.GradientTape() as tape:
        y = ref(*[tf.convert_to_tensor(v) for v in vs])
    return y, tape.gradient(y, vs)


CASE_LIST = [(op, expr, shapes, ref, seed) for op, cases in CASES.items()
             for expr, shapes, ref in cases for seed in (0, 1)]


@pytest.mark.parametrize("op, expr, shapes, ref, seed", CASE_LIST,
                         ids=[f"{c[0]}:{c[1]}:{c[4]}" for c in CASE_LIST])
def test_op_matches_tensorflow_and_finite_differences(op, expr, shapes, ref, seed):
    values = _values(shapes, seed, op in POSITIVE)
    prog = gc.parse(_program(expr, values))
    t = gc.trace(prog)
    y, grads = _plain(ref, values, tf.float32)
    assert prog.shapes["y"] == tuple(y.shape)          # the shape pass agrees with TensorFlow
    assert np.array_equal(np.asarray(t.values["y"]), y.numpy(), equal_nan=True)
    for name, g in zip("abc", grads):
        got = t.gradients[name]
        if g is None:
            assert got is None, name
        else:
            assert np.array_equal(np.asarray(got), g.numpy()), name

    # float64: the gradient against central differences of TensorFlow's forward pass
    t64 = gc.trace(prog, dtype="float64")
    for k, name in enumerate("abc"[:len(values)]):
        got = t64.gradients[name]
        if op in ("round", "floor", "stop_gradient"):
            continue        # TensorFlow's gradient ignores their (zero or undefined) slope
        fd = _finite_differences(ref, values, k)
        if got is None:
            assert np.all(fd == 0), name
        else:
            np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-8, err_msg=name)


def _finite_differences(ref, values, k, h=1e-6):
    out = np.zeros(np.shape(values[k]))
    for idx in np.ndindex(out.shape):
        ys = []
        for sign in (1, -1):
            vs = [np.array(v, dtype=np.float64) for v in values]
            vs[k][idx] += sign * h
            ys.append(float(tf.reduce_sum(ref(*[tf.constant(v, tf.float64) for v in vs]))))
        out[idx] = (ys[0] - ys[1]) / (2 * h)
    return out


def test_local_jacobians_are_tensorflows():
    """An event's local Jacobian is output.shape + input.shape, equal to tape.jacobian."""
    src = "W = Variable([[0.5, -1.0], [2.0, 0.25]])\nx = constant([[1.0], [3.0]])\ny = tanh(W @ x)"
    t = gc.trace(gc.parse(src))
    ev = next(e for e in t.events if e.name == "matmul")
    W, x = tf.constant([[0.5, -1.0], [2.0, 0.25]]), tf.constant([[1.0], [3.0]])
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([W, x])
        z = W @ x
    assert ev.local[0].shape == (2, 1, 2, 2) and ev.local[1].shape == (2, 1, 2, 1)
    np.testing.assert_array_equal(ev.local[0], tape.jacobian(z, W).numpy())
    np.testing.assert_array_equal(ev.local[1], tape.jacobian(z, x).numpy())
    # downstream = upstream · local (a vector-Jacobian product)
    np.testing.assert_allclose(np.tensordot(ev.upstream, ev.local[0], axes=2), ev.downstream[0],
                               rtol=1e-6)


def _ops_in(expr, shapes):
    prog = gc.parse(_program(expr, _values(shapes, 0, True)))
    return sum(isinstance(n, gc.language.Op) for n in gc.language.walk(prog.expressions["y"]))


# the lines that apply one op to inputs (composites such as round(a) * a are left out)
SINGLE = [(op, expr, shapes, ref) for op, expr, shapes, ref, seed in CASE_LIST
          if seed == 0 and _ops_in(expr, shapes) == 1]


@pytest.mark.parametrize("op, expr, shapes, ref", SINGLE, ids=[f"{c[0]}:{c[1]}" for c in SINGLE])
def test_local_jacobian_of_each_op_is_tape_jacobian(op, expr, shapes, ref):
    values = _values(shapes, 0, op in POSITIVE)
    t = gc.trace(gc.parse(_program(expr, values)))
    (ev,) = [e for e in t.events if e.name == op]
    xs = [tf.constant(v, tf.float32) for v in values]
    with tf.GradientTape(persistent=True) as tape:
        tape.watch(xs)
        y = ref(*xs)
    for x, local in zip(xs, ev.local[:len(xs)]):
        want = tape.jacobian(y, x)
        if want is None:
            assert local is None
        else:
            assert np.shape(local) == tuple(y.shape) + tuple(x.shape)
            np.testing.assert_allclose(local, want.numpy(), rtol=1e-6, atol=0)
