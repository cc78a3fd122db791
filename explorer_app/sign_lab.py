"""The sign training lab's sections (``pages/5_Sign_training_lab.py``, seed 003).

Runs are kept in ``st.session_state`` so that several stay overlaid; the run being trained is
written there chunk by chunk, so a run that the Stop button (or any other click) interrupts
keeps the steps it had, marked "stopped".

Trainers are kept in ``st.session_state`` too, one per configuration (gradient rule, optimizer),
at most ``MAX_TRAINERS`` per session, the least recently used dropped first: the first Run of
a configuration traces the compiled step (a tenth of a second or more), every later Run, with
any start value or learning rate, reuses it. They are per session, never shared between
visitors (a Trainer trains one run at a time).
"""
from __future__ import annotations

import streamlit as st

import graphviz_core as gc
from graphviz_core.report import fmt

from . import chrome as ui
from . import player
from . import server as server_tuning

MAX_RUNS = 8
MAX_TRAINERS = 4          # compiled gc.Trainer objects kept per session
TARGET = "loss"
PARAM = "x"
SUR = gc.SURROGATES
STORY = (("automatic", "adam", 0.1, -1.0, 100), ("sigmoid", "adam", 0.1, -1.0, 100))
CHART = {"displayModeBar": False}


# ---------------------------------------------------------------------------- core calls
@st.cache_data(max_entries=8, show_spinner=False)
def story_records(surrogate, optimizer, lr, start, steps):
    """The seed's two runs: the same for every visitor, so computed once for all."""
    prog, modes = gc.sign_program(surrogate, start=start)
    return list(gc.train(prog, [PARAM], TARGET, modes=modes, optimizer=optimizer,
                         learning_rate=lr, steps=steps))


@st.cache_data(max_entries=64, show_spinner=False)
def step_view(source, x, modes, presentation):
    """The backward pass at one step: the Explorer's own call, at x before that update."""
    return gc.explore(source, inputs={PARAM: x}, modes=dict(modes), targets=[TARGET],
                      presentation=presentation)


def trainer_for(surrogate, temperature, rule_text, optimizer, modes):
    """This session's ``gc.Trainer`` for a configuration; start x and learning rate are given
    to each run, so they are not part of the key (the program is built with x = 0 here)."""
    base, _ = gc.sign_program(surrogate, start=0.0, temperature=temperature, rule=rule_text)
    key = (base.source, tuple(sorted(modes.items())), optimizer)
    trainers = st.session_state.setdefault("tl_trainers", {})
    trainer = trainers.pop(key, None)
    if trainer is None:
        trainer = gc.Trainer(base, [PARAM], TARGET, modes=modes, optimizer=optimizer)
    trainers[key] = trainer                    # most recently used last
    while len(trainers) > MAX_TRAINERS:
        del trainers[next(iter(trainers))]     # the least recently used
    return trainer


def new_run(surrogate, rule_text, optimizer, lr, start, steps, prog, modes, records=None):
    st.session_state["tl_next"] += 1
    label = SUR[surrogate].label.split(" (")[0] if surrogate != "custom" else f"rule: {rule_text}"
    if surrogate == "sigmoid_t":
        label = f"sigmoid, T = {st.session_state.get('tl_T', SUR[surrogate].default):g}"
    label = label if len(label) <= 48 else label[:47] + "…"     # "upstream * 0." read as 0
    label = f"#{st.session_state['tl_next'] - 1} {label} · {optimizer} {lr:g} · x₀ = {start:g}"
    run = {"id": st.session_state["tl_next"] - 1, "label": label, "source": prog.source, "modes": modes,
           "steps": steps, "records": list(records or []),
           # what makes two runs the same (the label is cut short)
           "settings": (prog.source, tuple(sorted(modes.items())), optimizer, float(lr),
                        int(steps)),
           "status": "done" if records is not None else "running"}
    st.session_state["tl_runs"].append(run)
    del st.session_state["tl_runs"][:-MAX_RUNS]
    return run


def load_story():
    """The seed's two runs, as #1 and #2 whatever ran before (the text below cites them)."""
    st.session_state["tl_runs"], st.session_state["tl_next"] = [], 1
    for surrogate, optimizer, lr, start, steps in STORY:
        prog, modes = gc.sign_program(surrogate, start=start)
        new_run(surrogate, None, optimizer, lr, start, steps, prog, modes,
                story_records(surrogate, optimizer, lr, start, steps))


def figure(presentation):
    runs = [(r["label"] + (" (stopped)" if r["status"] == "stopped" else ""), r["records"])
            for r in st.session_state["tl_runs"]]
    steps = max((r["steps"] for r in st.session_state["tl_runs"]), default=None)
    return server_tuning.plotly_spec(gc.training_spec(
        runs, param=PARAM, value="y", steps=steps, presentation=presentation,
        value_title="y = sign(x)"))


def settings_panel():
    """The gradient rule, optimizer, start and buttons; returns what to train."""
    ss = st.session_state
    surrogate = st.radio("Gradient of sign in the backward pass", list(SUR), index=1,
                         key="tl_surrogate", format_func=lambda k: SUR[k].label)
    st.caption(SUR[surrogate].note)
    temperature, rule_text = None, None
    if surrogate == "sigmoid_t":
        temperature = st.slider("Temperature T", 0.05, 5.0, SUR[surrogate].default, 0.05,
                                key="tl_T")
    if surrogate == "custom":
        rule_text = st.text_input("Your rule (names: x, upstream)", key="tl_rule",
                                  value="upstream * exp(-x**2)",
                                  help="One expression in the program language, e.g. "
                                       "upstream * sigmoid(x) * (1 - sigmoid(x)). "
                                       "Parsed by the app's safe parser, never by Python.")
    c1, c2 = st.columns(2)
    start = c1.number_input("Start x", -100.0, 100.0, -1.0, 0.5, key="tl_start", format="%g")
    optimizer = c2.selectbox("Optimizer", list(gc.OPTIMIZERS), key="tl_optimizer")
    lr = c1.number_input("Learning rate", 1e-6, 100.0, 0.1, 0.05, key="tl_lr", format="%g")
    steps = c2.number_input("Steps", 1, gc.LIMITS["steps"], 100, 50, key="tl_steps")
    try:
        prog, modes = gc.sign_program(surrogate, start=start, temperature=temperature,
                                      rule=rule_text)
        rule_shown = prog.functions["differentiable_sign"].rule_text
        if modes["differentiable_sign"] == "automatic":
            st.code("backward: TensorFlow's gradient of sign (0)", language=None)
        else:       # the rule alone: with its signature it wrapped to six lines here
            st.caption("Backward rule: grad differentiable_sign(x, upstream) =")
            st.code(rule_shown, language=None, wrap_lines=True)
    except gc.ProgramError as e:
        prog, modes = None, None
        st.error(f"Line {e.line}, column {e.column}: {e.message}"
                 + (f" — {e.hint}" if e.hint else ""))
        if rule_text and e.line == 1:
            st.code(rule_text + "\n" + " " * (e.column - 1) + "^", language=None)
    b1, b2 = st.columns(2)
    run_clicked = b1.button("▶ Run", key="tl_run", type="primary", disabled=prog is None,
                            width="stretch")
    stop_slot = b2.empty()
    # one under the other: side by side in this column the buttons' names do not fit
    if st.button("Clear runs", key="tl_clear", width="stretch"):
        ss["tl_runs"], ss["tl_next"] = [], 1
        ss.pop("tl_player", None)           # the played run went with the others
    if st.button("Notebook runs", key="tl_story", width="stretch",
                 help="Automatic vs the seed's sigmoid rule, Adam 0.1, 100 steps from −1"):
        load_story()
        ss.pop("tl_player", None)
    return surrogate, temperature, rule_text, optimizer, lr, start, steps, prog, modes, run_clicked, stop_slot


def train_live(surrogate, temperature, rule_text, optimizer, lr, start, steps, prog, modes, run_clicked, stop_slot, presentation, idle_chart=True):
    """Train a run chunk by chunk while its curves grow; then the overlaid runs.

    ``idle_chart=False``: no chart unless a run trains, and none left after it (the player,
    :func:`play_draw`, draws the resting chart below)."""
    ss = st.session_state
    progress_slot, chart_slot = st.empty(), st.empty()
    drawn = False
    if run_clicked and prog is not None:
        run = new_run(surrogate, rule_text, optimizer, lr, start, int(steps), prog, modes)
        # inspected next, even if it is stopped: ■ Stop's rerun brings the select box's old
        # choice from the browser, so the wish is kept apart and applied before the box
        ss["tl_inspect"] = ss["tl_inspect_next"] = run["id"]
        stop_slot.button("■ Stop", key="tl_stop", width="stretch",
                         help="Stops training; the steps done so far are kept")
        try:
            trainer = trainer_for(surrogate, temperature, rule_text, optimizer, modes)
            chunks = trainer.run_chunks({PARAM: start}, int(steps), learning_rate=lr)
            for k, chunk in enumerate(server_tuning.paced(chunks)):
                run["records"].extend(chunk)
                done = len(run["records"])
                progress_slot.progress(done / run["steps"],
                                       text=f"{run['label']}: step {done} of {run['steps']}")
                chart_slot.plotly_chart(figure(presentation), key=f"tl_live_{run['id']}_{k}",
                                        config=CHART)
                drawn = True
            run["status"] = "done"
        except ValueError as e:             # a setting the core refuses: say so, keep going
            ss["tl_runs"].remove(run)
            st.error(str(e))
        stop_slot.empty()
        progress_slot.empty()
        if not idle_chart:
            chart_slot.empty()
    if idle_chart and not drawn:
        if ss["tl_runs"]:
            chart_slot.plotly_chart(figure(presentation), key="tl_chart", config=CHART)
        else:
            chart_slot.info("No runs yet. Choose a gradient for sign and press ▶ Run, or "
                            "press “Notebook runs” (the seed notebook's two runs).")
    # a run with the settings of an earlier one draws exactly on top of it: say so
    newest = ss["tl_runs"][-1] if ss["tl_runs"] else None
    twin = next((r for r in ss["tl_runs"][:-1] if newest is not None and r["status"] == "done"
                 and newest["status"] == "done" and r["settings"] == newest["settings"]), None)
    if twin is not None:
        st.caption(f"Run #{newest['id']} used the same settings as run #{twin['id']}, so its "
                   f"curves lie exactly on top of #{twin['id']}'s: TensorFlow gives the same "
                   "numbers every time. Change a setting to compare.")
    stopped = [r for r in ss["tl_runs"] if r["status"] == "stopped"]
    for r in stopped:
        st.caption(f"{r['label']} was stopped at step {len(r['records'])} of {r['steps']}.")


# ---------------------------------------------------------------------------- ▶ play
def play_start(surrogate, temperature, rule_text, optimizer, lr, start, steps, prog, modes,
               *_):
    """What the player's ▶ calls: a new run of the current settings, one step per pull."""
    def begin():
        if prog is None:
            return None
        try:
            trainer = trainer_for(surrogate, temperature, rule_text, optimizer, modes)
            records = trainer.run({PARAM: start}, int(steps), learning_rate=lr,
                                  chunk=player.CHUNK)
        except (ValueError, gc.ProgramError) as e:      # a setting the core refuses
            st.error(str(e))
            return None
        run = new_run(surrogate, rule_text, optimizer, lr, start, int(steps), prog, modes)
        run["status"] = "paused"
        st.session_state["tl_inspect_next"] = run["id"]
        return run, records
    return begin


def play_draw(presentation):
    """The player's ``draw``: the overlaid curves, and the played run's latest backward pass."""
    def draw(run, key=""):
        if not st.session_state["tl_runs"]:
            st.info("No runs yet. Choose a gradient for sign and press ▶ Play or ▶ Run, or "
                    "press “Notebook runs” (the seed notebook's two runs).")
            return
        st.plotly_chart(figure(presentation), key=f"tl_chart_{key}", config=CHART)
        if run is None or not run["records"]:
            return
        rec = run["records"][-1]
        ex = step_view(run["source"], rec.values[PARAM], tuple(sorted(run["modes"].items())),
                       presentation)
        with st.expander(f"{run['label']}: the backward pass of step {rec.step} "
                         f"(x = {fmt(rec.values[PARAM])}, d loss / d x = "
                         f"{fmt(rec.gradients[PARAM])})", expanded=False):
            if ex.ok:
                st.plotly_chart(server_tuning.plotly_spec(ex.spec), key=f"tl_play_graph_{key}",
                                config=CHART)
    return draw


def lesson_text():
    """Why automatic stays flat and why a surrogate moves x: numbers from the seed's run."""
    why_flat, why_moves = st.columns(2, gap="large")
    why_flat.markdown(
        "**Why automatic is a flat line.** sign(x) is −1 for every x < 0 and +1 for every x > 0: "
        "flat on both sides, so its derivative is 0, and TensorFlow's gradient of sign is 0 "
        "everywhere (at 0 too). The chain rule multiplies the loss's upstream (y − 1 = −2) by "
        "that 0, so d loss / d x = 0 at every step. The optimizer receives 0 and never moves x: "
        "x stays −1, sign(x) stays −1, the loss stays ½(−1 − 1)² = 2.")
    # the numbers in the text come from the seed's run, trained by TensorFlow (cached for all)
    seed_run = story_records(*STORY[1])
    first, upstream = seed_run[0], seed_run[0].values["y"] - 1       # d loss / d y = y − 1
    why_moves.markdown(
        "**Why a surrogate moves x across zero** (the seed's run: sigmoid rule, "
        f"{gc.OPTIMIZERS[STORY[1][1]]} {fmt(STORY[1][2])}). "
        "The forward pass still computes sign(x) "
        "exactly; only the backward pass uses the rule. The seed's rule is the sigmoid's slope "
        f"σ(x)(1 − σ(x)), positive everywhere: at x = {fmt(STORY[1][3])} the gradient is "
        f"{fmt(upstream)} × {fmt(first.gradients[PARAM] / upstream, 3)} = "
        f"{fmt(first.gradients[PARAM], 3)}, so the optimizer pushes x up. Once x crosses 0, "
        "sign(x) = 1 and the loss is 0; the upstream is then 0, so is the gradient, and x only "
        f"coasts on Adam's momentum (to {fmt(seed_run[-1].params[PARAM], 1)} after "
        f"{len(seed_run)} steps). With SGD, which has no momentum, x stops just past 0.")


def inspect(presentation):
    """Any run's backward pass at any step, and the seed's printout."""
    ss = st.session_state
    runs = [r for r in ss["tl_runs"] if r["records"]]
    if not runs:
        return
    st.header("Inspect a run")
    run = ui.choose_run(runs, "tl_inspect", wish_key="tl_inspect_next")
    records = run["records"]

    # the graph first and at full width: a column beside the table is too narrow on a
    # laptop for its packets and numbers
    st.subheader("The backward pass at one step")
    i = ui.choose_step(records, "tl_step")
    rec = records[i]
    x_before = rec.values[PARAM]
    ex = step_view(run["source"], x_before, tuple(sorted(run["modes"].items())),
                   presentation)
    if ex.ok:
        g = ex.trace.gradients[PARAM]
        m = st.columns(4)
        m[0].metric("x before the step", fmt(x_before))
        m[1].metric("y = sign(x)", fmt(rec.values["y"]))
        m[2].metric("loss", fmt(rec.loss))
        m[3].metric("d loss / d x", fmt(g))
        st.caption(f"Step {i}: TensorFlow's backward pass at x = {fmt(x_before)} (press ▶ "
                   f"on the graph). The optimizer turned this gradient into x = "
                   f"{fmt(rec.params[PARAM])} for the next step.")
        st.plotly_chart(server_tuning.plotly_spec(ex.spec), key="tl_backward", config=CHART)
        st.markdown(f"[Open this step in the Explorer]({ui.presented(gc.explorer_link(run['source'], inputs={PARAM: x_before}, modes=run['modes'], targets=[TARGET]), presentation)})")  # noqa: E501
    else:
        st.error(ex.error_text())

    st.subheader("Every 10 steps, as the seed prints")
    st.caption("`tf.print(i, loss, grads, x, y)`: loss, grads and y before the update, "
               "x after it.")
    rows = [{k: v if k == "step" else fmt(v, 8) for k, v in row.items()}
            for row in gc.step_rows(records, every=10, value="y")]
    ui.table(rows, presentation)


