"""The four lesson pages through Streamlit's AppTest: the seeds' numbers at the default
settings, and numbers that move when a widget moves."""
import json
import urllib.parse

import pytest
import tensorflow as tf
from streamlit.testing.v1 import AppTest

import graphviz_core as gc

CHAIN = "../pages/1_Chain_rule.py"
STRAIGHT = "../pages/2_Straight_through.py"
TAPE = "../pages/3_GradientTape_mechanics.py"
STABILITY = "../pages/4_Numerical_stability.py"


def page(path):
    at = AppTest.from_file(path, default_timeout=120).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at) -> str:
    """Everything the page wrote, as one string (tables row by row)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "code", "error",
                 "warning", "info", "success"):
        parts += [str(e.value) for e in getattr(at, kind)]
    parts += [f"{m.label}: {m.value}" for m in at.metric]
    parts += [df.value.to_csv(index=False) for df in at.dataframe]
    parts += [t.value.to_csv() for t in at.table]
    return "\n".join(parts)


def table(at, i):
    """The i-th interactive table (st.dataframe)."""
    return at.dataframe[i].value


def static(at, i):
    """The i-th static table (st.table, used where a column holds sentences)."""
    return at.table[i].value


def metrics(at):
    return {m.label: m.value for m in at.metric}


def explorer_links(at):
    out = []
    for md in at.markdown:
        if "Open" in md.value and "/?p=" in md.value:
            for part in md.value.split("(/?")[1:]:
                query = dict(urllib.parse.parse_qsl(part.split(")")[0]))
                out.append(gc.links.decode(query)[0])
    return out


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


# ---------------------------------------------------------------------------- 1 chain rule
def test_chain_rule_page_shows_1024_and_the_notebook_table():
    at = page(CHAIN)
    out = texts(at)
    assert "1 × 32 × 8 × 4 = 1024" in out
    assert "x=2\tupstream=256\tcurrent=4\tdownstream=1024" in out
    main = table(at, 0)
    assert list(main.columns) == ["call", "x", "upstream", "current", "downstream"]
    assert list(main["upstream"]) == ["1", "32", "256"]
    assert list(main["current"]) == ["32", "8", "4"]
    assert list(main["downstream"]) == ["32", "256", "1024"]
    assert [m.value for m in at.metric] == ["1024", "1024", "4"]     # custom, automatic, forgot
    assert len(charts(at)[0]["frames"]) == 7
    links = explorer_links(at)
    assert links and links[0]["program"] == gc.lessons.chain_source(3, x=2.0)
    assert links[0]["inputs"] == {"x": 2.0}


def test_chain_rule_page_x_3_gives_8_times_3_to_the_7():
    at = page(CHAIN)
    at.slider(key="chain_x").set_value(3.0).run()
    assert not at.exception
    out = texts(at)
    assert "8·3⁷" in out and "17496" in out
    assert list(table(at, 0)["downstream"]) == ["162", "2916", "17496"]


def test_chain_rule_page_n_moves_the_number_of_calls_and_overflow_warns():
    at = page(CHAIN)
    at.slider(key="chain_n").set_value(5).run()
    assert len(table(at, 0)) == 5 and "= 4294967296" in texts(at)      # 32·2³¹
    at.slider(key="chain_n").set_value(8).run()
    assert not at.exception and at.warning                              # 2**256 > float32
    at.radio(key="chain_dtype").set_value("float64").run()
    assert not at.warning


# ---------------------------------------------------------------------------- 2 straight-through
def test_straight_through_page_12_60_then_none_and_5():
    at = page(STRAIGHT)
    m = metrics(at)
    assert m["gradient for step 1: dy1/dx"] == "12" and m["gradient for step 2: dy2/dx"] == "60"
    at_x = table(at, 1)
    auto, custom = at_x.iloc[0], at_x.iloc[1]
    assert (auto["dy1/dx (step 1)"], auto["dy2/dx (step 2)"]) == ("None", "None")
    assert (custom["dy1/dx (step 1)"], custom["dy2/dx (step 2)"]) == ("1", "5")
    assert "constant branch is disconnected" in texts(at)
    assert len(charts(at)) == 3                                 # curve + two graphs
    assert {l["preset"] for l in explorer_links(at)} >= {"two_step", "bad_step"}


def test_straight_through_page_names_lines_of_the_code_it_shows():
    import re
    at = page(STRAIGHT)
    code = next(c.value for c in at.code if "grad bad_step" in c.value).split("\n")
    where = re.search(r"defined on line (\d+), called on line (\d+)", texts(at))
    assert where, texts(at)
    defined, called = (int(g) for g in where.groups())
    assert code[defined - 1].startswith("bad_step(x) ="), code
    assert "= bad_step(x)" in code[called - 1], code


def test_straight_through_page_x_7_agrees_and_two_step_moves():
    at = page(STRAIGHT)
    at.slider(key="st_x").set_value(7.0).run()
    at.number_input(key="st_two_x").set_value(7.0).run()
    assert not at.exception
    at_x = table(at, 1)
    for i in range(2):
        row = at_x.iloc[i]
        assert (row["y1"], row["y2"], row["dy1/dx (step 1)"], row["dy2/dx (step 2)"]) == (
            "49", "248", "14", "70")
    assert metrics(at)["gradient for step 2: dy2/dx"] == "70"


# ---------------------------------------------------------------------------- 3 GradientTape
def tensorflow_tape_error():
    w1, w2 = tf.Variable(5.0), tf.Variable(3.0)
    with tf.GradientTape() as tape:
        z = 3 * w1 ** 2 + 2 * w1 * w2
    tape.gradient(z, w1)
    try:
        tape.gradient(z, w2)
    except RuntimeError as e:
        return str(e)
    raise AssertionError("TensorFlow did not raise")


def test_tape_page_shows_every_seed_002_number():
    at = page(TAPE)
    out = texts(at)
    fd = table(at, 0)
    assert fd.iloc[0]["finite difference"] == "36.000003007075065"
    assert fd.iloc[0]["tape.gradient"] == "36"
    assert "RuntimeError: " + tensorflow_tape_error() in [e.value for e in at.error]
    assert "∂z/∂w1 = 36, ∂z/∂w2 = 10" in out                   # persistent tape
    watch = static(at, 0)
    assert list(zip(watch["∂z/∂c1 or ∂z/∂w1"], watch["∂z/∂c2 or ∂z/∂w2"])) == [
        ("None", "None"), ("36", "10"), ("36", "10"), ("None", "None")]
    assert "not watched" in watch["why"].iloc[0]
    multi = table(at, 1)
    assert (multi.iloc[-1]["∂/∂w1"], multi.iloc[-1]["∂/∂w2"]) == ("136", "30")
    hess = table(at, 2)
    assert [hess.iloc[0]["∂/∂w1"], hess.iloc[0]["∂/∂w2"], hess.iloc[1]["∂/∂w1"],
            hess.iloc[1]["∂/∂w2"]] == ["6", "2", "2", "None"]
    assert any("no path" in i.value for i in at.info)
    stop = table(at, 3)
    assert list(stop["with stop_gradient"]) == ["30", "None"]


def test_tape_page_first_sections_open_f_in_the_explorer():
    at = page(TAPE)
    at.number_input(key="tape_w1").set_value(2.0).run()
    f_links = [l for l in explorer_links(at) if l["preset"] == "f_variables"]
    assert len(f_links) >= 2                        # sections 1 and 2 (3 may add one)
    assert all(l["inputs"] == {"w1": 2.0, "w2": 3.0} for l in f_links)
    state = f_links[0]
    t = gc.trace(gc.parse(state["program"]), inputs=state["inputs"])
    assert t.gradients == {"w1": 18.0, "w2": 4.0}              # 6 w1 + 2 w2, 2 w1


def test_tape_page_widgets_move_the_numbers():
    at = page(TAPE)
    at.checkbox(key="tape_watch_c1").check().run()
    watch = static(at, 0)
    assert (watch.iloc[-1]["∂z/∂c1 or ∂z/∂w1"], watch.iloc[-1]["∂z/∂c2 or ∂z/∂w2"]) == (
        "36", "None")
    at.select_slider(key="tape_eps").set_value(1e-3).run()
    assert table(at, 0).iloc[0]["finite difference"].startswith("36.003")
    at.multiselect(key="tape_targets").set_value(["z1"]).run()
    assert (table(at, 1).iloc[-1]["∂/∂w1"], table(at, 1).iloc[-1]["∂/∂w2"]) == ("40", "10")
    at.number_input(key="tape_w1").set_value(1.0).run()
    assert not at.exception
    assert table(at, 3).iloc[0]["with stop_gradient"] == "6"       # 6·w1 at w1 = 1


# ---------------------------------------------------------------------------- 4 stability
def test_stability_page_nan_then_1_and_the_where_trap():
    at = page(STABILITY)
    rows = static(at, 1)
    assert list(rows["dy/dx"][:2]) == ["NaN", "1"]               # automatic, custom at 100
    assert list(rows["forward value"][:2]) == ["inf", "inf"]     # custom fixes only the gradient
    m = metrics(at)
    assert m["forward value"] == "1000" and m["gradient"] == "NaN"
    assert m["safe where: gradient"] == "1"
    assert any("exp: upstream 0 × local inf = NaN" in e.value for e in at.error)
    specs = charts(at)
    assert any(tr.get("type") == "heatmap" for tr in specs[0]["data"])
    born = [t for tr in specs[1]["data"] for t in (tr.get("text") or []) if isinstance(t, str)]
    assert any("NaN born here" in t for t in born)


def test_stability_page_widgets_move_the_numbers():
    at = page(STABILITY)
    at.radio(key="stab_dtype").set_value("float64").run()
    assert list(static(at, 1)["dy/dx"]) == ["1"] * 5             # no overflow at 100 in float64
    at.number_input(key="stab_where_x").set_value(10.0).run()
    assert not at.exception
    assert metrics(at)["gradient"] not in ("NaN", "None")
    assert any("No NaN" in s.value for s in at.success)


@pytest.mark.parametrize("path", [CHAIN, STRAIGHT, TAPE, STABILITY])
def test_every_page_links_to_the_explorer(path):
    at = page(path)
    links = explorer_links(at)
    assert links
    for state in links:
        prog = gc.parse(state["program"])            # every linked program parses
        assert set(state["inputs"]) <= set(prog.inputs)


@pytest.mark.parametrize("path", [CHAIN, STRAIGHT, TAPE, STABILITY,
                                  "../pages/5_Sign_training_lab.py"])
def test_a_link_with_presentation_1_opens_a_lesson_in_presentation_mode(path):
    """An instructor's link straight to a lesson: large type, as the Explorer does (it used
    to follow only a choice made earlier in the same session)."""
    at = AppTest.from_file(path, default_timeout=120)
    at.query_params["presentation"] = "1"
    at.run()
    assert not at.exception
    assert at.sidebar.toggle[0].value is True
    assert any(gc.PRESENTATION_CSS == m.value for m in at.markdown)
    # tables as HTML, which the CSS enlarges (st.dataframe's canvas stays small)
    assert not at.dataframe
    # its links open the Explorer (a new session) in presentation mode too
    links = [m.value for m in at.markdown if "in the Explorer" in m.value]
    assert links and all("presentation=1" in v for v in links), links
    plain = page(path)
    assert plain.sidebar.toggle[0].value is False
    assert not any(gc.PRESENTATION_CSS == m.value for m in plain.markdown)
    if path != STABILITY:                   # the stability lesson has charts, no tables
        assert plain.dataframe and len(at.table) >= len(plain.dataframe)
    assert not any("presentation=1" in m.value for m in plain.markdown)
