"""Plotly figures: the animated backward pass, and the comparison of two traces.

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
frames. Colours are the Okabe-Ito palette, which stays distinct for colour-blind viewers.
"""
from __future__ import annotations

import math
import re

import numpy as np
import plotly.graph_objects as go

from .layout import layered_layout
from .values import finite
from .report import first_nonfinite, fmt, real_inputs, rule_mismatch

__all__ = ["backward_figure", "backward_spec", "figure_from_spec", "PALETTE", "substitute",
           "node_hover"]

# Okabe & Ito (2008), "Color Universal Design"
PALETTE = {
    "ink": "#1a1a1a", "muted": "#6b6b6b", "edge": "#c9c9c9", "idle": "#eeeeee",
    "forward": "#56B4E9", "active": "#E69F00", "gradient": "#0072B2", "done": "#009E73",
    "custom": "#CC79A7", "none": "#6b6b6b", "nan": "#D55E00", "paper": "#ffffff",
}

# trace indices (frames update the dynamic ones by index)
_T = dict(edges=0, grad_edges=1, none_edges=2, nan_edges=3, halo=4, nodes=5, info=6,
          packets=7, literals=8, caption=9)
_DYNAMIC = [_T[k] for k in ("grad_edges", "none_edges", "nan_edges", "halo", "nodes", "info",
                            "packets", "caption")]


def _num(v, digits: int = 5) -> str:
    """:func:`report.fmt` for text drawn on the graph, where space is short: whole numbers of
    more than 7 digits in e-notation. Tables and the hover keep every digit (4294967296).

    >>> _num(10686474223616.0), _num(1024.0), _num((2.0, 4294967296.0))
    ('1.06865e+13', '1024', '2, 4.29497e+09')
    """
    if isinstance(v, (tuple, list)):
        return ", ".join(_num(x, digits) for x in v)
    if isinstance(v, np.ndarray) and v.ndim:
        # on the graph a tensor is its shape; hover, tables and the CSV hold its numbers
        return fmt(v, 3) if v.size <= 3 else "×".join(map(str, v.shape)) + " tensor"
    if isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) >= 1e7:
        return f"{v:.{digits + 1}g}"
    return fmt(v, digits)


def _finite(v) -> bool:
    return finite(v)


def substitute(text: str, env: dict, digits: int = 5) -> str:
    """Replace names in ``text`` by their values: ``dy * 2*x`` -> ``32 * 2*4``.

    >>> substitute("dy * 2*x", {"dy": 32.0, "x": 4.0})
    '32 * 2*4'
    """
    def repl(m):
        name = m.group(0)
        if name in env and env[name] is not None:
            v = fmt(env[name], digits)
            return f"({v})" if v.startswith("-") else v
        return name
    return re.sub(r"(?<![\w.])[A-Za-z_]\w*", repl, text)


# ---------------------------------------------------------------------------- hover text

def node_hover(trace, prog, node: str) -> str:
    """Everything about a node: op, value, upstream, local, downstream, formulas with numbers."""
    g = trace.graph
    a = g.nodes[node]
    ev = trace.events[a["event"]] if a["event"] is not None else None
    lines = []
    kind = {"input": a["input_kind"], "op": "built-in", "call": f"function, {a['mode']}",
            "literal": "number"}[a["kind"]]
    title = a["label"] if a["kind"] != "op" else a["op"]
    names = f" → {', '.join(a['names'])}" if a["names"] and a["kind"] != "input" else ""
    lines.append(f"<b>{title}</b>{names}  ({kind}{', line ' + str(a['line']) if a['line'] else ''})")
    if a["group"]:
        lines.append(f"inside {a['function']} (call {a['group']}, expanded)")
    if a["kind"] == "input":
        lines.append(f"value: {fmt(a['value'])}")
        watched = "watched by the tape" if a["watched"] else "NOT watched by the tape"
        lines.append(f"{watched}")
        lines.append(f"gradient: {fmt(a['gradient'])}")
        return "<br>".join(lines)
    env = dict(trace.values)
    if a["kind"] == "call":
        fn = prog.functions[a["function"]]
        if ev is not None:
            env = dict(zip(fn.params, ev.inputs))
        elif a["inputs"]:
            env = {p: g.nodes[i]["value"] for p, i in zip(fn.params, a["inputs"])}
        lines.append(f"forward: {a['function']}({', '.join(fn.params)}) = {fn.text} = "
                     f"{substitute(fn.text, env)} = {fmt(a['value'])}")
    else:
        text = a["expr"] or a["op"]
        lines.append(f"forward: {text} = {substitute(text, env)} = {fmt(a['value'])}")
    if ev is None:
        lines.append("backward: no gradient reached this node")
        return "<br>".join(lines)
    lines.append(f"upstream: {fmt(ev.upstream)}")
    lines.append(f"local: {fmt(ev.local)}")
    lines.append(f"downstream: {fmt(ev.downstream)}")
    if a["kind"] == "call" and ev.mode == "custom":
        fn = prog.functions[a["function"]]
        renv = dict(zip(fn.rule_params, tuple(ev.inputs) + (ev.upstream,)))
        for p, part, down in zip(fn.params, fn.rule, ev.downstream):
            text = getattr(part, "text", "None") or "None"
            lines.append(f"rule for {p}: {text} = {substitute(text, renv)} = {fmt(down)}")
    else:
        for i, (loc, down) in enumerate(zip(ev.local, ev.downstream)):
            lines.append(f"input {i + 1}: upstream × local = {fmt(ev.upstream)} × {fmt(loc)}"
                         f" = {fmt(down)}")
    if rule_mismatch(ev):
        lines.append("⚠ downstream ≠ upstream × local: the rule does not multiply by upstream")
    return "<br>".join(lines)


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
            bad = (lit and not _finite(a["value"])) or \
                  (done and not all(_finite(v) or v is None for v in
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
                kind = "none" if v is None else "nan" if not _finite(v) else "grad"
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
    layout = _layout(trace, g, pos, values, s, names, speed, height, title, (y_lo, y_hi))
    return dict(data=data, layout=layout,
                frames=[dict(name=names[k], data=state(k), traces=_DYNAMIC)
                        for k in range(total)])


def figure_from_spec(spec: dict) -> go.Figure:
    """A ``go.Figure`` of a spec built here (:func:`backward_spec`), without validation."""
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


# where inf/NaN first appears, forward and backward: in words, colour alone is easy to miss
_FIRST_BAD, _BORN_BAD = "⚠ first inf/NaN", "⚠ inf/NaN born here"


def _short(label: str, n: int = 9) -> str:
    """A node's name cut to ``n`` characters in the middle, where names that share a start
    still differ: softplus_v1, softplus_v2 -> soft…s_v1, soft…s_v2 (not softplus… twice).

    >>> _short("softplus_v2"), _short("differentiable_sign"), _short("step_1")
    ('soft…s_v2', 'diff…sign', 'step_1')
    """
    if len(label) <= n:
        return label
    head = (n - 1) // 2
    return label[:head] + "…" + label[len(label) - (n - 1 - head):]


def _info(trace, node, lit, fired, contribs, fwd_bad, bwd_bad) -> str:
    """Text under a node: value, then upstream / local / gradient as the backward pass arrives."""
    g = trace.graph
    a = g.nodes[node]
    if not lit:
        return " "
    parts = []
    if a["kind"] != "input" and a["names"]:
        parts.append(f"{', '.join(a['names'])} = {_num(a['value'], 5)}")
    else:
        parts.append(f"= {_num(a['value'], 5)}")
    if a["kind"] == "input" and a["watched"] is False:
        parts.append("not watched")
    if a["kind"] == "call" and a["mode"] == "custom":
        rule = a["rule"] or ""     # cut at the end: a cut in the middle unbalanced brackets
        parts.append(f"rule: {rule if len(rule) <= 26 else rule[:25] + '…'}")
    if fwd_bad:
        parts.append(_FIRST_BAD)
    ev_i = a["event"]
    if ev_i is not None and ev_i <= fired:
        ev = trace.events[ev_i]
        parts.append(f"↑ {_sum_text(contribs, ev_i, ev.upstream, a['target'])}")
        parts.append(f"local {_num(real_inputs(g, node, ev.local), 4)}")
        if rule_mismatch(ev):
            parts.append("⚠ ↓ ≠ ↑ × local")
        if bwd_bad:
            parts.append(_BORN_BAD)
    elif a["kind"] == "input" and fired >= 0:
        arrived = [(i, v) for i, v in contribs if i <= fired]
        if arrived and len(arrived) == len(contribs):
            # an input that is itself a target starts from its own 1 (d x / d x)
            total = trace.gradients.get(a["names"][0])
            parts.append(f"∂ = {_sum_text(contribs, fired + 1, total, a['target'])}")
        elif not contribs and fired == len(trace.events) - 1:
            parts.append(f"∂ = {_num(trace.gradients.get(a['names'][0]), 5)}")
    return "<br>".join(parts)


def _sum_text(contribs, before, total, is_target) -> str:
    """``30 + 6`` over ``= 36`` when several contributions add up; ``36`` for one. Two
    lines: on one, the sum ran into the neighbouring node's text in a narrow graph."""
    terms = [_num(v, 5) for i, v in contribs if i < before and v is not None]
    if is_target:
        terms = ["1"] + terms
    if len(terms) > 1:
        return " + ".join(terms) + f"<br>= {_num(total, 5)}"
    return _num(total, 5)


def _caption(trace, prog, step, n_fwd, layers, values, pos) -> str:
    if step < n_fwd:
        x = layers[step]
        names = [trace.graph.nodes[n] for n in values if pos[n][0] == x]
        shown = ", ".join(f"{a['names'][-1] if a['names'] else a['label']} = {_num(a['value'], 5)}"
                          for a in names[:4])
        more = " …" if len(names) > 4 else ""
        return f"Forward {step + 1}/{n_fwd}: {shown}{more}"
    i = step - n_fwd
    e = trace.events[i]
    a = trace.graph.nodes[e.node]
    who = a["label"] if a["kind"] != "op" else a["op"]
    mode = "custom rule" if e.mode == "custom" else "TensorFlow"
    local = real_inputs(trace.graph, e.node, e.local)
    down = real_inputs(trace.graph, e.node, e.downstream)
    # two lines: on one, a laptop-wide graph cut the sentence off at "→ dow"
    return (f"Backward {i + 1}/{len(trace.events)}: {who} ({mode})<br>upstream "
            f"{_num(e.upstream, 5)} × local {_num(local, 5)} → downstream {_num(down, 5)}")


class _Sizes:
    def __init__(self, presentation: bool):
        k = 1.45 if presentation else 1.0
        self.k = k
        self.label = round(14 * k)
        self.info = round(13 * k)
        self.hover = round(14 * k)
        self.packet_text = round(15 * k)
        self.packet = round(14 * k)
        self.edge = 2.0 * k
        self.outline = 2.0 * k
        self.legend_marker = round(14 * k)
        self.info_gap = 0.2
        self.title = round(17 * k)

        self.dense, self.scale, self.labels = False, 1.0, True

    def fit(self, cols: int, rows: int) -> None:
        """Shrink for big graphs: below ~130 px a layer, nodes get smaller and only the
        active node keeps its text (everything stays in the hover and the caption)."""
        width = 1750 if self.k > 1 else 1050        # the graph's share of a 1920 px screen
        per_col = width / max(cols + 0.4, 1)
        per_row = 1500 / max(rows, 1)
        self.dense = per_col < 130 or per_row < 110
        self.scale = max(0.3, min(1.0, per_col / 130, per_row / 110))
        self.labels = self.node_size("xx") >= 30
        self.packet = max(6, round(self.packet * self.scale))

    def node_size(self, label: str) -> float:
        return round(max(52, 10 * min(len(label), 9) + 16) * self.k * self.scale)


def _y_range(ys) -> tuple:
    """The fixed y axis: room below the lowest node for its text, above for the caption."""
    return min(ys) - 0.95, max(ys) + 0.75


_LINE_EM = 1.3         # plotly's text line height, in font sizes


def _height(s, rows: int, plot_px: float = 0.0) -> int:
    """The figure's height in px for ``rows`` nodes in the tallest layer, with at least
    ``plot_px`` between the margins (what a node and its text need, row after row)."""
    # a graph below the "dense" line (~13 rows) fits its text: a figure taller than a
    # screen scrolls, text written across nodes cannot be read at all
    most = 2800 if s.k > 1 else 2000
    usual = int(min(1800, max(460, 190 + 135 * rows)) * (1.25 if s.k > 1 else 1))
    return int(min(most, max(usual, sum(_margins(s)) + plot_px)))


def _buttons_px(s) -> int:
    return round(2.4 * s.info) + 8              # the Play/Pause row


def _margins(s) -> tuple:
    """(top, bottom) margins in px; the bottom holds the Play/Pause row and the slider."""
    return 40 + 20 * (s.k > 1), _buttons_px(s) + round(3.2 * s.info) + 34


def _layout(trace, g, pos, values, s, names, speed, height, title, y_range) -> dict:
    """The figure's layout as a plain dict: size (``height`` in px, known), axes, controls,
    function boxes, title."""
    xs = [p[0] for p in pos.values()] or [0]
    ms = int(900 / max(speed, 0.1))
    play = dict(frame=dict(duration=ms, redraw=False), fromcurrent=True, mode="immediate",
                transition=dict(duration=int(ms * 0.7), easing="cubic-in-out"))
    # Play/Pause on a row of their own, the slider below at full width: side by side, the
    # buttons (a width in px) covered the slider's first steps (placed at a fraction of a
    # width that depends on the screen). Heights are known here, so rows are px -> paper.
    top, bottom = _margins(s)
    below = -(_buttons_px(s) + 4) / max(height - top - bottom, 1)
    layout = dict(
        height=height, paper_bgcolor=PALETTE["paper"], plot_bgcolor=PALETTE["paper"],
        margin=dict(l=10, r=10, t=top, b=bottom),
        font=dict(family="Arial, Helvetica, sans-serif", size=s.info),
        hovermode="closest", dragmode=False,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom",
                    font=dict(size=s.info)),
        xaxis=dict(range=[min(xs) - 0.7, max(xs) + 0.7], visible=False, fixedrange=True,
                   autorange=False),
        yaxis=dict(range=list(y_range), visible=False, fixedrange=True,
                   autorange=False),
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=0.0, xanchor="left", yanchor="top",
            # (a larger font does not enlarge plotly's button: its text met the border)
            pad=dict(r=8, t=8), showactive=False, font=dict(size=s.info, color=PALETTE["ink"]),
            bgcolor=PALETTE["paper"], bordercolor=PALETTE["muted"],
            buttons=[
                dict(label="▶ Play", method="animate",
                     args=[None, {**play, "fromcurrent": False}]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                        transition=dict(duration=0))]),
            ])],
        sliders=[dict(
            active=len(names) - 1, x=0.0, len=1.0, y=below, yanchor="top",
            pad=dict(t=8, b=0), currentvalue=dict(visible=False),
            # the step ticks: at the back of a lecture hall as large as the node text
            font=dict(size=s.info if s.k > 1 else max(10, s.info - 3), color=PALETTE["ink"]),
            steps=[dict(label=_slider_label(n), method="animate",
                        args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=int(ms * 0.5)))])
                   for n in names])],
    )
    # boxes around the ops of an expanded function call
    groups: dict[str, list] = {}
    for n in values:
        if g.nodes[n]["group"]:
            groups.setdefault(g.nodes[n]["group"], []).append(pos[n])
    boxes = {gid: (min(p[0] for p in pts) - 0.5, max(p[0] for p in pts) + 0.35,
                   min(p[1] for p in pts) - 0.55, max(p[1] for p in pts) + 0.35)
             for gid, pts in groups.items()}
    if _overlapping(list(boxes.values())):
        boxes = {}      # interleaved calls: the hover names the function instead
    shapes = [dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, layer="below",
                   line=dict(color=PALETTE["custom"], width=1.5, dash="dot"),
                   fillcolor="rgba(204,121,167,0.06)")
              for x0, x1, y0, y1 in boxes.values()]
    # the function's name inside its box, at the top: above the box it ran into the caption
    notes = [dict(x=x0, y=y1, text=gid.split("#")[0], showarrow=False,
                  xanchor="left", yanchor="top", xshift=4,
                  font=dict(size=s.info, color=PALETTE["custom"]))
             for gid, (x0, x1, y0, y1) in boxes.items()]
    if boxes:
        layout.update(shapes=shapes, annotations=notes)
    layout["meta"] = dict(nodes=values, forward_frames=sum(1 for n in names if n[0] == "f"),
                          backward_frames=len(trace.events))
    if title:
        layout["title"] = dict(text=title, x=0.01, font=dict(size=s.title))
    return layout


def _overlapping(boxes) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                return True
    return False


def _slider_label(name: str) -> str:
    return ("→" if name[0] == "f" else "←") + str(int(name[1:]) + 1)
