"""The low-priority process for costly programs (explorer_app/lane.py, issue 15): which runs
go there, that they give TensorFlow's own numbers (the same Exploration as a run in this
process), that a closed page stops its run there, and that a dead child is replaced."""
from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

import pytest

import graphviz_core as gc
from explorer_app.lane import HEAVY_WORK, Lane
from graphviz_core.interpreter import PageClosed

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from load_test import hostile_program  # noqa: E402  (the load test's worst program)

HOSTILE = hostile_program()


@pytest.fixture(scope="module")
def lane():
    ln = Lane().start()
    yield ln
    ln.close()


def test_a_costly_program_goes_there_and_a_small_one_stays():
    ln = Lane()             # not started: wants() only parses
    assert gc.parse(HOSTILE).work >= HEAVY_WORK
    assert ln.wants(HOSTILE)
    small = [p for p in gc.PRESETS if p.key != "py_sign_train"]
    assert not [p.key for p in small if ln.wants(p.source)]
    assert ln.wants(gc.preset("py_sign_train").source)        # a training loop
    assert not ln.wants("y = q")                              # an error is quick: inline
    assert not ln.wants(None)


def test_a_text_that_ran_slowly_goes_there_next_time():
    ln = Lane(slow_cpu=0.1)
    src = gc.preset("f_multi").source
    ln.note(src, 0.05)
    assert not ln.wants(src)
    ln.note(src, 0.25)
    assert ln.wants(src)


def test_the_work_counts_what_a_trace_runs():
    # y = f(f(x)) with f = x*x + x: two calls of three ops each, plus the call nodes
    prog = gc.parse("f(x) = x*x + x\nx = 2.0\ny = f(f(x))")
    one = gc.parse("f(x) = x*x + x\nx = 2.0\ny = f(x)")
    assert prog.work > one.work > 0
    # a custom rule runs twice at each call (downstream and local derivative)
    ruled = gc.parse("f(x) = x*x + x\ngrad f(x, dy) = dy * (2*x + 1)\nx = 2.0\ny = f(f(x))")
    assert ruled.work > prog.work


def test_its_numbers_are_tensorflows_and_its_priority_is_lowest(lane):
    assert os.getpriority(os.PRIO_PROCESS, lane.pid()) == 19
    group = Path(f"/proc/{lane.pid()}/autogroup")
    if group.exists():          # Linux's autogroup: its own group, ranked lowest too
        assert group.read_text().split()[-1] == "19"
    for x in (1.5, -0.7):
        there = lane.run(dict(source=HOSTILE, inputs={"x": x}))
        here = gc.explore(HOSTILE, {"x": x})
        assert there.ok and here.ok
        assert there.trace.gradients == here.trace.gradients
        assert there.trace.values == here.trace.values
        assert there.spec == here.spec
        assert there.code == here.code
    # an error comes back as the same message, line and column
    bad = lane.run(dict(source="x = 1.0\ny = x +", inputs=None))
    assert bad.error_text() == gc.explore("x = 1.0\ny = x +").error_text()


def test_a_closed_page_stops_its_run_there(lane):
    start = time.monotonic()
    with pytest.raises(PageClosed):
        lane.run(dict(source=HOSTILE, inputs={"x": 1.25}), alive=lambda: False)
    assert time.monotonic() - start < 1.0
    # a run queued behind a long one (here the child sleeps 1.5 s), whose page closes while
    # it waits: it is taken off the queue, never run
    busy = lane._submit(time.sleep, 1.5)
    asked, start = [], time.monotonic()
    with pytest.raises(PageClosed):
        lane.run(dict(source=HOSTILE, inputs={"x": 1.2}),
                 alive=lambda: asked.append(1) or len(asked) < 2)
    assert time.monotonic() - start < 1.0 and not busy.done()
    busy.result()
    ex = lane.run(dict(source=HOSTILE, inputs={"x": 1.3}))      # and it serves the next
    assert ex.ok and ex.trace.gradients == gc.explore(HOSTILE, {"x": 1.3}).trace.gradients


def test_a_dead_child_is_replaced(lane):
    os.kill(lane.pid(), signal.SIGKILL)
    time.sleep(0.3)
    ex = lane.run(dict(source=HOSTILE, inputs={"x": 0.9}))
    assert ex.ok and ex.trace.gradients == gc.explore(HOSTILE, {"x": 0.9}).trace.gradients
    assert os.getpriority(os.PRIO_PROCESS, lane.pid()) == 19


def test_the_page_runs_a_costly_program_there_once_a_second():
    """Through the Explorer page: the costly program's gradient is TensorFlow's, computed in
    the lane (its child exists), and a change right after a run waits for the gap."""
    from streamlit.testing.v1 import AppTest
    from explorer_app import lane as lanes
    from explorer_app.session import COSTLY_GAP
    from graphviz_core import links

    app = str(Path(__file__).resolve().parents[1] / "app.py")
    at = AppTest.from_file(app, default_timeout=120)
    for k, v in links.encode({"program": HOSTILE}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception and not at.error
    want = gc.explore(HOSTILE, {"x": 2.0}).trace.gradients["x"]
    assert [m.value for m in at.metric] == [f"{want:g}"]
    assert lanes.shared() is not None and lanes.shared().pid() > 0
    took = []
    for x in (1.5, 1.25):
        start = time.monotonic()
        at.number_input(key="in:x").set_value(x).run()
        took.append(time.monotonic() - start)
        assert not at.exception and not at.error
        want = gc.explore(HOSTILE, {"x": x}).trace.gradients["x"]
        assert [m.value for m in at.metric] == [f"{want:g}"]
    # runs start a gap apart: the change right after a quick run waits for the rest of it
    assert took[1] >= 0.5 * COSTLY_GAP


def test_a_child_that_dies_mid_run_is_a_message_not_an_answer(lane):
    """The run that was going when the child died raises Unavailable (a ProgramError the
    page shows and does not cache); the next run gets a new child."""
    from explorer_app.lane import Unavailable
    import threading
    lane._submit(time.sleep, 5)                    # the child is busy; lane.pid() would wait
    pid = next(iter(lane._pool._processes))         # so its pid from the pool
    threading.Timer(0.3, os.kill, (pid, signal.SIGKILL)).start()
    with pytest.raises(Unavailable, match="stopped during this run"):
        lane.run(dict(source=HOSTILE, inputs={"x": 0.8}))
    ex = lane.run(dict(source=HOSTILE, inputs={"x": 0.8}))
    assert ex.ok and ex.trace.gradients == gc.explore(HOSTILE, {"x": 0.8}).trace.gradients
