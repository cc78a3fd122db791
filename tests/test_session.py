"""The Explorer's session rules on a plain dict: no Streamlit, no AppTest."""
from __future__ import annotations

import graphviz_core as gc
from explorer_app import session

PRESETS = {p.key: p for p in gc.PRESETS}


def fresh(query=None) -> dict:
    state = {}
    session.first_visit(state, query or {}, PRESETS, "foo3")
    return state


def test_a_first_visit_loads_the_default_example():
    s = fresh()
    assert s["program"] == PRESETS["foo3"].source and s["dtype"] == "float32" and s["ready"]


def test_a_share_link_overrides_program_inputs_and_modes():
    q = gc.links.encode({"program": gc.preset("foo3").source, "inputs": {"x": 3.0},
                         "modes": {"foo": "automatic"}, "dtype": "float64"})
    s = fresh(q)
    assert "x = 3.0" in s["program"] and s["in:x"] == 3.0
    assert s["mode:foo"] == "automatic" and s["dtype"] == "float64"


def test_kept_widgets_survive_a_visit_to_a_lesson():
    s = fresh()
    s["program"], s["in:x"] = "x = 5.0\ny = x*x", 5.0
    session.keep_widgets(s)
    lesson_ran = {k: v for k, v in s.items() if k in ("_kept", "ready")}   # Streamlit dropped them
    session.restore_widgets(lesson_ran)
    assert lesson_ran["program"] == "x = 5.0\ny = x*x" and lesson_ran["in:x"] == 5.0


def test_an_example_does_not_inherit_the_previous_programs_widgets():
    s = fresh()
    s["in:x"], s["mode:foo"] = 7.0, "automatic"
    session.keep_widgets(s)
    session.load_preset(s, PRESETS["f_variables"])
    assert "in:x" not in s and "mode:foo" not in s and s["_kept"] == {}


def test_targets_follow_a_new_last_line_unless_chosen():
    s = fresh()
    prog = gc.parse("x = 1.0\ny = x*x")
    assert session.follow_targets(s, prog) == ["y"]
    assert session.follow_targets(s, gc.parse("x = 1.0\ny = x*x\nz = y + x")) == ["z"]
    s["targets"] = ["y", "z"]                       # chosen: kept while both exist
    assert session.follow_targets(s, gc.parse("x = 1.0\ny = x*x\nz = y + x\nw = z")) == ["y", "z"]
    assert session.follow_targets(s, gc.parse("x = 1.0\nq = x")) == ["q"]   # none left


def test_boxes_and_grids_write_their_numbers_into_the_text():
    s = {"program": "x = 2.0\nW = Variable([[1.0, 2.0], [3.0, 4.0]])\ny = x * reduce_sum(W)",
         "in:x": 2.5, "grid": {"edited_rows": {1: {"0": -1.0}}}, "kind": "variable"}
    session.set_value(s, "x")
    session.set_tensor_cells(s, "W", "grid")
    session.set_kind(s, "x", "kind")
    assert s["program"] == ("x = Variable(2.5)\nW = Variable([[1.0, 2.0], [-1.0, 4.0]])\n"
                            "y = x * reduce_sum(W)")
    before = s["program"]
    s["grid"] = {"edited_rows": {5: {"0": 1.0}}}          # a cell the program no longer has
    session.set_tensor_cells(s, "W", "grid")
    assert s["program"] == before
