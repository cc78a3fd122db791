"""Training curves of the sign-training lab (``pages/5_Sign_training_lab.py``, seed 003):
several runs overlaid in a 2 x 2 grid of loss, the parameter, a value and the gradient.

The runs are :class:`~graphviz_core.training.StepRecord` lists from
:func:`~graphviz_core.training.train`; :func:`training_spec` builds the plain dict the page
ships, :func:`training_figure` the same as a ``go.Figure``.
"""
from __future__ import annotations

import functools
import json
import math

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder

from ..training.records import default_value_name
from .palette import PALETTE

__all__ = ["training_figure", "training_spec", "RUN_COLORS"]

# Okabe-Ito colours and dashes per run, in order: distinct in colour, and in dash for print.
RUN_COLORS = (PALETTE["gradient"], PALETTE["active"], PALETTE["done"], PALETTE["custom"],
              PALETTE["nan"], PALETTE["forward"], PALETTE["ink"])
_DASHES = ("solid", "solid", "dash", "dot", "dashdot", "longdash", "longdashdot")


def training_figure(runs, param: str | None = None, value: str | None = None,
                    steps: int | None = None, presentation: bool = False,
                    height: int | None = None, value_title: str | None = None) -> go.Figure:
    """Training curves of several runs overlaid: loss, the parameter, a value, the gradient.

    ``runs`` is a list of ``(label, [StepRecord])``. ``param`` defaults to the first trained
    parameter, ``value`` to the value the loss is computed from (``y``); ``steps`` fixes the
    step axis (so curves grow left to right while training runs). The figure is
    :func:`training_spec` as a ``go.Figure``.

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> fig = training_figure([("custom", list(gc.train(prog, "x", "loss", steps=20)))])
    >>> [a.text for a in fig.layout.annotations][:4]
    ['loss', 'x (after the update)', 'y', 'gradient d loss / d x']
    """
    spec = training_spec(runs, param, value, steps, presentation, height, value_title)
    return go.Figure(spec, _validate=False)


def training_spec(runs, param: str | None = None, value: str | None = None,
                  steps: int | None = None, presentation: bool = False,
                  height: int | None = None, value_title: str | None = None) -> dict:
    """:func:`training_figure` as the plain dict plotly.js reads (``{"data", "layout"}``).

    The same chart as plotly's ``make_subplots`` and ``go.Scatter`` give, without building
    and validating plotly objects on every call: the lab redraws it after every chunk of
    steps while a run trains (31 ms a figure that way, for one 100-step run; bench/README.md).
    Each call returns new dicts, which the caller may change.

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> spec = training_spec([("run", list(gc.train(prog, "x", "loss", steps=3)))])
    >>> [d["yaxis"] for d in spec["data"]], [round(x, 2) for x in spec["data"][1]["y"]]
    (['y', 'y2', 'y3', 'y4'], [-0.9, -0.8, -0.7])
    """
    runs = [(label, list(records)) for label, records in runs]
    first = next((recs[0] for _, recs in runs if recs), None)
    if first is not None:
        param = param or next(iter(first.params))
        value = value or default_value_name(first)
    param = param or "x"
    tensor = first is not None and isinstance(first.params.get(param), np.ndarray)
    shown = f"‖{param}‖" if tensor else param
    titles = ("loss", f"{shown} (after the update)", value_title or value or "value",
              f"gradient {'‖d loss / d ' + param + '‖' if tensor else 'd loss / d ' + param}")
    data = []
    for i, (label, recs) in enumerate(runs):
        color, dash = RUN_COLORS[i % len(RUN_COLORS)], _DASHES[i % len(_DASHES)]
        xs = [r.step for r in recs]
        series = (
            [_finite_or_none(r.loss) for r in recs],
            [_finite_or_none(r.params.get(param)) for r in recs],
            [_finite_or_none(r.values.get(value)) for r in recs],
            [_finite_or_none(r.gradients.get(param)) for r in recs],
        )
        for k, ys in enumerate(series):
            axis = "" if k == 0 else str(k + 1)     # make_subplots' names, row by row
            data.append(dict(
                type="scatter", x=xs, y=ys, mode="lines", name=label, legendgroup=f"run{i}",
                showlegend=k == 0, line=dict(color=color, dash=dash, width=4 if i == 0 else 3),
                hovertemplate=f"{label}<br>step %{{x}}<br>{titles[k]}: %{{y:.7g}}<extra></extra>",
                xaxis=f"x{axis}", yaxis=f"y{axis}"))
    layout = json.loads(_training_layout(titles, presentation, height, steps))
    return {"data": data, "layout": layout}


@functools.lru_cache(maxsize=64)
def _training_layout(titles: tuple, presentation: bool, height, steps) -> str:
    """The 2 x 2 grid's layout as JSON (a string: a constant no caller can change)."""
    base = 20 if presentation else 16
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.14, horizontal_spacing=0.09)
    # x = 0 is where sign flips: the line the surrogate has to carry x across
    fig.add_hline(y=0, row=1, col=2, line=dict(color=PALETTE["muted"], width=1.5, dash="dot"),
                  exclude_empty_subplots=False)     # the grid has no curves yet
    if steps:
        fig.update_xaxes(range=[0, max(1, steps - 1)])
    fig.update_xaxes(title_text="step", row=2)
    # the axes' numbers follow the layout's font (plotly draws them at 12 px otherwise)
    fig.update_xaxes(tickfont=dict(size=base - 2))
    fig.update_yaxes(tickfont=dict(size=base - 2))
    fig.update_layout(
        height=height or (760 if presentation else 620), template="plotly_white",
        font=dict(size=base, color=PALETTE["ink"]), margin=dict(l=60, r=20, t=70, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, font=dict(size=base)),
        hovermode="x unified", uirevision="training")
    fig.update_annotations(font=dict(size=base + 2))
    return json.dumps(fig.to_plotly_json()["layout"], cls=PlotlyJSONEncoder)


def _finite_or_none(v):
    """None for a gap: a None gradient, NaN and inf are not drawn as numbers. A tensor is
    drawn as its norm (the curve's title says ‖·‖)."""
    if isinstance(v, np.ndarray):
        v = float(np.linalg.norm(v))
    return v if v is not None and math.isfinite(v) else None
