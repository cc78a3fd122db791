"""What is suspicious about the custom rules of a trace: :func:`rule_checks`.

Three kinds, one :class:`RuleCheck` per (event, parameter) found:

``chain``      downstream ≠ upstream · local: the rule is not linear in its upstream (it
               forgot to multiply by ``dy``), so the chain rule is broken.
``shape``      the rule returned a shape other than its parameter's: a broadcast input whose
               rule forgot the ``reduce_sum`` over the broadcast axes (autograd's
               ``unbroadcast``; TensorFlow's ``_MulGrad`` does the same with
               ``broadcast_gradient_args``).
``automatic``  the rule's downstream differs from TensorFlow's automatic gradient of the
               function's body at the same inputs and upstream. A surrogate does this on
               purpose; a typo does it by accident.

The automatic reference is TensorFlow's: the tracer runs the body again on a private tape
at the event's inputs and differentiates it with the event's upstream
(``BackwardEvent.automatic``); for an event made without it, it is computed here the same way.

>>> import graphviz_core as gc
>>> src = "f(x) = x**2\\ngrad f(x, dy) = 2*x\\nx = 3.0\\ny = f(f(x))"
>>> [(c.kind, c.function) for c in rule_checks(gc.trace(gc.parse(src)))]
[('chain', 'f'), ('automatic', 'f')]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .report import fmt, rule_mismatch
from .interpreter import _DTYPES, _Context, _Interpreter, as_value
from .values import same, shape_of, vjp

__all__ = ["RuleCheck", "rule_checks", "loud_checks", "KINDS"]

_REL = {"float32": 1e-5, "float64": 1e-10}


@dataclass(frozen=True)
class RuleCheck:
    node: str           # the graph node of the call
    function: str
    param: str          # the parameter whose gradient is suspicious
    kind: str           # "chain" | "shape" | "automatic"
    message: str
    line: int = 0       # the rule's line


KINDS = ("chain", "shape", "automatic")


def rule_checks(trace, kinds=KINDS) -> list[RuleCheck]:
    """Suspicious custom rules in ``trace``, in the order of its backward events.

    ``kinds`` limits the checks made (``automatic`` runs TensorFlow once per custom event
    unless the trace already carries its references).

    >>> import graphviz_core as gc
    >>> t = gc.trace(gc.parse("f(x) = x * x\\ngrad f(x, dy) = dy * 2 * x\\nx = 3.0\\ny = f(x)"))
    >>> rule_checks(t)
    []
    """
    prog = trace.program
    out = []
    for ev in trace.events:
        if ev.mode != "custom":
            continue
        fn = prog.functions[ev.name]
        where = f"the rule for {fn.name} (line {fn.rule_line})"
        chain = set(rule_mismatch(ev, _REL.get(trace.dtype, 1e-5))) if "chain" in kinds else ()
        auto = _automatic(trace, fn, ev) if "automatic" in kinds else None
        for i, (param, x, down) in enumerate(zip(fn.params, ev.inputs, ev.downstream)):
            def add(kind, message):
                out.append(RuleCheck(ev.node, fn.name, param, kind, message, fn.rule_line))
            if "shape" in kinds and down is not None and shape_of(down) != shape_of(x):
                add("shape", f"{where} returned shape {shape_of(down)} for {param}, whose "
                    f"shape is {shape_of(x)}" + _unbroadcast_hint(shape_of(x), shape_of(down)))
            if i in chain:
                add("chain", f"{where} ignores {fn.upstream}: its downstream for {param} is "
                    f"{fmt(down)} with upstream {fmt(ev.upstream)}, but upstream × local is "
                    f"{fmt(vjp(ev.upstream, ev.local[i]))}; multiply by {fn.upstream}")
            if auto is not None and not same(down, auto[i], _REL.get(trace.dtype, 1e-5)):
                add("automatic", f"{where} gives {fmt(down)} for {param}; TensorFlow's "
                    f"automatic gradient of {fn.name} gives {fmt(auto[i])}")
    return out


def _unbroadcast_hint(want, got) -> str:
    """``: sum over axis 0 ((2, 3) -> (3,))`` when ``got`` broadcasts onto ``want``."""
    try:
        if tuple(np.broadcast_shapes(want, got)) != tuple(got):
            return ""
    except ValueError:
        return ""
    lead = len(got) - len(want)
    axes = list(range(lead)) + [lead + i for i, d in enumerate(want) if d == 1 and got[lead + i] != 1]
    if not axes:
        return ""
    words = "axis" if len(axes) == 1 else "axes"
    keep = ", keepdims=True" if len(want) == len(got) else ""
    return (f": it forgot to sum over the broadcast {words} "
            f"{', '.join(map(str, axes))}, {got} -> {want}; e.g. reduce_sum(..., axis="
            f"{axes[0] if len(axes) == 1 else tuple(axes)}{keep})")


def _automatic(trace, fn, ev):
    """TensorFlow's automatic downstream of ``fn`` at the event's inputs and upstream."""
    if ev.automatic is not None:
        return ev.automatic
    if ev.upstream is None:
        return None
    dt = _DTYPES[trace.dtype]
    run = _Interpreter(_Context(trace.program, trace.modes, dt, None), {}, False)
    grads = run.automatic(fn, [tf.constant(x, dt) for x in ev.inputs],
                          tf.constant(ev.upstream, dt))
    return [as_value(d) for d in grads]


def loud_checks(trace) -> list[RuleCheck]:
    """The checks a page puts above the graph: each chain or shape problem, its message
    followed by what TensorFlow's automatic gradient of the function gives (the number the
    rule should have produced). A rule that only differs from automatic (a surrogate, on
    purpose) is not here: that is the side by side's story.

    >>> import graphviz_core as gc
    >>> p = gc.parse("f(x) = x * x\\ngrad f(x, dy) = 2 * x\\nx = 1.5\\ny = f(x) * 3")
    >>> [c.message for c in loud_checks(gc.trace(p))]  # doctest: +NORMALIZE_WHITESPACE
    ["the rule for f (line 2) ignores dy: its downstream for x is 3 with upstream 3, but
      upstream × local is 9; multiply by dy. TensorFlow's automatic gradient of f gives 9."]
    """
    checks = rule_checks(trace)
    auto = {(c.node, c.param): c for c in checks if c.kind == "automatic"}
    out = []
    for c in checks:
        if c.kind == "automatic":
            continue
        a = auto.get((c.node, c.param))
        if a is not None:
            said = a.message.split("; ", 1)[-1]
            c = RuleCheck(c.node, c.function, c.param, c.kind,
                          f"{c.message}. {said[0].upper()}{said[1:]}.", c.line)
        out.append(c)
    return out
