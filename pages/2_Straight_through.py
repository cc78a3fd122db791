"""Lesson 2: straight-through estimators (seed 000)."""
from __future__ import annotations

import streamlit as st

from explorer_app import server as server_tuning
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from graphviz_core import lessons, preset
from graphviz_core.report import fmt

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run
st.set_page_config(page_title="Straight-through · Computational Graph Explorer",
                   page_icon="⏭️", layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")


@st.cache_data(max_entries=64, show_spinner=False)
def two_step(x):
    return lessons.two_step(x)


@server_tuning.figure_cache(64)
def curve_figure(lo, hi, target, x_mark, presentation):
    s = lessons.straight_through(lo, hi, 101, target)
    return lessons.straight_through_figure(s, x_mark, presentation)


@server_tuning.figure_cache(64)
def bad_step_at(x, presentation):
    return lessons.bad_step_at(x, presentation)


presentation = ui.lesson_sidebar("st_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"st_two_x": ls.number(-20.0, 20.0), "st_range": ls.pair(-10.0, 20.0),
            "st_x": ls.number(-10.0, 20.0), "st_target": ls.choice("y1", "y2")}
ls.restore("straight", SETTINGS)

st.title("Straight-through estimators")
st.caption("Seed 000. TensorFlow differentiates ordinary steps perfectly. A step that picks "
           "a constant has no gradient at all there, and a custom rule can pass the "
           "upstream gradient **straight through** instead. Every number below is computed "
           "by TensorFlow now.")

# ---------------------------------------------------------------------------- two steps
st.header("1. Two ordinary steps: y = 5x² + 3")
st.code("step_1(x) = x**2       # y1\nstep_2(x) = 5*x + 3    # y2 = step_2(y1)", language=None)
x6 = st.columns([1, 4])[0].number_input("x", -20.0, 20.0, 6.0, 0.5, key="st_two_x",
                                        format="%g")
r = two_step(x6)
m = st.columns(4)
m[0].metric("y1 = x²", fmt(r.y1))
m[1].metric("y2 = 5·y1 + 3", fmt(r.y2))
m[2].metric("gradient for step 1: dy1/dx", fmt(r.grad_y1))
m[3].metric("gradient for step 2: dy2/dx", fmt(r.grad_y2))
st.caption("Backward through y2, in TensorFlow's order: step_2 multiplies the upstream 1 by "
           "its local 5, step_1 multiplies that by its local 2·x.")
ui.table(r.rows, presentation)
st.markdown(f"[Open this program in the Explorer]({ui.presented(r.link, presentation)})")

# ---------------------------------------------------------------------------- bad_step
st.header("2. bad_step: x² above 5, the constant 0 below")
# the whole program, numbered: the reasons below name its lines ("defined on line 4")
st.code(preset("bad_step").source.rstrip("\n"), language="python", line_numbers=True)
st.markdown(
    "Below 5 the forward pass returns a constant, which is not connected to x, so "
    "TensorFlow's automatic gradient is **None** (no gradient at all, not 0). The custom "
    "rule `dy * 2*x if x > 5 else dy` passes the upstream through unchanged below 5: a "
    "**straight-through estimator**, like the one used for ReLU-like and rounding steps.")

c1, c2, c3 = st.columns([3, 3, 2])
lo, hi = c1.slider("Plot x from … to …", -10.0, 20.0, (0.0, 10.0), 0.5, key="st_range")
x = c2.slider("x for the table and the graphs", -10.0, 20.0, 2.0, 0.5, key="st_x")
target = c3.radio("Differentiate", ["y1", "y2"], horizontal=True, key="st_target",
                  format_func=lambda t: {"y1": "y1 = bad_step(x)", "y2": "y2 = 5·y1 + 3"}[t])
if hi <= lo:
    st.warning("Choose a range with “from” below “to”.")
else:
    st.plotly_chart(curve_figure(lo, hi, target, x, presentation), key="st_curve",
                    config={"displayModeBar": False})

at = bad_step_at(x, presentation)
st.subheader(f"At x = {fmt(x)}")
rows = [{"gradient": {"automatic": "TensorFlow automatic",
                      "custom": "straight-through rule"}[mode],
         "y1": fmt(at[mode]["y1"]), "y2": fmt(at[mode]["y2"]),
         "dy1/dx (step 1)": fmt(at[mode]["grad_y1"]),
         "dy2/dx (step 2)": fmt(at[mode]["grad_y2"])}
        for mode in ("automatic", "custom")]
ui.table(rows, presentation)
for mode in ("automatic", "custom"):
    if at[mode]["why"]:
        st.markdown(f"**Why {fmt(at[mode]['grad_y2'])}** ({mode}): {at[mode]['why']}.")
st.caption("Above 5 both agree (the rule does what TensorFlow does: 2·x); at 5 and below "
           "TensorFlow has nothing to send back, and the rule sends the upstream on.")

g1, g2 = st.columns(2, gap="medium")
for col, mode, title in ((g1, "automatic", "TensorFlow automatic"),
                         (g2, "custom", "Straight-through rule")):
    with col:
        st.markdown(f"**{title}**: dy2/dx = {fmt(at[mode]['grad_y2'])}")
        st.plotly_chart(at[mode]["figure"], key=f"st_graph_{mode}",
                        config={"displayModeBar": False})
        st.markdown(f"[Open this program in the Explorer]({ui.presented(at[mode]['link'], presentation)})")

ls.keep(SETTINGS, presentation)
