"""gc.train against seed 003's printout, the surrogates, the limits, compiled vs eager."""
import json
import math
import threading

import plotly.graph_objects as go
import plotly.io as pio
import numpy as np
import pytest

import graphviz_core as gc


def approx(v, rel=1e-6, abs=None):
    return pytest.approx(v, rel=rel, abs=abs)


@pytest.fixture(scope="module")
def seed_run():
    prog = gc.parse(gc.preset("sign_train").source)
    return list(gc.train(prog, ["x"], "loss", optimizer="adam", learning_rate=0.1, steps=100))


# ---------------------------------------------------------------------------- seed 003
def test_seed_first_step(seed_run):
    r = seed_run[0]
    assert r.step == 0
    assert r.loss == 2.0                                   # l2_loss(-1 - 1) = (-2)**2 / 2
    assert r.gradients["x"] == approx(-0.393223882)        # (y - 1) * sigmoid'(-1)
    assert r.values == {"x": -1.0, "y": -1.0, "loss": 2.0}  # before the update
    # After the update. The seed printed -0.89999783 (tf.keras 2's Adam); Keras 3's Adam
    # gives -0.90000147. Both are Adam's first step of size lr = 0.1 (m / sqrt(v) is +-1 at
    # step 1); they differ in how float32 rounds the bias corrections and where epsilon
    # (1e-7) enters, a few 1e-6 of the step, so x is compared to 1e-5 and not to the digit.
    assert r.params["x"] == approx(-0.9, rel=0, abs=1e-5)
    assert r.params["x"] == approx(-0.90000147, rel=0, abs=1e-7)


def test_seed_printout_every_ten_steps(seed_run):
    rows = gc.step_rows(seed_run)
    assert [row["step"] for row in rows] == list(range(0, 100, 10))
    assert list(rows[0]) == ["step", "loss", "grads", "x", "y"]   # the seed's tf.print columns
    # seed: 90 0 0 0.990113616 1. The rounding difference of the first step (above) is
    # carried by Adam's moments; Keras 3 ends at 0.99009305: compare to 1e-4.
    assert rows[9]["x"] == approx(0.990113616, rel=0, abs=1e-4)
    assert rows[9]["loss"] == 0.0 and rows[9]["grads"] == 0.0 and rows[9]["y"] == 1.0
    # seed: 10 0 0 0.0995881185 1 (Keras 3: 0.09957389)
    assert rows[1]["x"] == approx(0.0995881185, rel=0, abs=1e-3)


def test_seed_loss_is_zero_from_the_crossing_on(seed_run):
    crossing = next(r.step for r in seed_run if r.values["x"] > 0)
    assert 5 <= crossing <= 15
    for r in seed_run:
        if r.step < crossing:
            assert (r.values["y"], r.loss) == (-1.0, 2.0)
            assert r.gradients["x"] < 0                     # pushes x up
        else:
            assert (r.values["y"], r.loss, r.gradients["x"]) == (1.0, 0.0, 0.0)
    xs = [r.params["x"] for r in seed_run]
    assert all(b >= a for a, b in zip(xs, xs[1:]))         # Adam's momentum coasts upward
    assert xs[-1] == approx(0.99, rel=0, abs=2e-3)


def test_automatic_sign_never_moves():
    prog, modes = gc.sign_program("automatic")
    assert modes == {"differentiable_sign": "automatic"}
    recs = list(gc.train(prog, "x", "loss", modes=modes, steps=100))
    assert len(recs) == 100
    for r in recs:
        assert r.gradients["x"] == 0.0           # TensorFlow's gradient of sign is zero
        assert r.params["x"] == -1.0 and r.values["y"] == -1.0 and r.loss == 2.0


def test_step_zero_matches_trace():
    """The first record is exactly what gc.trace says at the start value."""
    prog = gc.parse(gc.preset("sign_train").source)
    t = gc.trace(prog, targets=["loss"])
    r = next(iter(gc.train(prog, "x", "loss", steps=1)))
    assert r.gradients["x"] == t.gradients["x"]
    assert r.values == t.values


# ---------------------------------------------------------------------------- choices
@pytest.mark.parametrize("name", list(gc.OPTIMIZERS))
def test_every_optimizer_runs(name):
    prog, modes = gc.sign_program("sigmoid")
    recs = list(gc.train(prog, "x", "loss", modes=modes, optimizer=name, learning_rate=0.5,
                         steps=30))
    assert recs[0].gradients["x"] == approx(-0.393223882)
    assert recs[0].params["x"] > -1.0                      # every optimizer steps uphill in x
    assert all(math.isfinite(r.params["x"]) for r in recs)


def test_sgd_step_is_learning_rate_times_gradient():
    prog = gc.parse("x = 3.0\ny = x**2")                  # a constant input becomes a Variable
    recs = list(gc.train(prog, "x", "y", optimizer="sgd", learning_rate=0.1, steps=3))
    assert [r.gradients["x"] for r in recs] == approx([6.0, 4.8, 3.84])
    assert [r.params["x"] for r in recs] == approx([2.4, 1.92, 1.536])
    assert recs[1].values["x"] == recs[0].params["x"]     # before = previous after


@pytest.mark.parametrize("key", [k for k in gc.SURROGATES if k != "automatic"])
def test_every_surrogate_carries_x_across_zero(key):
    rule = "upstream * 0.5" if key == "custom" else None
    prog, modes = gc.sign_program(key, rule=rule)
    assert modes == {"differentiable_sign": "custom"}
    recs = list(gc.train(prog, "x", "loss", modes=modes, steps=60))
    assert recs[0].gradients["x"] < 0
    assert recs[-1].params["x"] > 0 and recs[-1].loss == 0.0


def test_surrogate_gradients_at_minus_one():
    """Each rule at x = -1 with upstream d loss / d y = -2, evaluated by TensorFlow."""
    s = 1 / (1 + math.exp(1))                              # sigmoid(-1)
    s2 = 1 / (1 + math.exp(2))                             # sigmoid(-1 / 0.5)
    expect = {"sigmoid": -2 * s * (1 - s), "straight_through": -2.0,
              "tanh": -2 * (1 - math.tanh(-1) ** 2), "sigmoid_t": -2 * s2 * (1 - s2) / 0.5}
    for key, g in expect.items():
        prog, modes = gc.sign_program(key)
        r = next(iter(gc.train(prog, "x", "loss", modes=modes, steps=1)))
        assert r.gradients["x"] == approx(g, rel=1e-6), key


def test_temperature_is_written_into_the_rule():
    prog, _ = gc.sign_program("sigmoid_t", temperature=2.0)
    assert prog.functions["differentiable_sign"].rule_text == \
        "upstream * sigmoid(x / 2.0) * (1 - sigmoid(x / 2.0)) / 2.0"
    with pytest.raises(ValueError):
        gc.sign_program("sigmoid_t", temperature=0.0)


def test_start_value():
    prog, modes = gc.sign_program("sigmoid", start=2.5)
    r = next(iter(gc.train(prog, "x", "loss", modes=modes, steps=1)))
    assert r.values["x"] == 2.5 and r.loss == 0.0


def test_user_rule_is_used():
    prog, modes = gc.sign_program("custom", rule="upstream * 3")
    r = next(iter(gc.train(prog, "x", "loss", modes=modes, optimizer="sgd",
                           learning_rate=0.01, steps=1)))
    assert r.gradients["x"] == -6.0 and r.params["x"] == approx(-0.94)


@pytest.mark.parametrize("rule, column, words", [
    ("upstream * q", 12, "unknown name 'q'"),
    ("__import__('os').system('x')", 1, "only plain functions"),
    ("upstream * __import__('os')", 12, "unknown function '__import__'"),
    ("x.numpy()", 1, "only plain functions"),
    ("upstream * (1 - ", 12, "'(' was never closed"),
    ("upstream, upstream", 1, "gives 2 gradient(s)"),
    ("lambda: upstream", 1, "lambda"),
    ("upstream *\n2", 11, "one line"),
    ("   ", 1, "type a gradient rule"),
])
def test_bad_user_rule_is_a_program_error(rule, column, words):
    with pytest.raises(gc.ProgramError) as e:
        gc.sign_program("custom", rule=rule)
    assert e.value.line == 1 and e.value.column == column
    assert words in str(e.value)


def test_unknown_surrogate():
    with pytest.raises(ValueError, match="unknown surrogate"):
        gc.sign_program("magic")


# ---------------------------------------------------------------------------- limits and checks
def test_more_than_the_step_limit_is_refused():
    prog = gc.parse(gc.preset("sign_train").source)
    with pytest.raises(ValueError, match="at most 5,000 training steps"):
        gc.train(prog, "x", "loss", steps=gc.LIMITS["steps"] + 1)   # refused at the call


def test_the_step_limit_itself_runs():
    recs = list(gc.train(gc.parse("w = Variable(1.0)\ny = w * w"), "w", "y",
                         optimizer="sgd", learning_rate=0.01, steps=gc.LIMITS["steps"]))
    assert len(recs) == 5000 and recs[-1].step == 4999
    assert recs[-1].params["w"] == approx(0.98 ** 5000, rel=1e-3, abs=1e-30)


@pytest.mark.parametrize("kwargs, words", [
    (dict(params=["q"]), "'q' is not an input"),
    (dict(params=["y"]), "'y' is not an input"),
    (dict(params=[]), "at least one parameter"),
    (dict(target="nope"), "target 'nope'"),
    (dict(optimizer="lbfgs"), "unknown optimizer"),
    (dict(learning_rate=0.0), "positive"),
    (dict(learning_rate=float("nan")), "positive"),
    (dict(steps=0), "at least 1"),
    (dict(steps=2.5), "whole number"),
    (dict(dtype="float16"), "dtype"),
    (dict(modes={"differentiable_sign": "fancy"}), "mode must be"),
])
def test_bad_arguments_are_refused_at_the_call(kwargs, words):
    prog = gc.parse(gc.preset("sign_train").source)
    args = dict(params=["x"], target="loss")
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        gc.train(prog, **args)


# ---------------------------------------------------------------------------- compiled vs eager
_SMALL = """\
sq(w, c) = (w - c)**2
grad sq(w, c, dy) = dy * 2 * (w - c), None
w = Variable(3.0)
c = 2.0
v = Variable(0.5)
y = sq(w, c) + exp(-w) * v + sin(v)
"""


def test_compiled_and_eager_give_the_same_records():
    prog = gc.parse(gc.preset("sign_train").source)
    compiled = list(gc.train(prog, "x", "loss", steps=40, compiled=True, chunk=7))
    eager = list(gc.train(prog, "x", "loss", steps=40, compiled=False))
    assert compiled == eager                                # same ops, same floats


@pytest.mark.parametrize("optimizer", list(gc.OPTIMIZERS))
def test_compiled_and_eager_agree_for_every_optimizer(optimizer):
    # In a tf.function, Grappler may rewrite arithmetic (fuse RMSprop's sqrt and division,
    # reorder a sum): a last-bit float32 difference now and then, hence a tolerance.
    prog = gc.parse(_SMALL)
    assert not prog.has_conditionals
    kw = dict(optimizer=optimizer, learning_rate=0.05, steps=25)
    compiled = list(gc.train(prog, ["w", "v"], "y", compiled=True, **kw))
    eager = list(gc.train(prog, ["w", "v"], "y", compiled=False, **kw))
    assert len(compiled) == len(eager) == 25
    for a, b in zip(compiled, eager):
        assert a.step == b.step
        assert a.loss == approx(b.loss, rel=1e-5)
        assert a.gradients == approx(b.gradients, rel=1e-5)
        assert a.params == approx(b.params, rel=1e-5)
        assert a.values == approx(b.values, rel=1e-5)
    assert compiled[-1].params["w"] != 3.0 and compiled[-1].params["v"] != 0.5


def test_chunks_flatten_to_train():
    prog = gc.parse(gc.preset("sign_train").source)
    chunks = list(gc.train_chunks(prog, "x", "loss", steps=25, chunk=10))
    assert [len(c) for c in chunks] == [10, 10, 5]
    assert [r for c in chunks for r in c] == list(gc.train(prog, "x", "loss", steps=25))
    grown = [len(c) for c in gc.train_chunks(prog, "x", "loss", steps=200)]
    assert sum(grown) == 200 and grown[0] == 10 and len(grown) > 1   # short first, then grow


def test_program_with_a_conditional_trains_eagerly():
    prog = gc.parse(gc.preset("bad_step").source)           # x**2 if x > 5 else 0
    assert prog.has_conditionals
    recs = list(gc.train(prog, "x", "y2", optimizer="sgd", learning_rate=0.5, steps=3))
    # straight-through below 5: d y2 / d x = 5 * 1, x goes 2 -> -0.5 -> -3 -> -5.5
    assert [r.gradients["x"] for r in recs] == [5.0, 5.0, 5.0]
    assert [r.params["x"] for r in recs] == [-0.5, -3.0, -5.5]
    with pytest.raises(ValueError, match="eagerly"):
        gc.train(prog, "x", "y2", compiled=True)


def test_user_rule_with_a_condition_trains_eagerly():
    prog, modes = gc.sign_program("custom", rule="upstream if x < 0 else 0")
    assert prog.has_conditionals
    recs = list(gc.train(prog, "x", "loss", modes=modes, steps=20))   # no compiled= needed
    assert recs[0].gradients["x"] == -2.0 and recs[-1].params["x"] > 0


def test_sgd_stops_just_past_zero():
    """No momentum: once the loss is 0 the gradient is 0 and x stays where it is."""
    prog, modes = gc.sign_program("sigmoid")
    recs = list(gc.train(prog, "x", "loss", modes=modes, optimizer="sgd", steps=100))
    crossing = next(r.step for r in recs if r.params["x"] > 0)
    assert 0 < recs[-1].params["x"] < 0.05
    assert {r.params["x"] for r in recs[crossing:]} == {recs[-1].params["x"]}


def test_branch_change_during_eager_training():
    """Above 5 the custom rule is 2x: the branch is decided afresh every step."""
    prog = gc.parse(gc.preset("bad_step").source)
    recs = list(gc.train(prog, "x", "y2", inputs={"x": 6.0}, optimizer="sgd",
                         learning_rate=0.01, steps=3))
    assert recs[0].values["y1"] == 36.0 and recs[0].gradients["x"] == approx(60.0)
    assert recs[0].params["x"] == approx(5.4)


@pytest.mark.parametrize("compiled", [True, False])
def test_none_gradient_skips_that_update(compiled):
    prog = gc.parse("a = Variable(1.0)\nb = Variable(2.0)\ny = a**2")
    recs = list(gc.train(prog, ["a", "b"], "y", optimizer="sgd", learning_rate=0.25,
                         steps=2, compiled=compiled))
    assert [r.gradients for r in recs] == [{"a": 2.0, "b": None}, {"a": 1.0, "b": None}]
    assert [r.params for r in recs] == [{"a": 0.5, "b": 2.0}, {"a": 0.25, "b": 2.0}]


def test_all_gradients_none_does_not_crash():
    prog = gc.parse(gc.preset("bad_step").source)           # automatic: None below 5
    recs = list(gc.train(prog, "x", "y2", modes={"bad_step": "automatic"}, steps=3))
    assert [(r.gradients["x"], r.params["x"]) for r in recs] == [(None, 2.0)] * 3


def test_float64_and_several_targets():
    prog = gc.parse(gc.preset("f_multi").source)            # z1 + z2 + z3
    r = next(iter(gc.train(prog, ["w1", "w2"], ["z1", "z2", "z3"], optimizer="sgd",
                           learning_rate=0.001, steps=1, dtype="float64")))
    assert r.gradients == {"w1": 136.0, "w2": 30.0}         # seed 002's tape.gradient([z1, z2, z3])
    assert r.loss == r.values["z1"] + r.values["z2"] + r.values["z3"]
    # Keras keeps the learning rate in a float32 variable: 0.001 is 0.0010000000475 in float64
    assert r.params["w1"] == approx(5 - 0.136, rel=1e-8)


def test_nan_is_kept():
    prog = gc.parse(gc.preset("softplus").source)           # log(exp(100) + 1): inf, NaN grad
    r = next(iter(gc.train(prog, "x", "y", steps=1)))
    # x is tf.Variable([100.]) as in seed 002: its gradient and value are arrays of one element
    assert math.isinf(r.loss) and np.isnan(r.gradients["x"]).all() and np.isnan(r.params["x"]).all()


def test_runs_in_threads_share_nothing():
    prog = gc.parse(gc.preset("sign_train").source)
    expected = list(gc.train(prog, "x", "loss", steps=40))
    results = [None] * 3

    def work(i):
        results[i] = list(gc.train(prog, "x", "loss", steps=40))
    threads = [threading.Thread(target=work, args=(i,)) for i in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [expected] * 3


# ---------------------------------------------------------------------------- figure and table
def test_training_figure(seed_run):
    auto, modes = gc.sign_program("automatic")
    flat = list(gc.train(auto, "x", "loss", modes=modes, steps=100))
    fig = gc.training_figure([("automatic", flat), ("sigmoid", seed_run)], steps=100)
    assert isinstance(fig, go.Figure)
    assert [a.text for a in fig.layout.annotations] == [
        "loss", "x (after the update)", "y", "gradient d loss / d x"]
    assert len(fig.data) == 8                                # 4 panels x 2 runs
    first, second = fig.data[0], fig.data[4]
    assert first.name == "automatic" and second.name == "sigmoid"
    assert first.line.color == gc.PALETTE["gradient"] and second.line.color == gc.PALETTE["active"]
    assert set(first.y) == {2.0} and second.y[-1] == 0.0     # flat line at 2; drops to 0
    assert list(fig.data[5].y)[-1] == approx(0.99, rel=0, abs=2e-3)
    assert tuple(fig.layout.xaxis.range) == (0, 99)
    assert fig.layout.font.size >= 16                        # readable on a projector


def test_training_figure_draws_gaps_for_none_and_nan():
    prog = gc.parse("a = Variable(1.0)\nb = Variable(2.0)\ny = a**2")
    recs = list(gc.train(prog, ["b", "a"], "y", steps=3))
    fig = gc.training_figure([("run", recs)])
    assert list(fig.data[3].y) == [None, None, None]        # d y / d b is None
    assert gc.training_figure([]).data == ()


def _plotly_built(runs, steps, presentation, value_title=None):
    """The training chart built the validated way: make_subplots and go.Scatter, as plotly's
    documentation does it. training_spec must send exactly this to the browser."""
    from plotly.subplots import make_subplots
    first = runs[0][1][0]
    param, value = next(iter(first.params)), "y"
    titles = ("loss", f"{param} (after the update)", value_title or value,
              f"gradient d loss / d {param}")
    base = 20 if presentation else 16
    fig = make_subplots(rows=2, cols=2, shared_xaxes=True, subplot_titles=titles,
                        vertical_spacing=0.14, horizontal_spacing=0.09)
    for i, (label, recs) in enumerate(runs):
        for k, get in enumerate((lambda r: r.loss, lambda r: r.params[param],
                                 lambda r: r.values[value], lambda r: r.gradients[param])):
            ys = [get(r) if get(r) is not None and math.isfinite(get(r)) else None for r in recs]
            fig.add_trace(go.Scatter(
                x=[r.step for r in recs], y=ys, mode="lines", name=label,
                legendgroup=f"run{i}", showlegend=k == 0,
                line=dict(color=gc.training.RUN_COLORS[i], dash=("solid", "solid", "dash")[i],
                          width=4 if i == 0 else 3),
                hovertemplate=f"{label}<br>step %{{x}}<br>{titles[k]}: %{{y:.7g}}<extra></extra>"),
                row=k // 2 + 1, col=k % 2 + 1)
    fig.add_hline(y=0, row=1, col=2, line=dict(color=gc.PALETTE["muted"], width=1.5, dash="dot"))
    fig.update_xaxes(range=[0, steps - 1])
    fig.update_xaxes(title_text="step", row=2)
    fig.update_xaxes(tickfont=dict(size=base - 2))
    fig.update_yaxes(tickfont=dict(size=base - 2))
    fig.update_layout(
        height=760 if presentation else 620, template="plotly_white",
        font=dict(size=base, color=gc.PALETTE["ink"]), margin=dict(l=60, r=20, t=70, b=60),
        legend=dict(orientation="h", yanchor="bottom", y=1.06, x=0, font=dict(size=base)),
        hovermode="x unified", uirevision="training")
    fig.update_annotations(font=dict(size=base + 2))
    return fig


@pytest.mark.parametrize("presentation", [False, True])
def test_training_spec_is_the_chart_plotly_builds(seed_run, presentation):
    auto, modes = gc.sign_program("automatic")
    flat = list(gc.train(auto, "x", "loss", modes=modes, steps=100))
    runs = [("automatic", flat), ("sigmoid", seed_run), ("again", seed_run[:40])]
    spec = gc.training_spec(runs, steps=100, presentation=presentation,
                            value_title="y = sign(x)")
    want = _plotly_built(runs, 100, presentation, "y = sign(x)")
    assert json.loads(pio.to_json(spec)) == json.loads(want.to_json())
    spec["layout"]["height"] = 1        # each call's dicts are its own
    again = gc.training_spec(runs, steps=100, presentation=presentation,
                             value_title="y = sign(x)")
    assert again["layout"]["height"] == (760 if presentation else 620)


# ---------------------------------------------------------------------------- a reused Trainer
def _sign():
    return gc.parse(gc.preset("sign_train").source)


def test_reused_trainer_gives_the_records_of_a_fresh_train():
    prog = _sign()
    fresh = list(gc.train(prog, ["x"], "loss", optimizer="adam", learning_rate=0.1, steps=100))
    trainer = gc.Trainer(prog, ["x"], "loss", optimizer="adam", learning_rate=0.1)
    assert trainer.traces == 0                                # nothing traced until a run
    assert list(trainer.run(steps=100)) == fresh
    assert list(trainer.run(steps=100)) == fresh              # the second run: same floats
    # another start value in between, then the first again: nothing of a run carries over
    other = list(trainer.run({"x": -2.0}, steps=100))
    assert other == list(gc.train(prog, ["x"], "loss", inputs={"x": -2.0}, steps=100))
    assert other[0].values["x"] == -2.0 and other != fresh
    assert list(trainer.run(steps=100)) == fresh
    assert trainer.traces == 1                                # traced by the first run only


def test_second_run_starts_with_a_fresh_optimizer():
    """Adam's first step has size lr whatever the gradient; with its moments and iteration
    count left over from the last run, step 0 would move x by something else."""
    trainer = gc.Trainer(_sign(), "x", "loss")
    first = list(trainer.run(steps=50))
    second = list(trainer.run(steps=50))
    assert second[0] == first[0]
    assert second[0].params["x"] == approx(-0.90000147, rel=0, abs=1e-7)
    assert second[1] == first[1]
    assert second == first


@pytest.mark.parametrize("optimizer", list(gc.OPTIMIZERS))
def test_reused_trainer_matches_fresh_for_every_optimizer(optimizer):
    # Adagrad's accumulators start at 0.1 and Nadam's momentum product at 1: the reset puts
    # back each optimizer variable's value when new, not zeros.
    prog = gc.parse(_SMALL)
    kw = dict(optimizer=optimizer, learning_rate=0.05)
    trainer = gc.Trainer(prog, ["w", "v"], "y", **kw)
    fresh = list(gc.train(prog, ["w", "v"], "y", steps=30, **kw))
    moved = list(gc.train(prog, ["w", "v"], "y", inputs={"c": 5.0, "w": 1.0}, steps=30, **kw))
    assert list(trainer.run(steps=30)) == fresh
    assert list(trainer.run({"c": 5.0, "w": 1.0}, steps=30)) == moved   # a constant input too
    assert list(trainer.run(steps=30)) == fresh
    assert trainer.traces == 1


def test_learning_rate_changes_without_tracing_again():
    prog = _sign()
    trainer = gc.Trainer(prog, "x", "loss", optimizer="sgd", learning_rate=0.1)
    fast = list(trainer.run(steps=40, learning_rate=0.5))
    assert fast == list(gc.train(prog, "x", "loss", optimizer="sgd", learning_rate=0.5,
                                 steps=40))
    assert list(trainer.run(steps=40)) == list(gc.train(prog, "x", "loss", optimizer="sgd",
                                                        learning_rate=0.1, steps=40))
    assert trainer.traces == 1 and trainer.learning_rate == 0.1


def test_reused_trainer_chunks():
    prog = _sign()
    trainer = gc.Trainer(prog, "x", "loss")
    assert [len(c) for c in trainer.run_chunks(steps=25, chunk=10)] == [10, 10, 5]
    chunks = list(trainer.run_chunks(steps=300))
    assert [r for c in chunks for r in c] == list(gc.train(prog, "x", "loss", steps=300))
    assert len(chunks[0]) == 10 and len(chunks) > 1


def test_reused_eager_trainer():
    prog = gc.parse(gc.preset("bad_step").source)           # branches on a value: eager
    trainer = gc.Trainer(prog, "x", "y2", optimizer="sgd", learning_rate=0.5)
    assert not trainer.compiled
    first = list(trainer.run(steps=3))
    assert [r.params["x"] for r in first] == [-0.5, -3.0, -5.5]
    assert list(trainer.run(steps=3)) == first and trainer.traces == 0


def test_a_new_run_ends_the_unfinished_one():
    """One Trainer, one run at a time: the old iterator refuses rather than mix two runs."""
    prog = _sign()
    trainer = gc.Trainer(prog, "x", "loss")
    old = trainer.run_chunks(steps=30, chunk=10)
    next(old)
    new = trainer.run(steps=30)
    with pytest.raises(RuntimeError, match="one run at a time"):
        next(old)
    assert list(new) == list(gc.train(prog, "x", "loss", steps=30))


@pytest.mark.parametrize("kwargs, words", [
    (dict(params=["q"]), "'q' is not an input"),
    (dict(target="nope"), "target 'nope'"),
    (dict(optimizer="lbfgs"), "unknown optimizer"),
    (dict(learning_rate=-1.0), "positive"),
    (dict(dtype="float16"), "dtype"),
])
def test_trainer_refuses_a_bad_configuration(kwargs, words):
    args = dict(params=["x"], target="loss")
    args.update(kwargs)
    with pytest.raises(ValueError, match=words):
        gc.Trainer(_sign(), **args)


@pytest.mark.parametrize("kwargs, words", [
    (dict(steps=gc.LIMITS["steps"] + 1), "at most 5,000 training steps"),
    (dict(steps=0), "at least 1"),
    (dict(inputs={"q": 1.0}), "'q' is not an input"),
    (dict(inputs={"x": float("inf")}), "size at most"),
    (dict(learning_rate=0.0), "positive"),
    (dict(chunk=0), "chunk"),
])
def test_trainer_run_refuses_bad_arguments_at_the_call(kwargs, words):
    trainer = gc.Trainer(_sign(), "x", "loss")
    with pytest.raises(ValueError, match=words):
        trainer.run(**kwargs)
    assert list(trainer.run(steps=5)) == list(gc.train(_sign(), "x", "loss", steps=5))


def test_threads_with_separate_trainers_do_not_interfere():
    prog = _sign()
    starts = [-1.0, -2.0, 0.5, -0.25]
    expected = {s: list(gc.train(prog, "x", "loss", inputs={"x": s}, steps=60))
                for s in starts}
    errors, results = [], {}

    def work(i):
        try:
            trainer = gc.Trainer(prog, "x", "loss")
            for rnd in range(3):                             # reuse it, other starts between
                for s in starts[i:] + starts[:i]:
                    results[i, rnd, s] = list(trainer.run({"x": s}, steps=60, chunk=7))
        except Exception as e:                               # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(starts))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(results) == len(starts) * 3 * len(starts)
    for (_, _, s), recs in results.items():
        assert recs == expected[s]
