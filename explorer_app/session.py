"""The Explorer's session model: plain functions on a mutable mapping (``st.session_state``
on the page, a ``dict`` in tests). Nothing here draws anything.

Keys kept in the mapping
------------------------
``program`` the editor's text (the program is the source of truth: every input box writes
its number into it); ``form`` the form it is read in (auto, short, python); ``preset`` the
example chosen; ``targets``; ``unwatched`` constants
the tape must not watch; ``dtype``, ``expand``, ``compare``, ``presentation``, ``speed``;
per input ``in:<name>`` (its box) and ``indefault:<name>`` (the value the text last had);
``mode:<function>``; ``watch:<constant>``; ``default_target`` (the last value of the
program when the targets were last chosen); ``_kept`` (widget values that survive a visit
to a lesson); ``ready`` once the first visit is done.

>>> import graphviz_core as gc
>>> state = {}
>>> first_visit(state, {}, {p.key: p for p in gc.PRESETS}, "foo3")
>>> state["preset"], state["targets"], state["ready"]
('foo3', [], True)
"""
from __future__ import annotations

from collections.abc import Mapping, MutableMapping

import numpy as np

import graphviz_core as gc
from graphviz_core import links as url_state

__all__ = ["window", "load_preset", "unwatched_by", "set_kind", "set_value", "set_tensor_cells",
           "first_visit", "restore_widgets", "keep_widgets", "follow_targets", "KEPT"]

# per-input and per-function widget values: a new program must not inherit them
_WIDGET_PREFIXES = ("in:", "indefault:", "mode:", "watch:", "kind:")
# Streamlit forgets a page's widget values when another page runs; these are copied aside
# so that a visit to a lesson does not wipe the program someone typed
KEPT = ("program", "preset", "targets", "unwatched", "dtype", "expand", "compare",
        "presentation", "speed", "form")
_KEPT_PREFIXES = ("in:", "indefault:", "mode:", "watch:")
# what a callback can meet in hostile text: it keeps the text, the editor shows the error
_ANY_USER_ERROR = (gc.ProgramError, ValueError, KeyError, RecursionError, MemoryError,
                   SystemError)


def load_preset(state: MutableMapping, preset) -> None:
    """Put a preset's program and settings into the session (widgets read them).

    >>> s = {"in:x": 5.0}
    >>> load_preset(s, gc.preset("f_constants")); s["program"] == gc.preset("f_constants").source
    True
    >>> "in:x" in s, s["unwatched"]
    (False, ['c1', 'c2'])
    """
    state["program"] = preset.source
    state["targets"] = list(preset.targets or [])
    state.pop("default_target", None)     # an example's (or a link's) targets are kept as given
    state["unwatched"] = unwatched_by(preset.source, preset.watch)
    state["dtype"] = preset.dtype
    state["form"] = "auto"         # an example's text reads as auto-detection reads it
    for k in [k for k in state if str(k).startswith(_WIDGET_PREFIXES)]:
        del state[k]
    state["_kept"] = {}            # the previous program's widget values must not come back


def unwatched_by(source: str, watch, form: str = "auto") -> list:
    """The constants of ``source`` that a watch list (None: all of them) leaves unwatched.

    The session keeps this, not the watch list: a constant typed later is watched, as in any
    new program, and a box someone unticked stays unticked while its input is a Variable
    (Streamlit forgets the state of a checkbox that a run does not draw).

    >>> unwatched_by("a = 1.0\\nb = 2.0\\ny = a * b", ["a"]), unwatched_by("a = 1.0", None)
    (['b'], [])
    """
    if watch is None:
        return []
    try:
        prog = gc.parse(source, form=form)
    except _ANY_USER_ERROR:
        return []
    return [n for n, i in prog.inputs.items() if i.kind == "constant" and n not in watch]


def set_kind(state: MutableMapping, name: str, key: str) -> None:
    """A Variable/constant switch rewrites that input's line in the program text, with the
    number its box shows, so text and graph agree.

    >>> s = {"program": "x = 2.0\\ny = x*x", "k": "variable", "in:x": 3.0}
    >>> set_kind(s, "x", "k"); s["program"]
    'x = Variable(3.0)\\ny = x*x'
    """
    try:
        state["program"] = gc.set_input_kind(state["program"], name, state[key],
                                             state.get(f"in:{name}"),
                                             form=state.get("form", "auto"))
    except _ANY_USER_ERROR:
        pass        # the program changed under the widget; the editor shows the error


def set_value(state: MutableMapping, name: str) -> None:
    """An input's box writes its number into the program's line: the text, the graph and a
    copied link say the same x.

    >>> s = {"program": "x = 2.0  # start\\ny = x*x", "in:x": 4.5}
    >>> set_value(s, "x"); s["program"]
    'x = 4.5  # start\\ny = x*x'
    """
    try:
        state["program"] = gc.set_input_value(state["program"], name, state[f"in:{name}"],
                                              form=state.get("form", "auto"))
    except _ANY_USER_ERROR:
        pass        # the program changed under the widget; the editor shows the error


def set_tensor_cells(state: MutableMapping, name: str, key: str) -> None:
    """A tensor's grid (``st.data_editor``, whose state at ``key`` lists the edited cells)
    writes its numbers into the program's line, as a number box does.

    >>> s = {"program": "W = Variable([[1.0, 2.0]])\\ny = W*W",
    ...      "g": {"edited_rows": {0: {"1": 5.0}}}}
    >>> set_tensor_cells(s, "W", "g"); s["program"]
    'W = Variable([[1.0, 5.0]])\\ny = W*W'
    """
    try:
        form = state.get("form", "auto")
        inp = gc.parse(state["program"], form=form).inputs[name]
        a = np.atleast_2d(np.array(inp.default, dtype=float))
        for row, cols in (state[key] or {}).get("edited_rows", {}).items():
            for col, v in cols.items():
                a[int(row), int(col)] = float(v)
        state["program"] = gc.set_input_value(state["program"], name, a.reshape(inp.shape),
                                              form=form)
    except _ANY_USER_ERROR + (IndexError, TypeError):
        pass        # the program changed under the widget, or a cell was emptied


def first_visit(state: MutableMapping, query: dict, presets: dict, default: str) -> None:
    """Defaults, then whatever a share link's ``query`` carries.

    >>> s = {}
    >>> q = url_state.encode({"program": "x = 2.0\\ny = x*x", "inputs": {"x": 3.0}})
    >>> first_visit(s, q, {p.key: p for p in gc.PRESETS}, "foo3"); s["program"], s["preset"]
    ('x = 3.0\\ny = x*x', 'yours')
    """
    shared, messages = url_state.decode(query)
    key = shared["preset"] if shared["preset"] in presets else default
    state["preset"] = key
    load_preset(state, presets[key])
    if shared["program"]:
        state["program"] = shared["program"]
    state["form"] = shared["form"]          # a Python cell's link reopens in that form
    try:        # values in the link override the program's defaults
        prog = gc.parse(state["program"], form=state["form"])
        state.update({f"indefault:{n}": i.default for n, i in prog.inputs.items()})
        messages += url_state.unknown_names(shared, prog)
    except _ANY_USER_ERROR:
        pass        # the editor shows what is wrong with the program
    for name, v in shared["inputs"].items():
        state[f"in:{name}"] = v
        try:        # the text says the link's value too (links made before this say 2.0)
            state["program"] = gc.set_input_value(state["program"], name, v,
                                                  form=state["form"])
            state[f"indefault:{name}"] = float(v)
        except _ANY_USER_ERROR:
            pass
    for name, m in shared["modes"].items():
        state[f"mode:{name}"] = m
    if shared["targets"]:
        state["targets"] = shared["targets"]
    if shared["watch"] is not None:
        state["unwatched"] = unwatched_by(state["program"], shared["watch"], state["form"])
    for k in ("dtype", "expand", "compare", "presentation", "speed"):
        state[k] = shared[k]
    if state["program"] != presets[key].source:     # a link's own program, not the example
        state.update(preset=YOURS, last_example=key, your_program=state["program"])
    state["url_messages"] = messages
    state["ready"] = True


def link_messages(state: MutableMapping) -> list:
    """A share link's warnings, shown once: gone at the user's next change. The page's own
    rerun for a large screen (explorer_app/viewport.py) is not a change, so they are kept
    for it (:func:`keep_link_messages`).

    >>> s = {"url_messages": ["speed 9 is not one of the speeds"]}
    >>> link_messages(s), link_messages(s)
    (['speed 9 is not one of the speeds'], [])
    >>> s = {"url_messages": ["m"]}; _ = link_messages(s); keep_link_messages(s)
    >>> link_messages(s)
    ['m']
    """
    messages = state.pop("url_messages", [])
    state["url_messages_shown"] = messages
    return messages


def keep_link_messages(state: MutableMapping) -> None:
    """The page reruns by itself (a screen's size reported): show the same warnings again."""
    state["url_messages"] = state.get("url_messages_shown", [])


def restore_widgets(state: MutableMapping) -> None:
    """Bring back kept widget values that Streamlit dropped while another page ran.

    >>> s = {"_kept": {"program": "x = 1.0", "dtype": "float64"}, "dtype": "float32"}
    >>> restore_widgets(s); s["program"], s["dtype"]
    ('x = 1.0', 'float32')
    """
    for k, v in state.get("_kept", {}).items():
        if k not in state:
            state[k] = v


def keep_widgets(state: MutableMapping, numbers_of=None) -> None:
    """Copy the widget values worth keeping aside (see :func:`restore_widgets`).
    ``numbers_of``: only the text and these inputs' numbers changed since the last copy
    (a run of the Explorer's inner fragment), a cheaper walk than all the keys.

    >>> s = {"program": "x = 1.0", "in:x": 1.0, "graph": object()}
    >>> keep_widgets(s); sorted(s["_kept"])
    ['in:x', 'program']
    >>> s["in:x"] = 2.0; keep_widgets(s, numbers_of=["x", "y"]); s["_kept"]["in:x"]
    2.0
    """
    kept = state.get("_kept")
    if numbers_of is not None and kept is not None:
        keys = ["program", *(f"{k}{n}" for n in numbers_of for k in ("in:", "indefault:"))]
        kept.update((k, state[k]) for k in keys if k in state)
        return
    state["_kept"] = {k: state[k] for k in list(state.keys())
                      if k in KEPT or str(k).startswith(_KEPT_PREFIXES)}


def follow_targets(state: MutableMapping, prog) -> list:
    """The targets after an edit: the chosen ones that still exist; the program's last value
    when none is left, or when the last value was the only target and a new line took its
    place (``z = y + x`` typed under ``y``), unless someone chose other targets.

    >>> s = {"targets": ["y"], "default_target": "y"}
    >>> follow_targets(s, gc.parse("x = 1.0\\ny = x*x\\nz = y + x"))
    ['z']
    >>> s = {"targets": ["x"], "default_target": "y"}
    >>> follow_targets(s, gc.parse("x = 1.0\\ny = x*x\\nz = y + x"))
    ['x']
    """
    choices = list(prog.assignments) + list(prog.inputs)
    current = [t for t in state.get("targets", []) if t in choices]
    before = state.get("default_target")
    if not current and prog.default_target or \
            current == [before] and prog.default_target not in (before, None):
        current = list(prog.default_targets)    # a Python cell's last tape.gradient call
    state["default_target"] = prog.default_target
    state["targets"] = current
    return current


def window(line: str, column: int, width: int = 100) -> tuple[str, int]:
    """The part of ``line`` around 1-based ``column`` to echo under an error, at most about
    ``width`` characters (a 20 MB one-line paste must not come back whole), and where the
    caret goes in it.

    >>> window("y = x + q", 9)
    ('y = x + q', 8)
    >>> text, at = window("x" * 5000 + " + q", 5004); len(text) < 110, text[at]
    (True, 'q')
    """
    start = max(0, column - 1 - width // 2)
    text = line[start:start + width]
    at = column - 1 - start
    if start > 0:
        text, at = "…" + text, at + 1
    if start + width < len(line):
        text += "…"
    return text, at


def clicked_node(event, choices: dict) -> str | None:
    """The node a click on the graph selected (``st.plotly_chart(on_select=...)``'s event:
    its points carry the node id as ``customdata``), if it is one of ``choices``.

    >>> clicked_node({"selection": {"points": [{"customdata": "n1"}]}}, {"n1": "y"})
    'n1'
    >>> clicked_node({"selection": {"points": [{"customdata": "n9"}]}}, {"n1": "y"}) is None
    True
    """
    try:
        points = event["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    for p in points or ():
        node = p.get("customdata") if isinstance(p, dict) else None
        if isinstance(node, list):
            node = node[0] if node else None
        if node in choices:
            return node
    return None


YOURS = "yours"       # the picker's entry for the text someone typed


def example_key(state: Mapping, default: str) -> str:
    """The example the editor started from (the picker may say "Your program")."""
    key = state.get("preset")
    return state.get("last_example", default) if key == YOURS or key is None else key


def pick_example(state: MutableMapping, presets: dict) -> None:
    """The picker's change: load the example, keeping a typed program as "Your program"
    (picking an example must not destroy it), or bring that program back.

    >>> s = {"program": "y = 1.0 * 2.0", "preset": "foo3"}
    >>> pick_example(s, {p.key: p for p in gc.PRESETS}); s["your_program"], s["program"][:6]
    ('y = 1.0 * 2.0', '# Seed')
    >>> s["preset"] = YOURS; pick_example(s, {p.key: p for p in gc.PRESETS}); s["program"]
    'y = 1.0 * 2.0'
    """
    key = state.get("preset")
    if key == YOURS:
        state["program"] = state.get("your_program", state.get("program", ""))
        return
    text = state.get("program", "")
    if text and all(text != p.source for p in presets.values()):
        state["your_program"] = text
    state["last_example"] = key
    if presets[key].dtype != state.get("dtype", presets[key].dtype):
        state["rerun_app"] = True       # the sidebar's precision follows (outside the fragment)
    load_preset(state, presets[key])


def on_edit(state: MutableMapping, presets: dict) -> None:
    """The editor's change: once the text is no longer the example's, the picker says
    "Your program" (it must not keep naming an example the text is not).

    >>> s = {"program": "y = 2.0", "preset": "foo3"}
    >>> on_edit(s, {p.key: p for p in gc.PRESETS}); s["preset"], s["last_example"]
    ('yours', 'foo3')
    """
    key = state.get("preset")
    text = state.get("program", "")
    if key in presets and text != presets[key].source:
        state["last_example"] = key
        state["preset"] = YOURS
    if state.get("preset") == YOURS:
        state["your_program"] = text


def back_to_example(state: MutableMapping, presets: dict, key: str) -> None:
    """"↺ Back to the example": the example again, the typed text kept as "Your program"."""
    state["preset"] = key
    pick_example(state, presets)


COSTLY_GAP = 1.0        # seconds between one session's runs in the lane (explorer_app/lane.py)


def pace_costly(state: MutableMapping, gap: float = COSTLY_GAP, clock=None, sleep=None) -> float:
    """Before a costly run (one that goes to the low-priority lane): wait until ``gap``
    seconds after this session's previous one; the seconds waited.

    A costly program updates at most once a second, however fast its inputs change: the
    lane keeps its TensorFlow off the class's core, but every run still costs the server a
    page's worth of work, and a visitor rerunning every 0.2 s was a third of a class's load
    (bench/README.md). The first costly run of a session does not wait.

    >>> s, t = {}, [100.0]
    >>> pace_costly(s, 1.0, clock=lambda: t[0], sleep=lambda d: t.__setitem__(0, t[0] + d))
    0.0
    >>> t[0] += 0.25
    >>> pace_costly(s, 1.0, clock=lambda: t[0], sleep=lambda d: t.__setitem__(0, t[0] + d))
    0.75
    """
    import time
    clock = clock or time.monotonic
    sleep = sleep or time.sleep
    wait = min(gap, max(0.0, state.get("_costly_next", 0.0) - clock()))
    if wait > 0:
        sleep(wait)
    state["_costly_next"] = clock() + gap
    return wait
