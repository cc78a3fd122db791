"""The sign training lab through Streamlit's AppTest: charts, the seed table, runs overlaid,
the typed rule, the step scrubber, reruns without duplicate keys."""
import json

import pytest
from streamlit.testing.v1 import AppTest

PAGE = "../pages/5_Sign_training_lab.py"


def ok(at):
    assert not at.exception, [e.message for e in at.exception]
    assert not [e.value for e in at.error]
    return at


@pytest.fixture(scope="module")
def at():
    return ok(AppTest.from_file(PAGE, default_timeout=120).run())


def charts(at):
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def curves(chart):
    """{run label: {panel axis: y values}} of the training figure."""
    out = {}
    for trace in chart["data"]:
        out.setdefault(trace["name"], {})[trace.get("yaxis", "y")] = trace["y"]
    return out


def test_opens_with_the_seed_story(at):
    training = charts(at)[0]
    runs = curves(training)
    assert list(runs) == ["#1 automatic · adam 0.1 · x₀ = -1",
                          "#2 sigmoid derivative · adam 0.1 · x₀ = -1"]
    auto, sigmoid = runs.values()
    assert set(auto["y"]) == {2} and set(auto["y2"]) == {-1}   # flat line at loss 2, x = -1
    assert sigmoid["y"][0] == 2 and sigmoid["y"][-1] == 0       # the loss drops to 0
    assert sigmoid["y2"][-1] == pytest.approx(0.99, abs=2e-3)   # x settles near 0.99
    table = at.dataframe[0].value
    assert list(table.columns) == ["step", "loss", "grads", "x", "y"]
    assert list(table["step"]) == list(range(0, 100, 10))
    assert table.iloc[0].tolist() == [0, "2", "-0.393223882", "-0.900001466", "-1"]
    text = " ".join(m.value for m in at.markdown)
    assert "Why automatic is a flat line" in text
    # the lesson's numbers are the seed run's, from TensorFlow: upstream × σ'(−1), final x
    assert "the gradient is -2 × 0.1966 = -0.3932" in text
    assert "(to 0.99 after 100 steps)" in text


def test_short_run_is_added_and_overlaid(at):
    at.number_input(key="tl_steps").set_value(30)
    at.radio(key="tl_surrogate").set_value("straight_through")
    at.selectbox(key="tl_optimizer").set_value("sgd")
    ok(at.button(key="tl_run").click().run())
    runs = curves(charts(at)[0])
    assert len(runs) == 3
    label, new = list(runs.items())[-1]
    assert label == "#3 straight-through · sgd 0.1 · x₀ = -1"
    assert len(new["y"]) == 30
    # straight-through: gradient = upstream = -2, so SGD steps x by 0.2: -0.8, -0.6, ...
    assert new["y4"][0] == -2 and new["y2"][:2] == pytest.approx([-0.8, -0.6])
    assert at.selectbox(key="tl_inspect").value == 3              # the new run is inspected
    assert list(at.dataframe[0].value["step"]) == [0, 10, 20]
    ok(at.run())                                                  # a plain rerun: same keys
    assert len(curves(charts(at)[0])) == 3


def test_a_run_with_the_seed_settings_says_it_lies_on_the_seed_run():
    at = ok(AppTest.from_file(PAGE, default_timeout=120).run())     # a session of its own
    assert not any("same settings" in c.value for c in at.caption)
    ok(at.button(key="tl_run").click().run())               # the defaults: the seed's run
    runs = curves(charts(at)[0])
    assert len(runs) == 3
    seed, new = list(runs.values())[1:]
    assert new["y2"] == seed["y2"]                          # the very same numbers
    assert any("Run #3 used the same settings as run #2" in c.value for c in at.caption)
    at.number_input(key="tl_steps").set_value(120)                # one setting differs
    ok(at.button(key="tl_run").click().run())
    assert not any("Run #4 used the same settings" in c.value for c in at.caption)


def test_scrubber_shows_the_backward_pass_at_that_step(at):
    at.selectbox(key="tl_inspect").set_value(2)
    ok(at.run())
    at.slider(key="tl_step").set_value(3)
    ok(at.run())
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["y = sign(x)"] == "-1" and metrics["loss"] == "2"
    assert float(metrics["d loss / d x"]) < 0
    graph = charts(at)[1]
    assert graph.get("frames"), "the backward pass is an animated figure"
    assert any("Explorer" in m.value and "/?p=" in m.value for m in at.markdown)


def test_typed_rule_errors_keep_the_text(at):
    at.radio(key="tl_surrogate").set_value("custom")
    ok(at.run())
    at.text_input(key="tl_rule").set_value("upstream * q")
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "Line 1, column 12: unknown name 'q' — use the function's parameters, numbers and "
        "built-ins"]
    assert at.text_input(key="tl_rule").value == "upstream * q"
    assert at.button(key="tl_run").disabled
    at.text_input(key="tl_rule").set_value("upstream * 4")
    at.number_input(key="tl_steps").set_value(10)
    ok(at.run())                      # a browser reruns on the edit, which enables ▶ Run
    ok(at.button(key="tl_run").click().run())
    label, new = list(curves(charts(at)[0]).items())[-1]
    assert label.startswith("#4 rule: upstream * 4") and new["y4"][0] == -8


def test_clear_and_story_buttons(at):
    ok(at.button(key="tl_clear").click().run())
    assert not charts(at) and "No runs yet" in at.info[0].value
    ok(at.button(key="tl_story").click().run())
    assert len(curves(charts(at)[0])) == 2


def test_interrupted_run_is_kept_as_stopped():
    """A Stop click interrupts the script; the next run marks the partial run stopped."""
    at = ok(AppTest.from_file(PAGE, default_timeout=120).run())
    run = dict(at.session_state["tl_runs"][1])
    run.update(id=9, label="#9 partial", status="running", records=run["records"][:12])
    at.session_state["tl_runs"] = at.session_state["tl_runs"] + [run]
    ok(at.run())
    assert at.session_state["tl_runs"][-1]["status"] == "stopped"
    assert any("#9 partial was stopped at step 12 of 100" in c.value for c in at.caption)
    assert "#9 partial (stopped)" in curves(charts(at)[0])


def test_run_again_reuses_the_sessions_trainer():
    """The first Run of a configuration builds (and traces) a gc.Trainer kept in the session;
    Run again, with another start or learning rate, reuses it: same records as a fresh run."""
    import graphviz_core as gc

    at = ok(AppTest.from_file(PAGE, default_timeout=120).run())
    assert "tl_trainers" not in at.session_state      # the story is cached records, no Trainer
    at.number_input(key="tl_steps").set_value(40)
    ok(at.button(key="tl_run").click().run())
    trainers = at.session_state["tl_trainers"]
    assert len(trainers) == 1
    trainer = next(iter(trainers.values()))
    assert trainer.traces == 1
    at.number_input(key="tl_start").set_value(-2.0)
    at.number_input(key="tl_lr").set_value(0.3)
    ok(at.button(key="tl_run").click().run())
    assert list(at.session_state["tl_trainers"].values()) == [trainer]
    assert trainer.traces == 1                         # not traced again
    prog, modes = gc.sign_program("sigmoid", start=-2.0)
    fresh = list(gc.train(prog, ["x"], "loss", modes=modes, learning_rate=0.3, steps=40))
    assert at.session_state["tl_runs"][-1]["records"] == fresh
    assert at.session_state["tl_runs"][-1]["label"].endswith("adam 0.3 · x₀ = -2")


def test_at_most_four_trainers_per_session():
    """One Trainer per configuration, at most four, the least recently used dropped first."""
    at = ok(AppTest.from_file(PAGE, default_timeout=120).run())
    at.number_input(key="tl_steps").set_value(5)
    sgd = None
    for name in ["adam", "sgd", "rmsprop", "adagrad", "adamax", "sgd", "nadam"]:
        at.selectbox(key="tl_optimizer").set_value(name)
        ok(at.button(key="tl_run").click().run())
        trainers = at.session_state["tl_trainers"]
        assert len(trainers) <= 4
        sgd = sgd or next((t for t in trainers.values() if t.optimizer == "sgd"), None)
    # adamax pushed out adam; sgd, used again, became the newest, so nadam pushed out rmsprop
    assert [t.optimizer for t in trainers.values()] == ["adagrad", "adamax", "sgd", "nadam"]
    assert [t for t in trainers.values() if t.optimizer == "sgd"] == [sgd]
    assert len(at.session_state["tl_runs"]) == 8 and at.session_state["tl_runs"][-1]["steps"] == 5


def test_seed_story_numbers_the_seeds_runs_1_and_2_again():
    """The lesson's text cites the seed's two runs; after other runs they are still #1, #2."""
    at = ok(AppTest.from_file(PAGE, default_timeout=120).run())
    at.number_input(key="tl_steps").set_value(10)
    ok(at.button(key="tl_run").click().run())
    assert list(curves(charts(at)[0]))[-1].startswith("#3 ")
    ok(at.button(key="tl_story").click().run())
    assert list(curves(charts(at)[0])) == ["#1 automatic · adam 0.1 · x₀ = -1",
                                           "#2 sigmoid derivative · adam 0.1 · x₀ = -1"]
    ok(at.button(key="tl_clear").click().run())
    ok(at.button(key="tl_run").click().run())
    assert list(curves(charts(at)[0]))[0].startswith("#1 ")
