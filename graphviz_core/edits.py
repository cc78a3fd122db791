"""Edits of a program's text that the page makes: an input's value and its kind.

The program's text is the source of truth (a share link carries it; the graph is drawn from
it), so a number box or a grid that changes an input rewrites that input's line, keeping
everything else, the line's comment included.
"""
from __future__ import annotations

import re

import numpy as np

from .language import LIMITS, ProgramError, parse

__all__ = ["set_input_kind", "set_input_value"]


def set_input_kind(source: str, name: str, kind: str, value: float | None = None,
                   form: str = "auto") -> str:
    r"""Rewrite input ``name``'s line as a ``Variable`` or a ``constant``; keep everything else.
    ``value``, if given, becomes the number on that line (the value the page shows, which
    may no longer be the one typed there); ``form``: the form the text is read in (as
    :func:`~graphviz_core.parse` takes it).

    >>> set_input_kind("x = 2.0  # start\ny = x*x", "x", "variable")
    'x = Variable(2.0)  # start\ny = x*x'
    >>> set_input_kind("x = 2.0\ny = x*x", "x", "variable", value=7)
    'x = Variable(7.0)\ny = x*x'
    """
    prog = parse(source, form=form)
    if name not in prog.inputs:
        raise ProgramError(f"'{name}' is not an input", 1, 1,
                           "only lines such as 'x = 2.0' can switch between kinds")
    if kind not in ("variable", "constant"):
        raise ValueError("kind must be 'variable' or 'constant'")
    inp = prog.inputs[name]
    if prog.form == "python":
        return _python_edit(source, prog, name, kind,
                            inp.default if value is None else value)
    lines = source.split("\n")
    line = lines[inp.line - 1]
    code, sep, comment = line.partition("#")
    indent = code[: len(code) - len(code.lstrip())]
    call = "Variable" if kind == "variable" else "constant"
    number = _literal_text(name, inp.default if value is None else value)
    new = f"{indent}{name} = {call}({number})"
    if sep:
        new += "  " + sep + comment
    lines[inp.line - 1] = new
    return _within_limit("\n".join(lines))


def _within_limit(source: str) -> str:
    """An edit must leave a program the parser takes: not longer than the limit."""
    if len(source) > LIMITS["chars"]:
        raise ValueError(f"with these numbers the program would be {len(source):,} characters "
                         f"long; the limit is {LIMITS['chars']:,}")
    return source


def _literal_text(name: str, value) -> str:
    """``value`` (a number, nested list or array) as program text; ValueError if out of range.

    >>> _literal_text("W", [[1, 2.5]]), _literal_text("x", 3)
    ('[[1.0, 2.5]]', '3.0')
    """
    try:
        a = np.array(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a number or a rectangular list of numbers") from None
    if a.size == 0 or a.ndim > LIMITS["rank"] or a.size > LIMITS["elements"] or \
            not np.all(np.abs(a) <= LIMITS["literal"]):
        raise ValueError(f"{name} must be a number, or a list of at most "
                         f"{LIMITS['elements']} numbers of rank at most {LIMITS['rank']}, each "
                         f"of size at most {LIMITS['literal']:g}")
    # 9 significant digits hold any float32 exactly and keep a 16 x 16 grid within the
    # program's 4,000 characters (repr of a float64 from a grid cell can take 20)
    short = np.vectorize(lambda v: float(f"{v:.9g}"), otypes=[float])(a) if a.ndim else a
    return repr(short.tolist()) if a.ndim else repr(float(a))


_NUMBER = re.compile(r"(?:[-+]\s*)?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def set_input_value(source: str, name: str, value: float, form: str = "auto") -> str:
    r"""Write ``value`` as input ``name``'s number, in the form the line already has; keep
    everything else. The page calls this when someone changes an input's box, so the text
    and the graph never disagree. ``form``: the form the text is read in.

    >>> set_input_value("x = 2.0  # start\ny = x*x", "x", 3)
    'x = 3.0  # start\ny = x*x'
    >>> set_input_value("w = Variable(-1.5)\ny = w*w", "w", 0.25)
    'w = Variable(0.25)\ny = w*w'
    """
    prog = parse(source, form=form)
    if name not in prog.inputs:
        raise ProgramError(f"'{name}' is not an input", 1, 1,
                           "only lines such as 'x = 2.0' hold an input's value")
    inp = prog.inputs[name]
    if prog.form == "python":
        return _python_edit(source, prog, name, inp.kind, value)
    if np.ndim(value) or inp.shape:         # a tensor: the line is written anew
        return set_input_kind(source, name, inp.kind, value)
    number = float(value)
    _literal_text(name, number)
    lines = source.split("\n")
    code, sep, comment = lines[inp.line - 1].partition("#")
    left, eq, right = code.partition("=")
    lines[inp.line - 1] = left + eq + _NUMBER.sub(repr(number), right, count=1) + sep + comment
    out = "\n".join(lines)
    try:
        again = parse(out).inputs.get(name)
    except ProgramError:
        again = None
    if again is None or again.default != number or again.kind != inp.kind:
        return set_input_kind(source, name, inp.kind, number)     # an unusual line: rewrite it
    return out



def _python_edit(source: str, prog, name: str, kind: str, value) -> str:
    r"""An input of a TensorFlow-Python cell: rewrite only its value where it stands
    (``w1, w2 = tf.Variable(5.), tf.Variable(3.)`` keeps w1 when w2 changes).

    >>> _python_edit("w1, w2 = tf.Variable(5.), tf.Variable(3.)  # two\nz = w1 * w2",
    ...              parse("w1, w2 = tf.Variable(5.), tf.Variable(3.)\nz = w1 * w2"),
    ...              "w2", "constant", 4)
    'w1, w2 = tf.Variable(5.), tf.constant(4.0)  # two\nz = w1 * w2'
    """
    import ast
    from .language import _AST_LOCK
    inp = prog.inputs[name]
    number = _literal_text(name, value)
    lines = source.split("\n")
    line = lines[inp.line - 1]
    try:
        with _AST_LOCK:
            tree = ast.parse(line.strip() if line[:1].isspace() else line)
    except SyntaxError:             # a statement over several lines
        raise ValueError(f"edit {name} in the program text") from None
    indent = len(line) - len(line.lstrip()) if line[:1].isspace() else 0
    st = tree.body[0] if tree.body else None
    if not isinstance(st, ast.Assign):
        raise ValueError(f"edit {name} in the program text")
    elts = st.value.elts if isinstance(st.value, ast.Tuple) and \
        isinstance(st.targets[0], ast.Tuple) else [st.value]
    here = [n for n, i in prog.inputs.items() if i.line == inp.line]
    literal = [e for e in elts if not isinstance(e, ast.Call) or
               getattr(e.func, "attr", "") in ("constant", "Variable", "array")]
    if len(literal) != len(here):
        raise ValueError(f"edit {name} in the program text")
    node = literal[here.index(name)]
    call = "tf.Variable" if kind == "variable" else "tf.constant"
    raw = line.encode("utf-8")
    start, end = indent + node.col_offset, indent + node.end_col_offset
    old = raw[start:end].decode("utf-8")
    was = "tf.Variable" if old.startswith("tf.Variable") else "tf.constant"
    if isinstance(node, ast.Call) and was == call and node.args:
        a = node.args[0]
        start, end = indent + a.col_offset, indent + a.end_col_offset
        new = number
    else:
        new = f"{call}({number})" if kind == "variable" or isinstance(node, ast.Call) \
            else number
    lines[inp.line - 1] = (raw[:start] + new.encode("utf-8") + raw[end:]).decode("utf-8")
    return _within_limit("\n".join(lines))
