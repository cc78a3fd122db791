"""Share links carry the form the program is read in (issue 18): a TensorFlow-Python cell's
link reopens in the Python form; links made before the form was carried still open."""
from __future__ import annotations

import graphviz_core as gc
from explorer_app import session
from graphviz_core import links

from tests.test_app import app, metrics

PRESETS = {p.key: p for p in gc.PRESETS}

# a Python cell that auto-detection reads as the short form (no import, def, with or tf.)
PY_ONLY = "x = 2.0\ny = x * x\nprint(y)"


def test_the_form_round_trips_and_auto_is_not_written():
    for form in ("python", "short"):
        q = links.encode({"program": PY_ONLY, "form": form})
        assert q["form"] == form
        assert links.decode(q) == ({**links.default_state(PY_ONLY), "form": form}, [])
    assert "form" not in links.encode({"program": PY_ONLY, "form": "auto"})
    assert "form" not in links.encode({"program": PY_ONLY})


def test_a_link_made_before_the_form_was_carried_auto_detects():
    old = links.encode({"program": gc.preset("py_sign").source})    # no form in it
    state, msgs = links.decode(old)
    assert msgs == [] and state["form"] == "auto"
    assert gc.parse(state["program"], form=state["form"]).form == "python"


def test_a_bad_form_in_a_link_falls_back_to_auto_detection_with_a_message():
    state, msgs = links.decode({**links.encode({"program": PY_ONLY}), "form": "java"})
    assert state["form"] == "auto" and state["program"] == PY_ONLY
    assert msgs and "form in the link must be python or short" in msgs[0]


def test_a_first_visit_from_a_python_link_reads_the_program_as_python():
    q = links.encode({"program": PY_ONLY, "form": "python", "inputs": {"x": 3.0}})
    s = {}
    session.first_visit(s, q, PRESETS, "foo3")
    assert s["form"] == "python" and s["url_messages"] == []
    # the link's value is written into the Python cell's text, read in the link's form
    assert s["program"] == "x = 3.0\ny = x * x\nprint(y)" and s["in:x"] == 3.0
    prog = gc.parse(s["program"], form=s["form"])
    assert prog.form == "python"
    assert gc.trace(prog).gradients == {"x": 6.0}


def test_picking_an_example_after_a_python_link_reads_it_as_auto_detected():
    s = {}
    session.first_visit(s, links.encode({"program": PY_ONLY, "form": "python"}), PRESETS,
                        "foo3")
    s["preset"] = "foo3"
    session.pick_example(s, PRESETS)
    assert s["form"] == "auto" and gc.parse(s["program"], form=s["form"]).form == "short"


def test_the_page_puts_the_python_form_in_its_link_and_reopens_in_it():
    at = app()
    at.segmented_control(key="form").set_value("python").run()
    at.text_area(key="program").set_value(PY_ONLY).run()
    assert not at.exception and not at.error
    assert list(metrics(at).values()) == ["4"]
    query = at.query_params.to_dict() if hasattr(at.query_params, "to_dict") else \
        dict(at.query_params)
    query = {k: v[0] if isinstance(v, list) else v for k, v in query.items()}
    assert query["form"] == "python"
    again = app(**query)
    assert not again.exception and not again.error
    assert again.segmented_control(key="form").value == "python"
    assert again.text_area(key="program").value == PY_ONLY
    assert list(metrics(again).values()) == ["4"]
    assert [c.value for c in again.code] == ["4.0"]      # y is a Python float: print(y)
    # the same link without its form is read as the short form, which has no print
    del query["form"]
    assert app(**query).error
