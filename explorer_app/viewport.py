"""Which screen the page is on: "normal" (a 1280x720 projector, a laptop) or "large".

The graph's views are drawn in px for a screen (``graphviz_core.figures.frames.VIEWS``); a
wider one only stretched the 1280 drawing, so a 2-layer MLP at 1920x1080 was names only in
a strip of gaps. The server cannot know the window, so a component without a body (a few
lines of JavaScript, Streamlit's components v2) measures the page and reports its class,
only when it differs from what the server draws for: a 1280 screen never costs a rerun, a
1920 one costs one on its first visit (and one when the window is resized across the line).
"""
from __future__ import annotations

import streamlit as st

from graphviz_core.figures.frames import LARGE_HEIGHT, LARGE_PAGE, SCREENS

__all__ = ["screen", "report"]

KEY = "viewport"

# The page's content width (the main block less its padding: what the columns share) and
# the window's height; a ResizeObserver follows the window and the sidebar opening.
_JS = """
export default function ({ data, setStateValue }) {
  const main = () => document.querySelector('[data-testid="stMainBlockContainer"]');
  let sent = data.size;     // once per change: the observer's first call repeats this one's
  const report = () => {
    const m = main();
    if (!m) return;
    const cs = getComputedStyle(m);
    const page = m.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
    const size = (page >= data.page && window.innerHeight >= data.height) ? "large" : "normal";
    if (size !== sent) { sent = size; setStateValue("size", size); }
  };
  report();
  const seen = new ResizeObserver(report);
  if (main()) seen.observe(main());
  window.addEventListener("resize", report);
  return () => { seen.disconnect(); window.removeEventListener("resize", report); };
}
"""


@st.cache_resource
def _component():
    return st.components.v2.component("ge_viewport", js=_JS)


def screen() -> str:
    """The class the page last reported ("normal" until it has)."""
    state = st.session_state.get(KEY)
    size = state.get("size") if hasattr(state, "get") else None
    return size if size in SCREENS else "normal"


def report(on_change=None) -> None:
    """Mount the measuring component (once per whole-page run, at the page's end: it has no
    height). A change of class reruns the page, which then draws for it; ``on_change`` runs
    first (the page keeps what it shows "until the next change": this is none)."""
    _component()(key=KEY, data={"size": screen(), "page": LARGE_PAGE, "height": LARGE_HEIGHT},
                 default={"size": None}, on_size_change=on_change or (lambda: None),
                 height=0)
