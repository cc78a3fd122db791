"""The overlap test's text widths against Chromium's: the frame model sizes every text from
Arial's advance widths in classes (``figures.frames.text_size``); drawn by plotly in the real
browser, no text may be wider than that estimate, or "no two texts overlap" would be a claim
about a different page."""
from __future__ import annotations

import pytest

import graphviz_core as gc
from graphviz_core.figures.frames import text_size

pytestmark = pytest.mark.browser

# each drawn line: a multi-line text is a <text> of <tspan class="line">s
_TEXTS = """() => [...document.querySelectorAll('g.textpoint text, text.annotation-text')]
  .flatMap(e => { const s = getComputedStyle(e);
    const lines = [...e.querySelectorAll('tspan.line')];
    return (lines.length ? lines : [e]).map(t =>
      [t.textContent, t.getComputedTextLength(), parseFloat(s.fontSize), s.fontFamily]); })"""

_PROGRAMS = [
    gc.preset("foo3").source,
    "f(x) = x * sigmoid(x)\ngrad f(x, dy) = dy * (sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)))"
    "\nX = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]\nb = Variable([0.1, 0.2, 0.3])\n"
    "h = f(X * X + b)\ny = reduce_sum(h)",
]


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("source", _PROGRAMS, ids=["foo3", "tensors"])
def test_no_drawn_text_is_wider_than_its_estimate(browser, tmp_path, source, presentation):
    prog = gc.parse(source)
    fig = gc.backward_figure(gc.trace(prog), prog, presentation=presentation)
    page_file = tmp_path / "graph.html"
    # plotly.js inline: the test must not need the network
    page_file.write_text(fig.to_html(include_plotlyjs=True, auto_play=False))
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        page.goto(page_file.as_uri())
        page.wait_for_selector("g.textpoint text", timeout=30_000)
        drawn = page.evaluate(_TEXTS)
    finally:
        page.close()
    checked = 0
    for text, width, size, family in drawn:
        if not text.strip():
            continue
        estimate = text_size(text, size, bold="Black" in family)[0]
        assert width <= estimate + 0.5, (text, width, estimate)
        checked += 1
    assert checked >= 10
