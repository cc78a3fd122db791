"""The lesson pages' plotly figures: bad_step's gradient over x (``pages/2_Straight_through.py``,
seed 000), the error of a finite difference against eps (``pages/3_GradientTape_mechanics.py``,
seed 002) and where each softplus formulation stays finite (``pages/4_Numerical_stability.py``,
seeds 001 and 002).

Each builder draws a result that :mod:`graphviz_core.lessons` computed (its dataclasses are
read by attribute); nothing here imports the lessons, so the lessons can import these.
The graphs of a backward pass are :mod:`graphviz_core.figures.backward`'s.
"""
from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..report import fmt
from .palette import PALETTE

__all__ = ["straight_through_figure", "finite_difference_figure", "stability_map"]


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
    """The lesson figures' common look: size, fonts, colours, grid, legend on top."""
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


def straight_through_figure(s, x_mark: float | None = None,
                            presentation: bool = False) -> go.Figure:
    """Two panels over x: bad_step's forward value; its automatic and straight-through gradient.

    ``s`` is a :class:`graphviz_core.lessons.StraightThrough`. Where TensorFlow returns None
    the automatic line has a gap over a grey band labelled None. Where the branch switches
    (None on one side, a number on the other) every line breaks instead of drawing a slope
    that no x has.

    >>> from graphviz_core import lessons
    >>> fig = straight_through_figure(lessons.straight_through(0.0, 10.0, 11), x_mark=2.0)
    >>> [a.text for a in fig.layout.annotations]
    ['forward: y1 = bad_step(x)', 'gradient dy1/dx', 'automatic gradient: None', ' x = 2']
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


def finite_difference_figure(r, presentation: bool = False) -> go.Figure:
    """|finite difference − autodiff| against eps on log–log axes, one line per precision.

    ``r`` is a :class:`graphviz_core.lessons.FiniteDifferences`.

    >>> from graphviz_core import lessons
    >>> fig = finite_difference_figure(lessons.finite_differences(eps_grid=[1e-2, 1e-4]))
    >>> fig.layout.title.text, [t.name for t in fig.data if t.showlegend is not False]
    ('error of the finite difference for ∂z/∂w1 (log scale)', ['float64', 'float32'])
    """
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


def stability_map(sweeps: dict, formulations, thresholds: dict,
                  presentation: bool = False) -> go.Figure:
    """Where each formulation's forward value and gradient stay finite, per precision.

    ``sweeps`` is ``{(key, dtype): Sweep}`` (:func:`graphviz_core.lessons.stability_sweep`),
    ``formulations`` the rows in order (anything with ``key`` and ``title``, such as
    :data:`graphviz_core.lessons.FORMULATIONS`), ``thresholds`` ``{dtype: x}``, where exp(x)
    overflows, one panel per dtype in its order. One row per (formulation, forward |
    gradient); colour says finite, inf or NaN; hover gives the number. Dotted lines mark
    where exp overflows. :func:`graphviz_core.lessons.stability_figure` fills in the lesson's.

    >>> from graphviz_core import lessons
    >>> fig = stability_map(lessons.stability_sweep(0.0, 1000.0, 3), lessons.FORMULATIONS,
    ...                     {"float32": 88.72, "float64": 709.78})
    >>> [a.text for a in fig.layout.annotations][1]
    'float64 · exp(x) = inf for x > 709.78 (dotted)'
    >>> fig.data[0].z[0]       # naive, float32, value at x = 0, 500, 1000: finite, inf, inf
    [0, 1, 1]
    """
    st = _Style(presentation)
    formulations = list(formulations)
    dtypes = tuple(thresholds)
    xs0 = sweeps[(formulations[0].key, dtypes[0])].xs
    # where exp overflows goes in the panel's title: as a note of its own it ran into the
    # title ("88.72float32")
    titles = [f"{d} · exp(x) = inf for x > {thresholds[d]:.2f} (dotted)"
              if xs0[0] <= thresholds[d] <= xs0[-1] else d for d in dtypes]
    fig = make_subplots(rows=len(dtypes), cols=1, shared_xaxes=True, vertical_spacing=0.12,
                        subplot_titles=titles)
    colours = [PALETTE["done"], PALETTE["active"], PALETTE["nan"]]
    scale = [[0, colours[0]], [1 / 3, colours[0]], [1 / 3, colours[1]], [2 / 3, colours[1]],
             [2 / 3, colours[2]], [1, colours[2]]]
    labels = []
    for f in formulations:
        labels += [f"{f.title} · value", f"{f.title} · gradient"]
    for row, dtype in enumerate(dtypes, start=1):
        z, text = [], []
        for f in formulations:
            s = sweeps[(f.key, dtype)]
            for series in (s.values, s.gradients):
                z.append([_status(v) for v in series])
                text.append([fmt(v, 3) for v in series])     # a map: 4 digits suffice
        xs = list(sweeps[(formulations[0].key, dtype)].xs)
        fig.add_trace(go.Heatmap(
            x=xs, y=labels, z=z, text=text, zmin=0, zmax=2, colorscale=scale, showscale=False,
            xgap=0, ygap=3, hovertemplate="x = %{x:.4g}<br>%{y}<br>= %{text}<extra>" + dtype
                                          + "</extra>"), row=row, col=1)
        t = thresholds[dtype]
        if xs[0] <= t <= xs[-1]:
            fig.add_vline(x=t, row=row, col=1, line=dict(color=PALETTE["ink"], width=2,
                                                         dash="dot"))
    for name, c in zip(("finite", "inf (overflow)", "NaN"), colours):
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=name,
                                 marker=dict(symbol="square", size=st.marker * 1.8, color=c)))
    fig.update_annotations(font_size=st.font)
    _layout(fig, st, 40 + len(dtypes) * (60 + 34 * len(labels)))
    fig.update_layout(hovermode="closest")
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    fig.update_xaxes(showgrid=False, title_text="x", row=len(dtypes), col=1)
    return fig


def _status(v) -> int:
    """The colour of a value in the map: 0 finite, 1 inf, 2 NaN or None."""
    if v is None or math.isnan(v):
        return 2
    return 1 if math.isinf(v) else 0

