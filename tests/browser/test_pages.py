"""Every page of the app in a real browser: it loads without an exception box, and a
screenshot of it (1920x1080, and the whole length) lands in test-artifacts/screenshots/.

Pages are found by globbing ``pages/*.py`` when the tests are collected, so a lesson page
added later is covered without touching this file.
"""
from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
TRAINING_PAGE = ROOT / "pages" / "5_Sign_training_lab.py"


def url_path(script: Path) -> str:
    """The URL path Streamlit serves a ``pages/`` script under: 1_Chain_rule.py -> Chain_rule."""
    try:
        from streamlit.source_util import page_icon_and_name
        return page_icon_and_name(script)[1]
    except ImportError:    # the same rule, should Streamlit move the helper
        m = re.fullmatch(r"([0-9]*)[_ -]*(.*)\.py", script.name)
        return re.sub(r"[_ ]+", "_", m.group(2)).strip() or m.group(1)


PAGES = [pytest.param("", "explorer", id="explorer")] + [
    pytest.param(url_path(p), f"page-{p.stem}", id=p.stem)
    for p in sorted((ROOT / "pages").glob("*.py"))]


@pytest.mark.parametrize("path, shot", PAGES)
def test_page_loads_without_an_exception(app, path, shot):
    page = app.goto(path)
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert page.locator('[data-testid="stMain"] h1').count() >= 1, "the page has no title"
    assert urlsplit(page.url).path.strip("/") == path, f"{path} was not served: {page.url}"
    # every plotly figure on the page has drawn
    charts = page.locator('[data-testid="stPlotlyChart"]')
    for i in range(charts.count()):
        charts.nth(i).locator(".main-svg").first.wait_for(state="attached")
    app.screenshot(shot)
    app.screenshot(f"{shot}-full", full=True)
    assert app.errors() == [], f"JavaScript errors on {path or 'the Explorer'}: {app.errors()}"
    # the sidebar's list: the main page by its name (Streamlit's own list said "app"), every
    # lesson, and this page marked as the current one
    nav = page.locator('[data-testid="stSidebar"] [data-testid="stPageLink"] a')
    labels = [t.strip() for t in nav.all_inner_texts()]
    assert labels[0] == "Explorer" and len(labels) == len(PAGES), labels
    assert page.locator('[data-testid="stSidebarNav"]').count() == 0, "Streamlit's list is back"
    backgrounds = nav.evaluate_all("links => links.map(a => getComputedStyle(a).backgroundColor)")
    here = [p.values[0] for p in PAGES].index(path)
    assert [b for i, b in enumerate(backgrounds) if b == backgrounds[here]] == [backgrounds[here]], \
        f"the current page is not the one link highlighted: {backgrounds}"


# ---------------------------------------------------------------------------- the training lab

# What the training chart draws, read on every animation frame while the page trains: for
# each run, the number of points of its curve in each of the four panels and the last value.
_RECORD_CURVES = """
() => {
  window.__curves = [];
  const read = () => {
    const runs = {};
    for (const gd of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
      for (const t of gd.data || []) {
        if (!/^#\\d+/.test(String(t.name)) || !t.x) continue;
        const run = String(t.name).match(/^#\\d+/)[0];
        const ys = t.y || [];
        (runs[run] = runs[run] || {})[t.yaxis || 'y'] = {n: t.x.length, last: ys[ys.length - 1]};
      }
    }
    return {runs};
  };
  const tick = () => {
    const s = read(), prev = window.__curves[window.__curves.length - 1];
    if (!prev || JSON.stringify(prev) !== JSON.stringify(s)) window.__curves.push(s);
    window.__curveTimer = requestAnimationFrame(tick);
  };
  tick();
}
"""


@pytest.mark.skipif(not TRAINING_PAGE.exists(), reason=f"{TRAINING_PAGE.name} not written yet")
def test_training_curves_grow_live_and_end_at_the_seed_result(app):
    page = app.goto(url_path(TRAINING_PAGE))
    with app.rerun():
        page.get_by_role("button", name="Clear runs").click()
    app.expect(page.get_by_text("No runs yet")).to_be_visible()
    # the seed's run: the sigmoid rule, Adam 0.1, 100 steps from x = -1
    chosen = page.locator('[data-testid="stRadio"]', has_text="Gradient of sign") \
                 .locator('[data-testid="stRadioOption"][data-selected="true"]').inner_text()
    assert chosen.lower().startswith("sigmoid"), chosen
    for name, value in (("Start x", "-1"), ("Learning rate", "0.1"), ("Steps", "100")):
        app.expect(page.get_by_role("spinbutton", name=name)).to_have_value(value)

    page.evaluate(_RECORD_CURVES)
    with app.rerun(timeout=120_000):
        page.get_by_role("button", name="▶ Run").click()
    page.wait_for_function("""() => window.__curves.some(s => Object.values(s.runs)
                                      .some(r => r.y2 && r.y2.n === 100))""")
    samples = page.evaluate("cancelAnimationFrame(window.__curveTimer), window.__curves")
    runs = {run for s in samples for run in s["runs"]}
    assert len(runs) == 1, f"expected only the new run on the chart: {runs}"
    run = runs.pop()
    points = [s["runs"][run]["y2"]["n"] for s in samples if run in s["runs"]]
    assert points == sorted(points), f"the curve shrank while training: {points}"
    assert any(0 < n < 100 for n in points), \
        f"the curves did not grow while training ran, only {sorted(set(points))} points seen"

    final = next(s["runs"][run] for s in reversed(samples)
                 if run in s["runs"] and s["runs"][run]["y2"]["n"] == 100)
    assert final["y2"]["last"] == pytest.approx(0.99, abs=0.01)      # x, seed 003: 0.990...
    assert final["y3"]["last"] == 1                                  # sign(x)
    assert final["y"]["last"] == 0                                   # the loss
    assert page.locator('[data-testid="stException"]').count() == 0
    app.screenshot("page-5_Sign_training_lab-trained")
    assert app.errors() == []


@pytest.mark.skipif(not TRAINING_PAGE.exists(), reason=f"{TRAINING_PAGE.name} not written yet")
def test_a_stopped_run_is_the_one_inspected(app):
    """■ Stop keeps the steps done, and "Inspect a run" shows that run: Stop's rerun used to
    bring the select box's earlier choice (#2) back from the browser. On a fast machine
    5000 steps can end before the click lands: then the next run is stopped instead (a run
    that finished is not what this test is about)."""
    page = app.goto(url_path(TRAINING_PAGE), page=app.new_page())
    app.type_number("Steps", 5000, page)
    stopped = None
    for _attempt in range(3):
        page.get_by_role("button", name="▶ Run").click()
        stop = page.get_by_role("button", name="■ Stop")
        app.expect(stop).to_be_visible(timeout=60_000)
        with app.rerun(page, timeout=120_000):
            stop.click()                        # at once: 5000 steps take a few seconds
        said = page.get_by_text(re.compile(r"#\d+ .* was stopped at step \d+ of 5000"))
        try:
            app.expect(said.last).to_be_visible(timeout=5_000)
        except AssertionError:
            continue                            # it ended first: run again, stop sooner
        stopped = re.match(r"#(\d+)", said.last.inner_text()).group(1)
        break
    assert stopped is not None, "no run was stopped in three tries"
    chosen = page.locator('[data-testid="stSelectbox"] input[aria-label="Run"]')
    app.expect(chosen).to_have_value(re.compile(rf"^#{stopped} "))
    page.close()
