"""What every page shares: the sidebar's list of pages, presentation mode, tables.

Streamlit names the main page of an app with a ``pages/`` folder after its file, so its own
list began with "app" on every page, projector included. That list is switched off
(``client.showSidebarNavigation = false`` in ``.streamlit/config.toml``) and this one says
"Explorer", with the lessons under a heading. UI only, like the pages.
"""
from __future__ import annotations

import contextlib
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit.errors import StreamlitAPIException

import graphviz_core as gc

from . import server

EXPLORER = "app.py"
# (page, title, one line for the Explorer's list of lessons)
LESSONS = [
    ("pages/1_Chain_rule.py", "Chain rule", "foo∘foo∘…: upstream × local = downstream, "
     "and what a rule that forgets the upstream does"),
    ("pages/2_Straight_through.py", "Straight-through", "a step TensorFlow cannot "
     "differentiate, and an estimator: a rule that passes the gradient through"),
    ("pages/3_GradientTape_mechanics.py", "GradientTape mechanics", "finite differences, "
     "persistent tapes, watch, several targets, Hessians, stop_gradient"),
    ("pages/4_Numerical_stability.py", "Numerical stability", "softplus overflows, the "
     "tf.where trap, float32 vs float64"),
    ("pages/5_Sign_training_lab.py", "Sign training lab", "a non-differentiable sign learns "
     "through a surrogate gradient, with live curves"),
    ("pages/6_Shapes_and_broadcasting.py", "Shapes and broadcasting", "the gradient of a "
     "broadcast input is a sum; a rule that forgets it; tf.nn.silu's per-column beta"),
    ("pages/7_Jacobians.py", "Jacobians, reverse and forward", "tape.jacobian; one reverse "
     "pass is a row, one forward pass a column; which is cheaper"),
    ("pages/8_Binarized_classifier.py", "Lab: binarized classifier", "weights through sign, "
     "trained live with surrogate gradients: curves and the decision boundary"),
]


CHART = {"displayModeBar": False}      # plotly's toolbar: noise on a projector


def lesson_page(title: str, icon: str) -> None:
    """A lesson page's first lines: the server's settings, then the page's title and icon
    (the sidebar starts folded for a ``?presentation=1`` link)."""
    server.configure()          # see explorer_app/server.py: no Keras clean-up per run
    st.set_page_config(page_title=f"{title} · Computational Graph Explorer", page_icon=icon,
                       layout="wide",
                       initial_sidebar_state="collapsed" if url_presents() else "auto")


def presenting() -> bool:
    """Whether a lesson opens in presentation mode: the Explorer's or another lesson's choice
    in this session, or ``?presentation=1`` in a link straight to the lesson."""
    return bool(st.session_state.get("presentation_on")) or url_presents()


def presented(link: str, presentation: bool) -> str:
    """A lesson's link to the Explorer, in presentation mode when the lesson is: the link
    opens a new session, which knows nothing of this one's mode."""
    return link + "&presentation=1" if presentation and "presentation=" not in link else link


def url_presents() -> bool:
    """``?presentation=1`` in the address: a page opens straight into the lecture-hall view,
    sidebar folded."""
    return st.query_params.get("presentation", "") in ("1", "true", "yes", "on")


def sidebar() -> None:
    """Links to the Explorer and every lesson at the top of the sidebar (the current page is
    highlighted by Streamlit)."""
    with st.sidebar:
        try:
            st.page_link(EXPLORER, label="Explorer")
        except StreamlitAPIException:
            # a lesson run as an app of its own (AppTest.from_file on one page): there is no
            # Explorer beside it to link to
            return
        st.caption("Lessons")
        for path, title, _ in LESSONS:
            st.page_link(path, label=title)
        st.divider()


def lesson_sidebar(key: str) -> bool:
    """A lesson's sidebar: the list of pages and the presentation switch, which follows the
    Explorer's and the other lessons' choice. Returns whether the page presents."""
    sidebar()
    with st.sidebar:
        presentation = st.toggle("Presentation mode (large type)", key=key, value=presenting())
    st.session_state["presentation_on"] = presentation     # shared with the other pages
    if presentation:
        st.markdown(gc.PRESENTATION_CSS, unsafe_allow_html=True)
    return presentation


def choose_run(runs, key: str, where=st, wish_key: str | None = None):
    """A "Run" select box over ``runs`` (dicts with ``id`` and ``label``): the run chosen.

    The newest run when the kept choice is gone; ``wish_key`` names a choice made elsewhere
    to apply first (a Stop click's rerun brings the box's old value back from the browser).
    """
    ss = st.session_state
    ids = [r["id"] for r in runs]
    if wish_key is not None and ss.get(wish_key) in ids:
        ss[key] = ss.pop(wish_key)
    if ss.get(key) not in ids:
        ss[key] = ids[-1]
    chosen = where.selectbox("Run", ids, key=key, format_func=lambda i: next(
        r["label"] for r in runs if r["id"] == i))
    return next(r for r in runs if r["id"] == chosen)


def choose_step(records, key: str, where=st) -> int:
    """A "Step" slider over a run's records (kept in range as the run changes): the index."""
    last = len(records) - 1
    if st.session_state.get(key, 0) > last:
        st.session_state[key] = last
    return where.slider("Step", 0, last, key=key) if last > 0 else 0


def table(data, presentation: bool, **dataframe_args) -> None:
    """A table of rows (a list of dicts, or a DataFrame). In presentation mode an HTML table,
    which the presentation CSS enlarges: ``st.dataframe`` draws on a canvas at a fixed small
    size, unreadable from the back of a lecture hall. Rows go to ``st.dataframe`` as an Arrow
    table: converting through pandas cost ~14x more per table (bench/README.md)."""
    if data is None or len(data) == 0:
        return
    if presentation:
        st.table(data if isinstance(data, pd.DataFrame) else pd.DataFrame(data),
                 hide_index=True)
    else:
        st.dataframe(data if isinstance(data, pd.DataFrame) else _arrow(data), hide_index=True,
                     **dataframe_args)


_MARKDOWN = re.compile(r"([\\`*_$~<>\[\]])")       # what can restyle text mid-line
TALL = 14           # rows past which a static table scrolls in a box of its own


def plain(text: str) -> str:
    """``text`` shown as typed where Streamlit renders markdown: ``__import__`` is not bold,
    ``w_1 * w_2`` not italic, ``$`` not LaTeX."""
    return _MARKDOWN.sub(r"\\\1", text)


def markdown_table(rows) -> str:
    r"""Rows (dicts with the same keys) as a markdown table, every cell shown as typed.

    The Explorer's details draw their tables this way (:func:`static_table`): the text of a
    few rows, where ``st.dataframe`` sent an Arrow table and made every browser load the
    grid's and Arrow's scripts (1.3 MB) before the first page was complete; and an HTML
    table is what presentation mode's CSS enlarges.

    >>> print(markdown_table([{"op": "foo → y", "x": "x*x"}, {"op": "a|b", "x": 0.1 + 0.2},
    ...                       {"op": "stop", "x": None}]))
    | op | x |
    |---|---|
    | foo → y | x\*x |
    | a\|b | 0.3 |
    | stop | None |
    """
    cols = list(dict.fromkeys(k for row in rows for k in row))

    def cell(v) -> str:     # a number as the graph writes it (7 significant digits, None)
        text = gc.fmt(v) if v is None or isinstance(v, (float, np.floating)) else str(v)
        return plain(text).replace("|", "\\|").replace("\r", " ").replace("\n", " ")

    lines = ["| " + " | ".join(cell(c) for c in cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(cell(row[c]) if c in row else "" for c in cols) + " |"
              for row in rows]
    return "\n".join(lines)


def static_table(rows) -> None:
    """A table of rows (a list of dicts) as text (:func:`markdown_table`); a long one
    scrolls in a box of its own instead of pushing the page down."""
    if not rows:
        return
    with st.container(height=420) if len(rows) > TALL else contextlib.nullcontext():
        st.markdown(markdown_table(rows))


def _arrow(rows):
    """Rows as an Arrow table; pandas where Arrow would refuse or lose something (a column
    of mixed types, a huge int, a key missing from the first row)."""
    if any(row.keys() != rows[0].keys() for row in rows):
        return pd.DataFrame(rows)
    try:
        return pa.Table.from_pylist(rows)
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        return pd.DataFrame(rows)
