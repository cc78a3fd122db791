"""The graph view, stage two: dot's layout, nothing overlapping, the frame model value by value.

The text boxes come from the frame model (``figures.frames.text_boxes``): node labels,
values, edge labels and packets, numbers, box titles, the key and the caption, in plot px.
The screens are those a class uses: 1280x720 (a projector) and 1920x1080, in normal and in
presentation mode; the plot's width on each is the chart's width measured in Chromium
(``CHART``), its top the chart's top there, so the figure's height says whether Play and
the slider are on screen.
"""
import random

import numpy as np
import pytest

import graphviz_core as gc
from graphviz_core.figures.frames import (LARGE_HEIGHT, VIEWS, crossings, frame_model,
                                          overlaps, text_boxes)

# the chart's width (px) on each screen, per view, and its top at 1280x720 (Chromium)
CHART = {(1280, "column"): 473, (1280, "wide"): 820, (1280, "presentation"): 1120,
         (1920, "column"): 866, (1920, "wide"): 1460, (1920, "presentation"): 1760}
TOP = {"column": 268, "presentation": 138, "wide": 268}    # wide: above the program
# The "-large" views, drawn once the page reports a large screen (explorer_app/viewport.py):
# at 1920x1080, and on the smallest page that still counts as large (LARGE_PAGE wide and
# LARGE_HEIGHT tall: a 1860x940 window with the sidebar open), widths and tops in Chromium
CHART_LARGE = {("1920x1080", "column-large"): 866, ("1920x1080", "wide-large"): 1460,
               ("1920x1080", "presentation-large"): 1760,
               ("smallest", "column-large"): 829, ("smallest", "wide-large"): 1400,
               ("smallest", "presentation-large"): 1400}
TOP_LARGE = {"column-large": 246, "wide-large": 246, "presentation-large": 138}


def _programs():
    """Every preset, folded and expanded, and a seeded corpus of 5-60 nodes."""
    for p in gc.PRESETS:
        for expand in (False, True):
            yield f"{p.key}{'+' if expand else ''}", p.source, dict(
                targets=p.targets, watch=p.watch, expand=expand)
    rng = random.Random(17)
    for i in range(24):
        yield f"gen{i}", _generated(rng, rng.randint(3, 30)), dict(expand=rng.random() < 0.4)


def _generated(rng, lines: int) -> str:
    """A program of ``lines`` statements: inputs, a function with a rule, fan-out, fan-in,
    built-ins, numbers, sometimes tensors (a bias broadcast over a batch)."""
    src = ["f(x) = x * sigmoid(x)",
           "grad f(x, dy) = dy * (sigmoid(x) + x * sigmoid(x) * (1 - sigmoid(x)))",
           "g(a, b) = tanh(a * b) + a"]
    tensors = rng.random() < 0.35
    if tensors:
        src += ["X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]", "b = Variable([0.1, 0.2, 0.3])",
                "w = Variable(0.7)", "v0 = X * w + b"]
    else:
        src += ["x = 0.5", "w = Variable(1.5)", "v0 = x * w"]
    ops = ["v{a} * w", "sin(v{a}) + v{b} * 0.5", "f(v{a})", "g(v{a}, w)", "tanh(v{a} + v{b})",
           "v{a} - 0.25 * v{b}", "sigmoid(v{a}) * v{b}"]
    for i in range(1, lines):
        a, b = rng.randrange(i), rng.randrange(i)
        src.append(f"v{i} = " + rng.choice(ops).format(a=a, b=b))
    src.append(f"y = reduce_sum(v{lines - 1})" if tensors else f"y = v{lines - 1}")
    return "\n".join(src)


CASES = list(_programs())


@pytest.mark.parametrize("name,source,kw", CASES, ids=[c[0] for c in CASES])
def test_no_text_overlaps_on_any_screen(name, source, kw):
    prog = gc.parse(source)
    t = gc.trace(prog, **kw)
    assert 5 <= t.graph.number_of_nodes() <= 200 or name[:3] != "gen"
    for presentation in (False, True):
        m = frame_model(t, prog, presentation=presentation)
        view = m["view"]["name"]
        for screen in (1280, 1920):
            stretch = CHART[(screen, view)] / VIEWS[view][0]
            clashes = overlaps(m, stretch)
            assert clashes == [], (name, presentation, screen, clashes[:3])
            through = crossings(m, stretch)
            assert through == [], (name, presentation, screen, through[:3])
        # Play and the slider are on a 720 px screen with the graph (the figure's bottom
        # holds them); a graph too tall even with names only would scroll instead
        if m["view"]["height"] <= VIEWS[view][1]:
            assert TOP[view] + m["view"]["figure_height"] <= 720, (name, m["view"])
        # the same program on a large screen: its own views, the same checks
        big = frame_model(t, prog, presentation=presentation, screen="large")
        view = big["view"]["name"]
        assert view.endswith("-large")
        for page in ("smallest", "1920x1080"):
            stretch = CHART_LARGE[(page, view)] / VIEWS[view][0]
            assert stretch >= 1
            clashes = overlaps(big, stretch)
            assert clashes == [], (name, presentation, page, clashes[:3])
            through = crossings(big, stretch)
            assert through == [], (name, presentation, page, through[:3])
        if big["view"]["height"] <= VIEWS[view][1]:
            assert TOP_LARGE[view] + big["view"]["figure_height"] <= LARGE_HEIGHT, (
                name, big["view"])


def test_the_corpus_spans_5_to_60_nodes():
    sizes = [gc.trace(gc.parse(s), **kw).graph.number_of_nodes() for n, s, kw in CASES
             if n.startswith("gen")]
    assert min(sizes) <= 8 and max(sizes) >= 60, sizes


_DOZEN = """foo(x) = x * sigmoid(x)
bar(a, b) = tanh(a * b) + a
x = 0.5
w = Variable(1.5)
h1 = foo(x * w)
h2 = bar(h1, w)
h3 = foo(h2) + h1
y = log(1 + exp(h3)) * w"""


@pytest.mark.parametrize("presentation", [False, True])
def test_stage_ones_layout_fails_the_same_test(presentation):
    """The program of the issue (a dozen nodes, expanded): stage one's layered layout with
    the same words puts labels on labels; dot's does not."""
    prog = gc.parse(_DOZEN)
    t = gc.trace(prog, expand=True)
    assert overlaps(frame_model(t, prog, presentation=presentation, engine="layered"))
    assert overlaps(frame_model(t, prog, presentation=presentation)) == []


def test_frame_model_of_foo3_value_by_value():
    """foo∘foo∘foo at x = 2 (seed 001/003): every number the frames show, as TensorFlow
    computed it (upstream 1 → 32 → 256, downstream 1024)."""
    prog = gc.parse(gc.preset("foo3").source)
    t = gc.trace(prog)
    m = frame_model(t, prog, presentation=True)
    assert m["view"]["level"] == "full"
    assert [f["name"] for f in m["frames"]] == ["f0", "f1", "f2", "f3", "b0", "b1", "b2"]
    ids = [nd["id"] for nd in m["nodes"]]
    assert [nd["label"] for nd in m["nodes"]] == ["x", "foo", "foo", "foo"]
    # forward: the nodes light up left to right with their values
    first = m["frames"][0]
    assert first["texts"][0] == "= 2" and first["texts"][1:] == [" ", " ", " "]
    assert m["frames"][3]["texts"][3].startswith("y = 256")
    # backward: the packets, one per edge, arrive in TensorFlow's order
    edge = {(e["u"], e["v"]): i for i, e in enumerate(m["edges"])}
    b = [m["frames"][k] for k in (4, 5, 6)]
    assert b[0]["packets"][edge[(ids[2], ids[3])]] == ("32", "grad", True)
    assert b[1]["packets"][edge[(ids[1], ids[2])]] == ("256", "grad", True)
    assert b[1]["packets"][edge[(ids[2], ids[3])]] == ("32", "grad", False)
    assert b[2]["packets"][edge[(ids[0], ids[1])]] == ("1024", "grad", True)
    assert b[2]["texts"][0] == "= 2<br>∂ = 1024"
    assert b[2]["texts"][1] == "= 4<br>rule: dy * 2*x<br>↑ 256<br>local 4"
    assert b[0]["caption"] == ("Backward 1/3: foo (custom rule)<br>upstream 1 × local 32 → "
                               "downstream 32")
    assert b[2]["halo"] == [ids[1]] and b[2]["colors"][0] == gc.PALETTE["done"]
    assert sorted(b[2]["flows"]["grad"]) == sorted(edge.values())
    # the nodes sit left to right on one row, each packet's slot between its two nodes
    xs = [nd["x"] for nd in m["nodes"]]
    ys = [nd["y"] for nd in m["nodes"]]
    assert xs == sorted(xs) and max(ys) - min(ys) < 2
    for e in m["edges"]:
        u, v = (m["nodes"][ids.index(e["u"])], m["nodes"][ids.index(e["v"])])
        assert u["x"] < e["packet"][0] < v["x"]


def test_a_broadcast_inputs_edge_says_it_was_summed():
    """X (2, 3) * w + b (3,): b's gradient is the upstream summed over axis 0, and its edge
    says so; the numbers are TensorFlow's."""
    prog = gc.parse("X = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]]\nb = Variable([0.1, 0.2, 0.3])\n"
                    "y = reduce_sum(X * X + b)")
    t = gc.trace(prog)
    m = frame_model(t, prog, presentation=True)
    notes = {(e["u"], e["v"]): e["note"] for e in m["edges"]}
    b = next(nd["id"] for nd in m["nodes"] if nd["label"] == "b")
    into = [k for k in notes if k[0] == b]
    assert [notes[k] for k in into] == ["sum over axis 0:<br>(2, 3) → (3,)"]
    np.testing.assert_array_equal(t.gradients["b"], [2.0, 2.0, 2.0])
    # the shape on every tensor node, the numbers of a small one on it
    last = m["frames"][-1]["texts"]
    assert any(x.startswith("(3,)<br>[0.1, 0.2, 0.3]") for x in last)
    assert overlaps(m) == []


def test_a_large_tensor_is_a_heatmap_with_its_gradient_beside_it():
    prog = gc.parse("W = Variable([[0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8], "
                    "[0.9, 1.0, 1.1, 1.2]])\ny = reduce_sum(W * W)")
    t = gc.trace(prog)
    m = frame_model(t, prog)
    w = next(nd for nd in m["nodes"] if nd["label"] == "W")
    assert w["heat"]["rows"] == 3 and w["heat"]["cols"] == 4
    assert w["heat"]["hover"][5] == f"value[5] = {gc.fmt(t.values['W'].flat[5])}"
    cells = m["frames"][-1]["cells"]
    assert len(cells) == 48           # W's value and gradient, then W * W's
    # W's gradient 2W: the largest, 2.4, is the full colour; the value side is lit too
    assert cells[11] == "rgb(213,94,0)" and cells[23] == "rgb(213,94,0)"
    assert cells[0] == "rgb(252,242,234)"        # 0.1 of 1.2: a twelfth of the way
    assert m["frames"][0]["cells"][12:24] == [gc.PALETTE["paper"]] * 12   # not known yet
    assert overlaps(m) == []


def test_the_layout_is_cached_by_structure_not_values():
    from graphviz_core.layout import LayoutCache
    cache = LayoutCache()
    prog = gc.parse(gc.preset("foo3").source)
    a = frame_model(gc.trace(prog), prog, layouts=cache)
    n = len(cache)
    b = frame_model(gc.trace(prog, inputs={"x": 3.0}), prog, layouts=cache)
    assert len(cache) == n and [nd["x"] for nd in a["nodes"]] == [nd["x"] for nd in b["nodes"]]
    assert b["frames"][-1]["texts"][0] != a["frames"][-1]["texts"][0]


def test_text_boxes_cover_every_kind_of_text():
    prog = gc.parse(gc.preset("foo3").source)
    t = gc.trace(prog)
    m = frame_model(t, prog, presentation=True)
    kinds = {b[0] for b in text_boxes(m, len(m["frames"]) - 1)}
    assert {"node", "label", "value", "packet", "legend", "caption"} <= kinds


def test_a_remembered_fit_gives_the_model_a_fresh_fit_gives():
    """Reruns place once: the fit's choice is kept by structure and text widths. Whether it
    was remembered or not, the model is the same, value by value."""
    from graphviz_core.layout import LayoutCache
    cache = LayoutCache()
    prog = gc.parse(gc.preset("foo3").source)
    for x in (2.0, 3.0, 2.5, 3.0, 1.25, 2.0, -0.75, 1.7, 1.3):
        t = gc.trace(prog, inputs={"x": x})
        assert frame_model(t, prog, layouts=cache) == frame_model(t, prog)
    assert 0 < len(cache.choices) < 9       # some inputs shared their sizes
    tensor = gc.parse("foo(x) = x ** 2\nW = constant([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])\n"
                      "x = 1.5\ny = reduce_sum(foo(x) * W)\n")
    for x in (1.5, 2.5, 1.5, -3.0):
        for presentation in (False, True):
            t = gc.trace(tensor, inputs={"x": x})
            assert frame_model(t, tensor, presentation, layouts=cache) == \
                frame_model(t, tensor, presentation)


def test_a_remembered_fit_is_not_used_for_wider_texts():
    from graphviz_core.layout import LayoutCache
    cache = LayoutCache()
    prog = gc.parse(gc.preset("foo3").source)
    frame_model(gc.trace(prog, inputs={"x": 2.0}), prog, layouts=cache)
    wide = gc.trace(prog, inputs={"x": 123.456})         # x**8 ~ 5e16: longer numbers
    assert frame_model(wide, prog, layouts=cache) == frame_model(wide, prog)
    assert len(cache.choices) == 2


# The 2-layer MLP of the "done when": dense(v, W, b) = v @ W + b twice, a relu
_MLP = """dense(v, W, b) = v @ W + b
x = constant([[1.0, 2.0, 3.0]])
W1 = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]
b1 = [0.1, -0.1]
W2 = [[0.7], [-0.2]]
b2 = [0.05]
h = relu(dense(x, W1, b1))
out = dense(h, W2, b2)
loss = reduce_sum(out * out)"""


def _mlp_gradients():
    """TensorFlow's own gradients of the MLP, by a tape written here (the reference)."""
    import tensorflow as tf
    x = tf.constant([[1.0, 2.0, 3.0]])
    w1, b1 = tf.constant([[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]), tf.constant([0.1, -0.1])
    w2, b2 = tf.constant([[0.7], [-0.2]]), tf.constant([0.05])
    with tf.GradientTape() as tape:
        tape.watch([w1, b1, w2, b2])
        out = tf.nn.relu(x @ w1 + b1) @ w2 + b2
        loss = tf.reduce_sum(out * out)
    return dict(zip(["W1", "b1", "W2", "b2"],
                    [g.numpy() for g in tape.gradient(loss, [w1, b1, w2, b2])]))


def test_a_two_layer_mlp_keeps_its_numbers_on_a_large_screen():
    """On a 1280 screen the MLP is names only (its numbers in the caption); on a 1920x1080
    one the "-large" views hold every number: each weight's gradient is on its edge, as
    TensorFlow computes it, and nothing overlaps or is crossed by an edge."""
    prog = gc.parse(_MLP)
    t = gc.trace(prog)
    small = frame_model(t, prog)
    # names only, inputs included (their 3x2 values made the drawing tall and the type
    # tiny: 0.45 with no names at all); the names are on the nodes, each tensor's shape
    # under it, and the narrow drawing is spread across the plot
    assert (small["view"]["name"], small["view"]["level"]) == ("wide", "names")
    assert small["fonts"]["label"] >= 9 and small["view"]["scale"] >= 0.6
    assert sorted(nd["label"] for nd in small["nodes"]) == sorted(
        ["x", "W1", "b1", "W2", "b2", "dense", "relu", "dense", "×", "re…sum"])
    assert small["frames"][-1]["texts"][:3] == ["(1, 3)", "(3, 2)", "(2,)"]
    xs = [nd["x"] for nd in small["nodes"]]
    assert max(xs) - min(xs) > 0.55 * small["view"]["width"]      # 0.39 unspread
    assert overlaps(small, 1460 / 800) == [] and crossings(small) == []
    big = frame_model(t, prog, screen="large")
    assert (big["view"]["name"], big["view"]["level"]) == ("wide-large", "full")
    assert big["view"]["scale"] >= 0.8         # not shrunk to fit: the type stays readable
    label = {nd["id"]: nd["label"] for nd in big["nodes"]}
    last = big["frames"][-1]["packets"]
    on_edge = {label[e["u"]]: p[0] for e, p in zip(big["edges"], last)
               if p is not None and label.get(e["u"]) in ("W1", "b1", "W2", "b2")}
    want = _mlp_gradients()
    digits = gc.figures.backward_text.graph_digits(t)
    for name, g in want.items():
        np.testing.assert_allclose(t.gradients[name], g, rtol=1e-6)
        assert on_edge[name] == gc.figures.backward_text._num(t.gradients[name], digits)
    assert on_edge["W1"] == "[2.016, -0.576]<br>[4.032, -1.152]<br>[6.048, -1.728]"
    for stretch in (1.0, 1460 / VIEWS["wide-large"][0]):
        assert overlaps(big, stretch) == [] and crossings(big, stretch) == []


def test_an_edge_through_its_own_number_is_a_crossing():
    """The check fails where it should: the W1 gradient's marker where the slot used to
    put it (under a three-row number, which then sat on its own edge) is found."""
    prog = gc.parse(_MLP)
    big = frame_model(gc.trace(prog), prog, screen="large")
    label = {nd["id"]: nd["label"] for nd in big["nodes"]}
    e = next(e for e in big["edges"] if label.get(e["u"]) == "W1")
    x, y = e["packet"]
    assert crossings(big) == []
    e["packet"] = (x, y - 14)        # the old slot: the marker 14 px under the edge
    assert any(c[1] == f"{e['u']}>{e['v']}" and c[2] == "packet" for c in crossings(big))


def test_screen_is_checked():
    prog = gc.parse(gc.preset("foo3").source)
    with pytest.raises(ValueError, match="screen must be one of normal, large"):
        frame_model(gc.trace(prog), prog, screen="huge")
    ex = gc.explore(gc.preset("foo3").source, screen="4k")
    assert not ex.ok and "screen must be one of normal, large, not '4k'" in ex.error_text()
    big = gc.explore(_MLP, screen="large")
    assert big.spec["layout"]["meta"]["view"] == "wide-large"
