"""The Explorer's TensorFlow-Python parts: the form switch over the editor, the buttons that
convert the editor's text between the forms, and the printout beside the graph.

The page calls :func:`form_switch` and :func:`convert_buttons` around the editor and
:func:`printout` under the graph; the core does the work (``gc.parse(..., form=...)``,
``gc.to_tensorflow``, ``gc.to_short_form``, ``Exploration.output``).
"""
from __future__ import annotations

import streamlit as st

import graphviz_core as gc

__all__ = ["FORMS", "form", "form_switch", "convert_buttons", "printout"]

FORMS = {"auto": "Auto-detect", "short": "Short form", "python": "TensorFlow Python"}


def form() -> str:
    """The form the editor's text is read in: "auto", "short" or "python"."""
    f = st.session_state.get("form")
    return f if f in FORMS else "auto"


def form_switch() -> None:
    """Which form the editor holds; under it, what auto-detection read it as."""
    ss = st.session_state
    if ss.get("form") not in FORMS:
        ss["form"] = "auto"
    st.segmented_control(
        "Form of the program", list(FORMS), key="form", format_func=FORMS.get, required=True,
        help="Paste a TensorFlow notebook cell as it is (import, def, @tf.custom_gradient, "
             "with tf.GradientTape() as tape, print), or write the short form "
             "(foo(x) = x**2). Auto-detect reads a cell as TensorFlow Python when a line "
             "starts with import, def, @, with or a tf. call.")
    if form() == "auto":
        st.caption(f"Read as: {FORMS[gc.detect_form(ss.get('program', ''))]}")


def convert_buttons(prog) -> None:
    """“Show as TensorFlow code” and “Show as short form”: the editor's text rewritten."""
    if prog is None:
        return
    c1, c2 = st.columns(2)
    c1.button("Show as TensorFlow code", key="to_python", on_click=_convert, args=("python",),
              disabled=prog.form == "python" and prog.source.startswith("# Generated"),
              help="Replaces the editor's text with runnable TensorFlow code for the same "
                   "graph (the tapes and prints of a pasted cell become the export's own)")
    c2.button("Show as short form", key="to_short", on_click=_convert, args=("short",),
              disabled=prog.form == "short",
              help="Replaces the editor's text with the short form of the same graph "
                   "(a Python cell's prints and tapes have no short form)")


def _convert(to: str) -> None:
    ss = st.session_state
    try:
        prog = gc.parse(ss["program"], form=form())
        text = gc.to_tensorflow(prog, targets=ss.get("targets") or None) if to == "python" \
            else gc.to_short_form(prog)
        gc.parse(text, form=to)         # within the limits, or the text stays as it was
    except (gc.ProgramError, ValueError) as e:
        ss["convert_message"] = f"Could not convert: {e}"
        return
    ss["program"] = text
    ss["form"] = "auto"


def printout(ex) -> None:
    """What a TensorFlow-Python cell printed, as a notebook shows it under the cell."""
    ss = st.session_state
    message = ss.pop("convert_message", None)
    if message:
        st.warning(message)
    prog = ex.program
    if not ex.output and (prog is None or prog.form != "python"):
        return
    st.markdown("**What the script prints**")
    if ex.output:
        st.code("\n".join(ex.output), language=None, wrap_lines=True)
    else:
        st.caption("The script prints nothing (add print(...) or tf.print(...)).")
