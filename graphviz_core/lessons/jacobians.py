"""Lesson 7, Jacobians in reverse and forward mode (``pages/7_Jacobians.py``).

A program with ``n`` inputs (``x``, shape ``(n,)``) and ``m`` outputs (``y``, shape ``(m,)``)
has an ``m`` x ``n`` Jacobian, which ``tape.jacobian`` builds. One reverse pass
(``tape.gradient`` of ``u · y`` with ``u`` the i-th unit vector: a vector-Jacobian product)
gives one *row*; one forward pass under ``tf.autodiff.ForwardAccumulator`` with the tangent
``e_j`` (a Jacobian-vector product) gives one *column*. The whole Jacobian takes ``m`` reverse
passes or ``n`` forward passes: reverse mode is cheaper when there are fewer outputs than
inputs (a loss: one output, many weights), forward mode when there are fewer inputs.

Every pass here runs the program through the engine: rows are :func:`~graphviz_core.tracer.trace`
(whose backward events the page animates), columns are
:func:`~graphviz_core.interpreter.forward` under an accumulator, recorded so that every node's
tangent can be drawn flowing left to right; the reference is ``tape.jacobian`` of the same run.

>>> r = jacobians(3, 2)
>>> r.jacobian.shape, r.reverse_passes, r.forward_passes, r.cheaper
((2, 3), 2, 3, 'reverse')
>>> bool(abs(r.rows[0] - r.jacobian[0]).max() < 1e-6)
True
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..interpreter import GraphRecorder, as_value, forward, input_sources
from ..language import parse
from ..tracer import resolve, trace
from .shared import explorer_link

__all__ = ["jacobian_source", "jacobians", "Jacobians", "MAX_SIZE"]

MAX_SIZE = 8       # inputs and outputs each: the heatmap stays readable

_SOURCE = """\
# y = tanh(W x): {m} outputs of {n} inputs; r = u · y picks one output (u = e_i)
x = Variable({x})
W = constant({W})
u = constant({u})
y = tanh(reduce_sum(W * x, axis=1))
r = reduce_sum(u * y)
"""


def jacobian_source(n_inputs: int = 3, n_outputs: int = 2, seed: int = 0,
                    row: int = 0) -> str:
    """The lesson's program: seeded ``x`` (n,) and ``W`` (m, n); ``u`` is ``e_row``.

    >>> print(jacobian_source(2, 1).splitlines()[1])
    x = Variable([0.13, -0.13])
    """
    n, m = _size(n_inputs, "inputs"), _size(n_outputs, "outputs")
    rng = np.random.default_rng(seed)
    x = np.round(rng.normal(size=n), 2)
    W = np.round(rng.normal(size=(m, n)) * 0.6, 2)
    return _SOURCE.format(m=m, n=n, x=x.tolist(), W=W.tolist(), u=_unit(m, row).tolist())


@dataclass
class Jacobians:
    """The Jacobian of ``y`` by ``x`` three ways, and what each pass cost.

    jacobian        ``tape.jacobian(y, x)``, shape (m, n)
    rows            one reverse pass each: ``d (e_i · y) / d x`` (m of them)
    columns         one forward pass each: ``acc.jvp(y)`` with tangent ``e_j`` (n of them)
    reverse_passes  passes the rows took (m); ``forward_passes`` the columns (n)
    reverse_trace   the trace of row ``row`` (its backward events, for the animation)
    tangents        ``{graph node: tangent}`` of column ``column`` (the forward animation)
    graph           the traced graph both animations are drawn on
    """
    source: str
    n_inputs: int
    n_outputs: int
    x: np.ndarray
    y: np.ndarray
    jacobian: np.ndarray
    rows: list
    columns: list
    reverse_passes: int
    forward_passes: int
    reverse_seconds: float
    forward_seconds: float
    row: int
    column: int
    reverse_trace: object
    tangents: dict
    graph: object
    link: str

    @property
    def cheaper(self) -> str:
        """``"reverse"`` (fewer outputs), ``"forward"`` (fewer inputs) or ``"either"``."""
        if self.reverse_passes == self.forward_passes:
            return "either"
        return "reverse" if self.reverse_passes < self.forward_passes else "forward"


def jacobians(n_inputs: int = 3, n_outputs: int = 2, row: int = 0, column: int = 0,
              seed: int = 0) -> Jacobians:
    """Build the Jacobian row by row (reverse mode) and column by column (forward mode).

    >>> r = jacobians(1, 4)
    >>> r.cheaper, len(r.columns), len(r.rows)
    ('forward', 1, 4)
    """
    n, m = _size(n_inputs, "inputs"), _size(n_outputs, "outputs")
    row, column = _index(row, m, "row"), _index(column, n, "column")
    source = jacobian_source(n, m, seed, row)
    prog = parse(source)

    # the reference: tape.jacobian of one run of the program
    settings = resolve(prog, targets=["r"])
    with tf.GradientTape(persistent=True) as outer:
        run = forward(prog, settings)
    jac = outer.jacobian(run.values["y"], run.sources["x"]).numpy()
    del outer

    # reverse mode: one traced backward pass per output, u = e_i
    t0 = time.perf_counter()
    rows, reverse_passes, shown = [], 0, None
    for i in range(m):
        t = trace(prog, inputs={"u": _unit(m, i)}, targets=["r"])
        reverse_passes += 1
        rows.append(np.asarray(t.gradients["x"]).reshape(n))
        if i == row:
            shown = t
    reverse_seconds = time.perf_counter() - t0

    # forward mode: one run under a ForwardAccumulator per input, tangent e_j
    t0 = time.perf_counter()
    columns, forward_passes, tangents = [], 0, {}
    for j in range(n):
        rec = _KeepTensors(prog)
        sources = input_sources(prog, settings)
        with tf.autodiff.ForwardAccumulator(sources["x"], tf.constant(_unit(n, j),
                                                                      tf.float32)) as acc:
            fwd = forward(prog, settings, rec, sources=sources)
        forward_passes += 1
        columns.append(acc.jvp(fwd.values["y"]).numpy().reshape(m))
        if j == column:
            tangents = {node: _tangent(acc, tensor) for node, tensor in rec.tensors.items()}
    forward_seconds = time.perf_counter() - t0

    return Jacobians(source, n, m, np.asarray(shown.values["x"]).reshape(n),
                     np.asarray(shown.values["y"]).reshape(m), jac, rows, columns,
                     reverse_passes, forward_passes, reverse_seconds, forward_seconds, row,
                     column, shown, tangents, shown.graph,
                     explorer_link(source, targets=["r"]))


class _KeepTensors(GraphRecorder):
    """A recorder that also keeps each node's tensor, to ask the accumulator for its tangent."""

    def __init__(self, prog):
        super().__init__(prog)
        self.tensors = {}

    def value(self, node, tensor):
        self.tensors[node] = tensor
        super().value(node, tensor)


def _tangent(acc, tensor):
    jvp = acc.jvp(tensor)
    return None if jvp is None else as_value(jvp)


def _unit(size: int, i: int) -> np.ndarray:
    e = np.zeros(size)
    e[i] = 1.0
    return e


def _size(v, what: str) -> int:
    if isinstance(v, bool) or not float(v).is_integer() or not 1 <= int(v) <= MAX_SIZE:
        raise ValueError(f"the number of {what} must be a whole number from 1 to {MAX_SIZE}")
    return int(v)


def _index(v, size: int, what: str) -> int:
    if isinstance(v, bool) or not float(v).is_integer() or not 0 <= int(v) < size:
        raise ValueError(f"the {what} must be a whole number from 0 to {size - 1}")
    return int(v)
