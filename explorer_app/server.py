"""Process-wide settings for serving the app with Streamlit (UI layer; the core never sees it).

After every script run of every session, Streamlit calls ``keras.backend.clear_session()``
when ``keras`` is imported (``script_runner._clean_problem_modules``), to stop apps that build
Keras models on each rerun from piling up layers. This app builds no Keras models (training
uses Keras optimizers only, created per run), and the call is expensive: a full
``gc.collect()`` holding the GIL, and TensorFlow's eager kernel cache thrown away, so the
next ops of every session start cold. Measured with py-spy ``--gil`` on the Explorer at 40
sessions it was 27 % of the server's Python time (bench/README.md). :func:`configure` keeps
Streamlit's other clean-ups (matplotlib) and skips only Keras's.

Every page calls :func:`configure` first; it is idempotent and thread-safe (an attribute
swap). ``tests/test_server_tuning.py`` fails if a Streamlit upgrade moves the hook.

:func:`plotly_spec` hands ``st.plotly_chart`` a figure that is already the dict plotly.js
reads (``gc.backward_spec``). Given a ``go.Figure``, ``st.plotly_chart`` deep-copies it
(``to_dict``); given a dict, it validates all of it (``go.Figure(**d)``). For the Explorer's
foo3 figure that was 1.3 ms of copying after 1.7 ms of building the ``go.Figure``, against
0.8 ms for the whole TensorFlow trace (bench/README.md). The test checks that the chart
Streamlit sends is the one a ``go.Figure`` of the same spec gives.
"""
from __future__ import annotations

import functools
import sys

import plotly.io as pio
from plotly.basedatatypes import BaseFigure

__all__ = ["configure", "plotly_spec", "figure_cache", "paced"]


class _Spec(BaseFigure):
    """A plotly figure that is only its dict: ``to_dict()`` returns the spec, as is.

    ``st.plotly_chart`` asks a figure for nothing but ``to_dict()`` (plotly's
    ``return_figure_from_figure_or_data``). The spec is shared between sessions (the
    Explorer's cache) and neither Streamlit nor plotly's ``to_json`` writes to it.
    """

    def __init__(self, spec: dict):     # noqa: D107 - no BaseFigure.__init__: nothing to build
        object.__setattr__(self, "_spec", spec)

    def to_dict(self) -> dict:
        return self._spec


@functools.lru_cache(maxsize=4)
def _template(name: str) -> dict:
    """A plotly template as a dict (a constant of the process: Streamlit's own is set once)."""
    return pio.templates[name].to_plotly_json()


def plotly_spec(spec: dict) -> BaseFigure:
    """``spec`` (a figure as a plain, JSON-ready dict) in the form ``st.plotly_chart`` takes
    without copying or validating it: ``st.plotly_chart(plotly_spec(ex.spec), ...)``.

    The chart sent is the one a ``go.Figure`` of ``spec`` gives: like ``go.Figure``, a spec
    without a template gets plotly's default one, which Streamlit sets to its theme's.
    ``spec`` itself is not changed (only shallow copies are made).
    """
    layout = spec.get("layout") or {}
    if "template" not in layout and pio.templates.default:
        spec = dict(spec, layout=dict(layout, template=_template(pio.templates.default)))
    return _Spec(spec)


def _clean_problem_modules_but_keras() -> None:
    """Streamlit's post-run clean-up without ``keras.backend.clear_session()``."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - a clean-up must never break a run
            pass


def configure() -> bool:
    """Tune this serving process; True if Streamlit's clean-up hook was found and replaced.

    * Keras's ``clear_session`` after every run is skipped (see the module docstring).
    * The objects alive now (TensorFlow's import leaves ~350,000 that live as long as the
      process) move to the collector's permanent generation, so the full collection that
      Streamlit runs after every script run no longer walks them (bench/README.md).
    * ``ast.parse`` warns on odd literals in user text ("1if"): the user gets the parser's
      message, the server log stays clean.
    """
    import gc as collector
    import warnings
    collector.freeze()
    warnings.filterwarnings("ignore", category=SyntaxWarning, module="<unknown>")
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return False
    script_runner._clean_problem_modules = _clean_problem_modules_but_keras
    return True


def figure_cache(max_entries: int):
    """``st.cache_resource`` for results that hold a plotly figure (a decorator).

    Not ``st.cache_data``: a hit there unpickles the value, and unpickling a plotly figure
    validates all of it again, which was slower than computing the result afresh (the
    tf.where lesson: 30.6 against 12.8 ms; bench/README.md). A resource is one object shared
    by every session, so callers only read it. Entries go after 10 minutes.
    """
    import streamlit as st
    return st.cache_resource(max_entries=max_entries, ttl=600, show_spinner=False)


def paced(chunks, every: float = 0.12):
    """The items of ``chunks``, at most one per ``every`` seconds after the first.

    Live training curves are redrawn once per chunk of steps. A 100-step run of the sign lab
    trains in a few ms, so its redraws would reach the browser in one burst and the curves
    would appear finished, never seen to grow. Waiting between redraws costs no CPU (the
    thread sleeps) and does not slow long runs, whose chunks already take ~0.25 s each.
    """
    import time
    last = None
    for chunk in chunks:
        if last is not None:
            wait = every - (time.perf_counter() - last)
            if wait > 0:
                time.sleep(wait)
        yield chunk
        last = time.perf_counter()
