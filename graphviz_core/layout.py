"""Layered left-to-right positions for a traced graph.

Assumes a DAG in the schema of :mod:`graphviz_core.graph`. Value nodes are layered by
networkx's topological generations (inputs in layer 0); nodes nothing depends on (the
targets and other results) go to the last layer, so targets sit on the right. Inside a layer
the order comes from a few barycenter sweeps (the classic crossing reduction), with node id
as tie-break, so the same program always gets the same picture. A literal (a number in the
program) sits just left of the one node that uses it.
"""
from __future__ import annotations

import networkx as nx

__all__ = ["layered_layout"]


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
