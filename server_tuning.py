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
"""
from __future__ import annotations

import sys

__all__ = ["configure"]


def _clean_problem_modules_but_keras() -> None:
    """Streamlit's post-run clean-up without ``keras.backend.clear_session()``."""
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        try:
            plt.close("all")
        except Exception:  # noqa: BLE001 - a clean-up must never break a run
            pass


def configure() -> bool:
    """Skip Keras's per-run clear_session; True if Streamlit's hook was found and replaced."""
    try:
        from streamlit.runtime.scriptrunner import script_runner
    except ImportError:
        return False
    if not callable(getattr(script_runner, "_clean_problem_modules", None)):
        return False
    script_runner._clean_problem_modules = _clean_problem_modules_but_keras
    return True
