"""Computational Graph Explorer: watch TensorFlow's backward pass flow through your program.

UI only: widgets, one call into graphviz_core (``gc.explore``), then render.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

import graphviz_core as gc
from graphviz_core import state as url_state

st.set_page_config(page_title="Computational Graph Explorer", page_icon="🔁", layout="wide",
                   initial_sidebar_state="auto")

PRESETS = {p.key: p for p in gc.PRESETS}
DEFAULT = "foo3"


# ---------------------------------------------------------------------------- state
def load_preset(key: str) -> None:
    """Put a preset's program and settings into the session (widgets read them)."""
    p = PRESETS[key]
    ss = st.session_state
    ss["program"] = p.source
    ss["targets"] = list(p.targets or [])
    ss["watch"] = None if p.watch is None else list(p.watch)
    ss["dtype"] = p.dtype
    for k in [k for k in ss if k.startswith(("in:", "mode:", "watch:"))]:
        del ss[k]


def on_preset_change() -> None:
    load_preset(st.session_state["preset"])


def first_visit() -> None:
    """Defaults, then whatever a share link carries."""
    ss = st.session_state
    shared, messages = url_state.decode(st.query_params.to_dict())
    key = shared["preset"] if shared["preset"] in PRESETS else DEFAULT
    ss["preset"] = key
    load_preset(key)
    if shared["program"]:
        ss["program"] = shared["program"]
    for name, v in shared["inputs"].items():
        ss[f"in:{name}"] = v
    for name, m in shared["modes"].items():
        ss[f"mode:{name}"] = m
    if shared["targets"]:
        ss["targets"] = shared["targets"]
    if shared["watch"] is not None:
        ss["watch"] = shared["watch"]
    ss["dtype"] = shared["dtype"]
    ss["expand"] = shared["expand"]
    ss["presentation"] = shared["presentation"]
    ss["url_messages"] = messages
    ss["ready"] = True


if not st.session_state.get("ready"):
    first_visit()
ss = st.session_state


@st.cache_data(max_entries=256, show_spinner=False)
def explore(source, inputs, modes, targets, watch, dtype, expand, presentation, compare, speed):
    """Pure and deterministic, so one result serves every session that asks the same."""
    return gc.explore(source, dict(inputs), dict(modes), list(targets) or None,
                      None if watch is None else list(watch), dtype, expand, presentation,
                      compare, speed)


# ---------------------------------------------------------------------------- sidebar
with st.sidebar:
    st.selectbox("Example program", list(PRESETS), key="preset", on_change=on_preset_change,
                 format_func=lambda k: f"{PRESETS[k].title}  ·  seed {PRESETS[k].seed}",
                 help="Every program from the four seed notebooks")
    st.caption(PRESETS[ss["preset"]].description)
    st.radio("Precision", ["float32", "float64"], key="dtype", horizontal=True)
    st.toggle("Expand functions (show the ops inside)", key="expand")
    st.toggle("Automatic vs custom, side by side", key="compare")
    st.toggle("Presentation mode (large type)", key="presentation")
    speed = st.select_slider("Animation speed", [0.25, 0.5, 1.0, 2.0, 4.0], value=1.0,
                             format_func=lambda v: f"{v:g}×")

if ss.get("presentation"):
    st.markdown("""<style>
      html, body, [class*="st-"] { font-size: 1.25rem; }
      h1 { font-size: 2.6rem !important; }
      textarea { font-size: 1.2rem !important; line-height: 1.5 !important; }
    </style>""", unsafe_allow_html=True)

st.title("Computational Graph Explorer")
st.caption("Type a small program, switch each function between TensorFlow's automatic "
           "gradient and your own rule, and press ▶ to watch the backward pass: the "
           "upstream gradient arriving at each node, its local derivative, and the "
           "downstream values flowing back along the edges. Every number is computed live "
           "by TensorFlow.")
for msg in ss.pop("url_messages", []):
    st.warning(f"Share link: {msg}")

left, right = st.columns([5, 8], gap="large")

# ---------------------------------------------------------------------------- program
with left:
    st.text_area("Program", key="program", height=250,
                 help="One statement a line. `f(x) = ...` defines a function, "
                      "`grad f(x, dy) = ...` its custom gradient, `x = 2.0` an input "
                      "(or `Variable(2.0)` / `constant(2.0)`), anything else a value. "
                      "The last value is the target.")
    try:
        prog = gc.parse(ss["program"])
        parse_error = None
    except gc.ProgramError as e:
        prog, parse_error = None, e

    inputs, modes, watch = {}, {}, ss.get("watch")
    if prog is not None:
        if prog.inputs:
            st.markdown("**Inputs**")
            cols = st.columns(min(3, len(prog.inputs)))
            consts = [n for n, i in prog.inputs.items() if i.kind == "constant"]
            watched = consts if watch is None else [w for w in watch if w in consts]
            new_watch = []
            for i, (name, inp) in enumerate(prog.inputs.items()):
                with cols[i % len(cols)]:
                    key = f"in:{name}"
                    ss.setdefault(key, inp.default)
                    inputs[name] = st.number_input(
                        f"{name} ({'Variable' if inp.kind == 'variable' else 'constant'})",
                        key=key, step=0.5, format="%g", min_value=-1e9, max_value=1e9)
                    if inp.kind == "constant":
                        wkey = f"watch:{name}"
                        ss.setdefault(wkey, name in watched)
                        if st.checkbox("tape.watch", key=wkey,
                                       help="Constants are tracked only if the tape watches "
                                            "them; Variables always are."):
                            new_watch.append(name)
            watch = new_watch
        rules = [n for n, f in prog.functions.items() if f.has_custom_gradient]
        if prog.functions:
            st.markdown("**Gradient of each function**")
        for name, fn in prog.functions.items():
            if fn.has_custom_gradient:
                key = f"mode:{name}"
                ss.setdefault(key, "custom")
                if ss[key] not in ("custom", "automatic"):
                    ss[key] = "custom"
                modes[name] = st.segmented_control(
                    f"`{name}({', '.join(fn.params)})`: rule `{fn.rule_text}`",
                    ["custom", "automatic"], key=key, required=True,
                    format_func=lambda m: {"custom": "custom rule",
                                           "automatic": "TensorFlow automatic"}[m])
            else:
                st.caption(f"`{name}({', '.join(fn.params)})`: automatic (no `grad` rule)")
        choices = list(prog.assignments) + [n for n in prog.inputs]
        current = [t for t in ss.get("targets", []) if t in choices]
        if not current and prog.default_target:
            current = [prog.default_target]
        ss["targets"] = current
        st.multiselect("Differentiate (targets add up)", choices, key="targets",
                       help="tape.gradient([targets], inputs): gradients of several "
                            "targets add up")

# ---------------------------------------------------------------------------- one core call
if parse_error is None:
    ex = explore(ss["program"], tuple(sorted(inputs.items())), tuple(sorted(modes.items())),
                 tuple(ss.get("targets") or ()), None if watch is None else tuple(watch),
                 ss["dtype"], ss.get("expand", False), ss.get("presentation", False),
                 ss.get("compare", False), speed)
else:
    ex = gc.Exploration(source=ss["program"], error=parse_error)

# ---------------------------------------------------------------------------- render
with left:
    if ex.error is not None:
        st.error(ex.error_text(), icon="⚠️")
        err = ex.error
        if isinstance(err, gc.ProgramError):
            lines = ss["program"].split("\n")
            if 1 <= err.line <= len(lines):
                text = lines[err.line - 1]
                st.code(f"{text}\n{' ' * (err.column - 1)}^", language=None)
    for note in ex.notes:
        st.info(note)

with right:
    if ex.ok:
        t = ex.trace
        st.plotly_chart(ex.figure, key="graph", config={"displayModeBar": False})
        cols = st.columns(max(1, min(4, len(t.gradients))))
        for i, row in enumerate(ex.gradients):
            with cols[i % len(cols)]:
                st.metric(f"∂({' + '.join(t.targets)}) / ∂{row['input']}", row["gradient"])
    else:
        st.info("Fix the program on the left to see its graph. Your text is kept as typed.")

if ex.ok:
    t = ex.trace
    tabs = st.tabs(["Backward trace", "Gradients and why", "Automatic vs custom", "Share & export"])
    with tabs[0]:
        st.caption("One row per gradient function TensorFlow ran, in its order. "
                   "downstream = upstream × local, unless a rule says otherwise.")
        if ex.events:
            st.dataframe(pd.DataFrame(ex.events), hide_index=True)
        else:
            st.info("TensorFlow ran no gradient function: nothing the tape watched "
                    "reaches the target.")
    with tabs[1]:
        st.dataframe(pd.DataFrame(ex.gradients), hide_index=True)
        for row in ex.gradients:
            if row["why"]:
                st.markdown(f"- **{row['input']}: {row['gradient']}** — {row['why']}")
    with tabs[2]:
        if not ex.compare:
            if not any(f.has_custom_gradient for f in ex.program.functions.values()):
                st.info("No function has a `grad` rule, so there is nothing to compare.")
            else:
                st.info("Switch on “Automatic vs custom, side by side” in the sidebar.")
        else:
            a, c = st.columns(2)
            for col, mode in ((a, "automatic"), (c, "custom")):
                side = ex.compare[mode]
                with col:
                    st.subheader("TensorFlow automatic" if mode == "automatic" else "Custom rules")
                    st.plotly_chart(side.figure, key=f"cmp-{mode}",
                                    config={"displayModeBar": False})
                    st.dataframe(pd.DataFrame(side.gradients)[["input", "gradient", "why"]],
                                 hide_index=True)
    with tabs[3]:
        shared = {"program": ss["program"], "inputs": t.inputs, "modes": t.modes,
                  "targets": list(t.targets), "watch": list(t.watched), "dtype": ss["dtype"],
                  "expand": ss.get("expand", False),
                  "presentation": ss.get("presentation", False), "preset": ss["preset"]}
        st.markdown("The address bar always holds the whole view: copy it to share.")
        c1, c2, c3 = st.columns(3)
        c1.download_button("TensorFlow code (.py)", ex.code, file_name="program.py",
                           mime="text/x-python")
        c2.download_button("Animation (.html)", ex.figure.to_html(include_plotlyjs="cdn",
                                                                  auto_play=False),
                           file_name="backward_pass.html", mime="text/html")
        c3.download_button("Trace (.csv)", pd.DataFrame(ex.events).to_csv(index=False),
                           file_name="trace.csv", mime="text/csv")
        with st.expander("The generated TensorFlow code"):
            st.code(ex.code, language="python")
        st.query_params.from_dict(url_state.encode(shared))
