"""One node, opened: its value, its gradient and its local Jacobians as heatmaps.

What the Explorer shows when a node of the graph is clicked. Every number is the trace's
(TensorFlow's); the hover of each cell gives it exactly. A Jacobian ``d output / d input``
of shape ``output.shape + input.shape`` is drawn as a matrix with one row per output element
and one column per input element (row-major, as ``tf.reshape`` reads it).
"""
from __future__ import annotations

import numpy as np

from ..report import fmt
from .palette import PALETTE

__all__ = ["inspect_spec", "node_choices"]


def node_choices(trace) -> dict:
    """{node id: what a person calls it} for every value node, in graph order.

    >>> import graphviz_core as gc
    >>> node_choices(gc.trace(gc.parse("x = 3.0\\ny = x * x")))
    {'n0': 'x (input)', 'n1': 'y = ×'}
    """
    out = {}
    for n, a in trace.graph.nodes(data=True):
        if a["kind"] == "literal":
            continue
        if a["kind"] == "input":
            out[n] = f"{a['label']} (input)"
        else:
            names = ", ".join(a["names"])
            out[n] = f"{names} = {a['label']}" if names else f"{a['label']} ({n})"
    return out


def _matrix(v) -> np.ndarray | None:
    if v is None:
        return None
    a = np.asarray(v, dtype=float)
    if a.ndim == 0:
        return a.reshape(1, 1)
    if a.ndim == 1:
        return a.reshape(1, -1)
    return a.reshape(a.shape[0], -1)


def inspect_spec(trace, node: str, presentation: bool = False) -> dict:
    """Heatmaps of ``node``: value, gradient (d targets / d value), and one local Jacobian
    per input that has one; a plain dict plotly.js reads. Panels with nothing to show
    (no gradient reached the node, a Jacobian too large to keep) say so in their title.

    >>> import graphviz_core as gc
    >>> t = gc.trace(gc.parse("W = Variable([[1.0, 2.0], [3.0, 4.0]])\\ny = reduce_sum(W * W)"))
    >>> spec = inspect_spec(t, "n1")
    >>> [d["name"] for d in spec["data"]]
    ['value', 'gradient', 'd out / d W (input 1)', 'd out / d W (input 2)']
    >>> spec["data"][1]["z"]
    [[1.0, 1.0], [1.0, 1.0]]
    """
    g = trace.graph
    a = g.nodes[node]
    ev = trace.events[a["event"]] if a["event"] is not None else None
    panels = [("value", a["value"]), ("gradient", a["gradient"])]
    if ev is not None and a["kind"] != "input":
        for i, (src, loc) in enumerate(zip(a["inputs"], ev.local)):
            if g.nodes[src]["kind"] == "literal":
                continue
            name = g.nodes[src]["names"][0] if g.nodes[src]["names"] else g.nodes[src]["label"]
            if loc is not None:
                out_size = max(int(np.size(a["value"])), 1)
                loc = np.asarray(loc, dtype=float).reshape(out_size, -1)
            panels.append((f"d out / d {name} (input {i + 1})", loc))
    k = 1.45 if presentation else 1.0
    n = len(panels)
    gap = 0.06
    width = (1 - gap * (n - 1)) / n
    data, layout = [], dict(
        height=round(300 * k), margin=dict(l=10, r=10, t=round(60 * k), b=10),
        paper_bgcolor=PALETTE["paper"], plot_bgcolor=PALETTE["paper"],
        font=dict(size=round(13 * k)), annotations=[])
    for i, (title, v) in enumerate(panels):
        m = _matrix(v)
        ax = "" if i == 0 else str(i + 1)
        x0 = i * (width + gap)
        layout[f"xaxis{ax}"] = dict(domain=[x0, x0 + width], showticklabels=m is not None
                                    and m.shape[1] <= 16, anchor=f"y{ax}", constrain="domain")
        layout[f"yaxis{ax}"] = dict(autorange="reversed", showticklabels=m is not None
                                    and m.shape[0] <= 16, anchor=f"x{ax}",
                                    scaleanchor=f"x{ax}", constrain="domain")
        words = title if m is not None else (
            f"{title}: None (TensorFlow gave no gradient)" if title == "gradient" else
            f"{title}: not kept (over 4096 entries, or no gradient)")
        shape = "" if m is None else f" {tuple(np.shape(v))}" if np.ndim(v) else " (scalar)"
        layout["annotations"].append(dict(
            text=f"<b>{words}</b>{shape}", x=x0 + width / 2, y=1.0, xref="paper", yref="paper",
            yanchor="bottom", showarrow=False, font=dict(size=round(13 * k))))
        if m is None:
            continue
        top = float(np.nanmax(np.abs(np.where(np.isfinite(m), m, 0.0)))) or 1.0
        data.append(dict(
            type="heatmap", name=title, z=m.tolist(), xaxis=f"x{ax}", yaxis=f"y{ax}",
            zmin=-top, zmax=top, showscale=False,
            # the graph's heatmaps' colours: blue below 0, white at 0, vermillion above
            colorscale=[[0, "rgb(0,114,178)"], [0.5, "rgb(255,255,255)"],
                        [1, "rgb(213,94,0)"]],
            text=[[fmt(x) for x in row] for row in m.tolist()],
            texttemplate="%{text}" if m.size <= 36 else None,
            hovertemplate="row %{y}, column %{x}: %{text}<extra>" + title + "</extra>"))
    for d in data:
        if d["texttemplate"] is None:
            del d["texttemplate"]
    return dict(data=data, layout=layout)
