"""Run a :class:`Program` in real TensorFlow and record what its backward pass did.

Every recorded node (a user-function call, or a built-in op outside function bodies) is run
through ``tf.custom_gradient``. Its gradient function is TensorFlow's own:

* a user function in ``custom`` mode: the user's rule, evaluated with TensorFlow ops;
* anything in ``automatic`` mode: ``GradientTape.gradient`` of the node's own forward ops,
  recorded on a tape private to the node.

So the numbers are TensorFlow's; the wrapper only notes, when TensorFlow calls it, the
upstream it received, the local derivative (the same rule with upstream = 1) and the
downstream it returned. Events are appended in the order TensorFlow runs the gradient
functions. All state lives in one :class:`_Run` per call: traces in several threads at once
do not share anything.
"""
from __future__ import annotations

import gc
from dataclasses import dataclass, field

import networkx as nx
import tensorflow as tf

from . import graph as g
from .language import (Call, Compare, Cond, LIMITS, Logic, NoGrad, Num, Op, Program,
                       ProgramError, Ref)

# TensorFlow's import leaves ~350,000 objects that live as long as the process. Streamlit runs
# a full garbage collection after every script run (and keras.backend.clear_session, which it
# also calls, another): moved to the permanent generation they are no longer walked each time
# (measured: ~240 ms -> ~15 ms a collection). Only the collector's bookkeeping changes.
gc.freeze()

__all__ = ["trace", "hessian", "BackwardEvent", "Trace", "resolve", "Settings", "TF_OPS",
           "OP_LABELS"]

# ---------------------------------------------------------------------------- op registry
# Every built-in is the TensorFlow function of the same meaning; nothing is differentiated by hand.
TF_OPS = {
    "add": tf.add, "sub": tf.subtract, "mul": tf.multiply, "div": tf.math.truediv,
    "pow": tf.pow, "neg": tf.negative,
    "exp": tf.exp, "log": tf.math.log, "log1p": tf.math.log1p, "sqrt": tf.sqrt,
    "square": tf.square, "abs": tf.abs, "sign": tf.sign, "relu": tf.nn.relu,
    "sigmoid": tf.math.sigmoid, "tanh": tf.tanh, "softplus": tf.math.softplus,
    "sin": tf.sin, "cos": tf.cos, "maximum": tf.maximum, "minimum": tf.minimum,
    "stop_gradient": tf.stop_gradient, "l2_loss": tf.nn.l2_loss,
}
OP_LABELS = {"add": "+", "sub": "−", "mul": "×", "div": "÷", "pow": "**", "neg": "neg"}
_CMP = {">": tf.greater, ">=": tf.greater_equal, "<": tf.less, "<=": tf.less_equal,
        "==": tf.equal, "!=": tf.not_equal}
_DTYPES = {"float32": tf.float32, "float64": tf.float64}


@dataclass(frozen=True)
class BackwardEvent:
    """One call of a gradient function, as TensorFlow made it."""
    node: str
    name: str
    mode: str
    inputs: tuple
    output: float
    upstream: float
    local: tuple
    downstream: tuple


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


@dataclass(frozen=True)
class Settings:
    """Arguments of :func:`trace` after checking and defaults (see :func:`resolve`)."""
    inputs: dict
    modes: dict
    targets: tuple
    watch: tuple
    dtype: str


def resolve(prog: Program, inputs=None, modes=None, targets=None, watch=None,
            dtype="float32") -> Settings:
    """Check the arguments of :func:`trace` against the program and fill in defaults."""
    if dtype not in _DTYPES:
        raise ValueError(f"dtype must be 'float32' or 'float64', not {dtype!r}")
    values = {n: i.default for n, i in prog.inputs.items()}
    for name, v in (inputs or {}).items():
        if name not in prog.inputs:
            raise ValueError(f"'{name}' is not an input of the program")
        v = float(v)
        if v != v or abs(v) > LIMITS["literal"]:
            raise ValueError(f"input '{name}' must be a number of size at most "
                             f"{LIMITS['literal']:g}")
        values[name] = v
    chosen = {}
    for name, fn in prog.functions.items():
        chosen[name] = "custom" if fn.has_custom_gradient else "automatic"
    for name, mode in (modes or {}).items():
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
    targets = tuple(targets)
    if not targets:
        raise ValueError("choose at least one target")
    for t in targets:
        if t not in prog.inputs and t not in prog.expressions:
            raise ValueError(f"target '{t}' is not a name in the program")
    consts = [n for n, i in prog.inputs.items() if i.kind == "constant"]
    if watch is None:
        watch = consts
    for w in watch:
        if w not in prog.inputs:
            raise ValueError(f"'{w}' is not an input of the program")
    return Settings(values, chosen, targets, tuple(w for w in consts if w in set(watch)),
                    dtype)


# ---------------------------------------------------------------------------- evaluation

def _f(t) -> float | None:
    return None if t is None else float(t.numpy())


class _Run:
    """One forward pass of a program: tensors, the graph it builds, the events it records.

    ``record=False`` runs plain TensorFlow (used by :func:`hessian` and training): functions
    in custom mode still go through ``tf.custom_gradient``, everything else is untouched.
    """

    def __init__(self, prog: Program, modes: dict, dtype, record: bool, expand=False):
        self.prog, self.modes, self.dtype = prog, modes, dtype
        self.record, self.expand = record, expand
        self.graph = g.new_graph()
        self.events: list[BackwardEvent] = []
        self._calls = 0
        self._group_fn: dict[str, str] = {}     # expanded call id -> function name

    # -- top level: every op and call is a node --------------------------------
    def program(self, tensors: dict) -> dict:
        """Evaluate every assignment; return {name: (tensor, node)}."""
        env = {}
        for name, inp in self.prog.inputs.items():
            node = g.add_node(self.graph, "input", "input", name, names=(name,), expr=name,
                              line=inp.line, input_kind=inp.kind, value=_f(tensors[name]))
            env[name] = (tensors[name], node)
        for name in self.prog.assignments:
            tensor, node = self.node(self.prog.expressions[name], env, None)
            attrs = self.graph.nodes[node]
            attrs["names"] = attrs["names"] + (name,)
            if not attrs["line"]:
                attrs["line"] = self.prog.lines[name]
            env[name] = (tensor, node)
        return env

    def node(self, expr, env, group):
        """Evaluate ``expr`` making graph nodes; return (tensor, node id)."""
        if isinstance(expr, Ref):
            return env[expr.name]
        if isinstance(expr, Num):
            t = tf.constant(expr.value, self.dtype)
            return t, g.add_node(self.graph, "literal", "literal", _num_label(expr.value),
                                 expr=expr.text, group=group, value=expr.value)
        if isinstance(expr, Cond):
            branch = expr.then if self.test(expr.test, {k: v[0] for k, v in env.items()}) \
                else expr.other
            return self.node(branch, env, group)
        if isinstance(expr, Op):
            cond = None
            args = expr.args
            if expr.op == "where":
                cond = self.test(args[0], {k: v[0] for k, v in env.items()}, tensor=True)
                args = args[1:]
            ins = [self.node(a, env, group) for a in args]
            fn = _op_fn(expr.op, cond)
            node = g.add_node(self.graph, "op", expr.op, OP_LABELS.get(expr.op, expr.op),
                              inputs=[n for _, n in ins], expr=expr.text, line=expr.line,
                              group=group, mode="automatic", function=self._group_fn.get(group))
            out = self.apply(fn, [t for t, _ in ins], node, expr.op, "automatic")
            self.graph.nodes[node]["value"] = _f(out)
            return out, node
        if isinstance(expr, Call):
            fn = self.prog.functions[expr.func]
            mode = self.modes[expr.func]
            ins = [self.node(a, env, group) for a in expr.args]
            if self.expand and mode == "automatic":
                self._calls += 1
                gid = f"{expr.func}#{self._calls}"
                self._group_fn[gid] = expr.func
                local = dict(zip(fn.params, ins))
                return self.node(fn.body, local, gid)
            node = g.add_node(self.graph, "call", expr.func, expr.func,
                              inputs=[n for _, n in ins], expr=expr.text, line=expr.line,
                              function=expr.func, group=group, mode=mode,
                              rule=fn.rule_text if mode == "custom" else None)
            out = self.call(fn, mode, [t for t, _ in ins], node)
            self.graph.nodes[node]["value"] = _f(out)
            return out, node
        raise TypeError(f"unexpected expression {expr!r}")  # the parser allows nothing else

    # -- plain evaluation: function bodies, rules, conditions -------------------
    def plain(self, expr, env):
        if isinstance(expr, Ref):
            return env[expr.name]
        if isinstance(expr, Num):
            return tf.constant(expr.value, self.dtype)
        if isinstance(expr, Cond):
            return self.plain(expr.then if self.test(expr.test, env) else expr.other, env)
        if isinstance(expr, Op):
            if expr.op == "where":
                cond = self.test(expr.args[0], env, tensor=True)
                return tf.where(cond, self.plain(expr.args[1], env), self.plain(expr.args[2], env))
            return TF_OPS[expr.op](*[self.plain(a, env) for a in expr.args])
        if isinstance(expr, Call):
            fn = self.prog.functions[expr.func]
            return self.call(fn, self.modes[expr.func], [self.plain(a, env) for a in expr.args],
                             None)
        raise TypeError(f"unexpected expression {expr!r}")

    def test(self, expr, env, tensor=False):
        """A condition on forward values: a Python bool, or a bool tensor for where()."""
        if isinstance(expr, Compare):
            out = _CMP[expr.op](self.plain(expr.left, env), self.plain(expr.right, env))
        else:
            parts = [self.test(a, env, tensor=True) for a in expr.args]
            if expr.op == "not":
                out = tf.logical_not(parts[0])
            else:
                out = parts[0]
                for p in parts[1:]:
                    out = (tf.logical_and if expr.op == "and" else tf.logical_or)(out, p)
        return out if tensor else bool(out)

    # -- function calls and recorded ops -----------------------------------------
    def call(self, fn, mode, xs, node):
        body = lambda *a: self.plain(fn.body, dict(zip(fn.params, a)))  # noqa: E731
        if mode == "custom":
            return self.custom(fn, xs, node)
        if node is None or not self.record:
            return body(*xs)
        return self.apply(body, xs, node, fn.name, "automatic")

    def apply(self, fn, xs, node, name, mode):
        """Run ``fn`` as plain TensorFlow and observe the gradient that reaches its output.

        The output passes through an identity whose gradient function returns the upstream
        unchanged, so TensorFlow's backward pass is exactly what it would be without us
        (same ops, same sums in the same order). When TensorFlow calls that identity's
        gradient, we rerun ``fn`` on a private tape to read off the local derivative and
        the downstream values this node sends to each input, and note the event.
        """
        out = fn(*xs)
        if not self.record:
            return out
        run = self

        @tf.custom_gradient
        def observed(y, *args):
            def grad(upstream):
                with tf.GradientTape(persistent=True) as side:
                    # copies: in x * x each place gets its own gradient, not the total
                    copies = [tf.identity(a) for a in args]
                    side.watch(copies)
                    again = fn(*copies)
                down = side.gradient(again, copies, output_gradients=upstream)
                local = side.gradient(again, copies)
                run.note(node, name, mode, args, again, upstream, local, down)
                return [upstream] + [None] * len(args)
            return tf.identity(y), grad
        return observed(out, *xs)

    def custom(self, fn, xs, node):
        """A function in custom mode: forward by its body, backward by the user's rule."""
        run = self

        @tf.custom_gradient
        def custom(*args):
            env = dict(zip(fn.params, args))
            out = run.plain(fn.body, env)

            def grad(upstream):
                down = run.rule(fn, args, upstream)
                if node is not None and run.record:
                    local = run.rule(fn, args, tf.ones_like(upstream))
                    run.note(node, fn.name, "custom", args, out, upstream, local, down)
                return down if len(down) > 1 else down[0]
            return out, grad
        return custom(*xs)

    def rule(self, fn, args, upstream):
        env = dict(zip(fn.rule_params, tuple(args) + (upstream,)))
        out = []
        for part in fn.rule:
            if isinstance(part, NoGrad):
                out.append(None)
            else:
                out.append(tf.convert_to_tensor(self.plain(part, env), self.dtype))
        return out

    def note(self, node, name, mode, args, out, upstream, local, down):
        self.events.append(BackwardEvent(
            node=node, name=name, mode=mode, inputs=tuple(_f(a) for a in args),
            output=_f(out), upstream=_f(upstream), local=tuple(_f(x) for x in local),
            downstream=tuple(_f(x) for x in down)))


def _op_fn(op, cond):
    if op == "where":
        return lambda a, b: tf.where(cond, a, b)
    return TF_OPS[op]


def _num_label(v: float) -> str:
    return f"{v:g}"


def _make_inputs(prog: Program, s: Settings, dtype) -> dict:
    """A tf.Variable or tf.constant per input: the sources of ``tape.gradient``."""
    return {name: tf.Variable(s.inputs[name], dtype=dtype, name=name)
            if inp.kind == "variable" else tf.constant(s.inputs[name], dtype)
            for name, inp in prog.inputs.items()}


def _read(sources):
    # A Variable is read once, on the tape, so that every op downstream sees a tensor.
    return {n: tf.convert_to_tensor(v) for n, v in sources.items()}


# ---------------------------------------------------------------------------- public API

def trace(prog: Program, inputs=None, modes=None, targets=None, watch=None, dtype="float32",
          expand=False) -> Trace:
    """Run ``prog`` under ``tf.GradientTape`` and record the backward pass.

    >>> from graphviz_core import parse
    >>> t = trace(parse("foo(x) = x**2\\ngrad foo(x, dy) = dy * 2*x\\nx = 2.0\\ny = foo(foo(foo(x)))"))
    >>> t.gradients["x"], [e.upstream for e in t.events]
    (1024.0, [1.0, 32.0, 256.0])
    """
    s = resolve(prog, inputs, modes, targets, watch, dtype)
    dt = _DTYPES[s.dtype]
    run = _Run(prog, s.modes, dt, record=True, expand=expand)
    sources = _make_inputs(prog, s, dt)
    with tf.GradientTape() as tape:
        for name in s.watch:
            tape.watch(sources[name])
        env = run.program(_read(sources))
        outs = [env[t][0] for t in s.targets]
    names = list(prog.inputs)
    grads = tape.gradient(outs, [sources[n] for n in names])
    gradients = {n: _f(d) for n, d in zip(names, grads)}

    graph = run.graph
    values = {name: graph.nodes[node]["value"] for name, (_, node) in env.items()}
    for node, attrs in graph.nodes(data=True):
        if attrs["kind"] == "input":
            name = attrs["names"][0]
            attrs["watched"] = prog.inputs[name].kind == "variable" or name in s.watch
            attrs["gradient"] = gradients[name]
    for i, ev in enumerate(run.events):
        attrs = graph.nodes[ev.node]
        attrs["event"], attrs["gradient"] = i, ev.upstream
    for t in s.targets:
        graph.nodes[env[t][1]]["target"] = True
    return Trace(values, gradients, run.events, graph, s.targets, s.modes, s.dtype, s.inputs,
                 s.watch)



def hessian(prog: Program, inputs=None, modes=None, targets=None, watch=None,
            dtype="float32") -> dict:
    """Second derivatives by nested tapes, as seed 002 does: ``{(a, b): d/db d(targets)/da}``.

    >>> from graphviz_core import parse
    >>> h = hessian(parse("w1 = Variable(5.0)\\nw2 = Variable(3.0)\\nz = 3*w1**2 + 2*w1*w2"))
    >>> h[("w1", "w1")], h[("w1", "w2")], h[("w2", "w1")], h[("w2", "w2")]
    (6.0, 2.0, 2.0, None)
    """
    s = resolve(prog, inputs, modes, targets, watch, dtype)
    dt = _DTYPES[s.dtype]
    run = _Run(prog, s.modes, dt, record=False)
    sources = _make_inputs(prog, s, dt)
    names = list(prog.inputs)
    srcs = [sources[n] for n in names]
    with tf.GradientTape(persistent=True) as outer:
        for name in s.watch:
            outer.watch(sources[name])
        with tf.GradientTape() as inner:
            for name in s.watch:
                inner.watch(sources[name])
            env = run.program(_read(sources))
            outs = [env[t][0] for t in s.targets]
        first = inner.gradient(outs, srcs)
    result = {}
    for a, ga in zip(names, first):
        second = outer.gradient(ga, srcs) if ga is not None else [None] * len(names)
        for b, gab in zip(names, second):
            result[(a, b)] = _f(gab)
    del outer
    return result
