"""Lesson 3, GradientTape mechanics (``pages/3_GradientTape_mechanics.py``, seed 002):
f(w1, w2) = 3·w1² + 2·w1·w2 and what a tape does with it: finite differences against
``tape.gradient``, one tape asked twice, constants against Variables and ``tape.watch``,
several targets at once, second derivatives by nested tapes, and ``stop_gradient``.

Where the program language can say it, the lesson traces a preset (``f_variables``,
``f_constants``, ``f_multi``, ``f_stop``); a tape asked twice is plain TensorFlow here, as in
the notebook.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ..examples import preset
from ..figures import backward_figure
from ..figures.lessons import finite_difference_figure
from ..language import parse
from ..report import explain_gradient, fmt, gradient_rows
from ..tracer import hessian, trace
from ..values import finite
from .shared import _evaluate, _tf_dtype, explorer_link

__all__ = ["seed_f", "finite_differences", "FiniteDifferences", "finite_difference_figure",
           "tape_twice", "TapeTwice", "watch_cases", "several_targets", "hessian_table",
           "stop_gradient_case"]


def seed_f(w1, w2):
    """Seed 002's function, in TensorFlow ops (the forward pass only).

    >>> float(seed_f(tf.constant(5.0), tf.constant(3.0)))
    105.0
    """
    return 3 * w1 ** 2 + 2 * w1 * w2


@dataclass
class FiniteDifferences:
    """Finite differences against ``tape.gradient`` at one eps and over a grid of eps."""
    w1: float
    w2: float
    eps: float
    wrt: str
    rows: list          # at eps: one row per input and precision
    eps_grid: tuple     # for the error curve
    errors: dict        # dtype -> tuple of |finite difference − autodiff| (None where exact)
    estimate: dict      # (input, dtype) -> finite difference at eps
    autodiff: dict      # (input, dtype) -> tape.gradient


def finite_differences(w1: float = 5.0, w2: float = 3.0, eps: float = 1e-6, wrt: str = "w1",
                       eps_grid=None) -> FiniteDifferences:
    """(f(w + eps) − f(w)) / eps against ``tape.gradient``, in float64 and float32.

    Both forward values and the division run in TensorFlow at the given precision, the
    input shift too (``w + eps`` is rounded to that precision, as it would be in a model).

    >>> r = finite_differences()
    >>> r.estimate[("w1", "float64")], r.autodiff[("w1", "float64")]
    (36.000003007075065, 36.0)
    """
    prog = parse(preset("f_variables").source)
    grid = tuple(eps_grid if eps_grid is not None else
                 [10.0 ** (-k / 4) for k in range(4, 61)])
    estimate, autodiff, errors = {}, {}, {}
    for dtype in ("float64", "float32"):
        for name in ("w1", "w2"):
            fd, ad = _fd(prog, w1, w2, name, [float(eps)], dtype)
            estimate[(name, dtype)], autodiff[(name, dtype)] = fd[0], ad
        fd, ad = _fd(prog, w1, w2, wrt, grid, dtype)
        errors[dtype] = tuple(abs(v - ad) if abs(v - ad) > 0 else None for v in fd)
    rows = []
    for name in ("w1", "w2"):
        for dtype in ("float64", "float32"):
            fd, ad = estimate[(name, dtype)], autodiff[(name, dtype)]
            rows.append({"derivative": f"∂z/∂{name}", "precision": dtype,
                         "finite difference": _exact(fd, dtype), "tape.gradient": fmt(ad),
                         "error": f"{abs(fd - ad):.2e}"})
    return FiniteDifferences(float(w1), float(w2), float(eps), wrt, rows, grid, errors,
                             estimate, autodiff)


def _fd(prog, w1, w2, name, steps, dtype):
    """Finite differences (in TF, at ``dtype``) for each step, and the autodiff gradient.

    One step runs as scalars, exactly as the notebook did; many steps run as one vector
    (TensorFlow's vector kernels may round the last bit differently, which a curve can bear).
    """
    dt = _tf_dtype(dtype)
    steps_t = tf.constant(steps, dt)
    if len(steps) == 1:
        shift = tf.concat([tf.zeros([1], dt), steps_t], 0)
        zs, grad = [], None
        for k in range(2):
            point = {"w1": tf.constant(w1, dt), "w2": tf.constant(w2, dt)}
            point[name] = point[name] + shift[k]
            (z,), grads = _evaluate(prog, point, dtype=dtype)
            zs.append(z)
            grad = grad if grad is not None else grads[name]
        z = tf.constant(np.stack(zs), dt)
    else:
        shift = tf.concat([tf.zeros([1], dt), steps_t], 0)
        base = {"w1": tf.fill(tf.shape(shift), tf.constant(w1, dt)),
                "w2": tf.fill(tf.shape(shift), tf.constant(w2, dt))}
        moved = dict(base, **{name: base[name] + shift})
        (z,), grads = _evaluate(prog, moved, dtype=dtype)
        z, grad = tf.constant(z, dt), grads[name][0]
    fd = (z[1:] - z[0]) / steps_t
    return [float(v) for v in fd.numpy()], float(grad)


def _exact(v: float, dtype: str) -> str:
    """The shortest text that reads back as the same number in ``dtype`` (like the notebook)."""
    if not finite(v):
        return fmt(v)
    return str(np.float32(v)) if dtype == "float32" else repr(float(v))


@dataclass
class TapeTwice:
    """One tape asked for two gradients: what came back, and TensorFlow's error if any."""
    persistent: bool
    first: float            # tape.gradient(z, w1)
    second: float | None    # tape.gradient(z, w2), None if it raised
    error: str              # "RuntimeError: ..." exactly as TensorFlow raised it, or ""


def tape_twice(w1: float = 5.0, w2: float = 3.0, persistent: bool = False) -> TapeTwice:
    """Ask one tape for two gradients, as the notebook does; keep TensorFlow's own error.

    >>> r = tape_twice()
    >>> r.first, r.second, r.error.startswith("RuntimeError: ")
    (36.0, None, True)
    >>> tape_twice(persistent=True).second
    10.0
    """
    v1, v2 = tf.Variable(float(w1)), tf.Variable(float(w2))
    with tf.GradientTape(persistent=persistent) as tape:
        z = seed_f(v1, v2)
    first = float(tape.gradient(z, v1))
    second, error = None, ""
    try:
        second = float(tape.gradient(z, v2))
    except RuntimeError as e:
        error = f"{type(e).__name__}: {e}"
    del tape
    return TapeTwice(persistent, first, second, error)


def watch_cases(w1: float = 5.0, w2: float = 3.0, watch=()) -> list:
    """Constants vs Variables and ``tape.watch``: one row per case, with the reason for None.

    ``watch`` is the student's own choice of constants to watch (the last row).

    >>> [(r["∂z/∂(first)"], r["∂z/∂(second)"]) for r in watch_cases()]
    [('None', 'None'), ('36', '10'), ('36', '10'), ('None', 'None')]
    """
    const = parse(preset("f_constants").source)
    var = parse(preset("f_variables").source)
    cin = {"c1": float(w1), "c2": float(w2)}
    vin = {"w1": float(w1), "w2": float(w2)}
    chosen = tuple(watch)
    cases = [
        ("tf.constant, no tape.watch", const, cin, ()),
        ("tf.constant, tape.watch(c1) and tape.watch(c2)", const, cin, ("c1", "c2")),
        ("tf.Variable (always watched)", var, vin, None),
        ("your choice: " + (", ".join(f"tape.watch({c})" for c in chosen) or "no tape.watch"),
         const, cin, chosen),
    ]
    rows = []
    for title, prog, inputs, w in cases:
        t = trace(prog, inputs=inputs, watch=w)
        a, b = list(prog.inputs)
        why = _reasons(t, prog, [n for n in (a, b) if t.gradients[n] is None])
        rows.append({"case": title, "∂z/∂(first)": fmt(t.gradients[a]),
                     "∂z/∂(second)": fmt(t.gradients[b]), "why": why,
                     "link": explorer_link(prog.source, inputs=inputs,
                                           watch=list(w) if w is not None else None,
                                           preset_key="f_constants" if prog is const
                                           else "f_variables")})
    return rows


def _reasons(t, prog, names) -> str:
    """Why each of ``names`` got None, said once when the reason is the same for all."""
    texts = {n: explain_gradient(t, prog, n) for n in names}
    generic = {texts[n].replace(f"'{n}'", "each") for n in names}
    if len(names) > 1 and len(generic) == 1:
        return f"{' and '.join(names)}: {generic.pop()}"
    return "; ".join(f"{n}: {texts[n]}" for n in names)


def several_targets(w1: float = 5.0, w2: float = 3.0, targets=("z1", "z2", "z3")) -> dict:
    """``tape.gradient([z1, z2, z3], [w1, w2])``: each target alone, then the list (the sum).

    >>> r = several_targets()
    >>> [(x["target"], x["∂/∂w1"], x["∂/∂w2"]) for x in r["rows"]][-1]
    ('[z1, z2, z3] together', '136', '30')
    """
    p = preset("f_multi")
    prog = parse(p.source)
    inputs = {"w1": float(w1), "w2": float(w2)}
    targets = [t for t in targets if t in prog.assignments] or ["z1"]
    rows = []
    for t in targets:
        tr = trace(prog, inputs=inputs, targets=[t])
        rows.append({"target": t, "value": fmt(tr.values[t]), "∂/∂w1": fmt(tr.gradients["w1"]),
                     "∂/∂w2": fmt(tr.gradients["w2"])})
    together = trace(prog, inputs=inputs, targets=targets)
    rows.append({"target": f"[{', '.join(targets)}] together", "value": "",
                 "∂/∂w1": fmt(together.gradients["w1"]), "∂/∂w2": fmt(together.gradients["w2"])})
    return {"rows": rows, "gradients": together.gradients, "targets": targets,
            "link": explorer_link(p.source, inputs=inputs, targets=targets, preset_key="f_multi")}


def hessian_table(w1: float = 5.0, w2: float = 3.0) -> dict:
    """Second derivatives of seed 002's f by nested tapes, with the reason for each None.

    >>> h = hessian_table()
    >>> [(r["∂/∂w1"], r["∂/∂w2"]) for r in h["rows"]]
    [('6', '2'), ('2', 'None')]
    """
    p = preset("f_variables")
    prog = parse(p.source)
    inputs = {"w1": float(w1), "w2": float(w2)}
    first = trace(prog, inputs=inputs).gradients
    h = hessian(prog, inputs=inputs)
    names = list(prog.inputs)
    rows, reasons = [], []
    for a in names:
        row = {"first derivative": f"∂z/∂{a} = {fmt(first[a])}"}
        for b in names:
            row[f"∂/∂{b}"] = fmt(h[(a, b)])
            if h[(a, b)] is None:
                reasons.append(
                    f"∂/∂{b} of ∂z/∂{a} is None: the inner tape computed ∂z/∂{a} "
                    f"= {fmt(first[a])} without using {b}, so the outer tape finds no path from "
                    f"it back to {b}. TensorFlow says None for “not connected”, even though "
                    "the mathematical value is 0.")
        rows.append(row)
    return {"rows": rows, "hessian": h, "first": first, "reasons": reasons,
            "link": explorer_link(p.source, inputs=inputs, preset_key="f_variables")}


def stop_gradient_case(w1: float = 5.0, w2: float = 3.0, presentation: bool = False,
                       figure: bool = True) -> dict:
    """``3·w1² + stop_gradient(2·w1·w2)`` against the plain f: gradients, reasons, graph.

    >>> r = stop_gradient_case(figure=False)
    >>> [(x["input"], x["without stop_gradient"], x["with stop_gradient"]) for x in r["rows"]]
    [('w1', '36', '30'), ('w2', '10', 'None')]
    """
    plain = parse(preset("f_variables").source)
    p = preset("f_stop")
    stop = parse(p.source)
    inputs = {"w1": float(w1), "w2": float(w2)}
    t0 = trace(plain, inputs=inputs)
    t1 = trace(stop, inputs=inputs, expand=True)
    rows = [{"input": n, "without stop_gradient": fmt(t0.gradients[n]),
             "with stop_gradient": fmt(t1.gradients[n]), "why": r["why"]}
            for n, r in zip(stop.inputs, gradient_rows(t1, stop))]
    return {"rows": rows, "value": t1.values["z"], "gradients": t1.gradients,
            "figure": backward_figure(t1, stop, presentation=presentation)
            if figure else None,
            "link": explorer_link(p.source, inputs=inputs, expand=True, preset_key="f_stop")}
