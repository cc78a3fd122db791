"""The one interpreter: :func:`forward` runs a program under a ``tf.GradientTape``.

It evaluates the assignments with the registry's TensorFlow functions
(:data:`graphviz_core.ops.OPS`); user functions in ``custom`` mode go through
``tf.custom_gradient`` with the user's rule. A *recorder* plugs into it (autograd's tracer):
:class:`GraphRecorder` makes the graph and the backward events that
:func:`graphviz_core.tracer.trace` returns; without one the run is plain TensorFlow
(:func:`~graphviz_core.tracer.hessian`, training, the lessons' sweeps).

When recording, every node (a user-function call, or a built-in op outside function bodies)
passes its output through an identity whose gradient returns the upstream unchanged, so
TensorFlow's backward pass is exactly what it would be without the app. When TensorFlow
calls that gradient, the node's own ops are rerun on a private tape to read off the local
derivative (a Jacobian for tensors) and the downstream it sends to each input. All state
lives in the objects of one call: runs in several threads at once share nothing.

Why one module of ~500 lines: the interpreter, its budget, the observing identity and the local
Jacobians are one mechanism (the identity's gradient reruns the interpreter's own op);
split, each half would need the other's private parts.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from . import graph as g
from . import script
from .expr import Call, Compare, Cond, Fold, Logic, NoGrad, Num, Op, Ref, Value
from .language import Program, ProgramError
from .ops import COMPARISONS, LOGIC, OPS

__all__ = ["forward", "Forward", "GraphRecorder", "BackwardEvent", "Settings", "as_value",
           "input_sources", "JACOBIAN_LIMIT", "Budget", "BudgetExceeded", "PageClosed"]

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


def as_value(t):
    """A tensor as the trace keeps it: float for rank 0, ndarray otherwise, None for None.

    >>> as_value(tf.constant(2.0)), as_value(tf.constant([1.0, 2.0])), as_value(None)
    (2.0, array([1., 2.], dtype=float32), None)
    """
    if t is None:
        return None
    a = t.numpy() if hasattr(t, "numpy") else np.asarray(t)
    return float(a) if a.ndim == 0 else a


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
        # False while a Python-form script runs its own tape.gradient calls: the events
        # drawn are those of the trace's backward pass, once
        self.listening = True
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
        if not self.listening:
            return
        self.events.append(BackwardEvent(
            node=node, name=name, mode=mode, inputs=tuple(as_value(a) for a in args),
            output=as_value(out), upstream=as_value(upstream),
            local=tuple(as_value(x) for x in local),
            downstream=tuple(as_value(x) for x in down),
            automatic=None if automatic is None else tuple(as_value(x) for x in automatic)))


# ---------------------------------------------------------------------------- interpreter

class Budget:
    """What one run may spend, checked while it runs (the parser's work limit is checked
    before): ``ops`` expression nodes evaluated, forward and backward (a custom rule counts
    each time TensorFlow runs it, a Jacobian row 16), eager runs only (a compiled run of a
    structure that ran within its budget eagerly is not interrupted); ``seconds`` of wall time; ``alive()``, if given, is asked
    every 256 ops and stops the run once it says False (the page passes "this session is
    still connected", so a closed tab does not leave a core busy).

    >>> from graphviz_core import parse, resolve
    >>> p = parse("x = 1.0\\ny = x + x + x + x")
    >>> forward(p, resolve(p), budget=Budget(ops=3))
    Traceback (most recent call last):
    ...
    graphviz_core.interpreter.BudgetExceeded: line 1, column 1: the run took more than 3 operations; it was stopped (make the program smaller)
    """

    def __init__(self, ops: int = 100_000, seconds: float = 10.0, alive=None):
        import time
        self.ops, self.seconds, self.alive = ops, seconds, alive
        self.count = 0
        self._clock = time.monotonic
        self._deadline = self._clock() + seconds

    def tick(self, n: int = 1) -> None:
        self.count += n
        if self.count > self.ops:
            raise BudgetExceeded(f"the run took more than {self.ops:,} operations; it was "
                                 "stopped", 1, 1, "make the program smaller")
        if self.count & 255 < n:
            if self._clock() > self._deadline:
                raise BudgetExceeded(f"the run took longer than {self.seconds:g} s; it was "
                                     "stopped", 1, 1, "make the program smaller")
            if self.alive is not None and not self.alive():
                raise PageClosed("the page that asked for this run has closed; it was "
                                 "stopped", 1, 1, "")


class BudgetExceeded(ProgramError):
    """A run stopped by its :class:`Budget`."""


class PageClosed(BudgetExceeded):
    """A run stopped because nobody waits for it: :func:`~graphviz_core.explore` raises it
    (a cached result must not say "closed" to the next visitor who asks the same)."""


class _Context:
    """What every interpreter of one run shares: program, modes, dtype, recorder, budget."""

    def __init__(self, prog, modes, dtype, recorder, budget=None, output=None):
        self.prog, self.modes, self.dtype, self.recorder = prog, modes, dtype, recorder
        self.budget = budget if budget is not None else Budget()
        self.output = output        # script.Output of a Python-form run, else None


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
        self.ctx.budget.tick()
        if isinstance(node, Ref):
            return self.env[node.name]
        if isinstance(node, Num):
            t = tf.constant(node.value, self.ctx.dtype)
            lit = self.rec.literal(node, self.group) if self.rec is not None else None
            return t, lit
        raise TypeError(f"unexpected expression {node!r}")   # the parser allows nothing else

    def node(self, node, args):
        self.ctx.budget.tick()
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
        out = _observe(self.rec, fn, tensors, nid, node.op, "automatic", self.ctx.budget,
                       spec.elementwise)
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
            out = inner(fn.body)
            self.effects(fn.effects, dict(zip(fn.params, tensors)))
            return out
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
            out = body(*xs)
        else:
            out = _observe(self.ctx.recorder, body, xs, node, fn.name, "automatic",
                           self.ctx.budget)
        self.effects(fn.effects, dict(zip(fn.params, xs)))
        return out

    def effects(self, effects, env) -> None:
        """A Python-form function's prints and asserts, with its arguments (and the
        upstream, in a rule), while the script runs."""
        out = self.ctx.output
        if not effects or out is None or not out.active:
            return
        scope = script.Scope({}, evaluate=lambda e: self.plain(e, env), budget=self.ctx.budget)
        for effect in effects:
            script.show(effect, scope, out)

    def custom(self, fn, xs, node):
        """A function in custom mode: forward by its body, backward by the user's rule."""
        run, rec = self, (self.ctx.recorder if node is not None else None)

        @tf.custom_gradient
        def custom(*args):
            out = run.plain(fn.body, dict(zip(fn.params, args)))
            run.effects(fn.effects, dict(zip(fn.params, args)))

            def grad(upstream):
                down = run.rule(fn, args, upstream)
                run.effects(fn.rule_effects, dict(zip(fn.rule_params, tuple(args) + (upstream,))))
                if rec is not None and rec.listening:
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


def _observe(rec, fn, xs, node, name, mode, budget, elementwise=False):
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
                again.shape.rank else _jacobian(side, again, copies, budget)
            rec.event(node, name, mode, args, again, upstream, local, down)
            return [upstream] + [None] * len(args)
        return tf.identity(y), grad
    return observed(out, *xs)


def _basis(shape, dtype):
    """One-hot tensors of ``shape``, one per element, in row-major order."""
    n = int(np.prod(shape, dtype=np.int64)) if shape else 1
    eye = np.eye(n).reshape((n,) + tuple(shape))
    return [tf.constant(e, dtype) for e in eye]


def _jacobian(side, out, xs, budget) -> list:
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
    rows = []
    for e in _basis(out.shape, out.dtype):
        budget.tick(16)         # a gradient per row: it costs like a dozen ops
        rows.append(side.gradient(out, wanted, output_gradients=e))
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
    # a rule returns its parameter's shape when right: if no parameter's Jacobian could fit,
    # the rows are not worth running (a wrongly shaped one is then None too)
    if all(n_out * a.shape.num_elements() > JACOBIAN_LIMIT for a in args):
        return [None] * len(fn.params)
    rows = []
    for e in _basis(upstream.shape, upstream.dtype):
        run.ctx.budget.tick(16)
        rows.append(run.rule(fn, args, e))
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


class _Tensors(dict):
    """The run's tensors by name, read from ``env``'s ``(tensor, node)`` pairs."""

    def __init__(self, env):
        super().__init__()
        self.env = env

    def __getitem__(self, name):
        return self.env[name][0]

    def __contains__(self, name):
        return name in self.env


def _python_numbers(ctx: _Context, settings: Settings):
    """How a Python-form script computes its plain Python numbers (``eps = 1e-6``,
    ``f(w1 + eps, w2)`` of them): TensorFlow in float64, a Python float being a double,
    whatever the page's precision; an input's own number is its value in ``settings``."""
    run = _Interpreter(_Context(ctx.prog, ctx.modes, tf.float64, None, ctx.budget,
                                ctx.output), {}, False)

    def python(expr, numbers):
        if numbers is None:
            return tf.constant(settings.inputs[expr], tf.float64)
        return run.plain(expr, numbers)
    return python


def input_sources(prog: Program, settings: Settings) -> dict:
    """A ``tf.Variable`` or ``tf.constant`` per input, as the program declares it."""
    dt = _DTYPES[settings.dtype]
    return {name: tf.Variable(settings.inputs[name], dtype=dt, name=name)
            if inp.kind == "variable" else tf.constant(settings.inputs[name], dt)
            for name, inp in prog.inputs.items()}


def forward(prog: Program, settings: Settings, recorder=None, *, sources=None,
            persistent: bool = False, budget: Budget | None = None,
            script_run: script.ScriptRun | None = None) -> Forward:
    """Run ``prog`` with ``settings`` under a new ``tf.GradientTape``.

    The tape watches every ``tf.Variable`` among the sources and the constants in
    ``settings.watch``. ``sources`` replaces the inputs (``{name: Variable | Tensor}``;
    training passes its variables, a sweep its vectors); ``recorder`` (a
    :class:`GraphRecorder`) records the graph and the backward events. ``script_run`` (a
    :class:`~graphviz_core.script.ScriptRun`) runs a Python-form program's script in the
    same run: its tapes, gradient calls and prints, into ``script_run.output``.

    >>> from graphviz_core import parse, resolve
    >>> p = parse("x = 3.0\\ny = x * x")
    >>> f = forward(p, resolve(p))
    >>> float(f.values["y"]), float(f.gradients()["x"])
    (9.0, 6.0)
    """
    dt = _DTYPES[settings.dtype]
    if sources is None:
        sources = input_sources(prog, settings)
    ctx = _Context(prog, settings.modes, dt, recorder, budget,
                   script_run.output if script_run is not None else None)
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

        def assign(name):
            tensor, node = top(prog.expressions[name])
            if recorder is not None:
                recorder.name(node, name, prog.lines[name])
            env[name] = (tensor, node)
        if script_run is not None and prog.script:
            variables = {n for n, s in sources.items() if isinstance(s, tf.Variable)}
            if recorder is not None:
                recorder.listening = False
            try:
                script.run_steps(prog.script, assign, _Tensors(env), sources, variables,
                                 script_run, ctx.budget,
                                 lambda e: top.plain(e, {n: v[0] for n, v in env.items()}),
                                 _python_numbers(ctx, settings))
            finally:
                script_run.output.active = False
                if recorder is not None:
                    recorder.listening = True
        else:
            for name in prog.assignments:
                assign(name)
    values = {n: v[0] for n, v in env.items()}
    nodes = {n: v[1] for n, v in env.items()}
    return Forward(prog, settings, values, sources, tape, nodes)


