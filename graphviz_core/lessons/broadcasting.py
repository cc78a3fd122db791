"""Lesson 6, shapes and broadcasting (``pages/6_Shapes_and_broadcasting.py``).

When TensorFlow broadcasts an input (a bias ``b`` of shape ``(3,)`` added to a batch ``X`` of
shape ``(4, 3)``), the same element of ``b`` is used in every row, so its gradient is the *sum*
of the upstream over the broadcast axis: TensorFlow's ``_AddGrad`` and ``_MulGrad`` end in
``reduce_sum`` + ``reshape`` (``broadcast_gradient_args``), autograd's rules in
``unbroadcast``. A custom rule that forgets that sum returns a gradient of the batch's shape;
TensorFlow hands it on without a check, and :func:`~graphviz_core.checks.rule_checks` names
it. The same mistake shipped in TensorFlow's own ``tf.nn.silu`` with a per-column ``beta``
(tensorflow#127690: a scalar gradient for a ``(3,)`` parameter), rebuilt here as a program.

Every case is a program run by :func:`~graphviz_core.tracer.trace`: the numbers are
TensorFlow's, now.

>>> r = broadcast_case("bias")
>>> r.param_shape, r.upstream.shape, r.gradient.shape
((3,), (4, 3), (3,))
>>> bool((abs(r.gradient - r.upstream.sum(axis=0)) < 1e-5).all())
True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..checks import rule_checks
from ..language import parse
from ..report import fmt
from ..tracer import tf_words, trace
from ..values import shape_of
from .shared import explorer_link

__all__ = ["BROADCAST_CASES", "BroadcastCase", "broadcast_case", "batch_literal"]

_ROWS = 4


def batch_literal(rows: int = _ROWS, cols: int = 3, seed: int = 0) -> str:
    """A small seeded batch as a program literal: ``rows`` x ``cols`` numbers, 2 decimals.

    >>> batch_literal(2, 2)
    '[[0.13, -0.13], [0.64, 0.1]]'
    """
    a = np.round(np.random.default_rng(seed).normal(size=(rows, cols)), 2)
    return repr(a.tolist())


# (title, program with {X}, the broadcast parameter, its op, what the case shows)
_CASES = {
    "bias": ("A bias added to a batch: X + b", """\
X = constant({X})
b = Variable([0.5, -1.0, 2.0])
h = X + b
y = reduce_sum(h ** 2)
""", "b", "add", "b is used once in every row of the batch, so every row sends it a "
         "gradient, and TensorFlow adds them up: d y / d b is the upstream summed over axis 0."),
    "scale": ("A per-column scale: X * b", """\
X = constant({X})
b = Variable([0.5, -1.0, 2.0])
h = X * b
y = reduce_sum(h ** 2)
""", "b", "mul", "Each row contributes upstream × X to b's gradient (the local derivative of "
         "X * b by b is X), and the rows are summed: reduce_sum(upstream * X, axis=0)."),
    "forgot": ("A custom rule that forgets the reduce_sum", """\
add_bias(X, b) = X + b
grad add_bias(X, b, dy) = dy, dy
X = constant({X})
b = Variable([0.5, -1.0, 2.0])
h = add_bias(X, b)
y = reduce_sum(h ** 2)
""", "b", "add_bias", "The rule gives b the upstream itself, shape (4, 3): it forgot to sum "
                      "over the batch. TensorFlow does not check a custom rule's shape; it "
                      "hands the (4, 3) array on as b's gradient."),
    "fixed": ("The fixed rule: reduce_sum over axis 0", """\
add_bias(X, b) = X + b
grad add_bias(X, b, dy) = dy, reduce_sum(dy, axis=0)
X = constant({X})
b = Variable([0.5, -1.0, 2.0])
h = add_bias(X, b)
y = reduce_sum(h ** 2)
""", "b", "add_bias", "Summing the upstream over the broadcast axis gives b a (3,) gradient, "
                      "the same numbers as TensorFlow's automatic gradient."),
    "silu_bug": ("tensorflow#127690: silu with a per-column beta", """\
silu(x, beta) = x * sigmoid(beta * x)
grad silu(x, beta, dy) = dy * (sigmoid(beta * x) + beta * x * sigmoid(beta * x) * (1 - sigmoid(beta * x))), reduce_sum(dy * x * x * sigmoid(beta * x) * (1 - sigmoid(beta * x)))
X = constant({X})
beta = Variable([1.0, 0.5, 2.0])
h = silu(X, beta)
y = reduce_sum(h)
""", "beta", "silu", "TensorFlow's silu rule summed beta's gradient over every axis, "
                     "because beta used to be one number. With a per-column beta that "
                     "gives a single number for a (3,) parameter: no error, a wrong shape."),
    "silu_fixed": ("silu fixed: sum over the batch axis only", """\
silu(x, beta) = x * sigmoid(beta * x)
grad silu(x, beta, dy) = dy * (sigmoid(beta * x) + beta * x * sigmoid(beta * x) * (1 - sigmoid(beta * x))), reduce_sum(dy * x * x * sigmoid(beta * x) * (1 - sigmoid(beta * x)), axis=0)
X = constant({X})
beta = Variable([1.0, 0.5, 2.0])
h = silu(X, beta)
y = reduce_sum(h)
""", "beta", "silu", "Summing over the axis that broadcasting added (axis 0), and only "
                     "that one, gives beta one gradient per column, as automatic does."),
}
BROADCAST_CASES = {k: v[0] for k, v in _CASES.items()}


@dataclass
class BroadcastCase:
    """One broadcasting program traced by TensorFlow.

    upstream    what reaches the broadcasting node (the batch's shape)
    downstream  what the node sends the parameter (TensorFlow's sum, or a rule's result)
    gradient    ``d y / d param`` as ``tape.gradient`` returned it (None if it refused)
    automatic   the same program with every function automatic: TensorFlow's own answer
    checks      :func:`rule_checks` messages ``(kind, message)``
    error       TensorFlow's refusal of the backward pass, in words (None when it ran)
    library_gradient  for the silu cases, ``tape.gradient`` through the installed
                TensorFlow's own ``tf.nn.silu(X, beta=beta)``
    sgd_step    what one Keras SGD step (learning rate 0.1) does with that gradient: the
                parameter after it, or TensorFlow's refusal in words
    """
    key: str
    title: str
    source: str
    param: str
    param_shape: tuple
    upstream: np.ndarray
    downstream: object
    gradient: object
    automatic: np.ndarray
    checks: list
    error: str | None
    note: str
    trace: object
    link: str
    sgd_step: str = ""
    library_gradient: object = None   # silu cases: the installed tf.nn.silu's d y / d beta

    @property
    def gradient_shape(self):
        return shape_of(self.gradient)


def broadcast_case(key: str = "bias", rows: int = _ROWS, seed: int = 0) -> BroadcastCase:
    """Trace one of :data:`BROADCAST_CASES` on a seeded ``rows`` x 3 batch.

    >>> r = broadcast_case("forgot")
    >>> r.gradient_shape, [k for k, _ in r.checks]
    ((4, 3), ['shape', 'automatic'])
    >>> broadcast_case("silu_bug").gradient_shape
    ()
    """
    if key not in _CASES:
        raise ValueError(f"unknown case {key!r}; choose one of {', '.join(_CASES)}")
    title, template, param, op, note = _CASES[key]
    source = template.format(X=batch_literal(rows, 3, seed))
    prog = parse(source)
    t = trace(prog)
    auto = trace(prog, modes={f: "automatic" for f in prog.functions})
    ev = next(e for e in t.events if e.name == op)
    slot = _param_slot(t, ev, param)
    return BroadcastCase(
        key, title, source, param, shape_of(t.values[param]), np.asarray(ev.upstream),
        ev.downstream[slot], t.gradients[param], np.asarray(auto.gradients[param]),
        [(c.kind, c.message) for c in rule_checks(t) if c.param == param], t.error, note, t,
        explorer_link(source, targets=["y"]), _sgd_step(t.values[param], t.gradients[param]),
        _library_silu(t.values["X"], t.values[param]) if key.startswith("silu") else None)


def _library_silu(X, beta):
    """d sum(tf.nn.silu(X, beta)) / d beta from TensorFlow's own silu (float or array)."""
    b = tf.Variable(beta, dtype=tf.float32)
    with tf.GradientTape() as tape:
        y = tf.reduce_sum(tf.nn.silu(tf.constant(X, tf.float32), beta=b))
    g = tape.gradient(y, b).numpy()
    return float(g) if g.ndim == 0 else g


def _sgd_step(value, gradient) -> str:
    """One ``tf.keras.optimizers.SGD(0.1)`` step on a copy of the parameter, in words."""
    if gradient is None:
        return "there is no gradient to apply"
    var = tf.Variable(value, dtype=tf.float32)
    try:
        tf.keras.optimizers.SGD(0.1).apply_gradients([(tf.constant(gradient, tf.float32), var)])
    except tf.errors.OpError as e:
        return f"Keras refuses the step: {tf_words(e)}"
    return f"SGD(0.1) moves it to {fmt(var.numpy())}"


def _param_slot(t, ev, param) -> int:
    """Which of the event's inputs is ``param`` (the one with its value)."""
    want = np.asarray(t.values[param])
    for i, x in enumerate(ev.inputs):
        if shape_of(x) == want.shape and np.array_equal(np.asarray(x), want):
            return i
    raise ValueError(f"{param} is not an input of {ev.name}")
