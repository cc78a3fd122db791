"""The binarized classifier lab's figures (``pages/8_Binarized_classifier.py``): loss and
accuracy of several runs overlaid, and the decision boundary over the points.

Figures only draw: the accuracies, the probability grid and the boundary line come from
:mod:`graphviz_core.training.classifier`, computed by TensorFlow.
"""
from __future__ import annotations

import functools
import json

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from plotly.utils import PlotlyJSONEncoder

from .palette import PALETTE
from .tensors import DIVERGING
from .training import RUN_COLORS

__all__ = ["classifier_curves", "boundary_figure"]


def classifier_curves(runs, steps: int | None = None, presentation: bool = False,
                      height: int | None = None) -> dict:
    """Loss and accuracy by step; ``runs`` is ``[(label, losses, accuracies)]``.

    A plain dict (``{"data", "layout"}``, what plotly.js reads), as
    :func:`~graphviz_core.figures.training.training_spec` is: a playing lab redraws it a few
    times a second, and building plotly objects cost most of a tick (bench/README.md).

    >>> spec = classifier_curves([("run", [0.8, 0.5], [0.5, 0.9])], steps=10)
    >>> [a["text"] for a in spec["layout"]["annotations"]], spec["data"][1]["y"]
    (['loss', 'accuracy'], [0.5, 0.9])
    """
    data = []
    for i, (label, losses, accs) in enumerate(runs):
        color = RUN_COLORS[i % len(RUN_COLORS)]
        for k, ys in enumerate((losses, accs)):
            data.append(dict(type="scatter", x=list(range(len(ys))), y=list(ys), mode="lines",
                             name=label, legendgroup=f"r{i}", showlegend=k == 0,
                             xaxis="x" if k == 0 else "x2", yaxis="y" if k == 0 else "y2",
                             line=dict(color=color, width=4 if i == len(runs) - 1 else 2.5)))
    return {"data": data, "layout": json.loads(_curves_layout(presentation, height, steps))}


@functools.lru_cache(maxsize=32)
def _curves_layout(presentation: bool, height, steps) -> str:
    """The curves' layout as JSON (a string: a constant no caller can change)."""
    base = 20 if presentation else 15
    fig = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"),
                        horizontal_spacing=0.1)
    if steps:
        fig.update_xaxes(range=[0, max(1, steps - 1)])
    fig.update_xaxes(title_text="step")
    fig.update_yaxes(range=[0, 1.02], row=1, col=2)
    fig.update_layout(height=height or (420 if presentation else 340), template="plotly_white",
                      font=dict(size=base, color=PALETTE["ink"]),
                      margin=dict(l=50, r=20, t=50, b=50), uirevision="curves",
                      legend=dict(orientation="h", yanchor="top", y=-0.25, x=0,
                                  font=dict(size=base - 1)))
    fig.update_annotations(font=dict(size=base + 1))
    return json.dumps(fig.to_plotly_json()["layout"], cls=PlotlyJSONEncoder)


def boundary_figure(X, t, grid, line, others=(), presentation: bool = False,
                    height: int | None = None, title: str = "") -> dict:
    """The points by class over the model's probability (``grid = (axis, P)``) and its line.

    ``line`` is two points of ``sign(w) · x + b = 0`` (or None); ``others`` are
    ``(label, line)`` of earlier runs, drawn thin and dashed. A plain dict, as
    :func:`classifier_curves`.

    >>> import numpy as np
    >>> spec = boundary_figure(np.zeros((2, 2)), np.array([0.0, 1.0]),
    ...                        (np.array([-1.0, 1.0]), np.full((2, 2), 0.5)), ((-1, 1), (1, -1)))
    >>> [d["name"] for d in spec["data"]]
    ['P(class 1)', 'class 0', 'class 1', 'boundary']
    """
    X, t = np.asarray(X), np.asarray(t)
    axis, P = grid
    data = [dict(type="heatmap", x=axis.tolist(), y=axis.tolist(), z=np.asarray(P).tolist(),
                 zmin=0, zmax=1, colorscale=DIVERGING, opacity=0.45, showscale=False,
                 name="P(class 1)", hovertemplate="P(class 1) = %{z:.3f}<extra></extra>")]
    for cls, symbol, color in ((0, "circle", PALETTE["gradient"]),
                               (1, "diamond", PALETTE["active"])):
        pts = X[t == cls]
        data.append(dict(type="scatter", x=pts[:, 0].tolist(), y=pts[:, 1].tolist(),
                         mode="markers", name=f"class {cls}",
                         marker=dict(symbol=symbol, size=13 if presentation else 10,
                                     color=color, line=dict(color=PALETTE["ink"], width=1))))
    for i, (label, other) in enumerate(others):
        if other is not None:
            data.append(_line(other, label, dict(color=RUN_COLORS[i % len(RUN_COLORS)],
                                                 width=2, dash="dash")))
    if line is not None:
        data.append(_line(line, "boundary", dict(color=PALETTE["ink"], width=4)))
    layout = json.loads(_boundary_layout(presentation, height, float(axis[-1])))
    layout["title"] = dict(text=title)
    return {"data": data, "layout": layout}


def _line(ends, name, style) -> dict:
    (x0, y0), (x1, y1) = ends
    return dict(type="scatter", x=[x0, x1], y=[y0, y1], mode="lines", name=name,
                hoverinfo="name", line=style)


@functools.lru_cache(maxsize=32)
def _boundary_layout(presentation: bool, height, span: float) -> str:
    base = 20 if presentation else 15
    fig = go.Figure()
    fig.update_xaxes(range=[-span, span], title_text="x₁", constrain="domain")
    fig.update_yaxes(range=[-span, span], title_text="x₂", scaleanchor="x")
    fig.update_layout(height=height or (520 if presentation else 440), template="plotly_white",
                      font=dict(size=base, color=PALETTE["ink"]),
                      margin=dict(l=50, r=20, t=50, b=50), uirevision="boundary",
                      legend=dict(orientation="h", yanchor="top", y=-0.15, x=0))
    return json.dumps(fig.to_plotly_json()["layout"], cls=PlotlyJSONEncoder)
