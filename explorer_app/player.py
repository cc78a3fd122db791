"""Training that plays like TF Playground: ▶ at a chosen speed, pause (❚❚), one step, reset.

Used by the sign lab (``pages/5``) and the binarized classifier lab (``pages/8``). A played run
is one :meth:`gc.Trainer.run` iterator kept in this session's state (``{prefix}_player``):
▶ pulls a few steps from it at every tick of a fragment (``st.fragment(run_every=...)``), so
the optimizer's state carries on from step to step exactly as in one run to the end; ❚❚ stops
the ticks; "One step" pulls one; ↺ Reset drops the iterator (the next ▶ starts from the start
values with the settings chosen then). Nothing is shared between sessions.

Server CPU: a tick trains ``speed × interval`` steps (compiled calls of :data:`CHUNK` steps)
and redraws the page's live figures once; ticks are at least :data:`MIN_INTERVAL` apart, so a
playing tab costs a few redraws a second (11-23 % of one core for the classifier lab at 10-100
steps per second, ``bench/bench_player.py``), and a paused one nothing.
"""
from __future__ import annotations

import time

import streamlit as st

import graphviz_core as gc

__all__ = ["SPEEDS", "MIN_INTERVAL", "CHUNK", "tick", "play_controls"]

SPEEDS = (1, 2, 5, 10, 20, 50, 100)      # steps per second
MIN_INTERVAL = 0.4                       # seconds between redraws while playing
# Steps per compiled call of a played run: the records are the same for any chunk, a call
# costs ~1 ms plus its steps, and steps computed ahead wait in the iterator for the next pull.
CHUNK = 10


def tick(speed: float) -> tuple[float, int]:
    """``(seconds between ticks, steps per tick)`` for ``speed`` steps per second.

    >>> tick(1), tick(10), tick(100)
    ((1.0, 1), (0.4, 4), (0.4, 40))
    """
    interval = max(MIN_INTERVAL, 1.0 / speed)
    return interval, max(1, round(speed * interval))


def _state(prefix: str) -> dict:
    return st.session_state.setdefault(f"{prefix}_player",
                                       {"playing": False, "run": None, "steps": None})


def play_controls(prefix: str, start, draw, *, end_label: str | None = "Run to the end",
                  disabled: bool = False) -> None:
    """The player: buttons, a speed, and ``draw(run)`` of the live figures, in one fragment.

    ``start()`` makes a new run: ``(run, iterator of records)`` where ``run`` is the page's
    dict with ``"records"``, ``"steps"``, ``"status"`` and ``"label"``, already in its list of
    runs; or ``None`` (the settings are refused; ``start`` says why). ``draw(run)`` draws the
    page's live figures for the run being played (None before any); ``key`` is a suffix for
    its elements' keys, new at every redraw of one script run. "Run to the end" pulls
    every remaining step, redrawing as it goes, with a ■ Stop button (a click on any button
    stops it; the steps done are kept); ``end_label=None`` leaves it out (the sign lab has
    its own ▶ Run).
    """
    speed = st.select_slider("Speed (steps per second)", SPEEDS, value=10,
                             key=f"{prefix}_speed")
    interval, per_tick = tick(speed)
    p = _state(prefix)
    if p.pop("to_end", False):
        _run_to_the_end(prefix, p, draw)

    @st.fragment(run_every=interval if p["playing"] else None)
    def live():
        p = _state(prefix)
        if not p["playing"]:        # a run to the end that a click interrupted
            _set_status(p, "paused")
        cols = st.columns(4 if end_label else 3)
        play = cols[0].button("❚❚ Pause" if p["playing"] else "▶ Play", key=f"{prefix}_play",
                              type="primary", disabled=disabled, width="stretch")
        one = cols[1].button("One step", key=f"{prefix}_one", disabled=disabled or p["playing"],
                             width="stretch")
        reset = cols[2].button("↺ Reset", key=f"{prefix}_reset", width="stretch")
        to_end = end_label is not None and cols[3].button(
            end_label, key=f"{prefix}_end", disabled=disabled, width="stretch")
        progress, figures = st.empty(), st.empty()
        if reset:
            if p["run"] is not None and p["run"]["status"] in ("playing", "paused"):
                p["run"]["status"] = "stopped"
            was_playing = p["playing"]
            p.update(playing=False, run=None, steps=None, note=None)
            if was_playing:
                st.rerun()                                       # the ticks stop
        if play and p["playing"]:                                # ❚❚
            p["playing"] = False
            _set_status(p, "paused")
            st.rerun()                                           # the ticks stop
        if (play or one or to_end) and not _active(p):
            made = start()
            if made is None:
                p["playing"] = False
            else:
                p["run"], p["steps"] = made
        if play and _active(p):                                  # ▶
            p["playing"] = True
            _set_status(p, "playing")
            st.rerun()                                           # the ticks start
        if one and _active(p):
            _pull(p, 1)
            _set_status(p, "paused")
        if to_end and _active(p):
            # trained in the whole page's run (play_controls, above), which a click can stop:
            # a click waits for a running fragment to finish, so Stop came too late in here
            p.update(playing=False, to_end=True)
            st.rerun()
        if p["playing"] and _active(p) and not play:
            _pull(p, per_tick)
        if p["playing"] and not _active(p):                      # the run is finished
            p["playing"] = False
            st.rerun()
        _show_progress(progress, p["run"])
        if p.get("note"):
            st.warning(p["note"])
        with figures.container():
            draw(p["run"], "live")

    live()


def _run_to_the_end(prefix, p, draw) -> None:
    """Every remaining step, redrawn as it goes, with ■ Stop; then the fragment draws."""
    slot = st.empty()
    with slot.container():
        st.button("■ Stop", key=f"{prefix}_stop", width="stretch",
                  help="Stops training; the steps done so far are kept")
        progress, figures = st.empty(), st.empty()
        _set_status(p, "playing")
        redraws = 0
        while _active(p):
            _pull(p, 25)
            _show_progress(progress, p["run"])
            with figures.container():
                draw(p["run"], f"end{redraws}")
            redraws += 1
            time.sleep(0.1)         # the browser gets each redraw (issue 19: seen to grow)
    slot.empty()


def _active(p) -> bool:
    return p["steps"] is not None and p["run"] is not None and \
        p["run"]["status"] not in ("done", "stopped")


def _set_status(p, status):
    if p["run"] is not None and p["run"]["status"] not in ("done", "stopped"):
        p["run"]["status"] = status


def _pull(p, n: int) -> None:
    """Up to ``n`` more records into the run; at the end, the run is done."""
    run = p["run"]
    for _ in range(n):
        try:
            run["records"].append(next(p["steps"]))
        except StopIteration:
            run["status"], p["steps"] = "done", None
            return
        except RuntimeError:         # its Trainer was given a later run: this one ends here
            run["status"], p["steps"] = "stopped", None
            p["note"] = (f"{run['label']} stopped at step {len(run['records'])}: a later run "
                         "with the same settings took over its Trainer.")
            return
        except gc.ProgramError as e:  # an eager run out of its time budget, say
            run["status"], p["steps"] = "stopped", None
            p["note"] = f"{run['label']} stopped at step {len(run['records'])}: {e.message}"
            return
    if len(run["records"]) >= run["steps"]:
        run["status"], p["steps"] = "done", None


def _show_progress(slot, run) -> None:
    if run is None:
        return
    done = len(run["records"])
    slot.progress(min(1.0, done / run["steps"]),
                  text=f"{run['label']}: step {done} of {run['steps']} ({run['status']})")
