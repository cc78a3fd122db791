"""The binarized classifier lab (``pages/8_Binarized_classifier.py``): a linear model whose
weights go through ``sign`` in the forward pass, trained with the sign lab's surrogates.

The data are two seeded Gaussian blobs in 2-D (:func:`blobs`), written into the program as a
constant, so the whole model is one program of the app's language (:func:`classifier_program`)
and trains with :class:`~graphviz_core.training.Trainer` (a Keras optimizer, compiled):

    logits = reduce_sum(X * differentiable_sign(w), axis=1) + b
    loss   = reduce_mean(softplus(logits) - t * logits)      # sigmoid cross-entropy

With TensorFlow's own gradient of sign (0), ``w`` cannot move: only the bias learns. A
surrogate gives ``w`` a gradient, so its sign can flip and the boundary turn. Because the
weights are ±1, the boundary's direction is one of four diagonals: the best accuracy is that
of the diagonal that separates the blobs, whatever the surrogate.

The accuracy of a step (:func:`accuracy`) and the model's probability over the plane
(:func:`probability_grid`) are computed by TensorFlow from the step's numbers.

>>> prog, modes = classifier_program("straight_through")
>>> recs = list(train_classifier(prog, modes, steps=60))
>>> accuracy(recs[0]) < 0.7 < accuracy(recs[-1])
True
"""
from __future__ import annotations

import numpy as np
import tensorflow as tf

from ..language import parse
from .loop import train
from .surrogates import SURROGATES

__all__ = ["blobs", "classifier_program", "train_classifier", "accuracy", "probability_grid",
           "decision_line", "sign_of", "weight_change", "PARAMS", "TARGET", "POINTS", "W_START"]

PARAMS = ("w", "b")
TARGET = "loss"
POINTS = 40                 # 40 points x 2 coordinates: well inside the 256-element limit
W_START = (-0.6, 0.4)       # sign(w) = (-1, 1): the boundary starts across the blobs
_FN = "differentiable_sign"

_SOURCE = """\
# A binarized linear classifier: the weights go through sign in the forward pass.
# Backward pass of sign: {label}
{fn}(x) = sign(x)
grad {fn}(x, upstream) = {rule}
X = constant({X})
t = constant({t})
w = Variable({w})
b = Variable({b})
logits = reduce_sum(X * {fn}(w), axis=1) + b
loss = reduce_mean(softplus(logits) - t * logits)
"""


def blobs(n: int = POINTS, seed: int = 0, spread: float = 0.7):
    """``(X, t)``: ``n`` points in two seeded Gaussian blobs around (1, 1) and (-1, -1).

    >>> X, t = blobs(6)
    >>> X.shape, t.tolist()
    ((6, 2), [0.0, 1.0, 0.0, 1.0, 0.0, 1.0])
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n) % 2 * 1.0
    centre = np.where(t[:, None] == 1.0, 0.9, -0.9) * np.ones((n, 2))
    X = np.round(centre + rng.normal(scale=spread, size=(n, 2)), 2)
    return X, t


def classifier_program(surrogate: str = "straight_through", temperature: float | None = None,
                       w=W_START, b: float = 0.0, seed: int = 0):
    """The classifier as a program with the chosen gradient for sign: ``(Program, modes)``.

    >>> prog, modes = classifier_program("automatic")
    >>> sorted(prog.inputs), modes
    (['X', 'b', 't', 'w'], {'differentiable_sign': 'automatic'})
    """
    if surrogate not in SURROGATES or surrogate == "custom":
        choices = ", ".join(k for k in SURROGATES if k != "custom")
        raise ValueError(f"unknown surrogate {surrogate!r}; choose one of {choices}")
    sur = SURROGATES[surrogate]
    mode = "automatic" if sur.rule is None else "custom"
    rule = SURROGATES["sigmoid"].rule if sur.rule is None else sur.rule_text(temperature)
    X, t = blobs(seed=seed)
    source = _SOURCE.format(label=sur.label, fn=_FN, rule=rule, X=X.tolist(), t=t.tolist(),
                            w=[float(v) for v in w], b=float(b))
    return parse(source), {_FN: mode}


def train_classifier(prog, modes, optimizer: str = "adam", learning_rate: float = 0.05,
                     steps: int = 150):
    """Train ``w`` and ``b`` to minimise the loss: an iterator of StepRecords (``train``'s).

    >>> prog, modes = classifier_program("tanh")
    >>> [r.step for r in train_classifier(prog, modes, steps=3)]
    [0, 1, 2]
    """
    return train(prog, list(PARAMS), TARGET, modes=modes, optimizer=optimizer,
                 learning_rate=learning_rate, steps=steps)


def accuracy(record) -> float:
    """The share of points on their class's side of the boundary, before the step's update.

    >>> prog, modes = classifier_program("automatic")
    >>> round(accuracy(next(iter(train_classifier(prog, modes, steps=1)))), 3)
    0.525
    """
    logits = tf.constant(record.values["logits"])
    t = tf.constant(record.values["t"], logits.dtype)
    right = tf.equal(tf.cast(logits > 0, logits.dtype), t)
    return float(tf.reduce_mean(tf.cast(right, tf.float32)))


def decision_line(w, b, span: float = 3.0):
    """Two points of the line ``sign(w) · x + b = 0`` across the plot (``None`` if sign(w) is 0).

    >>> decision_line([0.5, 2.0], 0.0)
    ((-3.0, 3.0), (3.0, -3.0))
    """
    s = tf.sign(tf.constant(w, tf.float32)).numpy()
    b = float(b)
    if s[1] != 0:
        return ((-span, float((-b + s[0] * span) / s[1])),
                (span, float((-b - s[0] * span) / s[1])))
    if s[0] != 0:
        return ((float(-b / s[0]), -span), (float(-b / s[0]), span))
    return None


def probability_grid(w, b, span: float = 3.0, size: int = 41):
    """``(axis, P)``: the model's probability of class 1 on a ``size`` x ``size`` grid, by TF.

    >>> axis, P = probability_grid([1.0, 1.0], 0.0, size=3)
    >>> axis.tolist(), round(float(P[1, 1]), 2), bool(P[2, 2] > 0.9)
    ([-3.0, 0.0, 3.0], 0.5, True)
    """
    axis = np.linspace(-span, span, size)
    gx, gy = np.meshgrid(axis, axis)             # P[row = x2, column = x1]
    pts = tf.constant(np.stack([gx.ravel(), gy.ravel()], 1), tf.float32)
    s = tf.sign(tf.constant(w, tf.float32))
    p = tf.sigmoid(tf.reduce_sum(pts * s, axis=1) + float(b))
    return axis, tf.reshape(p, (size, size)).numpy()


def sign_of(w) -> np.ndarray:
    """``tf.sign`` of the weights: what the forward pass multiplies the points by.

    >>> sign_of([-0.6, 0.4]).tolist()
    [-1.0, 1.0]
    """
    return tf.sign(tf.constant(w, tf.float32)).numpy()


def weight_change(before, after) -> float:
    """The largest change of one weight between two steps (0.0: the weights did not move).

    >>> weight_change([-0.6, 0.4], [-0.6, 0.9])
    0.5
    """
    d = tf.abs(tf.constant(after, tf.float64) - tf.constant(before, tf.float64))
    return float(tf.reduce_max(d))
