"""Lesson 1: the chain rule, one call at a time (seeds 001 and 003)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from explorer_app import server as server_tuning
from explorer_app import chrome as ui
from explorer_app import lesson_state as ls
from graphviz_core import lessons
from graphviz_core.report import fmt

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run
st.set_page_config(page_title="Chain rule · Computational Graph Explorer", page_icon="🔗",
                   layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")


@server_tuning.figure_cache(128)
def chain_rule(n, x, dtype, animate, presentation):
    return lessons.chain_rule(n, x, dtype, animate, presentation)


presentation = ui.lesson_sidebar("chain_presentation")
# the settings travel in the address: a copied link opens the lesson this way
SETTINGS = {"chain_n": ls.number(1, 8, integer=True), "chain_x": ls.number(-3.0, 3.0),
            "chain_dtype": ls.choice("float32", "float64"),
            "chain_animate": ls.choice(*[k for k, *_ in lessons.CHAIN_RULES])}
ls.restore("chain", SETTINGS)

st.title("The chain rule, one call at a time")
st.caption("Seeds 001 and 003. foo(x) = x² is called n times in a row. In the backward pass "
           "every call receives an **upstream** gradient, multiplies it by its own "
           "**current** (local) derivative 2·x, and sends the product **downstream** to the "
           "call before it. Every number below is computed by TensorFlow now.")

c1, c2, c3, c4 = st.columns([3, 3, 2, 3])
n = c1.slider("n, the number of foo calls", 1, 8, 3, key="chain_n")
x = c2.slider("x", -3.0, 3.0, 2.0, 0.25, key="chain_x")
dtype = c3.radio("Precision", ["float32", "float64"], horizontal=True, key="chain_dtype")
animate = c4.radio("Animate", [k for k, *_ in lessons.CHAIN_RULES], horizontal=True,
                   key="chain_animate",
                   format_func=lambda k: {"custom": "custom rule", "automatic": "automatic",
                                          "forgotten": "forgotten dy"}[k])

c = chain_rule(n, x, dtype, animate, presentation)
main = c.variants["custom"]

st.markdown(f"### y = foo{'∘foo' * (n - 1)}(x) = {fmt(c.y)} &nbsp;·&nbsp; "
            f"dy/dx = {main.product}")
st.caption(f"Check by hand: {c.closed_form}. TensorFlow got {fmt(main.gradient)}.")
if c.overflowed:
    st.warning(f"x^{2 ** n} does not fit in {dtype}: the values overflow. "
               "Try float64, a smaller n, or |x| closer to 1.")
st.markdown(f"[Open this program in the Explorer]({ui.presented(main.link, presentation)})")

left, right = st.columns([2, 3], gap="large")
with left:
    st.subheader("What the notebook printed")
    st.caption("The seed's `tf.print` lines, from this run: forward first, then backward.")
    st.code(main.log, language=None)
with right:
    st.subheader("The backward pass in the notebook's words")
    ui.table(main.backward, presentation,
             column_config={"call": st.column_config.NumberColumn(
                 "call", help="1 = the innermost call, the one that receives x")})
    st.markdown(
        "- **upstream**: dy/d(this call's output), what arrives from the calls after it "
        "(1 at y itself)\n"
        "- **current**: this call's own derivative, 2·x at its own input x\n"
        "- **downstream** = upstream × current: what it sends to the call before it; the "
        "last downstream is dy/dx")
    st.markdown(f"#### dy/dx = {main.product}")

st.subheader("The backward pass, animated")
st.caption("Press ▶ Play: the gradient starts at y with 1 and travels right to left. "
           "Hover a node for its numbers.")
st.plotly_chart(c.figure, key="chain_graph", config={"displayModeBar": False})

st.subheader("Three rules side by side")
st.caption("The same program, with foo's gradient computed three ways.")
cols = st.columns(3, gap="medium")
notes = {
    "custom": "The notebook's rule multiplies the upstream by 2·x: that multiplication "
              "*is* the chain rule.",
    "automatic": "TensorFlow differentiates x**2 by itself and does the same "
                 "multiplication.",
    "forgotten": "The rule returns 2·x and drops dy. Each call passes on only its own "
                 "current, so x receives the innermost call's 2·x alone: nothing from the "
                 "calls after it gets through, as if the gradient were stopped there.",
}
for col, (key, title, rule, mode) in zip(cols, lessons.CHAIN_RULES):
    v = c.variants[key]
    with col:
        st.markdown(f"**{title}**")
        # three narrow columns on a laptop: short lines, wrapped rather than cut off
        st.code(f"grad foo(x, dy) = {rule}" if mode == "custom"
                else "foo(x) = x**2\n# no grad rule", language=None,
                wrap_lines=True)
        st.metric("dy/dx", fmt(v.gradient),
                  help="Same as TensorFlow's automatic gradient" if v.agrees
                  else "Differs from TensorFlow's automatic gradient")
        ui.table(pd.DataFrame(v.backward).drop(columns=["call"]), presentation)
        st.markdown(f"dy/dx: {v.product}")
        if v.agrees:
            st.success("Same as TensorFlow's automatic gradient.", icon=":material/check_circle:")
        else:
            st.error(f"Not the true gradient: {fmt(v.gradient)} instead of "
                     f"{fmt(c.variants['automatic'].gradient)}.", icon=":material/warning:")
        st.caption(notes[key])
        st.markdown(f"[Open this program in the Explorer]({ui.presented(v.link, presentation)})")

ls.keep(SETTINGS, presentation)
