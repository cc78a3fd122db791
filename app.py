"""Computational Graph Explorer: watch TensorFlow's backward pass flow through your program.

UI only: widgets, one call into graphviz_core (``gc.explore``, through
:func:`explorer_app.explorer.run`), then render. The sections live in
``explorer_app/explorer.py``, the session's rules in ``explorer_app/session.py``.
"""
from __future__ import annotations

import contextlib
from pathlib import Path

import streamlit as st

import graphviz_core as gc
from explorer_app import chrome as ui
from explorer_app import python_form
from explorer_app import server as server_tuning
from explorer_app import session
from explorer_app import viewport
from explorer_app.explorer import (DEFAULT, PRESETS, Areas, choice_is_stale, details,
                                   details_choice, editor, example_note, keyboard_script,
                                   parsed, plain, presenting, program_choice,
                                   program_settings, program_values, run, show_error,
                                   show_graph, sidebar, traced_as)

server_tuning.configure()       # see explorer_app/server.py: no Keras clean-up per run

# A share link with presentation=1 opens straight into the lecture-hall view.
st.set_page_config(page_title="Computational Graph Explorer", page_icon="🔁", layout="wide",
                   initial_sidebar_state="collapsed" if ui.url_presents() else "auto")

ss = st.session_state
if not ss.get("ready"):
    session.first_visit(ss, st.query_params.to_dict(), PRESETS, DEFAULT)
session.restore_widgets(ss)
ss.setdefault("presentation", ss.get("presentation_on", False))
ss["presentation_on"] = presenting()        # lesson pages follow the Explorer's choice

sidebar()
if presenting():
    st.markdown(gc.PRESENTATION_CSS, unsafe_allow_html=True)

st.title("Computational Graph Explorer")
if not presenting():
    st.caption("Type a small program, switch each function between TensorFlow's automatic "
               "gradient and your own rule, and press ▶ Play to watch the backward pass: the "
               "upstream gradient arriving at each node, its local derivative, and the "
               "downstream values flowing back along the edges. Every number is computed "
               "live by TensorFlow.")


@st.fragment
def workspace() -> None:
    """Above the editor (the example picker, the form, the convert buttons), and around it
    the places that :func:`analysis` fills.

    A fragment: picking an example or editing reruns this function only, not the sidebar,
    the header or the lessons (the sidebar's settings rerun the whole page).
    """
    if presenting():
        # the graph first and wide; the editor below, folded away
        areas = Areas(notices=st.container(), graph=st.container())
        with st.expander("Program and settings", expanded=False):
            program_choice()
            areas.program = st.container()
            settings(areas)
    else:
        areas = Areas(notices=st.container())
        areas.wide = st.container()     # a graph too big for the column goes here, first
        left, right = st.columns([5, 8], gap="large")
        with left:
            program_choice()
            areas.program = st.container()
            settings(areas)
        areas.graph = right
    details_choice()
    ss["_workspace_ran"] = True         # analysis() writes to each place on this run
    analysis(areas)


def settings(areas: Areas) -> None:
    """Under the editor: how the program is traced (the inputs' switches, the functions'
    gradients, the targets), with a place above each switch for its input's number."""
    prog = parsed()[0]
    if prog is not None:
        program_settings(prog, areas)


@st.fragment
def analysis(areas: Areas) -> None:
    """The editor, the inputs, the graph, the details: everything that follows from the
    program's text.

    A fragment inside :func:`workspace`: changing an input's number or clicking a node
    reruns this function only. What does not follow from the numbers is outside it and is
    not rebuilt and re-sent: the picker, the form switch, the convert buttons, the settings
    under the editor (:func:`settings`) and the choice of details (an edit that changes one
    of them reruns the page). An input change sends 12 elements and blocks, 22 when the
    settings were inside (bench/README.md). It writes into the places its parent made
    (``areas``).
    """
    full = ss.pop("_workspace_ran", False)
    if not full and choice_is_stale():
        # an edit changed what is drawn outside this fragment: the picker, the form, the
        # settings (the first edit of an example, a new input or function, a new form); a
        # number moved in the same program does not
        st.rerun(scope="app")
    for msg in session.link_messages(ss):       # shown once, gone at the next change
        # at the top; a run of this fragment alone may only write where the last whole run did
        with areas.notices if full else contextlib.nullcontext():
            st.warning(f"Share link: {plain(msg)}")
    with areas.program:
        editor()
        # here, not outside: the first number moved away from an example changes it, and
        # outside it would rerun the page for that (a whole page for each student)
        example_note()
    prog, parse_error = parsed()
    inputs, (modes, watch) = ({}, ({}, None)) if prog is None else \
        (program_values(prog, areas), traced_as(prog))
    ex = run(prog, parse_error, inputs, modes, watch)
    if ex.error is not None:
        with areas.program:
            show_error(ex)
    wide = not presenting() and ex.ok and \
        ex.spec["layout"]["meta"].get("view") in ("wide", "wide-large")
    if wide:
        with areas.wide:
            show_graph(ex)
            python_form.printout(ex)
            notes(ex)
        with areas.graph:
            st.caption("The graph needs the page's width: it is drawn above the program.")
    else:
        if full and areas.wide is not None:
            # hold the wide place, so that a later run of this fragment alone can draw there
            # (Streamlit lets it write only where the editor's run saw it write)
            with areas.wide:
                st.empty()
        with areas.graph:
            show_graph(ex)
            python_form.printout(ex)
            notes(ex)
    if ss.pop("rerun_app", False):        # a switch inside the fragment moved the sidebar's
        st.rerun(scope="app")
    if ex.ok:
        details(ex)             # under their choice: this fragment's own place starts there
    # a run of this fragment alone changes only the text and the numbers
    session.keep_widgets(ss, numbers_of=None if full else inputs)


def notes(ex) -> None:
    """Notes on the values (a None, a NaN, a dropped setting), under the graph."""
    for note in ex.notes:
        st.info(plain(note))


workspace()
st.html(f"<script>{keyboard_script()}</script>", unsafe_allow_javascript=True)

if not presenting():
    st.divider()
    st.subheader("Lessons")
    for path, title, line in ui.LESSONS:
        if (Path(__file__).parent / path).exists():
            st.page_link(path, label=f"**{title}** — {line}")
# a 1920x1080 screen draws the graph with more room (a rerun, once)
viewport.report(on_change=lambda: session.keep_link_messages(ss))
