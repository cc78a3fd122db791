"""The program language: source text -> :class:`Program`.

One statement a line; ``#`` starts a comment. Each right-hand side is parsed with
:func:`ast.parse` (an abstract syntax tree only: nothing is ever evaluated by Python) and
walked against an allowlist into the small immutable expression nodes below. Every
problem is a :class:`ProgramError` carrying a 1-based line and column and a hint.

Statements::

    foo(x) = x**2                       # function
    grad foo(x, dy) = dy * 2*x          # custom gradient: one expression per parameter
    x = 2.0                             # input (a tf.constant)
    w = Variable(5.0)                   # input (a tf.Variable)
    c = constant(5.0)                   # input (a tf.constant)
    y = foo(foo(x))                     # value

Limits (a hosted demo takes input from anyone) are checked here, before any TensorFlow
work: text size, line count, expression depth, literal size, graph size after expansion;
shapes are checked by :mod:`graphviz_core.shapes` at the end of :func:`parse`.

Why one module of ~700 lines: it is the allowlist. Each construct the language accepts and
the message for each one it refuses stand next to each other (``_Converter``), so that a
reviewer reads what user text can reach in one place.
"""
from __future__ import annotations

import ast
import keyword
import math
import functools
import re
import threading
from dataclasses import dataclass, field

import numpy as np

from . import shapes
from .expr import Call, Compare, Cond, Logic, NoGrad, Num, Op, Ref, walk
from .ops import OPS

__all__ = [
    "ProgramError", "Program", "Function", "Input", "parse", "BUILTINS", "LIMITS",
    "set_input_kind",
    "set_input_value",
    "Num", "Ref", "Op", "Call", "Cond", "Compare", "Logic", "NoGrad", "walk",
]

LIMITS = {
    "chars": 4000,
    "lines": 60,
    "nodes": 300,
    "depth": 40,
    "literal": 1e9,
    "steps": 5000,
    "work": 5000,             # ops run by a trace: bodies expanded, each custom rule twice
    #                           at each call (once more per output element when a tensor's
    #                           local Jacobian is built), conditions included (see _work)
    "elements": 256,          # elements in one value (a tensor literal, an input, any node)
    "trace_elements": 20000,  # elements of all values of a trace, functions expanded
    "rank": 2,
}

# Built-ins callable by name, with their number of arguments (the registry is the source).
BUILTINS = {n: len(s.params) for n, s in OPS.items() if s.named}
_INPUT_KINDS = {"Variable": "variable", "constant": "constant"}
# built-ins, Python keywords, and names the exported TensorFlow script needs for itself
_RESERVED = set(BUILTINS) | set(_INPUT_KINDS) | set(keyword.kwlist) | {
    "tf", "tape", "DTYPE", "print", "float", "globals", "zip", "bool", "None", "True", "False"}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow",
           ast.MatMult: "matmul"}
_CMPOPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# Under concurrent sessions CPython 3.11's ast.parse sometimes raised "SystemError: AST
# constructor recursion depth mismatch" (12 times in 5,400 reruns over 8 websocket sessions,
# issue 15): its recursion guard is per interpreter, not per thread. One parse at a time;
# a line is at most 4,000 characters, so the lock is held for well under a millisecond.
_AST_LOCK = threading.Lock()


class ProgramError(ValueError):
    """A problem in the user's program, with a 1-based ``line`` and ``column``.

    >>> try:
    ...     parse("y = foo(x)")
    ... except ProgramError as e:
    ...     (e.line, e.column)
    (1, 5)
    """

    def __init__(self, message: str, line: int = 1, column: int = 1, hint: str = ""):
        self.message = message
        self.line = line
        self.column = column
        self.hint = hint
        text = f"line {line}, column {column}: {message}"
        super().__init__(text + (f" ({hint})" if hint else ""))


# ---------------------------------------------------------------------------- program

@dataclass(frozen=True)
class Function:
    name: str
    params: tuple
    body: object
    line: int
    text: str                      # the body as written
    rule: tuple | None = None      # one expression (or NoGrad) per parameter
    rule_params: tuple = ()        # the rule's own names: params..., upstream
    rule_text: str = ""
    rule_line: int = 0             # the line of the grad rule (0: none)
    effects: tuple = ()            # TensorFlow-Python form: prints and asserts of the body
    rule_effects: tuple = ()       # ... and of its gradient function (script.Effect each)

    @property
    def has_custom_gradient(self) -> bool:
        return self.rule is not None

    @property
    def upstream(self) -> str:
        return self.rule_params[-1] if self.rule_params else "upstream"


@dataclass(frozen=True)
class Input:
    name: str
    kind: str          # "variable" | "constant"
    default: object    # float, or a nested tuple of floats for a tensor
    line: int

    @property
    def shape(self) -> tuple:
        return np.shape(self.default)


@dataclass
class Program:
    """A parsed program. ``assignments`` keeps source order; the last is the default target."""
    source: str
    functions: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    assignments: list = field(default_factory=list)
    expressions: dict = field(default_factory=dict)   # assignment name -> expression
    lines: dict = field(default_factory=dict)         # name -> line of its statement
    shapes: dict = field(default_factory=dict)        # name -> shape at the inputs' defaults
    rule_work: dict = field(default_factory=dict)     # function -> ops one run of its rule
    work: int = 0       # ops one trace runs, as the work limit counts them (bodies expanded,
    #                     rules at each call, a tensor rule once per Jacobian row)
    form: str = "short"
    # the TensorFlow-Python form (graphviz_core.pyform): the script around the program
    # (script.Step each), and the targets and watched constants of its last gradient call
    script: tuple = ()
    targets: tuple = ()
    watch: tuple | None = None
    sources: tuple = ()               # the inputs that last gradient call differentiates for
    training: object = None           # a training loop (script.Training), run after the script

    @property
    def default_target(self) -> str | None:
        if self.targets:
            return self.targets[-1]
        return self.assignments[-1] if self.assignments else None

    @property
    def default_targets(self) -> tuple:
        """The targets a trace takes by default: the last gradient call's in the Python form,
        else the last value."""
        return self.targets or ((self.default_target,) if self.default_target else ())

    @property
    def has_script(self) -> bool:
        """True if running it prints or runs tapes of its own (the Python form)."""
        return bool(self.script) or any(f.effects or f.rule_effects
                                        for f in self.functions.values())

    @property
    def has_conditionals(self) -> bool:
        """True if a forward value decides a Python branch (no ``tf.function`` then)."""
        exprs = list(self.expressions.values())
        for f in self.functions.values():
            exprs.append(f.body)
            exprs.extend(r for r in (f.rule or ()) if r is not None)
        return any(isinstance(n, Cond) for e in exprs for n in walk(e))


# ---------------------------------------------------------------------------- parsing

_FUNC_RE = re.compile(rf"^(\s*)(grad\s+)?({_NAME})\s*\(([^()]*)\)\s*=(?!=)")
_ASSIGN_RE = re.compile(rf"^(\s*)({_NAME})\s*=(?!=)")


def parse(source: str, form: str = "auto") -> Program:
    """Parse program text into a :class:`Program`; raise :class:`ProgramError` if it is bad.

    ``form``: ``"short"`` (this module), ``"python"`` (TensorFlow Python, read by
    :mod:`graphviz_core.pyform`) or ``"auto"`` (python when a line starts with import, def,
    @, with, or a tf. call).

    >>> p = parse("foo(x) = x**2\\nx = 2.0\\ny = foo(foo(x))")
    >>> p.functions["foo"].params, p.inputs["x"].default, p.assignments
    (('x',), 2.0, ['y'])
    """
    if form not in ("auto", "short", "python"):
        raise ValueError(f"form must be 'auto', 'short' or 'python', not {form!r}")
    if not isinstance(source, str):
        return _parse(source, form)
    return _parsed(source, form)


@functools.lru_cache(maxsize=256)
def _parsed(source: str, form: str) -> Program:
    """:func:`parse`, remembered: one rerun of the Explorer parsed the same text four times
    (the input's callback, its check, the editor, the trace; bench/README.md). A pure
    function of the text: a Program is never changed once parsed (its parts are frozen
    dataclasses, and nothing outside the parser assigns to it), so one object serves every
    caller that gives the same text. Errors are not remembered (they are raised again)."""
    return _parse(source, form)


def _parse(source, form: str) -> Program:
    from . import pyform
    if form == "python" or (form == "auto" and pyform.detect_form(source) == "python"):
        return pyform.parse_python(source)
    return _parse_short(source)


def _parse_short(source: str, checked: bool = False) -> Program:
    """The short form; ``checked``: the text was generated from a Python cell whose own
    size was checked (inlined locals may make its lines longer than a person's)."""
    if not isinstance(source, str):
        raise ProgramError("the program must be text", 1, 1,
                           "one statement a line, e.g. 'x = 2.0' then 'y = x*x'")
    if not checked:
        _check_size(source)
    prog = Program(source=source)
    sizes: dict[str, int] = {}       # function -> node count when its calls are expanded
    work: dict[str, int] = {}        # function -> ops one call runs (see _work)
    total_nodes = total_work = 0
    for lineno, raw in enumerate(source.split("\n"), start=1):
        line = raw.split("#", 1)[0].rstrip()
        if not line.strip():
            continue
        m = _FUNC_RE.match(line)
        if m:
            indent, is_grad, name, params_text = m.groups()
            params = _parse_params(params_text, lineno, line.index("(") + 2)
            rhs_col = m.end()
            if is_grad:
                _parse_rule(prog, name, params, line, rhs_col, lineno, len(indent) + 1)
                rule = [r for r in prog.functions[name].rule if not isinstance(r, NoGrad)]
                # a rule runs for the downstream and again for the local derivative (once per
                # output element for a tensor: the shape pass counts that, knowing shapes)
                prog.rule_work[name] = sum(_work(r, work) for r in rule)
                work[name] += 2 * prog.rule_work[name]
                _check_work(work[name], name, lineno, len(indent) + 1)
            else:
                fn = _parse_function(prog, name, params, line, rhs_col, lineno, len(indent) + 1)
                sizes[name] = _expanded_size(fn.body, sizes)
                work[name] = _work(fn.body, work)     # checked where it is used
            continue
        m = _ASSIGN_RE.match(line)
        if not m:
            raise ProgramError(
                "expected a statement like 'y = expression' or 'f(x) = expression'",
                lineno, _first_col(line),
                "one statement a line; a function is 'name(params) = expression'")
        indent, name = m.groups()
        col = len(indent) + 1
        _check_new_name(prog, name, lineno, col)
        expr_text = line[m.end():]
        tree = _parse_expr(expr_text, lineno, m.end())
        inp = _as_input(tree, name, lineno, m.end())
        if inp is not None:
            prog.inputs[name] = inp
        else:
            conv = _Converter(prog, lineno, m.end(), expr_text, scope=None)
            expr = conv.expr(tree)
            total_nodes += _expanded_size(expr, sizes)
            total_work += _work(expr, work)
            if total_nodes + len(prog.inputs) > LIMITS["nodes"]:
                raise ProgramError(
                    f"the graph would have more than {LIMITS['nodes']} nodes once functions "
                    "are expanded", lineno, col, "make the program smaller")
            _check_work(total_work, None, lineno, col)
            prog.assignments.append(name)
            prog.expressions[name] = expr
        prog.lines[name] = lineno
    if not prog.inputs and not prog.assignments:
        raise ProgramError("the program has no inputs and no values", 1, 1,
                           "add an input such as 'x = 2.0' and a value such as 'y = x**2'")
    counts = {}
    prog.shapes = shapes.infer(prog, counts=counts)
    prog.work = total_work + counts["work"]
    return prog


def scoped_expression(prog: Program, text: str, scope, lineno: int, boolean: bool = False):
    """One expression of ``prog``'s language over the names in ``scope`` (a function's
    parameters, a rule's names; None: the program's inputs and values), as the parser reads
    a function body; ``boolean``: a condition, as the test of ``a if cond else b``."""
    tree = _parse_expr(text, lineno, 0)
    return _Converter(prog, lineno, 0, text, scope=None if scope is None else set(scope)
                      ).expr(tree, boolean=boolean)


def _check_size(source: str) -> None:
    if len(source) > LIMITS["chars"]:
        raise ProgramError(f"the program is {len(source):,} characters long; the limit is "
                           f"{LIMITS['chars']:,}", 1, 1, "make the program shorter")
    if "\x00" in source:
        line = source[: source.index("\x00")].count("\n") + 1
        raise ProgramError("the program contains a NUL character", line, 1,
                           "remove control characters")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError as e:     # a lone surrogate: text no file or browser could hold
        line = source[: e.start].count("\n") + 1
        col = e.start - source.rfind("\n", 0, e.start)
        raise ProgramError("the program contains a character that is not valid text", line,
                           col, "retype the line") from None
    n_lines = source.count("\n") + (not source.endswith("\n"))    # a final newline ends a line
    if n_lines > LIMITS["lines"]:
        raise ProgramError(f"the program has {n_lines} lines; the limit is {LIMITS['lines']}",
                           LIMITS["lines"] + 1, 1, "make the program shorter")


def _first_col(line: str) -> int:
    return len(line) - len(line.lstrip()) + 1


def _parse_params(text: str, lineno: int, col: int) -> tuple:
    names = [p.strip() for p in text.split(",")] if text.strip() else []
    for p in names:
        if not re.fullmatch(_NAME, p):
            raise ProgramError(f"'{p}' is not a parameter name", lineno, col,
                               "parameters are plain names separated by commas")
        if p in _RESERVED or p.startswith("__"):
            raise ProgramError(f"'{p}' is reserved and cannot be a parameter", lineno, col,
                               "choose another name, e.g. 'x' or 'v'")
    if len(set(names)) != len(names):
        raise ProgramError("a parameter name is repeated", lineno, col,
                           "give each parameter its own name, e.g. f(x, y)")
    return tuple(names)


def _check_new_name(prog: Program, name: str, lineno: int, col: int) -> None:
    if name in _RESERVED or name.startswith("__"):
        raise ProgramError(f"'{name}' is reserved", lineno, col, "choose another name")
    if name in prog.functions or name in prog.inputs or name in prog.expressions:
        raise ProgramError(f"'{name}' is already defined (line {prog.lines[name]})", lineno, col,
                           "each name is assigned once")


def _check_params_are_not_functions(prog, params, lineno, col) -> None:
    """A parameter named like a function would hide it (``g(f) = f(f)``): refused."""
    for p in params:
        if p in prog.functions:
            raise ProgramError(f"'{p}' is the name of a function; a parameter needs a name "
                               "of its own", lineno, col, "e.g. x, v or dy")


def _parse_function(prog, name, params, line, rhs_col, lineno, col) -> Function:
    _check_new_name(prog, name, lineno, col)
    _check_params_are_not_functions(prog, params, lineno, col)
    if not params:
        raise ProgramError(f"function '{name}' needs at least one parameter", lineno, col,
                           f"for example {name}(x) = ...; a value without parameters is "
                           f"written '{name} = ...'")
    text = line[rhs_col:]
    tree = _parse_expr(text, lineno, rhs_col)
    prog.lines[name] = lineno
    conv = _Converter(prog, lineno, rhs_col, text, scope=set(params), defining=name)
    fn = Function(name, params, conv.expr(tree), lineno, text.strip())
    prog.functions[name] = fn
    return fn


def _parse_rule(prog, name, params, line, rhs_col, lineno, col) -> None:
    _check_params_are_not_functions(prog, params, lineno, col)
    fn = prog.functions.get(name)
    if fn is None:
        raise ProgramError(f"'grad {name}' comes before a function '{name}' is defined",
                           lineno, col, f"define '{name}(...) = ...' on an earlier line")
    if fn.rule is not None:
        raise ProgramError(f"function '{name}' already has a gradient rule", lineno, col,
                           f"keep one 'grad {name}(...)' line and delete the other")
    if len(params) != len(fn.params) + 1:
        raise ProgramError(
            f"'grad {name}' takes {len(fn.params) + 1} names: the {len(fn.params)} "
            "parameter(s) of the function, then the upstream gradient", lineno, col,
            f"for example 'grad {name}({', '.join(fn.params)}, dy) = ...'")
    text = line[rhs_col:]
    tree = _parse_expr(text, lineno, rhs_col)
    parts = list(tree.elts) if isinstance(tree, ast.Tuple) else [tree]
    if len(parts) != len(fn.params):
        raise ProgramError(
            f"the rule gives {len(parts)} gradient(s) but '{name}' has {len(fn.params)} "
            "parameter(s)", lineno, tree._gc_shift + 1,
            "one expression per parameter, comma-separated; None means no gradient")
    conv = _Converter(prog, lineno, rhs_col, text, scope=set(params), defining=None)
    rule = tuple(NoGrad() if _is_none(p) else conv.expr(p) for p in parts)
    prog.functions[name] = Function(fn.name, fn.params, fn.body, fn.line, fn.text, rule,
                                    params, text.strip(), lineno)


def _is_none(node) -> bool:
    return isinstance(node, ast.Constant) and node.value is None


_TRAILING_OP = re.compile(r"(\*\*|//|[-+*/%<>]|==|!=|<=|>=|\band|\bor|\bnot)\s*$")


def _parse_expr(text: str, lineno: int, offset: int):
    """``ast.parse`` in eval mode, with depth checked before and after."""
    if not text.strip():
        raise ProgramError("an expression is missing after '='", lineno, offset + 1,
                           "write a number or an expression, e.g. y = x * 2")
    _check_nesting(text, lineno, offset)
    try:
        with _AST_LOCK:         # CPython 3.11's parser is not thread-safe (see _AST_LOCK)
            tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as e:
        dangling = _TRAILING_OP.search(text) if text.count("(") == text.count(")") else None
        if dangling:        # "x**2 +": Python says "invalid syntax" at the x (an unclosed
            #                 bracket is the first thing to fix, and Python names it)
            raise ProgramError(f"the line ends with '{dangling.group(1)}': a value is missing "
                               "after it", lineno, offset + dangling.start(1) + 1,
                               f"finish it, e.g. {text.strip()} 1, or delete the "
                               f"'{dangling.group(1)}'") from None
        col = offset + (len(text) - len(text.lstrip())) + (e.offset or 1)
        raise ProgramError(f"syntax error: {e.msg}", lineno, col,
                           "check brackets and operators") from None
    except (RecursionError, MemoryError, ValueError, SystemError) as e:
        raise ProgramError(f"the expression is too complex ({type(e).__name__})",
                           lineno, offset + 1, "split it into several lines") from None
    # ast columns are relative to the stripped text
    _shift = offset + (len(text) - len(text.lstrip()))
    _check_depth(tree, lineno, _shift)
    tree._gc_shift = _shift  # noqa: SLF001 - remembered for column reporting
    return tree


def _check_nesting(text: str, lineno: int, offset: int) -> None:
    """Reject deep brackets and long runs of unary operators before Python's parser sees them."""
    depth = run = 0
    for i, ch in enumerate(text):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if ch in "+-~" or (ch == "n" and text.startswith("not ", i)):
            run += 1
        elif not ch.isspace():
            run = 0 if ch not in "(" else run
        if depth > LIMITS["depth"] or run > LIMITS["depth"]:
            raise ProgramError(f"the expression is nested more than {LIMITS['depth']} deep",
                               lineno, offset + i + 1, "split it into several lines")


def _check_depth(tree, lineno: int, shift: int) -> None:
    """Nesting the user wrote, at most ``LIMITS["depth"]``: the left operand of a binary
    operator of the same kind (``a + b + c``, ``a * b / c``) is the same level, so a long
    flat sum or product is one level deep; the node limit guards its size."""
    stack = [(tree, 1)]
    count = 0
    while stack:
        node, d = stack.pop()
        count += 1
        if count > 4 * LIMITS["nodes"]:
            raise ProgramError(f"the line would make more than {LIMITS['nodes']} graph "
                               "nodes", lineno, shift + 1,
                               "make the program smaller")
        if d > LIMITS["depth"]:
            raise ProgramError(
                f"the expression is nested more than {LIMITS['depth']} deep", lineno,
                shift + getattr(node, "col_offset", 0) + 1,
                "split it into several lines")
        for child in ast.iter_child_nodes(node):
            flat = (isinstance(node, ast.BinOp) and child is node.left
                    and isinstance(child, ast.BinOp) and _FLAT.get(type(child.op), 0)
                    == _FLAT.get(type(node.op), -1))
            stack.append((child, d if flat else d + 1))


# operators that chain without nesting: a + b - c, a * b / c
_FLAT = {ast.Add: 1, ast.Sub: 1, ast.Mult: 2, ast.Div: 2}


def _as_input(tree, name: str, lineno: int, offset: int) -> Input | None:
    """``x = 2.0``, ``x = -2``, ``x = [1.0, 2.0]``, ``w = Variable(5.0)``,
    ``W = Variable([[1.0, 2.0]])``, ``c = constant(5.0)`` are inputs."""
    kind = "constant"
    node = tree
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _INPUT_KINDS:
        kind = _INPUT_KINDS[node.func.id]
        call = node.func.id
        if len(node.args) != 1 or node.keywords:
            raise ProgramError(f"{call}(...) takes one number or list of numbers", lineno,
                               tree._gc_shift + node.col_offset + 1,
                               f"for example {name} = {call}(2.0) or {name} = {call}([1.0, 2.0])")
        node = node.args[0]
        if _number(node) is None and not isinstance(node, (ast.List, ast.Tuple)):
            raise ProgramError(f"{call}(...) takes a number or a list of numbers, not an "
                               "expression", lineno, tree._gc_shift + node.col_offset + 1,
                               f"for example {name} = {call}(2.0)")
    elif _number(node) is None and not isinstance(node, ast.List):
        return None
    value = _literal(node, lineno, tree._gc_shift)
    return Input(name, kind, value, lineno)


def _literal(node, lineno: int, shift: int):
    """A number, or a rectangular nested list of numbers as nested tuples of floats."""
    col = shift + node.col_offset + 1
    value = _number(node)
    if value is not None:
        _check_literal(value, lineno, col)
        return float(value)
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise ProgramError(f"{_describe(node)} cannot be part of a list literal", lineno, col,
                           "a list holds numbers only; combine values with stack([a, b])")
    if not node.elts:
        raise ProgramError("an empty list has no values", lineno, col,
                           "write at least one number, e.g. [1.0]")
    items = tuple(_literal(e, lineno, shift) for e in node.elts)
    shapes = {np.shape(i) for i in items}
    if len(shapes) != 1:
        lengths = ", ".join(str(len(i)) if isinstance(i, tuple) else "a number" for i in items)
        raise ProgramError(f"the list is ragged: its rows hold {lengths}", lineno, col,
                           "every row needs the same number of values")
    shape = (len(items),) + shapes.pop()
    if len(shape) > LIMITS["rank"]:
        raise ProgramError(f"a value of rank {len(shape)} (shape {shape}); the limit is rank "
                           f"{LIMITS['rank']}", lineno, col, "use a vector or a matrix")
    n = int(np.prod(shape))
    if n > LIMITS["elements"]:
        raise ProgramError(f"the list has {n} numbers; the limit is {LIMITS['elements']} a "
                           "value", lineno, col, "use a smaller tensor")
    return items


def _number(node) -> float | None:
    """A literal number, optionally signed; None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        v = node.value
        if isinstance(v, int) and abs(v) > LIMITS["literal"]:
            return math.inf  # rejected by _check_literal; never made into a huge float
        return sign * float(v)
    return None


def _check_literal(value: float, lineno: int, col: int) -> None:
    if not math.isfinite(value) or abs(value) > LIMITS["literal"]:
        raise ProgramError(f"numbers must be finite and at most {LIMITS['literal']:g} in size",
                           lineno, col, "compute big values with exp(...) or ** instead")


class _Converter:
    """Walk a Python AST against the allowlist and build expression nodes."""

    def __init__(self, prog: Program, lineno: int, offset: int, text: str,
                 scope: set | None, defining: str | None = None):
        self.prog, self.lineno, self.text = prog, lineno, text
        self.scope = scope            # parameter names in a function or rule; None at top level
        self.defining = defining      # the function being defined (for the recursion message)
        self.shift = offset + (len(text) - len(text.lstrip()))
        self.src = text.strip()
        self.raw = self.src.encode("utf-8")

    def col(self, node) -> int:
        """1-based column in characters (ast counts UTF-8 bytes)."""
        offset = getattr(node, "col_offset", 0)
        return self.shift + len(self.raw[:offset].decode("utf-8", "ignore")) + 1

    def err(self, node, message, hint=""):
        return ProgramError(message, self.lineno, self.col(node), hint)

    def seg(self, node) -> str:
        return ast.get_source_segment(self.src, node) or ""

    def expr(self, node, boolean=False):
        if boolean:
            return self._boolean(node)
        if isinstance(node, ast.Constant):
            if type(node.value) in (int, float):
                value = _number(node)
                _check_literal(value, self.lineno, self.col(node))
                return Num(value, self.seg(node), self.lineno, self.col(node))
            if node.value is None:
                raise self.err(node, "None is only allowed as a whole gradient in a grad rule",
                               "write 'grad f(x, dy) = None'")
            kind = "strings" if isinstance(node.value, (str, bytes)) else repr(type(node.value).__name__)
            raise self.err(node, f"{kind} are not allowed", "only numbers and names")
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.List):
            return Num(_literal(node, self.lineno, self.col(node) - 1 - node.col_offset),
                       self.seg(node), self.lineno, self.col(node))
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.err(node, f"operator '{_op_text(node.op)}' is not supported",
                               "use + - * / ** @")
            return Op(op, (self.expr(node.left), self.expr(node.right)), self.seg(node),
                      self.lineno, self.col(node))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand)
            if isinstance(node.op, ast.USub):
                inner = self.expr(node.operand)
                if isinstance(inner, Num) and not isinstance(inner.value, tuple):
                    return Num(-inner.value, self.seg(node), self.lineno, self.col(node))
                return Op("neg", (inner,), self.seg(node), self.lineno, self.col(node))
            raise self.err(node, f"operator '{_op_text(node.op)}' is not supported here",
                           "'not' is only allowed inside a condition")
        if isinstance(node, ast.IfExp):
            return Cond(self.expr(node.test, boolean=True), self.expr(node.body),
                        self.expr(node.orelse), self.seg(node), self.lineno, self.col(node))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Subscript):
            return self._subscript(node)
        if isinstance(node, ast.Compare) or isinstance(node, ast.BoolOp):
            raise self.err(node, "a comparison only makes sense inside a condition",
                           "write 'a if x > 0 else b' or where(x > 0, a, b)")
        raise self.err(node, _describe(node) + " is not allowed",
                       "use numbers, lists of numbers, names, + - * / ** @, calls, "
                       "x[i] and 'a if cond else b'")

    def _subscript(self, node):
        items = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        index = []
        for item in items:
            if isinstance(item, ast.Slice):
                parts = []
                for part in (item.lower, item.upper, item.step):
                    parts.append(None if part is None else self._int(part, "a slice bound"))
                index.append(tuple(parts))
            else:
                index.append(self._int(item, "an index"))
        return Op("getitem", (self.expr(node.value),), self.seg(node), self.lineno,
                  self.col(node), (("index", tuple(index)),))

    def _int(self, node, what: str) -> int:
        v = _number(node)
        if v is None or v != int(v) or abs(v) > LIMITS["elements"] * 4:
            raise self.err(node, f"{what} must be a whole number such as 0, 1 or -1",
                           "index with literal integers and slices: x[0], W[:, 1], x[1:3]")
        return int(v)

    def _static(self, node, name: str, spec):
        """A literal keyword or static argument: axis ints, keepdims bools, shapes."""
        if name == "keepdims":
            if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                return node.value
            raise self.err(node, "keepdims must be True or False", "e.g. keepdims=True")
        if name == "axis":
            if isinstance(node, (ast.Tuple, ast.List)):
                return tuple(self._int(e, "an axis") for e in node.elts)
            if isinstance(node, ast.Constant) and node.value is None:
                return None
            return self._int(node, "an axis")
        # a shape: [2, 3] or (2, 3)
        if not isinstance(node, (ast.Tuple, ast.List)):
            raise self.err(node, f"{spec.name}'s {name} must be a list of whole numbers",
                           f"e.g. {spec.name}(x, [2, 3])")
        dims = tuple(self._int(e, "a size") for e in node.elts)
        if any(d < -1 or d == 0 for d in dims) or len(dims) > LIMITS["rank"]:
            raise self.err(node, f"{spec.name}'s {name} {list(dims)} is not a shape of rank "
                           f"at most {LIMITS['rank']} with positive sizes",
                           f"e.g. {spec.name}(x, [2, 3])")
        return dims

    def _boolean(self, node):
        if isinstance(node, ast.Compare):
            if len(node.ops) != 1:
                raise self.err(node, "chained comparisons are not supported",
                               "write 'a < b and b < c'")
            op = _CMPOPS.get(type(node.ops[0]))
            if op is None:
                raise self.err(node, f"comparison '{_op_text(node.ops[0])}' is not supported",
                               "use < <= > >= == !=")
            return Compare(op, self.expr(node.left), self.expr(node.comparators[0]),
                           self.seg(node), self.lineno, self.col(node))
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Logic(op, tuple(self._boolean(v) for v in node.values), self.seg(node),
                         self.lineno, self.col(node))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Logic("not", (self._boolean(node.operand),), self.seg(node), self.lineno,
                         self.col(node))
        raise self.err(node, "a condition must be a comparison such as 'x > 5'",
                       "compare with < <= > >= == !=, combine with and / or / not")

    def _name(self, node):
        name = node.id
        if name.startswith("__"):
            raise self.err(node, f"'{name}' is not allowed", "names may not start with '__'")
        if self.scope is not None:
            if name in self.scope:
                return Ref(name, name)
            if name in self.prog.inputs or name in self.prog.expressions:
                raise self.err(node, f"'{name}' is not a parameter of this function",
                               f"add '{name}' to the parameters and pass it in")
        elif name in self.prog.inputs or name in self.prog.expressions:
            return Ref(name, name)
        if name in BUILTINS or name in self.prog.functions:
            raise self.err(node, f"'{name}' is a function; call it with arguments",
                           f"for example {name}(x)")
        if name in ("True", "False"):
            raise self.err(node, "booleans are not numbers here", "use 1.0 or 0.0")
        if name == self.defining:
            raise self.err(node, f"'{name}' refers to itself: recursion is not allowed",
                           "a function may use only its parameters, numbers and built-ins")
        raise self.err(node, f"unknown name '{name}'",
                       "assign it on an earlier line" if self.scope is None
                       else "use the function's parameters, numbers and built-ins")

    def _call(self, node):
        if isinstance(node.func, ast.Attribute):
            raise self.err(node, "only plain functions can be called",
                           "attributes such as tf.exp are not needed: write exp(x)")
        if not isinstance(node.func, ast.Name):
            raise self.err(node, f"only plain functions can be called, not "
                           f"{_describe(node.func)}",
                           "define the function on a line of its own: f(x) = ...")
        name = node.func.id
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.err(node, "'*' arguments are not supported",
                           "pass each argument by position")
        if name == self.defining:
            raise self.err(node, f"'{name}' calls itself: recursion is not allowed",
                           "a function may call only functions defined above it")
        if name in BUILTINS:
            return self._builtin(node, OPS[name])
        if name in _INPUT_KINDS:
            raise self.err(node, f"{name}(...) can only be the whole right-hand side of an input",
                           f"for example w = {name}(2.0)")
        if name not in self.prog.functions:
            known = ", ".join(sorted(BUILTINS))
            raise self.err(node, f"unknown function '{name}'",
                           f"define it on an earlier line, or use a built-in: {known}")
        fn = self.prog.functions[name]
        if node.keywords:
            raise self.err(node.keywords[0].value, "keyword arguments are not supported "
                           "for your own functions", "pass arguments by position")
        if len(node.args) != len(fn.params):
            raise self.err(node, f"{name} takes {len(fn.params)} argument(s), got "
                           f"{len(node.args)}", f"call it as {name}({', '.join(fn.params)})")
        return Call(name, tuple(self.expr(a) for a in node.args), self.seg(node), self.lineno,
                    self.col(node))

    def _builtin(self, node, spec):
        name = spec.name
        call_as = f"call it as {name}({', '.join(spec.params)}" + "".join(
            f", {k}=..." for k in spec.keywords) + ")"
        kw = {}
        for k in node.keywords:
            if k.arg is None or k.arg not in spec.keywords:
                what = "'**' arguments" if k.arg is None else f"keyword '{k.arg}'"
                allowed = (" takes " + " and ".join(f"{x}=" for x in spec.keywords)
                           if spec.keywords else " takes no keywords")
                raise self.err(node, f"{what} is not allowed here: {name}{allowed}", call_as)
            kw[k.arg] = self._static(k.value, k.arg, spec)
        args = list(node.args)
        if spec.variadic:
            if len(args) != 1 or not isinstance(args[0], (ast.List, ast.Tuple)) \
                    or not args[0].elts:
                raise self.err(node, f"{name} takes one list of values", f"e.g. {name}([a, b])")
            args = list(args[0].elts)
        else:
            if len(args) != len(spec.params):
                raise self.err(node, f"{name} takes {len(spec.params)} argument(s), got "
                               f"{len(args)}", call_as)
            for param in spec.static:
                i = spec.params.index(param)
                kw[param] = self._static(args[i], param, spec)
            args = [a for p, a in zip(spec.params, args) if p not in spec.static]
        if name == "where":
            values = (self.expr(args[0], boolean=True), self.expr(args[1]),
                      self.expr(args[2]))
        else:
            values = tuple(self.expr(a) for a in args)
        return Op(name, values, self.seg(node), self.lineno, self.col(node),
                  tuple(sorted(kw.items())))


def _op_text(op) -> str:
    return {ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.BitAnd: "&",
            ast.BitOr: "|", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>",
            ast.Invert: "~", ast.Not: "not", ast.Is: "is", ast.IsNot: "is not",
            ast.In: "in", ast.NotIn: "not in"}.get(type(op), type(op).__name__)


def _describe(node) -> str:
    return {ast.Attribute: "an attribute (a.b)", ast.Subscript: "a subscript (a[i])",
            ast.Lambda: "a lambda", ast.Tuple: "a tuple", ast.List: "a list",
            ast.Dict: "a dict", ast.Set: "a set", ast.ListComp: "a comprehension",
            ast.GeneratorExp: "a generator", ast.DictComp: "a comprehension",
            ast.SetComp: "a comprehension", ast.JoinedStr: "an f-string",
            ast.NamedExpr: "':='", ast.Await: "await", ast.Yield: "yield",
            ast.Starred: "'*'", ast.Slice: "a slice"}.get(type(node), type(node).__name__)


def _work(expr, work: dict) -> int:
    """Ops this expression runs when traced: every node (conditions, comparisons and logic
    included), each call counted with everything its function runs (its body, and its
    custom rule twice). An upper bound, stopped early once far over the limit."""
    total = 0
    for node in walk(expr):
        total += 1 + (work.get(node.func, 0) if isinstance(node, Call) else 0)
        if total > 10 * LIMITS["work"]:
            break
    return total


def _check_work(total: int, function: str | None, lineno: int, col: int) -> None:
    if total > LIMITS["work"]:
        what = (f"one call of '{function}' (its body, and its custom rule twice, with every "
                "function they call expanded)" if function else "this program")
        raise ProgramError(f"{what} would run more than {LIMITS['work']:,} operations",
                           lineno, col, "functions that call each other twice per level "
                           "double at every level: make the program smaller")


def _expanded_size(expr, sizes: dict) -> int:
    """Nodes this expression adds when every function call is expanded (an upper bound)."""
    total = 0
    for node in walk(expr):
        if isinstance(node, (Op, Num)):
            total += 1
        elif isinstance(node, Call):
            total += 1 + sizes.get(node.func, 0)
        if total > 10 * LIMITS["nodes"]:
            break
    return total


# The page's edits of a program's text (an input's number or kind) live in edits.py.
from .edits import set_input_kind, set_input_value  # noqa: E402,F401
