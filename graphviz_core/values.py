"""Questions about the values a trace holds: a float, a ``numpy.ndarray`` or None.

One place, so that reports and figures ask "is it finite?" the same way of a number and
of a tensor.

>>> import numpy as np
>>> finite(2.0), finite(np.array([1.0, np.inf])), finite(None)
(True, False, False)
>>> same(np.array([np.nan, 1.0]), np.array([np.nan, 1.0])), same(1.0, 1.0 + 1e-9, rel=1e-6)
(True, True)
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["finite", "nonfinite", "has_nan", "all_zero", "any_zero", "same", "shape_of",
           "is_tensor", "vjp"]


def is_tensor(v) -> bool:
    return isinstance(v, np.ndarray) and v.ndim > 0


def shape_of(v) -> tuple | None:
    return None if v is None else tuple(np.shape(v))


# Each has a fast path for a float: the figure asks these of every node in every frame.

def finite(v) -> bool:
    """Not None, and every element finite."""
    if isinstance(v, float):
        return math.isfinite(v)
    return v is not None and bool(np.all(np.isfinite(v)))


def nonfinite(v) -> bool:
    """Not None, and some element inf or NaN."""
    if isinstance(v, float):
        return not math.isfinite(v)
    return v is not None and not bool(np.all(np.isfinite(v)))


def has_nan(v) -> bool:
    if isinstance(v, float):
        return math.isnan(v)
    return v is not None and bool(np.any(np.isnan(v)))


def all_zero(v) -> bool:
    if isinstance(v, float):
        return v == 0.0
    return v is not None and bool(np.all(np.asarray(v) == 0))


def any_zero(v) -> bool:
    if isinstance(v, float):
        return v == 0.0
    return v is not None and bool(np.any(np.asarray(v) == 0))


def same(a, b, rel: float = 0.0) -> bool:
    """Both None, or the same shape with equal elements (NaN equals NaN; ``rel`` tolerance)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= rel * max(abs(a), abs(b))
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        return False
    if rel == 0:
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.allclose(a, b, rtol=rel, atol=0.0, equal_nan=True))


def vjp(upstream, local):
    """upstream · local: the upstream contracted with a local Jacobian over the output's axes
    (a vector-Jacobian product); None where the shapes do not fit. inf × 0 gives NaN quietly.

    >>> vjp(2.0, 3.0), vjp(np.array([1.0, 2.0]), np.eye(2)).tolist(), vjp(np.ones(2), np.ones(3))
    (6.0, [1.0, 2.0], None)
    """
    up = np.asarray(upstream, dtype=np.float64)
    jac = np.asarray(local, dtype=np.float64)
    if jac.shape[:up.ndim] != up.shape:
        return None
    with np.errstate(all="ignore"):
        out = np.tensordot(up, jac, axes=up.ndim) if up.ndim else up * jac
    return float(out) if out.ndim == 0 else out
