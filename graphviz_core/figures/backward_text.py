"""The words on the backward-pass figure: numbers as the graph shows them, the hover text of
a node, the text under each node, and the caption of each frame.

Drawn by :mod:`graphviz_core.figures.backward`; nothing here builds a figure.
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np

from ..report import fmt, real_inputs, rule_mismatch

__all__ = ["substitute", "node_hover"]


@functools.lru_cache(maxsize=4096)
def _small_tensor(data: bytes, shape: tuple, dtype: str) -> str:
    """A tensor of up to 6 elements as the graph writes it (see :func:`_num`), remembered by
    its bytes: the frame model writes each value in many texts, every frame it shows."""
    v = np.frombuffer(data, dtype=dtype).reshape(shape)
    if v.ndim == 2 and v.shape[1] == 1:         # a column: one line, transposed
        return fmt(v.reshape(-1), 3) + "ᵀ"
    if v.ndim == 2:
        return "<br>".join(fmt(row, 3) for row in v)
    return fmt(v, 3)


def _num(v, digits: int = 5) -> str:
    """:func:`report.fmt` for text drawn on the graph, where space is short: whole numbers of
    more than 7 digits in e-notation. Tables and the hover keep every digit (4294967296).

    >>> _num(10686474223616.0), _num(1024.0), _num((2.0, 4294967296.0))
    ('1.06865e+13', '1024', '2, 4.29497e+09')
    >>> _num(np.array([[1.0, 2.0], [3.0, 4.5]])), _num(np.zeros((3, 4)))
    ('[1, 2]<br>[3, 4.5]', '3×4')
    >>> _num(np.array([[1.0], [2.0]])), _num(np.zeros((1, 2, 1)))
    ('[1, 2]ᵀ', '1×2×1')
    """
    if isinstance(v, (tuple, list)):
        return ", ".join(_num(x, digits) for x in v)
    if isinstance(v, np.ndarray) and v.ndim:
        # on the graph a small tensor is its numbers, a matrix a row per line; a larger one
        # its shape (the graph draws it as a heatmap; hover, tables and the CSV hold it)
        if v.size > 6 or v.ndim > 2:
            return "×".join(map(str, v.shape))
        return _small_tensor(v.tobytes(), v.shape, v.dtype.str)
    if isinstance(v, float) and math.isfinite(v) and v == int(v) and abs(v) >= 1e7:
        return f"{v:.{digits + 1}g}"
    return fmt(v, digits)



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
    """Everything about a node: op, value, upstream, local, downstream, formulas with numbers.

    >>> import graphviz_core as gc
    >>> p = gc.parse("x = 3.0\\ny = x * x")
    >>> node_hover(gc.trace(p), p, "n1").split("<br>")[:2]
    ['<b>mul</b> → y  (built-in, line 2)', 'forward: x * x = 3 * 3 = 9']
    """
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


def graph_digits(trace) -> int:
    """Significant digits (less one) of the numbers on the graph: 6 for float32, 10 for a
    float64 run, whose extra digits are the point of running it."""
    return 9 if getattr(trace, "dtype", "float32") == "float64" else 5


def _info(trace, node, lit, fired, contribs, fwd_bad, bwd_bad) -> str:
    """Text under a node: value, then upstream / local / gradient as the backward pass arrives."""
    g = trace.graph
    d = graph_digits(trace)
    a = g.nodes[node]
    if not lit:
        return " "
    parts = []
    if a["kind"] != "input" and a["names"]:
        parts.append(f"{', '.join(a['names'])} = {_num(a['value'], d)}")
    else:
        parts.append(f"= {_num(a['value'], d)}")
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
        parts.append(f"↑ {_sum_text(contribs, ev_i, ev.upstream, a['target'], d)}")
        parts.append(f"local {_num(real_inputs(g, node, ev.local), d - 1)}")
        if rule_mismatch(ev):
            parts.append("⚠ ↓ ≠ ↑ × local")
        if bwd_bad:
            parts.append(_BORN_BAD)
    elif a["kind"] == "input" and fired >= 0:
        arrived = [(i, v) for i, v in contribs if i <= fired]
        if arrived and len(arrived) == len(contribs):
            # an input that is itself a target starts from its own 1 (d x / d x)
            total = trace.gradients.get(a["names"][0])
            parts.append(f"∂ = {_sum_text(contribs, fired + 1, total, a['target'], d)}")
        elif not contribs and fired == len(trace.events) - 1:
            parts.append(f"∂ = {_num(trace.gradients.get(a['names'][0]), d)}")
    return "<br>".join(parts)


def _sum_text(contribs, before, total, is_target, d: int = 5) -> str:
    """``30 + 6`` over ``= 36`` when several contributions add up; ``36`` for one. Two
    lines: on one, the sum ran into the neighbouring node's text in a narrow graph."""
    terms = [_num(v, d) for i, v in contribs if i < before and v is not None]
    if is_target:
        terms = ["1"] + terms
    if len(terms) > 1:
        return " + ".join(terms) + f"<br>= {_num(total, d)}"
    return _num(total, d)


def _flat(v, digits: int = 5) -> str:
    """:func:`_num` on one line, for the caption: a small matrix as a nested list."""
    if isinstance(v, (tuple, list)):
        return ", ".join(_flat(x, digits) for x in v)
    if isinstance(v, np.ndarray) and v.ndim == 2 and v.size <= 6 and v.shape[1] > 1:
        return fmt(v, 3)
    return _num(v, digits)


def _caption(trace, prog, step, n_fwd, layers, values, pos) -> str:
    d = graph_digits(trace)
    if step < n_fwd:
        x = layers[step]
        names = [trace.graph.nodes[n] for n in values if pos[n][0] == x]
        shown = ", ".join(f"{a['names'][-1] if a['names'] else a['label']} = {_flat(a['value'], d)}"
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
            f"{_flat(e.upstream, d)} × local {_flat(local, d)} → downstream {_flat(down, d)}")

