"""Lesson 1, the chain rule (``pages/1_Chain_rule.py``, seeds 001 and 003): foo(x) = x**2
composed n times, differentiated three ways side by side (the notebook's custom rule,
TensorFlow's automatic gradient, and a rule that forgets the upstream gradient), with the
notebook's printout of every call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import plotly.graph_objects as go

from ..figures import backward_figure
from ..language import parse
from ..report import event_rows, fmt
from ..tracer import trace
from ..values import finite, same
from .shared import explorer_link

__all__ = ["chain_source", "chain_rule", "ChainRule", "ChainVariant", "CHAIN_RULES"]


CHAIN_RULES = (
    ("custom", "custom rule: dy * 2*x", "dy * 2*x", "custom"),
    ("automatic", "TensorFlow automatic", "dy * 2*x", "automatic"),
    ("forgotten", "rule that forgets dy: 2*x", "2*x", "custom"),
)
"""(key, title, rule text, mode): the three ways foo's gradient is computed side by side."""


def chain_source(n: int = 3, rule: str = "dy * 2*x", x: float = 2.0) -> str:
    """The program foo(foo(...foo(x))) with ``n`` calls and the given rule for foo.

    >>> print(chain_source(2), end="")
    # foo(x) = x**2 composed 2 times: y = x**4
    foo(x) = x**2
    grad foo(x, dy) = dy * 2*x
    x = 2.0
    y = foo(foo(x))
    """
    n = int(n)
    if not 1 <= n <= 8:
        raise ValueError("n must be between 1 and 8")
    return (f"# foo(x) = x**2 composed {n} times: y = x**{2 ** n}\n"
            f"foo(x) = x**2\n"
            f"grad foo(x, dy) = {rule}\n"
            f"x = {float(x)!r}\n"
            f"y = {'foo(' * n}x{')' * n}\n")


@dataclass
class ChainVariant:
    """One way of differentiating foo∘…∘foo, with the notebook's printout."""
    key: str
    title: str
    rule: str
    mode: str
    source: str
    gradient: float | None
    forward: list          # [{"call", "x", "y"}] in forward order
    backward: list         # [{"call", "x", "upstream", "current", "downstream"}] in TF's order
    product: str           # "1 × 32 × 8 × 4 = 1024"
    log: str               # the notebook's tf.print lines
    link: str
    mismatch: bool         # some downstream ≠ upstream × current
    y: float = math.nan    # forward value of y
    agrees: bool = True    # same dy/dx as TensorFlow's automatic gradient


@dataclass
class ChainRule:
    """foo composed ``n`` times at ``x``: y, dy/dx in words, and each :class:`ChainVariant`."""
    n: int
    x: float
    dtype: str
    y: float
    closed_form: str       # "dy/dx = 8·2⁷" (text for the student; the number is TensorFlow's)
    variants: dict         # key -> ChainVariant
    figure: go.Figure | None = None

    @property
    def overflowed(self) -> bool:
        """True if y or dy/dx did not fit in the precision (inf or NaN)."""
        return not (finite(self.y) and finite(self.variants["custom"].gradient))


def chain_rule(n: int = 3, x: float = 2.0, dtype: str = "float32", animate: str = "custom",
               presentation: bool = False) -> ChainRule:
    """foo(x) = x² composed ``n`` times at ``x``: custom, automatic and forgotten-upstream rules.

    >>> c = chain_rule(3, 2.0)
    >>> c.variants["custom"].product
    '1 × 32 × 8 × 4 = 1024'
    >>> [r["upstream"] for r in c.variants["custom"].backward]
    ['1', '32', '256']
    >>> c.variants["forgotten"].gradient, c.variants["automatic"].gradient
    (4.0, 1024.0)
    """
    variants = {}
    figure = None
    for key, title, rule, mode in CHAIN_RULES:
        source = chain_source(n, rule, x)
        prog = parse(source)
        modes = {"foo": mode}
        t = trace(prog, inputs={"x": float(x)}, modes=modes, dtype=dtype)
        variants[key] = _chain_variant(key, title, rule, mode, source, prog, t, x, dtype)
        if key == animate:
            figure = backward_figure(t, prog, presentation=presentation)
    reference = variants["automatic"].gradient
    for v in variants.values():
        v.agrees = same(v.gradient, reference)
    y = variants["custom"].y
    k = 2 ** int(n)         # the exponent of y = x**(2**n), for the text only
    power = "" if k == 2 else _sup(k - 1)
    closed = f"y = x{_sup(k)}, so dy/dx = {k}·x{power} = {k}·{_power(x, k - 1)}"
    return ChainRule(int(n), float(x), dtype, y, closed, variants, figure)


def _chain_variant(key, title, rule, mode, source, prog, t, x, dtype) -> ChainVariant:
    g = t.graph
    forward = []
    calls = sorted((n for n, a in g.nodes(data=True) if a["kind"] == "call"),
                   key=lambda n: int(n[1:]))
    for i, node in enumerate(calls, start=1):
        a = g.nodes[node]
        xin = g.nodes[a["inputs"][0]]["value"]
        forward.append({"call": i, "x": fmt(xin), "y": fmt(a["value"])})
    backward, locals_ = [], []
    depth = {node: i for i, node in enumerate(calls, start=1)}
    for e in t.events:
        backward.append({"call": depth.get(e.node, 0), "x": fmt(e.inputs[0]),
                         "upstream": fmt(e.upstream), "current": fmt(e.local[0]),
                         "downstream": fmt(e.downstream[0])})
        locals_.append(e.local[0])
    gradient = t.gradients["x"]
    mismatch = any(r["check"] for r in event_rows(t))
    if mismatch:
        product = (" → ".join(r["downstream"] for r in backward)
                   + f": each call sends only its current; dy/dx = {fmt(gradient)}")
    else:
        product = " × ".join(["1"] + [fmt(v) for v in locals_]) + f" = {fmt(gradient)}"
    log_lines = [f"x={r['x']}\ty={r['y']}" for r in forward]
    log_lines += [f"x={r['x']}\tupstream={r['upstream']}\tcurrent={r['current']}\t"
                  f"downstream={r['downstream']}" for r in backward]
    log_lines += ["", f"final dy/dx={fmt(gradient)}"]
    link = explorer_link(source, inputs={"x": float(x)}, modes={"foo": mode}, dtype=dtype,
                         preset_key="foo3")
    return ChainVariant(key, title, rule, mode, source, gradient, forward, backward, product,
                        "\n".join(log_lines), link, mismatch, t.values["y"])


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _power(base: float, exponent: int) -> str:
    """``3⁷``, ``(−3)⁷``, ``(−2)``: a power written for people (text; nothing is computed)."""
    b = fmt(base)
    if b.startswith("-") or "e" in b:
        b = f"({b.replace('-', '−')})"
    return b if exponent == 1 else b + _sup(exponent)


def _sup(k: int) -> str:
    return str(k).translate(_SUPERSCRIPT)
