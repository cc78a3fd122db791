"""Lesson 7: Jacobians, reverse and forward. tape.jacobian as a heatmap; one reverse pass is
one row (a VJP), one forward pass with tf.autodiff.ForwardAccumulator one column (a JVP)."""
from __future__ import annotations

import streamlit as st

import graphviz_core as gc
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from explorer_app import server as server_tuning
from graphviz_core import lessons
from graphviz_core.report import fmt

ui.lesson_page("Jacobians, reverse and forward", "🔀")
CHART = ui.CHART


@server_tuning.figure_cache(64)
def jacobians(n, m, row, column, presentation):
    """The lesson's run and its figures (shared by every visitor: read only)."""
    r = lessons.jacobians(n, m, row, column)
    reverse = gc.backward_spec(r.reverse_trace, r.reverse_trace.program,
                               presentation=presentation)
    forward = gc.forward_mode_figure(r.graph, r.tangents, presentation)
    return r, reverse, forward


presentation = ui.lesson_sidebar("jac_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"jac_n": ls.number(1, lessons.JACOBIAN_MAX_SIZE, integer=True),
            "jac_m": ls.number(1, lessons.JACOBIAN_MAX_SIZE, integer=True),
            "jac_row": ls.number(0, lessons.JACOBIAN_MAX_SIZE - 1, integer=True),
            "jac_col": ls.number(0, lessons.JACOBIAN_MAX_SIZE - 1, integer=True)}
ls.restore("jacobians", SETTINGS)
st.title("Jacobians, reverse and forward")
st.caption("y = tanh(W x) has m outputs of n inputs, so its derivative is an m × n matrix, "
           "the Jacobian. TensorFlow builds it with tape.jacobian; underneath it is made of "
           "passes that each give one row (reverse mode) or one column (forward mode). "
           "Every number is computed by TensorFlow now.")

c = st.columns(4)
n = c[0].slider("n inputs (x)", 1, lessons.JACOBIAN_MAX_SIZE, 3, key="jac_n")
m = c[1].slider("m outputs (y)", 1, lessons.JACOBIAN_MAX_SIZE, 2, key="jac_m")
for key, size in (("jac_row", m), ("jac_col", n)):     # a link's row may be past this m
    if st.session_state.get(key, 0) > max(size - 1, 1):
        st.session_state[key] = max(size - 1, 1)
row = c[2].slider("Reverse pass: row i", 0, max(m - 1, 1), 0, key="jac_row", disabled=m == 1)
column = c[3].slider("Forward pass: column j", 0, max(n - 1, 1), 0, key="jac_col",
                     disabled=n == 1)
row, column = min(row, m - 1), min(column, n - 1)
r, reverse, forward = jacobians(n, m, row, column, presentation)

st.plotly_chart(gc.heatmaps([(f"tape.jacobian(y, x): {m} × {n}, row {row} boxed", r.jacobian),
                             (f"column {column} boxed", r.jacobian)], presentation,
                            highlight={0: ("row", row), 1: ("column", column)}),
                key="jac_heat", config=CHART)
left, right = st.columns(2, gap="large")
with left:
    st.subheader(f"One reverse pass: row {row} (a VJP)")
    st.markdown(f"`tape.gradient(u · y, x)` with u = e{row}, the vector-Jacobian product "
                f"uᵀJ: **{fmt(r.rows[row], 4)}**, row {row} of the Jacobian. The whole "
                f"Jacobian took **{r.reverse_passes} reverse passes**, one per output "
                f"({r.reverse_seconds * 1000:.0f} ms).")
with right:
    st.subheader(f"One forward pass: column {column} (a JVP)")
    st.markdown("`tf.autodiff.ForwardAccumulator(x, e_j)` and `acc.jvp(y)`, the "
                f"Jacobian-vector product J e{column}: **{fmt(r.columns[column], 4)}**, "
                f"column {column}. The whole Jacobian took **{r.forward_passes} forward "
                f"passes**, one per input ({r.forward_seconds * 1000:.0f} ms).")
cheaper = {"reverse": f"Reverse mode is cheaper here: {m} output{'s' * (m > 1)} against "
                      f"{n} inputs. A loss has one output, which is why training uses it.",
           "forward": f"Forward mode is cheaper here: {n} input{'s' * (n > 1)} against "
                      f"{m} outputs.",
           "either": f"Here both take {n} pass{'es' * (n > 1)}."}[r.cheaper]
st.info(f"{cheaper} Reverse mode needs one pass per output, forward mode one per input; "
        "try n = 8, m = 1, then n = 1, m = 8.")

st.subheader("Both passes on the same graph")
st.markdown(f"**Reverse mode, row {row}:** press ▶ Play; the upstream starts at r = u · y "
            f"(u = e{row}) and flows right to left, back to x.")
st.plotly_chart(server_tuning.plotly_spec(reverse), key="jac_reverse", config=CHART)
st.markdown(f"**Forward mode, column {column}:** press ▶ Play forward; each node's tangent "
            f"(jvp) is d node / d x · e{column}, computed together with its value, left to "
            "right from x to y.")
st.plotly_chart(forward, key="jac_forward", config=CHART)
st.markdown(f"[Open this program in the Explorer]({ui.presented(r.link, presentation)})")

ls.keep(SETTINGS, presentation)
