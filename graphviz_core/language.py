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
work: text size, line count, expression depth, literal size, graph size after expansion.
"""
from __future__ import annotations

import ast
import keyword
import math
import re
import warnings
from dataclasses import dataclass, field

__all__ = [
    "ProgramError", "Program", "Function", "Input", "parse", "BUILTINS", "LIMITS",
    "set_input_kind",
    "set_input_value",
    "Num", "Ref", "Op", "Call", "Cond", "Compare", "Logic", "NoGrad",
]

LIMITS = {
    "chars": 4000,
    "lines": 60,
    "nodes": 300,
    "depth": 40,
    "literal": 1e9,
    "steps": 5000,
}

# name -> number of arguments. The TensorFlow function behind each lives in the tracer.
BUILTINS = {
    "exp": 1, "log": 1, "log1p": 1, "sqrt": 1, "square": 1, "abs": 1, "sign": 1,
    "relu": 1, "sigmoid": 1, "tanh": 1, "softplus": 1, "sin": 1, "cos": 1,
    "where": 3, "maximum": 2, "minimum": 2, "stop_gradient": 1, "l2_loss": 1,
}
# parameter names shown in a wrong-arity hint ("call it as where(condition, a, b)")
_BUILTIN_PARAMS = {n: ("x",) if k == 1 else ("a", "b") for n, k in BUILTINS.items()}
_BUILTIN_PARAMS["where"] = ("condition", "a", "b")
_INPUT_KINDS = {"Variable": "variable", "constant": "constant"}
# built-ins, Python keywords, and names the exported TensorFlow script needs for itself
_RESERVED = set(BUILTINS) | set(_INPUT_KINDS) | set(keyword.kwlist) | {
    "tf", "tape", "DTYPE", "print", "float", "globals", "zip", "bool", "None", "True", "False"}
_BINOPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_CMPOPS = {ast.Gt: ">", ast.GtE: ">=", ast.Lt: "<", ast.LtE: "<=", ast.Eq: "==", ast.NotEq: "!="}
_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# ast.parse warns on odd literals ("1if"); the user gets our message, the server log stays clean.
warnings.filterwarnings("ignore", category=SyntaxWarning, module="<unknown>")


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


# ---------------------------------------------------------------------------- expressions
# Small immutable nodes; ``text`` is the user's own spelling, for labels and hovers.

@dataclass(frozen=True)
class Num:
    value: float
    text: str = ""


@dataclass(frozen=True)
class Ref:
    name: str
    text: str = ""


@dataclass(frozen=True)
class Op:
    """A built-in: ``add sub mul div pow neg`` or a name in :data:`BUILTINS`."""
    op: str
    args: tuple
    text: str = ""
    line: int = 0


@dataclass(frozen=True)
class Call:
    """A call of a user function."""
    func: str
    args: tuple
    text: str = ""
    line: int = 0


@dataclass(frozen=True)
class Cond:
    """``then if test else other``: ``test`` is decided on the forward value."""
    test: object
    then: object
    other: object
    text: str = ""


@dataclass(frozen=True)
class Compare:
    op: str
    left: object
    right: object
    text: str = ""


@dataclass(frozen=True)
class Logic:
    """``and`` / ``or`` / ``not`` over comparisons."""
    op: str
    args: tuple
    text: str = ""


@dataclass(frozen=True)
class NoGrad:
    """``None`` in a gradient rule: no gradient for that parameter."""
    text: str = "None"


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
    default: float
    line: int


@dataclass
class Program:
    """A parsed program. ``assignments`` keeps source order; the last is the default target."""
    source: str
    functions: dict = field(default_factory=dict)
    inputs: dict = field(default_factory=dict)
    assignments: list = field(default_factory=list)
    expressions: dict = field(default_factory=dict)   # assignment name -> expression
    lines: dict = field(default_factory=dict)         # name -> line of its statement

    @property
    def default_target(self) -> str | None:
        return self.assignments[-1] if self.assignments else None

    @property
    def has_conditionals(self) -> bool:
        """True if a forward value decides a Python branch (no ``tf.function`` then)."""
        exprs = list(self.expressions.values())
        for f in self.functions.values():
            exprs.append(f.body)
            exprs.extend(r for r in (f.rule or ()) if r is not None)
        return any(isinstance(n, Cond) for e in exprs for n in walk(e))


def walk(expr):
    """Every node of an expression tree (iterative: trees are depth-limited anyway)."""
    stack = [expr]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (Op, Call, Logic)):
            stack.extend(node.args)
        elif isinstance(node, Cond):
            stack.extend((node.test, node.then, node.other))
        elif isinstance(node, Compare):
            stack.extend((node.left, node.right))


# ---------------------------------------------------------------------------- parsing

_FUNC_RE = re.compile(rf"^(\s*)(grad\s+)?({_NAME})\s*\(([^()]*)\)\s*=(?!=)")
_ASSIGN_RE = re.compile(rf"^(\s*)({_NAME})\s*=(?!=)")


def parse(source: str) -> Program:
    """Parse program text into a :class:`Program`; raise :class:`ProgramError` if it is bad.

    >>> p = parse("foo(x) = x**2\\nx = 2.0\\ny = foo(foo(x))")
    >>> p.functions["foo"].params, p.inputs["x"].default, p.assignments
    (('x',), 2.0, ['y'])
    """
    if not isinstance(source, str):
        raise ProgramError("the program must be text", 1, 1,
                           "one statement a line, e.g. 'x = 2.0' then 'y = x*x'")
    _check_size(source)
    prog = Program(source=source)
    sizes: dict[str, int] = {}       # function -> node count when its calls are expanded
    total_nodes = 0
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
            else:
                fn = _parse_function(prog, name, params, line, rhs_col, lineno, len(indent) + 1)
                sizes[name] = _expanded_size(fn.body, sizes)
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
            if total_nodes + len(prog.inputs) > LIMITS["nodes"]:
                raise ProgramError(
                    f"the graph would have more than {LIMITS['nodes']} nodes once functions "
                    "are expanded", lineno, col, "make the program smaller")
            prog.assignments.append(name)
            prog.expressions[name] = expr
        prog.lines[name] = lineno
    if not prog.inputs and not prog.assignments:
        raise ProgramError("the program has no inputs and no values", 1, 1,
                           "add an input such as 'x = 2.0' and a value such as 'y = x**2'")
    return prog


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


def _parse_function(prog, name, params, line, rhs_col, lineno, col) -> Function:
    _check_new_name(prog, name, lineno, col)
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
    except (RecursionError, MemoryError, ValueError) as e:
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
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        if d > LIMITS["depth"]:
            raise ProgramError(
                f"the expression is nested more than {LIMITS['depth']} deep", lineno,
                shift + getattr(node, "col_offset", 0) + 1,
                "split it into several lines (a long sum nests one level per term)")
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))


def _as_input(tree, name: str, lineno: int, offset: int) -> Input | None:
    """``x = 2.0``, ``x = -2``, ``w = Variable(5.0)``, ``c = constant(5.0)`` are inputs."""
    kind = "constant"
    node = tree
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) \
            and node.func.id in _INPUT_KINDS:
        kind = _INPUT_KINDS[node.func.id]
        if len(node.args) != 1 or node.keywords:
            raise ProgramError(f"{node.func.id}(...) takes one number", lineno,
                               tree._gc_shift + node.col_offset + 1,
                               f"for example {name} = {node.func.id}(2.0)")
        node = node.args[0]
        value = _number(node)
        if value is None:
            raise ProgramError(f"{tree.func.id}(...) takes a number, not an expression", lineno,
                               tree._gc_shift + node.col_offset + 1,
                               f"for example {name} = {tree.func.id}(2.0)")
    else:
        value = _number(node)
        if value is None:
            return None
    _check_literal(value, lineno, tree._gc_shift + node.col_offset + 1)
    return Input(name, kind, float(value), lineno)


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

    def err(self, node, message, hint=""):
        col = self.shift + getattr(node, "col_offset", 0) + 1
        return ProgramError(message, self.lineno, col, hint)

    def seg(self, node) -> str:
        return ast.get_source_segment(self.src, node) or ""

    def expr(self, node, boolean=False):
        if boolean:
            return self._boolean(node)
        if isinstance(node, ast.Constant):
            if type(node.value) in (int, float):
                value = _number(node)
                _check_literal(value, self.lineno, self.shift + node.col_offset + 1)
                return Num(value, self.seg(node))
            if node.value is None:
                raise self.err(node, "None is only allowed as a whole gradient in a grad rule",
                               "write 'grad f(x, dy) = None'")
            kind = "strings" if isinstance(node.value, (str, bytes)) else repr(type(node.value).__name__)
            raise self.err(node, f"{kind} are not allowed", "only numbers and names")
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.BinOp):
            op = _BINOPS.get(type(node.op))
            if op is None:
                raise self.err(node, f"operator '{_op_text(node.op)}' is not supported",
                               "use + - * / **")
            return Op(op, (self.expr(node.left), self.expr(node.right)), self.seg(node),
                      self.lineno)
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.UAdd):
                return self.expr(node.operand)
            if isinstance(node.op, ast.USub):
                inner = self.expr(node.operand)
                if isinstance(inner, Num):
                    return Num(-inner.value, self.seg(node))
                return Op("neg", (inner,), self.seg(node), self.lineno)
            raise self.err(node, f"operator '{_op_text(node.op)}' is not supported here",
                           "'not' is only allowed inside a condition")
        if isinstance(node, ast.IfExp):
            return Cond(self.expr(node.test, boolean=True), self.expr(node.body),
                        self.expr(node.orelse), self.seg(node))
        if isinstance(node, ast.Call):
            return self._call(node)
        if isinstance(node, ast.Compare) or isinstance(node, ast.BoolOp):
            raise self.err(node, "a comparison only makes sense inside a condition",
                           "write 'a if x > 0 else b' or where(x > 0, a, b)")
        raise self.err(node, _describe(node) + " is not allowed",
                       "use numbers, names, + - * / **, calls and 'a if cond else b'")

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
                           self.seg(node))
        if isinstance(node, ast.BoolOp):
            op = "and" if isinstance(node.op, ast.And) else "or"
            return Logic(op, tuple(self._boolean(v) for v in node.values), self.seg(node))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return Logic("not", (self._boolean(node.operand),), self.seg(node))
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
        if node.keywords:
            raise self.err(node.keywords[0].value if node.keywords[0].arg is None
                           else node, "keyword arguments are not supported",
                           "pass arguments by position")
        if any(isinstance(a, ast.Starred) for a in node.args):
            raise self.err(node, "'*' arguments are not supported",
                           "pass each argument by position")
        if name == self.defining:
            raise self.err(node, f"'{name}' calls itself: recursion is not allowed",
                           "a function may call only functions defined above it")
        if name in BUILTINS:
            arity = BUILTINS[name]
        elif name in self.prog.functions:
            arity = len(self.prog.functions[name].params)
        elif name in _INPUT_KINDS:
            raise self.err(node, f"{name}(...) can only be the whole right-hand side of an input",
                           f"for example w = {name}(2.0)")
        else:
            known = ", ".join(sorted(BUILTINS))
            raise self.err(node, f"unknown function '{name}'",
                           f"define it on an earlier line, or use a built-in: {known}")
        if len(node.args) != arity:
            params = (self.prog.functions[name].params if name in self.prog.functions
                      else _BUILTIN_PARAMS[name])
            raise self.err(node, f"{name} takes {arity} argument(s), got {len(node.args)}",
                           f"call it as {name}({', '.join(params)})")
        if name == "where":
            args = (self.expr(node.args[0], boolean=True), self.expr(node.args[1]),
                    self.expr(node.args[2]))
        else:
            args = tuple(self.expr(a) for a in node.args)
        if name in BUILTINS:
            return Op(name, args, self.seg(node), self.lineno)
        return Call(name, args, self.seg(node), self.lineno)


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


def set_input_kind(source: str, name: str, kind: str, value: float | None = None) -> str:
    r"""Rewrite input ``name``'s line as a ``Variable`` or a ``constant``; keep everything else.
    ``value``, if given, becomes the number on that line (the value the page shows, which
    may no longer be the one typed there).

    >>> set_input_kind("x = 2.0  # start\ny = x*x", "x", "variable")
    'x = Variable(2.0)  # start\ny = x*x'
    >>> set_input_kind("x = 2.0\ny = x*x", "x", "variable", value=7)
    'x = Variable(7.0)\ny = x*x'
    """
    prog = parse(source)
    if name not in prog.inputs:
        raise ProgramError(f"'{name}' is not an input", 1, 1,
                           "only lines such as 'x = 2.0' can switch between kinds")
    if kind not in ("variable", "constant"):
        raise ValueError("kind must be 'variable' or 'constant'")
    inp = prog.inputs[name]
    lines = source.split("\n")
    line = lines[inp.line - 1]
    code, sep, comment = line.partition("#")
    indent = code[: len(code) - len(code.lstrip())]
    call = "Variable" if kind == "variable" else "constant"
    number = inp.default if value is None else float(value)
    if not math.isfinite(number) or abs(number) > LIMITS["literal"]:
        raise ValueError(f"{name} must be a number of size at most {LIMITS['literal']:g}")
    new = f"{indent}{name} = {call}({number!r})"
    if sep:
        new += "  " + sep + comment
    lines[inp.line - 1] = new
    return "\n".join(lines)


_NUMBER = re.compile(r"(?:[-+]\s*)?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def set_input_value(source: str, name: str, value: float) -> str:
    r"""Write ``value`` as input ``name``'s number, in the form the line already has; keep
    everything else. The page calls this when someone changes an input's box, so the text
    and the graph never disagree.

    >>> set_input_value("x = 2.0  # start\ny = x*x", "x", 3)
    'x = 3.0  # start\ny = x*x'
    >>> set_input_value("w = Variable(-1.5)\ny = w*w", "w", 0.25)
    'w = Variable(0.25)\ny = w*w'
    """
    prog = parse(source)
    if name not in prog.inputs:
        raise ProgramError(f"'{name}' is not an input", 1, 1,
                           "only lines such as 'x = 2.0' hold an input's value")
    number = float(value)
    if not math.isfinite(number) or abs(number) > LIMITS["literal"]:
        raise ValueError(f"{name} must be a number of size at most {LIMITS['literal']:g}")
    inp = prog.inputs[name]
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

