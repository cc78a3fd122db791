"""The traced graph: one ``networkx.DiGraph`` schema, written down once.

Node ids are ``"n0"``, ``"n1"``, ... in the order the forward pass created them, so the
same program and inputs always give the same ids.

Node attributes
---------------
kind        ``"input"`` | ``"literal"`` | ``"op"`` (a built-in) | ``"call"`` (a user function)
op          ``"input"``, ``"literal"``, the built-in's name (``"mul"``, ``"exp"``) or the
            called function's name
label       short text drawn on the node (``"x"``, ``"5"``, ``"×"``, ``"foo"``)
names       tuple of program names bound to this value (``("y1",)``); an input has its own
expr        the source text that produced the value
line        source line of the statement
inputs      tuple of producer node ids, in argument order (a producer may appear twice: x*x)
function    for ``"call"``: the function; for an op inside an expanded call: that function
group       for an op inside an expanded call: the id of that call (``"foo#1"``), else None
mode        ``"automatic"`` | ``"custom"`` for calls, ``"automatic"`` for built-ins, else None
rule        the custom rule's text for a call in custom mode, else None
input_kind  for inputs: ``"variable"`` | ``"constant"``; ``watched`` says if the tape watched it
target      True for the nodes whose sum is differentiated
value       forward value (float; inf/nan kept)
gradient    d(targets)/d(this value): the upstream of its backward event, or for an input
            the gradient TensorFlow returned; None where TensorFlow gave none
event       index into ``Trace.events`` of this node's backward event, or None

Edge attributes (producer -> consumer)
--------------------------------------
positions   tuple of argument positions of the consumer fed by the producer
"""
from __future__ import annotations

import networkx as nx

__all__ = ["new_graph", "add_node", "value_nodes", "NODE_KINDS"]

NODE_KINDS = ("input", "literal", "op", "call")


def new_graph() -> nx.DiGraph:
    return nx.DiGraph()


def add_node(graph: nx.DiGraph, kind: str, op: str, label: str, inputs=(), **attrs) -> str:
    """Add a node with the schema's defaults and its in-edges; return its id.

    >>> g = new_graph()
    >>> x = add_node(g, "input", "input", "x", names=("x",))
    >>> y = add_node(g, "op", "mul", "×", inputs=(x, x))
    >>> g.edges[x, y]["positions"]
    (0, 1)
    """
    node = f"n{graph.number_of_nodes()}"
    base = dict(kind=kind, op=op, label=label, names=(), expr="", line=0, inputs=tuple(inputs),
                function=None, group=None, mode=None, rule=None, input_kind=None,
                watched=None, target=False, value=None, gradient=None, event=None)
    base.update(attrs)
    graph.add_node(node, **base)
    for pos, src in enumerate(inputs):
        if graph.has_edge(src, node):
            graph.edges[src, node]["positions"] += (pos,)
        else:
            graph.add_edge(src, node, positions=(pos,))
    return node


def value_nodes(graph: nx.DiGraph) -> list:
    """Nodes that carry a differentiable value (everything but literals), in id order."""
    return [n for n, k in graph.nodes(data="kind") if k != "literal"]
