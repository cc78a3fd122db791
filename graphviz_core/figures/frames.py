"""The frame model of the animated backward pass: what every frame shows, as plain data.

:func:`frame_model` is a pure function of a finished trace. It decides everything the
figure draws — where each node, edge, label and packet is (Graphviz ``dot`` lays the graph
out, :func:`graphviz_core.layout.dot_layout`), which text each frame writes, which colour
each node has — in px of the figure's plot area for a known *view* (the plot's width and
its tallest height on a 1280x720 screen: the smallest a class projects on). The plotly
writer (:mod:`.backward`) only translates it; tests assert on it exactly, and
:func:`text_boxes` turns a frame into the boxes of its text so a test can prove that no
two overlap.

The model, a dict:

``view``      width, height (plot px), presentation, level ("full": every number on the
              graph; "values": each node's value only; "dense": too big for that, the
              numbers are in the caption and the hover, an input keeps its value and ∂;
              "names": the inputs' numbers off too), rankdir,
              scale (of the fonts), figure height, margins
``fonts``     px of label, info, packet, caption, legend, hover text
``nodes``     one dict per value node: id, label, x, y (circle centre), size (diameter),
              box (x0, y0, x1, y1: its space, which nothing else enters), text_y (the top of
              its value text), outline (colour, width), hover, shape (None for a scalar),
              heat (None, or the cells of its value/gradient heatmaps)
``literals``  numbers of the program: id, x, y, text
``edges``     one dict per edge: u, v, xs, ys (dot's spline), literal, slot ((x, y) of its
              label or None), note (static text of the slot: a shape, a broadcast's sum)
``clusters``  expanded calls: name, box, title (x, y)
``legend``    entries: kind ("line" | "dot" | "ring"), colour, text, x, y
``caption``   (x, y) of the caption's first line (its top left)
``frames``    one dict per frame: name, caption, colors (per node), texts (per node),
              halo (node ids), packets (per edge: None, or (text, kind, active)),
              flows {kind: [edge index]}, cells (colours of the heatmap cells)
"""
from __future__ import annotations

import functools
import math
import re
import numpy as np

from ..layout import Box, LayoutCache, dot_layout, forward_layers, layered_layout
from ..ops import OPS
from ..report import first_nonfinite, fmt, real_inputs
from ..values import finite
from .backward_text import (_BORN_BAD, _FIRST_BAD, _caption, _info, _num, _short, graph_digits,
                             node_hover)
from .palette import PALETTE

__all__ = ["frame_model", "text_boxes", "overlaps", "crossings", "text_size", "VIEWS", "SCREENS"]

# The plot's width and its tallest height, px, on a 1280x720 screen (measured in Chromium,
# tests/browser): normal mode draws the graph in the page's right column, or above the
# program row when it needs more room ("wide"); presentation mode across the page. A wider
# screen stretches the plot sideways: gaps grow, text stays as it is. The "-large" views
# are for a screen whose page is at least LARGE_PAGE px wide and LARGE_HEIGHT tall (a
# 1920x1080 one, sidebar open or not; the page reports it, explorer_app/viewport.py): the
# same type with more room, so a bigger program keeps its numbers on the graph.
VIEWS = {
    "column": (470, 330),
    "wide": (800, 330),
    "presentation": (1110, 430),
    "column-large": (820, 560),
    "wide-large": (1390, 560),
    "presentation-large": (1390, 640),
}
SCREENS = ("normal", "large")
LARGE_PAGE, LARGE_HEIGHT = 1400, 940     # the page's content width, the window's height


def check_screen(screen) -> None:
    """ValueError unless ``screen`` is one of :data:`SCREENS` (a share link or a caller's
    typo gets a sentence, not a KeyError later)."""
    if screen not in SCREENS:
        raise ValueError(f"screen must be one of {', '.join(SCREENS)}, "
                         f"not {str(screen)[:40]!r}")

_LINE = 1.3          # plotly's line height, in font sizes
_HEAT_MAX = 6        # values with more elements than this are drawn as a heatmap


# ---------------------------------------------------------------------------- text metrics

_NARROW = set("ijlI.,:;|!'()[] ")
_WIDE = set("mwMW@%⚠∂…→←↑↓×·Σ")


@functools.lru_cache(maxsize=16384)
def text_size(text: str, px: float, bold: bool = False) -> tuple:
    """(width, height) in px that ``text`` (lines split at ``<br>``) takes at ``px``: Arial's
    advance widths in classes (narrow, digits and lower case, upper case, wide), rounded
    up; Arial Black is about 1.2 times wider.

    >>> text_size("1024", 10)
    (23.2, 13.0)
    >>> text_size("a<br>bcd", 10)[1]
    26.0
    """
    width, lines = _units(str(text))
    return round(width * px * (1.2 if bold else 1.0), 1), round(lines * _LINE * px, 1)


@functools.lru_cache(maxsize=8192)
def _units(text: str) -> tuple:
    """(the widest line in font sizes, the number of lines) of ``text``: a pure function,
    remembered because every try of the fit and every caption's wrap measures the same
    texts again (a memo of a function, not of anyone's data: the same text always has the
    same size)."""
    lines = text.split("<br>")
    width = 0.0
    for line in lines:
        width = max(width, _advance(line, 0.0))
    return width, len(lines)


def _advance(line: str, w: float) -> float:
    """``w`` plus the width of ``line`` (one line) in font sizes, added char after char."""
    for ch in line:
        w += 0.30 if ch in _NARROW else 0.98 if ch in _WIDE else \
            0.70 if ch.isupper() else 0.58
    return w


# ---------------------------------------------------------------------------- sizes

class _Sizes:
    """Fonts and marks for a mode and a scale; ``dense`` drops the numbers off the graph."""

    def __init__(self, presentation: bool, scale: float = 1.0, level: str = "full"):
        k = (1.45 if presentation else 1.0) * scale
        dense = level in ("dense", "names")
        self.k, self.scale, self.dense, self.level = k, scale, dense, level
        self.bare = level == "names"      # the inputs' values off the graph too
        self.label = max(8, round(14 * k))
        self.info = max(8, round(13 * k))
        self.packet_text = max(8, round(14 * k))
        self.packet = max(5, round(11 * k))
        self.title = round(16 * (1.45 if presentation else 1.0))
        self.legend = round(12 * (1.45 if presentation else 1.0))
        self.hover = round(14 * (1.45 if presentation else 1.0))
        self.edge = 2.0 * (1.45 if presentation else 1.0)
        self.outline = 2.0 * k
        self.rim = max(2, round(6 * k))
        self.cell = max(3, round(7 * k))
        self.sep = k
        self.cut = 6 if self.bare else 4 if dense else 9    # characters the circle holds
        self.labels = self.node_size("xx") >= 22

    def node_size(self, label: str) -> float:
        if self.dense:      # names only: one small size (a long name is cut, or hidden)
            if self.bare:   # nothing else on the graph: room for the name itself
                return round(max(34, 8.4 * min(len(label), self.cut) + 8) * self.k)
            return round(26 * self.k)
        return round(max(46, 9 * min(len(label), 9) + 14) * self.k)


# ---------------------------------------------------------------------------- the model

def frame_model(trace, prog, presentation: bool = False, view: str | None = None,
                speed: float = 1.0, title: str | None = None, layouts: LayoutCache | None = None,
                engine: str = "dot", flagged=(), screen: str = "normal") -> dict:
    """The figure of ``trace`` as data (see the module docstring).

    ``view`` one of :data:`VIEWS` (default: "presentation" in presentation mode, else
    "column", or "wide" when the column cannot hold the numbers); ``engine`` "dot", or
    "layered" for stage one's hand-written layout (kept to measure against); ``flagged``
    nodes (a rule check failed there) are outlined in vermillion; ``screen`` "large" draws
    in the "-large" views (a 1920x1080 screen: more room, the same type).

    >>> import graphviz_core as gc
    >>> p = gc.parse(gc.preset("foo3").source)
    >>> m = frame_model(gc.trace(p), p)
    >>> [f["name"] for f in m["frames"]], m["view"]["level"]
    (['f0', 'f1', 'f2', 'f3', 'b0', 'b1', 'b2'], 'full')
    >>> [t for t in m["frames"][-1]["texts"]][0]
    '= 2<br>∂ = 1024'
    """
    g = trace.graph
    values = [n for n, k in g.nodes(data="kind") if k != "literal"]
    literals = [n for n, k in g.nodes(data="kind") if k == "literal"]
    step_of = _layers(g, layouts)
    layers = sorted(set(step_of.values()))
    n_fwd, n_bwd = len(layers), len(trace.events)
    fwd_node, bwd_event = first_nonfinite(trace)
    contrib, packets = _contributions(trace, values)
    edges = sorted(g.edges(), key=lambda e: (_nid(e[1]), _nid(e[0])))
    edge_index = {e: i for i, e in enumerate(edges)}

    texts_of = _Texts(trace, contrib, fwd_node, bwd_event, n_bwd)
    captions = [_caption(trace, prog, step, n_fwd, layers, values,
                         {n: (step_of[n], 0) for n in values}) for step in range(n_fwd + n_bwd)]
    check_screen(screen)
    if view is None:
        views = ["presentation"] if presentation else ["column", "wide"]
        if screen == "large":
            views = [f"{v}-large" for v in views]
    else:
        views = [view]
    # dot's cost grows fast with edge labels on a wide fan-in or fan-out (60 labelled edges
    # into one sum: 7 s; 30: 0.3 s; bench/README.md): past _MOST_SLOTS the numbers go to
    # the caption at once (names only), past _MOST_NODES stage one's layered layout places
    # the names (linear time; dot took 0.9 s for 240 nodes without labels)
    levels = ("full", "values") if len(packets) <= _MOST_SLOTS else ()
    if len(values) > _MOST_NODES:
        engine = "layered"
    def place(sz, v, rd):
        return _place(trace, prog, g, values, literals, edges, packets, texts_of, sz, v,
                      layouts, engine, rd, captions, frozenset(flagged))

    # The fit tries several drawings; which one it keeps depends only on the sizes of the
    # texts, and another input value mostly gives texts of the same sizes: the choice is
    # kept per structure and text widths, and a rerun places once (bench/README.md). It is
    # asked by what the fit measured up to the try that fitted (:class:`_FitKeys`): most
    # programs fit with every number, and the other levels' texts are then not written.
    choices = getattr(layouts, "choices", None)
    keys = None if choices is None else _FitKeys(
        trace, g, values, edges, packets, texts_of, captions, presentation, views, levels,
        engine, frozenset(flagged))
    choice = None
    if keys is not None:
        for key in keys.tries():
            choice = choices.get(key)
            if choice is not None:
                break
    if choice is not None:
        v, level, scale, rankdir = choice
        placed = place(_Sizes(presentation, scale, level), v, rankdir)
        placed["view"] = v
    else:
        placed = _fit(place, presentation, views, levels, turn=len(values) <= _TURN_NODES)
        if keys is not None:
            choices.put(keys.of(placed["view"], placed["sizes"].level),
                        (placed["view"], placed["sizes"].level, placed["sizes"].scale,
                         placed["rankdir"]))
    view = placed["view"]
    for nd in placed["nodes"]:      # once, for the drawing chosen (not for every try)
        nd["hover"] = node_hover(trace, prog, nd["id"])
    s = placed["sizes"]
    W, H = placed["width"], placed["height"]

    # ------------------------------------------------------------------ the frames
    def text(n, lit, fired):      # (texts_of keeps what it wrote: each is asked once)
        if s.dense and (s.bare or g.nodes[n]["kind"] != "input"):
            return texts_of.dense(n, lit, fired)
        # an input keeps its value and ∂: that is the answer
        return texts_of(n, lit, fired, "values" if s.dense else s.level)

    frames = []
    for step in range(n_fwd + n_bwd):
        forward_x = layers[min(step, n_fwd - 1)] if layers else 0
        fired = step - n_fwd
        colors, texts = [], []
        for n in values:
            lit = step_of[n] <= forward_x or fired >= 0
            colors.append(_color(trace, n, lit, fired, contrib[n]))
            texts.append(text(n, lit, fired))
        if 0 <= fired < n_bwd:
            halo = [trace.events[fired].node]
        elif fired < 0 and layers:
            halo = [n for n in values if step_of[n] == forward_x]
        else:
            halo = []
        shown = [None] * len(edges)
        flows: dict = {"grad": [], "none": [], "nan": []}
        for (i, consumer, producer, v) in packets:
            if i <= fired:
                kind = "none" if v is None else "nan" if not finite(v) else "grad"
                active = i == fired
                label = _num(v, graph_digits(trace)) if not s.dense else " "
                shown[edge_index[(producer, consumer)]] = (label, kind, active)
                flows[kind].append(edge_index[(producer, consumer)])
        frames.append(dict(
            name=f"f{step}" if step < n_fwd else f"b{fired}",
            caption=placed["captions"][step],
            colors=colors, texts=texts, halo=halo, packets=shown, flows=flows,
            cells=_cell_colors(trace, placed["nodes"], values, step_of, forward_x, fired,
                               contrib)))

    top, bottom = _margins(s)
    return dict(
        view=dict(name=view, width=W, height=H, presentation=bool(presentation),
                  level=s.level, scale=s.scale, rankdir=placed["rankdir"],
                  margin_top=top, margin_bottom=bottom, figure_height=H + top + bottom,
                  speed=speed, title=title, forward_frames=n_fwd, backward_frames=n_bwd),
        fonts=dict(label=s.label if s.labels else 0, info=s.info, packet=s.packet_text,
                   packet_marker=s.packet, caption=s.title, legend=s.legend, hover=s.hover,
                   edge=s.edge, rim=s.rim, outline=s.outline),
        nodes=placed["nodes"], literals=placed["literals"], edges=placed["edges"],
        clusters=placed["clusters"], legend=placed["legend"], caption=placed["caption"],
        frames=frames)


_MOST_SLOTS = 40
_MOST_NODES = 150
_TURN_NODES = 60       # top to bottom is tried up to this size (each try is a dot run)


def _layers(g, layouts) -> dict:
    """:func:`~graphviz_core.layout.forward_layers`, kept with the layouts by structure
    (another input value has the same steps); the dict is shared, read it only."""
    if layouts is None:
        return forward_layers(g)
    key = ("layers", tuple(g.nodes(data="kind")), tuple(g.edges))
    step_of = layouts.get(key)
    if step_of is None:
        step_of = forward_layers(g)
        layouts.put(key, step_of)
    return step_of


class _FitKeys:
    """What :func:`_fit` measures, as sizes: two traces with the same key get the same
    drawing from it (their numbers may differ). A node's box is the widest and tallest of
    its texts, so each level's largest :func:`_units` stand for them; the caption band is as
    tall as the caption with the most lines once wrapped to the view.

    The fit tries each level in each view, in order, and returns the first drawing that
    fits; :func:`_place` at a level reads that level's texts only. So a drawing that fitted
    at ``levels[j]`` in ``views[i]`` depends on the levels up to ``j`` and on the views up
    to ``i`` (all of them past the first level): :meth:`of` is that key, :meth:`tries`
    yields every such key in the fit's order, then the key of the names-only drawings
    (which measure everything). A part is measured when a key first needs it."""

    def __init__(self, trace, g, values, edges, packets, texts_of, captions, presentation,
                 views, levels, engine, flagged):
        self.values, self.texts_of, self.captions = values, texts_of, captions
        self.presentation, self.views, self.levels = presentation, tuple(views), tuple(levels)
        digits = graph_digits(trace)
        nodes = tuple((n, a["kind"], a["label"], a.get("op"), a["group"], a.get("mode"),
                       a["target"], _shape(a["value"]) if n in values else None)
                      for n, a in g.nodes(data=True))
        sent = tuple(sorted((p, c, _units(_room(_num(v, digits)))) for (_, c, p, v) in packets))
        legend = tuple(text for *_, text in _legend_entries(trace, g, bool(flagged)))
        self.common = (nodes, tuple(edges), sent, legend, bool(presentation), self.views,
                       self.levels, engine, flagged, len(values) <= _TURN_NODES)
        self._level, self._band, self._dense = {}, {}, None

    def level(self, level: str) -> tuple:
        if level not in self._level:
            t = self.texts_of

            def most(texts):
                units = [_units(x) for x in texts]
                return (max(u[0] for u in units), max(u[1] for u in units)) if units else None

            self._level[level] = tuple(most([_room(t(n, True, f, level)) for f in t.moments(n)])
                                       for n in self.values)
        return self._level[level]

    def band(self, view: str) -> int:
        if view not in self._band:
            title = _Sizes(self.presentation).title
            self._band[view] = max([_units(_wrap(c, title, VIEWS[view][0] - 8))[1]
                                    for c in self.captions] or [1])
        return self._band[view]

    def dense(self) -> tuple:
        if self._dense is None:
            t = self.texts_of
            self._dense = tuple(_units(t.dense(n, True, t.n_bwd - 1)) for n in self.values)
        return self._dense

    def _key(self, j: int | None, i: int | None) -> tuple:
        if j is None:           # past the levels: the names-only drawings measure it all
            return ("fit", self.common, tuple(self.level(lv) for lv in ("full", "values")),
                    self.dense(), tuple(self.band(v) for v in self.views))
        views = self.views[:i + 1] if j == 0 else self.views
        return ("fit", j, i if j == 0 else None, self.common,
                tuple(self.level(lv) for lv in self.levels[:j + 1]),
                tuple(self.band(v) for v in views))

    def of(self, view: str, level: str) -> tuple:
        """The key of a drawing the fit returned in ``view`` at ``level``."""
        if level in self.levels and view in self.views:
            return self._key(self.levels.index(level), self.views.index(view))
        return self._key(None, None)

    def tries(self):
        for j in range(len(self.levels)):
            for i in (range(len(self.views)) if j == 0 else [None]):
                yield self._key(j, i)
        yield self._key(None, None)


def _fit(place, presentation, views, levels=("full", "values"), turn=True) -> dict:
    """The largest type that fits: every number on the graph (full) at a scale of 1 down to
    0.7, in each view in turn; then each node's value only (the step's upstream and local
    are in the caption); then names only (dense) in the last view, down to a third. A
    drawing's size is about proportional to the scale, so one try predicts the next."""
    def attempt(view, level, lo, hi):
        sc, rankdir = hi, None
        while True:
            if rankdir is None:     # left to right, unless top to bottom fits better
                placed = place(_Sizes(presentation, sc, level), view, "LR")
                # top to bottom only with names alone: an edge runs down through the
                # middle of its slot, where a number on it would be (it crossed them)
                if not placed["fits"] and turn and level in ("dense", "names"):
                    other = place(_Sizes(presentation, sc, level), view, "TB")
                    if other["over"] < placed["over"] * 0.8:
                        placed, rankdir = other, "TB"
                    else:
                        rankdir = "LR"
            else:
                placed = place(_Sizes(presentation, sc, level), view, rankdir)
            placed["view"] = view
            if placed["fits"] or sc <= lo:
                return placed
            sc = max(lo, min(sc * 0.92, sc / placed["over"] * 0.98))

    for level in levels:        # every number on the graph, if any view holds them
        for view in views:
            placed = attempt(view, level, 0.7, 1.0)
            if placed["fits"]:
                return placed
    placed = attempt(views[-1], "dense", 0.3, 1.0)
    if not placed["fits"] or placed["sizes"].scale < 0.75:
        # the inputs' values and gradients (several rows each for a matrix) are what made
        # it small: off the graph too (they are under it and in the hover), the names can
        # be read from the back of the room (a 2-layer MLP at 1280x720: 0.48 -> larger)
        bare = attempt(views[-1], "names", placed["sizes"].scale, 1.0)
        if bare["fits"] and (not placed["fits"] or
                             bare["sizes"].scale >= 1.15 * placed["sizes"].scale):
            return bare
    if placed["fits"] or not turn:
        return placed
    # too big for the screen even with names only: the largest that fits its width, the
    # figure taller than the screen (it scrolls; text still never overlaps)
    for sc in (0.5, 0.3):
        for rankdir in ("LR", "TB"):
            wide = place(_Sizes(presentation, sc, "dense"), views[-1], rankdir)
            if wide["over_w"] <= 1:
                wide["view"] = views[-1]
                return wide
    return placed


def _nid(n: str) -> int:
    return int(n[1:]) if n[1:].isdigit() else 0


def _contributions(trace, values):
    """What each producer receives, in event order, and the packets: (event, consumer,
    producer, value | None), a producer used twice by one op getting the sum."""
    g = trace.graph
    contrib: dict = {n: [] for n in values}
    packets = []
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
    return contrib, packets


class _Texts:
    """The text under a node at a frame (the words are :func:`.backward_text._info`'s)."""

    def __init__(self, trace, contrib, fwd_node, bwd_event, n_bwd):
        self.trace, self.contrib = trace, contrib
        self.fwd_node, self.bwd_event, self.n_bwd = fwd_node, bwd_event, n_bwd

    def __call__(self, n, lit, fired, level: str = "full") -> str:
        key = (n, lit, fired, level)
        memo = self.__dict__.setdefault("_memo", {})    # every try of the fit asks again
        if key not in memo:
            memo[key] = "<br>".join(_fold(line)
                                    for line in self._text(n, lit, fired, level).split("<br>"))
        return memo[key]

    def _full(self, n, lit, fired) -> str:
        """:meth:`_text` at the full level, unfolded, asked once per node and frame (the
        values level is cut from it)."""
        key = (n, lit, fired)
        raw = self.__dict__.setdefault("_raw", {})
        if key not in raw:
            raw[key] = self._text(n, lit, fired)
        return raw[key]

    def _text(self, n, lit, fired, level: str = "full") -> str:
        a = self.trace.graph.nodes[n]
        if level == "values":       # the value, and an input's gradient once it is known
            lines = self._full(n, lit, fired).split("<br>")
            keep = 1
            while keep < len(lines) and lines[keep].startswith("["):    # a tensor's rows
                keep += 1
            # and a custom rule's text: what the node is about
            head = "<br>".join(lines[:keep] + [x for x in lines[keep:] if x.startswith("rule:")])
            if a["kind"] == "input" and self.contrib[n] and \
                    all(i <= fired for i, _ in self.contrib[n]):
                head += f"<br>∂ = {_num(self.trace.gradients.get(a['names'][0]), 5)}"
            return head
        done = a["event"] is not None and a["event"] <= fired
        text = _info(self.trace, n, lit, fired, self.contrib[n], n == self.fwd_node,
                     self.bwd_event is not None and a["event"] == self.bwd_event and done)
        shape = _shape(a["value"])
        if lit and shape:           # a tensor: its name and shape, then its numbers if few
            skip = _num(a["value"]).count("<br>") + 1       # the value's own lines
            rest = text.split("<br>")[skip:]
            names = ", ".join(a["names"]) if a["kind"] != "input" and a["names"] else ""
            head = f"{names} {shape}".strip()
            if np.size(a["value"]) <= _HEAT_MAX:
                head += "<br>" + _num(a["value"])
            text = "<br>".join([head] + rest)
        return text

    def warning(self, n, lit, fired) -> str:
        """Where inf/NaN first appeared stays marked in words when the numbers are off the
        graph (colour alone is easy to miss); " " elsewhere."""
        ev = self.trace.graph.nodes[n]["event"]
        words = []
        if lit and n == self.fwd_node:
            words.append(_FIRST_BAD)
        if self.bwd_event is not None and ev == self.bwd_event and ev <= fired:
            words.append(_BORN_BAD)
        return "<br>".join(words) or " "

    def dense(self, n, lit, fired) -> str:
        """Names only: a tensor keeps its shape, and the inf/NaN warnings stay."""
        words = [x for x in (_shape(self.trace.graph.nodes[n]["value"]) if lit else "",
                             self.warning(n, lit, fired).strip()) if x]
        return "<br>".join(words) or " "

    def moments(self, n) -> set:
        """The frames where a node's text changes (its widest is at one of them)."""
        a = self.trace.graph.nodes[n]
        frames = {-1, self.n_bwd - 1}
        if a["event"] is not None:
            frames.add(a["event"])
        frames |= {i for i, _ in self.contrib[n]}
        return frames


def _fold(line: str, most: int = 24) -> str:
    """A long line of numbers broken after commas (a list of 4, two sums of tensors), so a
    node's box stays narrow; the continuation is indented.

    >>> _fold("∂ = [0.105, 0.141, -0.1775, 0.035]")
    '∂ = [0.105, 0.141,<br>  -0.1775, 0.035]'
    """
    if len(line) <= most or ", " not in line:
        return line
    out, cur = [], ""
    for part in line.split(", "):
        trial = f"{cur}, {part}" if cur else part
        if cur and len(trial) > most:
            out.append(cur + ",")
            cur = "  " + part
        else:
            cur = trial
    out.append(cur)
    return "<br>".join(out)


def _shape(v) -> str:
    """``(2, 3)`` for a tensor, "" for a scalar."""
    if isinstance(v, np.ndarray) and v.ndim:
        return "(" + ", ".join(map(str, v.shape)) + ("," if v.ndim == 1 else "") + ")"
    return ""


def _color(trace, n, lit, fired, contribs) -> str:
    g = trace.graph
    a = g.nodes[n]
    ev_i = a["event"]
    done = ev_i is not None and ev_i <= fired
    arrived = bool(contribs) and all(i <= fired for i, _ in contribs)
    bad = (lit and not finite(a["value"])) or \
          (done and not all(finite(v) or v is None for v in
                            real_inputs(g, n, trace.events[ev_i].downstream)))
    if bad:
        return PALETTE["nan"]
    if a["kind"] == "input" and fired == len(trace.events) - 1 and \
            trace.gradients.get(a["names"][0], 0.0) is None:
        return PALETTE["none"]                  # the end: TensorFlow says None
    if a["kind"] == "input" and fired >= 0 and arrived and all(v is None for _, v in contribs):
        return PALETTE["none"]                  # only None arrived
    if done or (a["kind"] == "input" and fired >= 0 and arrived):
        return PALETTE["done"]
    return PALETTE["forward"] if lit else PALETTE["idle"]


# ---------------------------------------------------------------------------- placing

def _place(trace, prog, g, values, literals, edges, packets, texts_of, s, view, layouts,
           engine, rankdir="LR", captions=(), flagged=frozenset()) -> dict:
    """Sizes from content, dot's layout, and everything in plot px; ``fits`` says whether
    it fits the view."""
    W, H_max = VIEWS[view]
    boxes, heat, text_h = {}, {}, {}
    for n in values:
        a = g.nodes[n]
        d = s.node_size(a["label"]) + 2 * s.rim
        tw, th = 0.0, 0.0
        text_h[n] = 0.0
        if s.dense and texts_of.dense(n, True, texts_of.n_bwd - 1).strip():
            tw, th = text_size(texts_of.dense(n, True, texts_of.n_bwd - 1), s.info)
            th += 4
        if not s.dense or (a["kind"] == "input" and not s.bare):
            for f in texts_of.moments(n):
                w, h = text_size(_room(texts_of(n, True, f, "values" if s.dense
                                                else s.level)), s.info)
                tw, th = max(tw, w), max(th, h)
            text_h[n] = th
            cells = _heat_shape(a["value"]) if not s.dense else None
            if cells:
                rows, cols = cells
                gw = cols * s.cell
                heat[n] = (rows, cols)
                tw = max(tw, 2 * gw + 3 * s.cell)
                th += rows * s.cell + s.cell
            th += 4
        # sizes in steps: other input values (other digits) keep the same boxes, so the
        # same drawing (values do not move nodes; the layout cache hits)
        boxes[n] = Box(d, _step(tw + 6) if tw else 0, _step(th, 8))
    for n in literals:
        w, h = text_size(g.nodes[n]["label"], s.info)
        boxes[n] = Box(h, w + 4, 0)
    slots, notes = {}, {}
    sent = {(p, c): v for (_, c, p, v) in packets}
    for (u, v) in edges:
        if g.nodes[u]["kind"] == "literal" or (u, v) not in sent:
            continue
        if s.dense:         # no numbers on the graph: the packet is a dot on its edge
            continue
        note = _edge_note(g, u, v)
        w, h = text_size(_room(_num(sent[(u, v)], graph_digits(trace))), s.packet_text, bold=True)
        nh = 0.0
        if note:
            nw, nh = text_size(note, s.info)
            w = max(w, nw)
            notes[(u, v)] = note
        # the edge runs through the middle of its slot (dot's ports "w" and "e"): the
        # marker rides there, the number above it, the note below, so the box is as tall
        # as twice its taller half (a three-row gradient no longer sits on its own edge)
        half = max(2 + h + s.packet / 2, s.packet / 2 + 1 + nh + 2)
        slots[(u, v)] = (_step(w + 6), 2 * half)
    titles = {}
    for n in values:
        gid = g.nodes[n]["group"]
        if gid and gid not in titles:
            titles[gid] = (gid.split("#")[0], s.info)

    if engine == "layered":
        drawing = _layered_drawing(g, boxes, slots, s)
    else:
        key = (tuple((n, g.nodes[n]["group"]) for n in g), tuple(edges),
               tuple(sorted(boxes.items())), tuple(sorted(slots.items())),
               tuple(sorted(titles.items())), round(s.sep, 3), rankdir)
        drawing = layouts.get(key) if layouts is not None else None
        if drawing is None:
            drawing = dot_layout(g, boxes, slots, titles, sep=s.sep, rankdir=rankdir)
            if layouts is not None:
                layouts.put(key, drawing)

    legend, legend_h = _legend(s, W, trace, g, bool(flagged))
    captions = [_wrap(c, s.title, W - 8) for c in captions]
    cap_h = max([text_size(c, s.title)[1] for c in captions] or [_LINE * s.title]) + 6
    band = legend_h + cap_h + 4
    over_w, over_h = drawing.width / W, drawing.height / max(H_max - band, 1)
    over = max(over_w, over_h)
    fits = over <= 1 or engine == "layered"
    # too tall even with names only: the figure grows (it scrolls; text never overlaps)
    H = max(min(H_max, max(drawing.height + band + 8, 160)), drawing.height + band)
    # the drawing centred in the plot below the band; y up. A drawing much narrower than
    # the plot (a tall one, shrunk to its height) is spread sideways, up to 1.5 times:
    # centres move apart, texts keep their size, so nothing comes closer
    fx = min(1.5, W * 0.94 / drawing.width) if 0 < drawing.width < W * 0.7 else 1.0
    ox = max((W - drawing.width * fx) / 2, 0)
    oy = max((H - band - drawing.height) / 2, 0)

    def at(p):
        return (round(p[0] * fx + ox, 2), round(p[1] + oy, 2))

    def rect(r):        # a node's space keeps its width, its centre moves
        half = (r[2] - r[0]) / 2
        cx = (r[0] + r[2]) / 2 * fx + ox
        return (round(cx - half, 2), round(r[1] + oy, 2), round(cx + half, 2),
                round(r[3] + oy, 2))

    def spread(r):      # a function's box spreads with its members
        return (round(r[0] * fx + ox, 2), round(r[1] + oy, 2), round(r[2] * fx + ox, 2),
                round(r[3] + oy, 2))

    nodes = []
    for n in values:
        a = g.nodes[n]
        x, y = at(drawing.nodes[n])
        size = boxes[n].marker - 2 * s.rim
        outline = ((PALETTE["nan"], s.outline * 2.5) if n in flagged else
                   (PALETTE["custom"], s.outline * 2) if a["kind"] == "call"
                   and a["mode"] == "custom" else (PALETTE["ink"], s.outline * 1.5)
                   if a["target"] else (PALETTE["paper"], s.outline))
        cell = None
        if n in heat:
            rows, cols = heat[n]
            cell = _cells(a, rows, cols, x, y - boxes[n].marker / 2 - 2 - text_h[n], s)
        nodes.append(dict(
            id=n, label=_short(a["label"], s.cut) if s.labels else " ", kind=a["kind"], x=x, y=y,
            size=size, box=rect(drawing.boxes[n]), text_y=round(y - boxes[n].marker / 2 - 1, 2),
            outline=outline, hover=None, shape=_shape(a["value"]) or None,
            heat=cell))
    lits = [dict(id=n, x=at(drawing.nodes[n])[0], y=at(drawing.nodes[n])[1],
                 text=g.nodes[n]["label"]) for n in literals]
    out_edges = []
    for (u, v) in edges:
        pts = [at(p) for p in drawing.paths[(u, v)]]
        e = dict(u=u, v=v, xs=[p[0] for p in pts], ys=[p[1] for p in pts],
                 literal=g.nodes[u]["kind"] == "literal", slot=None, packet=None, note=None,
                 note_y=None)
        if (u, v) in drawing.slots:
            # the slot, top down: the packet's number, its marker, the note
            x, y = at(drawing.slots[(u, v)])
            my = y          # on the edge, which crosses the slot's middle
            e.update(slot=(x, y), packet=(x, round(my, 2)))
            if (u, v) in notes:
                e.update(note=notes[(u, v)], note_y=round(my - s.packet / 2 - 1, 2))
        elif (u, v) in sent:
            e.update(packet=_halfway(pts))
        out_edges.append(e)
    clusters = [dict(name=gid.split("#")[0], group=gid, box=spread(c[:4]), title=at(c[4:]))
                for gid, c in drawing.clusters.items()]
    # a box's title where dot left it room; where it did not (dot reserves a cluster's label
    # room unreliably left to right) the box goes untitled: the hover names the function
    placed_boxes = [nd["box"] for nd in nodes] + [
        (lt["x"] - 8, lt["y"] - 8, lt["x"] + 8, lt["y"] + 8) for lt in lits]
    for c in clusters:
        w, h = text_size(c["name"], s.info)
        tb = (c["title"][0] - w / 2, c["title"][1] - h / 2, c["title"][0] + w / 2,
              c["title"][1] + h / 2)
        inner = (tb[0] + 1, tb[1] + 1, tb[2] - 1, tb[3] - 1)
        if any(tb[0] < b[2] and b[0] < tb[2] and tb[1] < b[3] and b[1] < tb[3]
               for b in placed_boxes) or any(
                _cuts(a, b, inner) for e in out_edges
                for a, b in zip(zip(e["xs"], e["ys"]), zip(e["xs"][1:], e["ys"][1:]))):
            c["title"] = None      # (an edge through it too: dot routes some across)
        else:
            placed_boxes.append(tb)
    legend = [dict(e, y=round(H - e["y"], 2)) for e in legend]
    caption = (4.0, round(H - legend_h - 2, 2))
    return dict(fits=fits, over=over, over_w=over_w, sizes=s, captions=captions, rankdir=rankdir, width=W, height=round(H, 1), nodes=nodes, literals=lits,
                edges=out_edges, clusters=clusters, legend=legend, caption=caption)


# a shape, (2, 3) or 2×3×4, is kept as it is; any other number is padded
_NUMBER = re.compile(r"\(\d+(?:, \d+)*,?\)|\d+(?:×\d+)+|(?<![\w.])-?\d[\d.]*(?:e[-+]\d+)?")


def _room(text: str) -> str:
    """``text`` as its box is sized: every number as wide as a 7-character one at least
    (``-0.12``, ``1024``, ``2`` all take the room of ``00000``), so that other input
    values give the same boxes and the same drawing.

    >>> _room("y = 2 (2, 3)<br>local 0.5, 1024, 2×3")
    'y = 00000 (2, 3)<br>local 00000, 00000, 2×3'
    """
    if "[" in text:         # a tensor's numbers: as they are (six of them, each padded,
        return text         # would make the box as wide as the screen)
    # a rule's text is the program's, the same whatever the inputs
    def pad(m):
        token = m.group(0)
        return token if token[0] == "(" or "×" in token else "0" * max(5, len(token))
    return "<br>".join(line if line.startswith("rule:") else _NUMBER.sub(pad, line)
                       for line in text.split("<br>"))


def _step(px: float, step: int = 12) -> float:
    """``px`` rounded up to a multiple of ``step``."""
    return float(math.ceil(px / step) * step)


@functools.lru_cache(maxsize=1024)
def _wrap(text: str, px: float, width: float, most: int = 4) -> str:
    """``text`` broken at spaces into lines of at most ``width`` px (``<br>`` kept), at
    most ``most`` lines (the rest cut with …: the trace table has every number).

    >>> _wrap("upstream 1 × local 32 → downstream 32", 10, 120)
    'upstream 1 × local 32<br>→ downstream 32'

    A pure function, remembered as :func:`_units` is: the fit key wraps every caption for
    each view it may draw in, and the drawing chosen wraps them again for its own.
    """
    # each trial line is measured as text_size would (the same sums, char after char, in
    # the same order), from the line so far: a caption holds this run's numbers, and
    # measuring every prefix through text_size's memo only filled it with one-off texts
    lines = []
    for part in text.split("<br>"):
        line, w = "", 0.0
        for word in part.split(" "):
            if not line:
                line, w = word, _advance(word, 0.0)
                continue
            wide = _advance(word, _advance(" ", w))
            if round(wide * px, 1) > width:
                lines.append(line)
                line, w = word, _advance(word, 0.0)
            else:
                line, w = f"{line} {word}", wide
        lines.append(line)
    if len(lines) > most:
        lines = lines[:most]
        lines[-1] = lines[-1][:max(1, len(lines[-1]) - 2)] + " …"
    return "<br>".join(lines)


def _halfway(pts) -> tuple:
    """The point half the length along a polyline."""
    lengths = [math.dist(a, b) for a, b in zip(pts, pts[1:])]
    left = sum(lengths) / 2
    for (a, b), d in zip(zip(pts, pts[1:]), lengths):
        if left <= d and d > 0:
            t = left / d
            return (round(a[0] + (b[0] - a[0]) * t, 2), round(a[1] + (b[1] - a[1]) * t, 2))
        left -= d
    return pts[-1]


def _heat_shape(v):
    """(rows, cols) of a value's heatmap, or None: a value of more than ``_HEAT_MAX``
    elements; a vector wraps at 16 a row, a rank-3 value shows its matrices side by side."""
    if not isinstance(v, np.ndarray) or v.size <= _HEAT_MAX:
        return None
    if v.ndim == 1:
        cols = min(v.size, 16)
        return math.ceil(v.size / cols), cols
    rows = v.shape[0]
    return rows, v.size // rows


def _cells(a, rows, cols, x, top, s) -> dict:
    """The cells of a node's two heatmaps (value left, gradient right), centred under it."""
    c = s.cell
    left = x - (2 * cols * c + c) / 2
    xs, ys = [], []
    for side in range(2):
        for r in range(rows):
            for k in range(cols):
                xs.append(round(left + side * (cols * c + c) + (k + 0.5) * c, 2))
                ys.append(round(top - (r + 0.5) * c, 2))
    value = np.asarray(a["value"], dtype=float).reshape(-1)
    hover = [f"value[{i}] = {fmt(float(x))}" for i, x in enumerate(value)]
    return dict(x=xs, y=ys, size=c, rows=rows, cols=cols, hover=hover + [""] * len(hover))


def _edge_note(g, u, v) -> str | None:
    """What an edge says besides the number it carries: the shape that flows, and for a
    broadcast input of an elementwise op that its gradient was summed back to its shape."""
    pv, cv = g.nodes[u]["value"], g.nodes[v]["value"]
    ps, cs = np.shape(pv), np.shape(cv)
    if not ps and not cs:
        return None
    a = g.nodes[v]
    spec = OPS.get(a["op"]) if a["kind"] == "op" else None
    if spec is not None and spec.elementwise and ps != cs and len(ps) <= len(cs):
        lead = len(cs) - len(ps)
        axes = list(range(lead)) + [lead + i for i, d in enumerate(ps)
                                    if d == 1 and cs[lead + i] != 1]
        if axes:
            word = "axis" if len(axes) == 1 else "axes"
            return (f"sum over {word} {', '.join(map(str, axes))}:<br>"
                    f"{_shape(np.zeros(cs)) or '()'} → {_shape(np.zeros(ps)) or '()'}")
    return _shape(pv) or None


def _cell_colors(trace, nodes, values, step_of, forward_x, fired, contrib) -> list:
    """Per heatmap cell, this frame's colour: the value once lit, the gradient once known."""
    out = []
    g = trace.graph
    for nd, n in zip(nodes, values):
        if not nd["heat"]:
            continue
        a = g.nodes[n]
        size = nd["heat"]["rows"] * nd["heat"]["cols"]
        lit = step_of[n] <= forward_x or fired >= 0
        out += _diverging(a["value"], size) if lit else [PALETTE["idle"]] * size
        ev = a["event"]
        known = (ev is not None and ev <= fired) or (
            a["kind"] == "input" and fired >= 0 and contrib[n]
            and all(i <= fired for i, _ in contrib[n]))
        grad = a["gradient"]
        out += _diverging(grad, size) if known and grad is not None else \
            [PALETTE["paper"]] * size
    return out


def _diverging(v, size) -> list:
    """Colours of a tensor's elements: blue below 0, white at 0, vermillion above, scaled
    by its largest magnitude; black for inf/NaN."""
    a = np.asarray(v, dtype=float).reshape(-1)[:size]
    top = np.nanmax(np.abs(np.where(np.isfinite(a), a, 0.0))) if a.size else 0.0
    out = []
    for x in a:
        if not math.isfinite(x):
            out.append("rgb(0,0,0)")
            continue
        t = 0.0 if top == 0 else x / top
        r, gg, b = (213, 94, 0) if t > 0 else (0, 114, 178)
        w = abs(t)
        out.append(f"rgb({round(255 + (r - 255) * w)},{round(255 + (gg - 255) * w)},"
                   f"{round(255 + (b - 255) * w)})")
    return out + [PALETTE["paper"]] * (size - len(out))


def _legend(s, width, trace, g, flagged=False) -> tuple:
    """The key, drawn as text in a band at the top (plotly's legend grows the margin by
    an amount only the browser knows): the entries this trace shows, left to right,
    wrapping; y from the top."""
    row_h = _LINE * s.legend + 2
    x, y, out = 4.0, row_h / 2, []
    for kind, color, text in _legend_entries(trace, g, flagged):
        w = 26 + text_size(text, s.legend)[0] + 14
        if x + w > width and x > 4:
            x, y = 4.0, y + row_h
        out.append(dict(kind=kind, color=color, text=text, x=round(x, 2), y=round(y, 2),
                        text_x=round(x + 26, 2)))
        x += w
    return out, y + row_h / 2 + 2


def _legend_entries(trace, g, flagged=False) -> list:
    """The key's entries for this trace: (mark, colour, words)."""
    downs = [d for e in trace.events for d in e.downstream]
    has_none = any(d is None for d in downs) or any(v is None for v in trace.gradients.values())
    has_bad = any(not finite(a["value"]) for _, a in g.nodes(data=True)) or \
        any(d is not None and not finite(d) for d in downs)
    custom = any(a["kind"] == "call" and a["mode"] == "custom" for _, a in g.nodes(data=True))
    entries = [("line", PALETTE["gradient"], "gradient flowing"),
               ("dot", PALETTE["forward"], "forward value"),
               ("dot", PALETTE["done"], "gradient known"),
               ("dot", PALETTE["active"], "now")]
    if has_none:
        entries += [("dash", PALETTE["none"], "None (no gradient)"),
                    ("dot", PALETTE["none"], "gradient None")]
    if has_bad:
        entries.append(("line", PALETTE["nan"], "NaN / inf"))
    if custom:
        entries.append(("ring", PALETTE["custom"], "custom gradient"))
    if flagged:
        entries.append(("alarm", PALETTE["nan"], "rule check failed"))
    return entries


def _layered_drawing(g, boxes, slots, s):
    """Stage one's layered layout, scaled into px as that figure did (one layer per 130 px,
    one row per 110 px): what the overlap test is measured against."""
    from ..layout import Drawing
    pos = layered_layout(g)
    xs = [p[0] for p in pos.values()] or [0]
    ys = [p[1] for p in pos.values()] or [0]
    sx, sy = 130 * s.k, 110 * s.k
    nodes = {n: ((x - min(xs)) * sx + 60, (y - min(ys)) * sy + 60) for n, (x, y) in pos.items()}
    rects = {n: (x - boxes[n].marker / 2, y - boxes[n].marker / 2 - boxes[n].text,
                 x + boxes[n].marker / 2, y + boxes[n].marker / 2) for n, (x, y) in nodes.items()}
    paths = {(u, v): [nodes[u], nodes[v]] for u, v in g.edges()}
    mid = {(u, v): (nodes[u][0] + (nodes[v][0] - nodes[u][0]) * 0.55,
                    nodes[u][1] + (nodes[v][1] - nodes[u][1]) * 0.55) for (u, v) in slots}
    w = max(x for x, _ in nodes.values()) + 60
    h = max(y for _, y in nodes.values()) + 60
    return Drawing(nodes, rects, paths, mid, {}, w, h)


def _margins(s) -> tuple:
    """(top, bottom) margins in px; the bottom holds the Play/Pause row and the slider."""
    buttons = round(2.4 * s.legend) + 8
    return 8, buttons + round(3.2 * s.legend) + 30


# ---------------------------------------------------------------------------- text boxes

def text_boxes(model: dict, frame: int, stretch: float = 1.0) -> list:
    """The boxes (kind, owner, x0, y0, x1, y1) in plot px of everything frame ``frame``
    writes, and of every node's circle (kind "node"), for a plot ``stretch`` times the
    view's width (a wider screen)."""
    f = model["frames"][frame]
    fonts = model["fonts"]
    out = []

    def box(kind, owner, cx, top, w, h):
        out.append((kind, owner, cx * stretch - w / 2, top - h, cx * stretch + w / 2, top))

    for nd, text in zip(model["nodes"], f["texts"]):
        r = nd["size"] / 2
        out.append(("node", nd["id"], nd["x"] * stretch - r, nd["y"] - r, nd["x"] * stretch + r,
                    nd["y"] + r))
        if nd["label"].strip() and fonts["label"]:
            w, h = text_size(nd["label"], fonts["label"], bold=True)
            box("label", nd["id"], nd["x"], nd["y"] + h / 2, w, h)
        if text.strip():
            w, h = text_size(text, fonts["info"])
            box("value", nd["id"], nd["x"], nd["text_y"], w, h)
        if nd["heat"]:
            hx, hy = nd["heat"]["x"], nd["heat"]["y"]
            c = nd["heat"]["size"]
            out.append(("heatmap", nd["id"], min(hx) * stretch - c / 2, min(hy) - c / 2,
                        max(hx) * stretch + c / 2, max(hy) + c / 2))
    for e, p in zip(model["edges"], f["packets"]):
        if e["packet"] is None:
            continue
        x, y = e["packet"]
        if p is not None and p[0].strip():
            w, h = text_size(p[0], fonts["packet"], bold=True)
            box("packet", f"{e['u']}>{e['v']}", x, y + fonts["packet_marker"] / 2 + h, w, h)
        if e["note"]:
            w, h = text_size(e["note"], fonts["info"])
            box("note", f"{e['u']}>{e['v']}", x, e["note_y"], w, h)
    for lit in model["literals"]:
        w, h = text_size(lit["text"], fonts["info"])
        box("number", lit["id"], lit["x"], lit["y"] + h / 2, w, h)
    for c in model["clusters"]:
        if c["title"] is None:
            continue
        w, h = text_size(c["name"], fonts["info"])
        out.append(("title", c["group"], c["title"][0] * stretch - w / 2, c["title"][1] - h / 2,
                    c["title"][0] * stretch + w / 2, c["title"][1] + h / 2))
    for e in model["legend"]:
        w, h = text_size(e["text"], fonts["legend"])
        out.append(("legend", e["text"], e["text_x"] * stretch, e["y"] - h / 2,
                    e["text_x"] * stretch + w, e["y"] + h / 2))
    w, h = text_size(f["caption"], fonts["caption"])
    cx, cy = model["caption"]
    out.append(("caption", "caption", cx * stretch, cy - h, cx * stretch + w, cy))
    return out


def overlaps(model: dict, stretch: float = 1.0) -> list:
    """Every clash in every frame: two texts that overlap, a text on another node's circle,
    a text outside the plot (under the Play controls, or off its sides). [] when clean."""
    W, H = model["view"]["width"] * stretch, model["view"]["height"]
    found = []
    for k in range(len(model["frames"])):
        boxes = text_boxes(model, k, stretch)
        for i, a in enumerate(boxes):
            if a[0] != "node" and (a[2] < -0.5 or a[4] > W + 0.5 or a[3] < -0.5 or a[5] > H + 0.5):
                found.append((k, "outside", a))
            for b in boxes[i + 1:]:
                if a[0] == "node" and b[0] == "node":
                    continue
                if a[1] == b[1] and {a[0], b[0]} <= {"node", "label", "value", "heatmap"}:
                    continue      # a node's own label sits on its own circle
                if a[2] < b[4] and b[2] < a[4] and a[3] < b[5] and b[3] < a[5]:
                    found.append((k, "overlap", a, b))
    return found


def crossings(model: dict, stretch: float = 1.0) -> list:
    """Every edge drawn through a text in any frame: a number on an edge, a shape note, a
    node's value text, a box's title, a number of the program (the issue's "an edge label
    crosses 'local 0.729'"). The edge's own packet and note are included: its marker rides
    on the edge, its texts above and below. [] when clean."""
    found = []
    kinds = {"packet", "note", "value", "title", "number", "label"}
    segments = []
    for e in model["edges"]:
        pts = [(x * stretch, y) for x, y in zip(e["xs"], e["ys"])]
        segments.append((f"{e['u']}>{e['v']}", e["u"], e["v"], list(zip(pts, pts[1:]))))
    for k in range(len(model["frames"])):
        for kind, owner, x0, y0, x1, y1 in text_boxes(model, k, stretch):
            if kind not in kinds:
                continue
            box = (x0 + 1, y0 + 1, x1 - 1, y1 - 1)     # a touch is not a crossing
            for name, u, v, segs in segments:
                # an edge leaves its node under the node's own texts, and enters a node
                # beside them (a number of the program is its own text): its own ends are
                # the node's business, not a crossing
                if kind in ("value", "label", "number") and owner in (u, v):
                    continue
                if any(_cuts(a, b, box) for a, b in segs):
                    found.append((k, name, kind, owner))
    return sorted(set(found))


def _cuts(a, b, box) -> bool:
    """Does the segment a-b pass through the rectangle (Liang-Barsky clipping)?"""
    x0, y0, x1, y1 = box
    if x0 >= x1 or y0 >= y1:
        return False
    (ax, ay), (bx, by) = a, b
    dx, dy = bx - ax, by - ay
    lo, hi = 0.0, 1.0
    for p, q in ((-dx, ax - x0), (dx, x1 - ax), (-dy, ay - y0), (dy, y1 - ay)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            lo = max(lo, t)
        else:
            hi = min(hi, t)
        if lo > hi:
            return False
    return True
