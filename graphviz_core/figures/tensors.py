"""Heatmaps of small tensors, side by side (the broadcasting and Jacobian lessons,
``pages/6_Shapes_and_broadcasting.py`` and ``pages/7_Jacobians.py``).

Each panel is ``(title, array)``; a vector is drawn as one row, a number as a 1 x 1 cell, and
every cell carries its number. One colour scale, centred on 0, for all panels, so that equal
numbers look equal across them.
"""
from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .palette import PALETTE

__all__ = ["heatmaps", "as_matrix", "DIVERGING"]

# blue (negative) - white - orange (positive): Okabe-Ito ends, distinct for colour-blind eyes
DIVERGING = [[0.0, PALETTE["gradient"]], [0.5, "#ffffff"], [1.0, PALETTE["active"]]]


def as_matrix(v) -> np.ndarray:
    """A value as a 2-D array for a heatmap: a number is 1 x 1, a vector one row.

    >>> as_matrix(2.0).shape, as_matrix([1.0, 2.0]).shape
    ((1, 1), (1, 2))
    """
    a = np.asarray(v, dtype=float)
    return a.reshape(1, -1) if a.ndim < 2 else a.reshape(a.shape[0], -1)


def heatmaps(panels, presentation: bool = False, height: int | None = None,
             highlight=None, digits: int = 3) -> go.Figure:
    """Panels of heatmaps in one row, one colour scale centred on 0.

    ``highlight`` is ``{panel index: ("row" | "column", index)}``: a box around that row or
    column (the row a reverse pass gives, the column a forward pass gives).

    >>> fig = heatmaps([("upstream (2, 3)", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]),
    ...                 ("sum over axis 0 (3,)", [5.0, 7.0, 9.0])])
    >>> [a.text for a in fig.layout.annotations]
    ['upstream (2, 3)', 'sum over axis 0 (3,)']
    """
    mats = [as_matrix(v) for _, v in panels]
    top = max((float(np.nanmax(np.abs(m))) for m in mats if m.size), default=1.0) or 1.0
    widths = [max(m.shape[1], 1) for m in mats]
    fig = make_subplots(rows=1, cols=len(mats), subplot_titles=[t for t, _ in panels],
                        column_widths=[w / sum(widths) for w in widths],
                        horizontal_spacing=0.08)
    base = 20 if presentation else 15
    for k, m in enumerate(mats):
        text = [[f"{v:.{digits}g}" for v in row] for row in m]
        fig.add_trace(go.Heatmap(z=m, text=text, texttemplate="%{text}", zmin=-top, zmax=top,
                                 colorscale=DIVERGING, showscale=False,
                                 textfont=dict(size=base), xgap=2, ygap=2,
                                 hovertemplate="row %{y}, column %{x}: %{z:.7g}<extra></extra>"),
                      row=1, col=k + 1)
        fig.update_yaxes(autorange="reversed", row=1, col=k + 1, tickmode="linear", dtick=1)
        fig.update_xaxes(tickmode="linear", dtick=1, side="top", row=1, col=k + 1)
        kind, i = (highlight or {}).get(k, (None, None))
        if kind is not None:
            r, c = m.shape
            x0, x1, y0, y1 = ((-0.5, c - 0.5, i - 0.5, i + 0.5) if kind == "row"
                              else (i - 0.5, i + 0.5, -0.5, r - 0.5))
            fig.add_shape(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, row=1, col=k + 1,
                          line=dict(color=PALETTE["ink"], width=4 if presentation else 3))
    rows = max(m.shape[0] for m in mats)
    fig.update_layout(height=height or (110 + (70 if presentation else 52) * rows),
                      template="plotly_white", font=dict(size=base, color=PALETTE["ink"]),
                      margin=dict(l=40, r=20, t=80, b=20))
    fig.update_annotations(font=dict(size=base + 1), yshift=18)
    return fig
