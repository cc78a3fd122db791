"""Lesson 3: GradientTape mechanics (seed 002)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

import graphviz_core as gc
from explorer_app import server as server_tuning
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from graphviz_core import lessons
from graphviz_core.report import fmt

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run
st.set_page_config(page_title="GradientTape mechanics · Computational Graph Explorer",
                   page_icon="📼", layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")

cache = st.cache_data(max_entries=64, show_spinner=False)
figures = server_tuning.figure_cache(64)       # results that hold a plotly figure
finite_differences = cache(lessons.finite_differences)
watch_cases = cache(lessons.watch_cases)
several_targets = cache(lessons.several_targets)
hessian_table = cache(lessons.hessian_table)
stop_gradient_case = figures(lessons.stop_gradient_case)


@figures
def fd_figure(w1, w2, eps, wrt, presentation):
    return lessons.finite_difference_figure(lessons.finite_differences(w1, w2, eps, wrt),
                                            presentation)


presentation = ui.lesson_sidebar("tape_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"tape_w1": ls.number(-100.0, 100.0), "tape_w2": ls.number(-100.0, 100.0),
            "tape_eps": ls.choice(*[10.0 ** -k for k in range(1, 13)]),
            "tape_wrt": ls.choice("w1", "w2")}
ls.restore("tape", SETTINGS)

st.title("GradientTape mechanics")
st.caption("Seed 002. One small function, f(w1, w2) = 3·w1² + 2·w1·w2, and the rules of "
           "`tf.GradientTape`: what it records, how often you may ask it, and what None "
           "means. Every number below is computed by TensorFlow now.")
c1, c2, _ = st.columns([1, 1, 3])
w1 = c1.number_input("w1", -100.0, 100.0, 5.0, 0.5, key="tape_w1", format="%g")
w2 = c2.number_input("w2", -100.0, 100.0, 3.0, 0.5, key="tape_w2", format="%g")

# ---------------------------------------------------------------------------- 1
st.header("1. Finite differences vs automatic differentiation")
st.markdown("A finite difference nudges one input by a small **eps** and measures the "
            "change: (f(w1 + eps, w2) − f(w1, w2)) / eps. It is close to the derivative, "
            "never exact. `tape.gradient` gives the derivative itself, from one backward pass.")
e1, e2 = st.columns([3, 1])
eps = e1.select_slider("eps", [10.0 ** -k for k in range(1, 13)], value=1e-6, key="tape_eps",
                       format_func=lambda v: f"{v:.0e}")
wrt = e2.radio("Curve for", ["w1", "w2"], horizontal=True, key="tape_wrt")
fd = finite_differences(w1, w2, eps, wrt)
# the table across the page: half of it is too narrow for the error column
ui.table(fd.rows, presentation)
left, right = st.columns([1, 1], gap="large")
with left:
    st.caption("float64 is what plain Python numbers use (the notebook's 36.000003…). "
               "In float32, w + eps is rounded before f even runs, so small steps go wrong "
               "fast. Too large an eps measures the curve's bend; too small an eps "
               "measures rounding.")
with right:
    st.plotly_chart(fd_figure(w1, w2, eps, wrt, presentation), key="tape_fd",
                    config={"displayModeBar": False})
# f(w1, w2) with Variables at the chosen values: the graph behind the autodiff column, and
# behind both tapes of section 2
f_link = gc.explorer_link(gc.preset("f_variables").source, inputs={"w1": w1, "w2": w2},
                          preset_key="f_variables")
st.markdown(f"[Open f(w1, w2) in the Explorer]({ui.presented(f_link, presentation)}): the backward pass that gives "
            "the exact derivatives.")

# ---------------------------------------------------------------------------- 2
st.header("2. Asking a tape twice")
once = lessons.tape_twice(w1, w2, persistent=False)
twice = lessons.tape_twice(w1, w2, persistent=True)
a, b = st.columns(2, gap="large")
with a:
    st.markdown("**A normal tape** frees what it recorded after the first `gradient` call.")
    st.code("with tf.GradientTape() as tape:\n    z = f(w1, w2)\n"
            f"tape.gradient(z, w1)   # {fmt(once.first)}\n"
            "tape.gradient(z, w2)   # raises", language="python")
    st.error(once.error, icon=":material/block:")
    st.caption("This is TensorFlow's own message, raised just now. The notebook's older "
               "TensorFlow worded it “GradientTape.gradient can only be called once on "
               "non-persistent tapes.”")
with b:
    st.markdown("**A persistent tape** keeps its record until you delete it.")
    st.code("with tf.GradientTape(persistent=True) as tape:\n    z = f(w1, w2)\n"
            f"tape.gradient(z, w1)   # {fmt(twice.first)}\n"
            f"tape.gradient(z, w2)   # {fmt(twice.second)}\n"
            "del tape               # free the memory", language="python")
    st.success(f"Both answers: ∂z/∂w1 = {fmt(twice.first)}, ∂z/∂w2 = {fmt(twice.second)}",
               icon=":material/check_circle:")
st.markdown(f"[Open f(w1, w2) in the Explorer]({ui.presented(f_link, presentation)}): it asks for both gradients in "
            "one call, `tape.gradient(z, [w1, w2])`, which any tape allows.")

# ---------------------------------------------------------------------------- 3
st.header("3. Constants, Variables and tape.watch")
st.markdown("The tape records operations on **Variables** automatically. A **constant** is "
            "recorded only if you call `tape.watch` on it; otherwise its gradient is None.")
w_a, w_b, _ = st.columns([1, 1, 3])
chosen = [name for name, col in (("c1", w_a), ("c2", w_b))
          if col.checkbox(f"tape.watch({name})", key=f"tape_watch_{name}")]
rows = watch_cases(w1, w2, tuple(chosen))
st.table(pd.DataFrame(rows).drop(columns=["link"]).set_index("case").rename(
    columns={"∂z/∂(first)": "∂z/∂c1 or ∂z/∂w1", "∂z/∂(second)": "∂z/∂c2 or ∂z/∂w2"}))
st.markdown(f"[Open your choice in the Explorer]({ui.presented(rows[-1]['link'], presentation)})")

# ---------------------------------------------------------------------------- 4
st.header("4. Several targets add up")
st.markdown("`tape.gradient([z1, z2, z3], [w1, w2])` does not return one gradient per "
            "target: it returns the gradient of their **sum**.")
st.code("z1 = f(w1, w2 + 2)\nz2 = f(w1, w2 + 5)\nz3 = f(w1, w2 + 7)", language=None)
targets = st.multiselect("Targets", ["z1", "z2", "z3"], default=["z1", "z2", "z3"],
                         key="tape_targets")
if not targets:
    st.info("Choose at least one target.")
else:
    multi = several_targets(w1, w2, tuple(targets))
    ui.table(multi["rows"], presentation)
    st.caption("The last row is one `tape.gradient` call with the list; it equals the column "
               "sums of the rows above it.")
    st.markdown(f"[Open this program in the Explorer]({ui.presented(multi['link'], presentation)})")

# ---------------------------------------------------------------------------- 5
st.header("5. Second derivatives: a tape inside a tape")
st.markdown("The inner tape gives ∂z/∂w1 and ∂z/∂w2; the outer, persistent tape "
            "differentiates each of them again (the Hessian).")
st.code("with tf.GradientTape(persistent=True) as hessian_tape:\n"
        "    with tf.GradientTape() as tape:\n        z = f(w1, w2)\n"
        "    jacobians = tape.gradient(z, [w1, w2])\n"
        "hessians = [hessian_tape.gradient(j, [w1, w2]) for j in jacobians]",
        language="python")
h = hessian_table(w1, w2)
ui.table(h["rows"], presentation)
for reason in h["reasons"]:
    st.info(reason, icon=":material/info:")
st.markdown(f"[Open this program in the Explorer]({ui.presented(h['link'], presentation)})")

# ---------------------------------------------------------------------------- 6
st.header("6. stop_gradient")
st.markdown("`tf.stop_gradient(a)` passes a's value forward and nothing backward: the "
            "tape treats it as a constant.")
st.code("f(w1, w2) = 3 * w1**2 + stop_gradient(2 * w1 * w2)", language=None)
sg = stop_gradient_case(w1, w2, presentation)
ui.table(sg["rows"], presentation)
st.caption("The graph shows the ops inside f: the gradient stops at stop_gradient, so w2 "
           "gets None and w1 only the 3·w1² part.")
st.plotly_chart(sg["figure"], key="tape_stop_graph", config={"displayModeBar": False})
st.markdown(f"[Open this program in the Explorer]({ui.presented(sg['link'], presentation)})")

ls.keep(SETTINGS, presentation)
