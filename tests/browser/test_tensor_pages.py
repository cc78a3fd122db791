"""Issue 19's labs in Chromium: ▶ Play makes the curves grow and the boundary move while it
plays, ❚❚ stops them; screenshots at 1920x1080 and at 1280x720 with ?presentation=1."""
from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser

# What the page's figures draw, read on every animation frame: points of each run's curves,
# and the classifier's boundary line (its two end points).
_RECORD = """
() => {
  window.__seen = [];
  const read = () => {
    const s = {curves: {}, boundary: null};
    for (const gd of document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')) {
      for (const t of gd.data || []) {
        const name = String(t.name);
        if (/^#\\d+/.test(name) && t.x && t.mode === 'lines' && (t.yaxis || 'y') === 'y')
          s.curves[name.match(/^#\\d+/)[0]] = t.x.length;
        if (name === 'boundary') s.boundary = JSON.stringify([t.x, t.y]);
      }
    }
    return s;
  };
  const tick = () => {
    const s = read(), prev = window.__seen[window.__seen.length - 1];
    if (!prev || JSON.stringify(prev) !== JSON.stringify(s)) window.__seen.push(s);
    window.__timer = requestAnimationFrame(tick);
  };
  tick();
}
"""


def _play_and_pause(app, page, run: str, points: int):
    page.evaluate(_RECORD)
    page.get_by_role("button", name="▶ Play").click()
    page.wait_for_function(f"""() => window.__seen.some(s => (s.curves['{run}'] || 0)
                                      >= {points})""", timeout=120_000)
    app.screenshot(f"{page_name(page)}-playing")
    page.get_by_role("button", name="❚❚ Pause").click()
    # paused once the button says ▶ again and the page has settled (a tick may be in flight)
    app.expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=60_000)
    app.wait_idle(page)
    seen = page.evaluate("cancelAnimationFrame(window.__timer), window.__seen")
    assert page.locator('[data-testid="stException"]').count() == 0
    return seen


def page_name(page) -> str:
    return "page-" + page.url.rstrip("/").split("/")[-1].split("?")[0]


def test_classifier_curves_grow_and_the_boundary_moves_while_playing(app):
    page = app.goto("Binarized_classifier")
    seen = _play_and_pause(app, page, "#1", 20)
    counts = [max(s["curves"].values()) for s in seen if s["curves"]]
    assert counts == sorted(counts), f"a curve shrank while playing: {counts}"
    assert len(set(counts)) >= 3, f"the curves did not grow step by step: {sorted(set(counts))}"
    boundaries = {s["boundary"] for s in seen if s["boundary"]}
    assert len(boundaries) >= 2, "the decision boundary did not move while playing"
    # paused: nothing more arrives (the baseline taken once the chart has drawn what the
    # last tick sent: on a busy machine plotly drew it after the page said idle)
    page.wait_for_timeout(1500)
    page.evaluate(_RECORD)
    page.wait_for_timeout(300)
    n = max(page.evaluate("cancelAnimationFrame(window.__timer), window.__seen")[-1]["curves"]
            .values())
    page.wait_for_timeout(2000)
    page.evaluate(_RECORD)
    page.wait_for_timeout(300)
    later = page.evaluate("cancelAnimationFrame(window.__timer), window.__seen")
    assert max(later[-1]["curves"].values()) == n, "the curves kept growing after ❚❚ Pause"
    assert app.errors() == []


def test_stop_ends_a_run_to_the_end_and_keeps_its_steps(app):
    page = app.goto("Binarized_classifier", page=app.new_page())
    app.type_number("Steps", 2000, page)
    page.get_by_role("button", name="Run to the end").click()
    stop = page.get_by_role("button", name="■ Stop")
    app.expect(stop).to_be_visible(timeout=60_000)
    app.expect(page.get_by_text(re.compile(r"step [1-9]\d* of 2000 \(playing\)"))) \
        .to_be_visible(timeout=60_000)
    stop.click()
    app.expect(page.get_by_text(re.compile(r"step \d+ of 2000 \(paused\)"))) \
        .to_be_visible(timeout=60_000)
    done = int(re.search(r"step (\d+) of 2000", page.get_by_text(
        re.compile(r"of 2000 \(paused\)")).inner_text()).group(1))
    assert 0 < done < 2000
    assert page.locator('[data-testid="stException"]').count() == 0
    page.close()


def test_sign_lab_curves_grow_while_playing(app):
    page = app.goto("Sign_training_lab")
    seen = _play_and_pause(app, page, "#3", 12)
    new = [s["curves"].get("#3") for s in seen if s["curves"].get("#3")]
    assert new == sorted(new) and len(set(new)) >= 3, f"#3 did not grow: {sorted(set(new))}"
    assert app.errors() == []


@pytest.mark.parametrize("path", ["Shapes_and_broadcasting", "Jacobians", "Binarized_classifier",
                                  "Sign_training_lab"])
def test_presentation_mode_at_1280x720(app, path):
    page = app.new_page()
    page.set_viewport_size({"width": 1280, "height": 720})
    app.goto(f"{path}?presentation=1", page=page)
    assert page.locator('[data-testid="stException"]').count() == 0
    if path == "Binarized_classifier":
        with app.rerun(page, timeout=120_000):
            page.get_by_role("button", name="Run to the end").click()
    if path == "Sign_training_lab":
        with app.rerun(page):
            page.get_by_role("button", name="One step").click()
    app.screenshot(f"page-{path}-presentation-1280", page=page)
    app.screenshot(f"page-{path}-presentation-1280-full", page=page, full=True)
    assert app.errors(page) == []
    page.close()
