"""The colours of every figure: the Okabe-Ito palette, which stays distinct for colour-blind
viewers (``tests/test_palette.py`` checks it under simulated colour blindness).

>>> PALETTE["gradient"], PALETTE["nan"]
('#0072B2', '#D55E00')
"""
from __future__ import annotations

__all__ = ["PALETTE"]

# Okabe & Ito (2008), "Color Universal Design"
PALETTE = {
    "ink": "#1a1a1a", "muted": "#6b6b6b", "edge": "#c9c9c9", "idle": "#eeeeee",
    "forward": "#56B4E9", "active": "#E69F00", "gradient": "#0072B2", "done": "#009E73",
    "custom": "#CC79A7", "none": "#6b6b6b", "nan": "#D55E00", "paper": "#ffffff",
}
