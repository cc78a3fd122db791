"""Lesson 6: shapes and broadcasting. The gradient of a broadcast input is a sum; a custom
rule that forgets the reduce_sum; tf.nn.silu's per-column beta (tensorflow#127690)."""
from __future__ import annotations

import streamlit as st
import tensorflow as tf

import graphviz_core as gc
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from explorer_app import server as server_tuning
from graphviz_core import lessons
from graphviz_core.report import fmt

ui.lesson_page("Shapes and broadcasting", "🧮")
CHART = ui.CHART


@server_tuning.figure_cache(32)
def case(key, presentation):
    """One case, traced by TensorFlow, with its graph (shared by every visitor: read only)."""
    r = lessons.broadcast_case(key)
    return r, gc.backward_spec(r.trace, r.trace.program, presentation=presentation)


def show(key, presentation, graph=True):
    r, spec = case(key, presentation)
    st.markdown(f"**{r.title}**")
    st.code(r.source, language=None, wrap_lines=True)
    sent = (f"what {r.param} gets {gc.values.shape_of(r.downstream)}" if r.downstream is not None
            else f"what {r.param} gets")
    panels = [(f"upstream at the node {r.upstream.shape}", r.upstream),
              (sent, r.downstream), (f"automatic {r.automatic.shape}", r.automatic)]
    st.plotly_chart(gc.heatmaps(panels, presentation), key=f"bc_heat_{key}", config=CHART)
    st.caption(r.note)
    shape = f"shape {r.gradient_shape}" if r.gradient_shape else "a single number"
    st.markdown(f"`tape.gradient(y, {r.param})`: {shape}, {fmt(r.gradient)} "
                f"(the parameter's shape is {r.param_shape}). One Keras step: {r.sgd_step}.")
    if r.library_gradient is not None:
        lib = gc.values.shape_of(r.library_gradient)
        st.markdown(f"TensorFlow's own `tf.nn.silu(X, beta=beta)`, installed here "
                    f"({tf.__version__}): d y / d beta = {fmt(r.library_gradient)}"
                    + (" — a single number: the bug is in this TensorFlow too." if lib == ()
                       else "."))
    if r.error:
        st.error(r.error)
    for kind, message in r.checks:
        (st.error if kind == "shape" else st.warning)(f"rule_checks · {kind}: {message}")
    if not r.checks and key not in ("bias", "scale"):
        st.success("rule_checks: nothing suspicious; the rule gives TensorFlow's numbers.")
    if graph:
        with st.expander("The backward pass on the graph (press ▶ on it)"):
            st.plotly_chart(server_tuning.plotly_spec(spec), key=f"bc_graph_{key}",
                            config=CHART)
    st.markdown(f"[Open this program in the Explorer]({ui.presented(r.link, presentation)})")
    return r


presentation = ui.lesson_sidebar("bcast_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"bcast_which": ls.choice("bias", "scale"), "bcast_fixed": ls.FLAG,
            "bcast_silu_fixed": ls.FLAG}
ls.restore("broadcasting", SETTINGS)
st.title("Shapes and broadcasting")
st.caption("When TensorFlow broadcasts a value across a batch, the same number is used in "
           "every row, so its gradient collects one contribution per row: a sum. Every "
           "number below comes from TensorFlow running the program now.")

st.header("1 · The gradient of a broadcast input is a sum")
which = st.radio("Program", ["bias", "scale"], horizontal=True, key="bcast_which",
                 format_func=lambda k: lessons.BROADCAST_CASES[k])
r = show(which, presentation)
st.markdown(f"TensorFlow's rule for `{'+' if which == 'bias' else '*'}` "
            "(`_AddGrad`, `_MulGrad` in math_grad.py) asks `broadcast_gradient_args` which "
            "axes were broadcast and ends in `reduce_sum` + `reshape`: the (4, 3) upstream "
            f"becomes b's {r.param_shape} gradient.")

st.header("2 · A custom rule that forgets the reduce_sum")
fixed = st.toggle("Fix the rule: reduce_sum(dy, axis=0)", key="bcast_fixed")
show("fixed" if fixed else "forgot", presentation)

st.header("3 · The same mistake in TensorFlow: tf.nn.silu with a per-column beta")
st.caption("tensorflow#127690: silu(x) = x · sigmoid(beta · x). Its rule summed beta's "
           "gradient over every axis, right while beta was one number; a per-column beta "
           "then got a single number back. Rebuilt as a small program:")
silu_fixed = st.toggle("Fix it: sum over axis 0 only", key="bcast_silu_fixed")
show("silu_fixed" if silu_fixed else "silu_bug", presentation)

ls.keep(SETTINGS, presentation)
