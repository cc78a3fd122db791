"""Sizes and layout of the backward-pass figure: fonts and node sizes (scaled for a
projector and shrunk for big graphs), the figure's height, margins, the Play/Pause row and
the slider, and the boxes around an expanded function call.

Used by :mod:`graphviz_core.figures.backward`.
"""
from __future__ import annotations

from .palette import PALETTE


class _Sizes:
    def __init__(self, presentation: bool):
        k = 1.45 if presentation else 1.0
        self.k = k
        self.label = round(14 * k)
        self.info = round(13 * k)
        self.hover = round(14 * k)
        self.packet_text = round(15 * k)
        self.packet = round(14 * k)
        self.edge = 2.0 * k
        self.outline = 2.0 * k
        self.legend_marker = round(14 * k)
        self.info_gap = 0.2
        self.title = round(17 * k)

        self.dense, self.scale, self.labels = False, 1.0, True

    def fit(self, cols: int, rows: int) -> None:
        """Shrink for big graphs: below ~130 px a layer, nodes get smaller and only the
        active node keeps its text (everything stays in the hover and the caption)."""
        width = 1750 if self.k > 1 else 1050        # the graph's share of a 1920 px screen
        per_col = width / max(cols + 0.4, 1)
        per_row = 1500 / max(rows, 1)
        self.dense = per_col < 130 or per_row < 110
        self.scale = max(0.3, min(1.0, per_col / 130, per_row / 110))
        self.labels = self.node_size("xx") >= 30
        self.packet = max(6, round(self.packet * self.scale))

    def node_size(self, label: str) -> float:
        return round(max(52, 10 * min(len(label), 9) + 16) * self.k * self.scale)


def _y_range(ys) -> tuple:
    """The fixed y axis: room below the lowest node for its text, above for the caption."""
    return min(ys) - 0.95, max(ys) + 0.75


_LINE_EM = 1.3         # plotly's text line height, in font sizes


def _height(s, rows: int, plot_px: float = 0.0) -> int:
    """The figure's height in px for ``rows`` nodes in the tallest layer, with at least
    ``plot_px`` between the margins (what a node and its text need, row after row)."""
    # a graph below the "dense" line (~13 rows) fits its text: a figure taller than a
    # screen scrolls, text written across nodes cannot be read at all
    most = 2800 if s.k > 1 else 2000
    usual = int(min(1800, max(460, 190 + 135 * rows)) * (1.25 if s.k > 1 else 1))
    return int(min(most, max(usual, sum(_margins(s)) + plot_px)))


def _buttons_px(s) -> int:
    return round(2.4 * s.info) + 8              # the Play/Pause row


def _margins(s) -> tuple:
    """(top, bottom) margins in px; the bottom holds the Play/Pause row and the slider."""
    return 40 + 20 * (s.k > 1), _buttons_px(s) + round(3.2 * s.info) + 34


def _backward_layout(trace, g, pos, values, s, names, speed, height, title, y_range) -> dict:
    """The figure's layout as a plain dict: size (``height`` in px, known), axes, controls,
    function boxes, title."""
    xs = [p[0] for p in pos.values()] or [0]
    ms = int(900 / max(speed, 0.1))
    play = dict(frame=dict(duration=ms, redraw=False), fromcurrent=True, mode="immediate",
                transition=dict(duration=int(ms * 0.7), easing="cubic-in-out"))
    # Play/Pause on a row of their own, the slider below at full width: side by side, the
    # buttons (a width in px) covered the slider's first steps (placed at a fraction of a
    # width that depends on the screen). Heights are known here, so rows are px -> paper.
    top, bottom = _margins(s)
    below = -(_buttons_px(s) + 4) / max(height - top - bottom, 1)
    layout = dict(
        height=height, paper_bgcolor=PALETTE["paper"], plot_bgcolor=PALETTE["paper"],
        margin=dict(l=10, r=10, t=top, b=bottom),
        font=dict(family="Arial, Helvetica, sans-serif", size=s.info),
        hovermode="closest", dragmode=False,
        legend=dict(orientation="h", x=1, xanchor="right", y=1.0, yanchor="bottom",
                    font=dict(size=s.info)),
        xaxis=dict(range=[min(xs) - 0.7, max(xs) + 0.7], visible=False, fixedrange=True,
                   autorange=False),
        yaxis=dict(range=list(y_range), visible=False, fixedrange=True,
                   autorange=False),
        updatemenus=[dict(
            type="buttons", direction="left", x=0.0, y=0.0, xanchor="left", yanchor="top",
            # (a larger font does not enlarge plotly's button: its text met the border)
            pad=dict(r=8, t=8), showactive=False, font=dict(size=s.info, color=PALETTE["ink"]),
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
            pad=dict(t=8, b=0), currentvalue=dict(visible=False),
            # the step ticks: at the back of a lecture hall as large as the node text
            font=dict(size=s.info if s.k > 1 else max(10, s.info - 3), color=PALETTE["ink"]),
            steps=[dict(label=_slider_label(n), method="animate",
                        args=[[n], dict(mode="immediate", frame=dict(duration=0, redraw=False),
                                        transition=dict(duration=int(ms * 0.5)))])
                   for n in names])],
    )
    # boxes around the ops of an expanded function call
    groups: dict[str, list] = {}
    for n in values:
        if g.nodes[n]["group"]:
            groups.setdefault(g.nodes[n]["group"], []).append(pos[n])
    boxes = {gid: (min(p[0] for p in pts) - 0.5, max(p[0] for p in pts) + 0.35,
                   min(p[1] for p in pts) - 0.55, max(p[1] for p in pts) + 0.35)
             for gid, pts in groups.items()}
    if _overlapping(list(boxes.values())):
        boxes = {}      # interleaved calls: the hover names the function instead
    shapes = [dict(type="rect", x0=x0, x1=x1, y0=y0, y1=y1, layer="below",
                   line=dict(color=PALETTE["custom"], width=1.5, dash="dot"),
                   fillcolor="rgba(204,121,167,0.06)")
              for x0, x1, y0, y1 in boxes.values()]
    # the function's name inside its box, at the top: above the box it ran into the caption
    notes = [dict(x=x0, y=y1, text=gid.split("#")[0], showarrow=False,
                  xanchor="left", yanchor="top", xshift=4,
                  font=dict(size=s.info, color=PALETTE["custom"]))
             for gid, (x0, x1, y0, y1) in boxes.items()]
    if boxes:
        layout.update(shapes=shapes, annotations=notes)
    layout["meta"] = dict(nodes=values, forward_frames=sum(1 for n in names if n[0] == "f"),
                          backward_frames=len(trace.events))
    if title:
        layout["title"] = dict(text=title, x=0.01, font=dict(size=s.title))
    return layout


def _overlapping(boxes) -> bool:
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a[0] < b[1] and b[0] < a[1] and a[2] < b[3] and b[2] < a[3]:
                return True
    return False


def _slider_label(name: str) -> str:
    return ("→" if name[0] == "f" else "←") + str(int(name[1:]) + 1)
