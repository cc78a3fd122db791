"""The Explorer in a real browser: what a student sees of the default foo∘foo∘foo preset.

foo(x) = x**2 with the rule dy * 2*x, applied three times at x = 2: the nodes are
x, foo, foo, foo; the backward pass sends 1 -> 32 -> 256 -> 1024 (seed 001/003).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import urllib.parse

import pytest

pytestmark = pytest.mark.browser

# ---------------------------------------------------------------------------- the figure in the DOM
# plotly draws each scatter trace as a `.scatterlayer .trace` group whose d3 datum carries
# the trace (``__data__[0].trace``): that finds figures.py's traces by name ("nodes",
# "edges", "caption") whatever their order. What is read here is what is drawn.
_FIGURE = """
() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd) return null;
  const trace = {};
  for (const t of gd.querySelectorAll('.scatterlayer .trace')) {
    const d = t.__data__, tr = d && d[0] && d[0].trace;
    if (tr && !(tr.name in trace)) trace[tr.name] = t;
  }
  const texts = (t) => t ? Array.from(t.querySelectorAll('.textpoint text')).map(x => x.textContent) : [];
  const grip = gd.querySelector('.slider-grip-rect');
  const caption = trace.caption ? texts(trace.caption).join(' ')
                                : (gd.querySelector('.gtitle') || {}).textContent;
  // the edges are one trace of segments separated by gaps: one path per segment
  const edges = trace.edges ? Array.from(trace.edges.querySelectorAll('path.js-line'))
                                   .filter(p => p.getAttribute('d')).length : 0;
  return {
    edges,
    labels: texts(trace.nodes),
    points: trace.nodes ? Array.from(trace.nodes.querySelectorAll('path.point')).map(p => {
      const r = p.getBoundingClientRect();
      return {x: r.x + r.width / 2, y: r.y + r.height / 2, fill: p.style.fill};
    }) : [],
    grip: grip ? grip.getBoundingClientRect().x : null,
    caption: caption || null,
  };
}
"""

# Records what the figure shows on every animation frame while it animates (two
# observations of an animation need time between them; recording in the page avoids
# sleeping in the test and misses no frame).
_RECORD = """
() => {
  window.__samples = [];
  const read = %s;
  const tick = () => { window.__samples.push(read()); window.__recorder = requestAnimationFrame(tick); };
  tick();
}
""" % _FIGURE.strip()

# Okabe-Ito colours of figures.PALETTE that a node takes during the animation
_NODE_COLOURS = {"idle": (238, 238, 238), "forward": (86, 180, 233), "done": (0, 158, 115),
                 "nan": (213, 94, 0)}
IDLE, FORWARD, DONE = "rgb(238, 238, 238)", "rgb(86, 180, 233)", "rgb(0, 158, 115)"


def node_state(fill: str) -> str | None:
    """'idle' | 'forward' | 'done' | 'nan' for a settled fill; None while a transition blends."""
    rgb = tuple(int(v) for v in re.findall(r"\d+", fill)[:3])
    name, dist = min(((k, sum((a - b) ** 2 for a, b in zip(rgb, c)))
                      for k, c in _NODE_COLOURS.items()), key=lambda kv: kv[1])
    return name if dist <= 3 * 12 ** 2 else None


def states(sample) -> tuple | None:
    s = tuple(node_state(p["fill"]) for p in sample["points"])
    return None if None in s or not s else s


def figure(page) -> dict:
    return page.evaluate(_FIGURE)


def wait_for_fills(page, fills: list[str], timeout: float = 15_000) -> dict:
    """Wait until the nodes show exactly ``fills`` (a frame has settled); returns the figure."""
    page.wait_for_function("(want) => { const f = (%s)(); return f && f.points.length &&"
                           " f.points.map(p => p.fill).join() === want.join(); }"
                           % _FIGURE.strip(), arg=fills, timeout=timeout)
    return figure(page)


def textarea(page):
    return page.get_by_role("textbox", name=re.compile(r"^Program$"))


def metric(page):
    return page.locator('[data-testid="stMetricValue"]').first


def no_exception(page):
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()


# ---------------------------------------------------------------------------- the graph
# The tests of this section only look at the figure, animate it and hover it: they share one
# loaded page (a page load costs seconds), and each starts on the last frame, mouse away.

_LAST_FRAME = """
() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const steps = gd && gd.layout.sliders && gd.layout.sliders[0].steps;
  if (!window.Plotly || !steps) return false;
  window.Plotly.animate(gd, steps[steps.length - 1].args[0],
                        {mode: 'immediate', frame: {duration: 0, redraw: false},
                         transition: {duration: 0}});
  return true;
}
"""


@pytest.fixture(scope="module")
def explorer(make_app):
    app = make_app()
    try:
        app.goto(plot=True)
        yield app
    finally:
        app.close()


@pytest.fixture
def graph(explorer, request):
    """The shared Explorer page on its last frame: (app, page)."""
    app, page = explorer, explorer.page
    page.mouse.move(5, 5)
    if not page.evaluate(_LAST_FRAME):
        app.goto(plot=True)
    wait_for_fills(page, [DONE] * 4)
    yield app, page
    app.screenshot_if_failed(request)


def test_explorer_renders_the_graph(graph):
    app, page = graph
    fig = figure(page)
    assert fig["labels"] == ["x", "foo", "foo", "foo"], fig
    assert len(fig["points"]) == 4
    assert fig["edges"] == 3, f"expected 3 edges x->foo->foo->foo, drawn: {fig['edges']}"
    xs = [p["x"] for p in fig["points"]]
    assert xs == sorted(xs), "layout is not left to right (input left, target right)"
    # the last frame: every node knows its gradient, the input's is 8 * 2**7
    assert {node_state(p["fill"]) for p in fig["points"]} == {"done"}
    assert fig["caption"].startswith("Backward 3/3"), fig["caption"]
    app.expect(metric(page)).to_have_text("1024")
    app.expect(page.get_by_role("heading", name="Computational Graph Explorer")).to_be_visible()
    no_exception(page)
    assert app.errors(page) == []
    app.screenshot("explorer")


def test_play_animates_the_backward_pass(graph):
    app, page = graph
    before = figure(page)
    assert states(before) == ("done",) * 4
    page.evaluate(_RECORD)
    page.locator(".updatemenu-button", has_text="Play").click()
    # the animation restarts at the first forward frame and ends on the last backward one
    page.wait_for_function("""([idle, done, end]) => {
        const s = window.__samples, isIdle = (x) => x.points.some(p => p.fill === idle);
        const first = s.findIndex(isIdle);
        return first >= 0 && s.slice(first).some(x => x.grip >= end - 1 &&
                                                  x.points.every(p => p.fill === done));
    }""", arg=[IDLE, DONE, before["grip"]], timeout=30_000, polling=100)
    samples = page.evaluate("cancelAnimationFrame(window.__recorder), window.__samples")
    seen = []                                     # settled frames, in the order shown
    for s in samples:
        st = states(s)
        if st and (not seen or seen[-1][0] != st):
            seen.append((st, s["grip"], s["caption"]))
    start = next(i for i, (st, _, _) in enumerate(seen) if "idle" in st)
    shown = seen[start:]

    def progress(st):      # forward: nodes light up; backward: nodes learn their gradient
        return sum(v != "idle" for v in st) + sum(v == "done" for v in st)

    assert shown[0][0] == ("forward", "idle", "idle", "idle"), shown
    assert shown[-1][0] == ("done",) * 4
    assert len(shown) >= 5, f"too few frames seen: {shown}"
    assert [progress(st) for st, _, _ in shown] == sorted(progress(st) for st, _, _ in shown)
    grips = [g for _, g, _ in shown]
    assert grips == sorted(grips) and grips[-1] > grips[0], f"slider did not advance: {grips}"
    captions = [c for _, _, c in shown]
    assert captions[0].startswith("Forward 1/4") and captions[-1].startswith("Backward 3/3"), \
        captions
    assert app.errors(page) == []


def test_slider_step_shows_its_frame_and_caption(graph):
    app, page = graph
    tick = page.locator(".slider-tick-rect").nth(1).bounding_box()       # step →2
    rail = page.locator(".slider-rail-touch-rect").bounding_box()
    page.mouse.click(tick["x"] + tick["width"] / 2, rail["y"] + rail["height"] / 2)
    fig = wait_for_fills(page, [FORWARD, FORWARD, IDLE, IDLE])
    assert fig["caption"].startswith("Forward 2/4: foo = 4"), fig["caption"]


# What a click at the middle of each slider step hits (a step another control covers
# cannot be clicked).
_SLIDER_HITS = """
() => {
  const rail = document.querySelector('.slider-rail-touch-rect').getBoundingClientRect();
  return Array.from(document.querySelectorAll('.slider-tick-rect')).map(t => {
    const r = t.getBoundingClientRect();
    const hit = document.elementFromPoint(r.x + r.width / 2, rail.y + rail.height / 2);
    return hit && hit.closest('.slider-container') ? null : (hit && hit.getAttribute('class'));
  });
}
"""


def test_every_slider_step_can_be_clicked(graph):
    app, page = graph
    hits = page.evaluate(_SLIDER_HITS)
    assert hits and all(h is None for h in hits), f"steps covered by another element: {hits}"


def test_keyboard_steps_through_the_frames(graph):
    app, page = graph
    page.locator("body").press("Home")
    assert wait_for_fills(page, [FORWARD, IDLE, IDLE, IDLE])["caption"].startswith("Forward 1/4")
    page.keyboard.press("ArrowRight")
    assert wait_for_fills(page, [FORWARD, FORWARD, IDLE, IDLE])["caption"].startswith("Forward 2/4")
    page.keyboard.press("End")
    assert wait_for_fills(page, [DONE] * 4)["caption"].startswith("Backward 3/3")
    page.keyboard.press("ArrowLeft")        # back one event: the first foo has not run yet
    wait_for_fills(page, [FORWARD, FORWARD, DONE, DONE])


def test_hover_shows_the_substituted_formula(graph):
    app, page = graph
    fig = figure(page)
    foos = sorted((p for p, label in zip(fig["points"], fig["labels"]) if label == "foo"),
                  key=lambda p: p["x"])
    label = page.locator(".hoverlayer .hovertext")
    # the last foo (the target y), then the middle one: DESIGN.md's example
    for point, expected in ((foos[-1], "dy * 2*x = 1 * 2*16 = 32"),
                            (foos[1], "dy * 2*x = 32 * 2*4 = 256")):
        page.mouse.move(point["x"], point["y"])
        app.expect(label).to_contain_text(expected)
        if point is foos[-1]:
            text = label.text_content()
            for part in ("upstream: 1", "local: 32", "downstream: 32", "= 16**2 = 256"):
                assert part in text, (part, text)
            app.screenshot("explorer-hover")
        page.mouse.move(5, 5)
        label.wait_for(state="detached")


# ---------------------------------------------------------------------------- the editor

def test_broken_program_shows_the_error_and_keeps_the_text(app):
    page = app.goto(plot=True)
    broken = "foo(x) = x**2\nx = 2.0\ny = foo(x) +* 3"
    box = textarea(page)
    with app.rerun():
        box.fill(broken)
        box.press("Control+Enter")      # Streamlit applies a text_area on Ctrl+Enter or blur
    error = page.locator('[data-testid="stAlertContentError"]')
    app.expect(error).to_contain_text(re.compile(r"Line 3, column 13\b"))
    app.expect(box).to_have_value(broken)
    caret = page.locator('[data-testid="stCode"]', has_text="+* 3").first.inner_text()
    assert caret.splitlines() == ["y = foo(x) +* 3", " " * 12 + "^"], caret
    assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
    no_exception(page)
    app.screenshot("explorer-error")
    # the page stays usable: fixing the text brings the graph back
    with app.rerun():
        box.fill(broken.replace("+*", "*"))
        box.press("Control+Enter")
    app.wait_plot(page)
    app.expect(error).to_have_count(0)
    app.expect(metric(page)).to_have_text("12")        # d(3 x**2)/dx = 6x at 2


def test_share_link_restores_the_program_and_gradient(app):
    page = app.goto(plot=True)
    program = "sq(x) = x*x\ngrad sq(x, dy) = dy * 2*x\nx = 2.0\ny = 3 * sq(sq(x))"
    box = textarea(page)
    with app.rerun():
        box.fill(program)
        box.press("Control+Enter")
    number = page.get_by_role("spinbutton", name="x (constant)")
    with app.rerun():
        number.fill("3")
        number.press("Enter")
    with app.rerun():
        page.get_by_role("radio", name="TensorFlow automatic").click()
    app.expect(page).to_have_url(re.compile(r"[?&]in=x%3A3\.0(&|$)"))
    app.expect(page).to_have_url(re.compile(r"[?&]modes=sq%3Aautomatic(&|$)"))
    app.expect(metric(page)).to_have_text("324")       # d(3 x**4)/dx = 12 x**3 at 3
    # the edit made the example "Your program", which reran the page (the picker is outside
    # the analysis fragment); the number and the switch reran that fragment only, and the
    # address (written from inside it) still followed every one
    app.expect(page.get_by_role("combobox", name="Example program")).to_have_value(
        re.compile("Your program"))
    assert app.fragment_runs(page) >= 2, (app.fragment_runs(page), app.runs(page))
    link = page.url
    assert parse_qs(urlsplit(link).query)["in"] == ["x:3.0"]
    program = program.replace("x = 2.0", "x = 3.0")      # the box wrote its number there
    app.expect(textarea(page)).to_have_value(program)

    # a classmate opens the link: a new tab is a new Streamlit session
    shared = app.goto(link, page=app.new_page(), plot=True)
    app.expect(textarea(shared)).to_have_value(program)
    app.expect(shared.get_by_role("spinbutton", name="x (constant)")).to_have_value("3")
    app.expect(shared.get_by_role("radio", name="TensorFlow automatic")) \
        .to_have_attribute("aria-checked", "true")
    app.expect(metric(shared)).to_have_text("324")
    labels = figure(shared)["labels"]
    assert labels.count("sq") == 2 and labels[0] == "x", labels
    no_exception(shared)
    assert app.errors(shared) == []
    app.screenshot("explorer-share-link", page=shared)


# ---------------------------------------------------------------------------- presentation mode

_FONT_SIZES = """
() => {
  const size = (e) => e ? parseFloat(getComputedStyle(e).fontSize) : null;
  // the size of the text itself: the element that holds the first text inside ``sel``
  const px = (sel) => {
    const root = document.querySelector(sel);
    if (!root) return null;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n; (n = walk.nextNode());) if (n.textContent.trim()) return size(n.parentElement);
    return size(root);
  };
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  const traceText = (name) => {
    for (const t of gd.querySelectorAll('.scatterlayer .trace')) {
      const d = t.__data__;
      if (d && d[0] && d[0].trace && d[0].trace.name === name) return t.querySelector('.textpoint text');
    }
    return null;
  };
  return {
    caption: size(traceText('caption') || gd.querySelector('.gtitle')),
    nodeLabel: size(traceText('nodes')),
    nodeInfo: size(traceText('info')),
    packet: size(traceText('downstream value')),
    playButton: px('[data-testid="stPlotlyChart"] .updatemenu-item-text'),
    metric: px('[data-testid="stMetricValue"]'),
    metricLabel: px('[data-testid="stMetricLabel"] p'),
    heading: px('[data-testid="stMain"] h1'),
  };
}
"""

# every visible piece of text (HTML and SVG) with its computed font size
_VISIBLE_TEXT = """
() => {
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n; (n = walk.nextNode());) {
    const text = n.textContent.trim(), el = n.parentElement;
    if (!text || !el || el.closest('[data-testid="stSidebar"][data-collapsed="true"]')) continue;
    const r = el.getBoundingClientRect(), cs = getComputedStyle(el);
    if (r.width < 2 || r.height < 2 || r.bottom < 0 || r.top > innerHeight || r.right < 0 ||
        r.left > innerWidth || cs.visibility === 'hidden' || +cs.opacity === 0 ||
        el.closest('[data-testid="stSkipToContent"], .material-symbols-rounded, [translate="no"]'))
      continue;
    out.push([parseFloat(cs.fontSize), text.slice(0, 40)]);
  }
  return out;
}
"""

MIN_PRESENTATION_PX = 16      # the smallest text readable at the back of a lecture hall


@pytest.fixture(scope="module")
def presentation(make_app, explorer):
    """The Explorer as usual, then opened with ``?presentation=1``: (app, page, normal font
    sizes, presentation font sizes); loaded once for the tests below."""
    app = make_app()
    try:
        normal = explorer.page.evaluate(_FONT_SIZES)
        page = app.goto("?presentation=1", plot=True)
        app.expect(metric(page)).to_have_text("1024")
        app.screenshot("explorer-presentation", page=page)
        yield app, page, normal, page.evaluate(_FONT_SIZES)
    finally:
        app.close()


def test_presentation_mode_enlarges_the_graph_and_text(presentation):
    app, page, normal, big = presentation
    for key in ("caption", "nodeLabel", "nodeInfo", "packet", "playButton", "metric",
                "metricLabel"):
        assert big[key] >= 1.2 * normal[key], (key, normal, big)
    assert big["heading"] >= 0.75 * normal["heading"], ("the title shrank", normal, big)
    assert "presentation=1" in page.url        # a copied link keeps the mode
    no_exception(page)
    assert app.errors(page) == []


def test_presentation_mode_collapses_the_sidebar(presentation):
    app, page, _, _ = presentation
    app.expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute(
        "data-collapsed", "true")


def test_presentation_mode_has_no_small_text(presentation):
    app, page, _, _ = presentation
    small = sorted({(size, text) for size, text in page.evaluate(_VISIBLE_TEXT)
                    if size < MIN_PRESENTATION_PX})
    assert not small, f"text under {MIN_PRESENTATION_PX}px in presentation mode: {small}"


def test_presentation_mode_enlarges_notes_and_warnings(app):
    """The notes under the graph (why a value is NaN) and a link's warnings are read from the
    back of the room like the rest: as large as the other body text, not Streamlit's 16 px."""
    link = "?" + urllib.parse.urlencode({"presentation": 1, "p": "x = -1.0\ny = log(x)",
                                         "t": "nope"})
    page = app.goto(link, page=app.new_page(), plot=True)
    alerts = page.locator('[data-testid="stAlertContainer"] p')
    app.expect(alerts.first).to_be_visible()
    sizes = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-testid="stAlertContainer"] p')).map(e => [parseFloat(getComputedStyle(e)
        .fontSize), e.innerText.slice(0, 50)])""")
    texts = " | ".join(t for _, t in sizes)
    assert "y = NaN" in texts and "Share link" in texts, texts
    assert all(size >= 1.2 * MIN_PRESENTATION_PX for size, _ in sizes), sizes
    page.close()


def test_presentation_mode_enlarges_the_folded_controls_too(presentation):
    """Last of the presentation tests: it unfolds the controls. What someone types (the
    number in an input, the chosen targets) is no text node, so it is checked apart."""
    app, page, _, _ = presentation
    page.get_by_text("Program and settings").click()
    targets = page.locator('[data-testid="stMultiSelect"]').first
    targets.scroll_into_view_if_needed()
    app.expect(targets.locator("[data-tag]")).to_have_count(1)
    small = sorted({(size, text) for size, text in page.evaluate(_VISIBLE_TEXT)
                    if size < MIN_PRESENTATION_PX})
    assert not small, f"text under {MIN_PRESENTATION_PX}px in the unfolded controls: {small}"
    typed = page.evaluate("""() => [
        document.querySelector('[data-testid="stNumberInput"] input'),
        document.querySelector('[data-testid="stMultiSelect"] [data-tag] span'),
    ].map(e => parseFloat(getComputedStyle(e).fontSize))""")
    assert min(typed) >= MIN_PRESENTATION_PX, typed
    # the trace table (markdown's HTML table) is as large as the rest
    head = page.locator('.stMarkdown th', has_text="step").first
    assert float(head.evaluate("e => parseFloat(getComputedStyle(e).fontSize)")) >= \
        MIN_PRESENTATION_PX


# ---------------------------------------------------------------------------- downloads

def test_downloads_are_the_code_the_animation_and_the_trace(app, tmp_path):
    """The three files of "Share & export", fetched as a browser does (they are built when
    clicked): the TensorFlow code of the view, its animation, its trace table."""
    import csv

    import graphviz_core as gc

    page = app.goto(plot=True)
    with app.rerun():                   # the details are lazy: opening a part reruns
        page.get_by_role("radio", name="Share & export").click()
    files = {}
    for label in ("TensorFlow code (.py)", "Animation (.html)", "Trace (.csv)"):
        with page.expect_download(timeout=30_000) as info:
            page.get_by_role("button", name=label).click()
        download = info.value
        assert download.failure() is None, (label, download.failure())
        files[download.suggested_filename] = (tmp_path / download.suggested_filename)
        download.save_as(files[download.suggested_filename])
    assert set(files) == {"program.py", "backward_pass.html", "trace.csv"}

    # the code is the core's code for this view (test_figures runs such code and compares)
    ex = gc.explore(gc.preset("foo3").source)
    assert files["program.py"].read_text() == ex.code
    # the animation: a standalone plotly page (plotly.js inside, nothing fetched) with every
    # frame of the figure
    html = files["backward_pass.html"].read_text()
    assert "<script src=" not in html and len(html) > 3_000_000, "plotly.js is not embedded"
    assert "Plotly.newPlot" in html and "Backward 3\\u002f3: foo (custom rule)" in html
    assert len(re.findall(r'"name":"b\d+"', html)) == len(ex.trace.events)  # a frame an event
    # the trace: seed 001's three events, in TensorFlow's order
    rows = list(csv.DictReader(files["trace.csv"].open()))
    assert [(r["upstream"], r["local"], r["downstream"]) for r in rows] == \
        [("1", "32", "32"), ("32", "8", "256"), ("256", "4", "1024")]
    no_exception(page)
    assert app.errors(page) == []


def _contrast_on_white(css_colour: str, opacity: float = 1.0) -> float:
    """WCAG contrast ratio on white of an ``rgb(...)``/``rgba(...)`` text colour drawn with
    ``opacity`` (the product of its ancestors' opacities): blended with white, as shown."""
    parts = [float(v) for v in re.findall(r"[\d.]+", css_colour)]
    alpha = (parts[3] if len(parts) > 3 else 1.0) * opacity
    r, g, b = ((alpha * c + (1 - alpha) * 255) / 255 for c in parts[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 1.05 / (0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2] + 0.05)


def test_presentation_mode_captions_are_high_contrast(presentation):
    app, page, _, _ = presentation
    colours = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-testid="stCaptionContainer"]')).filter(e => e.getBoundingClientRect().height > 0)
        .map(e => { const t = e.querySelector('p') || e; let op = 1;
                    for (let n = t; n; n = n.parentElement) op *= +getComputedStyle(n).opacity;
                    return [getComputedStyle(t).color, op]; })""")
    assert colours, "no caption on the page"
    assert _contrast_on_white("rgb(26, 26, 26)", 0.6) < 7      # what Streamlit's 0.6 did
    low = [c for c in colours if _contrast_on_white(*c) < 7]
    assert not low, f"captions below 7:1 contrast in presentation mode: {low}"


def test_side_by_side_opens_its_tab(app):
    """Switching “Automatic vs custom, side by side” on shows both graphs at once: it opens
    their tab (before, nothing in view changed and the toggle looked broken)."""
    page = app.goto("?preset=bad_step", page=app.new_page(), plot=True)
    with app.rerun(page):
        page.get_by_text("Automatic vs custom, side by side").click()
    app.expect(page.get_by_role("radio", name="Automatic vs custom", exact=True)) \
        .to_have_attribute("aria-checked", "true")
    app.expect(page.locator('[data-testid="stPlotlyChart"]')).to_have_count(3)
    page.close()


def test_inputs_keep_their_values_when_a_program_comes_back(app):
    """Program A (inputs a, b), then B (only x), a sidebar change (a whole-page run), then A
    again: the boxes showed -1000000000 (their min_value) and tape.watch came back unticked,
    and the next change wrote -1e9 into the program."""
    a_src = "f(a, b) = sin(a) * exp(b) + a/b\na = 1.0\nb = 2.0\ny = f(a, b)"
    page = app.goto(page=app.new_page(), plot=True)
    box = textarea(page)
    for src in (a_src, "x = 2.0\ny = x * x"):
        with app.rerun(page):
            box.fill(src)
            box.press("Control+Enter")
    with app.rerun(page):
        page.get_by_text("Expand functions (show the ops inside)").click()
    with app.rerun(page):
        box.fill(a_src)
        box.press("Control+Enter")
    numbers = page.locator('[data-testid="stNumberInput"] input')
    app.expect(numbers).to_have_count(2)
    assert [numbers.nth(i).input_value() for i in range(2)] == ["1", "2"]
    boxes = page.get_by_role("checkbox", name="tape.watch")
    assert [boxes.nth(i).is_checked() for i in range(boxes.count())] == [True, True]
    app.expect(textarea(page)).to_have_value(a_src)
    page.close()


from test_graph_view import _MLP  # noqa: E402 - the issue's 2-layer MLP, one copy

_META = "() => { const g = document.querySelector('.js-plotly-plot'); " \
        "return g && g.layout && g.layout.meta ? [g.layout.meta.view, g.layout.meta.level] : null; }"


def test_a_large_screen_draws_the_mlp_with_its_numbers(app):
    """At 1920x1080 the page reports a large screen and the 2-layer MLP is drawn in the
    "-large" view with every number on it (the 1280 drawing, stretched, is names only):
    one run more than a 1280x720 visit, which costs none; made small, the window
    goes back to the 1280 drawing."""
    from graphviz_core import links
    link = "?" + urllib.parse.urlencode(links.encode({"program": _MLP}))

    def drawn(page, want):
        page.wait_for_function(f"() => JSON.stringify(({_META})()) === '{want}'",
                               timeout=30_000)

    small = app.new_page()
    small.set_viewport_size({"width": 1280, "height": 720})
    app.goto(link, page=small, plot=True)
    drawn(small, '["wide","names"]')
    small.wait_for_timeout(1500)
    runs_small = app.runs(small)
    small.close()

    page = app.goto(link, page=app.new_page(), plot=True)
    app.expect(page.get_by_text("∂(loss) / ∂W1")).to_be_visible()
    drawn(page, '["wide-large","full"]')
    page.wait_for_timeout(1500)
    assert app.runs(page) == runs_small + 1, (runs_small, app.runs(page))
    app.screenshot("explorer-mlp-1920", page=page)
    with app.rerun(page):
        page.set_viewport_size({"width": 1280, "height": 720})
    drawn(page, '["wide","names"]')
    no_exception(page)
    assert app.errors(page) == []
    page.close()
