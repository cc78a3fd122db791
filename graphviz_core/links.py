"""Share links: the Explorer's view as URL query parameters, checked on the way in.

The state is a plain dict::

    {"program": str, "inputs": {name: float}, "modes": {fn: mode}, "targets": [names],
     "watch": [names] | None, "dtype": "float32" | "float64", "expand": bool,
     "compare": bool, "presentation": bool, "preset": str | None, "speed": float,
     "form": "auto" | "short" | "python"}

``form`` is the form the editor reads the program in (the Explorer's switch): a link to a
TensorFlow-Python cell says ``python``, so that it reopens in that form even when
auto-detection would read its text otherwise; a link without it (made before) auto-detects.

:func:`encode` makes ``{str: str}`` for ``st.query_params``; :func:`decode` turns whatever a
URL holds back into a state, never raising: bad or oversized values fall back to defaults
and each fallback is reported in a message for the page to show.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
import re
import zlib

from .examples import PRESETS
from .language import LIMITS

__all__ = ["encode", "decode", "unknown_names", "MAX_URL_CHARS", "default_state", "SPEEDS"]

MAX_URL_CHARS = 8000        # a whole query string larger than this is ignored
_PROGRAM_PREFIX = "z:"      # zlib + urlsafe base64 keeps links short
_MAX_MESSAGES = 5
SPEEDS = (0.25, 0.5, 1.0, 2.0, 4.0)      # the animation speeds the Explorer offers
FORMS = ("auto", "short", "python")     # the forms the editor reads (links omit "auto")
_FLAGS = ("expand", "compare", "presentation")
_PRESET_KEYS = frozenset(p.key for p in PRESETS)


def default_state(program: str = "") -> dict:
    return {"program": program, "inputs": {}, "modes": {}, "targets": [], "watch": None,
            "dtype": "float32", "expand": False, "compare": False, "presentation": False,
            "preset": None,
            "speed": 1.0, "form": "auto"}


def _is_tensor(v) -> bool:
    return isinstance(v, (list, tuple)) or getattr(v, "ndim", 0) > 0


def encode(state: dict) -> dict:
    """Query parameters for a state.

    >>> q = encode({"program": "x = 2.0\\ny = x*x", "inputs": {"x": 3.0}, "dtype": "float64"})
    >>> decode(q)[0]["inputs"], decode(q)[0]["dtype"], decode({"speed": "2"})[0]["speed"]
    ({'x': 3.0}, 'float64', 2.0)
    >>> encode({"program": "x = 2.0\\nprint(x)", "form": "python"})["form"]
    'python'
    """
    q = {}
    program = state.get("program") or ""
    packed = base64.urlsafe_b64encode(zlib.compress(program.encode("utf-8"), 9)).decode()
    q["p"] = _PROGRAM_PREFIX + packed.rstrip("=")
    scalars = {k: v for k, v in (state.get("inputs") or {}).items() if not _is_tensor(v)}
    if scalars:     # a tensor's values are in the program's text, which the page keeps current
        q["in"] = ",".join(f"{k}:{float(v)!r}" for k, v in scalars.items())
    if state.get("modes"):
        q["modes"] = ",".join(f"{k}:{v}" for k, v in state["modes"].items())
    if state.get("targets"):
        q["t"] = ",".join(state["targets"])
    if state.get("watch") is not None:
        q["watch"] = ",".join(state["watch"]) or "-"
    if state.get("dtype", "float32") != "float32":
        q["dtype"] = state["dtype"]
    for flag in _FLAGS:
        if state.get(flag):
            q[flag] = "1"
    if state.get("preset"):
        q["preset"] = state["preset"]
    if state.get("speed", 1.0) != 1.0:
        q["speed"] = f"{state['speed']:g}"
    if state.get("form", "auto") in FORMS[1:]:
        q["form"] = state["form"]
    return q


def decode(query) -> tuple[dict, list[str]]:
    """(state, messages) from query parameters; unknown or bad parts fall back to defaults."""
    state, msgs = default_state(), []
    try:
        items = {str(k): str(v) for k, v in dict(query).items()}
    except Exception:  # noqa: BLE001 - anything odd in a URL is just ignored
        return state, ["the link could not be read; showing the defaults"]
    if sum(len(k) + len(v) for k, v in items.items()) > MAX_URL_CHARS:
        return state, [f"the link is longer than {MAX_URL_CHARS:,} characters; "
                       "showing the defaults"]
    if "p" in items:
        program = _unpack(items["p"])
        if program is None:
            msgs.append("the program in the link could not be read; showing a preset")
        elif len(program) > LIMITS["chars"]:
            msgs.append("the program in the link is too long; showing a preset")
        else:
            state["program"] = program
    if "in" in items:
        for part in items["in"].split(",")[:LIMITS["lines"]]:    # no program has more inputs
            if not part:
                continue
            name, _, value = part.partition(":")
            try:
                v = float(value)
            except ValueError:
                msgs.append(f"input {_named(name)}in the link is not a number; using its default")
                continue
            if not math.isfinite(v) or abs(v) > LIMITS["literal"]:
                msgs.append(f"input {_named(name)}in the link is out of range; using its default")
                continue
            state["inputs"][name] = v
    if "modes" in items:
        for part in items["modes"].split(","):
            name, _, mode = part.partition(":")
            if mode in ("automatic", "custom"):
                state["modes"][name] = mode
            elif part:
                msgs.append("a mode in the link is not automatic or custom; ignored")
    if "t" in items:
        state["targets"] = [t for t in items["t"].split(",") if t][:20]
    if "watch" in items:
        w = items["watch"]
        state["watch"] = [] if w == "-" else [x for x in w.split(",") if x][:60]
    if "dtype" in items:
        if items["dtype"] in ("float32", "float64"):
            state["dtype"] = items["dtype"]
        else:
            msgs.append("dtype in the link must be float32 or float64; using float32")
    for flag in _FLAGS:
        if flag in items:
            state[flag] = items[flag].lower() in ("1", "true", "yes", "on")
    if "preset" in items:
        if items["preset"] in _PRESET_KEYS:
            state["preset"] = items["preset"]
        elif items["preset"]:
            msgs.append("the link asks for an example that does not exist; showing the first one")
    if "speed" in items:
        try:
            speed = float(items["speed"])
        except ValueError:
            speed = None
        if speed in SPEEDS:
            state["speed"] = speed
        else:
            msgs.append(f"speed in the link must be one of {', '.join(f'{v:g}' for v in SPEEDS)}; "
                        "using 1")
    if "form" in items:
        if items["form"] in FORMS:
            state["form"] = items["form"]
        else:
            msgs.append("form in the link must be python or short; reading the program as "
                        "auto-detected")
    if len(msgs) > _MAX_MESSAGES:       # a hand-made link must not fill the page with warnings
        msgs = msgs[:_MAX_MESSAGES] + [f"and {len(msgs) - _MAX_MESSAGES} more problems"]
    return state, msgs


def unknown_names(state: dict, prog) -> list[str]:
    """Messages for the names a decoded state gives that ``prog`` does not have.

    A link edited by hand, or one whose program was changed, can name an input, a function,
    a target or a watched input that is not there; they are ignored, each kind said once.

    >>> from graphviz_core import parse
    >>> prog = parse("x = 2.0\\ny = x * x")
    >>> unknown_names({"inputs": {"z": 3.0}, "modes": {"foo": "custom"}, "targets": ["y"]}, prog)
    ["the program has no input 'z'; ignored", "the program has no function 'foo'; ignored"]
    """
    names = set(prog.inputs) | set(prog.assignments)
    checks = [("input", state.get("inputs") or {}, prog.inputs),
              ("function", state.get("modes") or {}, prog.functions),
              ("value", state.get("targets") or [], names),
              ("input to watch", state.get("watch") or [], prog.inputs)]
    out = []
    for kind, given, known in checks:
        gone = [n for n in given if n not in known]
        quoted = [repr(n) for n in gone if _NAME.fullmatch(str(n))]
        if gone and len(quoted) == len(gone):
            out.append(f"the program has no {kind} {', '.join(quoted)}; ignored")
        elif gone:      # not a name a program can have: not repeated (a link is anyone's text)
            out.append(f"the link names {len(gone)} {kind}(s) the program does not have; "
                       "ignored")
    return out


# A name the language allows, short: the only text from a link that messages repeat, so a
# link cannot make the page say a sentence of its choosing ("session expired, log in at ...").
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,29}")


def _named(name) -> str:
    """``'x' `` for a program-like name, else nothing (see :data:`_NAME`)."""
    return f"'{name}' " if _NAME.fullmatch(str(name)) else ""


def _unpack(text: str) -> str | None:
    if not text.startswith(_PROGRAM_PREFIX):
        return text if len(text) <= LIMITS["chars"] else None    # plain text in a hand-made link
    body = text[len(_PROGRAM_PREFIX):]
    try:
        # strict: a character outside the alphabet means a damaged link, not one to guess at
        raw = base64.b64decode(body + "=" * (-len(body) % 4), altchars=b"-_", validate=True)
        d = zlib.decompressobj()
        data = d.decompress(raw, LIMITS["chars"] * 4 + 1)     # bounded: no zip bombs
        # a cut-off or padded stream would otherwise decode to part of a program, silently
        if d.unconsumed_tail or not d.eof or d.unused_data:
            return None
        return data.decode("utf-8")
    except (binascii.Error, ValueError, zlib.error, UnicodeDecodeError):
        return None


def dumps(state: dict) -> str:
    """The state as JSON (for exports)."""
    return json.dumps(state, sort_keys=True)
