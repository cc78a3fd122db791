"""The animated backward pass: a finished trace as a plotly figure that plays in the browser.

:func:`backward_spec` is a pure function of a finished trace. It returns the figure as the
plain dict plotly.js reads (:func:`backward_figure`: the same as a ``go.Figure``), whose
frames play in the browser (no server round-trip per frame):

* one forward frame per layer: nodes light up left to right with their values;
* one backward frame per :class:`~graphviz_core.tracer.BackwardEvent`, in TensorFlow's
  order: the node glows, its upstream (the sum of what arrived, ``30 + 6 = 36``, on two
  lines) and its local derivative appear on it, and each downstream value travels along its
  edge to the producer as a labelled marker (plotly interpolates the marker from consumer to
  producer).

Trace indices are fixed (see ``_T``) so that frames can address them. Axes are fixed across
frames. Colours are the Okabe-Ito palette (:mod:`.palette`), which stays distinct for
colour-blind viewers. The words drawn (hover, text under nodes, captions) are in
:mod:`.backward_text`; sizes, margins and the controls' layout in :mod:`.backward_layout`.
"""
from __future__ import annotations

import plotly.graph_objects as go

from .backward_layout import _backward_layout
from .frames import frame_model
from .palette import PALETTE

__all__ = ["backward_figure", "backward_spec", "figure_from_spec", "write_plotly"]

# trace indices (frames update the dynamic ones by index)
_T = dict(edges=0, grad_edges=1, none_edges=2, nan_edges=3, halo=4, nodes=5, info=6,
          packets=7, literals=8, caption=9, cells=10, notes=11)
_DYNAMIC = [_T[k] for k in ("grad_edges", "none_edges", "nan_edges", "halo", "nodes", "info",
                            "packets", "caption", "cells")]

# ---------------------------------------------------------------------------- the figure

def backward_figure(trace, prog, presentation: bool = False, height: int | None = None,
                    speed: float = 1.0, title: str | None = None, view: str | None = None,
                    screen: str = "normal") -> go.Figure:
    """The animated backward pass of ``trace`` (see the module docstring), as a ``go.Figure``.

    >>> import graphviz_core as gc
    >>> p = gc.parse(gc.preset("foo3").source)
    >>> fig = backward_figure(gc.trace(p), p)
    >>> len(fig.frames)      # 4 forward layers + 3 backward events
    7
    >>> fig.to_dict()["frames"][-1]["name"]
    'b2'
    """
    return figure_from_spec(backward_spec(trace, prog, presentation=presentation,
                                          height=height, speed=speed, title=title, view=view,
                                          screen=screen))


def backward_spec(trace, prog, presentation: bool = False, height: int | None = None,
                  speed: float = 1.0, title: str | None = None, view: str | None = None,
                  layouts=None, flagged=(), screen: str = "normal") -> dict:
    """The same figure as :func:`backward_figure`, as the plain dict plotly.js reads.

    ``{"data": [...], "layout": {...}, "frames": [...]}``, JSON-ready (str, float, int,
    bool, None, lists and dicts only). It is what a page ships: building a ``go.Figure``
    from it and converting it back (as ``st.plotly_chart`` does) cost more than tracing.
    What it draws is :func:`~.frames.frame_model`'s (``view``, ``layouts``, ``screen``: see
    there); this writes it in plotly's words. ``height`` is accepted for stage one's
    callers: the view decides the height.

    >>> import graphviz_core as gc
    >>> p = gc.parse(gc.preset("foo3").source)
    >>> spec = backward_spec(gc.trace(p), p)
    >>> len(spec["frames"]), spec["frames"][-1]["name"]
    (7, 'b2')
    """
    return write_plotly(frame_model(trace, prog, presentation=presentation, view=view,
                                   speed=speed, title=title, layouts=layouts,
                                   flagged=flagged, screen=screen))


def write_plotly(model: dict) -> dict:
    """A frame model (:func:`~.frames.frame_model`) as the dict plotly.js reads."""
    fonts = model["fonts"]
    nodes, edges = model["nodes"], model["edges"]
    quiet = dict(hoverinfo="skip", showlegend=False)
    none = [None]   # an empty list would leave the previous frame's data in place

    def flow_xy(indices):
        xs, ys = [], []
        for i in indices:
            xs += edges[i]["xs"] + [None]
            ys += edges[i]["ys"] + [None]
        return xs or none, ys or none

    heat_nodes = [nd for nd in nodes if nd["heat"]]

    def state(f):
        halo = [nd for nd in nodes if nd["id"] in f["halo"]]
        px, py, ptext, psize, pcolor = [], [], [], [], []
        for e, p in zip(edges, f["packets"]):
            if e["packet"] is None:
                continue
            if p is None:      # hidden at the consumer until its event
                end = nodes_at[e["v"]]
                px.append(end[0])
                py.append(end[1])
                ptext.append(" ")  # never empty: plotly re-creates empty text and flies it in
                psize.append(0)
                pcolor.append(PALETTE["gradient"])
                continue
            text, kind, active = p
            px.append(e["packet"][0])
            py.append(e["packet"][1])
            ptext.append(text)
            psize.append(fonts["packet_marker"] if active else
                         round(fonts["packet_marker"] * 0.75))
            pcolor.append(_EDGE_COLOR[kind])
        out = []
        for kind in ("grad", "none", "nan"):
            xs, ys = flow_xy(f["flows"][kind])
            out.append(dict(type="scatter", x=xs, y=ys))
        out += [
            dict(type="scatter", x=[nd["x"] for nd in halo] or none,
                 y=[nd["y"] for nd in halo] or none,
                 marker=dict(size=[nd["size"] + 2 * fonts["rim"] for nd in halo] or [0])),
            dict(type="scatter", marker=dict(color=f["colors"])),
            dict(type="scatter", text=f["texts"]),
            dict(type="scatter", x=px or none, y=py or none, text=ptext or [" "],
                 marker=dict(size=psize or [0], color=pcolor or [PALETTE["gradient"]])),
            dict(type="scatter", text=[f["caption"]]),
            dict(type="scatter", marker=dict(color=f["cells"] or [PALETTE["paper"]])),
        ]
        return out

    nodes_at = {nd["id"]: (nd["x"], nd["y"]) for nd in nodes}
    ex, ey = [], []
    lx, ly = [], []
    for e in edges:
        # a number's edge dotted: it feeds the op, no gradient ever flows back to it
        xs, ys = (lx, ly) if e["literal"] else (ex, ey)
        xs += e["xs"] + [None]
        ys += e["ys"] + [None]
    lits = model["literals"]
    notes = [e for e in edges if e["note"]]
    cells_x = [x for nd in heat_nodes for x in nd["heat"]["x"]]
    cells_y = [y for nd in heat_nodes for y in nd["heat"]["y"]]
    cells_hover = [h for nd in heat_nodes for h in nd["heat"]["hover"]]
    data = [
        dict(x=ex, y=ey, mode="lines", line=dict(color=PALETTE["edge"], width=fonts["edge"]),
             name="edges", **quiet),
        dict(mode="lines", name="gradient flowing", line=dict(color=PALETTE["gradient"],
             width=fonts["edge"] * 2.2), **quiet),
        # short dashes in px: plotly's "dash" scales with the width
        dict(mode="lines", name="None (no gradient)", line=dict(
             color=PALETTE["none"], width=fonts["edge"] * 1.8,
             dash=f"{round(3 * fonts['edge'])}px,{round(2 * fonts['edge'])}px"), **quiet),
        dict(mode="lines", name="NaN / inf", line=dict(color=PALETTE["nan"],
             width=fonts["edge"] * 2.2), **quiet),
        dict(mode="markers", name="now", marker=dict(color=PALETTE["active"], opacity=0.6),
             **quiet),
        dict(x=[nd["x"] for nd in nodes], y=[nd["y"] for nd in nodes], mode="markers+text",
             name="nodes", showlegend=False, text=[nd["label"] for nd in nodes],
             textposition="middle center",
             textfont=dict(size=max(fonts["label"], 1), color=PALETTE["ink"],
                           family="Arial Black, Arial"),
             hovertext=[nd["hover"] for nd in nodes], hoverinfo="text",
             hoverlabel=dict(font=dict(size=fonts["hover"], family="Menlo, Consolas, monospace"),
                             bgcolor="white", align="left"),
             customdata=[nd["id"] for nd in nodes],
             marker=dict(symbol="circle", size=[nd["size"] for nd in nodes], opacity=1,
                         line=dict(color=[nd["outline"][0] for nd in nodes],
                                   width=[nd["outline"][1] for nd in nodes]))),
        dict(x=[nd["x"] for nd in nodes], y=[nd["text_y"] for nd in nodes], mode="text",
             name="info", textposition="bottom center",
             textfont=dict(size=fonts["info"], color=PALETTE["ink"]), **quiet),
        dict(mode="markers+text", name="downstream value", textposition="top center",
             textfont=dict(size=fonts["packet"], color=PALETTE["gradient"],
                           family="Arial Black, Arial"), marker=dict(line=dict(width=0)),
             **quiet),
        dict(x=[lt["x"] for lt in lits], y=[lt["y"] for lt in lits], mode="text",
             text=[lt["text"] for lt in lits], name="numbers",
             textfont=dict(size=fonts["info"], color=PALETTE["muted"]), **quiet),
        dict(x=[model["caption"][0]], y=[model["caption"][1]], mode="text", name="caption",
             textposition="bottom right", textfont=dict(size=fonts["caption"],
                                                        color=PALETTE["ink"]), **quiet),
        dict(x=cells_x or none, y=cells_y or none, mode="markers", name="heatmaps",
             showlegend=False, hovertext=cells_hover or [" "], hoverinfo="text",
             marker=dict(symbol="square", size=heat_nodes[0]["heat"]["size"] if heat_nodes
                         else 0, line=dict(width=0.5, color=PALETTE["muted"]))),
        dict(x=[e["packet"][0] for e in notes] or none, y=[e["note_y"] for e in notes] or none,
             mode="text", text=[e["note"] for e in notes] or [" "], name="shapes",
             textposition="bottom center",
             textfont=dict(size=fonts["info"], color=PALETTE["muted"]), **quiet),
    ]
    data.append(dict(x=lx or none, y=ly or none, mode="lines", name="number edges",
                     line=dict(color=PALETTE["edge"], width=fonts["edge"] * 0.8, dash="dot"),
                     **quiet))
    data += _legend_traces(model)
    for i, tr in zip(_DYNAMIC, state(model["frames"][-1])):
        _merge(data[i], tr)
    for d in data:
        d["type"] = "scatter"
    names = [f["name"] for f in model["frames"]]
    layout = _backward_layout(model, names)
    return dict(data=data, layout=layout,
                frames=[dict(name=f["name"], data=state(f), traces=_DYNAMIC)
                        for f in model["frames"]])


def _legend_traces(model) -> list:
    """The key, in the band at the top (see :func:`.frames._legend`)."""
    fonts = model["fonts"]
    out = []
    marks = [e for e in model["legend"] if e["kind"] in ("dot", "ring", "alarm")]
    for e in model["legend"]:
        if e["kind"] in ("line", "dash"):
            out.append(dict(x=[e["x"], e["x"] + 20], y=[e["y"], e["y"]], mode="lines",
                            hoverinfo="skip", showlegend=False, line=dict(
                                color=e["color"], width=fonts["edge"] * 2,
                                dash="4px,3px" if e["kind"] == "dash" else "solid")))
    out.append(dict(x=[e["x"] + 10 for e in marks], y=[e["y"] for e in marks], mode="markers",
                    hoverinfo="skip", showlegend=False, marker=dict(
                        size=fonts["legend"], color=[e["color"] if e["kind"] == "dot" else
                                                     PALETTE["paper"] for e in marks],
                        line=dict(width=[0 if e["kind"] == "dot" else 3 for e in marks],
                                  color=[e["color"] for e in marks]))))
    out.append(dict(x=[e["text_x"] for e in model["legend"]],
                    y=[e["y"] for e in model["legend"]], mode="text",
                    text=[e["text"] for e in model["legend"]], textposition="middle right",
                    hoverinfo="skip", showlegend=False,
                    textfont=dict(size=fonts["legend"], color=PALETTE["ink"])))
    return out


def figure_from_spec(spec: dict) -> go.Figure:
    """A ``go.Figure`` of a spec built here (:func:`backward_spec`), without validation.

    >>> import graphviz_core as gc
    >>> p = gc.parse("x = 3.0\\ny = x * x")
    >>> fig = figure_from_spec(backward_spec(gc.trace(p), p))
    >>> [f["name"] for f in fig.to_dict()["frames"]]
    ['f0', 'f1', 'b0']
    """
    fig = go.Figure(dict(data=spec["data"], layout=spec["layout"]), _validate=False)
    _set_frames(fig, spec.get("frames", []))
    return fig


def _set_frames(fig: go.Figure, frames: list) -> None:
    """Attach frames without plotly's per-element validation.

    Validating every colour and label of every frame takes seconds for a 300-node graph
    (measured: 7 s for 300 frames of 300 nodes) while the dicts are built here and known
    good. The frames serialise normally (``to_dict``, ``to_json``, ``st.plotly_chart``);
    read them through ``fig.to_dict()["frames"]``, not attribute access.
    """
    objs = tuple(go.Frame(f, _validate=False) for f in frames)
    if hasattr(fig, "_frame_objs"):
        fig._frame_objs = objs          # noqa: SLF001 - plotly's storage for frames
    else:                               # a future plotly: the validated, slower way
        fig.frames = objs


_EDGE_COLOR = {"grad": PALETTE["gradient"], "none": PALETTE["none"], "nan": PALETTE["nan"]}


def _merge(base: dict, update: dict) -> None:
    for k, v in update.items():
        if isinstance(v, dict) and isinstance(base.get(k), dict):
            _merge(base[k], v)
        else:
            base[k] = v


