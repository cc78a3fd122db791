"""Compiled traces: one ``tf.function`` per program structure, reused across input values.

:class:`TraceCache` hands out a :class:`CompiledTracer` from the second trace of a structure
on; the tracer records the graph's structure once, while the function is traced, and each
call fills a copy of it with the values and events TensorFlow computed. The numbers are
eager TensorFlow's bit for bit (tests/test_compiled.py); figures in bench/README.md.
"""
from __future__ import annotations

import collections
import threading

import numpy as np
import tensorflow as tf

from .layout import LayoutCache
from .interpreter import (_DTYPES, BackwardEvent, Budget, GraphRecorder, Settings, as_value,
                          forward)
from .language import Program
from .tracer import Trace, _finish

__all__ = ["TraceCache", "CompiledTracer", "structure_key"]

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
        self._concrete = None
        self._failed = False

    def _build(self, *values):
        prog, s = self.prog, self.settings
        rec = _SymbolicRecorder(prog, s.expand)
        # tracing a big program's function takes seconds; its runs are then fast
        run = forward(prog, s, rec, sources=dict(zip(prog.inputs, values)),
                      budget=Budget(seconds=120))
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

    def trace(self, prog: Program, s: Settings) -> Trace | None:
        """The trace of ``prog`` (of this structure) at ``s``'s input values; None if
        TensorFlow refused (trace eagerly then, for the message). The trace carries the
        caller's own program and settings, never the ones this tracer was compiled from."""
        if self._failed:
            return None
        dt = _DTYPES[s.dtype]
        try:
            args = [tf.constant(s.inputs[n], dt) for n in self.prog.inputs]
            if self._concrete is None:
                out = self._fn(*args)
                # the one graph of this input signature, called without tf.function's
                # dispatch (matching the arguments to a trace): 0.36 -> 0.28 ms a call
                self._concrete = self._fn.get_concrete_function()
            else:
                out = self._concrete(*args)
        except (tf.errors.OpError, ValueError, TypeError):
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
        return _finish(prog, s, graph, evs, nodes, {n: get(i) for n, i in gradients.items()})


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

    Grappler's graph rewrites (fused kernels, reordered sums) are switched off for the whole
    process when a tracer is first compiled (a process setting: training's tf.function runs
    without them too; its records stayed bit for bit the same, only its speed can change), so
    a compiled trace is TensorFlow's eager numbers bit for bit (tests/test_compiled.py). A
    compiled run is not stopped by a budget: its structure ran within one eagerly first, and
    it runs faster compiled.
    """

    def __init__(self, max_entries: int = 64):
        self.layouts = LayoutCache()      # the figures' dot drawings, by graph structure
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


