"""Lab: a binarized classifier. Two seeded blobs of 2-D points, a linear model whose weights go
through sign in the forward pass, trained live with the sign lab's surrogate gradients.

Widgets, then the core (``gc.classifier_program`` builds the program, a ``gc.Trainer`` trains
it, ``gc.classifier_curves`` and ``gc.boundary_figure`` draw it), then render; the sections
are in ``explorer_app/classifier_lab.py``, the player in ``explorer_app/player.py``.
"""
from __future__ import annotations

import streamlit as st

from explorer_app import chrome as ui
from explorer_app import classifier_lab as lab
from explorer_app import player

ui.lesson_page("Binarized classifier", "🎯")
ss = st.session_state
ss.setdefault("bc_runs", [])
presentation = ui.lesson_sidebar("bc_presentation")

st.title("Lab: a binarized classifier")
st.caption("40 points in two classes (seeded). The model is logits = X · sign(w) + b: the "
           "forward pass uses only the sign of each weight, so the boundary can face one of "
           "four diagonals. TensorFlow's gradient of sign is 0, so with it w never moves; a "
           "surrogate gradient lets w's sign flip. Every step is TensorFlow and a Keras "
           "optimizer, now.")

controls, live = st.columns([1, 3], gap="large")
with controls:
    sur, temperature, optimizer, lr, steps = lab.settings_panel()
with live:
    player.play_controls("bc", lab.starter(sur, temperature, optimizer, lr, steps),
                         lab.draw_live(presentation))

lab.inspect(presentation)
st.markdown(
    "**Why automatic stays put.** sign is flat on both sides of 0, so TensorFlow's gradient "
    "of it is 0: d loss / d w = upstream × 0 = 0 at every step, and the optimizer never "
    "changes w (the table's “w moved by” is 0). Only the bias b learns, which slides the "
    "boundary but cannot turn it. **Why the surrogates end at the same accuracy (with Adam).** The "
    "surrogate only decides how w travels; once sign(w) is (+1, +1) the boundary faces the "
    "diagonal that separates the blobs best, and w's size no longer changes the forward pass "
    "(the table's “accuracy now”). **When a surrogate does not get there.** Try the sigmoid "
    "with T = 0.05 and SGD 0.5: the bump is so narrow that at the start, w = "
    f"{tuple(lab.W_START)}, the gradient is almost 0, and without Adam's normalising w "
    "hardly moves.")
