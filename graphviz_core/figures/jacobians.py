"""Forward mode on the graph (``pages/7_Jacobians.py``): tangents flowing left to right.

The reverse pass of the same program is the app's own backward figure
(:func:`~graphviz_core.figures.backward.backward_spec`); this draws the forward pass of a
``tf.autodiff.ForwardAccumulator`` on the same graph, with the node positions of the public
layout (:func:`~graphviz_core.layout.layered_layout`) and the same palette: frame ``k`` lights
the ``k``-th layer from the left and writes each node's tangent (its JVP) beside it.
"""
from __future__ import annotations

import plotly.graph_objects as go

from ..layout import layered_layout
from ..report import fmt
from .palette import PALETTE

__all__ = ["forward_mode_figure"]


def forward_mode_figure(graph, tangents: dict, presentation: bool = False,
                        height: int | None = None, title: str = "") -> go.Figure:
    """Animate ``tangents`` (``{node: tangent | None}``) over ``graph``, layer by layer.

    >>> import graphviz_core as gc
    >>> from graphviz_core.lessons.jacobians import jacobians
    >>> r = jacobians(2, 2)
    >>> fig = forward_mode_figure(r.graph, r.tangents)
    >>> len(fig.frames) == 1 + len({x for x, _ in gc.layered_layout(r.graph).values()})
    True
    """
    pos = layered_layout(graph)
    nodes = [n for n, k in graph.nodes(data="kind") if k != "literal" and n in pos]
    layers = sorted({pos[n][0] for n in nodes})
    k = 1.45 if presentation else 1.0
    size, font = round(46 * k), round(14 * k)

    def edge_trace(lit_until):
        xs, ys, lx, ly = [], [], [], []
        for a, b in graph.edges:
            if a not in pos or b not in pos or a not in nodes:
                continue
            on = lit_until is not None and pos[b][0] <= lit_until and tangents.get(a) is not None
            (lx if on else xs).extend([pos[a][0], pos[b][0], None])
            (ly if on else ys).extend([pos[a][1], pos[b][1], None])
        return [go.Scatter(x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                           line=dict(color=PALETTE["edge"], width=2 * k)),
                go.Scatter(x=lx, y=ly, mode="lines", hoverinfo="skip", showlegend=False,
                           line=dict(color=PALETTE["forward"], width=4 * k))]

    def node_trace(lit_until):
        colors, texts = [], []
        for n in nodes:
            on = lit_until is not None and pos[n][0] <= lit_until
            tan = tangents.get(n)
            colors.append(PALETTE["forward"] if on and tan is not None else
                          PALETTE["idle"] if not on else PALETTE["none"])
            name = graph.nodes[n]["names"][-1] if graph.nodes[n]["names"] else \
                graph.nodes[n]["label"]
            texts.append(f"{name}<br>jvp = {fmt(tan, 3)}" if on else name)
        # neighbouring layers write above and below their nodes: long tangents do not meet
        where = ["bottom center" if layers.index(pos[n][0]) % 2 == 0 else "top center"
                 for n in nodes]
        return go.Scatter(x=[pos[n][0] for n in nodes], y=[pos[n][1] for n in nodes],
                          mode="markers+text", text=texts, textposition=where,
                          textfont=dict(size=font, color=PALETTE["ink"]), showlegend=False,
                          hovertext=[f"{graph.nodes[n]['expr']}: tangent {fmt(tangents.get(n))}"
                                     for n in nodes], hoverinfo="text",
                          marker=dict(size=size, color=colors,
                                      line=dict(color=PALETTE["ink"], width=2 * k)))

    def state(lit_until):
        return [*edge_trace(lit_until), node_trace(lit_until)]

    frames = [go.Frame(data=state(None), name="f0")]
    frames += [go.Frame(data=state(x), name=f"f{i + 1}") for i, x in enumerate(layers)]
    xs = [p[0] for p in pos.values()] or [0.0]
    ys = [p[1] for p in pos.values()] or [0.0]
    fig = go.Figure(data=state(layers[-1] if layers else None), frames=frames)
    fig.update_xaxes(visible=False, range=[min(xs) - 0.6, max(xs) + 0.6])
    fig.update_yaxes(visible=False, range=[min(ys) - 0.9, max(ys) + 0.9])
    base = round(15 * k)
    fig.update_layout(
        height=height or round(460 * k), template="plotly_white", title=title,
        font=dict(size=base, color=PALETTE["ink"]), margin=dict(l=10, r=10, t=50, b=70),
        updatemenus=[dict(type="buttons", direction="left", x=0, y=-0.04, xanchor="left",
                          yanchor="top", showactive=False, font=dict(size=base),
                          buttons=[dict(label="▶ Play forward", method="animate",
                                        args=[None, dict(frame=dict(duration=700, redraw=True),
                                                         fromcurrent=False,
                                                         transition=dict(duration=0))])])],
        sliders=[dict(active=len(frames) - 1, x=0.25, len=0.75, y=-0.02, pad=dict(t=0),
                      currentvalue=dict(visible=False), font=dict(size=base - 2),
                      steps=[dict(label="start" if i == 0 else f"layer {i}", method="animate",
                                  args=[[f.name], dict(mode="immediate",
                                                       frame=dict(duration=0, redraw=True))])
                             for i, f in enumerate(frames)])])
    return fig
