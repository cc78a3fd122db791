"""What several lessons use: a link that opens a program in the Explorer
(:func:`explorer_link`), and a program evaluated at many values of one input (:func:`sweep`,
:class:`Sweep`), for the curves of ``pages/2_Straight_through.py`` and the map of
``pages/4_Numerical_stability.py``.

Assumptions: the lessons' programs are scalar. :func:`sweep` evaluates a program on a
whole vector of inputs in one TensorFlow run when every op is elementwise (no Python branch,
and every op ``elementwise`` in the registry), so the gradient of the sum is the gradient at
each point; otherwise it runs point by point. Both use the engine's own evaluator, so a sweep
and a trace agree on every None, inf and NaN; finite values agree to about 1e-4, because
TensorFlow's vector kernels round differently from its scalar ones (float32's reciprocal near
1e-35 is the worst case). Numbers a student reads off a table therefore come from
:func:`~graphviz_core.tracer.trace`; sweeps draw curves and maps.
"""
from __future__ import annotations

import urllib.parse
from dataclasses import dataclass, field

import numpy as np
import tensorflow as tf

from .. import links as url_state
from ..language import Op, Program, walk
from ..ops import OPS
from ..tracer import _DTYPES, forward, resolve

__all__ = ["explorer_link", "sweep", "Sweep"]


def explorer_link(source: str, inputs=None, modes=None, targets=None, watch=None,
                  dtype: str = "float32", expand: bool = False, presentation: bool = False,
                  preset_key: str | None = None) -> str:
    """A relative link that opens ``source`` with these settings in the Explorer (``app.py``).

    >>> explorer_link("x = 2.0\\ny = x*x", inputs={"x": 3.0}).startswith("/?p=z%3A")
    True
    """
    state = {"program": source, "inputs": dict(inputs or {}), "modes": dict(modes or {}),
             "targets": list(targets or []), "watch": None if watch is None else list(watch),
             "dtype": dtype, "expand": expand, "presentation": presentation,
             "preset": preset_key}
    return "/?" + urllib.parse.urlencode(url_state.encode(state))


@dataclass(frozen=True)
class Sweep:
    """A program evaluated at many values of one input: ``values[i]`` and ``gradients[i]``
    belong to ``xs[i]``. A gradient is ``None`` where TensorFlow returned None."""
    input: str
    target: str
    xs: tuple
    values: tuple
    gradients: tuple
    dtype: str
    modes: dict = field(default_factory=dict)


def sweep(prog: Program, input: str, xs, target: str | None = None, modes=None,
          inputs=None, dtype: str = "float32") -> Sweep:
    """Forward value of ``target`` and its gradient with respect to ``input`` at each x.

    Other inputs keep ``inputs`` or their defaults; Variables and constants are both watched.
    Elementwise programs run as one vector (see the module docstring for the rounding).

    >>> from graphviz_core import parse
    >>> p = parse("foo(x) = x**2\\nx = 2.0\\ny = foo(x)")
    >>> s = sweep(p, "x", [1.0, 2.0, 3.0])
    >>> s.values, s.gradients
    ((1.0, 4.0, 9.0), (2.0, 4.0, 6.0))
    """
    if input not in prog.inputs:
        raise ValueError(f"'{input}' is not an input of the program")
    xs = [float(x) for x in xs]
    target = target or prog.default_target
    fixed = dict(inputs or {})
    result = None
    if _elementwise(prog) and len(xs) > 1:
        try:
            values, grads = _evaluate(prog, {**fixed, input: xs}, modes, [target], dtype)
            v, g_ = values[0], grads[input]
            if v.shape == (len(xs),) and (g_ is None or g_.shape == (len(xs),)):
                result = ([float(a) for a in v],
                          [None] * len(xs) if g_ is None else [float(a) for a in g_])
        except (tf.errors.InvalidArgumentError, ValueError, TypeError):
            result = None        # a rule that does not broadcast: go point by point
    if result is None:
        vals, grads = [], []
        for x in xs:
            values, g = _evaluate(prog, {**fixed, input: x}, modes, [target], dtype)
            vals.append(float(values[0]))
            grads.append(None if g[input] is None else float(g[input]))
        result = (vals, grads)
    s = resolve(prog, None, modes, [target], None, dtype)
    return Sweep(input, target, tuple(xs), tuple(result[0]), tuple(result[1]), dtype,
                 dict(s.modes))


def _elementwise(prog: Program) -> bool:
    """True if every op acts on each element alone (so a vector run is many scalar runs)."""
    if prog.has_conditionals:
        return False
    exprs = list(prog.expressions.values())
    for f in prog.functions.values():
        exprs.append(f.body)
        exprs.extend(r for r in (f.rule or ()) if r is not None)
    return not any(isinstance(n, Op) and not OPS[n.op].elementwise
                   for e in exprs for n in walk(e))


def _evaluate(prog: Program, values: dict, modes=None, targets=None, dtype="float32"):
    """One forward pass of ``prog`` under a tape with array-valued inputs.

    Uses the engine's evaluator without recording (as :func:`hessian` does): custom rules
    run through ``tf.custom_gradient``, everything else is plain TensorFlow. Returns
    (``[target value arrays]``, ``{input: gradient array | None}``).
    """
    s = resolve(prog, None, modes, targets, None, dtype)
    dt = _tf_dtype(dtype)
    raw = {n: _as_tensor(values.get(n, i.default), dt) for n, i in prog.inputs.items()}
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in raw.values()]) if raw else ()
    raw = {n: tf.broadcast_to(t, shape) for n, t in raw.items()}
    sources = {n: tf.Variable(raw[n]) if prog.inputs[n].kind == "variable" else raw[n]
               for n in prog.inputs}
    run = forward(prog, s, sources=sources)
    with run.tape:      # the broadcast is recorded too: a target that is a constant has a shape
        outs = [tf.broadcast_to(run.values[t], shape) for t in s.targets]
    grads = run.tape.gradient(outs, [sources[n] for n in prog.inputs])
    return ([o.numpy() for o in outs],
            {n: None if d is None else d.numpy() for n, d in zip(prog.inputs, grads)})


def _as_tensor(v, dt):
    if isinstance(v, (tf.Tensor, tf.Variable)):
        return tf.cast(v, dt)
    return tf.convert_to_tensor(v, dtype=dt)


def _tf_dtype(name: str):
    """The TensorFlow dtype called ``name``; ValueError for anything but float32 and float64."""
    for key, dt in _DTYPES.items():
        if key == name:
            return dt
    raise ValueError(f"dtype must be 'float32' or 'float64', not {name!r}")
