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

from ..layout import layered_layout
from ..report import first_nonfinite, real_inputs
from ..values import finite
from .backward_layout import (_LINE_EM, _Sizes, _backward_layout, _height, _margins,
                              _y_range)
from .backward_text import _BORN_BAD, _FIRST_BAD, _caption, _info, _num, _short, node_hover
from .palette import PALETTE

__all__ = ["backward_figure", "backward_spec", "figure_from_spec"]

# trace indices (frames update the dynamic ones by index)
_T = dict(edges=0, grad_edges=1, none_edges=2, nan_edges=3, halo=4, nodes=5, info=6,
          packets=7, literals=8, caption=9)
_DYNAMIC = [_T[k] for k in ("grad_edges", "none_edges", "nan_edges", "halo", "nodes", "info",
                            "packets", "caption")]

# ---------------------------------------------------------------------------- the figure

def backward_figure(trace, prog, presentation: bool = False, height: int | None = None,
                    speed: float = 1.0, title: str | None = None) -> go.Figure:
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
                                          height=height, speed=speed, title=title))


def backward_spec(trace, prog, presentation: bool = False, height: int | None = None,
                  speed: float = 1.0, title: str | None = None) -> dict:
    """The same figure as :func:`backward_figure`, as the plain dict plotly.js reads.

    ``{"data": [...], "layout": {...}, "frames": [...]}``, JSON-ready (str, float, int,
    bool, None, lists and dicts only). It is what a page ships: building a ``go.Figure``
    from it and converting it back (as ``st.plotly_chart`` does) cost more than tracing.

    >>> import graphviz_core as gc
    >>> p = gc.parse(gc.preset("foo3").source)
    >>> spec = backward_spec(gc.trace(p), p)
    >>> len(spec["frames"]), spec["frames"][-1]["name"]
    (7, 'b2')
    """
    g = trace.graph
    pos = layered_layout(g)
    values = [n for n, k in g.nodes(data="kind") if k != "literal"]
    literals = [n for n, k in g.nodes(data="kind") if k == "literal"]
    s = _Sizes(presentation)
    fwd_node, bwd_event = first_nonfinite(trace)

    # contributions each producer receives, in event order: [(event index, value|None)]
    contrib: dict[str, list] = {n: [] for n in values}
    packets = []          # (event index, consumer, producer, value|None)
    for i, e in enumerate(trace.events):
        ins = g.nodes[e.node]["inputs"]
        for producer in dict.fromkeys(ins):
            if g.nodes[producer]["kind"] == "literal":
                continue
            parts = [e.downstream[p] for p, src in enumerate(ins) if src == producer]
            real = [v for v in parts if v is not None]
            v = sum(real) if real else None
            contrib[producer].append((i, v))
            packets.append((i, e.node, producer, v))

    layers = sorted({pos[n][0] for n in values})
    n_fwd, n_bwd = len(layers), len(trace.events)
    vx = [pos[n][0] for n in values]
    vy = [pos[n][1] for n in values]
    all_x = [p[0] for p in pos.values()] or [0.0]
    all_y = [p[1] for p in pos.values()] or [0.0]
    cap_x, cap_y = min(all_x) - 0.65, max(all_y) + 0.55     # the caption: top left

    info_cache: dict = {}

    cols = len({pos[n][0] for n in values})
    # rows the layout uses, the free ones it keeps for edges that skip a layer included
    rows = round(max(vy, default=0.0) - min(vy, default=0.0)) + 1
    s.fit(cols, rows)
    size = {n: s.node_size(g.nodes[n]["label"]) for n in values}

    def info(n, lit, fired):
        a = g.nodes[n]
        # inputs keep their text too: their ∂ is the answer (a chain of 8 calls showed x bare)
        if s.dense and not (0 <= fired and a["event"] == fired) and not a["target"] \
                and a["kind"] != "input":
            # too many nodes to label them all: the active one speaks, and where inf/NaN
            # first appeared stays marked in words (colour alone is easy to miss)
            if lit and n == fwd_node:
                return _FIRST_BAD
            if bwd_event is not None and a["event"] == bwd_event and a["event"] <= fired:
                return _BORN_BAD
            return " "
        done = a["event"] is not None and a["event"] <= fired
        arrived = sum(1 for i, _ in contrib[n] if i <= fired) if a["kind"] == "input" else 0
        last = a["kind"] == "input" and fired == n_bwd - 1
        key = (n, lit, done, arrived, last, fired >= 0)
        if key not in info_cache:
            info_cache[key] = _info(trace, n, lit, fired, contrib[n], n == fwd_node,
                                    bwd_event is not None and a["event"] == bwd_event and done)
        return info_cache[key]

    # the value text starts just below each node's own edge: px -> y units (fixed axes)
    y_lo, y_hi = _y_range(all_y)
    # the "now" halo is a rim this wide around its node, and the text starts below the rim:
    # a wider halo painted over the first line of the active node's own text
    rim = round(9 * s.k * s.scale)
    # a node's longest text is at its own backward step or at the end; it must end above
    # the node one row down, and, under the lowest node, above the Play buttons
    lines = max((info(n, True, f).count("<br>") + 1 for n in values
                 for f in {n_bwd - 1, g.nodes[n]["event"] if g.nodes[n]["event"] is not None
                           else n_bwd - 1}), default=1)
    text_px = max(size.values(), default=0) / 2 + rim + 3 + lines * _LINE_EM * s.info + 6
    if height is None:
        pitch = text_px + max(size.values(), default=0) / 2 + 2
        height = _height(s, rows, pitch * (y_hi - y_lo) if rows > 1 else 0)
    plot_px = max(height - sum(_margins(s)), 1)
    low = min(vy, default=0.0)
    if plot_px > text_px:       # axis units below the lowest node that hold text_px
        y_lo = min(y_lo, low - text_px * (y_hi - low) / (plot_px - text_px))
    y_span = y_hi - y_lo
    per_px = y_span / plot_px
    info_y = [pos[n][1] - max(s.info_gap, (size[n] / 2 + rim + 3) * per_px) for n in values]
    halo = {n: size[n] + 2 * rim for n in values}

    def state(step):
        """Dynamic trace data after ``step`` frames (0-based; the last is the final state)."""
        forward_x = layers[min(step, n_fwd - 1)] if layers else 0
        fired = step - n_fwd          # index of the event shown in this frame, -1 if forward
        colors, texts = [], []
        for n in values:
            a = g.nodes[n]
            lit = pos[n][0] <= forward_x or fired >= 0
            ev_i = a["event"]
            done = ev_i is not None and ev_i <= fired
            bad = (lit and not finite(a["value"])) or \
                  (done and not all(finite(v) or v is None for v in
                                    real_inputs(g, n, trace.events[ev_i].downstream)))
            if bad:
                colors.append(PALETTE["nan"])
            elif a["kind"] == "input" and fired == n_bwd - 1 and \
                    trace.gradients.get(a["names"][0], 0.0) is None:
                colors.append(PALETTE["none"])        # the end: TensorFlow says None
            elif a["kind"] == "input" and fired >= 0 and _arrived(contrib[n], fired) and \
                    all(v is None for _, v in contrib[n]):
                colors.append(PALETTE["none"])        # only None arrived
            elif done or (a["kind"] == "input" and fired >= 0 and _arrived(contrib[n], fired)):
                colors.append(PALETTE["done"])
            elif lit:
                colors.append(PALETTE["forward"])
            else:
                colors.append(PALETTE["idle"])
            texts.append(info(n, lit, fired))
        halo_x, halo_y, halo_s = [], [], []
        lit_now = ([trace.events[fired].node] if 0 <= fired < n_bwd else
                   [n for n in values if pos[n][0] == forward_x] if fired < 0 and layers else [])
        for n in lit_now:
            halo_x.append(pos[n][0])
            halo_y.append(pos[n][1])
            halo_s.append(halo[n])
        # packets: hidden at the consumer until their event, then most of the way back
        px, py, ptext, psize, pcolor = [], [], [], [], []
        edges = {"grad": ([], []), "none": ([], []), "nan": ([], [])}
        for (i, consumer, producer, v) in packets:
            (cx, cy), (qx, qy) = pos[consumer], pos[producer]
            if i <= fired:
                px.append(round(cx + (qx - cx) * 0.55, 4))
                py.append(round(cy + (qy - cy) * 0.55, 4))
                ptext.append(_num(v, 5) if i == fired or not s.dense else " ")
                psize.append(s.packet if i == fired else round(s.packet * 0.75))
                kind = "none" if v is None else "nan" if not finite(v) else "grad"
                pcolor.append(_EDGE_COLOR[kind])
                _segment(edges[kind], pos[producer], pos[consumer])
            else:
                px.append(cx)
                py.append(cy)
                ptext.append(" ")  # never empty: plotly re-creates empty text and flies it in
                psize.append(0)
                pcolor.append(PALETTE["gradient"])
        none = [None]   # an empty list would leave the previous frame's data in place
        return [
            dict(type="scatter", x=edges["grad"][0] or none, y=edges["grad"][1] or none),
            dict(type="scatter", x=edges["none"][0] or none, y=edges["none"][1] or none),
            dict(type="scatter", x=edges["nan"][0] or none, y=edges["nan"][1] or none),
            dict(type="scatter", x=halo_x or none, y=halo_y or none,
                 marker=dict(size=halo_s or [0])),
            dict(type="scatter", marker=dict(color=colors)),
            dict(type="scatter", text=texts),
            dict(type="scatter", x=px or none, y=py or none, text=ptext,
                 marker=dict(size=psize, color=pcolor)),
            dict(type="scatter", text=[_caption(trace, prog, step, n_fwd, layers, values, pos)]),
        ]

    total = n_fwd + n_bwd
    final = state(total - 1)
    sizes = [size[n] for n in values]
    outline = [(PALETTE["custom"], s.outline * 2) if g.nodes[n]["kind"] == "call"
               and g.nodes[n]["mode"] == "custom" else (PALETTE["ink"], s.outline * 1.5)
               if g.nodes[n]["target"] else (PALETTE["paper"], s.outline) for n in values]

    ex, ey = [], []
    for u, v in g.edges():
        if g.nodes[u]["kind"] != "literal":
            _segment((ex, ey), pos[u], pos[v])
        else:       # a short grey stub from the number: it feeds this node, and no gradient
            (lx, ly), (cx, cy) = pos[u], pos[v]     # ever flows back to it
            _segment((ex, ey), (round(lx + 0.3 * (cx - lx), 4), round(ly + 0.3 * (cy - ly), 4)),
                     pos[v])
    quiet = dict(hoverinfo="skip", showlegend=False)
    data = [
        dict(x=ex, y=ey, mode="lines", line=dict(color=PALETTE["edge"], width=s.edge),
             name="edges", **quiet),
        dict(mode="lines", hoverinfo="skip", name="gradient flowing",
             line=dict(color=PALETTE["gradient"], width=s.edge * 2.2)),
        dict(mode="lines", hoverinfo="skip", name="None (no gradient)",
             # short dashes in px: plotly's "dash" scales with the width, and at projector
             # width the legend's short sample showed one solid stroke
             line=dict(color=PALETTE["none"], width=s.edge * 1.8,
                       dash=f"{round(6 * s.k)}px,{round(4 * s.k)}px")),
        dict(mode="lines", hoverinfo="skip", name="NaN / inf",
             line=dict(color=PALETTE["nan"], width=s.edge * 2.2)),
        dict(mode="markers", name="now", marker=dict(color=PALETTE["active"], opacity=0.6),
             **quiet),
        dict(x=vx, y=vy, mode="markers+text", name="nodes", showlegend=False,
             text=[_short(g.nodes[n]["label"]) if s.labels else " " for n in values],
             textposition="middle center",
             textfont=dict(size=s.label, color=PALETTE["ink"], family="Arial Black, Arial"),
             hovertext=[node_hover(trace, prog, n) for n in values], hoverinfo="text",
             hoverlabel=dict(font=dict(size=s.hover, family="Menlo, Consolas, monospace"),
                             bgcolor="white", align="left"),
             customdata=values,
             marker=dict(symbol="circle", size=sizes, opacity=1,   # edges never show through
                         line=dict(color=[o[0] for o in outline],
                                                              width=[o[1] for o in outline]))),
        dict(x=vx, y=info_y, mode="text", name="info", textposition="bottom center",
             textfont=dict(size=s.info, color=PALETTE["ink"]), **quiet),
        dict(mode="markers+text", name="downstream value", textposition="top center",
             textfont=dict(size=s.packet_text, color=PALETTE["gradient"],
                           family="Arial Black, Arial"), marker=dict(line=dict(width=0)),
             **quiet),
        dict(x=[pos[n][0] for n in literals], y=[pos[n][1] for n in literals], mode="text",
             text=[g.nodes[n]["label"] if s.scale >= 0.5 else " " for n in literals],
             name="numbers",
             textfont=dict(size=s.info, color=PALETTE["muted"]), **quiet),
        dict(x=[cap_x], y=[cap_y], mode="text", name="caption", textposition="middle right",
             textfont=dict(size=s.title, color=PALETTE["ink"]), **quiet),
    ]
    for name, color, symbol in (("forward value", PALETTE["forward"], "circle"),
                                ("gradient known", PALETTE["done"], "circle"),
                                ("gradient None", PALETTE["none"], "circle"),
                                ("custom gradient", PALETTE["custom"], "circle-open"),
                                ("now", PALETTE["active"], "circle")):
        data.append(dict(
            # a point far outside the fixed axes: plotly draws [None] at the corner mid-animation
            x=[min(all_x) - 100], y=[min(all_y) - 100], mode="markers", name=name,
            hoverinfo="skip", cliponaxis=True,
            marker=dict(size=s.legend_marker, color=color, symbol=symbol,
                        line=dict(width=3 if symbol == "circle-open" else 0,
                                  color=PALETTE["custom"]))))
    for i, tr in zip(_DYNAMIC, final):
        _merge(data[i], tr)
    for d in data:
        d["type"] = "scatter"

    names = [f"f{k}" for k in range(n_fwd)] + [f"b{k}" for k in range(n_bwd)]
    # plain dicts, not validated: plotly's validation of the layout alone was ~10 % of a
    # rerun's CPU on a busy server (bench/README.md); the dicts are built here, known good
    layout = _backward_layout(trace, g, pos, values, s, names, speed, height, title,
                              (y_lo, y_hi))
    return dict(data=data, layout=layout,
                frames=[dict(name=names[k], data=state(k), traces=_DYNAMIC)
                        for k in range(total)])


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


def _arrived(contribs, fired) -> bool:
    return bool(contribs) and all(i <= fired for i, _ in contribs)


def _segment(xy, p, q):
    xy[0].extend((p[0], q[0], None))
    xy[1].extend((p[1], q[1], None))

