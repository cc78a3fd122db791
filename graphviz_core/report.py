"""Plain-language reading of a :class:`~graphviz_core.tracer.Trace`: tables and reasons.

Everything here reads a finished trace; nothing runs TensorFlow.
"""
from __future__ import annotations

import functools
import math

import networkx as nx
import numpy as np

from .expr import Cond, Op, walk
from .values import all_zero, any_zero, finite, has_nan, nonfinite, vjp

__all__ = ["fmt", "event_rows", "gradient_rows", "explain_gradient", "first_nonfinite",
           "value_notes",
           "rule_mismatch", "node_title", "real_inputs"]


def fmt(v, digits: int = 7) -> str:
    """A number as people read it: ``None``, ``NaN``, ``inf``, or up to 7 significant digits.

    A tensor is written as a nested list when it has up to 6 elements, else as its shape
    and range.

    >>> fmt(1024.0), fmt(None), fmt(float("nan")), fmt(0.09035331010818481)
    ('1024', 'None', 'NaN', '0.09035331')
    >>> import numpy as np
    >>> fmt(np.array([[1.0, 2.5], [3.0, 4.0]])), fmt(np.arange(12.0).reshape(3, 4))
    ('[[1, 2.5], [3, 4]]', '(3, 4) tensor, 0 … 11')
    """
    if v is None:
        return "None"
    if isinstance(v, (tuple, list)):
        return ", ".join(fmt(x, digits) for x in v)
    if isinstance(v, np.ndarray) and v.ndim:
        if v.size <= 6:
            return _nested(v.tolist(), digits)
        finite_part = v[np.isfinite(v)]
        span = (f"{fmt(float(finite_part.min()), 4)} … {fmt(float(finite_part.max()), 4)}"
                if finite_part.size else "")
        bad = "" if finite_part.size == v.size else (", with NaN" if np.isnan(v).any()
                                                      else ", with inf")
        return f"{tuple(v.shape)} tensor, {span}{bad}".replace(", ,", ",").rstrip(", ")
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return _finite(v, digits)


@functools.lru_cache(maxsize=8192)
def _finite(v: float, digits: int) -> str:
    """:func:`fmt` of a finite float, remembered: a frame model writes the same numbers in
    many texts (a tensor's every element in every frame it shows; 169 calls an explore for
    a (2, 3) program), and the words for a number never change."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.{digits + 1}g}"


def _nested(v, digits) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_nested(x, digits) for x in v) + "]"
    return fmt(v, digits)


def node_title(graph: nx.DiGraph, node: str) -> str:
    """``foo → y`` or ``mul`` or ``x``: what a person calls a node."""
    a = graph.nodes[node]
    name = a["label"] if a["kind"] != "op" else a["op"]
    if a["names"] and a["kind"] != "input":
        return f"{name} → {', '.join(a['names'])}"
    return name


def real_inputs(graph: nx.DiGraph, node: str, values) -> tuple:
    """``values`` (an event's local or downstream, one per input of ``node``) without the
    number literals' positions: a literal's gradient (the 0.5 in v * 0.5) is computed by
    TensorFlow but reaches no one.

    >>> import graphviz_core as gc
    >>> t = gc.trace(gc.parse("x = 3.0\\ny = x * 0.5"))
    >>> t.events[0].downstream, real_inputs(t.graph, t.events[0].node, t.events[0].downstream)
    ((0.5, 3.0), (0.5,))
    """
    return tuple(v for v, src in zip(values, graph.nodes[node]["inputs"])
                 if graph.nodes[src]["kind"] != "literal")


def rule_mismatch(event, rel: float = 1e-5) -> tuple:
    """Argument positions where downstream ≠ upstream · local (a rule ignoring its upstream).

    For tensors, ``upstream · local`` contracts the upstream with the local Jacobian over the
    output's axes (a vector-Jacobian product).
    """
    bad = []
    for i, (loc, down) in enumerate(zip(event.local, event.downstream)):
        if loc is None or down is None or event.upstream is None:
            continue
        if isinstance(loc, float) and isinstance(down, float) \
                and isinstance(event.upstream, float):      # numbers: the common case
            want = event.upstream * loc
            if math.isfinite(want) and math.isfinite(down) and \
                    abs(down - want) > rel * max(1.0, abs(want)):
                bad.append(i)
            continue
        want = vjp(event.upstream, loc)
        if want is None:
            continue
        want, down = np.asarray(want), np.asarray(down, dtype=np.float64)
        if want.shape != down.shape or not (np.all(np.isfinite(want))
                                            and np.all(np.isfinite(down))):
            continue
        if np.any(np.abs(down - want) > rel * np.maximum(1.0, np.abs(want))):
            bad.append(i)
    return tuple(bad)


def table_digits(trace) -> int:
    """``fmt``'s digits for tables and the CSV: 8 significant for float32, 17 for float64
    (every digit the run has)."""
    return 16 if getattr(trace, "dtype", "float32") == "float64" else 7


def whole(v, digits: int = 7) -> str:
    """:func:`fmt`, but a tensor of any size is written out whole (tables and the CSV hold
    every number; the graph draws a large one as a heatmap).

    >>> whole(np.arange(8.0).reshape(2, 4)), whole((1.5, None))
    ('[[0, 1, 2, 3], [4, 5, 6, 7]]', '1.5, None')
    """
    if isinstance(v, (tuple, list)):
        return ", ".join(whole(x, digits) for x in v)
    if isinstance(v, np.ndarray) and v.ndim:
        return _nested(v.tolist(), digits)
    return fmt(v, digits)


def event_rows(trace) -> list[dict]:
    """One row per backward event, in TensorFlow's order (the trace table): every number
    whole, with the run's precision.

    >>> import graphviz_core as gc
    >>> [(r["op"], r["upstream"], r["local"]) for r in event_rows(gc.trace(gc.parse("x = 3.0\\ny = x * x")))]
    [('mul → y', '1', '3, 3')]
    """
    g = trace.graph
    rows = []
    d = table_digits(trace)
    for i, e in enumerate(trace.events):
        rows.append({
            "step": i + 1, "node": e.node, "op": node_title(g, e.node), "mode": e.mode,
            "inputs": whole(e.inputs, d), "output": whole(e.output, d),
            "upstream": whole(e.upstream, d), "local": whole(e.local, d),
            "downstream": whole(e.downstream, d),
            "check": "downstream ≠ upstream × local" if rule_mismatch(e) else "",
        })
    return rows


def first_nonfinite(trace):
    """(forward node, backward event index) where inf/NaN first appeared, or None for each."""
    g = trace.graph
    forward = None
    for node in nx.topological_sort(g):
        if nonfinite(g.nodes[node]["value"]):
            forward = node
            break
    backward = None
    for i, e in enumerate(trace.events):
        ins = [e.upstream] if e.upstream is not None else []
        outs = [d for d in real_inputs(g, e.node, e.downstream) if d is not None]
        if all(finite(v) for v in ins) and any(nonfinite(v) for v in outs):
            backward = i
            break
    return forward, backward


def _went_nonfinite(g, node) -> tuple[str, bool]:
    """How the forward value of ``node`` became inf/NaN, in words; and whether it overflowed
    (as opposed to a NaN, a division by zero or the log of 0)."""
    a = g.nodes[node]
    ins = [g.nodes[p]["value"] for p in a.get("inputs", ())]
    how, cause = f"became {fmt(a['value'])}", ""
    if has_nan(a["value"]):
        pass
    elif a["kind"] == "call":       # which op inside the function did it is not known here
        # a function running its custom rule stays one node even when expanded
        cause = ("; switch it to TensorFlow automatic and turn on “Expand functions” to see "
                 "which of its ops did it" if a.get("mode") == "custom" else
                 "; “Expand functions” shows which of its ops did it")
    elif a["op"] == "div" and len(ins) == 2 and any_zero(ins[1]):
        cause = ", a division by zero"
    elif a["op"] == "log" and any_zero(ins[0]) or a["op"] == "log1p" and \
            ins[0] is not None and np.any(np.asarray(ins[0]) == -1.0):
        cause = ", the log of 0"
    else:
        how = f"overflowed to {fmt(a['value'])}"
    text = f"the forward value {how} at {a['op']} (node {node}, line {a['line']}){cause}"
    return text, how.startswith("overflowed")


_LARGEST = {"float32": "3.4e38", "float64": "1.8e308"}


def value_notes(trace, prog) -> list[str]:
    """What the page should say that no gradient row does: a program without inputs, and a
    target whose forward value is inf or NaN (where it first went wrong).

    >>> from graphviz_core import parse, trace
    >>> value_notes(t := trace(p := parse("y = 9**9**9")), p)[0]
    'The program has no input, so there is nothing to differentiate: add a line such as x = 2.0 and use x in y.'
    >>> value_notes(t, p)[1]
    'y = inf: the forward value overflowed to inf at pow (node n4, line 1); float32 holds numbers up to 3.4e38'
    """
    notes = []
    if not prog.inputs:
        target = trace.targets[0] if trace.targets else "the last line"
        notes.append("The program has no input, so there is nothing to differentiate: add a "
                     f"line such as x = 2.0 and use x in {target}.")
    fwd, _ = first_nonfinite(trace)
    bad = [t for t in trace.targets
           if nonfinite(trace.values.get(t))]
    told = any(nonfinite(v) for v in trace.gradients.values())
    if fwd is not None and bad and not told:    # else each gradient's reason already says it
        why, overflowed = _went_nonfinite(trace.graph, fwd)
        if overflowed:
            why += f"; {trace.dtype} holds numbers up to {_LARGEST.get(trace.dtype, '?')}"
        notes.append(f"{', '.join(bad)} = {fmt(trace.values[bad[0]])}: {why}")
    return notes


def explain_gradient(trace, prog, name: str) -> str:
    """Why the gradient of ``name`` is None, 0, NaN or ±inf (empty if an ordinary number).

    >>> import graphviz_core as gc
    >>> p = gc.parse("x = 3.0\\nc = 2.0\\ny = x * x")
    >>> explain_gradient(gc.trace(p), p, "c")
    "disconnected: no target depends on 'c' in the graph"
    """
    value = trace.gradients.get(name)
    g = trace.graph
    src = next(n for n, a in g.nodes(data=True) if a["kind"] == "input" and a["names"][0] == name)
    targets = [n for n, a in g.nodes(data=True) if a["target"]]
    if value is None:
        if not g.nodes[src]["watched"]:
            return (f"not watched: '{name}' is a constant and the tape only tracks Variables "
                    "unless asked to watch a constant")
        reach = nx.descendants(g, src)
        if not any(t in reach for t in targets):
            return f"disconnected: no target depends on '{name}' in the graph"
        cuts = _none_cuts(trace, prog, src, reach)
        if cuts:
            return "; ".join(cuts)
        return f"TensorFlow found no path from the targets back to '{name}'"
    if nonfinite(value):
        fwd, bwd = first_nonfinite(trace)
        parts = []
        if fwd is not None:
            parts.append(_went_nonfinite(g, fwd)[0])
        if bwd is not None:
            e = trace.events[bwd]
            # a number's own gradient (the 1 in 1/x) reaches no one: not shown, as on the graph
            down, local = real_inputs(g, e.node, e.downstream), real_inputs(g, e.node, e.local)
            parts.append(f"the backward pass first produced {fmt(down)} at {e.name} "
                         f"(node {e.node}): upstream {fmt(e.upstream)} × local {fmt(local)}")
            if has_nan(value) and not any(has_nan(d) for d in down):
                parts.append("where such gradients add up, inf + (-inf) is NaN")
        kind = "NaN" if isinstance(value, float) and math.isnan(value) else fmt(value)
        return f"{kind}: " + ("; ".join(parts) if parts else
                              "a non-finite value reached this input")
    if all_zero(value):
        zeros = [e for e in trace.events if e.node in nx.descendants(g, src) | {src}
                 and any(all_zero(loc) for loc in e.local if loc is not None)]
        if zeros:
            e = zeros[0]
            return (f"zero: the local derivative of {e.name} (node {e.node}) is 0 at this "
                    "input, so nothing flows back through it")
        return "zero: the contributions cancel or an upstream gradient is 0"
    return ""


def _none_cuts(trace, prog, src, reach) -> list[str]:
    """Events on paths from ``src`` whose downstream to that path is None, in words."""
    g = trace.graph
    on_path = reach | {src}
    out = []
    for e in trace.events:
        a = g.nodes[e.node]
        for pos, producer in enumerate(a["inputs"]):
            if producer in on_path and e.downstream[pos] is None:
                if a["op"] == "stop_gradient":
                    why = f"stop_gradient (line {a['line']}) blocks the gradient"
                elif a["kind"] == "call" and e.mode == "custom":
                    why = (f"the custom rule of {e.name} (line "
                           f"{prog.functions[e.name].rule_line}) returns None")
                elif a["kind"] == "call":
                    fn = prog.functions[e.name]
                    why = (f"inside {e.name} (defined on line {fn.line}, called on line "
                           f"{a['line']}) " + _inside(fn))
                else:
                    why = f"{e.name} (node {e.node}) gives no gradient to this input"
                if why not in out:
                    out.append(why)
    return out


def _inside(fn) -> str:
    """Why TensorFlow finds no path through a function body: what the body contains."""
    nodes = list(walk(fn.body))
    if any(isinstance(n, Cond) for n in nodes):
        return ("the branch taken does not use this input (a constant branch is "
                "disconnected from the input, so TensorFlow returns None)")
    if any(isinstance(n, Op) and n.op == "stop_gradient" for n in nodes):
        return "stop_gradient hides this input from the tape"
    return "the result does not depend on this input"


def gradient_rows(trace, prog) -> list[dict]:
    """One row per input: its final gradient and, for None / 0 / NaN, the reason.

    >>> import graphviz_core as gc
    >>> p = gc.parse("x = 3.0\\ny = x * x")
    >>> gradient_rows(gc.trace(p), p)
    [{'input': 'x', 'kind': 'constant', 'value': '3', 'gradient': '6', 'why': ''}]
    """
    rows = []
    d = table_digits(trace)
    # a Python cell's gradient call names its sources: those first, in its order
    first = [n for n in getattr(prog, "sources", ()) if n in trace.gradients]
    for name in first + [n for n in trace.gradients if n not in first]:
        value, inp = trace.gradients[name], prog.inputs[name]
        rows.append({"input": name, "kind": inp.kind, "value": whole(trace.inputs[name], d),
                     "gradient": whole(value, d), "why": explain_gradient(trace, prog, name)})
    return rows
