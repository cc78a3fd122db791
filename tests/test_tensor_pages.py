"""Issue 19's pages through Streamlit's AppTest: broadcasting, Jacobians, the classifier lab,
and the player (▶, ❚❚, one step, reset) in both labs."""
import base64
import json

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

import graphviz_core as gc

BROADCAST = "../pages/6_Shapes_and_broadcasting.py"
JACOBIANS = "../pages/7_Jacobians.py"
CLASSIFIER = "../pages/8_Binarized_classifier.py"
SIGN_LAB = "../pages/5_Sign_training_lab.py"


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    return at


def page(path):
    return ok(AppTest.from_file(path, default_timeout=120).run())


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def z(trace):
    """A heatmap's numbers: plotly ships arrays as typed-array dicts (base64)."""
    v = trace["z"]
    if isinstance(v, dict):
        a = np.frombuffer(base64.b64decode(v["bdata"]), np.dtype(v["dtype"]))
        shape = [int(k) for k in str(v.get("shape", a.size)).split(",")]
        return a.reshape(shape)
    return np.asarray(v, dtype=float)


def text(at) -> str:
    return "\n".join(str(e.value) for kind in ("markdown", "caption", "error", "warning",
                                               "info", "success")
                     for e in getattr(at, kind))


# ---------------------------------------------------------------------------- 6 broadcasting
def test_broadcast_page_shows_the_sum_and_names_the_forgotten_rule():
    at = page(BROADCAST)
    bias, forgot, silu = (gc.broadcast_case(k) for k in ("bias", "forgot", "silu_bug"))
    heat = [c for c in charts(at) if c["data"] and c["data"][0]["type"] == "heatmap"]
    # section 1: upstream (4, 3), b's gradient = its column sums, automatic the same
    np.testing.assert_allclose(z(heat[0]["data"][1]), [bias.gradient], rtol=1e-6)
    np.testing.assert_allclose(z(heat[0]["data"][1]), [bias.upstream.sum(axis=0)], rtol=1e-5)
    errors = [e.value for e in at.error]
    assert any("rule_checks · shape" in e and "axis 0" in e and "(4, 3)" in e for e in errors)
    assert any("shape ()" in e and "beta" in e for e in errors)
    words = text(at)
    assert "Keras refuses the step" in words
    assert f"d y / d beta = {gc.fmt(silu.library_gradient)}" in words
    np.testing.assert_allclose(z(heat[1]["data"][1]), forgot.gradient, rtol=1e-6)


def test_broadcast_page_fixed_rules_pass_the_checks():
    at = page(BROADCAST)
    at.toggle(key="bcast_fixed").set_value(True)
    at.toggle(key="bcast_silu_fixed").set_value(True)
    ok(at.run())
    assert not at.error and len(at.success) == 2
    at.radio(key="bcast_which").set_value("scale")
    ok(at.run())
    scale = gc.broadcast_case("scale")
    heat = [c for c in charts(at) if c["data"] and c["data"][0]["type"] == "heatmap"]
    np.testing.assert_allclose(z(heat[0]["data"][1]), [scale.gradient], rtol=1e-6)


# ---------------------------------------------------------------------------- 7 Jacobians
def test_jacobian_page_rows_columns_and_counts_follow_the_sliders():
    at = page(JACOBIANS)
    r = gc.jacobians(3, 2)
    np.testing.assert_allclose(z(charts(at)[0]["data"][0]), r.jacobian, rtol=1e-6)
    words = text(at)
    assert "2 reverse passes" in words and "3 forward passes" in words
    assert "Reverse mode is cheaper" in words
    at.slider(key="jac_n").set_value(1)
    at.slider(key="jac_m").set_value(5)
    ok(at.run())
    at.slider(key="jac_row").set_value(4)
    ok(at.run())
    words = text(at)
    assert "5 reverse passes" in words and "1 forward passes" in words
    assert "Forward mode is cheaper" in words
    r = gc.jacobians(1, 5, row=4)
    assert gc.fmt(r.rows[4], 4) in words
    spec = charts(at)
    assert spec[1].get("frames") and spec[2].get("frames")     # both passes animate


# ---------------------------------------------------------------------------- 8 classifier
def test_classifier_plays_steps_and_pauses():
    at = page(CLASSIFIER)
    assert at.session_state["bc_runs"] == []
    ok(at.button(key="bc_one").click().run())
    run = at.session_state["bc_runs"][-1]
    assert len(run["records"]) == 1 and run["status"] == "paused"
    ok(at.button(key="bc_play").click().run())
    assert at.session_state["bc_player"]["playing"]
    n = len(run["records"])
    ok(at.run())                          # a tick (the browser's run_every does this)
    assert len(run["records"]) > n
    ok(at.button(key="bc_play").click().run())            # ❚❚
    assert not at.session_state["bc_player"]["playing"]
    n = len(run["records"])
    ok(at.run())
    assert len(run["records"]) == n                        # paused: nothing moves
    # the curves are the run's, the boundary is the last step's
    curves = charts(at)[0]
    assert len(curves["data"][0]["y"]) == n
    assert len(curves["data"][1]["y"]) == n
    ok(at.button(key="bc_reset").click().run())
    assert at.session_state["bc_player"]["run"] is None


def test_classifier_runs_to_the_end_with_the_surrogate_and_automatic_stays():
    at = page(CLASSIFIER)
    ok(at.button(key="bc_end").click().run())
    st_run = at.session_state["bc_runs"][-1]
    assert st_run["status"] == "done" and len(st_run["records"]) == 150
    assert st_run["records"].accuracies[-1] == pytest.approx(0.975)
    at.radio(key="bc_surrogate").set_value("automatic")
    ok(at.run())
    ok(at.button(key="bc_end").click().run())
    auto = at.session_state["bc_runs"][-1]
    assert auto["status"] == "done" and auto["records"].accuracies[-1] == pytest.approx(0.525)
    rows = at.dataframe[0].value
    assert rows["w moved by"].tolist()[-1] == "0" and rows["accuracy now"].tolist() == \
        ["97.5%", "52.5%"]
    # both runs overlaid; the earlier run's boundary drawn dashed on the plane
    curves, boundary = charts(at)[0], charts(at)[1]
    assert len({d["name"] for d in curves["data"]}) == 2
    assert any(d.get("line", {}).get("dash") == "dash" for d in boundary["data"])
    # the step's backward pass is on the graph, and any step of any run can be inspected
    assert charts(at)[2].get("frames")
    at.selectbox(key="bc_inspect").set_value(st_run["id"])
    at.slider(key="bc_step").set_value(0)
    ok(at.run())
    first = st_run["records"][0]
    assert any(f"w = {gc.fmt(first.values['w'])}" in c.value for c in at.caption)


def test_classifier_play_matches_one_run_to_the_end():
    at = page(CLASSIFIER)
    ok(at.button(key="bc_play").click().run())
    for _ in range(3):
        ok(at.run())
    played = list(at.session_state["bc_runs"][-1]["records"])
    prog, modes = gc.classifier_program(at.radio(key="bc_surrogate").value)
    fresh = list(gc.train_classifier(prog, modes, steps=150))[:len(played)]
    assert len(played) > 1
    for a, b in zip(played, fresh):             # the same run, number for number
        assert (a.step, a.loss, a.params["b"]) == (b.step, b.loss, b.params["b"])
        np.testing.assert_array_equal(a.params["w"], b.params["w"])


# ---------------------------------------------------------------------------- 5 sign lab ▶
def test_sign_lab_plays_step_by_step_as_one_run():
    at = page(SIGN_LAB)
    ok(at.button(key="tl_one").click().run())
    ok(at.button(key="tl_one").click().run())
    ok(at.button(key="tl_play").click().run())
    ok(at.run())
    run = at.session_state["tl_runs"][-1]
    assert run["status"] == "playing" and len(run["records"]) > 2
    prog, modes = gc.sign_program("sigmoid", start=-1.0)
    fresh = list(gc.train(prog, ["x"], "loss", modes=modes, steps=100))
    assert run["records"] == fresh[:len(run["records"])]
    ok(at.button(key="tl_play").click().run())              # ❚❚
    assert at.session_state["tl_runs"][-1]["status"] == "paused"
    curves = charts(at)[0]
    assert any(d["name"].startswith(f"#{run['id']} ") for d in curves["data"])


def test_sign_lab_run_to_the_end_during_a_pause_stops_the_played_run_with_a_note():
    """▶ Run with the same settings reuses the played run's Trainer (it resets its variables):
    the played run ends there, marked stopped, with a note, never an exception."""
    at = page(SIGN_LAB)
    ok(at.button(key="tl_one").click().run())
    played = at.session_state["tl_runs"][-1]["id"]
    ok(at.button(key="tl_run").click().run())
    # the steps computed ahead (a chunk) are still the played run's own; then it stops
    for _ in range(10):
        ok(at.button(key="tl_one").click().run())
    run = next(r for r in at.session_state["tl_runs"] if r["id"] == played)
    assert run["status"] == "stopped" and len(run["records"]) == 10
    assert any("took over its Trainer" in w.value for w in at.warning)
