"""Lesson 4, numerical stability (``pages/4_Numerical_stability.py``, seeds 001 and 002):
softplus(x) = log(1 + exp(x)) written five ways (:data:`FORMULATIONS`), where exp overflows
in each precision, where each way's value and gradient stay finite over a range of x and at
one x, and the tf.where trap with the node where its NaN is born.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import tensorflow as tf

from ..examples import preset
from ..figures import backward_figure
from ..figures.lessons import stability_map
from ..language import parse
from ..report import explain_gradient, first_nonfinite, fmt
from ..tracer import trace
from ..values import finite
from .shared import _tf_dtype, explorer_link, sweep

__all__ = ["FORMULATIONS", "Formulation", "overflow_threshold", "stability_sweep",
           "stability_figure", "stability_at", "where_trap", "WhereTrap"]


@dataclass(frozen=True)
class Formulation:
    """One way of writing softplus: a program, its functions' modes, its preset, a note."""
    key: str
    title: str
    source: str
    modes: tuple = ()          # ((function, mode), ...)
    preset: str | None = None
    note: str = ""


FORMULATIONS = (
    Formulation("naive", "log(exp(x) + 1), automatic gradient", preset("softplus").source,
                preset="softplus",
                note="exp(x) overflows to inf: the value is inf and the gradient NaN"),
    Formulation("custom", "log(exp(x) + 1), custom gradient", preset("softplus_custom").source,
                preset="softplus_custom",
                note="the rule grad / (1 + 1/exp(x)) stays finite; the forward value does not"),
    Formulation("where", "where(x > 30, x, log(exp(x) + 1))", preset("softplus_where").source,
                preset="softplus_where",
                note="right value, NaN gradient: the branch not taken still runs backward"),
    Formulation("safe_where", "where(x > 30, x, log(exp(minimum(x, 30)) + 1))",
                "# tf.where with a safe inner value: the branch not taken never overflows\n"
                "softplus_v3(z) = where(z > 30, z, log(exp(minimum(z, 30)) + 1))\n"
                "x = Variable(1000.0)\n"
                "y = softplus_v3(x)\n",
                note="both branches are finite everywhere, so 0 × (finite) = 0"),
    Formulation("builtin", "softplus(x), TensorFlow's built-in",
                "# TensorFlow's own tf.math.softplus, written to be stable\n"
                "x = Variable(1000.0)\n"
                "y = softplus(x)\n",
                note="tf.math.softplus is written to avoid the overflow"),
)
"""The softplus formulations compared on the numerical-stability page, unstable first."""


def _formulation(key: str) -> Formulation:
    for f in FORMULATIONS:
        if f.key == key:
            return f
    raise KeyError(key)


def overflow_threshold(dtype: str = "float32") -> float:
    """The largest x whose exp(x) is finite in ``dtype``: log of the dtype's maximum, by TF.

    >>> round(overflow_threshold("float32"), 2), round(overflow_threshold("float64"), 2)
    (88.72, 709.78)
    """
    dt = _tf_dtype(dtype)
    return float(tf.math.log(tf.constant(dt.max, dt)))


def stability_sweep(lo: float = -50.0, hi: float = 1000.0, num: int = 211) -> dict:
    """Every formulation over x in [lo, hi], in float32 and float64: {(key, dtype): Sweep}.

    >>> s = stability_sweep(0.0, 1000.0, 3)        # x = 0, 500, 1000
    >>> s[("naive", "float32")].values[1], s[("naive", "float64")].values[1]
    (inf, 500.0)
    >>> s[("where", "float64")].gradients
    (0.5, 1.0, nan)
    """
    xs = np.linspace(float(lo), float(hi), int(num))
    out = {}
    for f in FORMULATIONS:
        prog = parse(f.source)
        for dtype in ("float32", "float64"):
            out[(f.key, dtype)] = sweep(prog, "x", xs, "y", modes=dict(f.modes), dtype=dtype)
    return out


def stability_figure(sweeps: dict, presentation: bool = False) -> go.Figure:
    """Where each formulation's forward value and gradient stay finite, per precision.

    ``sweeps`` is :func:`stability_sweep`'s result. One row per (formulation, forward |
    gradient), one panel per precision; colour says finite, inf or NaN; hover gives the
    number. Dotted lines mark where exp overflows. The drawing is
    :func:`graphviz_core.figures.lessons.stability_map`, given :data:`FORMULATIONS` and
    :func:`overflow_threshold`.

    >>> fig = stability_figure(stability_sweep(0.0, 1000.0, 3))
    >>> [tr.type for tr in fig.data][:2], len(fig.data[0].y)     # 5 formulations x 2
    (['heatmap', 'heatmap'], 10)
    """
    thresholds = {d: overflow_threshold(d) for d in ("float32", "float64")}
    return stability_map(sweeps, FORMULATIONS, thresholds, presentation)


def stability_at(x: float = 100.0, dtype: str = "float32") -> list:
    """Every formulation at one ``x``: forward value, gradient, and why either is not finite.

    >>> [(r["value"], r["gradient"]) for r in stability_at(100.0)]
    [('inf', 'NaN'), ('inf', '1'), ('100', 'NaN'), ('100', '1'), ('100', '1')]
    """
    rows = []
    for f in FORMULATIONS:
        prog = parse(f.source)
        t = trace(prog, inputs={"x": float(x)}, modes=dict(f.modes), dtype=dtype, expand=True)
        why = explain_gradient(t, prog, "x")
        if not why and not finite(t.values["y"]):
            why = (f"the gradient is right, but the forward value overflowed to "
                   f"{fmt(t.values['y'])}: a custom gradient fixes only the backward pass")
        rows.append({"formulation": f.title, "value": fmt(t.values["y"]),
                     "gradient": fmt(t.gradients["x"]), "why": why,
                     "link": explorer_link(f.source, inputs={"x": float(x)},
                                           modes=dict(f.modes), dtype=dtype, expand=True,
                                           preset_key=f.preset)})
    return rows


@dataclass
class WhereTrap:
    """The tf.where trap next to the safe tf.where at one x: values, gradients, graphs."""
    x: float
    dtype: str
    value: float            # the trap's forward value (1000 at x = 1000)
    gradient: float | None  # the trap's gradient (NaN)
    why: str
    origin: str             # where the NaN was born, in words
    figure: go.Figure | None
    safe_value: float
    safe_gradient: float | None
    safe_figure: go.Figure | None
    link: str
    safe_link: str


def where_trap(x: float = 1000.0, dtype: str = "float32", presentation: bool = False,
               figures: bool = True) -> WhereTrap:
    """The tf.where trap at ``x``, with its ops expanded so the graph marks the NaN's origin.

    >>> w = where_trap(figures=False)
    >>> w.value, w.gradient, w.safe_value, w.safe_gradient
    (1000.0, nan, 1000.0, 1.0)
    >>> w.origin
    'exp: upstream 0 × local inf = NaN'
    """
    trap = _formulation("where")
    safe = _formulation("safe_where")
    inputs = {"x": float(x)}
    pt, ps = parse(trap.source), parse(safe.source)
    tt = trace(pt, inputs=inputs, dtype=dtype, expand=True)
    ts = trace(ps, inputs=inputs, dtype=dtype, expand=True)
    _, bwd = first_nonfinite(tt)
    origin = ""
    if bwd is not None:
        e = tt.events[bwd]
        origin = (f"{e.name}: upstream {fmt(e.upstream)} × local {fmt(e.local)} "
                  f"= {fmt(e.downstream)}")
    return WhereTrap(
        float(x), dtype, tt.values["y"], tt.gradients["x"], explain_gradient(tt, pt, "x"),
        origin,
        backward_figure(tt, pt, presentation=presentation) if figures else None,
        ts.values["y"], ts.gradients["x"],
        backward_figure(ts, ps, presentation=presentation) if figures else None,
        explorer_link(trap.source, inputs=inputs, dtype=dtype, expand=True,
                      preset_key="softplus_where"),
        explorer_link(safe.source, inputs=inputs, dtype=dtype, expand=True))
