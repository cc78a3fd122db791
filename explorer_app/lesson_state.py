"""A lesson's settings in its address bar, as the Explorer's are (issue 17).

An instructor prepares a lesson the way it should be shown (n = 5, float64, presentation
mode), copies the address into the slides, and the link opens the lesson that way. Each
page names its widgets and what each may hold (:func:`number`, :func:`choice`,
:func:`pair`, :data:`FLAG`); :func:`restore`, before the widgets, reads the link once per
session and page, :func:`keep`, after them, writes the current settings (and
``presentation=1``) back into the address.

A link's text is never shown: a value that is not one the widget can hold is dropped, and
the page says only that the link's settings were not valid (issue 15's hygiene).
"""
from __future__ import annotations

import math

import streamlit as st

__all__ = ["number", "choice", "pair", "FLAG", "restore", "keep", "parse", "text"]

FLAG = ("flag",)


def number(lo: float, hi: float, integer: bool = False) -> tuple:
    return ("number", lo, hi, integer)


def choice(*options) -> tuple:
    return ("choice", options)


def pair(lo: float, hi: float) -> tuple:
    return ("pair", lo, hi)


def _float(s: str, lo: float, hi: float) -> float:
    v = float(s)
    if not math.isfinite(v) or not lo <= v <= hi:
        raise ValueError("out of range")
    return v


def parse(value: str, spec: tuple):
    """The widget value a link's ``value`` stands for; ValueError if it holds none.

    >>> parse("5", number(1, 8, integer=True)), parse("0.25", number(-3.0, 3.0))
    (5, 0.25)
    >>> parse("float64", choice("float32", "float64")), parse("0,10", pair(-10.0, 20.0))
    ('float64', (0.0, 10.0))
    >>> parse("9", number(1, 8, integer=True))
    Traceback (most recent call last):
    ValueError: out of range
    """
    if not isinstance(value, str) or len(value) > 40:
        raise ValueError("not a setting")
    kind = spec[0]
    if kind == "number":
        v = _float(value, spec[1], spec[2])
        if spec[3]:
            if v != int(v):
                raise ValueError("not a whole number")
            return int(v)
        return v
    if kind == "choice":
        for option in spec[1]:
            if str(option) == value:
                return option
        if any(isinstance(o, float) for o in spec[1]):    # 1e-6 as well as 1e-06
            v = float(value)
            for option in spec[1]:
                if isinstance(option, float) and option == v:
                    return option
        raise ValueError("not an option")
    if kind == "pair":
        a, b = value.split(",")
        a, b = _float(a, spec[1], spec[2]), _float(b, spec[1], spec[2])
        if a > b:
            raise ValueError("not a range")
        return (a, b)
    if kind == "flag":
        if value not in ("0", "1"):
            raise ValueError("not a switch")
        return value == "1"
    raise ValueError(f"unknown kind {kind!r}")


def text(value, spec: tuple) -> str:
    """How ``value`` is written in the address (:func:`parse` reads it back).

    >>> text(0.25, number(-3.0, 3.0)), text((0.0, 10.0), pair(-10.0, 20.0)), text(True, FLAG)
    ('0.25', '0,10', '1')
    """
    kind = spec[0]
    if kind == "number":
        return str(int(value)) if spec[3] or float(value) == int(value) else repr(float(value))
    if kind == "pair":
        return ",".join(text(v, number(spec[1], spec[2])) for v in value)
    if kind == "flag":
        return "1" if value else "0"
    return str(value)


def restore(page: str, spec: dict) -> None:
    """Before the page's widgets: on its first run in this session, the link's settings."""
    ss = st.session_state
    seen = f"_url_read:{page}"
    if ss.get(seen):
        return
    ss[seen] = True
    bad = False
    for key, kind in spec.items():
        value = st.query_params.get(key)
        if value is None:
            continue
        try:
            ss[key] = parse(value, kind)
        except (ValueError, TypeError):
            bad = True
    if bad:
        st.warning("Some of the link's settings were not valid; the page opened with its "
                   "own for those.")


def keep(spec: dict, presentation: bool) -> None:
    """After the page's widgets: the address holds the settings and presentation mode, so
    that copying it keeps the view. An unchanged address is not sent again."""
    ss = st.session_state
    want = {key: text(ss[key], kind) for key, kind in spec.items() if key in ss}
    if presentation:
        want["presentation"] = "1"
    if st.query_params.to_dict() != want:
        st.query_params.from_dict(want)
