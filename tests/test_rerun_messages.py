"""What an input change sends to the browser (issue 20): only what follows from the number.

A real server and one session over Streamlit's websocket, driven as ``bench/load_test.py``
drives a class: after the page, one change of x. The run must stay a run of the inner
fragment (no whole page, also for the first number moved away from an example), show
TensorFlow's gradient, and re-send the text, the box, the graph and what is under it, but
none of the settings under the editor (the constant/Variable switch, tape.watch, the
targets) nor the choice of details: those are drawn by the outer fragment.
"""
from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import load_test as lt  # noqa: E402

pytestmark = pytest.mark.slow


async def _one_change(url, x):
    """The page, then one change of x; the raw messages of the change."""
    r = lt.SessionResult()
    seen = []
    async with lt.Session(url, r) as s:
        await s.rerun()
        recv = s.ws.recv

        async def recording():
            data = await recv()
            seen.append(ForwardMsg.FromString(data))
            return data
        s.ws.recv = recording
        await s.rerun(x)
        s.check(x)
    return r, seen


def test_an_input_change_resends_only_what_follows_from_the_number():
    with lt.Server(lt.APPS["explorer"], ttl=5, logdir=Path(tempfile.mkdtemp())) as srv:
        r, seen = lt.run_in_thread(_one_change(srv.url, 3.0))
    assert not r.errors and not r.exceptions
    finished = [m.script_finished for m in seen if m.WhichOneof("type") == "script_finished"]
    assert finished == [lt.FRAGMENT_OK]         # the inner fragment, not the whole page
    elements = [m.delta.new_element for m in seen if m.WhichOneof("type") == "delta"
                and m.delta.WhichOneof("type") == "new_element"]
    kinds = [e.WhichOneof("type") for e in elements]
    assert {"text_area", "number_input", "plotly_chart", "metric", "markdown"} <= set(kinds)
    # the trace table is text with the new numbers (x = 3: its last row's downstream is
    # 8 * 3**7 = 17496)
    trace = [e.markdown.body for e in elements if e.WhichOneof("type") == "markdown"
             and e.markdown.body.startswith("| step | node |")]
    assert len(trace) == 1 and trace[0].split("\n")[-1].endswith("| 17496 |  |"), trace
    # the settings (segmented controls, the watch box, the targets) and the details' choice
    assert not {"button_group", "checkbox", "multiselect"} & set(kinds)
    assert len(kinds) <= 7
    text = next(e.text_area for e in elements if e.WhichOneof("type") == "text_area")
    assert "x = 3.0" in text.value
