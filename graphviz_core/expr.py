"""Expression nodes and the one fold over them.

The parser builds these small immutable nodes; everything that reads an expression (the
shape pass, the tracer, codegen, reports) walks it with :class:`Fold` or :func:`walk`, so no
module keeps an ``isinstance`` chain of its own. ``text`` is the user's own spelling, for
labels and hovers; ``line``/``col`` point at it for messages.

>>> e = Op("add", (Ref("x"), Num(1.0)))
>>> [type(n).__name__ for n in walk(e)]
['Op', 'Ref', 'Num']
>>> class Text(Fold):
...     def leaf(self, n): return n.text or n.name
...     def node(self, n, args): return "(" + " + ".join(args) + ")"
>>> Text()(Op("add", (Op("add", (Ref("a"), Ref("b"))), Ref("c"))))
'((a + b) + c)'
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Num", "Ref", "Op", "Call", "Cond", "Compare", "Logic", "NoGrad", "Fold", "walk",
           "children", "Value"]


@dataclass(frozen=True)
class Num:
    """A literal: a float, or a rectangular nested tuple of floats (a tensor)."""
    value: object
    text: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Ref:
    name: str
    text: str = ""


@dataclass(frozen=True)
class Op:
    """A registry op (:data:`graphviz_core.ops.OPS`); ``kw`` holds its literal keywords and
    static arguments as sorted ``(name, value)`` pairs (``axis``, ``shape``, ``index``)."""
    op: str
    args: tuple
    text: str = ""
    line: int = 0
    col: int = 0
    kw: tuple = ()

    @property
    def keywords(self) -> dict:
        return dict(self.kw)


@dataclass(frozen=True)
class Call:
    """A call of a user function."""
    func: str
    args: tuple
    text: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Cond:
    """``then if test else other``: ``test`` is decided on the forward value."""
    test: object
    then: object
    other: object
    text: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Compare:
    op: str
    left: object
    right: object
    text: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class Logic:
    """``and`` / ``or`` / ``not`` over comparisons."""
    op: str
    args: tuple
    text: str = ""
    line: int = 0
    col: int = 0


@dataclass(frozen=True)
class NoGrad:
    """``None`` in a gradient rule: no gradient for that parameter."""
    text: str = "None"


@dataclass(frozen=True)
class Value:
    """A result already computed, handed back by :meth:`Fold.branch` in place of an expression."""
    value: object


def children(node) -> tuple:
    """The sub-expressions of ``node``, in evaluation order."""
    if isinstance(node, (Op, Call, Logic)):
        return node.args
    if isinstance(node, Cond):
        return (node.test, node.then, node.other)
    if isinstance(node, Compare):
        return (node.left, node.right)
    return ()


def walk(expr):
    """Every node of an expression tree, parents first."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(children(node)))


class Fold:
    """Bottom-up evaluation of an expression: ``leaf`` for nodes without children, ``node``
    for the others with their children's results.

    Iterative, so a flat sum of 300 terms (a left-deep tree 300 levels tall) costs no Python
    stack. ``visit(node)`` is asked first: None descends as usual; an expression is folded
    in the node's place (the tracer answers a :class:`Cond` with the branch taken, so only
    it runs, as in Python); a :class:`Value` is the node's result as it is.
    """

    def visit(self, node):
        return None

    def leaf(self, node):
        raise NotImplementedError

    def node(self, node, args: list):
        raise NotImplementedError

    def __call__(self, expr):
        todo = [(expr, False)]
        out = []
        while todo:
            node, ready = todo.pop()
            if ready:
                n = len(children(node))
                args = out[len(out) - n:]
                del out[len(out) - n:]
                out.append(self.node(node, args))
                continue
            if isinstance(node, Value):
                out.append(node.value)
                continue
            instead = self.visit(node)
            if instead is not None:
                todo.append((instead, False))
                continue
            kids = children(node)
            if not kids:
                out.append(self.leaf(node))
                continue
            todo.append((node, True))
            todo.extend((k, False) for k in reversed(kids))
        return out[0]
