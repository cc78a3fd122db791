"""Lesson 2, straight-through estimators (``pages/2_Straight_through.py``, seed 000):
y = 5x² + 3 in two steps, then bad_step (x² above 5, a constant below) whose automatic
gradient is None where the constant branch runs, and its straight-through rule.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..examples import preset
from ..figures import backward_figure
from ..figures.lessons import straight_through_figure
from ..language import parse
from ..report import event_rows, explain_gradient
from ..tracer import trace
from .shared import Sweep, explorer_link, sweep

__all__ = ["two_step", "TwoStep", "bad_step_at", "straight_through", "StraightThrough",
           "straight_through_figure"]


@dataclass
class TwoStep:
    """Seed 000's two steps at one x: both values, both gradients, y2's backward events."""
    x: float
    y1: float
    y2: float
    grad_y1: float | None     # d y1 / dx (the notebook's "gradient for step 1")
    grad_y2: float | None     # d y2 / dx
    rows: list                # backward events of y2, in TF's order
    link: str


def two_step(x: float = 6.0) -> TwoStep:
    """Seed 000's y1 = x², y2 = 5·y1 + 3 with each step's gradient.

    >>> r = two_step(6.0)
    >>> r.y1, r.y2, r.grad_y1, r.grad_y2
    (36.0, 183.0, 12.0, 60.0)
    """
    p = preset("two_step")
    prog = parse(p.source)
    inputs = {"x": float(x)}
    t1 = trace(prog, inputs=inputs, targets=["y1"])
    t2 = trace(prog, inputs=inputs, targets=["y2"])
    rows = [{"step": r["op"], "upstream": r["upstream"], "local": r["local"],
             "downstream": r["downstream"]} for r in event_rows(t2)]
    return TwoStep(float(x), t2.values["y1"], t2.values["y2"], t1.gradients["x"],
                   t2.gradients["x"], rows,
                   explorer_link(p.source, inputs=inputs, targets=["y2"], preset_key="two_step"))


def bad_step_at(x: float = 2.0, presentation: bool = False, figures: bool = True) -> dict:
    """bad_step at one ``x`` in both modes: values, both steps' gradients, why, and the graph.

    Returns ``{"automatic" | "custom": {"y1", "y2", "grad_y1", "grad_y2", "why", "figure",
    "link"}}``.

    >>> r = bad_step_at(2.0, figures=False)
    >>> r["automatic"]["grad_y1"], r["automatic"]["grad_y2"], r["custom"]["grad_y2"]
    (None, None, 5.0)
    """
    p = preset("bad_step")
    prog = parse(p.source)
    inputs = {"x": float(x)}
    out = {}
    for mode in ("automatic", "custom"):
        modes = {"bad_step": mode}
        t1 = trace(prog, inputs=inputs, modes=modes, targets=["y1"])
        t2 = trace(prog, inputs=inputs, modes=modes, targets=["y2"])
        why = explain_gradient(t2, prog, "x")
        out[mode] = {
            "y1": t2.values["y1"], "y2": t2.values["y2"],
            "grad_y1": t1.gradients["x"], "grad_y2": t2.gradients["x"], "why": why,
            "figure": backward_figure(t2, prog, presentation=presentation)
            if figures else None,
            "link": explorer_link(p.source, inputs=inputs, modes=modes, targets=["y2"],
                                  preset_key="bad_step"),
        }
    return out


@dataclass
class StraightThrough:
    """bad_step swept over x with its automatic and its straight-through gradient."""
    target: str
    automatic: Sweep
    custom: Sweep
    none_ranges: list       # [(x_from, x_to)] where the automatic gradient is None


def straight_through(lo: float = 0.0, hi: float = 10.0, num: int = 101,
                     target: str = "y1") -> StraightThrough:
    """bad_step over x in [lo, hi]: forward value, automatic gradient, straight-through gradient.

    >>> s = straight_through(0.0, 10.0, 11)
    >>> s.automatic.gradients[2], s.custom.gradients[2], s.automatic.gradients[7]
    (None, 1.0, 14.0)
    >>> s.none_ranges
    [(0.0, 5.0)]
    """
    prog = parse(preset("bad_step").source)
    xs = np.linspace(float(lo), float(hi), int(num))
    auto = sweep(prog, "x", xs, target, modes={"bad_step": "automatic"})
    cust = sweep(prog, "x", xs, target, modes={"bad_step": "custom"})
    return StraightThrough(target, auto, cust, _runs(auto.xs, auto.gradients))


def _runs(xs, grads) -> list:
    """Contiguous stretches of x where the gradient is None: [(first x, last x)]."""
    runs, start = [], None
    for x, g in zip(xs, grads):
        if g is None and start is None:
            start = x
        if g is not None and start is not None:
            runs.append((start, prev))
            start = None
        prev = x
    if start is not None:
        runs.append((start, xs[-1]))
    return runs
