"""A TensorFlow notebook cell pasted into the Explorer in a real browser (issue 18): seed
001's foo cell as written shows the same graph as the short-form preset and, beside it,
the lines the notebook printed, the rule's upstream/current/downstream lines included."""
from __future__ import annotations

import pytest

import graphviz_core as gc
from graphviz_core.seed_cells import PRINTED

from .test_explorer import figure, metric, no_exception, textarea

pytestmark = pytest.mark.browser


def test_a_pasted_seed_cell_prints_what_the_notebook_printed(app):
    page = app.goto(plot=True)
    box = textarea(page)
    with app.rerun():
        box.fill(gc.preset("py_foo").source)
        box.press("Control+Enter")
    app.wait_plot(page)
    no_exception(page)
    app.expect(metric(page)).to_have_text("1024")
    assert figure(page)["labels"] == ["x", "foo", "foo", "foo"]
    printout = page.locator('[data-testid="stCode"]', has_text="final dy/dx").first
    app.expect(printout).to_be_visible()
    text = printout.inner_text()
    for line in PRINTED["py_foo"]:
        assert " ".join(line.split()) in " ".join(text.split()), (line, text)
    app.expect(box).to_have_value(gc.preset("py_foo").source)
    app.screenshot("explorer-python-cell")
