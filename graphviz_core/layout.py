"""Layered left-to-right positions for a traced graph.

Assumes a DAG in the schema of :mod:`graphviz_core.graph`. Value nodes are layered by
networkx's topological generations (inputs in layer 0); nodes nothing depends on (the
targets and other results) go to the last layer, so targets sit on the right. Inside a layer
the order comes from a few barycenter sweeps (the classic crossing reduction), with node id
as tie-break, so the same program always gets the same picture. A literal (a number in the
program) sits just left of the one node that uses it.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from typing import NamedTuple

import networkx as nx

__all__ = ["layered_layout", "dot_layout", "forward_layers", "Box", "Drawing", "LayoutCache"]


def layered_layout(graph: nx.DiGraph, sweeps: int = 4) -> dict:
    """{node: (x, y)} with x = layer (0 = inputs) and y centred on 0, one unit apart.

    >>> from graphviz_core.graph import new_graph, add_node
    >>> g = new_graph()
    >>> x = add_node(g, "input", "input", "x")
    >>> y = add_node(g, "op", "exp", "exp", inputs=(x,))
    >>> layered_layout(g)
    {'n0': (0.0, 0.0), 'n1': (1.0, 0.0)}
    """
    core = graph.subgraph(n for n, k in graph.nodes(data="kind") if k != "literal")
    layer = {}
    for i, gen in enumerate(nx.topological_generations(core)):
        for n in gen:
            layer[n] = i
    last = max(layer.values(), default=0)
    for n in core:
        if core.out_degree(n) == 0 and graph.nodes[n]["kind"] != "input":
            layer[n] = last
    # an edge that skips layers gets a placeholder in each layer it crosses: it takes part
    # in the ordering and keeps a free row there, so the edge passes between nodes, not
    # behind them (in where(z > 30, z, ...) the edge z -> where ran behind exp, + and log)
    routed = nx.DiGraph()
    routed.add_nodes_from(core)
    group = {n: graph.nodes[n]["group"] or n for n in core}
    links = []
    for u, v in core.edges():
        chain = [u]
        for k in range(layer[u] + 1, layer[v]):
            slot = f"{u}>{v}@{k}"
            layer[slot], group[slot] = k, slot
            chain.append(slot)
        chain.append(v)
        links += zip(chain, chain[1:])
    routed.add_edges_from(links)
    rank = {n: _key(n) for n in routed}
    layers: dict[int, list] = {}
    for n in sorted(routed, key=rank.__getitem__):
        layers.setdefault(layer[n], []).append(n)
    order = {n: i for nodes in layers.values() for i, n in enumerate(nodes)}

    # barycenter sweeps: right-to-left uses successors, left-to-right predecessors
    before = {n: list(routed.predecessors(n)) for n in routed}     # networkx views are slow
    after = {n: list(routed.successors(n)) for n in routed}        # to walk again and again
    for sweep in range(sweeps):
        forward = sweep % 2 == 0
        keys = sorted(layers) if forward else sorted(layers, reverse=True)
        nbrs_of = before if forward else after
        for k in keys[1:]:
            def bary(n):
                nbrs = nbrs_of[n]
                if not nbrs:
                    return order[n]
                return sum(order[m] for m in nbrs) / len(nbrs)
            b = {n: bary(n) for n in layers[k]}
            # ops of one expanded call stay together: a group sorts by its mean barycenter
            members: dict = {}
            for n in layers[k]:
                members.setdefault(group[n], []).append(b[n])
            block = {key: sum(v) / len(v) for key, v in members.items()}
            layers[k].sort(key=lambda n: (block[group[n]], b[n], rank[n]))
            for i, n in enumerate(layers[k]):
                order[n] = i

    pos = {}
    for k, nodes in layers.items():
        mid = (len(nodes) - 1) / 2
        for i, n in enumerate(nodes):
            if n in core:                       # placeholders hold a row, nothing is drawn
                pos[n] = (float(k), float(mid - i))
    # literals: just left of their consumer, stacked below it when there are several
    seen: dict[str, int] = {}
    for n in sorted((n for n, k in graph.nodes(data="kind") if k == "literal"), key=_key):
        consumers = list(graph.successors(n))
        if not consumers or consumers[0] not in pos:
            pos[n] = (0.0, 0.0)
            continue
        cx, cy = pos[consumers[0]]
        j = seen.get(consumers[0], 0)
        seen[consumers[0]] = j + 1
        pos[n] = (cx - 0.42, cy - 0.32 - 0.22 * j)
    return {n: pos[n] for n in sorted(pos, key=_key)}


def _key(node: str) -> tuple:
    """Node id order (n2 before n10); a placeholder "n3>n7@5" right after n3's own."""
    head, _, rest = node.partition(">")
    return (int(head[1:]) if head[1:].isdigit() else 0, rest)


# ---------------------------------------------------------------------------- Graphviz dot

def forward_layers(graph: nx.DiGraph) -> dict:
    """{value node: forward step}: networkx's topological generations, the results that
    nothing depends on in the last step (as :func:`layered_layout`'s x)."""
    return {n: int(x) for n, (x, _) in layered_layout(graph, sweeps=0).items()
            if graph.nodes[n]["kind"] != "literal"}


class Box(NamedTuple):
    """What one node of the layout needs: ``marker`` (the circle's diameter, px) on top,
    ``width`` x ``text`` px of text under it (its values, heatmaps)."""
    marker: float
    width: float
    text: float


class Drawing(NamedTuple):
    """Where dot put everything, in px with y up; ``width`` x ``height`` is the bounding box.

    ``nodes[n]`` the centre of node n's circle; ``boxes[n]`` its whole box (x0, y0, x1, y1);
    ``paths[(u, v)]`` the edge's spline sampled as a polyline from u's circle to v's;
    ``slots[(u, v)]`` the centre of the edge's label box (an edge label dot placed);
    ``clusters[group]`` (x0, y0, x1, y1, title x, title y) of an expanded call's box.
    """
    nodes: dict
    boxes: dict
    paths: dict
    slots: dict
    clusters: dict
    width: float
    height: float


def dot_layout(graph: nx.DiGraph, boxes: dict, slots: dict, titles: dict | None = None,
               sep: float = 1.0, rankdir: str = "LR") -> Drawing:
    """Lay out ``graph`` left to right with Graphviz ``dot`` (through pygraphviz).

    ``boxes`` {node: :class:`Box`}; ``slots`` {(u, v): (w, h)} the px an edge's label needs
    (dot gives it a place of its own, between the two ranks, as it does for any edge
    label); ``titles`` {group: (w, h)} the title of an expanded call's box; ``sep`` scales
    the gaps; ``rankdir`` "LR" (inputs left) or "TB" (inputs on top, for a graph far
    taller than it is deep). Nodes of one ``group`` are a cluster: dot keeps other nodes out of it and
    routes edges around it. Deterministic: the same arguments give the same drawing.

    >>> from graphviz_core.graph import new_graph, add_node
    >>> g = new_graph()
    >>> x = add_node(g, "input", "input", "x")
    >>> y = add_node(g, "op", "exp", "exp", inputs=(x,))
    >>> d = dot_layout(g, {x: Box(40, 60, 20), y: Box(40, 60, 20)}, {(x, y): (30, 16)})
    >>> d.nodes[x][0] < d.slots[(x, y)][0] < d.nodes[y][0], d.nodes[x][1] == d.nodes[y][1]
    (True, True)
    """
    import pygraphviz as pgv     # the wheel bundles Graphviz

    titles = titles or {}
    tb = rankdir == "TB"
    # where an edge leaves and enters: beside the circle left to right; top to bottom from
    # under the node's text (above it, the edge would cross the node's own numbers)
    out, into, s_out, s_in = ("s", "m:n", "s", "n") if tb else ("m:e", "m:w", "e", "w")
    a = pgv.AGraph(directed=True, strict=False, rankdir=rankdir, splines="spline",
                   nodesep=f"{0.16 * sep:.3f}", ranksep=f"{0.16 * sep:.3f}",
                   ordering="out", outputorder="edgesfirst")
    a.node_attr.update(shape="plaintext", margin="0", label="")
    a.edge_attr.update(arrowhead="none", arrowtail="none")
    order = sorted(graph, key=_key)
    for n in order:
        b = boxes[n]
        a.add_node(n, label=_cells(b))
    for (u, v), (w, h) in slots.items():
        a.add_node(_slot(u, v), shape="box", fixedsize="true", width=_in(w), height=_in(h))
    groups: dict = {}
    for n in order:
        gid = graph.nodes[n].get("group")
        if gid:
            groups.setdefault(gid, []).append(n)
    for u, v in sorted(graph.edges(), key=lambda e: (_key(e[1]), _key(e[0]))):
        if (u, v) in slots:
            a.add_edge(u, _slot(u, v), tailport=out, headport=s_in)
            a.add_edge(_slot(u, v), v, tailport=s_out, headport=into)
        elif graph.nodes[u]["kind"] == "literal":    # a number: kept next to its op
            a.add_edge(u, v, tailport=out, headport=into, weight="8")
        else:
            a.add_edge(u, v, tailport=out, headport=into)
    for gid, members in groups.items():
        inner = members + [_slot(u, v) for (u, v) in slots
                           if graph.nodes[u].get("group") == gid == graph.nodes[v].get("group")]
        text, size = titles.get(gid, (" ", 1))
        # padded: dot's Helvetica estimate is narrower than the frame model's, which is
        # what the overlap test checks (an upper bound of Chromium's widths)
        pad = "\u00a0" * (len(text) // 2 + 1)
        a.add_subgraph(inner, name=f"cluster_{len(a.subgraphs())}", label=text + pad,
                       fontsize=f"{size:.1f}", fontname="Helvetica", labeljust="l",
                       labelloc="t", margin="8", gid=gid)
    a.layout(prog="dot")

    x0, y0, x1, y1 = (float(v) for v in a.graph_attr["bb"].split(","))
    nodes, rects = {}, {}
    for n in order:
        cx, cy = _xy(a.get_node(n).attr["pos"])
        b = boxes[n]
        w, h = max(b.marker, b.width), b.marker + b.text
        rects[n] = (cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2)
        nodes[n] = (cx, cy + h / 2 - b.marker / 2)
    slot_xy = {e: _xy(a.get_node(_slot(*e)).attr["pos"]) for e in slots}
    paths = {}
    for u, v in graph.edges():
        if (u, v) in slots:
            s = _slot(u, v)
            pts = _bezier(a.get_edge(u, s).attr["pos"]) + _bezier(a.get_edge(s, v).attr["pos"])
        else:
            pts = _bezier(a.get_edge(u, v).attr["pos"])
        paths[(u, v)] = ([] if tb else [nodes[u]]) + pts + [nodes[v]]
    clusters = {}
    for sg in a.subgraphs():
        bx0, by0, bx1, by1 = (float(v) for v in sg.graph_attr["bb"].split(","))
        lx, ly = _xy(sg.graph_attr["lp"]) if sg.graph_attr.get("lp") else (bx0, by1)
        clusters[sg.graph_attr["gid"]] = (bx0, by0, bx1, by1, lx, ly)
    return Drawing(nodes, rects, paths, slot_xy, clusters, x1 - x0, y1 - y0)


def _in(px: float) -> str:
    return f"{max(px, 1.0) / 72:.4f}"


def _slot(u: str, v: str) -> str:
    return f"{u}>{v}"


def _cells(b: Box) -> str:
    """A node as dot sees it: a table whose top cell (port ``m``) holds the circle."""
    w = max(b.marker, b.width)
    rows = f'<TR><TD PORT="m" WIDTH="{w:.0f}" HEIGHT="{b.marker:.0f}" FIXEDSIZE="TRUE"></TD></TR>'
    if b.text > 0:
        rows += f'<TR><TD WIDTH="{w:.0f}" HEIGHT="{b.text:.0f}" FIXEDSIZE="TRUE"></TD></TR>'
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0">{rows}</TABLE>>'


def _xy(text: str) -> tuple:
    x, y = text.split(",")[:2]
    return float(x), float(y)


def _bezier(text: str, steps: int = 6) -> list:
    """dot's edge ``pos`` (cubic Bezier control points) sampled as a polyline."""
    pts = [_xy(p) for p in text.split() if not p.startswith(("e,", "s,"))]
    out = [pts[0]]
    for i in range(0, len(pts) - 3, 3):
        p0, p1, p2, p3 = pts[i:i + 4]
        for k in range(1, steps + 1):
            t = k / steps
            u = 1 - t
            out.append(tuple(round(u ** 3 * a + 3 * u * u * t * b + 3 * u * t * t * c
                                   + t ** 3 * d, 2)
                             for a, b, c, d in zip(p0, p1, p2, p3)))
    return out


class LayoutCache:
    """dot's drawings by graph structure and sizes, least recently used first out: the
    same program with other input values (the numbers change, the boxes do not) is not
    laid out again. The caller owns it (the Explorer keeps one per server, in its
    :class:`~graphviz_core.compiled.TraceCache`); it holds positions, never values."""

    def __init__(self, max_entries: int = 128, choices: int = 512):
        self.max_entries = max_entries
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()       # sessions run in threads of one server
        # the frame model's fit choices (view, level, scale, direction) by structure and
        # text widths: small tuples, so many more of them
        self.choices = LayoutCache(choices, choices=0) if choices else None

    def get(self, key):
        with self._lock:
            hit = self._entries.get(key)
            if hit is not None:
                self._entries.move_to_end(key)
            return hit

    def put(self, key, drawing) -> None:
        with self._lock:
            self._entries[key] = drawing
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
