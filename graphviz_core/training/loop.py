"""Train a program's inputs with a Keras optimizer: Program -> iterator of :class:`StepRecord`.

Seed 003 trains ``x`` so that ``sign(x) = 1`` and prints, every 10 steps, the loss and the
gradient *before* the update and ``x`` *after* it. :func:`train` yields exactly those columns
for every step of any program (the sign-training lab, ``pages/5_Sign_training_lab.py``,
runs it), computed by real TensorFlow:

* the forward pass is the tracer's own :func:`~graphviz_core.tracer.forward` (user functions
  in custom mode go through ``tf.custom_gradient`` with the user's rule): one interpreter;
* the gradient is ``tf.GradientTape.gradient`` of the target (the sum, for several targets);
* the update is a Keras optimizer's ``apply_gradients`` (Keras 3 ships with TensorFlow 2.21).

Speed: the step runs inside one ``tf.function`` holding a ``tf.while_loop``, so one call of
the compiled function trains a whole *chunk* of steps and returns them as one tensor. Chunks
are short at first and grow (aiming at about a quarter of a second each) so that a page can
draw while training runs (:func:`train_chunks`). The chunk length is a tensor argument, so
the compiled function is traced once per :class:`Trainer`: a :func:`train` call builds one
and pays for that trace (a tenth of a second or more, more than 100 steps take); a caller
that trains the same configuration again keeps a :class:`Trainer` and calls
:meth:`Trainer.run`, which resets the variables and the optimizer and traces nothing. The
Trainer is the caller's handle: nothing is kept at module level or shared between callers.

Eager fallback: a program whose forward pass branches in Python on a value
(``a if x > 0 else b``, :attr:`Program.has_conditionals`) decides the branch with ``bool()`` of
a tensor, which ``tf.function`` cannot trace; such programs train eagerly, one step per Python
iteration (same records, slower).

Parameters are inputs of the program. A parameter that the program declares as a constant
(``x = 2.0``) is made a ``tf.Variable`` for training; other inputs keep their kind and value.
A ``None`` gradient (the target does not depend on that parameter, or a rule returned
``None``) skips that parameter's update, as Keras would if it were not given the variable;
its record gradient is ``None``.
"""
from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np
import tensorflow as tf

from ..language import LIMITS, Program, parse
from ..interpreter import Budget
from ..tracer import _DTYPES, forward, resolve
from .records import StepRecord, record_value

__all__ = ["Trainer", "train", "train_chunks", "run_training", "OPTIMIZERS"]

# Keras optimizer classes by the names the page offers (all take ``learning_rate``).
OPTIMIZERS = MappingProxyType({
    "adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop", "adagrad": "Adagrad",
    "adamax": "Adamax", "nadam": "Nadam",
})

_FIRST_CHUNK = 10        # steps in the first compiled call: the first curve appears at once
_MAX_CHUNK = 500
_CHUNK_SECONDS = 0.25    # later chunks aim at this much training time

# ---------------------------------------------------------------------------- training

def train(prog: Program, params, target, inputs=None, modes=None, optimizer: str = "adam",
          learning_rate: float = 0.1, steps: int = 100, dtype: str = "float32", *,
          compiled: bool | None = None, chunk: int | None = None):
    """Train ``params`` to minimise ``target``; yield one :class:`StepRecord` a step.

    ``compiled=None`` compiles unless the program branches in Python on a value (then it
    runs eagerly); ``compiled=False`` forces the eager loop. ``chunk`` fixes the number of
    steps per compiled call (default: growing chunks). Arguments are checked before this
    returns; a bad one raises ``ValueError`` (``ProgramError`` for program text).

    Each call builds a new :class:`Trainer` and runs it once, so it pays for the variables,
    the optimizer and tracing the compiled step (a tenth of a second or more). To train the
    same configuration again, keep a :class:`Trainer` and call :meth:`Trainer.run`.

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> recs = list(gc.train(prog, ["x"], "loss", steps=100))
    >>> recs[0].loss, round(recs[0].gradients["x"], 7), round(recs[0].params["x"], 4)
    (2.0, -0.3932239, -0.9)
    >>> recs[-1].loss, round(recs[-1].params["x"], 2)
    (0.0, 0.99)
    """
    chunks = train_chunks(prog, params, target, inputs, modes, optimizer, learning_rate,
                          steps, dtype, compiled=compiled, chunk=chunk)
    return (record for records in chunks for record in records)


def train_chunks(prog: Program, params, target, inputs=None, modes=None,
                 optimizer: str = "adam", learning_rate: float = 0.1, steps: int = 100,
                 dtype: str = "float32", *, compiled: bool | None = None,
                 chunk: int | None = None):
    """Like :func:`train`, but yield a list of records per compiled call (for live pages).

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> [len(c) for c in train_chunks(prog, "x", "loss", steps=25, chunk=10)]
    [10, 10, 5]
    """
    spec = _spec(prog, params, target, modes, optimizer, learning_rate, dtype, compiled)
    run = _run_args(spec, inputs, steps, None, chunk)     # every argument before TensorFlow
    return Trainer._from_spec(spec)._start(run)


class Trainer:
    """A training configuration, built once and run many times without tracing again.

    ``Trainer(prog, params, target, modes, optimizer, learning_rate, dtype)`` takes the
    arguments of :func:`train` that fix the compiled step, checks them (``ValueError``, or
    ``ProgramError`` for program text) and creates the variables, the Keras optimizer and the
    ``tf.function``. :meth:`run` and :meth:`run_chunks` take the rest (start ``inputs``,
    ``steps``; ``learning_rate`` and ``chunk`` as keywords) and yield what :func:`train` and
    :func:`train_chunks` would, record for record: every run first puts the inputs back to
    their start values and the optimizer back to its state when new (iterations 0, moments
    at their initial values, the learning rate of the run). The compiled step is traced by
    the first run only; start values and the learning rate live in variables, so changing
    them does not trace again.

    A Trainer is an explicit handle, not a cache: the caller keeps it (a page keeps one per
    configuration in its session) and nothing is shared between Trainers, so separate
    Trainers run in separate threads at once. One Trainer trains one run at a time: a new
    run resets the variables, and the iterator of an earlier, unfinished run then raises
    ``RuntimeError`` rather than yield steps that mix two runs.

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> trainer = gc.Trainer(prog, ["x"], "loss", optimizer="adam", learning_rate=0.1)
    >>> first = list(trainer.run(steps=100))
    >>> again = list(trainer.run(steps=100))          # the compiled step is reused
    >>> again == first == list(gc.train(prog, ["x"], "loss", steps=100)), trainer.traces
    (True, 1)
    >>> r = next(iter(trainer.run({"x": 2.5}, steps=1, learning_rate=0.5)))
    >>> r.values["x"], r.loss, trainer.traces
    (2.5, 0.0, 1)
    """

    def __init__(self, prog: Program, params, target, modes=None, optimizer: str = "adam",
                 learning_rate: float = 0.1, dtype: str = "float32", *,
                 compiled: bool | None = None):
        self._setup(_spec(prog, params, target, modes, optimizer, learning_rate, dtype,
                          compiled))

    @classmethod
    def _from_spec(cls, spec: _Spec) -> Trainer:
        self = cls.__new__(cls)
        self._setup(spec)
        return self

    def _setup(self, spec: _Spec):
        self._spec = spec
        dt = _DTYPES[spec.dtype]
        prog = spec.prog
        # Every input is a variable, so that each run can assign its start value (a constant
        # baked into the graph would need a new trace). Only the parameters are trainable and
        # watched; the others are read like constants.
        self._sources = {name: tf.Variable(inp.default, dtype=dt, name=name,
                                           trainable=name in spec.params)
                         for name, inp in prog.inputs.items()}
        self._variables = [self._sources[p] for p in spec.params]
        cls = getattr(tf.keras.optimizers, OPTIMIZERS[spec.optimizer])
        self._optimizer = cls(learning_rate=spec.learning_rate)
        # Built up front, so that a step whose gradient is None for some parameter can
        # update only the others, and so that its state when new can be noted: zeros for
        # most, but Adagrad's accumulators start at 0.1 and Nadam's momentum product at 1.
        self._optimizer.build(self._variables)
        self._fresh = [(v, v.numpy()) for v in self._optimizer.variables]
        self._settings = resolve(prog, None, spec.modes, spec.targets, (), spec.dtype)
        self._names = list(prog.inputs) + list(prog.assignments)
        self._none_mask: tuple | None = None     # compiled path: which gradients are None
        self._shapes: list = []                  # compiled path: the shape of each part of a row
        self._fn = self._compile() if spec.compiled else None
        self._lock = threading.Lock()
        self._generation = 0
        self._budget = Budget(ops=2_000_000, seconds=60)     # replaced at every run

    # -- what it was built for ---------------------------------------------------
    prog = property(lambda self: self._spec.prog)
    params = property(lambda self: self._spec.params)
    targets = property(lambda self: self._spec.targets)
    modes = property(lambda self: dict(self._spec.modes))
    optimizer = property(lambda self: self._spec.optimizer)
    learning_rate = property(lambda self: self._spec.learning_rate)
    dtype = property(lambda self: self._spec.dtype)
    compiled = property(lambda self: self._spec.compiled)

    @property
    def traces(self) -> int:
        """How often the compiled step was traced: 0 before the first run, then 1."""
        return self._fn.experimental_get_tracing_count() if self._fn is not None else 0

    def __repr__(self):
        s = self._spec
        return (f"Trainer(params={list(s.params)}, targets={list(s.targets)}, "
                f"optimizer={s.optimizer!r}, learning_rate={s.learning_rate:g}, "
                f"dtype={s.dtype!r}, compiled={s.compiled})")

    # -- runs ------------------------------------------------------------------------
    def run(self, inputs=None, steps: int = 100, *, learning_rate: float | None = None,
            chunk: int | None = None, budget: Budget | None = None):
        """Train from the start values: an iterator of :class:`StepRecord`, as :func:`train`.

        ``inputs`` overrides the program's start values ({name: float}); ``learning_rate``
        overrides the Trainer's for this run. Arguments are checked, and the variables and
        the optimizer reset, before this returns.
        """
        chunks = self.run_chunks(inputs, steps, learning_rate=learning_rate, chunk=chunk,
                                 budget=budget)
        return (record for records in chunks for record in records)

    def run_chunks(self, inputs=None, steps: int = 100, *,
                   learning_rate: float | None = None, chunk: int | None = None,
                   budget: Budget | None = None):
        """Like :meth:`run`, but a list of records per compiled call, as :func:`train_chunks`.
        ``budget``: what the whole run may spend (default 2,000,000 ops, 60 s)."""
        return self._start(_run_args(self._spec, inputs, steps, learning_rate, chunk), budget)

    def _start(self, run: _RunArgs, budget: Budget | None = None):
        # one budget for the whole run: an eager run (a program that branches on a value) is
        # stopped with a ProgramError instead of holding a core; compiled steps do not tick
        self._budget = budget if budget is not None else Budget(ops=2_000_000, seconds=60)
        with self._lock:
            self._generation += 1
            self._reset(run)
            return self._chunks(self._generation, run)

    def _reset(self, run: _RunArgs):
        """Start values into the inputs; the optimizer as it was when new."""
        for name, value in run.inputs.items():
            self._sources[name].assign(value)
        for variable, value in self._fresh:
            variable.assign(value)
        self._optimizer.learning_rate = run.learning_rate

    def _chunks(self, generation: int, run: _RunArgs):
        done = 0
        size = run.chunk or _FIRST_CHUNK
        while done < run.steps:
            n = min(size, run.steps - done)
            with self._lock:
                if generation != self._generation:
                    raise RuntimeError("a later run of this Trainer reset its variables; a "
                                       "Trainer trains one run at a time (use one Trainer "
                                       "per caller)")
                traces = self.traces
                t0 = time.perf_counter()
                if self._fn is not None:
                    records = self._records(done, self._fn(tf.constant(n, tf.int32)).numpy())
                else:
                    records = [self._eager_step(done + i) for i in range(n)]
                seconds = time.perf_counter() - t0
                traced = self.traces != traces
            done += n
            yield records
            if run.chunk is None:
                # A call that traced says nothing about a step's time.
                per_step = 0.0 if traced else seconds / n
                fit = int(_CHUNK_SECONDS / per_step) if per_step > 0 else _MAX_CHUNK
                size = max(1, min(_MAX_CHUNK, 2 * size, fit))

    # -- one step ---------------------------------------------------------------------
    def _step(self):
        """One step: (loss, gradients, values before, params after); gradients may hold None."""
        prog = self._spec.prog
        run = forward(prog, self._settings, sources=self._sources, budget=self._budget)
        env, outs = run.values, run.outputs
        grads = run.tape.gradient(outs if len(outs) > 1 else outs[0], self._variables)
        # the loss is what is differentiated: the sum of every target's elements
        loss = tf.add_n([tf.reduce_sum(o) for o in outs]) if len(outs) > 1 or \
            outs[0].shape.rank else outs[0]
        # the values as the step saw them, read now: a Variable in ``env`` is read wherever
        # it is used, and in the compiled step a read placed after the update gave the
        # updated value in some runs (a parameter's "value before" was already stepped)
        before = [tf.identity(env[n]) for n in self._names]
        pairs = [(g, v) for g, v in zip(grads, self._variables) if g is not None]
        if pairs:
            with tf.control_dependencies(before):
                self._optimizer.apply_gradients(pairs)
        after = [v.read_value() for v in self._variables]
        return loss, grads, before, after

    # -- compiled: one tf.function call trains n steps -------------------------
    def _compile(self):
        dt = _DTYPES[self._spec.dtype]

        def row():
            loss, grads, values, after = self._step()
            self._none_mask = tuple(g is None for g in grads)
            grads = [tf.zeros_like(v) if g is None else tf.cast(g, dt)
                     for g, v in zip(grads, self._variables)]
            parts = [tf.cast(loss, dt)] + grads + after + values
            self._shapes = [tuple(p.shape) for p in parts]
            # one flat row a step: tensors of any shape go through one TensorArray
            return tf.concat([tf.reshape(p, [-1]) for p in parts], 0)

        def chunk(n):
            def body(i, rows):
                return i + 1, rows.write(i, row())
            rows = tf.TensorArray(dt, size=n)
            _, rows = tf.while_loop(lambda i, _: i < n, body, (tf.constant(0), rows))
            return rows.stack()

        # One signature, so one trace for every chunk length and every run. Autograph is not
        # needed (the loop is an explicit tf.while_loop) and costs tracing time.
        return tf.function(chunk, autograph=False,
                           input_signature=[tf.TensorSpec([], tf.int32)])

    def _records(self, start: int, table) -> list:
        p = len(self._spec.params)
        sizes = [int(np.prod(shape)) for shape in self._shapes]
        ends = np.cumsum(sizes)[:-1]
        out = []
        for i, flat in enumerate(table):
            r = [part.reshape(shape) for part, shape in zip(np.split(flat, ends), self._shapes)]
            grads = [None if none else g for g, none in zip(r[1:1 + p], self._none_mask)]
            out.append(self._record(start + i, r[0], grads, r[1 + p:1 + 2 * p], r[1 + 2 * p:]))
        return out

    def _record(self, step, loss, grads, after, values) -> StepRecord:
        params = self._spec.params
        return StepRecord(step=step, loss=float(loss),
                          gradients={n: record_value(g) for n, g in zip(params, grads)},
                          params={n: record_value(v) for n, v in zip(params, after)},
                          values={n: record_value(v) for n, v in zip(self._names, values)})

    # -- eager: one Python iteration a step -------------------------------------
    def _eager_step(self, step: int) -> StepRecord:
        loss, grads, values, after = self._step()
        return self._record(step, loss.numpy(), [None if g is None else g.numpy()
                                                  for g in grads],
                            [a.numpy() for a in after], [v.numpy() for v in values])


@dataclass(frozen=True)
class _Spec:
    """What fixes a Trainer's compiled step (checked)."""
    prog: Program
    params: tuple
    targets: tuple
    modes: dict
    optimizer: str
    learning_rate: float
    dtype: str
    compiled: bool


@dataclass(frozen=True)
class _RunArgs:
    """What one run may change without tracing again (checked)."""
    inputs: dict          # start value of every input
    steps: int
    learning_rate: float
    chunk: int | None


def _spec(prog, params, target, modes, optimizer, learning_rate, dtype, compiled) -> _Spec:
    """Check the configuration before any TensorFlow work; raise ValueError with a clear text."""
    if isinstance(prog, str):
        prog = parse(prog)
    if not isinstance(prog, Program):
        raise ValueError("prog must be a Program (from gc.parse) or program text")
    s = resolve(prog, None, modes, target, None, dtype)
    if isinstance(params, str):
        params = (params,)
    params = tuple(params or ())
    if not params:
        raise ValueError("choose at least one parameter to train (an input of the program)")
    for p in params:
        if p not in prog.inputs:
            raise ValueError(f"'{p}' is not an input of the program; parameters are inputs "
                             "such as 'x = Variable(-1.0)'")
    if len(set(params)) != len(params):
        raise ValueError("a parameter is named twice")
    key = str(optimizer).lower()
    if key not in OPTIMIZERS:
        raise ValueError(f"unknown optimizer {optimizer!r}; choose one of "
                         f"{', '.join(OPTIMIZERS)}")
    lr = _learning_rate(learning_rate)
    if compiled is None:
        compiled = not prog.has_conditionals
    elif compiled and prog.has_conditionals:
        raise ValueError("this program branches in Python on a value ('a if x > 0 else b'), "
                         "which tf.function cannot trace; train it eagerly (compiled=False)")
    return _Spec(prog, params, s.targets, s.modes, key, lr, s.dtype, bool(compiled))


def _run_args(spec: _Spec, inputs, steps, learning_rate, chunk) -> _RunArgs:
    """Check one run's arguments; raise ValueError with a clear text."""
    values = resolve(spec.prog, inputs, spec.modes, spec.targets, None, spec.dtype).inputs
    lr = spec.learning_rate if learning_rate is None else _learning_rate(learning_rate)
    if isinstance(steps, bool) or not isinstance(steps, int) and not (
            isinstance(steps, float) and steps.is_integer()):
        raise ValueError(f"steps must be a whole number, not {steps!r}")
    steps = int(steps)
    if steps < 1:
        raise ValueError(f"steps must be at least 1; got {steps}")
    if steps > LIMITS["steps"]:
        raise ValueError(f"at most {LIMITS['steps']:,} training steps are allowed; "
                         f"got {steps:,}")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int)
                              or chunk < 1):
        raise ValueError(f"chunk must be a positive whole number, not {chunk!r}")
    return _RunArgs(values, steps, lr, chunk)


def _learning_rate(value) -> float:
    try:
        lr = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"the learning rate must be a number, not {value!r}") from None
    if not (math.isfinite(lr) and 0 < lr <= LIMITS["literal"]):
        raise ValueError(f"the learning rate must be a positive number of size at most "
                         f"{LIMITS['literal']:g}; got {value!r}")
    return lr



# ---------------------------------------------------------------------------- a pasted loop

def run_training(prog: Program, settings, output, budget: Budget | None = None) -> None:
    """Run a pasted cell's training loop (``prog.training``, seed 003's ``for i in
    range(100): loss, y, grads = train_step()``) with the real Keras optimizer on real
    ``tf.Variable`` s, eagerly (each step ticks ``budget``), from the start values the graph
    was drawn at, and ``tf.print`` its rows into ``output`` (a :class:`script.Output`) as
    the notebook's loop prints them: values and gradients of the step, Variables after its
    update.
    """
    from ..script import tf_text
    spec = prog.training
    trainer = Trainer(prog, spec.params, spec.target, modes=dict(settings.modes),
                      optimizer=spec.optimizer, learning_rate=spec.learning_rate,
                      dtype=settings.dtype, compiled=False)
    start = {p: settings.inputs[p] for p in spec.params}
    np_dtype = np.float32 if settings.dtype == "float32" else np.float64

    def shown(arg, rec):
        kind = arg[0]
        if kind == "step":
            return rec.step
        if kind == "text":
            return arg[1]
        v = {"value": rec.values, "grad": rec.gradients, "param": rec.params}[kind][arg[1]]
        return None if v is None else tf.constant(np.asarray(v, dtype=np_dtype))

    for rec in trainer.run(start, steps=spec.steps, budget=budget):
        if spec.every is not None and rec.step % spec.every != spec.remainder:
            continue
        for p in spec.prints:
            output.write(tf_text([shown(a, rec) for a in p.args], p.sep, p.end))
        if output.full or not output.active:
            return
