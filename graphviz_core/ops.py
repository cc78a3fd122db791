"""The one op registry: every built-in of the language, one entry each.

An entry says everything the rest of the core needs about an op, so that nothing else keeps
a table of its own (autograd's ``defvjp`` table is the model):

* the parser reads ``params`` (arity and the names in a wrong-arity hint), ``keywords``
  (``axis=`` / ``keepdims=``), ``static`` (a parameter that is a literal shape, as in
  ``reshape(x, [2, 3])``) and ``variadic`` (``concat([a, b])``);
* the shape pass calls ``shape`` with the inputs' shapes, before TensorFlow runs, so that a
  mismatch is a :class:`ShapeError` worded for people;
* the tracer calls ``fn``, TensorFlow's own function (nothing is differentiated by hand);
* the graph draws ``label``; codegen and the TensorFlow-Python form use ``spellings`` (the
  first is what the exported script writes);
* ``elementwise`` says each output element depends on the matching (broadcast) input element
  only: a vector run is then many scalar runs, and a local Jacobian is a diagonal.

>>> OPS["exp"].fn is tf.exp, OPS["add"].label, OPS["matmul"].operator
(True, '+', '@')
>>> OPS["reduce_sum"].shape([(2, 3)], {"axis": 0})
(3,)
"""
from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable

import numpy as np
import tensorflow as tf

__all__ = ["OpSpec", "OPS", "ShapeError", "SPELLINGS", "COMPARISONS", "broadcast",
           "normalize_axis", "size"]


class ShapeError(ValueError):
    """Shapes that cannot meet; the shape pass adds the line and column."""

    def __init__(self, message: str, hint: str = ""):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class OpSpec:
    name: str
    params: tuple                     # argument names (hints; arity unless variadic)
    fn: Callable                      # fn(*tensors, **keywords) -> tensor
    shape: Callable                   # shape(input shapes, keywords) -> output shape
    spellings: tuple = ()             # tf. names; the first is the one codegen writes
    label: str = ""                   # drawn on the node; default: the name
    elementwise: bool = False
    keywords: tuple = ()              # keyword arguments the op takes
    static: tuple = ()                # parameters that are literal shapes, not tensors
    variadic: bool = False            # one list argument of tensors
    operator: str | None = None       # Python operator spelling (binary ops and neg)
    differentiable: bool = True       # False: TensorFlow registers no gradient (None)
    domain: str = "any"               # where the registry test samples: any | positive
    named: bool = True                # callable by name in the short form (not `+`, `[ ]`)

    @property
    def text(self) -> str:
        return self.label or self.name


def size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64)) if shape else 1


def _fmt(shape) -> str:
    return str(tuple(shape))


def broadcast(*shapes) -> tuple:
    """TensorFlow's (NumPy's) broadcasting of shapes; a :class:`ShapeError` if they clash.

    >>> broadcast((2, 3), (3,)), broadcast((), (2,))
    ((2, 3), (2,))
    """
    try:
        return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))
    except ValueError:
        raise ShapeError("shapes " + " and ".join(_fmt(s) for s in shapes) +
                         " do not broadcast",
                         "sizes must be equal or 1, compared from the last axis") from None


def normalize_axis(axis, rank: int) -> tuple:
    """Axes as non-negative ints; a :class:`ShapeError` when one is out of range."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    out = []
    for a in axes:
        if not -rank <= a < rank:
            raise ShapeError(f"axis {a} is out of range for a value of rank {rank} "
                             f"(axes {-rank}..{rank - 1})" if rank else
                             f"axis {a} is out of range: the value is a single number "
                             "(rank 0) and has no axes")
        out.append(a % rank)
    if len(set(out)) != len(out):
        raise ShapeError(f"axis {axis} names an axis twice")
    return tuple(out)


# ---------------------------------------------------------------------------- shape rules

def _same(shapes, kw):
    return tuple(shapes[0])


def _bcast(shapes, kw):
    return broadcast(*shapes)


def _scalar(shapes, kw):
    return ()


def _reduce(shapes, kw):
    shape = tuple(shapes[0])
    keep = kw.get("keepdims", False)
    if kw.get("axis") is None:
        return (1,) * len(shape) if keep else ()
    axes = normalize_axis(kw["axis"], len(shape))
    return tuple(1 if i in axes else d for i, d in enumerate(shape) if keep or i not in axes)


def _along_axis(shapes, kw):
    shape = tuple(shapes[0])
    if not shape:
        raise ShapeError("softmax needs at least one axis: the value is a single number")
    normalize_axis(kw.get("axis", -1), len(shape))
    return shape


def _matmul(shapes, kw):
    a, b = (tuple(s) for s in shapes)
    if len(a) != 2 or len(b) != 2:
        raise ShapeError(f"matmul (@) needs two matrices (rank 2); got shapes {_fmt(a)} and "
                         f"{_fmt(b)}", "write a vector as a 1-row or 1-column matrix, "
                         "e.g. [[1.0, 2.0]]; for numbers use *")
    if a[1] != b[0]:
        raise ShapeError(f"matmul (@) of {_fmt(a)} and {_fmt(b)}: the inner sizes differ "
                         f"({a[1]} columns against {b[0]} rows)",
                         "the left one's columns must equal the right one's rows; "
                         "transpose(...) may help")
    return (a[0], b[1])


def _transpose(shapes, kw):
    return tuple(reversed(shapes[0]))


def _reshape(shapes, kw):
    shape, target = tuple(shapes[0]), tuple(kw["shape"])
    known = size([d for d in target if d != -1])
    if target.count(-1) > 1:
        raise ShapeError(f"reshape to {_fmt(target)}: at most one size may be -1")
    if -1 in target:
        if known == 0 or size(shape) % known:
            raise ShapeError(f"reshape of {_fmt(shape)} ({size(shape)} elements) to "
                             f"{_fmt(target)}: the sizes do not divide")
        target = tuple(size(shape) // known if d == -1 else d for d in target)
    if size(target) != size(shape):
        raise ShapeError(f"reshape of {_fmt(shape)} ({size(shape)} elements) to "
                         f"{_fmt(target)} ({size(target)} elements): the sizes differ")
    return target


def _broadcast_to(shapes, kw):
    shape, target = tuple(shapes[0]), tuple(kw["shape"])
    if broadcast(shape, target) != target:
        raise ShapeError(f"broadcast_to: {_fmt(shape)} cannot be broadcast to {_fmt(target)}")
    return target


def _concat(shapes, kw):
    shapes = [tuple(s) for s in shapes]
    rank = len(shapes[0])
    if rank == 0:
        raise ShapeError("concat joins values along an axis; single numbers have none "
                         "(use stack)")
    if any(len(s) != rank for s in shapes):
        raise ShapeError("concat needs values of one rank; got shapes " +
                         ", ".join(_fmt(s) for s in shapes))
    (axis,) = normalize_axis(kw.get("axis", 0), rank)
    for s in shapes:
        if any(d != e for i, (d, e) in enumerate(zip(s, shapes[0])) if i != axis):
            raise ShapeError(f"concat along axis {axis}: shapes " +
                             ", ".join(_fmt(s) for s in shapes) +
                             " differ in another axis")
    out = list(shapes[0])
    out[axis] = sum(s[axis] for s in shapes)
    return tuple(out)


def _stack(shapes, kw):
    shapes = [tuple(s) for s in shapes]
    if any(s != shapes[0] for s in shapes):
        raise ShapeError("stack needs values of one shape; got " +
                         ", ".join(_fmt(s) for s in shapes))
    (axis,) = normalize_axis(kw.get("axis", 0), len(shapes[0]) + 1)
    out = list(shapes[0])
    out.insert(axis, len(shapes))
    return tuple(out)


def _clip_by_norm(shapes, kw):
    if tuple(shapes[1]):
        raise ShapeError(f"clip_by_norm's clip_norm must be a single number, not shape "
                         f"{_fmt(shapes[1])}")
    return tuple(shapes[0])


def _clip_by_value(shapes, kw):
    out = broadcast(*shapes)
    if out != tuple(shapes[0]):
        raise ShapeError(f"clip_by_value: the bounds {_fmt(shapes[1])}, {_fmt(shapes[2])} "
                         f"would change the shape of {_fmt(shapes[0])}")
    return out


def _getitem(shapes, kw):
    shape = list(shapes[0])
    index = kw["index"]
    if len(index) > len(shape):
        raise ShapeError(f"too many indices ({len(index)}) for a value of shape "
                         f"{_fmt(shape)}" if shape else
                         "a subscript needs a tensor, and this is a single number (rank 0)",
                         "index a vector or matrix: x[0], W[:, 1]")
    out = []
    for axis, (item, dim) in enumerate(zip(index, shape)):
        if isinstance(item, int):
            if not -dim <= item < dim:
                raise ShapeError(f"index {item} is out of range for axis {axis} of size {dim} "
                                 f"(shape {_fmt(shape)}; indices {-dim}..{dim - 1})")
        else:
            start, stop, step = item
            if step == 0:
                raise ShapeError("a slice step cannot be 0")
            out.append(len(range(*slice(start, stop, step).indices(dim))))
    return tuple(out) + tuple(shape[len(index):])


def _getitem_fn(x, index):
    return x[tuple(i if isinstance(i, int) else slice(*i) for i in index)]


def _where(c, a, b):
    return tf.where(c, a, b)


# ---------------------------------------------------------------------------- the table

def _e(name, fn, spellings, domain="any", label="", differentiable=True):
    return OpSpec(name, ("x",), fn, _same, spellings, label, elementwise=True,
                  domain=domain, differentiable=differentiable)


def _b(name, fn, spellings, operator=None, label="", domain="any"):
    return OpSpec(name, ("a", "b"), fn, _bcast, spellings, label, elementwise=True,
                  operator=operator, domain=domain, named=operator is None)


def _r(name, fn, spellings):
    return OpSpec(name, ("x",), fn, _reduce, spellings, keywords=("axis", "keepdims"))


_TABLE = (
    # operators
    _b("add", tf.add, ("tf.add", "tf.math.add"), "+", "+"),
    _b("sub", tf.subtract, ("tf.subtract", "tf.math.subtract"), "-", "−"),
    _b("mul", tf.multiply, ("tf.multiply", "tf.math.multiply"), "*", "×"),
    _b("div", tf.math.truediv, ("tf.divide", "tf.math.divide", "tf.math.truediv",
                                "tf.truediv"), "/", "÷", domain="positive"),
    _b("pow", tf.pow, ("tf.pow", "tf.math.pow"), "**", "**", domain="positive"),
    OpSpec("neg", ("x",), tf.negative, _same, ("tf.negative", "tf.math.negative"), "neg",
           elementwise=True, operator="-", named=False),
    OpSpec("matmul", ("a", "b"), tf.matmul, _matmul, ("tf.matmul", "tf.linalg.matmul"), "@",
           operator="@"),
    # elementwise functions
    _e("exp", tf.exp, ("tf.exp", "tf.math.exp")),
    _e("log", tf.math.log, ("tf.math.log", "tf.log"), "positive"),
    _e("log1p", tf.math.log1p, ("tf.math.log1p",), "positive"),
    _e("sqrt", tf.sqrt, ("tf.sqrt", "tf.math.sqrt"), "positive"),
    _e("square", tf.square, ("tf.square", "tf.math.square")),
    _e("abs", tf.abs, ("tf.abs", "tf.math.abs")),
    _e("sign", tf.sign, ("tf.sign", "tf.math.sign")),
    _e("relu", tf.nn.relu, ("tf.nn.relu",)),
    _e("sigmoid", tf.math.sigmoid, ("tf.math.sigmoid", "tf.sigmoid", "tf.nn.sigmoid")),
    _e("tanh", tf.tanh, ("tf.tanh", "tf.math.tanh", "tf.nn.tanh")),
    _e("softplus", tf.math.softplus, ("tf.math.softplus", "tf.nn.softplus")),
    _e("sin", tf.sin, ("tf.sin", "tf.math.sin")),
    _e("cos", tf.cos, ("tf.cos", "tf.math.cos")),
    _e("round", tf.round, ("tf.round", "tf.math.round"), differentiable=False),
    _e("floor", tf.floor, ("tf.floor", "tf.math.floor"), differentiable=False),
    _e("stop_gradient", tf.stop_gradient, ("tf.stop_gradient",), differentiable=False),
    _e("ones_like", tf.ones_like, ("tf.ones_like",), differentiable=False),
    _e("zeros_like", tf.zeros_like, ("tf.zeros_like",), differentiable=False),
    OpSpec("where", ("condition", "a", "b"), _where, _bcast, ("tf.where",), elementwise=True),
    _b("maximum", tf.maximum, ("tf.maximum", "tf.math.maximum")),
    _b("minimum", tf.minimum, ("tf.minimum", "tf.math.minimum")),
    OpSpec("clip_by_value", ("x", "clip_value_min", "clip_value_max"), tf.clip_by_value,
           _clip_by_value, ("tf.clip_by_value",), elementwise=True),
    # whole-tensor ops
    OpSpec("l2_loss", ("x",), tf.nn.l2_loss, _scalar, ("tf.nn.l2_loss",)),
    _r("reduce_sum", tf.reduce_sum, ("tf.reduce_sum", "tf.math.reduce_sum")),
    _r("reduce_mean", tf.reduce_mean, ("tf.reduce_mean", "tf.math.reduce_mean")),
    _r("reduce_max", tf.reduce_max, ("tf.reduce_max", "tf.math.reduce_max")),
    _r("reduce_min", tf.reduce_min, ("tf.reduce_min", "tf.math.reduce_min")),
    _r("reduce_logsumexp", tf.reduce_logsumexp, ("tf.reduce_logsumexp",
                                                 "tf.math.reduce_logsumexp")),
    OpSpec("softmax", ("x",), tf.nn.softmax, _along_axis, ("tf.nn.softmax", "tf.math.softmax"),
           keywords=("axis",)),
    OpSpec("log_softmax", ("x",), tf.nn.log_softmax, _along_axis,
           ("tf.nn.log_softmax", "tf.math.log_softmax"), keywords=("axis",)),
    OpSpec("transpose", ("x",), tf.transpose, _transpose, ("tf.transpose",), "transpose"),
    OpSpec("reshape", ("x", "shape"), lambda x, shape: tf.reshape(x, shape), _reshape,
           ("tf.reshape",), static=("shape",)),
    OpSpec("broadcast_to", ("x", "shape"), lambda x, shape: tf.broadcast_to(x, shape),
           _broadcast_to, ("tf.broadcast_to",), static=("shape",)),
    OpSpec("concat", ("values",), lambda *xs, axis=0: tf.concat(list(xs), axis), _concat,
           ("tf.concat",), keywords=("axis",), variadic=True),
    OpSpec("stack", ("values",), lambda *xs, axis=0: tf.stack(list(xs), axis), _stack,
           ("tf.stack",), keywords=("axis",), variadic=True),
    OpSpec("clip_by_norm", ("x", "clip_norm"), tf.clip_by_norm, _clip_by_norm,
           ("tf.clip_by_norm",)),
    OpSpec("getitem", ("x",), _getitem_fn, _getitem, (), "[ ]", static=("index",),
           named=False),
)

OPS = MappingProxyType({spec.name: spec for spec in _TABLE})
"""name -> :class:`OpSpec`, for every built-in (read-only)."""

SPELLINGS = MappingProxyType({s: spec.name for spec in _TABLE for s in spec.spellings})
"""``"tf.math.exp"`` -> ``"exp"``: every ``tf.`` spelling of a registry op."""

COMPARISONS = MappingProxyType({
    ">": tf.greater, ">=": tf.greater_equal, "<": tf.less, "<=": tf.less_equal,
    "==": tf.equal, "!=": tf.not_equal})
"""Comparison operators (conditions only) -> TensorFlow; they return booleans."""

LOGIC = MappingProxyType({"and": tf.logical_and, "or": tf.logical_or, "not": tf.logical_not})
