"""What a TensorFlow-Python program prints, computed by the run that draws its graph.

The TensorFlow-Python form (:mod:`graphviz_core.pyform`) keeps, besides the functions,
inputs and values of a :class:`~graphviz_core.language.Program`, the script around them:
its tapes (``with tf.GradientTape(...) as tape``), ``tape.watch``, ``tape.gradient`` /
``tape.jacobian`` calls, ``print`` / ``tf.print`` and ``tf.debugging.assert_rank``. This
module holds those steps as data and runs them inside
:func:`~graphviz_core.interpreter.forward`: the script's tapes are real tapes, its gradient
calls are real ``tape.gradient`` calls (a second one on a non-persistent tape raises
TensorFlow's own RuntimeError, shown as the notebook would show it), and its prints format
the real tensors the way Python and ``tf.print`` do (``f'{x}'`` is ``format(tensor, '')``,
``tf.print`` goes through ``tf.strings.format``, the op ``tf.print`` itself uses).

Nothing here evaluates user text: every step was built by the parser from an allowlist.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from .language import LIMITS, ProgramError
from .ops import OPS, ShapeError, size

__all__ = ["FString", "Format", "Name", "Method", "Gradient", "GradientMap", "Seq",
           "Index", "IfNone", "IsNone", "Expr", "PyNumber", "Apply", "Constant", "Effect", "When",
           "Step", "Output", "ScriptError", "OUTPUT_LIMIT", "Training", "TrainPrint",
           "TRAIN_LOOP_LIMIT"]

TRAIN_LOOP_LIMIT = 1000
"""The most steps a pasted training loop (``for i in range(N)``) may run."""

OUTPUT_LIMIT = {"lines": 500, "chars": 50_000}
"""What one run may print; more is cut with a note (a print inside a rule runs per call)."""


# ---------------------------------------------------------------------------- what is printed

@dataclass(frozen=True)
class Constant:
    """A string, number or None written in a print."""
    value: object


@dataclass(frozen=True)
class Format:
    """One ``{value!conv:spec}`` of an f-string."""
    item: object
    conversion: str = ""      # "", "r", "s", "a"
    spec: str = ""


@dataclass(frozen=True)
class FString:
    parts: tuple              # Constant (str) | Format


@dataclass(frozen=True)
class Name:
    """A top-level name: a value of the program (``where="value"``) or of the script (a
    gradient's result, ``where="script"``)."""
    name: str
    where: str = "value"


@dataclass(frozen=True)
class Expr:
    """An expression of a function body or rule (params, locals inlined, the upstream)."""
    expr: object


@dataclass(frozen=True)
class PyNumber:
    """A value that Python computes as a plain number (``w1, w2 = 5, 3`` then
    ``(f(w1 + eps, w2) - f(w1, w2)) / eps``): ``expr`` over the script's Python numbers,
    computed by TensorFlow in float64 (a Python float is a double) and shown as Python shows
    an ``int`` or a ``float`` (``kind``)."""
    kind: str                 # "int" | "float" | "bool" (a comparison of them)
    expr: object


@dataclass(frozen=True)
class Apply:
    """``tf.reduce_sum(tf.stack([...]), axis=0)`` in a print: a registry op (TensorFlow's
    own function) on displayed values, such as a comprehension's gradients."""
    op: str
    args: tuple
    keywords: tuple = ()      # (name, literal) pairs


@dataclass(frozen=True)
class Method:
    """``item.numpy()`` or ``item.numpy().tolist()``."""
    item: object
    method: str               # "numpy" | "tolist"


@dataclass(frozen=True)
class Gradient:
    """``tape.gradient(target, sources)`` / ``tape.jacobian(...)``; target and sources are
    display items (names or lists of names)."""
    tape: str
    method: str
    target: object
    sources: object
    line: int = 0


@dataclass(frozen=True)
class GradientMap:
    """``[tape.gradient(v, sources) for v in items]``: the one comprehension allowed, as in
    seed 002's Hessian."""
    tape: str
    method: str
    var: str
    items: object
    target: object            # uses Name(var, "loop") for the loop variable
    sources: object
    line: int = 0


@dataclass(frozen=True)
class Seq:
    items: tuple
    kind: str = "list"        # "list" | "tuple"


@dataclass(frozen=True)
class Index:
    item: object
    index: int


@dataclass(frozen=True)
class IfNone:
    """``a if x is None else b`` (``negate``: ``x is not None``)."""
    test: object
    then: object
    other: object
    negate: bool = False


@dataclass(frozen=True)
class IsNone:
    """``x is None`` (``negate``: ``x is not None``) as the test of an ``if``: a Python bool."""
    item: object
    negate: bool = False


@dataclass(frozen=True)
class Effect:
    """A statement that shows something: ``print``, ``tf.print``, a notebook's displayed
    last expression (``display``), or ``tf.debugging.assert_rank`` (``args``: item, rank)."""
    kind: str
    args: tuple
    line: int
    sep: str = " "
    end: str = "\n"


@dataclass(frozen=True)
class When:
    """``if test:`` ... ``else:`` ... around prints: the effects of the branch Python's ``if``
    takes run, the others do not. ``test`` is an :class:`Expr` (a condition on the run's
    values, as the function's own ``if`` decides it) or an :class:`IsNone`; ``then`` and
    ``other`` hold :class:`Effect` and nested :class:`When`."""
    test: object
    then: tuple
    other: tuple
    line: int


@dataclass(frozen=True)
class Step:
    """One step of the script around the program, in source order.

    ``assign`` name (the next value of the program), ``enter`` / ``exit`` a tape
    (``persistent``, ``watch_accessed``), ``watch`` names on a tape, ``effect``, ``let``
    (a script value: name = item), ``del`` a tape, ``python`` name (a Python number the
    cell computes: ``item`` an :class:`Expr` of the Python numbers before it, or None for an
    input's own number).
    """
    kind: str
    name: str = ""
    item: object = None
    names: tuple = ()
    persistent: bool = False
    watch_accessed: bool = True
    line: int = 0


@dataclass(frozen=True)
class TrainPrint:
    """A ``tf.print`` in a training loop. ``args``: ``("step",)`` (the loop's counter),
    ``("value", name)`` (a value of the step, before the update), ``("grad", param)`` (the
    step's gradient for ``param``), ``("param", name)`` (a trained Variable after the update)
    or ``("text", s)``."""
    args: tuple
    line: int
    sep: str = " "
    end: str = "\n"


@dataclass(frozen=True)
class Training:
    """Seed 003's loop: ``for i in range(steps): ... = train_step()`` where ``train_step``
    differentiates ``target`` on a tape and a Keras ``optimizer`` (``"adam"`` / ``"sgd"``)
    applies the gradients to ``params`` (Variables). ``prints`` run after a step whose
    counter ``i % every == remainder`` (``every`` None: every step). Run by
    :func:`graphviz_core.training.loop.run_training` with the real optimizer."""
    optimizer: str
    learning_rate: float
    steps: int
    target: str
    params: tuple
    prints: tuple
    every: int | None
    remainder: int
    line: int


class ScriptError(ProgramError):
    """TensorFlow stopped the script (``assert_rank``): its words; ``output`` is what was
    printed up to there (set by the tracer)."""
    output: list = []


# ---------------------------------------------------------------------------- the printout

class Output:
    """What one run printed, line by line; ``active`` only while the script runs (the app's
    own backward pass, which reruns the rules, prints nothing)."""

    def __init__(self):
        self.text: list[str] = []
        self.active = True
        self.error: str | None = None
        self._chars = 0
        self._newlines = 0
        self.full = False

    @property
    def lines(self) -> list[str]:
        out = "".join(self.text)
        return out[:-1].split("\n") if out.endswith("\n") else out.split("\n") if out else []

    def write(self, text: str) -> None:
        if not self.active or self.full:
            return
        room = OUTPUT_LIMIT["chars"] - self._chars
        if len(text) > room or self._newlines >= OUTPUT_LIMIT["lines"]:
            self.text.append(text[:max(0, room)] + "\n… (output cut: the program printed "
                             "more than the page shows)\n")
            self.full = True
            return
        self.text.append(text)
        self._chars += len(text)
        self._newlines += text.count("\n")

    def fail(self, e: Exception) -> None:
        """TensorFlow raised: shown as a notebook shows it, and the script stops there."""
        self.write(f"{type(e).__name__}: {_words(e)}\n")
        self.error = f"{type(e).__name__}: {_words(e)}"
        self.active = False


def _words(e) -> str:
    from .tracer import tf_words
    return tf_words(e)


# ---------------------------------------------------------------------------- evaluation

class Scope:
    """What a display item can read: the run's values, the script's values, a function's
    environment (for :class:`Expr`, evaluated by ``evaluate``) and the script's tapes."""

    def __init__(self, values, script=None, evaluate=None, tapes=None, budget=None,
                 python=None, numbers=None):
        self.values, self.script = values, script if script is not None else {}
        self.evaluate, self.budget = evaluate, budget
        self.tapes = tapes if tapes is not None else {}
        self.python = python        # python(expr, numbers): float64, as Python computes
        self.numbers = numbers if numbers is not None else {}
        self.loop: dict = {}

    def get(self, item):
        if self.budget is not None:
            self.budget.tick()
        if isinstance(item, Constant):
            return item.value
        if isinstance(item, Name):
            if item.where == "loop":
                return self.loop[item.name]
            return (self.script if item.where == "script" else self.values)[item.name]
        if isinstance(item, Expr):
            return self._weigh(self.evaluate(item.expr))
        if isinstance(item, PyNumber):
            return _number(self.python(item.expr.expr, self.numbers), item.kind)
        if isinstance(item, Apply):
            return self._weigh(_apply(item, [self.get(a) for a in item.args]))
        if isinstance(item, FString):
            return "".join(p.value if isinstance(p, Constant) else _format(self.get(p.item), p)
                           for p in item.parts)
        if isinstance(item, Method):
            v = self.get(item.item)
            if item.method == "numpy":
                if not hasattr(v, "numpy"):
                    raise AttributeError(f"'{type(v).__name__}' object has no attribute "
                                         "'numpy'")
                return v.numpy()
            if not hasattr(v, "tolist"):
                raise AttributeError(f"'{type(v).__name__}' object has no attribute 'tolist'")
            return v.tolist()
        if isinstance(item, Seq):
            vals = [self.get(i) for i in item.items]
            return vals if item.kind == "list" else tuple(vals)
        if isinstance(item, Index):
            v = self.get(item.item)
            return v[item.index]
        if isinstance(item, IfNone):
            is_none = self.get(item.test) is None
            return self.get(item.then if is_none != item.negate else item.other)
        if isinstance(item, IsNone):
            return (self.get(item.item) is None) != item.negate
        if isinstance(item, Gradient):
            return self._gradient(item.tape, item.method, self.get(item.target),
                                  self.get(item.sources))
        if isinstance(item, GradientMap):
            out = []
            for v in self.get(item.items):
                self.loop[item.var] = v
                out.append(self._gradient(item.tape, item.method, self.get(item.target),
                                          self.get(item.sources)))
            return out
        raise TypeError(f"unexpected item {item!r}")     # the parser builds nothing else

    def _weigh(self, value):
        """A computed value counts against the run's budget by its size (a print may not
        make, one after another, more numbers than a run may hold)."""
        if self.budget is not None:
            n = getattr(getattr(value, "shape", None), "num_elements", lambda: 1)()
            self.budget.tick((n or 1) // 16)
        return value

    def _gradient(self, tape_name, method, target, sources):
        tape = self.tapes[tape_name]
        if self.budget is not None:
            self.budget.tick(16)
        if method == "jacobian":
            return tape.jacobian(target, sources)
        return tape.gradient(target, sources)


def _number(t, kind):
    """A float64 tensor (a boolean one for a comparison) as the Python value it stands for."""
    if kind == "bool":
        return bool(t)
    v = float(t)
    return int(v) if kind == "int" and math.isfinite(v) else v


def _apply(item: Apply, args):
    """Run a registry op on displayed values, its size checked first by the registry's
    shape rule (values here come from the program's, which are bounded, but ops such as
    an outer product can make more of them)."""
    spec = OPS[item.op]
    kw = dict(item.keywords)
    if spec.variadic:
        args = list(args[0]) if isinstance(args[0], (list, tuple)) else [args[0]]
    try:
        shapes = [tuple(tf.convert_to_tensor(a).shape) for a in args]
        out = spec.shape(shapes, kw)
    except (ShapeError, ValueError, TypeError, tf.errors.OpError):
        out = None                  # TensorFlow itself says what is wrong, below
    if out is not None and (size(out) > LIMITS["trace_elements"] or
                            len(out) > LIMITS["rank"] + 1):
        raise ProgramError(f"{item.op} here would make a value of shape {tuple(out)}; the "
                           f"limit is {LIMITS['trace_elements']:,} numbers", 1, 1,
                           "print smaller values")
    return spec.fn(*args, **kw)


def _format(value, part: Format) -> str:
    """``f'{value!conv:spec}'`` as Python formats it (a tensor formats as its numpy value)."""
    if part.conversion == "r":
        value = repr(value)
    elif part.conversion == "s":
        value = str(value)
    elif part.conversion == "a":
        value = ascii(value)
    return format(value, part.spec)


def py_text(values, sep=" ", end="\n") -> str:
    """What Python's ``print`` writes for these values (``str`` of each)."""
    return sep.join(str(v) for v in values) + end


def tf_text(values, sep=" ", end="\n") -> str:
    """What ``tf.print`` writes: the structure's text with every tensor formatted by
    ``tf.strings.format`` (the op ``tf.print`` builds its message with, summarize=3)."""
    tensors = []

    def template(v):
        if isinstance(v, (tf.Tensor, tf.Variable)) or isinstance(v, np.ndarray):
            tensors.append(tf.convert_to_tensor(v))
            return "{}"
        if isinstance(v, list):
            return "[" + ", ".join(template(x) for x in v) + "]"
        if isinstance(v, tuple):
            return "(" + ", ".join(template(x) for x in v) + ")"
        return str(v).replace("{}", "{ }")
    text = sep.join(template(v) for v in values)
    if tensors:
        text = tf.strings.format(text, tensors, summarize=3).numpy().decode("utf-8")
    return text + end


def show(effect: Effect, scope: Scope, output: Output) -> None:
    """Run one effect: print, tf.print, a displayed value, assert_rank, or the branch of an
    ``if`` (:class:`When`) that its test takes."""
    if not output.active:
        return
    if isinstance(effect, When):
        test = scope.get(effect.test)
        try:
            taken = bool(test)      # what Python's if does with it (a tensor: its one value)
        except (ValueError, TypeError, tf.errors.OpError) as e:
            output.fail(e)
            raise ScriptError(output.error, effect.line, 1,
                              "an if decides on one value: reduce a tensor first, e.g. "
                              "tf.reduce_all(x > 0)") from None
        for e in effect.then if taken else effect.other:
            show(e, scope, output)
        return
    if effect.kind == "assert_rank":
        value, rank = (scope.get(a) for a in effect.args)
        try:
            tf.debugging.assert_rank(value, int(rank))
        except (ValueError, tf.errors.InvalidArgumentError) as e:
            output.fail(e)
            raise ScriptError(output.error, effect.line, 1,
                              "TensorFlow's own check failed, as it would in the notebook") \
                from None
        return
    values = [scope.get(a) for a in effect.args]
    if effect.kind == "tf.print":
        output.write(tf_text(values, effect.sep, effect.end))
    elif effect.kind == "display":
        output.write(repr(values[0]) + "\n")
    else:
        output.write(py_text(values, effect.sep, effect.end))


@dataclass
class ScriptRun:
    """The script's own state in one run: its tapes and its values."""
    output: Output
    tapes: dict = field(default_factory=dict)       # name -> tf.GradientTape (entered)
    values: dict = field(default_factory=dict)      # script values (gradient results)
    numbers: dict = field(default_factory=dict)     # the cell's Python numbers (float64)


def run_steps(steps, assign, env: dict, sources: dict, variables: set, run: ScriptRun,
              budget=None, evaluate=None, python=None) -> None:
    """Run the script's steps in order; ``assign(name)`` evaluates the program's next value
    (and returns nothing); ``env`` holds the run's tensors by name as they are assigned;
    ``evaluate(expr)`` computes an :class:`Expr` of the program's values (an ``if``'s test)
    with TensorFlow, as the program's own values are computed; ``python(expr, numbers)``
    computes a Python number in float64 (``python(name, None)``: an input's own number).

    A tape is entered and exited for real; if TensorFlow raises in a gradient call or a
    print, the printout says so and the rest of the script only computes the program's
    values (the graph needs them), as a notebook cell stops at its error.
    """
    out = run.output
    entered: list = []
    scope = Scope(env, run.values, evaluate=evaluate, tapes=run.tapes, budget=budget,
                  python=python, numbers=run.numbers)
    try:
        for step in steps:
            if step.kind == "assign":
                assign(step.name)
                continue
            if step.kind == "enter":
                tape = tf.GradientTape(persistent=step.persistent,
                                       watch_accessed_variables=step.watch_accessed)
                tape.__enter__()
                entered.append(tape)
                run.tapes[step.name] = tape
                if step.watch_accessed:
                    # the run reads each Variable once, before any script tape starts: what
                    # this tape would see of a Variable is that read
                    for name in variables:
                        tape.watch(env[name])
                continue
            if step.kind == "exit":
                tape = run.tapes[step.name]
                if tape in entered:
                    entered.remove(tape)
                    tape.__exit__(None, None, None)
                continue
            if not out.active:
                continue
            try:
                if step.kind == "watch":
                    for name in step.names:
                        run.tapes[step.name].watch(env[name])
                elif step.kind == "del":
                    run.tapes.pop(step.name, None)
                elif step.kind == "let":
                    run.values[step.name] = scope.get(step.item)
                elif step.kind == "python":     # as Python computes it, printed or not
                    run.numbers[step.name] = python(step.name, None) if step.item is None \
                        else python(step.item.expr, run.numbers)
                elif step.kind == "effect":
                    show(step.item, scope, out)
            except ProgramError:
                raise                   # assert_rank failed, or the budget: not the script's
            except (RuntimeError, ValueError, TypeError, AttributeError, KeyError,
                    IndexError, tf.errors.OpError) as e:
                out.fail(e)
    finally:
        for tape in reversed(entered):
            tape.__exit__(None, None, None)
