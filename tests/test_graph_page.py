"""The graph view's page parts through AppTest: the node inspector, the rule-check panel,
the side by side's own switch, the picker that keeps a typed program."""
import json

import numpy as np

import graphviz_core as gc
from tests.test_app import app, open_tab

_BAD_RULE = "f(x) = x * x\ngrad f(x, dy) = 2 * x\nx = 1.5\ny = f(x) * 3"


def test_inspecting_a_node_shows_its_value_gradient_and_jacobians():
    at = app()
    at.text_area(key="program").set_value(
        "W = Variable([[1.0, 2.0], [3.0, 4.0]])\ny = reduce_sum(W * W)").run()
    assert not at.exception
    at.selectbox(key="inspect").set_value("n1").run()      # W * W
    assert not at.exception
    spec = next(json.loads(c.proto.spec) for c in at.get("plotly_chart")
                if "inspect-chart" in c.proto.id)
    panels = {d["name"]: d for d in spec["data"]}
    # the numbers are TensorFlow's: W * W, its gradient (ones from reduce_sum), d(W*W)/dW
    np.testing.assert_array_equal(panels["value"]["z"], [[1, 4], [9, 16]])
    np.testing.assert_array_equal(panels["gradient"]["z"], [[1, 1], [1, 1]])
    jac = np.array(panels["d out / d W (input 1)"]["z"])
    np.testing.assert_array_equal(jac, np.diag([1.0, 2.0, 3.0, 4.0]))


def test_a_broken_rule_is_a_loud_panel_and_its_node_is_outlined():
    at = app()
    at.text_area(key="program").set_value(_BAD_RULE).run()
    assert not at.exception
    loud = [e.value for e in at.error if "A custom rule looks wrong" in e.value]
    assert loud and "ignores dy" in loud[0]
    assert "TensorFlow's automatic gradient of f gives 9" in loud[0]
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    nodes = next(d for d in spec["data"] if d.get("name") == "nodes")
    assert gc.PALETTE["nan"] in nodes["marker"]["line"]["color"]


def test_the_side_by_side_has_its_own_switch_in_its_tab():
    at = app(presentation="1")       # the sidebar's switch is hidden there
    at.text_area(key="program").set_value(_BAD_RULE).run()
    open_tab(at, "Automatic vs custom")
    at.button(key="compare-here").click().run()
    assert not at.exception
    assert at.session_state["compare"] is True
    assert sum("cmp-" in c.proto.id for c in at.get("plotly_chart")) == 2


def test_picking_an_example_keeps_a_typed_program():
    at = app()
    mine = "x = 2.0\ny = x * x * x"
    at.text_area(key="program").set_value(mine).run()
    assert at.session_state["preset"] == "yours"      # the picker no longer names foo3
    assert "✎ Your program" in at.selectbox(key="preset").options     # (their labels)
    at.selectbox(key="preset").set_value("two_step").run()
    assert at.text_area(key="program").value == gc.preset("two_step").source
    at.selectbox(key="preset").set_value("yours").run()
    assert not at.exception
    assert at.text_area(key="program").value == mine
