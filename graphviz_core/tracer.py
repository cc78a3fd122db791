"""Run a :class:`Program` in real TensorFlow and record what its backward pass did.

One interpreter, :func:`forward`, runs every program: the tracer, :func:`hessian`, training
and the lessons call it. It evaluates the assignments with the registry's TensorFlow
functions (:data:`graphviz_core.ops.OPS`) under a ``tf.GradientTape``; user functions in
``custom`` mode go through ``tf.custom_gradient`` with the user's rule. A *recorder* plugs
into it (autograd's tracer): :class:`GraphRecorder` makes the graph and the backward events
that :func:`trace` returns; without one the run is plain TensorFlow.

When recording, every node (a user-function call, or a built-in op outside function bodies)
passes its output through an identity whose gradient returns the upstream unchanged, so
TensorFlow's backward pass is exactly what it would be without the app. When TensorFlow
calls that gradient, the node's own ops are rerun on a private tape to read off the local
derivative (a Jacobian for tensors) and the downstream it sends to each input. Events are
appended in the order TensorFlow runs the gradient functions. All state lives in the objects
of one call: traces in several threads at once share nothing.

Values: a float for rank 0, a ``numpy.ndarray`` for rank >= 1; None where TensorFlow gave
no gradient.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import tensorflow as tf

from . import graph as g
from . import shapes as shape_pass
from .expr import Call, Compare, Cond, Fold, Logic, NoGrad, Num, Op, Ref, Value
from .language import LIMITS, Program, ProgramError
from .ops import COMPARISONS, LOGIC, OPS

__all__ = ["trace", "hessian", "forward", "Forward", "BackwardEvent", "Trace", "resolve",
           "Settings", "GraphRecorder", "as_value", "input_sources", "JACOBIAN_LIMIT",
           "TraceCache", "CompiledTracer", "structure_key"]

_DTYPES = {"float32": tf.float32, "float64": tf.float64}
JACOBIAN_LIMIT = 4096
"""A local Jacobian with more entries than this is not computed (``local`` is None)."""


@dataclass(frozen=True)
class BackwardEvent:
    """One call of a gradient function, as TensorFlow made it."""
    node: str
    name: str
    mode: str
    inputs: tuple
    output: object
    upstream: object
    local: tuple
    downstream: tuple
    automatic: tuple | None = None    # custom mode: TensorFlow's automatic downstream of the
    #                                   body at the same inputs and upstream (rule checks)


@dataclass(frozen=True)
class Settings:
    """Arguments of :func:`trace` after checking and defaults (see :func:`resolve`)."""
    inputs: dict          # name -> float | ndarray
    modes: dict
    targets: tuple
    watch: tuple
    dtype: str
    expand: bool = False


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


def as_value(t):
    """A tensor as the trace keeps it: float for rank 0, ndarray otherwise, None for None.

    >>> as_value(tf.constant(2.0)), as_value(tf.constant([1.0, 2.0])), as_value(None)
    (2.0, array([1., 2.], dtype=float32), None)
    """
    if t is None:
        return None
    a = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    return float(a) if a.ndim == 0 else a


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
        if prog.default_target is None:
            raise ProgramError("the program has no value to differentiate", 1, 1,
                               "add a line such as 'y = x**2'")
        targets = (prog.default_target,)
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
        watch = consts
    if isinstance(watch, str):
        watch = (watch,)
    for w in watch:
        if w not in prog.inputs:
            raise ValueError(f"{w!r} is not an input of the program")
    return Settings(values, chosen, targets, tuple(w for w in consts if w in set(watch)),
                    dtype, bool(expand))


# ---------------------------------------------------------------------------- recorder

class GraphRecorder:
    """Builds the traced graph and the backward events while :func:`forward` runs.

    ``expand``: calls of functions in automatic mode are drawn as the ops of their body
    (grouped by call), instead of one node per call. ``automatic``: custom-mode events also
    carry TensorFlow's automatic downstream (a private tape per event: about 1 ms each when
    eager, nothing extra when compiled; :func:`~graphviz_core.checks.rule_checks` computes
    it itself where it is missing).
    """

    def __init__(self, prog: Program, expand: bool = False, automatic: bool = False):
        self.prog, self.expand, self.automatic = prog, expand, automatic
        self.graph = g.new_graph()
        self.events: list[BackwardEvent] = []
        self._calls = 0
        self._group_fn: dict = {}

    def input(self, name, tensor):
        inp = self.prog.inputs[name]
        node = g.add_node(self.graph, "input", "input", name, names=(name,), expr=name,
                          line=inp.line, input_kind=inp.kind)
        self.value(node, tensor)
        return node

    def literal(self, expr, group):
        v = expr.value
        label = f"{v:g}" if isinstance(v, float) else f"{np.shape(v)}"
        return g.add_node(self.graph, "literal", "literal", label, expr=expr.text,
                          group=group, line=expr.line,
                          value=v if isinstance(v, float) else np.array(v))

    def op(self, expr, inputs, group):
        spec = OPS[expr.op]
        label = expr.text if expr.op == "getitem" else spec.text
        return g.add_node(self.graph, "op", expr.op, label, inputs=inputs, expr=expr.text,
                          line=expr.line, group=group, mode="automatic",
                          function=self._group_fn.get(group))

    def call(self, expr, fn, mode, inputs, group):
        return g.add_node(self.graph, "call", expr.func, expr.func, inputs=inputs,
                          expr=expr.text, line=expr.line, function=expr.func, group=group,
                          mode=mode, rule=fn.rule_text if mode == "custom" else None)

    def group(self, func: str) -> str:
        self._calls += 1
        gid = f"{func}#{self._calls}"
        self._group_fn[gid] = func
        return gid

    def value(self, node, tensor):
        self.graph.nodes[node]["value"] = as_value(tensor)

    def name(self, node, name, line):
        attrs = self.graph.nodes[node]
        attrs["names"] = attrs["names"] + (name,)
        if not attrs["line"]:
            attrs["line"] = line

    def event(self, node, name, mode, args, out, upstream, local, down, automatic=None):
        self.events.append(BackwardEvent(
            node=node, name=name, mode=mode, inputs=tuple(as_value(a) for a in args),
            output=as_value(out), upstream=as_value(upstream),
            local=tuple(as_value(x) for x in local),
            downstream=tuple(as_value(x) for x in down),
            automatic=None if automatic is None else tuple(as_value(x) for x in automatic)))


# ---------------------------------------------------------------------------- interpreter

class _Context:
    """What every interpreter of one run shares: program, modes, dtype, recorder."""

    def __init__(self, prog, modes, dtype, recorder):
        self.prog, self.modes, self.dtype, self.recorder = prog, modes, dtype, recorder


class _Interpreter(Fold):
    """Evaluates an expression to ``(tensor, node)``; ``node`` is None when not recording.

    ``group`` is None at top level, an expanded call's id inside it; ``record`` is False for
    function bodies, rules and conditions, which run as plain TensorFlow.
    """

    def __init__(self, ctx: _Context, env: dict, record: bool, group=None):
        self.ctx, self.env, self.group = ctx, env, group
        self.rec = ctx.recorder if record else None

    def plain(self, expr, env):
        """Evaluate ``expr`` without recording; ``env`` maps names to tensors."""
        return _Interpreter(self.ctx, {k: (v, None) for k, v in env.items()}, False)(expr)[0]

    def _plain_env(self):
        return {k: v[0] for k, v in self.env.items()}

    # -- the fold -------------------------------------------------------------------
    def visit(self, node):
        if isinstance(node, Cond):
            return node.then if self.plain_test(node.test) else node.other
        if self.rec is not None and isinstance(node, (Compare, Logic)):
            # a condition is not part of the graph: it runs as plain TensorFlow
            return Value((self.plain(node, self._plain_env()), None))
        return None

    def plain_test(self, test) -> bool:
        return bool(self.plain(test, self._plain_env()))

    def leaf(self, node):
        if isinstance(node, Ref):
            return self.env[node.name]
        if isinstance(node, Num):
            t = tf.constant(node.value, self.ctx.dtype)
            lit = self.rec.literal(node, self.group) if self.rec is not None else None
            return t, lit
        raise TypeError(f"unexpected expression {node!r}")   # the parser allows nothing else

    def node(self, node, args):
        if isinstance(node, Compare):
            return COMPARISONS[node.op](args[0][0], args[1][0]), None
        if isinstance(node, Logic):
            out = args[0][0]
            if node.op == "not":
                return LOGIC["not"](out), None
            for a in args[1:]:
                out = LOGIC[node.op](out, a[0])
            return out, None
        if isinstance(node, Op):
            return self.op(node, args)
        if isinstance(node, Call):
            return self.call_node(node, args)
        raise TypeError(f"unexpected expression {node!r}")

    def op(self, node, args):
        spec, kw = OPS[node.op], node.keywords
        if node.op == "where":
            cond, args = args[0][0], args[1:]
            fn = lambda a, b: spec.fn(cond, a, b)      # noqa: E731 - the condition is no input
        else:
            fn = (lambda *xs: spec.fn(*xs, **kw)) if kw else spec.fn
        tensors = [a[0] for a in args]
        if self.rec is None:
            return fn(*tensors), None
        nid = self.rec.op(node, [a[1] for a in args], self.group)
        out = _observe(self.rec, fn, tensors, nid, node.op, "automatic", spec.elementwise)
        self.rec.value(nid, out)
        return out, nid

    def call_node(self, node, args):
        fn = self.ctx.prog.functions[node.func]
        mode = self.ctx.modes[node.func]
        tensors = [a[0] for a in args]
        if self.rec is None:
            return self.call(fn, mode, tensors, None), None
        if self.rec.expand and mode == "automatic":
            inner = _Interpreter(self.ctx, dict(zip(fn.params, args)), True,
                                 self.rec.group(node.func))
            return inner(fn.body)
        nid = self.rec.call(node, fn, mode, [a[1] for a in args], self.group)
        out = self.call(fn, mode, tensors, nid)
        self.rec.value(nid, out)
        return out, nid

    # -- function calls -----------------------------------------------------------------
    def call(self, fn, mode, xs, node):
        if mode == "custom":
            return self.custom(fn, xs, node)
        body = lambda *a: self.plain(fn.body, dict(zip(fn.params, a)))  # noqa: E731
        if node is None:
            return body(*xs)
        return _observe(self.ctx.recorder, body, xs, node, fn.name, "automatic")

    def custom(self, fn, xs, node):
        """A function in custom mode: forward by its body, backward by the user's rule."""
        run, rec = self, (self.ctx.recorder if node is not None else None)

        @tf.custom_gradient
        def custom(*args):
            out = run.plain(fn.body, dict(zip(fn.params, args)))

            def grad(upstream):
                down = run.rule(fn, args, upstream)
                if rec is not None:
                    local = _rule_jacobian(run, fn, args, upstream)
                    auto = run.automatic(fn, args, upstream) if rec.automatic else None
                    rec.event(node, fn.name, "custom", args, out, upstream, local, down, auto)
                return down if len(down) > 1 else down[0]
            return out, grad
        return custom(*xs)

    def automatic(self, fn, args, upstream) -> list:
        """What TensorFlow's automatic gradient of ``fn``'s body sends for this upstream."""
        with tf.GradientTape() as side:
            copies = [tf.identity(a) for a in args]
            side.watch(copies)
            again = self.plain(fn.body, dict(zip(fn.params, copies)))
        return side.gradient(again, copies, output_gradients=upstream)

    def rule(self, fn, args, upstream) -> list:
        env = dict(zip(fn.rule_params, tuple(args) + (upstream,)))
        return [None if isinstance(part, NoGrad) else
                tf.convert_to_tensor(self.plain(part, env), self.ctx.dtype)
                for part in fn.rule]


def _observe(rec, fn, xs, node, name, mode, elementwise=False):
    """Run ``fn`` as plain TensorFlow and observe the gradient that reaches its output.

    The output passes through an identity whose gradient function returns the upstream
    unchanged, so TensorFlow's backward pass is exactly what it would be without us (same
    ops, same sums in the same order). When TensorFlow calls that identity's gradient, we
    rerun ``fn`` on a private tape to read off the local derivative and the downstream
    values this node sends to each input, and note the event.
    """
    out = fn(*xs)

    @tf.custom_gradient
    def observed(y, *args):
        def grad(upstream):
            with tf.GradientTape(persistent=True) as side:
                # copies: in x * x each place gets its own gradient, not the total
                copies = [tf.identity(a) for a in args]
                side.watch(copies)
                again = fn(*copies)
            down = side.gradient(again, copies, output_gradients=upstream)
            local = _elementwise_jacobian(fn, args, again) if elementwise and \
                again.shape.rank else _jacobian(side, again, copies)
            rec.event(node, name, mode, args, again, upstream, local, down)
            return [upstream] + [None] * len(args)
        return tf.identity(y), grad
    return observed(out, *xs)


def _basis(shape, dtype):
    """One-hot tensors of ``shape``, one per element, in row-major order."""
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    eye = np.eye(n).reshape((n,) + tuple(shape))
    return [tf.constant(e, dtype) for e in eye]


def _jacobian(side, out, xs) -> list:
    """d out / d x for each x, shaped ``out.shape + x.shape`` (TensorFlow's own numbers).

    For scalars this is the gradient itself. Otherwise one gradient per output element,
    with a one-hot upstream (a row of the Jacobian each); None where too large or where
    TensorFlow gives no gradient.
    """
    if out.shape.rank == 0 and all(x.shape.rank == 0 for x in xs):
        return side.gradient(out, xs)
    n_out = out.shape.num_elements()
    wanted = [x for x in xs if n_out * x.shape.num_elements() <= JACOBIAN_LIMIT]
    if not wanted:
        return [None] * len(xs)
    rows = [side.gradient(out, wanted, output_gradients=e)
            for e in _basis(out.shape, out.dtype)]
    result = {}
    for i, x in enumerate(wanted):
        parts = [r[i] for r in rows]
        result[id(x)] = None if parts[0] is None else \
            tf.reshape(tf.stack(parts), out.shape.concatenate(x.shape))
    return [result.get(id(x)) for x in xs]


def _elementwise_jacobian(fn, args, out) -> list:
    """The local Jacobian of an elementwise op from one gradient: each output element depends
    on the matching element of each (broadcast) input only, so TensorFlow's derivative with
    respect to the inputs broadcast to the output's shape is the Jacobian's non-zero part;
    it is placed where broadcasting took each input element (every other entry is 0)."""
    shape = out.shape
    with tf.GradientTape() as tape:
        wide = [tf.broadcast_to(tf.identity(a), shape) for a in args]
        tape.watch(wide)
        again = fn(*wide)
    slopes = tape.gradient(again, wide)
    n_out = shape.num_elements()
    local = []
    for a, slope in zip(args, slopes):
        n_in = a.shape.num_elements()
        if slope is None or n_out * n_in > JACOBIAN_LIMIT:
            local.append(None)
            continue
        source = np.broadcast_to(np.arange(n_in).reshape(a.shape), shape).ravel()
        where = np.stack([np.arange(n_out), source], axis=1)
        jac = tf.scatter_nd(where, tf.reshape(slope, [-1]), [n_out, n_in])
        local.append(tf.reshape(jac, shape.concatenate(a.shape)))
    return local


def _rule_jacobian(run, fn, args, upstream) -> list:
    """The rule evaluated with upstream = 1, or against each basis upstream for tensors:
    ``output.shape + returned.shape`` (what the rule defines, right or wrong)."""
    if upstream.shape.rank == 0:
        return run.rule(fn, args, tf.ones_like(upstream))
    n_out = upstream.shape.num_elements()
    rows = [run.rule(fn, args, e) for e in _basis(upstream.shape, upstream.dtype)]
    local = []
    for i in range(len(fn.params)):
        parts = [r[i] for r in rows]
        if parts[0] is None or n_out * parts[0].shape.num_elements() > JACOBIAN_LIMIT \
                or any(p.shape != parts[0].shape for p in parts):
            local.append(None)
        else:
            local.append(tf.reshape(tf.stack(parts), upstream.shape.concatenate(parts[0].shape)))
    return local


# ---------------------------------------------------------------------------- forward

@dataclass
class Forward:
    """One run of a program: its tensors, the inputs as TensorFlow saw them, the tape."""
    program: Program
    settings: Settings
    values: dict          # name -> tensor, every input (as read) and assignment
    sources: dict         # input -> tf.Variable | tf.Tensor: what gradients are taken for
    tape: tf.GradientTape
    nodes: dict = field(default_factory=dict)    # name -> graph node (when recorded)

    @property
    def outputs(self) -> list:
        return [self.values[t] for t in self.settings.targets]

    def gradients(self) -> dict:
        """``{input: tensor | None}``: d(sum of targets)/d(input), as ``tape.gradient``."""
        names = list(self.program.inputs)
        grads = self.tape.gradient(self.outputs, [self.sources[n] for n in names])
        return dict(zip(names, grads))


def input_sources(prog: Program, settings: Settings) -> dict:
    """A ``tf.Variable`` or ``tf.constant`` per input, as the program declares it."""
    dt = _DTYPES[settings.dtype]
    return {name: tf.Variable(settings.inputs[name], dtype=dt, name=name)
            if inp.kind == "variable" else tf.constant(settings.inputs[name], dt)
            for name, inp in prog.inputs.items()}


def forward(prog: Program, settings: Settings, recorder=None, *, sources=None,
            persistent: bool = False) -> Forward:
    """Run ``prog`` with ``settings`` under a new ``tf.GradientTape``.

    The tape watches every ``tf.Variable`` among the sources and the constants in
    ``settings.watch``. ``sources`` replaces the inputs (``{name: Variable | Tensor}``;
    training passes its variables, a sweep its vectors); ``recorder`` (a
    :class:`GraphRecorder`) records the graph and the backward events.

    >>> from graphviz_core import parse
    >>> p = parse("x = 3.0\\ny = x * x")
    >>> f = forward(p, resolve(p))
    >>> float(f.values["y"]), float(f.gradients()["x"])
    (9.0, 6.0)
    """
    dt = _DTYPES[settings.dtype]
    if sources is None:
        sources = input_sources(prog, settings)
    ctx = _Context(prog, settings.modes, dt, recorder)
    env, nodes = {}, {}
    with tf.GradientTape(persistent=persistent, watch_accessed_variables=False) as tape:
        for name, src in sources.items():
            if isinstance(src, tf.Variable) or name in settings.watch or \
                    prog.inputs[name].kind == "variable":
                tape.watch(src)
        for name in prog.inputs:
            # a Variable is read once, on the tape, so that every op downstream sees a tensor
            tensor = tf.convert_to_tensor(sources[name])
            env[name] = (tensor, recorder.input(name, tensor) if recorder else None)
        top = _Interpreter(ctx, env, recorder is not None)
        for name in prog.assignments:
            tensor, node = top(prog.expressions[name])
            if recorder is not None:
                recorder.name(node, name, prog.lines[name])
            env[name] = (tensor, node)
    values = {n: v[0] for n, v in env.items()}
    nodes = {n: v[1] for n, v in env.items()}
    return Forward(prog, settings, values, sources, tape, nodes)


# ---------------------------------------------------------------------------- public API

def trace(prog: Program, inputs=None, modes=None, targets=None, watch=None, dtype="float32",
          expand=False, cache=None) -> Trace:
    """Run ``prog`` under ``tf.GradientTape`` and record the backward pass.

    ``cache`` (a :class:`TraceCache`) runs the program as one compiled ``tf.function`` per
    program structure, reused across input values; programs that branch in Python on a
    value (``a if x > 0 else b``) always run eagerly. Both give the same numbers.

    >>> from graphviz_core import parse
    >>> t = trace(parse("foo(x) = x**2\\ngrad foo(x, dy) = dy * 2*x\\nx = 2.0\\ny = foo(foo(foo(x)))"))
    >>> t.gradients["x"], [e.upstream for e in t.events]
    (1024.0, [1.0, 32.0, 256.0])
    """
    s = resolve(prog, inputs, modes, targets, watch, dtype, expand)
    compiled = cache is not None and not prog.has_conditionals
    if compiled:
        tracer = cache.compiled(prog, s)
        done = tracer.trace(s) if tracer is not None else None
        if done is not None:
            return done
    t = _eager(prog, s)
    if compiled and t.error is None:
        cache.seen(prog, s, t)
    return t


def _eager(prog: Program, s: Settings) -> Trace:
    rec = GraphRecorder(prog, s.expand)
    try:
        run = forward(prog, s, rec)
    except (tf.errors.InvalidArgumentError, ValueError) as e:
        if isinstance(e, ProgramError):
            raise
        raise ProgramError(f"TensorFlow refused the forward pass: {_tf_words(e)}", 1, 1,
                           "check the shapes of the inputs") from None
    error = None
    try:
        raw = run.gradients()
    except (tf.errors.InvalidArgumentError, ValueError) as e:
        raw = {n: None for n in prog.inputs}
        error = _backward_error(prog, rec, e)
    gradients = {n: as_value(d) for n, d in raw.items()}
    return _finish(prog, s, rec.graph, rec.events, run.nodes, gradients, error)


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


# ---------------------------------------------------------------------------- compiled

class _SymbolicRecorder(GraphRecorder):
    """A :class:`GraphRecorder` for a ``tf.function`` being traced: the graph's structure is
    built once; values and events are kept as the function's output tensors."""

    def __init__(self, prog, expand):
        super().__init__(prog, expand, automatic=True)
        self.slots: list = []          # (node, tensor)
        self.raw_events: list = []     # BackwardEvent fields, tensors where values go

    def value(self, node, tensor):
        self.slots.append((node, tensor))

    def event(self, node, name, mode, args, out, upstream, local, down, automatic=None):
        self.raw_events.append((node, name, mode, tuple(args), out, upstream, tuple(local),
                                tuple(down), None if automatic is None else tuple(automatic)))


class CompiledTracer:
    """One program structure (its ops, modes, targets, watch list, dtype and input shapes)
    as one ``tf.function``: each :meth:`trace` runs it for new input values and fills a copy
    of the graph it recorded when it was traced. Thread-safe; get one from a
    :class:`TraceCache`."""

    def __init__(self, prog: Program, s: Settings, order: list):
        self.prog, self.settings = prog, s
        self._order = {node: i for i, node in enumerate(order)}   # the eager event order
        dt = _DTYPES[s.dtype]
        specs = [tf.TensorSpec(np.shape(s.inputs[n]), dt) for n in prog.inputs]
        self._fn = tf.function(self._build, input_signature=specs, autograph=False)
        self._meta = None
        self._failed = False

    def _build(self, *values):
        prog, s = self.prog, self.settings
        rec = _SymbolicRecorder(prog, s.expand)
        run = forward(prog, s, rec, sources=dict(zip(prog.inputs, values)))
        grads = run.gradients()
        flat = []

        def put(t):
            if t is None:
                return None
            flat.append(t)
            return len(flat) - 1
        slots = [(node, put(t)) for node, t in rec.slots]
        gradients = {n: put(grads[n]) for n in prog.inputs}
        events = [(node, name, mode, tuple(put(a) for a in args), put(out), put(up),
                   tuple(put(x) for x in local), tuple(put(x) for x in down),
                   None if auto is None else tuple(put(x) for x in auto))
                  for node, name, mode, args, out, up, local, down, auto in rec.raw_events]
        self._meta = (rec.graph, slots, gradients, events, run.nodes)
        return flat

    def trace(self, s: Settings) -> Trace | None:
        """The trace at ``s``'s input values; None if TensorFlow refused (trace eagerly then,
        for the message)."""
        if self._failed:
            return None
        dt = _DTYPES[s.dtype]
        try:
            out = self._fn(*[tf.constant(s.inputs[n], dt) for n in self.prog.inputs])
        except (tf.errors.InvalidArgumentError, ValueError, TypeError):
            self._failed = True
            return None
        got = [as_value(t) for t in out]

        def get(i):
            return None if i is None else got[i]
        template, slots, gradients, events, nodes = self._meta
        graph = template.copy()
        for node, i in slots:
            graph.nodes[node]["value"] = get(i)
        evs = [BackwardEvent(node, name, mode, tuple(get(a) for a in args), get(o), get(u),
                             tuple(get(x) for x in local), tuple(get(x) for x in down),
                             None if auto is None else tuple(get(x) for x in auto))
               for node, name, mode, args, o, u, local, down, auto in events]
        # A graph is built in an order of its own where gradients do not depend on each other
        # (three targets): events are listed in the order eager TensorFlow ran them.
        evs.sort(key=lambda e: self._order.get(e.node, len(self._order)))
        return _finish(self.prog, s, graph, evs, nodes, {n: get(i) for n, i in gradients.items()})


def structure_key(prog: Program, s: Settings) -> tuple:
    """What fixes a compiled trace: everything but the inputs' values."""
    return (tuple((f.name, f.params, f.body, f.rule, f.rule_params, f.line, f.rule_line,
                   f.text, f.rule_text) for f in prog.functions.values()),
            tuple((n, prog.expressions[n], prog.lines[n]) for n in prog.assignments),
            tuple((n, i.kind, i.line, np.shape(s.inputs[n])) for n, i in prog.inputs.items()),
            tuple(sorted(s.modes.items())), s.targets, s.watch, s.dtype, s.expand)


class TraceCache:
    """Compiled tracers by program structure, least recently used first out.

    The first trace of a structure runs eagerly (typing makes a new structure at every
    edit, and compiling costs several eager runs); from the second on, one compiled
    ``tf.function`` serves every input value. The caller owns the cache (the Explorer keeps
    one for its server): it holds compiled programs, never a session's values.

    Grappler's graph rewrites (fused kernels, reordered sums) are switched off in this
    process when a tracer is compiled, so a compiled trace is TensorFlow's eager numbers bit
    for bit (tests/test_compiled.py).
    """

    def __init__(self, max_entries: int = 64):
        import collections
        import threading
        self.max_entries = max_entries
        self._tracers = collections.OrderedDict()     # key -> CompiledTracer | event order
        self._lock = threading.Lock()

    def compiled(self, prog: Program, s: Settings) -> CompiledTracer | None:
        """The compiled tracer of this structure, made now if it was traced before."""
        key = structure_key(prog, s)
        with self._lock:
            entry = self._tracers.pop(key, None)
            if isinstance(entry, list):
                tf.config.optimizer.set_experimental_options({"disable_meta_optimizer": True})
                entry = CompiledTracer(prog, s, entry)
            if entry is not None:
                self._put(key, entry)
            return entry

    def seen(self, prog: Program, s: Settings, t: Trace) -> None:
        """Note an eager trace of a structure (its event order): the next one compiles."""
        with self._lock:
            self._put(structure_key(prog, s), [e.node for e in t.events])

    def _put(self, key, entry):
        self._tracers[key] = entry
        while len(self._tracers) > self.max_entries:
            self._tracers.popitem(last=False)

    def __len__(self) -> int:
        return sum(isinstance(v, CompiledTracer) for v in self._tracers.values())


def _tf_words(e) -> str:
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
                        f"could not go on: {_tf_words(e)}")
    return f"TensorFlow could not finish the backward pass: {_tf_words(e)}"


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
