"""Lesson 4: numerical stability, softplus written five ways (seeds 001 and 002)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer_app import server as server_tuning
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from graphviz_core import lessons
from graphviz_core.report import fmt

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run
st.set_page_config(page_title="Numerical stability · Computational Graph Explorer",
                   page_icon="🧮", layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")


@server_tuning.figure_cache(32)
def stability_figure(lo, hi, presentation):
    return lessons.stability_figure(lessons.stability_sweep(lo, hi, 211), presentation)


@st.cache_data(max_entries=64, show_spinner=False)
def stability_at(x, dtype):
    return lessons.stability_at(x, dtype)


@server_tuning.figure_cache(64)
def where_trap(x, dtype, presentation):
    return lessons.where_trap(x, dtype, presentation)


presentation = ui.lesson_sidebar("stab_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"stab_range": ls.pair(-200.0, 1500.0), "stab_x": ls.number(-1e4, 1e4),
            "stab_dtype": ls.choice("float32", "float64"),
            "stab_where_x": ls.number(-1e4, 1e4),
            "stab_where_dtype": ls.choice("float32", "float64")}
ls.restore("stability", SETTINGS)

st.title("Numerical stability: softplus")
st.caption("Seeds 001 and 002. softplus(x) = log(1 + exp(x)) is a smooth ReLU. Written "
           "naively, exp(x) overflows to inf long before the answer (≈ x) is large, and the "
           "gradient turns NaN. Five ways to write it, every number computed by "
           "TensorFlow now.")
st.table(pd.DataFrame([{"formulation": f.title, "what happens": f.note}
                       for f in lessons.FORMULATIONS]).set_index("formulation"))

# ---------------------------------------------------------------------------- range
st.header("1. Over a range of x, in float32 and float64")
lo, hi = st.slider("x from … to …", -200.0, 1500.0, (-50.0, 1000.0), 10.0, key="stab_range")
if hi <= lo:
    st.warning("Choose a range with “from” below “to”.")
else:
    st.plotly_chart(stability_figure(lo, hi, presentation), key="stab_map",
                    config={"displayModeBar": False})
t32, t64 = lessons.overflow_threshold("float32"), lessons.overflow_threshold("float64")
st.caption(f"Green is a finite number, orange inf, red NaN; hover for the value. exp(x) "
           f"overflows above x = {t32:.2f} in float32 and {t64:.2f} in float64: float64 "
           "moves the cliff, it does not remove it.")

# ---------------------------------------------------------------------------- one x
st.header("2. At one x")
c1, c2, _ = st.columns([2, 2, 3])
x = c1.number_input("x", -1e4, 1e4, 100.0, 10.0, key="stab_x", format="%g")
dtype = c2.radio("Precision", ["float32", "float64"], horizontal=True, key="stab_dtype")
rows = stability_at(x, dtype)
st.table(pd.DataFrame(rows).drop(columns=["link"]).set_index("formulation").rename(
    columns={"value": "forward value", "gradient": "dy/dx"}))
st.markdown(
    "- **Automatic gradient of log(exp(x) + 1)**: exp(x) is inf, so the backward pass "
    "multiplies 0 by inf somewhere: NaN.\n"
    "- **Custom gradient** (the seed's `softplus_v2`, the same rule as the "
    "`tf.custom_gradient` docs' `log1pexp`): the rule is evaluated on its own, so the "
    "gradient is right, but the forward value is still inf. A custom gradient fixes the "
    "gradient, **not** the forward pass.\n"
    "- **softplus(x)** (`tf.math.softplus`) is written to never overflow: both are right.")
links = " · ".join(f"[{r['formulation']}]({ui.presented(r['link'], presentation)})" for r in rows)
st.markdown(f"Open this program in the Explorer: {links}")

# ---------------------------------------------------------------------------- where trap
st.header("3. The tf.where trap")
st.markdown("`where(x > 30, x, log(exp(x) + 1))` picks the safe branch for large x, so the "
            "forward value is right. But **both branches run**, and in the backward pass "
            "the branch not taken receives upstream 0 — and 0 × inf = NaN.")
c1, c2, _ = st.columns([2, 2, 3])
xw = c1.number_input("x", -1e4, 1e4, 1000.0, 10.0, key="stab_where_x", format="%g")
dtype_w = c2.radio("Precision", ["float32", "float64"], horizontal=True, key="stab_where_dtype")
w = where_trap(xw, dtype_w, presentation)
m = st.columns(4)
m[0].metric("forward value", fmt(w.value))
m[1].metric("gradient", fmt(w.gradient))
m[2].metric("safe where: forward value", fmt(w.safe_value))
m[3].metric("safe where: gradient", fmt(w.safe_gradient))
if w.origin:
    st.error(f"The NaN is born at **{w.origin}** (marked “inf/NaN born here” on the graph): "
             "exp(x) overflowed to inf in the branch that where did not pick, and the 0 that "
             "branch receives in the backward pass, times inf, is NaN.",
             icon=":material/error:")
else:
    st.success("No NaN at this x: exp(x) does not overflow here.", icon=":material/check_circle:")
# one above the other, each as wide as the page: side by side, six nodes in half a laptop
# screen ran their numbers (1.06865e+13) into each other
st.markdown("**The trap**: `where(z > 30, z, log(exp(z) + 1))`")
st.plotly_chart(w.figure, key="stab_where_graph", config={"displayModeBar": False})
st.markdown(f"[Open this program in the Explorer]({ui.presented(w.link, presentation)})")
st.markdown("**The fix**: `where(z > 30, z, log(exp(minimum(z, 30)) + 1))` — the "
            "branch not taken never overflows, so 0 × (a finite number) = 0")
st.plotly_chart(w.safe_figure, key="stab_safe_graph", config={"displayModeBar": False})
st.markdown(f"[Open this program in the Explorer]({ui.presented(w.safe_link, presentation)})")

ls.keep(SETTINGS, presentation)
