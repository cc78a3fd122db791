"""Gradients for ``sign`` that make seed 003's training move, and the seed's program with the
chosen one (:func:`sign_program`): the choices of the sign-training lab
(``pages/5_Sign_training_lab.py``).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from ..language import LIMITS, ProgramError, parse

__all__ = ["Surrogate", "SURROGATES", "sign_program"]


@dataclass(frozen=True)
class Surrogate:
    """A gradient for ``sign`` in the backward pass, as a rule in the program language.

    ``rule`` uses ``x`` and ``upstream``; ``None`` means TensorFlow's automatic gradient of
    sign (zero). A rule with a ``parameter`` (such as the temperature ``T``) gets a number
    written in its place.
    """
    key: str
    label: str
    rule: str | None
    note: str
    parameter: str | None = None
    default: float | None = None

    def rule_text(self, value: float | None = None) -> str | None:
        """The rule with its parameter filled in.

        >>> SURROGATES["sigmoid_t"].rule_text(0.5)
        'upstream * sigmoid(x / 0.5) * (1 - sigmoid(x / 0.5)) / 0.5'
        """
        if self.rule is None or self.parameter is None:
            return self.rule
        v = self.default if value is None else float(value)
        if not (math.isfinite(v) and 0 < v <= LIMITS["literal"]):
            raise ValueError(f"{self.parameter} must be a positive number, not {value!r}")
        return self.rule.replace(self.parameter, _literal(v))


SURROGATES = MappingProxyType({s.key: s for s in (
    Surrogate("automatic", "automatic (TensorFlow)", None,
              "TensorFlow's own gradient of sign: 0 everywhere, so nothing moves."),
    Surrogate("sigmoid", "sigmoid derivative (seed 003)",
              "upstream * sigmoid(x) * (1 - sigmoid(x))",
              "The seed's rule: the slope of a sigmoid, a bump that is largest at 0."),
    Surrogate("straight_through", "straight-through", "upstream",
              "Pretend sign was the identity: pass the upstream gradient on unchanged."),
    Surrogate("tanh", "tanh derivative", "upstream * (1 - tanh(x)**2)",
              "The slope of tanh, which goes from -1 to 1 like sign does."),
    Surrogate("sigmoid_t", "sigmoid derivative with temperature T",
              "upstream * sigmoid(x / T) * (1 - sigmoid(x / T)) / T",
              "The slope of sigmoid(x / T): small T is a tall narrow bump, large T a flat "
              "wide one.", parameter="T", default=0.5),
    Surrogate("custom", "your own rule", None,
              "Type a rule using x and upstream; it runs in TensorFlow."),
)})

_SIGN_FN = "differentiable_sign"
_RULE_PREFIX = f"grad {_SIGN_FN}(x, upstream) = "
_SIGN_SOURCE = """\
# Seed 003: train x so that sign(x) = 1; backward pass of sign: {label}
{fn}(x) = sign(x)
{prefix}{rule}
x = Variable({start})
y = {fn}(x)
loss = l2_loss(y - 1.0)
"""
_RULE_LINE = 3


def sign_program(surrogate: str = "sigmoid", start: float = -1.0,
                 temperature: float | None = None, rule: str | None = None):
    """Seed 003's training program with the chosen gradient for sign: ``(Program, modes)``.

    ``rule`` is the text of a ``custom`` rule; it is parsed by the same safe parser as every
    program, and a mistake raises :class:`ProgramError` with line 1 and the column *in the
    rule*.

    >>> prog, modes = sign_program("tanh", start=-2.0)
    >>> prog.functions["differentiable_sign"].rule_text, prog.inputs["x"].default, modes
    ('upstream * (1 - tanh(x)**2)', -2.0, {'differentiable_sign': 'custom'})
    >>> sign_program("custom", rule="upstream * q")
    Traceback (most recent call last):
    ...
    graphviz_core.language.ProgramError: line 1, column 12: unknown name 'q' (use the function's parameters, numbers and built-ins)
    """
    if surrogate not in SURROGATES:
        raise ValueError(f"unknown surrogate {surrogate!r}; choose one of "
                         f"{', '.join(SURROGATES)}")
    sur = SURROGATES[surrogate]
    try:
        start = float(start)
    except (TypeError, ValueError):
        raise ValueError(f"the start value must be a number, not {start!r}") from None
    if not (math.isfinite(start) and abs(start) <= LIMITS["literal"]):
        raise ValueError(f"the start value must be a number of size at most "
                         f"{LIMITS['literal']:g}")
    mode = "custom"
    if surrogate == "custom":
        text = _user_rule(rule)
    elif sur.rule is None:                      # automatic: the seed's rule is there, unused
        text, mode = SURROGATES["sigmoid"].rule, "automatic"
    else:
        text = sur.rule_text(temperature)
    source = _SIGN_SOURCE.format(label=sur.label, fn=_SIGN_FN, prefix=_RULE_PREFIX, rule=text,
                                 start=_literal(start))
    try:
        prog = parse(source)
    except ProgramError as e:
        if surrogate == "custom" and e.line == _RULE_LINE:
            raise ProgramError(e.message, 1, max(1, e.column - len(_RULE_PREFIX)),
                               e.hint) from None
        raise
    return prog, {_SIGN_FN: mode}


def _user_rule(rule) -> str:
    if not isinstance(rule, str) or not rule.strip():
        raise ProgramError("type a gradient rule", 1, 1,
                           "for example: upstream * sigmoid(x) * (1 - sigmoid(x))")
    for i, ch in enumerate(rule):
        if ch in "\r\n":
            raise ProgramError("the rule is one expression on one line", 1, i + 1,
                               "remove the line break")
    # The rule is one line of the program; a '#' would comment out the rest of it.
    return rule


def _literal(v: float) -> str:
    return repr(float(v))
