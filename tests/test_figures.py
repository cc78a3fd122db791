"""The animated figure, read as a plotly Figure object."""
import math

import pytest

import graphviz_core as gc
from graphviz_core.figures import _T, substitute, node_hover
from graphviz_core.layout import layered_layout
from tests.exported import run_scripts, same


def traced(key, **kw):
    p = gc.preset(key)
    prog = gc.parse(p.source)
    args = dict(targets=p.targets, watch=p.watch)
    args.update(kw)
    return prog, gc.trace(prog, **args)


def frames(fig):
    """Frames as plain dicts (the builder stores them unvalidated, see figures._set_frames)."""
    return fig.to_dict()["frames"]


def frame_names(fig):
    return [f["name"] for f in frames(fig)]


def last(fig, name):
    return frames(fig)[-1]["data"][_DYNAMIC_INDEX(name)]


@pytest.mark.parametrize("key", [p.key for p in gc.PRESETS])
def test_frame_count_is_forward_layers_plus_events(key):
    prog, t = traced(key)
    fig = gc.backward_figure(t, prog)
    pos = layered_layout(t.graph)
    layers = {pos[n][0] for n, k in t.graph.nodes(data="kind") if k != "literal"}
    assert len(fig.frames) == len(layers) + len(t.events)
    assert sum(n.startswith("b") for n in frame_names(fig)) == len(t.events)
    # one slider step per frame, pointing at it
    steps = fig.layout.sliders[0].steps
    assert [s.args[0][0] for s in steps] == frame_names(fig)


def test_backward_frames_carry_event_values():
    prog, t = traced("foo3")
    fig = gc.backward_figure(t, prog)
    back = [f for f in frames(fig) if f["name"].startswith("b")]
    assert len(back) == 3
    captions = [f["data"][_DYNAMIC_INDEX("caption")]["text"][0] for f in back]
    assert "upstream 1 × local 32 → downstream 32" in captions[0]
    assert "upstream 32 × local 8 → downstream 256" in captions[1]
    assert "upstream 256 × local 4 → downstream 1024" in captions[2]
    # the travelling labels: 32, then 256, then 1024 appear in order
    packets = [[t for t in f["data"][_DYNAMIC_INDEX("packets")]["text"] if t.strip()]
               for f in back]
    assert packets[0] == ["32"] and set(packets[1]) == {"32", "256"}
    assert set(packets[2]) == {"32", "256", "1024"}
    # the input's final text shows the gradient
    info = back[-1]["data"][_DYNAMIC_INDEX("info")]["text"]
    assert any("∂ = 1024" in s for s in info)


def _DYNAMIC_INDEX(name):
    from graphviz_core.figures import _DYNAMIC
    return _DYNAMIC.index(_T[name])


def test_fan_in_sum_is_shown():
    # x*x + x: x receives 2x from mul (both places) and 1 from add: 2 + 2 + 1 ... summed
    prog = gc.parse("x = 3.0\na = x * 2\nb = a * a\ny = b + a")
    t = gc.trace(prog)
    fig = gc.backward_figure(t, prog)
    info = last(fig, "info")["text"]
    # a receives 1 from the add and 12 (2a) from the mul: 1 + 12 = 13 ... shown as a sum
    assert any("=" in s and "+" in s and "13" in s for s in info), info


def test_none_and_nan_styles():
    prog, t = traced("bad_step", modes={"bad_step": "automatic"})
    fig = gc.backward_figure(t, prog)
    assert any(v is not None for v in last(fig, "none_edges")["x"])  # a dashed None edge
    assert fig.data[_T["none_edges"]].line.dash == "6px,4px"   # short enough for the legend
    assert "None" in last(fig, "packets")["text"]
    prog, t = traced("softplus")
    fig = gc.backward_figure(t, prog)
    assert any(v is not None for v in last(fig, "nan_edges")["x"])
    assert gc.PALETTE["nan"] in last(fig, "nodes")["marker"]["color"]
    info = last(fig, "info")["text"]
    assert any("first inf/NaN" in s for s in info)


def test_big_graph_keeps_the_first_non_finite_marked():
    # 14 layers: dense mode labels only the active node and the target, yet the node where
    # exp overflowed must still say so in words on every frame after it lit up
    # (inf * 0 is NaN forward; backward, exp's local inf times upstream 0 is NaN)
    src = "x = 100.0\nv1 = exp(x)\nv2 = v1 * 0.0\n" + \
        "\n".join(f"v{i} = v{i-1} * 0.5" for i in range(3, 15))
    prog = gc.parse(src)
    t = gc.trace(prog)
    assert t.values["v1"] == float("inf") and math.isnan(t.gradients["x"])
    fig = gc.backward_figure(t, prog)
    info = {f["name"]: f["data"][_DYNAMIC_INDEX("info")]["text"] for f in frames(fig)}
    forward_end = info[f"f{fig.layout.meta['forward_frames'] - 1}"]    # no node is active
    assert sum(s.strip() == "" for s in forward_end) >= 10, "expected the dense view"
    assert forward_end.count("⚠ first inf/NaN") == 1
    # the first backward frame: the target is active; exp's NaN is not born yet
    assert not any("NaN born" in s for s in info["b0"])
    assert any("NaN born here" in s for s in info[f"b{len(t.events) - 1}"])


def test_an_input_whose_gradient_is_none_is_drawn_as_none():
    prog, t = traced("bad_step", modes={"bad_step": "automatic"})
    assert t.gradients["x"] is None
    fig = gc.backward_figure(t, prog)
    nodes = fig.layout.meta["nodes"]
    colours = last(fig, "nodes")["marker"]["color"]
    assert colours[nodes.index("n0")] == gc.PALETTE["none"]   # n0 is the input x
    assert gc.PALETTE["done"] in colours                  # the steps did get gradients
    # and the key says so (drawn as text in the band at the top: tests/test_graph_view.py)
    assert "gradient None" in [t for d in fig.data if d.mode == "text" for t in (d.text or ())]


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("key", ["bad_step", "sign_train", "foo3"])
def test_the_now_halo_is_wider_than_the_node_it_marks(key, presentation):
    """... and ends above the node's own text: a wider halo painted over its first line."""
    prog, t = traced(key)
    fig = gc.backward_figure(t, prog, presentation=presentation)
    nodes, size = fig.layout.meta["nodes"], fig.data[_T["nodes"]].marker.size
    node_y, info_y = fig.data[_T["nodes"]].y, fig.data[_T["info"]].y
    lo, hi = fig.layout.yaxis.range                             # fixed axes: y units -> px
    px_per_y = (fig.layout.height - fig.layout.margin.t - fig.layout.margin.b) / (hi - lo)
    for f in frames(fig)[fig.layout.meta["forward_frames"]:]:
        halo = f["data"][_DYNAMIC_INDEX("halo")]["marker"]["size"][0]
        i = nodes.index(t.events[int(f["name"][1:])].node)
        assert halo > size[i], f["name"]
        text_below_px = (node_y[i] - info_y[i]) * px_per_y
        assert halo / 2 < text_below_px, (f["name"], halo / 2, text_below_px)


def test_custom_nodes_have_their_outline_and_rule():
    prog, t = traced("foo3")
    fig = gc.backward_figure(t, prog)
    nodes = fig.data[_T["nodes"]]
    outlines = list(nodes.marker.line.color)
    kinds = [t.graph.nodes[n]["kind"] for n in nodes.customdata]
    assert [o == gc.PALETTE["custom"] for o in outlines] == [k == "call" for k in kinds]
    assert any("rule: dy * 2*x" in s for s in fig.data[_T["info"]].text)


def test_rule_mismatch_is_flagged():
    prog = gc.parse("foo(x) = x**2\ngrad foo(x, dy) = 2*x\nx = 2.0\ny = foo(foo(x))")
    t = gc.trace(prog)
    fig = gc.backward_figure(t, prog)
    assert any("≠" in s for s in last(fig, "info")["text"])


def test_axes_fixed_and_layers_left_to_right():
    prog, t = traced("f_multi", expand=True)
    fig = gc.backward_figure(t, prog)
    assert fig.layout.xaxis.autorange is False and fig.layout.yaxis.autorange is False
    assert all("layout" not in f for f in frames(fig))   # frames never move the axes
    pos = layered_layout(t.graph)
    for u, v in t.graph.edges():
        if t.graph.nodes[u]["kind"] != "literal":
            assert pos[u][0] < pos[v][0]
    xs = {n: pos[n][0] for n in t.graph}
    inputs = [n for n, k in t.graph.nodes(data="kind") if k == "input"]
    targets = [n for n, a in t.graph.nodes(data=True) if a["target"]]
    assert all(xs[i] == 0 for i in inputs)
    assert all(xs[z] == max(xs.values()) for z in targets)


def test_layout_is_stable():
    prog, t = traced("f_multi")
    assert layered_layout(t.graph) == layered_layout(gc.trace(prog, targets=("z1", "z2", "z3")).graph)


def test_hover_substitutes_numbers():
    prog, t = traced("foo3")
    first = t.events[-1].node          # the innermost foo, x = 2, upstream 256
    text = node_hover(t, prog, first)
    assert "dy * 2*x = 256 * 2*2 = 1024" in text
    assert "x**2 = 2**2 = 4" in text
    assert substitute("a - b", {"a": 1.0, "b": -2.0}) == "1 - (-2)"


def test_presentation_mode_is_larger():
    prog, t = traced("foo3")
    small = gc.backward_figure(t, prog)
    big = gc.backward_figure(t, prog, presentation=True)
    assert big.data[_T["nodes"]].textfont.size > small.data[_T["nodes"]].textfont.size
    assert big.layout.height > small.layout.height


def test_exported_code_prints_the_same_gradients(tmp_path):
    """Each preset's exported script, run by a fresh Python, prints the trace's numbers.

    One subprocess runs every script in turn (runpy), so TensorFlow is imported once.
    """
    cases, codes = {}, {}
    for p in gc.PRESETS:
        prog = gc.parse(p.source)
        cases[p.key] = gc.trace(prog, targets=p.targets, watch=p.watch)
        codes[p.key] = gc.to_tensorflow(prog, targets=p.targets, watch=p.watch)
    printed = run_scripts(tmp_path, codes)
    for key, t in cases.items():
        for name, g in t.gradients.items():
            got = printed[key]["d/d" + name]
            assert same(got, g), key
        for name, v in t.values.items():
            assert same(printed[key][name], v), key


def test_an_input_that_is_a_target_adds_its_own_one_on_the_graph():
    # d(e + a + x)/dx = 0 + 3 + 1: the node's sum must show the 1 of x itself
    prog = gc.parse("x = 2.0\na = x * 3\ne = x * 0\n")
    t = gc.trace(prog, targets=["e", "a", "x"])
    assert t.gradients["x"] == 4.0
    fig = gc.backward_figure(t, prog)
    last = frames(fig)[-1]["data"][_DYNAMIC_INDEX("info")]["text"]
    sums = [s for s in last if "∂ =" in s]
    assert len(sums) == 1, sums
    assert sums[0].split("<br>")[-2:] in (["∂ = 1 + 3 + 0", "= 4"], ["∂ = 1 + 0 + 3", "= 4"]), sums


def test_an_infinite_gradient_is_explained_and_marked():
    prog = gc.parse("x = 2.0\nd = sqrt(x - 2)\n")
    t = gc.trace(prog)
    assert t.gradients["x"] == float("inf")
    why = gc.explain_gradient(t, prog, "x")
    assert why.startswith("inf: the backward pass first produced inf at sqrt"), why
    fig = gc.backward_figure(t, prog)
    last = frames(fig)[-1]["data"][_DYNAMIC_INDEX("info")]["text"]
    assert any("⚠ inf/NaN born here" in s for s in last), last


@pytest.mark.parametrize("src, words", [
    ("x = 2.0\ny = x / (x - x)", ["NaN: the forward value became inf at div (node n2, line 2), "
                                 "a division by zero", "inf + (-inf) is NaN"]),
    ("x = 0.0\ny = log(x)", ["inf: the forward value became -inf at log", "the log of 0"]),
    ("x = 2.0\ny = exp(x * 100)", ["inf: the forward value overflowed to inf at exp"]),
    # inside a function, the call node is not the op that did it: no guess at "overflow"
    ("foo(x) = 1/x\nx = 0.0\ny = foo(x)", ["became inf at foo (node n1, line 3)",
                                             "“Expand functions” shows which"]),
    # the 1's own gradient (1/x = inf) reaches no one, so only x's -inf is named
    ("x = 0.0\ny = 1/x", ["first produced -inf at div (node n2): upstream 1 × local -inf"]),
])
def test_a_non_finite_gradient_names_its_cause(src, words):
    prog = gc.parse(src)
    t = gc.trace(prog)
    why = gc.explain_gradient(t, prog, "x")
    for w in words:
        assert w in why, why
    if "overflowed" not in why:
        assert "overflow" not in why


def test_inf_inside_a_custom_rule_function_says_to_switch_it_before_expanding():
    """A function running its custom rule stays one node even with Expand on, so the note
    does not send the student to a switch that cannot help."""
    src = "f(x) = exp(x)\ngrad f(x, dy) = dy * 2\nx = 100.0\ny = f(x)"
    for expand in (False, True):
        notes = " ".join(gc.explore(src, expand=expand).notes)
        assert "became inf at f (node n1, line 4)" in notes, notes
        assert "switch it to TensorFlow automatic and turn on “Expand functions”" in notes
    auto = " ".join(gc.explore(src, modes={"f": "automatic"}).notes +
                    [r["why"] for r in gc.explore(src, modes={"f": "automatic"}).gradients])
    assert "“Expand functions” shows which of its ops" in auto, auto


def test_a_custom_rule_returning_none_is_located_on_its_own_line():
    prog = gc.parse("bar(x, y) = x * y\ngrad bar(x, y, up) = up * y, None\n"
                    "x = 2.0\nw = 3.0\nz = bar(x, w)")
    t = gc.trace(prog)
    assert t.gradients == {"x": 3.0, "w": None}
    assert gc.explain_gradient(t, prog, "w") == "the custom rule of bar (line 2) returns None"


def test_a_literal_is_joined_to_the_node_it_feeds():
    """5*x + 3 expanded: each number has a dotted edge to its op (it read as a loose
    number), and none of them is ever on a gradient edge."""
    prog, t = traced("two_step", expand=True)
    fig = gc.backward_figure(t, prog)
    g, nodes = t.graph, fig.layout.meta["nodes"]
    literals = [n for n, k in g.nodes(data="kind") if k == "literal"]
    assert sorted(g.nodes[n]["label"] for n in literals) == ["2", "3", "5"]
    stubs = next(d for d in fig.data if d.name == "number edges")
    xs, ys = list(stubs.x), list(stubs.y)
    ends = [(xs[i - 1], ys[i - 1]) for i, x in enumerate(xs) if x is None]
    node_x, node_y = fig.data[_T["nodes"]].x, fig.data[_T["nodes"]].y
    grad = last(fig, "grad_edges")
    for n in literals:
        consumer = next(iter(g.successors(n)))
        at = (node_x[nodes.index(consumer)], node_y[nodes.index(consumer)])
        assert at in ends, g.nodes[n]["label"]          # the number's line ends at its op
        assert (xs[0], ys[0]) not in set(zip(grad["x"], grad["y"]))
    # the gradient edges join value nodes only: each starts and ends at a node's centre
    gx, gy = list(grad["x"]), list(grad["y"])
    starts = [(gx[i], gy[i]) for i in range(len(gx)) if gx[i] is not None
              and (i == 0 or gx[i - 1] is None)]
    assert set(starts) <= set(zip(node_x, node_y))


# twelve inputs in one column: a tall graph (it was capped 20 % short in presentation mode)
_TALL = "\n".join([f"a{i} = {i + 1}.0" for i in range(12)] +
                   ["y = " + " + ".join(f"a{i} * a{i}" for i in range(12))])


@pytest.mark.parametrize("presentation", [False, True])
@pytest.mark.parametrize("key", [p.key for p in gc.PRESETS] + ["tall"])
def test_a_nodes_text_ends_above_the_node_below_it(key, presentation):
    """In every frame, a node's lines of text (value, rule, upstream, local, sums, the
    inf/NaN warning) overlap no other text or node and end inside the plot. With several
    targets in presentation mode, "local 40, 10" was written across the node below; in the
    softplus example "⚠ inf/NaN born here" was cut in half. (Stage one measured this from
    its own columns; the layout is dot's now, and tests/test_graph_view.py checks every
    text box: this keeps the cases that went wrong.)"""
    from graphviz_core.figures.frames import frame_model, overlaps
    if key == "tall":
        prog = gc.parse(_TALL)
        t = gc.trace(prog)
    else:
        prog, t = traced(key)
    assert overlaps(frame_model(t, prog, presentation=presentation)) == []


@pytest.mark.parametrize("presentation", [False, True])
def test_lesson_graphs_keep_their_last_line(presentation):
    """The warning under the node where NaN is born, the point of the tf.where lesson,
    must be inside the plot and clear of everything else."""
    from graphviz_core.figures.frames import frame_model, overlaps
    from graphviz_core.lessons.stability import _formulation
    for name in ("where", "safe_where"):
        prog = gc.parse(_formulation(name).source)
        t = gc.trace(prog, inputs={"x": 1000.0}, expand=True)
        m = frame_model(t, prog, presentation=presentation)
        assert overlaps(m) == []
        if name == "where":
            assert any("inf/NaN born here" in x for x in m["frames"][-1]["texts"])


@pytest.mark.parametrize("expand", [False, True])
@pytest.mark.parametrize("key", [p.key for p in gc.PRESETS])
def test_no_edge_runs_behind_a_node(key, expand):
    """An edge that skips layers passes between the nodes of the layers it crosses. Drawn
    straight through them, where(z > 30, z, ...)'s edge z -> where hid behind exp, + and
    log: the branch the lesson is about could not be seen."""
    p = gc.preset(key)
    prog = gc.parse(p.source)
    g = gc.trace(prog, targets=p.targets, watch=p.watch, expand=expand).graph
    pos = layered_layout(g)
    drawn = [n for n, k in g.nodes(data="kind") if k != "literal"]
    for u, v in g.edges():
        if g.nodes[u]["kind"] == "literal":
            continue
        (x1, y1), (x2, y2) = pos[u], pos[v]
        for n in drawn:
            x, y = pos[n]
            if x1 < x < x2:
                on_edge = y1 + (y2 - y1) * (x - x1) / (x2 - x1)
                assert abs(on_edge - y) >= 0.25, (g.nodes[u]["label"], g.nodes[v]["label"],
                                                  g.nodes[n]["label"])


def test_a_dense_graph_still_labels_its_inputs():
    """Too many nodes to label them all: the active node and the targets speak, and so do
    the inputs, whose ∂ is the answer (h∘h∘…∘h, 8 calls, showed x with no value or ∂)."""
    src = "h(x) = sin(x) * x\nx = 0.5\ny = " + "h(" * 8 + "x" + ")" * 8
    prog = gc.parse(src)
    t = gc.trace(prog)
    fig = gc.backward_figure(t, prog)
    nodes = fig.layout.meta["nodes"]
    info = last(fig, "info")["text"]
    x_text = info[nodes.index("n0")]
    assert "= 0.5" in x_text and "∂ = " in x_text, x_text
    assert sum(1 for s in info if s.strip()) < len(nodes)       # it is a dense graph
