"""Lesson computations for the pages in ``pages/``: one section per lesson.

Every number comes from TensorFlow, run now. Wherever the program language can say it, the
lesson runs a program through the engine (:func:`~graphviz_core.tracer.trace`,
:func:`~graphviz_core.tracer.hessian`, and :func:`sweep` below); where it cannot (a tape asked
twice, a persistent tape) a small TensorFlow function here does what the notebook did, with the
student's numbers. Results are plain data (dataclasses of floats, strings and rows) or plotly
figures; nothing here imports streamlit, so a page is widgets, one call, render.

Assumptions: the lessons' programs are scalar. :func:`sweep` evaluates a program on a
whole vector of inputs in one TensorFlow run when every op is elementwise (no Python branch,
and every op ``elementwise`` in the registry), so the gradient of the sum is the gradient at each point; otherwise it runs
point by point. Both use the engine's own evaluator, so a sweep and a trace agree on every
None, inf and NaN; finite values agree to about 1e-4, because TensorFlow's vector kernels
round differently from its scalar ones (float32's reciprocal near 1e-35 is the worst case).
Numbers a student reads off a table therefore come from :func:`~graphviz_core.tracer.trace`;
sweeps draw curves and maps.
"""
from __future__ import annotations

import math
import urllib.parse
from dataclasses import dataclass, field

import numpy as np
import plotly.graph_objects as go
import tensorflow as tf
from plotly.subplots import make_subplots

from . import state as url_state
from .examples import preset
from .figures import PALETTE, backward_figure
from .language import Op, Program, parse, walk
from .ops import OPS
from .report import event_rows, explain_gradient, first_nonfinite, fmt, gradient_rows
from .tracer import forward, hessian, resolve, trace

__all__ = [
    # shared
    "explorer_link", "sweep", "Sweep",
    # 1 chain rule
    "chain_source", "chain_rule", "ChainRule", "ChainVariant", "CHAIN_RULES",
    # 2 straight-through estimators
    "two_step", "TwoStep", "bad_step_at", "straight_through", "StraightThrough",
    "straight_through_figure",
    # 3 GradientTape mechanics
    "seed_f", "finite_differences", "FiniteDifferences", "finite_difference_figure",
    "tape_twice", "TapeTwice", "watch_cases", "several_targets", "hessian_table",
    "stop_gradient_case",
    # 4 numerical stability
    "FORMULATIONS", "Formulation", "overflow_threshold", "stability_sweep",
    "stability_figure", "stability_at", "where_trap", "WhereTrap",
]

_DTYPES = (("float32", tf.float32), ("float64", tf.float64))


def _tf_dtype(name: str):
    for key, dt in _DTYPES:
        if key == name:
            return dt
    raise ValueError(f"dtype must be 'float32' or 'float64', not {name!r}")


# ============================================================================ shared

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


def _num(v) -> float | None:
    return None if v is None else float(v)


def _same(a, b) -> bool:
    """Equal floats, both None, or both NaN."""
    if a is None or b is None:
        return a is b
    return a == b or (math.isnan(a) and math.isnan(b))


def _finite(v) -> bool:
    return v is not None and math.isfinite(v)


class _Style:
    """Font sizes for the lesson figures; ``presentation`` scales them for a projector."""

    def __init__(self, presentation: bool):
        k = 1.4 if presentation else 1.0
        self.k = k
        self.font = round(15 * k)
        self.title = round(18 * k)
        self.tick = round(14 * k)
        self.line = 3.0 * k
        self.marker = round(9 * k)


def _layout(fig: go.Figure, st: _Style, height: int, title: str = "") -> go.Figure:
    fig.update_layout(
        height=round(height * (1.2 if st.k > 1 else 1.0)),
        paper_bgcolor=PALETTE["paper"], plot_bgcolor=PALETTE["paper"],
        font=dict(family="Arial, Helvetica, sans-serif", size=st.font, color=PALETTE["ink"]),
        title=dict(text=title, x=0.01, font=dict(size=st.title)) if title else None,
        margin=dict(l=20, r=20, t=70 if title else 40, b=40),
        legend=dict(orientation="h", x=0, y=1.02, yanchor="bottom", font=dict(size=st.font)),
        hovermode="x unified",
    )
    fig.update_xaxes(showgrid=True, gridcolor=PALETTE["idle"], zeroline=False,
                     linecolor=PALETTE["muted"], tickfont=dict(size=st.tick))
    fig.update_yaxes(showgrid=True, gridcolor=PALETTE["idle"], zeroline=True,
                     zerolinecolor=PALETTE["edge"], linecolor=PALETTE["muted"],
                     tickfont=dict(size=st.tick))
    return fig


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def _power(base: float, exponent: int) -> str:
    """``3⁷``, ``(−3)⁷``, ``(−2)``: a power written for people (text; nothing is computed)."""
    b = fmt(base)
    if b.startswith("-") or "e" in b:
        b = f"({b.replace('-', '−')})"
    return b if exponent == 1 else b + _sup(exponent)


def _sup(k: int) -> str:
    return str(k).translate(_SUPERSCRIPT)


# ============================================================================ 1 chain rule
# Seeds 001 / 003: foo(x) = x**2 composed n times, with the notebook's custom rule.

CHAIN_RULES = (
    ("custom", "custom rule: dy * 2*x", "dy * 2*x", "custom"),
    ("automatic", "TensorFlow automatic", "dy * 2*x", "automatic"),
    ("forgotten", "rule that forgets dy: 2*x", "2*x", "custom"),
)
"""(key, title, rule text, mode): the three ways foo's gradient is computed side by side."""


def chain_source(n: int = 3, rule: str = "dy * 2*x", x: float = 2.0) -> str:
    """The program foo(foo(...foo(x))) with ``n`` calls and the given rule for foo.

    >>> print(chain_source(2), end="")
    # foo(x) = x**2 composed 2 times: y = x**4
    foo(x) = x**2
    grad foo(x, dy) = dy * 2*x
    x = 2.0
    y = foo(foo(x))
    """
    n = int(n)
    if not 1 <= n <= 8:
        raise ValueError("n must be between 1 and 8")
    return (f"# foo(x) = x**2 composed {n} times: y = x**{2 ** n}\n"
            f"foo(x) = x**2\n"
            f"grad foo(x, dy) = {rule}\n"
            f"x = {float(x)!r}\n"
            f"y = {'foo(' * n}x{')' * n}\n")


@dataclass
class ChainVariant:
    """One way of differentiating foo∘…∘foo, with the notebook's printout."""
    key: str
    title: str
    rule: str
    mode: str
    source: str
    gradient: float | None
    forward: list          # [{"call", "x", "y"}] in forward order
    backward: list         # [{"call", "x", "upstream", "current", "downstream"}] in TF's order
    product: str           # "1 × 32 × 8 × 4 = 1024"
    log: str               # the notebook's tf.print lines
    link: str
    mismatch: bool         # some downstream ≠ upstream × current
    y: float = math.nan    # forward value of y
    agrees: bool = True    # same dy/dx as TensorFlow's automatic gradient


@dataclass
class ChainRule:
    n: int
    x: float
    dtype: str
    y: float
    closed_form: str       # "dy/dx = 8·2⁷" (text for the student; the number is TensorFlow's)
    variants: dict         # key -> ChainVariant
    figure: go.Figure | None = None

    @property
    def overflowed(self) -> bool:
        """True if y or dy/dx did not fit in the precision (inf or NaN)."""
        return not (_finite(self.y) and _finite(self.variants["custom"].gradient))


def chain_rule(n: int = 3, x: float = 2.0, dtype: str = "float32", animate: str = "custom",
               presentation: bool = False) -> ChainRule:
    """foo(x) = x² composed ``n`` times at ``x``: custom, automatic and forgotten-upstream rules.

    >>> c = chain_rule(3, 2.0)
    >>> c.variants["custom"].product
    '1 × 32 × 8 × 4 = 1024'
    >>> [r["upstream"] for r in c.variants["custom"].backward]
    ['1', '32', '256']
    >>> c.variants["forgotten"].gradient, c.variants["automatic"].gradient
    (4.0, 1024.0)
    """
    variants = {}
    figure = None
    for key, title, rule, mode in CHAIN_RULES:
        source = chain_source(n, rule, x)
        prog = parse(source)
        modes = {"foo": mode}
        t = trace(prog, inputs={"x": float(x)}, modes=modes, dtype=dtype)
        variants[key] = _chain_variant(key, title, rule, mode, source, prog, t, x, dtype)
        if key == animate:
            figure = backward_figure(t, prog, presentation=presentation)
    reference = variants["automatic"].gradient
    for v in variants.values():
        v.agrees = _same(v.gradient, reference)
    y = variants["custom"].y
    k = 2 ** int(n)         # the exponent of y = x**(2**n), for the text only
    power = "" if k == 2 else _sup(k - 1)
    closed = f"y = x{_sup(k)}, so dy/dx = {k}·x{power} = {k}·{_power(x, k - 1)}"
    return ChainRule(int(n), float(x), dtype, y, closed, variants, figure)


def _chain_variant(key, title, rule, mode, source, prog, t, x, dtype) -> ChainVariant:
    g = t.graph
    forward = []
    calls = sorted((n for n, a in g.nodes(data=True) if a["kind"] == "call"),
                   key=lambda n: int(n[1:]))
    for i, node in enumerate(calls, start=1):
        a = g.nodes[node]
        xin = g.nodes[a["inputs"][0]]["value"]
        forward.append({"call": i, "x": fmt(xin), "y": fmt(a["value"])})
    backward, locals_ = [], []
    depth = {node: i for i, node in enumerate(calls, start=1)}
    for e in t.events:
        backward.append({"call": depth.get(e.node, 0), "x": fmt(e.inputs[0]),
                         "upstream": fmt(e.upstream), "current": fmt(e.local[0]),
                         "downstream": fmt(e.downstream[0])})
        locals_.append(e.local[0])
    gradient = t.gradients["x"]
    mismatch = any(r["check"] for r in event_rows(t))
    if mismatch:
        product = (" → ".join(r["downstream"] for r in backward)
                   + f": each call sends only its current; dy/dx = {fmt(gradient)}")
    else:
        product = " × ".join(["1"] + [fmt(v) for v in locals_]) + f" = {fmt(gradient)}"
    log_lines = [f"x={r['x']}\ty={r['y']}" for r in forward]
    log_lines += [f"x={r['x']}\tupstream={r['upstream']}\tcurrent={r['current']}\t"
                  f"downstream={r['downstream']}" for r in backward]
    log_lines += ["", f"final dy/dx={fmt(gradient)}"]
    link = explorer_link(source, inputs={"x": float(x)}, modes={"foo": mode}, dtype=dtype,
                         preset_key="foo3")
    return ChainVariant(key, title, rule, mode, source, gradient, forward, backward, product,
                        "\n".join(log_lines), link, mismatch, t.values["y"])


# ============================================================================ 2 straight-through
# Seed 000: y = 5x² + 3 in two steps; bad_step (x² above 5, a constant below) and its
# straight-through rule.

@dataclass
class TwoStep:
    x: float
    y1: float
    y2: float
    grad_y1: float | None     # d y1 / dx (the notebook's "gradient for step 1")
    grad_y2: float | None     # d y2 / dx
    rows: list                # backward events of y2, in TF's order
    link: str


def two_step(x: float = 6.0) -> TwoStep:
    """Seed 000's y1 = x², y2 = 5·y1 + 3 with each step's gradient.

    >>> r = two_step(6.0)
    >>> r.y1, r.y2, r.grad_y1, r.grad_y2
    (36.0, 183.0, 12.0, 60.0)
    """
    p = preset("two_step")
    prog = parse(p.source)
    inputs = {"x": float(x)}
    t1 = trace(prog, inputs=inputs, targets=["y1"])
    t2 = trace(prog, inputs=inputs, targets=["y2"])
    rows = [{"step": r["op"], "upstream": r["upstream"], "local": r["local"],
             "downstream": r["downstream"]} for r in event_rows(t2)]
    return TwoStep(float(x), t2.values["y1"], t2.values["y2"], t1.gradients["x"],
                   t2.gradients["x"], rows,
                   explorer_link(p.source, inputs=inputs, targets=["y2"], preset_key="two_step"))


def bad_step_at(x: float = 2.0, presentation: bool = False, figures: bool = True) -> dict:
    """bad_step at one ``x`` in both modes: values, both steps' gradients, why, and the graph.

    Returns ``{"automatic" | "custom": {"y1", "y2", "grad_y1", "grad_y2", "why", "figure",
    "link"}}``.

    >>> r = bad_step_at(2.0, figures=False)
    >>> r["automatic"]["grad_y1"], r["automatic"]["grad_y2"], r["custom"]["grad_y2"]
    (None, None, 5.0)
    """
    p = preset("bad_step")
    prog = parse(p.source)
    inputs = {"x": float(x)}
    out = {}
    for mode in ("automatic", "custom"):
        modes = {"bad_step": mode}
        t1 = trace(prog, inputs=inputs, modes=modes, targets=["y1"])
        t2 = trace(prog, inputs=inputs, modes=modes, targets=["y2"])
        why = explain_gradient(t2, prog, "x")
        out[mode] = {
            "y1": t2.values["y1"], "y2": t2.values["y2"],
            "grad_y1": t1.gradients["x"], "grad_y2": t2.gradients["x"], "why": why,
            "figure": backward_figure(t2, prog, presentation=presentation)
            if figures else None,
            "link": explorer_link(p.source, inputs=inputs, modes=modes, targets=["y2"],
                                  preset_key="bad_step"),
        }
    return out


@dataclass
class StraightThrough:
    target: str
    automatic: Sweep
    custom: Sweep
    none_ranges: list       # [(x_from, x_to)] where the automatic gradient is None


def straight_through(lo: float = 0.0, hi: float = 10.0, num: int = 101,
                     target: str = "y1") -> StraightThrough:
    """bad_step over x in [lo, hi]: forward value, automatic gradient, straight-through gradient.

    >>> s = straight_through(0.0, 10.0, 11)
    >>> s.automatic.gradients[2], s.custom.gradients[2], s.automatic.gradients[7]
    (None, 1.0, 14.0)
    >>> s.none_ranges
    [(0.0, 5.0)]
    """
    prog = parse(preset("bad_step").source)
    xs = np.linspace(float(lo), float(hi), int(num))
    auto = sweep(prog, "x", xs, target, modes={"bad_step": "automatic"})
    cust = sweep(prog, "x", xs, target, modes={"bad_step": "custom"})
    return StraightThrough(target, auto, cust, _runs(auto.xs, auto.gradients))


def _runs(xs, grads) -> list:
    """Contiguous stretches of x where the gradient is None: [(first x, last x)]."""
    runs, start = [], None
    for x, g in zip(xs, grads):
        if g is None and start is None:
            start = x
        if g is not None and start is not None:
            runs.append((start, prev))
            start = None
        prev = x
    if start is not None:
        runs.append((start, xs[-1]))
    return runs


def straight_through_figure(s: StraightThrough, x_mark: float | None = None,
                            presentation: bool = False) -> go.Figure:
    """Two panels over x: bad_step's forward value; its automatic and straight-through gradient.

    Where TensorFlow returns None the automatic line has a gap over a grey band labelled None.
    Where the branch switches (None on one side, a number on the other) every line breaks
    instead of drawing a slope that no x has.
    """
    st = _Style(presentation)
    name = "y1 = bad_step(x)" if s.target == "y1" else "y2 = 5·bad_step(x) + 3"
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        row_heights=[0.38, 0.62],
                        subplot_titles=(f"forward: {name}", f"gradient d{s.target}/dx"))
    xs, (forward, auto, custom) = _broken(
        s.automatic.xs, (s.automatic.values, s.automatic.gradients, s.custom.gradients),
        [g is None for g in s.automatic.gradients])
    fig.add_trace(go.Scatter(x=xs, y=forward, mode="lines", name="forward value",
                             line=dict(color=PALETTE["ink"], width=st.line)), row=1, col=1)
    fig.add_trace(go.Scatter(x=xs, y=auto, mode="lines", connectgaps=False,
                             name="TensorFlow automatic",
                             line=dict(color=PALETTE["gradient"], width=st.line * 2)),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=xs, y=custom, mode="lines", name="straight-through rule",
                             line=dict(color=PALETTE["custom"], width=st.line, dash="dash")),
                  row=2, col=1)
    fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name="automatic: None",
                             marker=dict(symbol="square", size=st.marker * 1.6,
                                         color=PALETTE["idle"],
                                         line=dict(color=PALETTE["none"], width=1))))
    for a, b in s.none_ranges:
        fig.add_vrect(x0=a, x1=b, row=2, col=1, fillcolor=PALETTE["idle"], opacity=1.0,
                      layer="below", line=dict(color=PALETTE["none"], width=1, dash="dot"))
        fig.add_annotation(x=(a + b) / 2, y=1, yref="y2 domain", yanchor="top",
                           showarrow=False, text="automatic gradient: None",
                           font=dict(size=st.font, color=PALETTE["muted"]))
    if x_mark is not None:
        for row in (1, 2):
            fig.add_vline(x=x_mark, row=row, col=1, line=dict(color=PALETTE["active"], width=2,
                                                              dash="dot"))
        fig.add_annotation(x=x_mark, y=0.98, yref="y domain", yanchor="top", xanchor="left",
                           showarrow=False, text=f" x = {fmt(x_mark)}",
                           font=dict(size=st.font, color=PALETTE["active"]))
    fig.update_annotations(font_size=st.font)
    _layout(fig, st, 640)
    fig.update_layout(margin=dict(t=80), legend=dict(y=1.1))
    fig.update_xaxes(title_text="x", row=2, col=1)
    return fig


def _broken(xs, series, kind):
    """Insert a gap (None) between neighbours whose ``kind`` differs (a branch switch)."""
    out_x, out = [], [[] for _ in series]
    for i, x in enumerate(xs):
        if i and kind[i] != kind[i - 1]:
            out_x.append((xs[i - 1] + x) / 2)
            for o in out:
                o.append(None)
        out_x.append(x)
        for o, ser in zip(out, series):
            o.append(ser[i])
    return out_x, out


# ============================================================================ 3 GradientTape
# Seed 002: f(w1, w2) = 3·w1² + 2·w1·w2.

def seed_f(w1, w2):
    """Seed 002's function, in TensorFlow ops (the forward pass only).

    >>> float(seed_f(tf.constant(5.0), tf.constant(3.0)))
    105.0
    """
    return 3 * w1 ** 2 + 2 * w1 * w2


@dataclass
class FiniteDifferences:
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
    if not _finite(v):
        return fmt(v)
    return str(np.float32(v)) if dtype == "float32" else repr(float(v))


def finite_difference_figure(r: FiniteDifferences, presentation: bool = False) -> go.Figure:
    """|finite difference − autodiff| against eps on log–log axes, one line per precision."""
    st = _Style(presentation)
    fig = go.Figure()
    colors = {"float64": PALETTE["gradient"], "float32": PALETTE["active"]}
    for dtype in ("float64", "float32"):
        fig.add_trace(go.Scatter(
            x=list(r.eps_grid), y=list(r.errors[dtype]), mode="lines+markers", name=dtype,
            line=dict(color=colors[dtype], width=st.line), marker=dict(size=st.marker * 0.7),
            hovertemplate="eps %{x:.1e}: error %{y:.2e}<extra>" + dtype + "</extra>"))
        err = abs(r.estimate[(r.wrt, dtype)] - r.autodiff[(r.wrt, dtype)])
        fig.add_trace(go.Scatter(
            x=[r.eps], y=[err if err > 0 else None], mode="markers", showlegend=False,
            marker=dict(size=st.marker * 2, color=colors[dtype], symbol="diamond",
                        line=dict(color=PALETTE["ink"], width=2)),
            hovertemplate=f"chosen eps: error %{{y:.2e}}<extra>{dtype}</extra>"))
    fig.add_vline(x=r.eps, line=dict(color=PALETTE["muted"], width=1.5, dash="dot"))
    fig.add_annotation(x=0.99, y=0.02, xref="paper", yref="paper", xanchor="right",
                       yanchor="bottom", showarrow=False, align="right",
                       text="large eps:<br>the curve bends away", font=dict(size=st.font,
                                                                          color=PALETTE["muted"]))
    fig.add_annotation(x=0.01, y=0.02, xref="paper", yref="paper", xanchor="left",
                       yanchor="bottom", showarrow=False, align="left",
                       text="small eps:<br>rounding error", font=dict(size=st.font,
                                                                    color=PALETTE["muted"]))
    _layout(fig, st, 460, f"error of the finite difference for ∂z/∂{r.wrt} (log scale)")
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(type="log", title_text="eps", exponentformat="power")
    fig.update_yaxes(type="log", title_text="|finite difference − tape.gradient|",
                     exponentformat="power")
    return fig


@dataclass
class TapeTwice:
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


# ============================================================================ 4 numerical stability
# Seeds 001 / 002: softplus(x) = log(1 + exp(x)) written five ways.

@dataclass(frozen=True)
class Formulation:
    key: str
    title: str
    source: str
    modes: tuple = ()          # ((function, mode), ...)
    preset: str | None = None
    note: str = ""


FORMULATIONS = (
    Formulation("naive", "log(exp(x) + 1), automatic gradient", preset("softplus").source,
                preset="softplus",
                note="exp(x) overflows to inf: the value is inf and the gradient NaN"),
    Formulation("custom", "log(exp(x) + 1), custom gradient", preset("softplus_custom").source,
                preset="softplus_custom",
                note="the rule grad / (1 + 1/exp(x)) stays finite; the forward value does not"),
    Formulation("where", "where(x > 30, x, log(exp(x) + 1))", preset("softplus_where").source,
                preset="softplus_where",
                note="right value, NaN gradient: the branch not taken still runs backward"),
    Formulation("safe_where", "where(x > 30, x, log(exp(minimum(x, 30)) + 1))",
                "# tf.where with a safe inner value: the branch not taken never overflows\n"
                "softplus_v3(z) = where(z > 30, z, log(exp(minimum(z, 30)) + 1))\n"
                "x = Variable(1000.0)\n"
                "y = softplus_v3(x)\n",
                note="both branches are finite everywhere, so 0 × (finite) = 0"),
    Formulation("builtin", "softplus(x), TensorFlow's built-in",
                "# TensorFlow's own tf.math.softplus, written to be stable\n"
                "x = Variable(1000.0)\n"
                "y = softplus(x)\n",
                note="tf.math.softplus is written to avoid the overflow"),
)
"""The softplus formulations compared on the numerical-stability page, unstable first."""


def _formulation(key: str) -> Formulation:
    for f in FORMULATIONS:
        if f.key == key:
            return f
    raise KeyError(key)


def overflow_threshold(dtype: str = "float32") -> float:
    """The largest x whose exp(x) is finite in ``dtype``: log of the dtype's maximum, by TF.

    >>> round(overflow_threshold("float32"), 2), round(overflow_threshold("float64"), 2)
    (88.72, 709.78)
    """
    dt = _tf_dtype(dtype)
    return float(tf.math.log(tf.constant(dt.max, dt)))


def stability_sweep(lo: float = -50.0, hi: float = 1000.0, num: int = 211) -> dict:
    """Every formulation over x in [lo, hi], in float32 and float64: {(key, dtype): Sweep}.

    >>> s = stability_sweep(0.0, 1000.0, 3)        # x = 0, 500, 1000
    >>> s[("naive", "float32")].values[1], s[("naive", "float64")].values[1]
    (inf, 500.0)
    >>> s[("where", "float64")].gradients
    (0.5, 1.0, nan)
    """
    xs = np.linspace(float(lo), float(hi), int(num))
    out = {}
    for f in FORMULATIONS:
        prog = parse(f.source)
        for dtype in ("float32", "float64"):
            out[(f.key, dtype)] = sweep(prog, "x", xs, "y", modes=dict(f.modes), dtype=dtype)
    return out


def stability_figure(sweeps: dict, presentation: bool = False) -> go.Figure:
    """Where each formulation's forward value and gradient stay finite, per precision.

    One row per (formulation, forward | gradient), one panel per precision; colour says
    finite, inf or NaN; hover gives the number. Dotted lines mark where exp overflows.
    """
    st = _Style(presentation)
    dtypes = ("float32", "float64")
    xs0 = sweeps[(FORMULATIONS[0].key, dtypes[0])].xs
    # where exp overflows goes in the panel's title: as a note of its own it ran into the
    # title ("88.72float32")
    titles = [f"{d} · exp(x) = inf for x > {overflow_threshold(d):.2f} (dotted)"
              if xs0[0] <= overflow_threshold(d) <= xs0[-1] else d for d in dtypes]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=titles)
    colours = [PALETTE["done"], PALETTE["active"], PALETTE["nan"]]
    scale = [[0, colours[0]], [1 / 3, colours[0]], [1 / 3, colours[1]], [2 / 3, colours[1]],
             [2 / 3, colours[2]], [1, colours[2]]]
    labels = []
    for f in FORMULATIONS:
        labels += [f"{f.title} · value", f"{f.title} · gradient"]
    for row, dtype in enumerate(dtypes, start=1):
        z, text = [], []
        for f in FORMULATIONS:
            s = sweeps[(f.key, dtype)]
            for series in (s.values, s.gradients):
                z.append([_status(v) for v in series])
                text.append([fmt(v, 3) for v in series])     # a map: 4 digits suffice
        xs = list(sweeps[(FORMULATIONS[0].key, dtype)].xs)
        fig.add_trace(go.Heatmap(
            x=xs, y=labels, z=z, text=text, zmin=0, zmax=2, colorscale=scale, showscale=False,
            xgap=0, ygap=3, hovertemplate="x = %{x:.4g}<br>%{y}<br>= %{text}<extra>" + dtype
                                          + "</extra>"), row=row, col=1)
        t = overflow_threshold(dtype)
        if xs[0] <= t <= xs[-1]:
            fig.add_vline(x=t, row=row, col=1, line=dict(color=PALETTE["ink"], width=2,
                                                         dash="dot"))
    for name, c in zip(("finite", "inf (overflow)", "NaN"), colours):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker=dict(symbol="square", size=st.marker * 1.8, color=c)))
    fig.update_annotations(font_size=st.font)
    _layout(fig, st, 40 + 2 * (60 + 34 * len(labels)))
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(showgrid=False, title_text="x", row=2, col=1)
    return fig


def _status(v) -> int:
    if v is None or math.isnan(v):
        return 2
    return 1 if math.isinf(v) else 0


def stability_at(x: float = 100.0, dtype: str = "float32") -> list:
    """Every formulation at one ``x``: forward value, gradient, and why either is not finite.

    >>> [(r["value"], r["gradient"]) for r in stability_at(100.0)]
    [('inf', 'NaN'), ('inf', '1'), ('100', 'NaN'), ('100', '1'), ('100', '1')]
    """
    rows = []
    for f in FORMULATIONS:
        prog = parse(f.source)
        t = trace(prog, inputs={"x": float(x)}, modes=dict(f.modes), dtype=dtype, expand=True)
        why = explain_gradient(t, prog, "x")
        if not why and not _finite(t.values["y"]):
            why = (f"the gradient is right, but the forward value overflowed to "
                   f"{fmt(t.values['y'])}: a custom gradient fixes only the backward pass")
        rows.append({"formulation": f.title, "value": fmt(t.values["y"]),
                     "gradient": fmt(t.gradients["x"]), "why": why,
                     "link": explorer_link(f.source, inputs={"x": float(x)},
                                           modes=dict(f.modes), dtype=dtype, expand=True,
                                           preset_key=f.preset)})
    return rows


@dataclass
class WhereTrap:
    x: float
    dtype: str
    value: float            # the trap's forward value (1000 at x = 1000)
    gradient: float | None  # the trap's gradient (NaN)
    why: str
    origin: str             # where the NaN was born, in words
    figure: go.Figure | None
    safe_value: float
    safe_gradient: float | None
    safe_figure: go.Figure | None
    link: str
    safe_link: str


def where_trap(x: float = 1000.0, dtype: str = "float32", presentation: bool = False,
               figures: bool = True) -> WhereTrap:
    """The tf.where trap at ``x``, with its ops expanded so the graph marks the NaN's origin.

    >>> w = where_trap(figures=False)
    >>> w.value, w.gradient, w.safe_value, w.safe_gradient
    (1000.0, nan, 1000.0, 1.0)
    >>> w.origin
    'exp: upstream 0 × local inf = NaN'
    """
    trap = _formulation("where")
    safe = _formulation("safe_where")
    inputs = {"x": float(x)}
    pt, ps = parse(trap.source), parse(safe.source)
    tt = trace(pt, inputs=inputs, dtype=dtype, expand=True)
    ts = trace(ps, inputs=inputs, dtype=dtype, expand=True)
    _, bwd = first_nonfinite(tt)
    origin = ""
    if bwd is not None:
        e = tt.events[bwd]
        origin = (f"{e.name}: upstream {fmt(e.upstream)} × local {fmt(e.local)} "
                  f"= {fmt(e.downstream)}")
    return WhereTrap(
        float(x), dtype, tt.values["y"], tt.gradients["x"], explain_gradient(tt, pt, "x"),
        origin,
        backward_figure(tt, pt, presentation=presentation) if figures else None,
        ts.values["y"], ts.gradients["x"],
        backward_figure(ts, ps, presentation=presentation) if figures else None,
        explorer_link(trap.source, inputs=inputs, dtype=dtype, expand=True,
                      preset_key="softplus_where"),
        explorer_link(safe.source, inputs=inputs, dtype=dtype, expand=True))

