"""Lesson 5: the sign training lab (seed 003): train x so that sign(x) = 1, live.

Widgets, then the core (``gc.sign_program`` builds the program, a ``gc.Trainer`` trains it,
``gc.training_spec`` draws it), then render; the sections are in ``explorer_app/sign_lab.py``.
"""
from __future__ import annotations

import streamlit as st

from explorer_app import server as server_tuning
from explorer_app import chrome as ui
from explorer_app import player
from explorer_app import sign_lab as lab

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run
st.set_page_config(page_title="Sign training lab · Computational Graph Explorer",
                   page_icon="📈", layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")

# ---------------------------------------------------------------------------- state
ss = st.session_state
if "tl_runs" not in ss:
    lab.load_story()
for r in ss["tl_runs"]:
    if r["status"] == "running":         # the script was interrupted while this run trained
        r["status"] = "stopped"

presentation = ui.lesson_sidebar("tl_presentation")

st.title("Sign training lab")
st.caption("Seed 003. Train x so that sign(x) = 1, starting from x = −1: "
           "loss = l2_loss(sign(x) − 1) = ½(sign(x) − 1)². The forward pass is always the "
           "real sign; you choose the gradient that the backward pass uses for it. Every "
           "step is computed by TensorFlow and a Keras optimizer now.")

# ---------------------------------------------------------------------------- widgets
controls, chart_col = st.columns([1, 3], gap="large")
with controls:
    chosen = lab.settings_panel()
with chart_col:
    lab.train_live(*chosen, presentation, idle_chart=False)     # ▶ Run: to the end, live
    st.caption("Or play it step by step, as fast as you like (the optimizer carries on "
               "between steps exactly as in one run):")
    player.play_controls("tl", lab.play_start(*chosen), lab.play_draw(presentation),
                         end_label=None, disabled=chosen[7] is None)
lab.lesson_text()
lab.inspect(presentation)
