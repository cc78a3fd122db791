"""The figure's colours stay distinct for colour-blind viewers (issue 6).

Each colour is passed through the simulation of Machado, Oliveira and Fernandes (2009,
severity 1: protanopia, deuteranopia, tritanopia), applied in linear RGB, and colours that
mean different things must stay apart in CIE Lab (ΔE*ab). The simulation is checked first on
a pair it must confuse (red vs green for a deuteranope), so this test can fail.
"""
from __future__ import annotations

import itertools
import math

import pytest

from graphviz_core import PALETTE

# Machado et al. 2009, Table 1, severity 1.0 (rows: R', G', B' from linear R, G, B)
CVD = {
    "protanopia": ((0.152286, 1.052583, -0.204868),
                   (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968),
                     (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "tritanopia": ((1.255528, -0.076749, -0.178779),
                   (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}

# colours a viewer must tell apart, with what they mean in the figure
NODE_STATES = ("idle", "forward", "done", "none", "nan", "active")   # node fills, the halo
EDGE_KINDS = ("gradient", "none", "nan", "edge")                 # edges: flowing/None/NaN/idle
MIN_DELTA_E = 12        # ~ clearly different at a glance (2.3 is a just-noticeable difference)


def _linear(c: float) -> float:
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def _rgb(hex_colour: str) -> tuple:
    h = hex_colour.lstrip("#")
    return tuple(_linear(int(h[i:i + 2], 16) / 255) for i in (0, 2, 4))


def simulate(hex_colour: str, kind: str | None) -> tuple:
    """Linear RGB of a colour as a viewer with ``kind`` of colour blindness sees it."""
    rgb = _rgb(hex_colour)
    if kind is None:
        return rgb
    return tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb)))) for row in CVD[kind])


def lab(rgb: tuple) -> tuple:
    """CIE L*a*b* (D65) of a linear-RGB colour."""
    r, g, b = rgb
    xyz = (0.4124 * r + 0.3576 * g + 0.1805 * b,
           0.2126 * r + 0.7152 * g + 0.0722 * b,
           0.0193 * r + 0.1192 * g + 0.9505 * b)
    white = (0.95047, 1.0, 1.08883)

    def f(t):
        return t ** (1 / 3) if t > (6 / 29) ** 3 else t / (3 * (6 / 29) ** 2) + 4 / 29
    fx, fy, fz = (f(v / w) for v, w in zip(xyz, white))
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(a: str, b: str, kind: str | None) -> float:
    return math.dist(lab(simulate(a, kind)), lab(simulate(b, kind)))


def test_the_simulation_confuses_red_and_green_for_a_deuteranope():
    red, green = "#d62728", "#2ca02c"         # the usual default red and green (tab10)
    assert delta_e(red, green, None) > 40
    assert delta_e(red, green, "deuteranopia") < MIN_DELTA_E
    assert delta_e("#0072B2", "#D55E00", "deuteranopia") > 40     # blue vs vermillion holds


@pytest.mark.parametrize("kind", [None, *CVD])
@pytest.mark.parametrize("group", [NODE_STATES, EDGE_KINDS], ids=["nodes", "edges"])
def test_palette_colours_stay_apart(group, kind):
    close = [(a, b, round(delta_e(PALETTE[a], PALETTE[b], kind), 1))
             for a, b in itertools.combinations(group, 2)
             if delta_e(PALETTE[a], PALETTE[b], kind) < MIN_DELTA_E]
    assert not close, f"{kind or 'normal vision'}: too close (ΔE < {MIN_DELTA_E}): {close}"


@pytest.mark.parametrize("kind", [None, *CVD])
def test_custom_outline_differs_from_every_node_fill(kind):
    for state in NODE_STATES:
        assert delta_e(PALETTE["custom"], PALETTE[state], kind) >= MIN_DELTA_E, (state, kind)
