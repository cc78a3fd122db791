"""The shape pass: every value's shape, from the inputs' shapes, before TensorFlow runs.

It folds each expression with the registry's shape rules (:data:`graphviz_core.ops.OPS`),
expanding user-function calls with their arguments' shapes, and turns a clash into a
:class:`~graphviz_core.language.ProgramError` at the op's line and column, worded with the
shapes that met. It also counts elements: at most ``LIMITS["elements"]`` in one value and
``LIMITS["trace_elements"]`` over every value of the expanded graph.

>>> from graphviz_core import parse
>>> infer(parse("W = [[1.0, 2.0], [3.0, 4.0]]\\nb = [1.0, 2.0]\\ny = W @ W + b"), {})["y"]
(2, 2)
"""
from __future__ import annotations

import numpy as np

from .expr import Call, Compare, Cond, Fold, Logic, NoGrad, Num, Op, Ref
from .ops import OPS, ShapeError, broadcast, size

__all__ = ["infer"]


def infer(prog, shapes: dict | None = None, counts: dict | None = None) -> dict:
    """``{name: shape}`` for every input and assignment; ``shapes`` overrides input shapes;
    ``counts``, if given, gets ``work``: the custom-rule runs that build tensor Jacobians.

    Raises :class:`~graphviz_core.language.ProgramError` for a shape clash or a value over
    the element limits.
    """
    from .language import LIMITS, ProgramError
    env = {n: tuple(np.shape(i.default)) for n, i in prog.inputs.items()}
    env.update({n: tuple(s) for n, s in (shapes or {}).items()})
    pass_ = _Shapes(prog, LIMITS, ProgramError)
    for name in prog.assignments:
        pass_.env = env
        env[name] = pass_(prog.expressions[name])
    if counts is not None:
        counts["work"] = pass_.work
    return env


def _short(text: str, n: int = 60) -> str:
    """The user's text of an expression, cut for a message."""
    return text if len(text) <= n else text[: n - 1] + "…"


class _Shapes(Fold):
    def __init__(self, prog, limits, error, env=None):
        self.prog, self.limits, self.error = prog, limits, error
        self.env = env or {}
        self.total = 0
        self.work = 0                # rule runs for tensor Jacobians (see rule_shapes)
        self.calls: dict = {}        # (function, argument shapes) -> (shape, elements, work)

    def fail(self, node, message, hint=""):
        return self.error(message, getattr(node, "line", 0) or 1, getattr(node, "col", 0) or 1,
                          hint)

    def count(self, node, shape):
        n = size(shape)
        if n > self.limits["elements"]:
            raise self.fail(node, f"{_short(node.text) or 'this value'} would have shape {shape}, "
                            f"{n} elements; the limit is {self.limits['elements']} a value",
                            "use smaller tensors")
        self.total += n
        if self.total > self.limits["trace_elements"]:
            raise self.fail(node, f"the program's values would hold more than "
                            f"{self.limits['trace_elements']:,} numbers in all",
                            "use smaller tensors or fewer operations")

    def leaf(self, node):
        if isinstance(node, Num):
            shape = tuple(np.shape(node.value))
            self.count(node, shape)
            return shape
        if isinstance(node, Ref):
            return self.env[node.name]
        if isinstance(node, NoGrad):
            return None
        raise TypeError(f"unexpected expression {node!r}")

    def node(self, node, args):
        if isinstance(node, Op):
            spec = OPS[node.op]
            try:
                shape = tuple(spec.shape(args, node.keywords))
            except ShapeError as e:
                raise self.fail(node, f"{_short(node.text) or spec.name}: {e}",
                                e.hint or f"check the shapes going into {spec.name}") from None
            self.count(node, shape)
            return shape
        if isinstance(node, (Compare, Logic)):
            try:
                return broadcast(*args)
            except ShapeError as e:
                raise self.fail(node, f"{_short(node.text)}: {e}", e.hint) from None
        if isinstance(node, Cond):
            test, then, other = args
            if test != ():
                raise self.fail(node, f"the condition of '{_short(node.text)}' has shape {test}: "
                                "a Python if/else decides on one number",
                                "for a tensor, choose element by element with "
                                "where(condition, a, b)")
            if then != other:
                raise self.fail(node, f"the two branches of '{_short(node.text)}' have different "
                                f"shapes, {then} and {other}", "give both branches one shape")
            return then
        if isinstance(node, Call):
            return self.call(node, tuple(args))
        raise TypeError(f"unexpected expression {node!r}")

    def call(self, node, args):
        key = (node.func, args)
        if key not in self.calls:
            fn = self.prog.functions[node.func]
            inner = _Shapes(self.prog, self.limits, self.error, dict(zip(fn.params, args)))
            try:
                shape = inner(fn.body)
            except self.error as e:
                shapes = ", ".join(str(a) for a in args)
                raise self.error(f"in {node.func}, called on line {node.line} with shapes "
                                 f"{shapes}: {e.message}", e.line, e.column, e.hint) from None
            if fn.rule is not None:
                self.rule_shapes(fn, node, args, shape, inner)
            self.calls[key] = (shape, inner.total, inner.work)
        shape, elements, work = self.calls[key]
        self.total += elements
        self.add_work(node, work)
        self.count(node, shape)
        return shape

    def rule_shapes(self, fn, node, args, out, inner) -> None:
        """A custom rule, folded at this call's shapes (its upstream has the output's shape):
        its values count against the element limits, and a tensor output builds the local
        Jacobian row by row, the rule once per output element."""
        rule_env = dict(zip(fn.rule_params, tuple(args) + (out,)))
        rule = _Shapes(self.prog, self.limits, self.error, rule_env)
        try:
            for part in fn.rule:
                if not isinstance(part, NoGrad):
                    rule(part)
        except self.error as e:
            raise self.error(f"in the rule for {fn.name}, at the shapes of the call on line "
                             f"{node.line} (upstream {out}): {e.message}", e.line, e.column,
                             e.hint) from None
        inner.total += 2 * rule.total + rule.work
        if size(out) > 1:
            inner.add_work(node, self.prog.rule_work.get(fn.name, 0) * size(out))

    def add_work(self, node, n: int) -> None:
        self.work += n
        if self.work > self.limits["work"]:
            raise self.fail(node, f"'{_short(node.text)}' would run more than "
                            f"{self.limits['work']:,} operations: its custom rule runs once "
                            "for each element of the output, to build the local Jacobian",
                            "use smaller tensors, or a rule that calls fewer functions")
