"""Lesson pages keep their settings and presentation mode in the address (issue 17)."""
from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from explorer_app import lesson_state as ls

PAGES = Path(__file__).resolve().parents[1] / "pages"


def _open(page, query):
    at = AppTest.from_file(str(PAGES / page), default_timeout=120)
    for k, v in query.items():
        at.query_params[k] = v
    return at.run()


def test_a_chain_rule_link_opens_the_lesson_as_it_was_shown():
    at = _open("1_Chain_rule.py", {"chain_n": "5", "chain_x": "1.25", "chain_dtype": "float64",
                                   "presentation": "1"})
    assert not at.exception
    assert at.slider(key="chain_n").value == 5 and at.slider(key="chain_x").value == 1.25
    assert at.radio(key="chain_dtype").value == "float64"
    # the numbers for those settings: five calls of x**2 make y = x**32 (1262.177448 in
    # float64; seven digits shown), computed by TensorFlow on the page
    heading = next(m.value for m in at.markdown if m.value.startswith("### y ="))
    assert "= 1262.177" in heading
    q = at.query_params
    assert (q["chain_n"], q["chain_x"], q["presentation"]) == ("5", "1.25", "1")
    # a change is in the address at once
    at.slider(key="chain_n").set_value(2).run()
    assert at.query_params["chain_n"] == "2"


@pytest.mark.parametrize("page, query", [
    ("1_Chain_rule.py", {"chain_n": "99"}),
    ("1_Chain_rule.py", {"chain_x": "nan"}),
    ("1_Chain_rule.py", {"chain_dtype": "Your session expired - log in at https://evil"}),
    ("4_Numerical_stability.py", {"stab_range": "900,-5"}),
    ("6_Shapes_and_broadcasting.py", {"bcast_fixed": "yes please"}),
    ("7_Jacobians.py", {"jac_m": "2", "jac_row": "7"}),
])
def test_a_bad_link_opens_the_lesson_with_its_own_settings_and_never_echoes(page, query):
    at = _open(page, query)
    assert not at.exception
    about_link = [w.value for w in at.warning if "link" in w.value]
    # said in the app's own words, the link's text never repeated
    assert all(w == "Some of the link's settings were not valid; the page opened with its "
               "own for those." for w in about_link)
    assert not any("evil" in w.value for w in at.warning)
    if page != "7_Jacobians.py":        # there the row is kept in range instead
        assert len(about_link) == 1


def test_the_jacobian_row_follows_the_links_outputs():
    at = _open("7_Jacobians.py", {"jac_m": "3", "jac_n": "2", "jac_row": "2", "jac_col": "1"})
    assert not at.exception
    assert at.slider(key="jac_row").value == 2 and at.slider(key="jac_col").value == 1
    at2 = _open("7_Jacobians.py", {"jac_m": "2", "jac_row": "7"})   # 2 outputs: rows 0, 1
    assert not at2.exception and at2.slider(key="jac_row").value == 1   # the last row


def test_parse_and_text_are_inverse():
    kinds = [ls.number(1, 8, integer=True), ls.number(-3.0, 3.0), ls.pair(-10.0, 20.0),
             ls.choice(*[10.0 ** -k for k in range(1, 13)]), ls.FLAG]
    for kind, value in zip(kinds, [5, -0.75, (0.0, 10.5), 1e-06, True]):
        assert ls.parse(ls.text(value, kind), kind) == value
