"""The plotly layout of the backward-pass figure: axes in the frame model's px, the
Play/Pause row and the slider under the plot, the boxes around an expanded function call.

Used by :mod:`graphviz_core.figures.backward`.
"""
from __future__ import annotations

from .palette import PALETTE


def _buttons_px(fonts) -> int:
    return round(2.4 * fonts["legend"]) + 8              # the Play/Pause row


def _backward_layout(model: dict, names: list) -> dict:
    """The figure's layout as a plain dict: size, axes in plot px (the frame model's), the
    controls under the plot, the boxes of expanded calls, title."""
    v, fonts = model["view"], model["fonts"]
    ms = int(900 / max(v["speed"], 0.1))
    play = dict(frame=dict(duration=ms, redraw=False), fromcurrent=True, mode="immediate",
                transition=dict(duration=int(ms * 0.7), easing="cubic-in-out"))
    # Play/Pause on a row of their own, the slider below at full width: side by side, the
    # buttons (a width in px) covered the slider's first steps. Heights are known here, so
    # rows are px -> paper.
    top, bottom, height = v["margin_top"], v["margin_bottom"], v["figure_height"]
    below = -(_buttons_px(fonts) + 4) / max(v["height"], 1)
    layout = dict(
        height=height, paper_bgcolor=PALETTE["paper"], plot_bgcolor=PALETTE["paper"],
        # no margin at the sides: the plot is exactly as wide as the chart, and the frame
        # model's px are the screen's (a wider screen only widens the gaps)
        margin=dict(l=0, r=0, t=top, b=bottom, autoexpand=False),
        font=dict(family="Arial, Helvetica, sans-serif", size=fonts["info"]),
        hovermode="closest", dragmode=False, showlegend=False,
        xaxis=dict(range=[0, v["width"]], visible=False, fixedrange=True, autorange=False),
        yaxis=dict(range=[0, v["height"]], visible=False, fixedrange=True, autorange=False),
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=0.0, xanchor="left", yanchor="top",
            pad=dict(r=8, t=8), showactive=False,
            font=dict(size=fonts["legend"], color=PALETTE["ink"]),
            bgcolor=PALETTE["paper"], bordercolor=PALETTE["muted"],
            buttons=[
                dict(label="▶ Play", method="animate",
                     args=[None, {**play, "fromcurrent": False}]),
                dict(label="❚❚ Pause", method="animate",
                     args=[[None], dict(frame=dict(duration=0, redraw=False), mode="immediate",
                                        transition=dict(duration=0))]),
            ])],
        sliders=[dict(
            active=len(names) - 1, x=0.0, len=1.0, y=below, yanchor="top",
            pad=dict(t=8, b=0, l=8, r=8), currentvalue=dict(visible=False),
            # the step ticks: at the back of a lecture hall as large as the node text
            font=dict(size=fonts["legend"] if v["presentation"] else
                      max(10, fonts["legend"] - 2), color=PALETTE["ink"]),
            steps=[dict(label=_slider_label(n), method="animate",
                        args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=int(ms * 0.5)))])
                   for n in names])],
    )
    # boxes around the ops of an expanded function call (dot's clusters), titled inside
    clusters = model["clusters"]
    if clusters:
        layout["shapes"] = [dict(type="rect", x0=c["box"][0], x1=c["box"][2], y0=c["box"][1],
                                 y1=c["box"][3], layer="below",
                                 line=dict(color=PALETTE["custom"], width=1.5, dash="dot"),
                                 fillcolor="rgba(204,121,167,0.06)") for c in clusters]
        layout["annotations"] = [dict(x=c["title"][0], y=c["title"][1], text=c["name"],
                                      showarrow=False, xanchor="center", yanchor="middle",
                                      font=dict(size=fonts["info"], color=PALETTE["custom"]))
                                 for c in clusters if c["title"] is not None]
    layout["meta"] = dict(nodes=[nd["id"] for nd in model["nodes"]],
                          forward_frames=v["forward_frames"], backward_frames=v["backward_frames"],
                          view=v["name"], level=v["level"])
    if v["title"]:
        layout["title"] = dict(text=v["title"], x=0.01, font=dict(size=fonts["caption"]))
    return layout


def _slider_label(name: str) -> str:
    return ("→" if name[0] == "f" else "←") + str(int(name[1:]) + 1)
