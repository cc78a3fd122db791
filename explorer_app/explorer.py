"""The Explorer page's sections: sidebar settings, the editor and inputs, the graph, the
details under it (trace, gradients, side by side, training, export). ``app.py`` calls them
in order; each reads and writes ``st.session_state`` through :mod:`explorer_app.session`'s
rules, and draws.
"""
from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import streamlit as st

import tensorflow as tf

import graphviz_core as gc
from graphviz_core.interpreter import PageClosed
from graphviz_core import links as url_state
from graphviz_core.tracer import tf_words

from . import chrome as ui
from . import lane
from . import python_form
from . import server as server_tuning
from . import session
from . import viewport

PRESETS = {p.key: p for p in gc.PRESETS}
DEFAULT = "foo3"
EDITOR_CHARS = 5 * gc.LIMITS["chars"]       # what the editor takes; the parser says the rest


@dataclass
class Areas:
    """Where the analysis fragment draws: containers the workspace fragment made around the
    editor (``wide`` is None in presentation mode, where the graph is always wide)."""
    notices: object = None
    graph: object = None
    program: object = None      # the editor (its error under it)
    wide: object = None
    values: dict = field(default_factory=dict)    # each input's box, above its switch


def presenting() -> bool:
    return bool(st.session_state.get("presentation"))


def sidebar() -> None:
    """The page list, then the Explorer's own settings."""
    ui.sidebar()
    with st.sidebar:
        st.radio("Precision", ["float32", "float64"], key="dtype", horizontal=True)
        st.toggle("Expand functions (show the ops inside)", key="expand",
                  help="Opens the functions that use TensorFlow's automatic gradient. A function "
                       "running its custom rule stays one node: TensorFlow calls the rule, not "
                       "the ops inside (switch it to automatic to open it).")
        st.toggle("Automatic vs custom, side by side", key="compare", on_change=on_compare_change,
                  help="Both graphs, TensorFlow's automatic gradient beside your rules, in "
                       "the “Automatic vs custom” part under the graph (switching this on "
                       "opens it).")
        st.toggle("Presentation mode (large type)", key="presentation",
                  help="For a projector: large type, the graph first, controls tucked away. "
                       "Share the link with presentation=1 to open a class straight into it.")
        st.select_slider("Animation speed", url_state.SPEEDS, key="speed",
                                 format_func=lambda v: f"{v:g}×")
        st.caption("Under the graph the slider's →1, →2 … are the forward steps and ←1, ←2 … "
                   "the backward ones. Keys on the graph: → ← step, Space play/pause, "
                   "Home/End first/last.")


def tensor_grid(value) -> pd.DataFrame:
    """A tensor input as a grid: a vector is one row, a matrix its rows."""
    a = np.atleast_2d(np.asarray(value, dtype=float))
    return pd.DataFrame(a, columns=[str(j) for j in range(a.shape[1])])



def tensor_input(name: str, inp):
    """A grid for a tensor input; its value is the program's (edits are written back)."""
    kind = "Variable" if inp.kind == "variable" else "constant"
    key = f"grid:{name}:{hash(inp.default)}"       # new text, new grid
    st.data_editor(tensor_grid(inp.default), key=key, on_change=session.set_tensor_cells,
                   args=(st.session_state, name, key),
                   hide_index=True, num_rows="fixed",
                   column_config={c: st.column_config.NumberColumn(c, format="%g")
                                  for c in tensor_grid(inp.default).columns})
    st.caption(f"{name} ({kind}), shape {inp.shape}")
    return inp.default



def compare_here() -> None:
    """The side by side switched on from its part of the details: the sidebar's toggle
    follows (a whole rerun, since the sidebar is outside the fragment)."""
    st.session_state["compare"] = True
    st.session_state["rerun_app"] = True


def on_compare_change() -> None:
    """Side by side on: open the part of the details that shows it (else nothing in view
    changed)."""
    if st.session_state.get("compare"):
        st.session_state["details"] = "Automatic vs custom"


def explore(source, inputs, modes, targets, watch, dtype, expand, presentation, compare, speed,
            _alive=None, form="auto", screen="normal", _pace=None):
    """Pure and deterministic, so one result serves every session that asks the same
    (``_alive`` and ``_pace`` are not part of the cache key: the first stops a run whose
    page has closed, the second is called before a costly run, see
    :func:`~explorer_app.session.pace_costly`)."""
    args = (source, inputs, modes, targets, watch, dtype, expand, presentation, compare, speed,
            form, screen)
    # the key is the arguments' repr (exact for floats, strings and tuples): Streamlit's own
    # hashing of the same tuple walked it item by item, ~1.5 ms a rerun (bench/README.md)
    return _explore(repr(args), args, _alive, _pace)


# One Exploration shared by every session that asks the same, never copied (the page only
# reads it). At most 16 entries: an entry holds whole figures (up to three with side by
# side), and a 300-node figure is several MB.
@server_tuning.figure_cache(16)
def _explore(key: str, _args: tuple, _alive=None, _pace=None):
    (source, inputs, modes, targets, watch, dtype, expand, presentation, compare, speed,
     form, screen) = _args
    kwargs = dict(source=source, inputs=dict(inputs), modes=dict(modes),
                  targets=list(targets) or None, watch=None if watch is None else list(watch),
                  dtype=dtype, expand=expand, presentation=presentation, compare=compare,
                  speed=speed, form=form, screen=screen)
    # a costly program runs in a low-priority process of its own, so that the class's
    # reruns do not queue behind it on this process's GIL (explorer_app/lane.py)
    heavy = lane.shared()
    if heavy is not None and heavy.wants(source, form):
        if _pace is not None:
            _pace()
        return heavy.run(kwargs, _alive)
    cpu = time.thread_time()
    ex = gc.explore(**kwargs, cache=trace_cache(), alive=_alive)
    if heavy is not None:
        heavy.note(source, time.thread_time() - cpu)
    return ex


def session_alive():
    """A callable: is the session running this script still connected?"""
    from streamlit.runtime import get_instance
    from streamlit.runtime.scriptrunner import get_script_run_ctx
    ctx = get_script_run_ctx()
    if ctx is None:
        return None
    runtime = get_instance()
    return lambda: runtime.is_active_session(ctx.session_id)


@st.cache_resource
def trace_cache() -> gc.TraceCache:
    """Compiled programs by structure, for the whole server: a program traced before (a
    preset a class is moving the inputs of) runs as one tf.function (bench/README.md)."""
    return gc.TraceCache(max_entries=64)


@st.cache_resource
def keyboard_script() -> str:
    return (Path(__file__).parents[1] / "assets" / "keys.js").read_text()



plain = ui.plain     # (the pages import it from here)


def cells(n: int) -> list:
    """``n`` side-by-side cells to write into with ``with``. One cell is the current
    container itself: a column block is two more messages to every browser on every run."""
    return st.columns(n) if n > 1 else [contextlib.nullcontext()]


def example_picker() -> None:
    """Beside the editor, inside its fragment: an edit renames the choice at once."""
    ss = st.session_state
    # a typed program stays in the picker as "Your program": picking an example keeps it
    yours = [session.YOURS] if "your_program" in ss or ss.get("preset") == session.YOURS \
        else []
    st.selectbox("Example program", list(PRESETS) + yours, key="preset",
                 on_change=session.pick_example, args=(ss, PRESETS),
                 format_func=lambda k: "✎ Your program" if k == session.YOURS
                 else PRESETS[k].title,     # the seed is under the editor
                 help="Every program from the four seed notebooks")


def program_choice() -> None:
    """Above the editor: the example picker, the form switch, the buttons that rewrite the
    text in the other form. In the page's outer fragment; what they show is remembered
    (:func:`choice_is_stale`)."""
    example_picker()
    python_form.form_switch()
    python_form.convert_buttons(parsed()[0])
    st.session_state["_choice_shows"] = _choice_shows()


def _choice_shows() -> tuple:
    """What the outer fragment draws from the text: the picker's choice and options, the
    form and what auto-detection reads, which convert button is disabled, the program's
    shape (:func:`program_settings`)."""
    ss = st.session_state
    prog = parsed()[0]
    form = python_form.form()
    # what auto-detection reads is shown ("Read as: ...") only in Auto
    return (ss.get("preset"), "your_program" in ss, form,
            gc.detect_form(ss.get("program", "")) if form == "auto" else None,
            None if prog is None else (prog.form, prog.source.startswith("# Generated")),
            _settings_shows(prog))


def choice_is_stale() -> bool:
    """Has the text changed what :func:`program_choice` shows since it was drawn (an edit
    made the example "Your program", or changed the form)? An input's number written into
    the text does not."""
    return st.session_state.get("_choice_shows") != _choice_shows()


def editor() -> None:
    """The program's text (:func:`example_note` goes under it, in the same fragment).

    In the inner fragment, with the inputs: an input's box writes its number into this
    text, and a widget that is not redrawn keeps its old text in the browser, which sends it
    back as an edit.
    """
    ss = st.session_state
    # the browser stops a paste at EDITOR_CHARS (a 20 MB one-line paste never leaves it);
    # past the parser's own limit, up to here, the text comes back with "too long"
    st.text_area("Program", key="program", height=250, max_chars=EDITOR_CHARS,
                 on_change=session.on_edit, args=(ss, PRESETS),
                 help="One statement a line. `f(x) = ...` defines a function, "
                      "`grad f(x, dy) = ...` its custom gradient, `x = 2.0` an input "
                      "(or `Variable(2.0)` / `constant(2.0)`), anything else a value. "
                      "The last value is the target. Or paste a TensorFlow notebook cell "
                      "as it is.")


def example_note() -> None:
    """Under the editor: the example's description, or the way back to it once the text is
    someone's own: next to the text it describes, so an edit never leaves the example's
    description standing under someone's own program."""
    ss = st.session_state
    example = PRESETS[session.example_key(ss, DEFAULT)]
    if ss["program"] == example.source:
        st.caption(plain(f"From seed notebook {example.seed}: {example.description}"))
    else:                                   # your own text: one click back to the example
        st.button("↺ Back to the example", key="back_to_example",     # a short name: it fits
                  on_click=session.back_to_example,
                  args=(ss, PRESETS, example.key),
                  help=f"Replaces the text above with “{example.title}”, the example chosen "
                       "in the sidebar")


def parsed():
    """The editor's program and its error, one of them None. Asked three or four times a
    run (the picker's part, its staleness check, the analysis); remembered for the text and
    form it was read from, so a broken text is not parsed again each time (``gc.parse``
    remembers programs, not errors)."""
    ss = st.session_state
    read = (ss["program"], python_form.form())
    last = ss.get("_parsed")
    if last is None or last[0] != read:
        try:
            last = (read, gc.parse(read[0], form=read[1]), None)
        except gc.ProgramError as e:
            last = (read, None, e)
        ss["_parsed"] = last
    return last[1], last[2]


def program_settings(prog, areas: Areas) -> None:
    """How the program is traced: each input's constant/Variable switch and ``tape.watch``,
    each function's gradient, the targets. In the page's outer fragment: moving a number
    reruns the graph without rebuilding and re-sending these (they change with the
    program's shape, not its numbers: :func:`choice_is_stale`). Each input's box goes in
    ``areas.values[name]``, above its switch; :func:`program_values` draws it."""
    ss = st.session_state
    unwatched = ss.setdefault("unwatched", [])
    if prog.inputs:
        st.markdown("**Inputs**")
        # one under another: side by side, a laptop leaves each input too narrow for the
        # constant/Variable switch
        for name, inp in prog.inputs.items():
            areas.values[name] = st.container()
            st.segmented_control(
                "kind", ["constant", "variable"], default=inp.kind, key=f"kind:{name}:{inp.kind}",
                on_change=session.set_kind,
                args=(st.session_state, name, f"kind:{name}:{inp.kind}"),
                format_func=lambda k: {"constant": "tf.constant", "variable": "tf.Variable"}[k],
                label_visibility="collapsed", required=True)
            if inp.kind == "constant":
                wkey = f"watch:{name}"
                # written back on every run: a widget that comes back after a run that did
                # not draw it (another program, then a sidebar change) otherwise ignores the
                # state it had and starts at its own default
                ss[wkey] = ss.get(wkey, name not in unwatched)
                if st.checkbox("tape.watch", key=wkey,
                               help="Constants are tracked only if the tape watches "
                                    "them; Variables always are."):
                    if name in unwatched:
                        unwatched.remove(name)
                elif name not in unwatched:
                    unwatched.append(name)
    if prog.functions:
        st.markdown("**Gradient of each function**")
    for name, fn in prog.functions.items():
        if fn.has_custom_gradient:
            key = f"mode:{name}"
            ss[key] = ss.get(key) if ss.get(key) in ("custom", "automatic") else "custom"
            st.segmented_control(
                f"`{name}({', '.join(fn.params)})`: rule `{fn.rule_text}`",
                ["custom", "automatic"], key=key, required=True,
                format_func=lambda m: {"custom": "custom rule",
                                       "automatic": "TensorFlow automatic"}[m])
        else:
            st.caption(f"`{name}({', '.join(fn.params)})`: automatic (no `grad` rule)")
    choices = list(prog.assignments) + list(prog.inputs)
    session.follow_targets(ss, prog)
    st.multiselect("Differentiate (targets add up)", choices, key="targets",
                   help="tape.gradient([targets], inputs): gradients of several targets add up")


def _settings_shows(prog) -> tuple | None:
    """What :func:`program_settings` draws from: the program's shape, not its numbers."""
    if prog is None:
        return None
    return (tuple((n, i.kind, i.shape) for n, i in prog.inputs.items()),
            tuple((n, f.params, f.has_custom_gradient, f.rule_text if f.has_custom_gradient
                   else None) for n, f in prog.functions.items()),
            tuple(prog.assignments), prog.default_target, tuple(prog.default_targets))


def program_values(prog, areas: Areas) -> dict:
    """Each input's number box (a grid for a tensor), in the place
    :func:`program_settings` left for it above its switch. Returns the inputs' values."""
    ss = st.session_state
    inputs = {}
    for name, inp in prog.inputs.items():
        with areas.values.get(name, contextlib.nullcontext()):      # (drawn by settings)
            if inp.shape:
                inputs[name] = tensor_input(name, inp)
                continue
            key, dkey = f"in:{name}", f"indefault:{name}"
            # a new input, or the text changed its default: the box starts from the text
            new = ss.get(dkey) != inp.default or key not in ss
            ss[dkey] = inp.default
            # written back on every run: a widget that comes back after a run that did not
            # draw it (another program, then a sidebar change) otherwise ignores the state
            # it had and starts at its own default, min_value (-1e9)
            ss[key] = inp.default if new else ss[key]
            inputs[name] = st.number_input(
                f"{name} ({'Variable' if inp.kind == 'variable' else 'constant'})",
                key=key, step=0.5, format="%g", min_value=-1e9, max_value=1e9,
                on_change=session.set_value, args=(st.session_state, name))
    return inputs


def traced_as(prog) -> tuple[dict, list]:
    """The functions' gradients and the watched constants, as :func:`program_settings`'s
    widgets last said (they are not redrawn when only a number moved)."""
    ss = st.session_state
    modes = {name: ss.get(f"mode:{name}", "custom") for name, fn in prog.functions.items()
             if fn.has_custom_gradient}
    unwatched = ss.get("unwatched", [])
    watch = [name for name, inp in prog.inputs.items() if inp.kind == "constant" and
             ss.get(f"watch:{name}", name not in unwatched)]
    return modes, watch


def show_error(ex) -> None:
    ss = st.session_state
    st.error(plain(ex.error_text()), icon="⚠️")
    err = ex.error
    if isinstance(err, gc.ProgramError):
        lines = ss["program"].split("\n")
        if 1 <= err.line <= len(lines):
            line, at = session.window(lines[err.line - 1], err.column)
            st.code(f"{line}\n{' ' * at}^", language=None)


def show_graph(ex) -> None:
    if not ex.ok:
        st.info("Fix the program to see its graph. Your text is kept as typed.")
        return
    t = ex.trace
    if ex.checks:     # a custom rule that breaks the chain rule or a shape: loud, not small
        st.error("**A custom rule looks wrong** (its node is outlined in red on the graph)\n\n"
                 + "\n".join(f"- {plain(c.message)}" for c in ex.checks), icon="🚨")
    event = st.plotly_chart(server_tuning.plotly_spec(ex.spec), key="graph",
                            on_select="rerun", selection_mode="points",
                            config={"displayModeBar": False})
    inspector(ex, event)
    cols = cells(min(4, len(t.gradients)))
    for i, row in enumerate(ex.gradients):
        with cols[i % len(cols)]:
            grad = t.gradients[row["input"]]
            if getattr(grad, "ndim", 0):        # a tensor: its numbers below the metric
                st.metric(f"∂({' + '.join(t.targets)}) / ∂{row['input']}",
                          f"shape {tuple(grad.shape)}")
                st.caption(gc.fmt(grad, 4))
            else:
                st.metric(f"∂({' + '.join(t.targets)}) / ∂{row['input']}", row["gradient"])
            if row["why"]:          # a None, 0 or NaN is explained where it is shown
                st.caption(plain(row["why"]))


def inspector(ex, event) -> None:
    """Click a node (or pick it): its value, gradient and local Jacobians as heatmaps."""
    ss = st.session_state
    choices = gc.node_choices(ex.trace)
    clicked = session.clicked_node(event, choices)
    if clicked is not None:
        ss["inspect"] = clicked
    if ss.get("inspect") not in choices:
        ss["inspect"] = None
    node = st.selectbox("Inspect a node: its value, gradient and local Jacobian (or click "
                        "the node on the graph)", list(choices), key="inspect",
                        format_func=choices.get, placeholder="pick a node")
    if node is not None:
        st.plotly_chart(gc.inspect_spec(ex.trace, node, presenting()), key="inspect-chart",
                        config={"displayModeBar": False})


def run(prog, parse_error, inputs, modes, watch):
    """The one core call."""
    ss = st.session_state
    if parse_error is not None:
        return gc.Exploration(source=ss["program"], error=parse_error)
    try:
        return explore(ss["program"], tuple(sorted(inputs.items())),
                       tuple(sorted(modes.items())), tuple(ss.get("targets") or ()),
                       None if watch is None else tuple(watch), ss["dtype"],
                       ss.get("expand", False), presenting(), ss.get("compare", False),
                       ss.get("speed", 1.0), session_alive(), python_form.form(),
                       viewport.screen(), lambda: session.pace_costly(ss))
    except lane.Unavailable as e:
        # the costly-program process gave no answer this time: said, and not cached
        return gc.Exploration(source=ss["program"], error=e)
    except PageClosed:
        # the tab closed mid-run: nobody is there to see anything, so the run just ends
        # (uncaught, Streamlit logged its traceback with rich: ~2 s of a core per closed
        # tab; bench/orphan_run.py)
        st.stop()


# ---------------------------------------------------------------------------- details
def table(rows) -> None:
    """A details table: text (``st.markdown``), in both modes. It changes with every number,
    and as an ``st.dataframe`` it was an Arrow table to build and send on each rerun and the
    grid's scripts to load before the first page was complete (bench/README.md)."""
    ui.static_table(rows)


def trace_tab(ex) -> None:
    if ex.events:
        table(ex.events)
    else:
        st.info("TensorFlow ran no gradient function: nothing the tape watched reaches "
                "the target.")


def gradients_tab(ex) -> None:
    table(ex.gradients)
    for row in ex.gradients:
        if row["why"]:
            st.markdown(f"- **{plain(row['input'])}: {plain(row['gradient'])}** — "
                        f"{plain(row['why'])}")


def compare_tab(ex) -> None:
    if not any(f.has_custom_gradient for f in ex.program.functions.values()):
        st.info("No function has a `grad` rule, so there is nothing to compare.")
        return
    if not ex.compare:
        # its own switch: presentation mode hides the sidebar's
        st.button("Show TensorFlow's automatic gradient beside the custom rules",
                  key="compare-here", on_click=compare_here, type="primary")
        return
    cols = st.columns(2)
    for col, mode in zip(cols, ("automatic", "custom")):
        side = ex.compare[mode]
        with col:
            st.subheader("TensorFlow automatic" if mode == "automatic" else "Custom rules")
            st.plotly_chart(server_tuning.plotly_spec(side.spec), key=f"cmp-{mode}",
                            config={"displayModeBar": False})
            table([{k: r[k] for k in ("input", "gradient", "why")} for r in side.gradients])


def train_tab(ex) -> None:
    ss = st.session_state
    prog, t = ex.program, ex.trace
    names = [n for n in prog.assignments]
    if not names or not prog.inputs:
        st.info("Training needs an input to change and a value to minimise.")
        return
    c1, c2, c3, c4 = st.columns(4)
    # keyed by the program's names, so a new program starts from its own defaults
    shape = "|".join(list(prog.inputs) + names)
    # every Variable, of any shape, by default (a constant can be chosen too)
    variables = [n for n, inp in prog.inputs.items() if inp.kind == "variable"]
    params = c1.multiselect("Train", list(prog.inputs),
                            default=variables or list(prog.inputs)[:1],
                            key=f"train:params:{shape}")
    target = c2.selectbox("to minimise", names, index=len(names) - 1,
                          key=f"train:target:{shape}")
    optimizer = c3.selectbox("Optimizer", list(gc.OPTIMIZERS), key="train:opt")
    lr = c4.number_input("Learning rate", value=0.1, min_value=1e-6, max_value=100.0,
                         format="%g", key="train:lr")
    # a program that branches on a value trains eagerly (no tf.function): keep runs short
    most = 1000 if prog.has_conditionals else gc.LIMITS["steps"]
    steps = st.slider("Steps", 10, most, 100, step=10, key="train:steps",
                      help="Programs with 'a if cond else b' train step by step in Python, "
                           "so they are limited to 1,000 steps here." if prog.has_conditionals
                      else None)
    if not st.button("Train", key="train:run", type="primary", disabled=not params):
        return
    chart, bar = st.empty(), st.progress(0.0)
    records = []
    try:
        for chunk in server_tuning.paced(gc.train_chunks(
                prog, params, target, inputs=t.inputs, modes=t.modes, optimizer=optimizer,
                learning_rate=lr, steps=steps, dtype=ss["dtype"])):
            records.extend(chunk)
            bar.progress(len(records) / steps)
            spec = gc.training_spec([("run", records)], param=params[0], steps=steps,
                                    presentation=presenting())
            chart.plotly_chart(server_tuning.plotly_spec(spec), key=f"train-chart-{len(records)}")
    except (gc.ProgramError, ValueError) as e:
        st.error(plain(str(e)))
        return
    except tf.errors.OpError as e:          # a rule's shape TensorFlow cannot use, say
        st.error(plain(f"TensorFlow refused to train this program: {tf_words(e)}"))
        return
    table(gc.step_rows(records, every=max(1, steps // 10)))


def export_tab(ex) -> None:
    st.markdown("The address bar always holds the whole view: copy it to share. "
                "Add `&presentation=1` to open it in presentation mode.")
    c1, c2, c3 = st.columns(3)
    c1.download_button("TensorFlow code (.py)", ex.code, file_name="program.py",
                       mime="text/x-python", on_click="ignore")
    # built when clicked, not on every rerun (it embeds plotly.js, ~4.7 MB): the file plays
    # with no network, e.g. on a lecture-hall PC
    c2.download_button("Animation (.html)",
                       ex.html,
                       file_name="backward_pass.html", mime="text/html", on_click="ignore")
    c3.download_button("Trace (.csv)", lambda: pd.DataFrame(ex.events).to_csv(index=False),
                       file_name="trace.csv", mime="text/csv", on_click="ignore")
    with st.expander("The generated TensorFlow code (prints the same numbers)"):
        st.code(ex.code, language="python")


# each part's first line, drawn with the choice (it does not change with the numbers)
LEADS = {"Backward trace": "One row per gradient function TensorFlow ran, in its order. "
                           "downstream = upstream × local, unless a rule says otherwise.",
         "Train": "Minimise a value of this program with a Keras optimizer, through the "
                  "gradients shown above (custom rules included). Curves update while it "
                  "runs; a tensor's curves show its norm ‖·‖."}

TABS = {"Backward trace": trace_tab, "Gradients and why": gradients_tab,
        "Automatic vs custom": compare_tab, "Train": train_tab, "Share & export": export_tab}



def details_choice() -> None:
    """Under the graph: which part of the details shows (one at a time, a segmented control)
    and its lead line; :func:`details` draws the part right under them (the inner fragment
    starts there).

    In the outer fragment: moving a number redraws the part, not the choice. Only the chosen
    part runs (a switch is a rerun): the hidden ones were a third of the page's work on
    every rerun, for nobody to see. One segmented control, not ``st.tabs``: the tab bar and
    its five tab blocks were six messages to every browser on every change.
    """
    ss = st.session_state
    if parsed()[0] is None:
        return              # no program, no details (the error is under the editor)
    if ss.get("details") not in TABS:
        # not drawn while the program had an error, Streamlit dropped the choice: the part
        # chosen before comes back with the fixed program
        kept = ss.get("details_part")
        ss["details"] = kept if kept in TABS else next(iter(TABS))
    part = st.segmented_control("Details", list(TABS), key="details", required=True,
                                label_visibility="collapsed")
    ss["details_part"] = part       # not a widget's key: it outlives runs that hide it
    if LEADS.get(part):
        st.caption(LEADS[part])


def details(ex) -> None:
    """The chosen part of the details (:func:`details_choice`), and the address bar kept
    equal to the whole view."""
    ss = st.session_state
    part = ss.get("details_part")
    if part in TABS:
        TABS[part](ex)
    t = ex.trace
    shared = url_state.encode({
        "program": ss["program"], "inputs": t.inputs, "modes": t.modes,
        "targets": list(t.targets), "watch": list(t.watched), "dtype": ss["dtype"],
        "expand": ss.get("expand", False), "compare": ss.get("compare", False),
        "presentation": presenting(),
        "preset": None if ss["preset"] == session.YOURS else ss["preset"],
        "speed": ss.get("speed", 1.0),
        # a TensorFlow-Python cell reopens in that form (auto-detection may read it otherwise)
        "form": "python" if ex.program.form == "python" else python_form.form()})
    if st.query_params.to_dict() != shared:     # an unchanged address is not re-sent
        st.query_params.from_dict(shared)
