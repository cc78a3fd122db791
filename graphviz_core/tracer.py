"""Run a :class:`Program` in real TensorFlow and record what its backward pass did.

:func:`trace` checks its arguments (:func:`resolve`), runs the program once through the one
interpreter, :func:`~graphviz_core.interpreter.forward`, with a
:class:`~graphviz_core.interpreter.GraphRecorder`, and returns a :class:`Trace`: values,
gradients, the backward events in the order TensorFlow ran the gradient functions, and the
graph. Given a :class:`~graphviz_core.compiled.TraceCache`, a structure traced before runs
compiled (:mod:`graphviz_core.compiled`). :func:`hessian` runs the same interpreter under
nested tapes, as seed 002 does.

Values: a float for rank 0, a ``numpy.ndarray`` for rank >= 1; None where TensorFlow gave
no gradient.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import tensorflow as tf

from . import shapes as shape_pass
from .interpreter import (_DTYPES, JACOBIAN_LIMIT, BackwardEvent, Forward, GraphRecorder,  # noqa: F401
                          Settings, as_value, forward, input_sources)
from .language import LIMITS, Program, ProgramError
from .script import Output, ScriptError, ScriptRun

__all__ = ["trace", "hessian", "Trace", "resolve", "BackwardEvent", "Settings", "forward",
           "Forward", "GraphRecorder", "as_value", "input_sources", "JACOBIAN_LIMIT"]


@dataclass
class Trace:
    values: dict
    gradients: dict
    events: list
    graph: nx.DiGraph
    targets: tuple = ()
    modes: dict = field(default_factory=dict)
    dtype: str = "float32"
    inputs: dict = field(default_factory=dict)     # the input values used
    watched: tuple = ()                            # constants the tape watched
    program: Program | None = None
    settings: Settings | None = None
    error: str | None = None    # TensorFlow refused the backward pass (a rule's wrong shape)
    output: list = field(default_factory=list)    # what a Python-form script printed, by line


def _input_value(name: str, v):
    """A user's input value (number, nested list, array) checked: float or read-only array."""
    try:
        a = np.array(v, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"input '{name}' must be a number or a rectangular list of "
                         "numbers") from None
    if a.ndim > LIMITS["rank"]:
        raise ValueError(f"input '{name}' has rank {a.ndim}; the limit is {LIMITS['rank']}")
    if a.size > LIMITS["elements"]:
        raise ValueError(f"input '{name}' has {a.size} elements; the limit is "
                         f"{LIMITS['elements']}")
    if a.size == 0 or not np.all(np.abs(a) <= LIMITS["literal"]):
        raise ValueError(f"input '{name}' must hold numbers of size at most "
                         f"{LIMITS['literal']:g}")
    if a.ndim == 0:
        return float(a)
    a.setflags(write=False)
    return a


def resolve(prog: Program, inputs=None, modes=None, targets=None, watch=None,
            dtype="float32", expand=False) -> Settings:
    """Check the arguments of :func:`trace` against the program and fill in defaults.

    An input may be given a new shape; the shapes of the program are then checked again.

    >>> from graphviz_core import parse
    >>> s = resolve(parse("c = 2.0\\nw = Variable([1.0, 2.0])\\ny = c * w"), inputs={"c": 3})
    >>> s.inputs["c"], s.targets, s.watch
    (3.0, ('y',), ('c',))
    """
    if not isinstance(dtype, str) or dtype not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', not {dtype!r}")
    values = {n: _input_value(n, i.default) for n, i in prog.inputs.items()}
    new_shapes = {}
    for name, v in dict(inputs or {}).items():
        if name not in prog.inputs:
            raise ValueError(f"'{name}' is not an input of the program")
        values[name] = _input_value(name, v)
        if np.shape(values[name]) != prog.inputs[name].shape:
            new_shapes[name] = np.shape(values[name])
    if new_shapes:
        shape_pass.infer(prog, new_shapes)
    chosen = {}
    for name, fn in prog.functions.items():
        chosen[name] = "custom" if fn.has_custom_gradient else "automatic"
    for name, mode in dict(modes or {}).items():
        if name not in prog.functions:
            raise ValueError(f"'{name}' is not a function of the program")
        if mode not in ("automatic", "custom"):
            raise ValueError(f"mode must be 'automatic' or 'custom', not {mode!r}")
        if mode == "custom" and not prog.functions[name].has_custom_gradient:
            raise ValueError(f"'{name}' has no grad rule, so it can only be automatic")
        chosen[name] = mode
    if targets is None:
        if not prog.default_targets:
            raise ProgramError("the program has no value to differentiate", 1, 1,
                               "add a line such as 'y = x**2'")
        targets = prog.default_targets
    if isinstance(targets, str):
        targets = (targets,)
    try:
        targets = tuple(targets)
    except TypeError:
        raise ValueError("targets must be a list of names") from None
    if not targets:
        raise ValueError("choose at least one target")
    for t in targets:
        if not isinstance(t, str) or (t not in prog.inputs and t not in prog.expressions):
            raise ValueError(f"target {t!r} is not a name in the program")
    consts = [n for n, i in prog.inputs.items() if i.kind == "constant"]
    if watch is None:
        watch = consts if prog.watch is None else prog.watch
    if isinstance(watch, str):
        watch = (watch,)
    for w in watch:
        if w not in prog.inputs:
            raise ValueError(f"{w!r} is not an input of the program")
    return Settings(values, chosen, targets, tuple(w for w in consts if w in set(watch)),
                    dtype, bool(expand))


# ---------------------------------------------------------------------------- public API

def trace(prog: Program, inputs=None, modes=None, targets=None, watch=None, dtype="float32",
          expand=False, cache=None, budget=None) -> Trace:
    """Run ``prog`` under ``tf.GradientTape`` and record the backward pass.

    ``budget`` (a :class:`~graphviz_core.interpreter.Budget`; default: 100,000 operations and
    10 s) stops a run that takes too long with a ProgramError.

    ``cache`` (a :class:`TraceCache`) runs the program as one compiled ``tf.function`` per
    program structure, reused across input values; programs that branch in Python on a
    value (``a if x > 0 else b``) always run eagerly. Both give the same numbers.

    >>> from graphviz_core import parse
    >>> t = trace(parse("foo(x) = x**2\\ngrad foo(x, dy) = dy * 2*x\\nx = 2.0\\ny = foo(foo(foo(x)))"))
    >>> t.gradients["x"], [e.upstream for e in t.events]
    (1024.0, [1.0, 32.0, 256.0])
    """
    s = resolve(prog, inputs, modes, targets, watch, dtype, expand)
    try:
        return _trace(prog, s, cache, budget)
    except RecursionError:
        # functions nested through each other deeply can exhaust Python's stack in the
        # interpreter or in TensorFlow's own gradient code: a message, never the traceback
        raise ProgramError("the functions call each other too deeply to run", 1, 1,
                           "nest fewer functions inside each other") from None


def _trace(prog: Program, s: Settings, cache, budget) -> Trace:
    # a Python-form script (tapes, prints) runs eagerly, as a notebook runs it
    compiled = cache is not None and not prog.has_conditionals and not prog.has_script
    if compiled:
        tracer = cache.compiled(prog, s)
        done = tracer.trace(prog, s) if tracer is not None else None
        if done is not None:
            return done
    t = _eager(prog, s, budget)
    if compiled and t.error is None:
        cache.seen(prog, s, t)
    return t


def _eager(prog: Program, s: Settings, budget=None) -> Trace:
    rec = GraphRecorder(prog, s.expand)
    script_run = ScriptRun(Output()) if prog.has_script else None
    try:
        run = forward(prog, s, rec, budget=budget, script_run=script_run)
    except (tf.errors.OpError, ValueError) as e:
        if isinstance(e, ProgramError):
            if isinstance(e, ScriptError) or script_run is not None:
                e.output = script_run.output.lines if script_run is not None else []
            raise
        raise ProgramError(f"TensorFlow refused the forward pass: {tf_words(e)}", 1, 1,
                           "check the shapes of the inputs") from None
    error = None
    try:
        raw = run.gradients()
    except (tf.errors.OpError, ValueError) as e:
        raw = {n: None for n in prog.inputs}
        error = _backward_error(prog, rec, e)
    gradients = {n: as_value(d) for n, d in raw.items()}
    t = _finish(prog, s, rec.graph, rec.events, run.nodes, gradients, error)
    if prog.training is not None and script_run is not None and \
            script_run.output.error is None:
        _train(prog, s, script_run.output, budget)
    if script_run is not None:
        t.output = script_run.output.lines
    return t


def _train(prog: Program, s: Settings, output, budget) -> None:
    """A pasted training loop, after the run that draws the graph (the loop is the cell's
    last statement): TensorFlow and the Keras optimizer print its rows; TensorFlow's own
    error ends the printout as it would end the notebook's cell, the budget stops it."""
    from .training.loop import run_training
    output.active = True            # the script's own printout goes on (see script.Output)
    try:
        run_training(prog, s, output, budget)
    except ProgramError as e:
        e.output = output.lines
        raise
    except (tf.errors.OpError, ValueError, RuntimeError) as e:
        output.fail(e)
    finally:
        output.active = False


def _finish(prog, s, graph, events, nodes, gradients, error=None) -> Trace:
    """The trace as callers read it: gradients, events and targets marked on the graph."""
    values = {name: graph.nodes[node]["value"] for name, node in nodes.items()}
    for node, attrs in graph.nodes(data=True):
        if attrs["kind"] == "input":
            name = attrs["names"][0]
            attrs["watched"] = prog.inputs[name].kind == "variable" or name in s.watch
            attrs["gradient"] = gradients[name]
    for i, ev in enumerate(events):
        attrs = graph.nodes[ev.node]
        attrs["event"], attrs["gradient"] = i, ev.upstream
    for t in s.targets:
        graph.nodes[nodes[t]]["target"] = True
    return Trace(values, gradients, events, graph, s.targets, s.modes, s.dtype, s.inputs,
                 s.watch, prog, s, error)


def tf_words(e) -> str:
    """TensorFlow's own message without its internal function and op names."""
    text = (getattr(e, "message", None) or str(e)).split("\n")[0]
    text = re.sub(r"\{\{[^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:[^\]]*\].*$", "", text)
    return text.strip()[:300]


def _backward_error(prog, rec, e) -> str:
    """TensorFlow stopped the backward pass: say which custom rule (and shapes) caused it."""
    for ev in rec.events:
        if ev.mode != "custom":
            continue
        fn = prog.functions[ev.name]
        for param, x, d in zip(fn.params, ev.inputs, ev.downstream):
            if d is not None and np.shape(d) != np.shape(x):
                return (f"the rule for {ev.name} (line {fn.rule_line}) returned shape "
                        f"{np.shape(d)} for {param}, whose shape is {np.shape(x)}; TensorFlow "
                        f"could not go on: {tf_words(e)}")
    return f"TensorFlow could not finish the backward pass: {tf_words(e)}"


def hessian(prog: Program, inputs=None, modes=None, targets=None, watch=None,
            dtype="float32") -> dict:
    """Second derivatives by nested tapes, as seed 002 does: ``{(a, b): d/db d(targets)/da}``.

    Scalar inputs only (a tensor input's Hessian is a Jacobian of its gradient).

    >>> from graphviz_core import parse
    >>> h = hessian(parse("w1 = Variable(5.0)\\nw2 = Variable(3.0)\\nz = 3*w1**2 + 2*w1*w2"))
    >>> h[("w1", "w1")], h[("w1", "w2")], h[("w2", "w1")], h[("w2", "w2")]
    (6.0, 2.0, 2.0, None)
    """
    s = resolve(prog, inputs, modes, targets, watch, dtype)
    big = [n for n, v in s.inputs.items() if np.ndim(v)]
    if big:
        raise ValueError(f"the Hessian table needs single-number inputs; {big[0]} has shape "
                         f"{np.shape(s.inputs[big[0]])} (for tensors, take tape.jacobian "
                         "of the gradient)")
    sources = input_sources(prog, s)
    names = list(prog.inputs)
    srcs = [sources[n] for n in names]
    with tf.GradientTape(persistent=True) as outer:
        for name in s.watch:
            outer.watch(sources[name])
        first = forward(prog, s, sources=sources).gradients()
    result = {}
    for a in names:
        ga = first[a]
        second = outer.gradient(ga, srcs) if ga is not None else [None] * len(names)
        for b, gab in zip(names, second):
            result[(a, b)] = as_value(gab)
    del outer
    return result
