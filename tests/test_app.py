"""The Explorer page through Streamlit's AppTest."""
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

import graphviz_core as gc

APP = str(Path(__file__).resolve().parents[1] / "app.py")


def app(**query):
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def metrics(at):
    return {m.label: m.value for m in at.metric}


def open_tab(at, label):
    """Switch the details tabs (they are lazy: only the open one runs)."""
    at.session_state["details"] = label
    return at.run()


def tables(at):
    """The details' tables (markdown text, ``chrome.markdown_table``), each a DataFrame of
    the cells as shown (escapes undone)."""
    out = []
    for md in at.markdown:
        lines = md.value.split("\n")
        if len(lines) < 2 or not lines[0].startswith("| ") or lines[1] != "|" + "---|" * (
                lines[0].count(" | ") + 1):
            continue
        # escaped, a cell holds no " | ": that is only ever the separator
        cells = [[re.sub(r"\\(.)", r"\1", c) for c in ln[2:-2].split(" | ")]
                 for ln in lines if ln != lines[1]]
        out.append(pd.DataFrame(cells[1:], columns=cells[0]))
    return out


def chart_spec(at, i=0):
    return json.loads(at.get("plotly_chart")[i].proto.spec)


def test_first_screen_shows_foo_trace_with_1024():
    at = app()
    assert not at.exception
    assert list(metrics(at).values()) == ["1024"]
    spec = chart_spec(at)
    assert len(spec["frames"]) == 7
    df = tables(at)[0]          # a markdown table since 2026-12-08 (was an st.dataframe)
    assert list(df["upstream"]) == ["1", "32", "256"]
    assert list(df["downstream"]) == ["32", "256", "1024"]


@pytest.mark.parametrize("key", [p.key for p in gc.PRESETS])
def test_every_preset_renders_an_animated_chart(key):
    at = app()
    at.selectbox(key="preset").set_value(key).run()
    assert not at.exception
    assert at.text_area(key="program").value == gc.preset(key).source
    assert "frames" in chart_spec(at) and chart_spec(at)["frames"]
    assert not at.error


def test_switching_mode_changes_gradients():
    at = app()
    at.selectbox(key="preset").set_value("bad_step").run()
    assert list(metrics(at).values()) == ["5"]
    at.segmented_control(key="mode:bad_step").set_value("automatic").run()
    assert list(metrics(at).values()) == ["None"]
    # the reason stands under the None, and again in the gradients tab
    assert any("constant branch is disconnected" in c.value for c in at.caption)
    line = gc.parse(gc.preset("bad_step").source).functions["bad_step"].line
    # the page escapes markdown in names (bad\\_step), so that they show as typed
    assert any(f"inside bad\\_step (defined on line {line}," in c.value for c in at.caption)
    assert not any("constant branch is disconnected" in m.value for m in at.markdown)
    open_tab(at, "Gradients and why")
    assert any("constant branch is disconnected" in m.value for m in at.markdown)


def test_broken_program_shows_error_and_keeps_text():
    at = app()
    bad = "x = 2.0\ny = foo(x)"
    at.text_area(key="program").set_value(bad).run()
    assert not at.exception
    assert at.text_area(key="program").value == bad
    assert "Line 2, column 5: unknown function 'foo'" in at.error[0].value
    # the page stays usable: fix it and the graph comes back
    at.text_area(key="program").set_value("x = 2.0\ny = x * x").run()
    assert not at.error and list(metrics(at).values()) == ["4"]


def test_the_chosen_details_part_comes_back_after_an_error():
    # the control is not drawn while the program is broken, and Streamlit drops its state
    at = open_tab(app(), "Gradients and why")
    for bad in ("x = 2.0\ny = foo(x)", "x = 2.0\ny = foo(x) +"):     # two runs without it
        at.text_area(key="program").set_value(bad).run()
        assert at.error
    at.text_area(key="program").set_value("x = 3.0\ny = x * x").run()
    assert not at.error and at.session_state["details"] == "Gradients and why"
    assert [r["gradient"] for r in tables(at)[0].to_dict("records")] == ["6"]


def test_error_shows_names_as_typed_not_as_markdown():
    # unescaped, Streamlit drew __import__ as a bold "import"
    at = app()
    at.text_area(key="program").set_value("y = __import__('os')").run()
    assert not at.exception
    assert r"unknown function '\_\_import\_\_'" in at.error[0].value


def test_an_edited_example_can_be_put_back():
    at = app()
    description = gc.preset("foo3").description            # "... downstream 1024 at x = 2."
    assert "back_to_example" not in [b.key for b in at.button]     # nothing to put back yet
    assert any("1024 at x = 2" in c.value for c in at.caption), description
    at.text_area(key="program").set_value("a = 3.0\nc = a * a").run()
    assert list(metrics(at).values()) == ["6"]
    # the example's numbers no longer describe the text on the page
    assert not any("1024 at x = 2" in c.value for c in at.caption)
    at.button(key="back_to_example").click().run()
    assert not at.exception
    assert at.text_area(key="program").value == gc.preset("foo3").source
    assert list(metrics(at).values()) == ["1024"]
    assert "back_to_example" not in [b.key for b in at.button]


def test_url_round_trip_restores_state():
    at = app()
    at.selectbox(key="preset").set_value("bad_step").run()
    at.number_input(key="in:x").set_value(7.0).run()
    at.segmented_control(key="mode:bad_step").set_value("automatic").run()
    query = {k: at.query_params[k] for k in at.query_params}
    assert list(metrics(at).values()) == ["70"]
    edited = gc.set_input_value(gc.preset("bad_step").source, "x", 7.0)
    assert "x = 7.0" in edited and at.text_area(key="program").value == edited
    again = app(**{k: v[0] if isinstance(v, list) else v for k, v in query.items()})
    assert again.text_area(key="program").value == edited
    assert again.number_input(key="in:x").value == 7.0
    assert again.segmented_control(key="mode:bad_step").value == "automatic"
    assert list(metrics(again).values()) == ["70"]


def test_an_inputs_box_and_its_line_in_the_program_agree():
    """Changing x's box rewrites x's line; a program typed afterwards runs with its own x.
    (The box used to change the graph and leave "x = 2.0" in the text, and a new program
    with the same "x = 2.0" then ran with the box's 3.)"""
    at = app()
    at.number_input(key="in:x").set_value(3.0).run()
    assert "x = 3.0\n" in at.text_area(key="program").value
    assert list(metrics(at).values()) == ["17496"]                 # 8 * 3**7
    at.text_area(key="program").set_value("x = 2.0\na = x * x").run()
    assert at.number_input(key="in:x").value == 2.0
    assert list(metrics(at).values()) == ["4"]
    at.text_area(key="program").set_value("w = Variable(-1.5)  # start\nb = w * w").run()
    at.number_input(key="in:w").set_value(0.5).run()
    assert at.text_area(key="program").value == "w = Variable(0.5)  # start\nb = w * w"
    assert list(metrics(at).values()) == ["1"]


def test_share_link_keeps_the_animation_speed():
    def play_ms(at):   # what the figure's ▶ Play button does per frame
        return chart_spec(at)["layout"]["updatemenus"][0]["buttons"][0]["args"][1]["frame"]
    at = app()
    assert play_ms(at)["duration"] == 900
    at.select_slider(key="speed").set_value(4.0).run()
    assert play_ms(at)["duration"] == 225
    assert at.query_params["speed"] in ("4", ["4"])
    query = {k: at.query_params[k] for k in at.query_params}
    again = app(**{k: v[0] if isinstance(v, list) else v for k, v in query.items()})
    assert again.select_slider(key="speed").value == 4.0
    assert play_ms(again)["duration"] == 225


def test_bad_query_values_fall_back_with_a_message():
    at = app(p="z:not-base64!!", **{"in": "x:banana"}, dtype="float16")
    assert not at.exception
    assert list(metrics(at).values()) == ["1024"]
    assert len(at.warning) >= 2


def test_compare_shows_both_sides():
    at = app()
    at.selectbox(key="preset").set_value("bad_step").run()
    at.toggle(key="compare").set_value(True).run()
    assert not at.exception
    # switching it on opens the tab that shows it: else nothing in view changed
    assert at.session_state["details"] == "Automatic vs custom"
    assert len(at.get("plotly_chart")) == 3
    open_tab(at, "Backward trace")
    assert len(at.get("plotly_chart")) == 1           # the other tabs are lazy
    # a share link keeps the side-by-side view switched on
    query = {k: at.query_params[k] for k in at.query_params}
    again = app(**{k: v[0] if isinstance(v, list) else v for k, v in query.items()})
    assert again.toggle(key="compare").value is True


def test_side_by_side_says_when_a_custom_rule_changes_the_gradient():
    at = app()
    at.text_area(key="program").set_value(
        "f(x) = x**3\ngrad f(x, dy) = dy * 2*x\nx = 3.0\ny = f(x)").run()
    assert list(metrics(at).values()) == ["6"]
    assert not any("custom rules" in i.value for i in at.info)   # nothing to compare with
    at.toggle(key="compare").set_value(True).run()
    notes = [i.value for i in at.info if "custom rules" in i.value]
    assert len(notes) == 1 and "= 6 with the custom rules, 27 with TensorFlow's automatic" \
        in notes[0], notes
    at.selectbox(key="preset").set_value("log1pexp").run()
    assert any("numerically stable" in i.value and "NaN" in i.value for i in at.info)
    at.selectbox(key="preset").set_value("foo3").run()
    assert not any("custom rules" in i.value for i in at.info)   # foo's rule is right


def test_train_any_program_from_the_explorer():
    at = app()
    at.selectbox(key="preset").set_value("sign_train").run()
    open_tab(at, "Train")
    at.slider(key="train:steps").set_value(100).run()
    at.button(key="train:run").click().run()
    assert not at.exception and not at.error
    table = tables(at)[-1]
    assert float(table["loss"].iloc[0]) == 2.0
    assert float(table["x"].iloc[-1]) == pytest.approx(0.99, abs=0.01)


def test_presentation_link_puts_graph_first_and_folds_controls():
    at = app(presentation="1")
    assert not at.exception
    assert at.toggle(key="presentation").value is True
    assert list(metrics(at).values()) == ["1024"]
    assert at.expander[0].label == "Program and settings"
    # tables are HTML tables there (the presentation CSS enlarges them; a canvas it cannot)
    assert len(at.dataframe) == 0
    trace = tables(at)[0]
    assert "step" in trace.columns, trace.columns     # not turned into the row labels
    assert list(trace["upstream"]) == ["1", "32", "256"]
    assert list(trace["downstream"]) == ["32", "256", "1024"]


@pytest.mark.parametrize("presentation", ["0", "1"])
def test_a_program_without_inputs_has_empty_tabs_not_a_crash(presentation):
    at = app(presentation=presentation)
    at.text_area(key="program").set_value("y = 2.0 * 3.0").run()
    for tab in ("Backward trace", "Gradients and why", "Automatic vs custom", "Train"):
        open_tab(at, tab)
        assert not at.exception, (tab, at.exception)
        assert any("no input" in i.value and "x = 2.0" in i.value for i in at.info), tab


def test_an_overflowing_value_says_where_and_why():
    at = app()
    at.text_area(key="program").set_value("y = 9**9**9").run()
    notes = " | ".join(i.value for i in at.info)
    assert "y = inf" in notes and "pow" in notes and "3.4e38" in notes, notes
    at.text_area(key="program").set_value("x = -1.0\ny = log(x)").run()
    assert list(metrics(at).values()) == ["-1"]         # the gradient is fine ...
    assert any("y = NaN" in i.value and "log" in i.value for i in at.info)  # ... the value not


def test_lessons_are_linked_from_the_home_page():
    at = app()
    links = {el.proto.page: el.proto.label for el in at.main.get("page_link")}
    # every lesson page (served as its file name without the number: 1_Chain_rule.py ->
    # Chain_rule), each with its title and a one-line description
    pages = sorted(p.stem.split("_", 1)[1] for p in (Path(APP).parent / "pages").glob("*.py"))
    assert sorted(Path(p).stem for p in links) == pages
    for label in links.values():
        title, _, line = label.partition(" — ")
        assert title.strip("*") and len(line) > 20, label


def test_variable_constant_switch_rewrites_the_line():
    at = app()
    at.selectbox(key="preset").set_value("f_constants").run()
    assert list(metrics(at).values()) == ["None", "None"]
    at.segmented_control(key="kind:c1:constant").set_value("variable").run()
    assert "c1 = Variable(5.0)" in at.text_area(key="program").value
    assert list(metrics(at).values()) == ["36", "None"]


def test_the_kind_switch_writes_the_value_shown_into_the_line():
    at = app()
    at.number_input(key="in:x").set_value(3.0).run()
    assert list(metrics(at).values()) == ["17496"]
    at.segmented_control(key="kind:x:constant").set_value("variable").run()
    assert "x = Variable(3.0)" in at.text_area(key="program").value
    assert at.number_input(key="in:x").value == 3.0
    assert list(metrics(at).values()) == ["17496"]       # the graph did not jump back to 2


def test_an_unticked_watch_survives_a_round_trip_through_variable():
    """Streamlit forgets a checkbox a run does not draw; the page must not re-tick it."""
    at = app()
    at.checkbox(key="watch:x").uncheck().run()
    assert list(metrics(at).values()) == ["None"]
    at.segmented_control(key="kind:x:constant").set_value("variable").run()
    assert list(metrics(at).values()) == ["1024"]       # a Variable is always watched
    at.segmented_control(key="kind:x:variable").set_value("constant").run()
    assert at.checkbox(key="watch:x").value is False
    assert list(metrics(at).values()) == ["None"]


def test_a_watch_list_does_not_unwatch_constants_typed_later():
    """The f_constants example (and a link) unwatch their own constants, not new ones."""
    at = app()
    at.selectbox(key="preset").set_value("f_constants").run()
    assert list(metrics(at).values()) == ["None", "None"]
    at.text_area(key="program").set_value("c1 = 5.0\nk = 3.0\ny = c1 * k").run()
    assert at.checkbox(key="watch:c1").value is False    # unticked by the example
    assert at.checkbox(key="watch:k").value is True      # new: watched, as by default
    assert list(metrics(at).values()) == ["None", "5"]
    linked = app(watch="-")
    assert list(metrics(linked).values()) == ["None"]
    linked.text_area(key="program").set_value("x = 2.0\nq = 4.0\ny = x * q").run()
    assert list(metrics(linked).values()) == ["None", "2"]


def test_the_sidebar_lists_the_explorer_by_name_then_every_lesson():
    """Streamlit's own list named the main page "app" (its file); ours says "Explorer"."""
    at = app()
    sidebar = [(el.proto.page, el.proto.label) for el in at.sidebar.get("page_link")]
    # pages by their URL path: "" the main page, 1_Chain_rule.py -> Chain_rule
    lessons = sorted(p.stem.split("_", 1)[1] for p in (Path(APP).parent / "pages").glob("*.py"))
    assert sidebar[0] == ("", "Explorer")
    assert sorted(page for page, _ in sidebar[1:]) == lessons
    assert "app" not in [label for _, label in sidebar]
    assert "Lessons" in [c.value for c in at.sidebar.caption]


def test_visiting_a_lesson_keeps_the_typed_program():
    at = app()
    at.text_area(key="program").set_value("x = 3.0\ny = x * x").run()
    at.switch_page("pages/1_Chain_rule.py").run()
    assert not at.exception
    at.switch_page("app.py").run()
    assert at.text_area(key="program").value == "x = 3.0\ny = x * x"
    assert list(metrics(at).values()) == ["6"]


def test_a_value_added_below_the_target_becomes_the_target():
    """The help says the last value is the target: adding z = y + x under foo∘foo∘foo moves
    the target to z (it stayed y), unless someone chose targets of their own."""
    at = app()
    assert at.multiselect(key="targets").value == ["y"]
    at.text_area(key="program").set_value(gc.preset("foo3").source + "z = y + x\n").run()
    assert at.multiselect(key="targets").value == ["z"]
    assert list(metrics(at).values()) == ["1025"]                    # 8 x**7 + 1 at 2
    at.multiselect(key="targets").set_value(["y", "z"]).run()
    at.text_area(key="program").set_value(gc.preset("foo3").source + "z = y + x\nw = z\n").run()
    assert at.multiselect(key="targets").value == ["y", "z"]         # a choice is kept


TENSOR_TRAIN = """X = constant([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [2.0, 1.0]])
t = constant([1.0, 0.0, 0.0, 1.0])
W = Variable([[0.1], [-0.2]])
b = Variable([0.0])
z = reshape(X @ W, [4]) + b
loss = reduce_mean(softplus(z) - t * z)
"""


def test_train_tab_trains_tensor_variables_as_plain_tensorflow_does():
    import urllib.parse
    import numpy as np
    import tensorflow as tf
    link = gc.explorer_link(TENSOR_TRAIN, targets=["loss"])
    at = app(**dict(urllib.parse.parse_qsl(link.split("?", 1)[1])))
    open_tab(at, "Train")
    params = next(w for w in at.multiselect if w.key.startswith("train:params:"))
    assert params.value == ["W", "b"]                     # every Variable, of any shape
    at.slider(key="train:steps").set_value(50).run()
    at.button(key="train:run").click().run()
    assert not at.exception and not at.error
    spec = chart_spec(at, -1)
    assert [a["text"] for a in spec["layout"]["annotations"]][1] == "‖W‖ (after the update)"
    losses = spec["data"][0]["y"]
    assert len(losses) == 50
    # the same training in plain TensorFlow and Keras Adam (0.1)
    X = tf.constant([[1.0, 2.0], [0.5, -1.0], [-1.5, 0.3], [2.0, 1.0]])
    t = tf.constant([1.0, 0.0, 0.0, 1.0])
    W, b = tf.Variable([[0.1], [-0.2]]), tf.Variable([0.0])
    opt, want = tf.keras.optimizers.Adam(learning_rate=0.1), []
    for _ in range(50):
        with tf.GradientTape() as tape:
            z = tf.reshape(X @ W, [4]) + b
            loss = tf.reduce_mean(tf.nn.softplus(z) - t * z)
        want.append(float(loss))
        opt.apply_gradients(zip(tape.gradient(loss, [W, b]), [W, b]))
    np.testing.assert_allclose(losses, want, rtol=1e-5)
