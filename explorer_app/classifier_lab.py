"""The binarized classifier lab's sections (``pages/8_Binarized_classifier.py``).

Runs are kept in ``st.session_state["bc_runs"]`` (at most ``MAX_RUNS``, overlaid); each holds
its StepRecords and their accuracies (computed by TensorFlow as the records arrive). Trainers
are per session, one per (gradient rule, optimizer), as in the sign lab. The player
(:mod:`explorer_app.player`) trains the newest run live.
"""
from __future__ import annotations

import streamlit as st

import graphviz_core as gc
from graphviz_core.report import fmt

from . import chrome as ui
from . import player
from . import server as server_tuning
from .explorer import trace_cache

MAX_RUNS = 6
MAX_TRAINERS = 4
SURROGATES = [k for k in gc.SURROGATES if k != "custom"]
CHART = ui.CHART
W_START = gc.training.classifier.W_START


def settings_panel():
    """Gradient rule, optimizer, learning rate, steps: ``(surrogate, T, optimizer, lr, steps)``."""
    sur = st.radio("Gradient of sign in the backward pass", SURROGATES, index=2,
                   key="bc_surrogate", format_func=lambda k: gc.SURROGATES[k].label)
    st.caption(gc.SURROGATES[sur].note)
    temperature = None
    if sur == "sigmoid_t":
        temperature = st.slider("Temperature T", 0.05, 5.0, gc.SURROGATES[sur].default, 0.05,
                                key="bc_T")
    c1, c2 = st.columns(2)
    optimizer = c1.selectbox("Optimizer", list(gc.OPTIMIZERS), key="bc_optimizer")
    lr = c2.number_input("Learning rate", 1e-4, 10.0, 0.05, 0.01, key="bc_lr", format="%g")
    steps = st.number_input("Steps", 1, 2000, 150, 50, key="bc_steps")
    if st.button("Clear runs", key="bc_clear", width="stretch"):
        st.session_state["bc_runs"] = []
        st.session_state.pop("bc_player", None)
    return sur, temperature, optimizer, float(lr), int(steps)


def _trainer(prog, modes, optimizer):
    key = (prog.source, tuple(sorted(modes.items())), optimizer)
    trainers = st.session_state.setdefault("bc_trainers", {})
    trainer = trainers.pop(key, None) or gc.Trainer(prog, list(gc.training.classifier.PARAMS),
                                                    gc.training.classifier.TARGET,
                                                    modes=modes, optimizer=optimizer)
    trainers[key] = trainer
    while len(trainers) > MAX_TRAINERS:
        del trainers[next(iter(trainers))]
    return trainer


def starter(sur, temperature, optimizer, lr, steps):
    """What ▶ calls for a new run: the run (in the list) and its records' iterator."""
    def start():
        ss = st.session_state
        try:
            prog, modes = gc.classifier_program(sur, temperature)
            records = _trainer(prog, modes, optimizer).run(steps=steps, learning_rate=lr,
                                                           chunk=player.CHUNK)
        except ValueError as e:
            st.error(str(e))
            return None
        ss["bc_next"] = ss.get("bc_next", 1) + 1
        label = gc.SURROGATES[sur].label.split(" (")[0]
        if sur == "sigmoid_t":
            label = f"sigmoid, T = {temperature:g}"
        run = {"id": ss["bc_next"] - 1, "label": f"#{ss['bc_next'] - 1} {label} · "
               f"{optimizer} {lr:g}", "source": prog.source, "modes": modes, "steps": steps,
               "records": _Accurate(), "status": "paused"}
        ss["bc_runs"].append(run)
        del ss["bc_runs"][:-MAX_RUNS]
        return run, iter(records)
    return start


class _Accurate(list):
    """A run's records that note each record's accuracy as it is appended (TensorFlow's)."""

    def __init__(self):
        super().__init__()
        self.accuracies = []

    def append(self, record):
        super().append(record)
        self.accuracies.append(gc.accuracy(record))


def draw_live(presentation):
    """``draw(run)`` for the player: curves of every run, the boundary, the step's graph."""
    def draw(run, key=""):
        ss = st.session_state
        runs = ss["bc_runs"]
        steps = max((r["steps"] for r in runs), default=None)
        curves = gc.classifier_curves(
            [(r["label"], [x.loss for x in r["records"]], r["records"].accuracies)
             for r in runs], steps=steps, presentation=presentation)
        run = run or (runs[-1] if runs else None)
        left, right = st.columns([3, 2], gap="medium")
        left.plotly_chart(server_tuning.plotly_spec(curves), key=f"bc_curves_{key}",
                          config=CHART)
        X, t = gc.training.classifier.blobs()
        rec = run["records"][-1] if run and run["records"] else None
        # the step's state before its update: what its accuracy and its backward pass saw
        w, b = (rec.values["w"], rec.values["b"]) if rec else (gc.training.classifier.W_START, 0.0)
        others = [(r["label"], gc.decision_line(r["records"][-1].params["w"],
                                                r["records"][-1].params["b"]))
                  for r in runs if r is not run and r["records"]]
        title = (f"step {rec.step} · {run['records'].accuracies[-1]:.1%} right · "
                 f"sign(w) = {fmt(gc.training.classifier.sign_of(w))}"
                 if rec else "before training")
        right.plotly_chart(server_tuning.plotly_spec(gc.boundary_figure(
            X, t, gc.probability_grid(w, b), gc.decision_line(w, b), others,
            presentation=presentation, title=title)), key=f"bc_boundary_{key}", config=CHART)
        if rec is not None:
            backward(run, rec, presentation, key)
        rows = summary()
        if rows:
            ui.table(rows, presentation)
    return draw


@st.cache_data(max_entries=64, show_spinner=False)
def _step_view(source, w, b, modes, presentation):
    # the Explorer's compiled traces: one structure here, so ~15 ms a step after the first
    return gc.explore(source, inputs={"w": list(w), "b": b}, modes=dict(modes),
                      targets=["loss"], presentation=presentation, cache=trace_cache())


def backward(run, rec, presentation, key="", expanded=None):
    """The backward pass of one step (at w, b before its update), on the graph."""
    w, b = rec.values["w"], rec.values["b"]
    ex = _step_view(run["source"], tuple(float(v) for v in w), float(b),
                    tuple(sorted(run["modes"].items())), presentation)
    with st.expander(f"The backward pass of step {rec.step} on the graph (press ▶ on it)",
                     expanded=not presentation if expanded is None else expanded):
        if not ex.ok:
            st.error(ex.error_text())
            return
        g = ex.trace.gradients
        st.caption(f"d loss / d w = {fmt(g['w'])}, d loss / d b = {fmt(g['b'])} at "
                   f"w = {fmt(w)}, b = {fmt(b)}: TensorFlow's backward pass, the rule of sign "
                   "included. The optimizer turns them into the next step's w and b.")
        st.plotly_chart(server_tuning.plotly_spec(ex.spec), key=f"bc_backward_{key}",
                        config=CHART)
        link = gc.explorer_link(run["source"], inputs={"w": [float(v) for v in w],
                                                       "b": float(b)},
                                modes=run["modes"], targets=["loss"])
        st.markdown(f"[Open this step in the Explorer]({ui.presented(link, presentation)})")


def summary():
    """Each finished run's accuracy and how far w moved: the figures the lab is about."""
    rows = []
    for r in st.session_state["bc_runs"]:
        if not r["records"]:
            continue
        first, last = r["records"][0], r["records"][-1]
        moved = gc.training.classifier.weight_change(first.values["w"], last.params["w"])
        rows.append({"run": r["label"], "steps": len(r["records"]), "status": r["status"],
                     "accuracy at the start": f"{r['records'].accuracies[0]:.1%}",
                     "accuracy now": f"{r['records'].accuracies[-1]:.1%}",
                     "w moved by": fmt(moved), "loss now": fmt(last.loss, 4)})
    return rows


def inspect(presentation):
    """Any run's backward pass at any step (the player shows the latest one as it plays)."""
    runs = [r for r in st.session_state["bc_runs"] if r["records"]]
    if not runs:
        return
    st.subheader("Inspect a step")
    c1, c2 = st.columns([1, 2])
    run = ui.choose_run(runs, "bc_inspect", c1)
    i = ui.choose_step(run["records"], "bc_step", c2)
    backward(run, run["records"][i], presentation, "inspect", expanded=True)
