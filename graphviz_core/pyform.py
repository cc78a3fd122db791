"""The TensorFlow-Python form: a notebook cell, pasted as it is, read into a :class:`Program`.

The cell is parsed with :func:`ast.parse` and walked against an allowlist; nothing is ever
evaluated, compiled or imported. What it accepts (``ALLOWED``): ``import tensorflow as tf``
and ``import numpy as np``; ``def`` with local assignments, ``if``/``else`` and ``return``;
``@tf.custom_gradient`` with a nested gradient function (any names) that may use the
function's locals; inputs (``tf.constant``, ``tf.Variable``, numbers, lists); ``with
tf.GradientTape(...) as tape`` (several in one ``with``, nested), ``tape.watch``,
``tape.gradient`` / ``tape.jacobian``; ``print``, ``tf.print`` (f-strings), ``.numpy()``,
``tf.debugging.assert_rank``, also inside ``if``/``else`` (in a function, or around prints in
the script); a bare expression is displayed as a notebook shows it: a value of the program
or a tf. operation of gradients (``tf.reduce_sum(tf.stack([tape.gradient(z, [w1, w2]) for z
in (z1, z2, z3)]), axis=0)``) as TensorFlow computes it, arithmetic on plain Python numbers
(``w1, w2 = 5, 3`` then ``(f(w1 + eps, w2) - f(w1, w2)) / eps``) in float64, shown as the
``int`` or ``float`` Python would show (a number nothing of the graph reads is not an input).

Seed 003's training loop, and only its shape: ``opt = tf.keras.optimizers.Adam(<number>)``
(or ``SGD``), a parameterless ``def train_step():`` holding a tape block, ``g =
tape.gradient(loss, x)`` per ``tf.Variable``, one ``opt.apply_gradients(zip([g], [x]))`` and
``return`` of names, then, last in the cell, ``for i in range(N):`` (N an int literal up to
``script.TRAIN_LOOP_LIMIT``) whose body unpacks ``train_step()`` and may ``tf.print`` (under
``if i % K == R:``). The step's tape becomes the program (drawn at the start values); the loop
becomes :class:`script.Training`, run after the script by the real Keras optimizer
(:func:`graphviz_core.training.loop.run_training`).

How: every function body is inlined into one expression (a local is replaced by what it
holds, an ``if`` that returns becomes ``a if cond else b``), so a call stays one node of the
graph, as in the short form. The result is written as short-form text and read by the short
form's own parser (:func:`graphviz_core.language.parse`), which applies the same limits,
shape checks and cost model; its messages are pointed back at the user's lines. The script
around the program (tapes, gradient calls, prints) becomes :mod:`graphviz_core.script` steps.

>>> p = parse_python("import tensorflow as tf\\n"
...                  "def f(x):\\n    e = tf.exp(x)\\n    return tf.math.log(1 + e)\\n"
...                  "x = tf.constant(2.0)\\n"
...                  "with tf.GradientTape() as tape:\\n    tape.watch(x)\\n    y = f(x)\\n"
...                  "print(tape.gradient(y, x).numpy())")
>>> p.form, p.functions["f"].text, p.targets, p.watch
('python', 'log(1 + exp(x))', ('y',), ('x',))
"""
from __future__ import annotations

import ast
import copy
import dataclasses
import math
import re
import textwrap
from collections import Counter

from . import language as lang
from . import script as sc
from .expr import Compare, Cond, Fold
from .language import LIMITS, ProgramError
from .ops import OPS, SPELLINGS

__all__ = ["parse_python", "detect_form", "ALLOWED"]

ALLOWED = ("import tensorflow as tf; def with locals, if/else and return; "
           "@tf.custom_gradient with a nested def grad(upstream); inputs x = tf.constant(2.0), "
           "tf.Variable(5.0), numbers or lists; with tf.GradientTape() as tape:, tape.watch, "
           "tape.gradient / tape.jacobian; print, tf.print, .numpy() (also in if/else), "
           "tf. operations of gradients, Python numbers; "
           "tf.debugging.assert_rank; tf. ops such as tf.exp, tf.math.log, tf.nn.relu; "
           "seed 003's training loop: opt = tf.keras.optimizers.Adam(0.1) or SGD, "
           "def train_step(): (tape, tape.gradient, opt.apply_gradients(zip(...)), return), "
           "last: for i in range(N) (N <= 1000) calling it, tf.print under if i % K == 0")
_TOP_HINT = "allowed: " + ALLOWED
_TRAIN_HINT = ("the page runs the cell once and draws that run: to train, paste the function "
               "and its loss without the loop (x = tf.Variable(-1.0) ... loss = ...) and use "
               "the Train tab under the graph (Adam or SGD, a learning rate, a number of steps)")
_LOOP_HINT = ("the one training loop allowed is seed 003's: opt = tf.keras.optimizers.Adam(0.1) "
              "(or SGD), def train_step(): with a tape block, grads = tape.gradient(loss, "
              "x), opt.apply_gradients(zip([grads], [x])), return loss, y, grads; then, "
              "last, for i in range(100): loss, y, grads = train_step() and if i % 10 == 0: "
              "tf.print(i, loss, grads, x, y)")
_TAPE_METHODS = ("gradient", "jacobian")
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow, ast.MatMult)
_SPEC = re.compile(r"[<>=^]?[-+ ]?#?0?\d{0,3}[,_]?(\.\d{1,2})?[bdeEfFgGn%s]?")
_OPERATOR_OPS = {"add": ast.Add, "sub": ast.Sub, "mul": ast.Mult, "div": ast.Div,
                 "pow": ast.Pow}
_MAX_NODES = 4 * LIMITS["nodes"]        # one inlined expression (as the short form's line)
_MAX_PATHS = 64                         # if/else paths through one function


def detect_form(source: str) -> str:
    """``"python"`` when a line starts with import, def, @, with, or a tf. call; else
    ``"short"``.

    >>> detect_form("x = 2.0\\ny = x*x"), detect_form("import tensorflow as tf\\nx = 1.0")
    ('short', 'python')
    """
    if not isinstance(source, str):
        return "short"
    for line in source[: LIMITS["chars"] + 1].split("\n"):
        s = line.lstrip()
        if re.match(r"(import|def|with|from)\b|@|tf\.", s) or re.match(
                r"[A-Za-z_][A-Za-z0-9_]*(\s*,\s*[A-Za-z_][A-Za-z0-9_]*)*\s*=\s*tf\.", s):
            return "python"
    return "short"


@dataclasses.dataclass
class _Exprs:
    """A normalized expression (ast) waiting for the short form's converter (``boolean``: a
    condition, the test of an ``if`` around prints)."""
    tree: object
    boolean: bool = False
    python: bool = False        # over the cell's Python numbers (see _Reader.py_number)


class _Fn:
    """What the reader knows of a function while it reads its body."""

    def __init__(self, name, params, custom):
        self.name, self.params, self.custom = name, params, custom
        self.effects: list = []
        self.rule_effects: list = []
        self.grads: dict = {}           # nested gradient functions by name
        self.paths = 0
        self.upstream = ""
        self.rule_line = 0
        self.in_rule = False
        self.sinks: list = []           # the prints of the if/else branches being read
        self.value = None               # the body as one expression (normalized ast)
        self.python = False             # Python arithmetic only: a number in, a number out

    def sink(self) -> list:
        """Where a print read now goes: its branch's list, else the body's or the rule's."""
        return self.sinks[-1] if self.sinks else \
            self.rule_effects if self.in_rule else self.effects


class _Reader:
    def __init__(self, text: str, shift: int = 0):
        self.text, self.shift = text, shift     # shift: the indent a pasted cell had
        self.lines = text.split("\n")
        self.short: list[tuple[str, int, int]] = []     # short-form line, user line, column
        self.steps: list = []
        self.bind: dict = {"tf": ("module", "tf")}
        self.counts: Counter = Counter()
        self.seen: Counter = Counter()
        self.taken: set = set()
        self.tapes: dict = {}            # tape id -> {"persistent", "watch", "open", "name"}
        self.fn_info: dict = {}          # internal function name -> _Fn
        self.last_gradient = None        # (tape id, target names) of the last gradient call
        self.defining: str | None = None
        self.nodes = 0
        self.sizes: dict = {}            # id(expression) -> its size, for the inlining limit
        self.tmp = 0
        # plain Python numbers (w1, w2 = 5, 3; eps = 1e-6 and what is computed from them)
        self.pynum: dict = {}            # user name -> (kind "int" | "float", internal name)
        self.pylit: dict = {}            # internal name of a number input -> its literal
        self.py_names: set = set()       # internal names of every Python number
        self.py_inputs: dict = {}        # internal name of a number input -> its short line
        self.refs: set = set()           # internal names the program or the script reads
        self.data: set = set()           # internal names of every input and value
        self.kinds: dict = {}            # (function, argument kinds) -> kind of its result
        # seed 003's training loop (see train_function, train_loop)
        self.variables: set = set()      # internal names of the tf.Variable inputs
        self.optimizers: dict = {}       # user name -> [kind, learning rate, node, used]
        self.train_fns: dict = {}        # user name -> what its step computes
        self.training = None             # the loop (script.Training)

    # -- positions and messages -----------------------------------------------------------
    def col(self, node) -> int:
        lineno, offset = getattr(node, "lineno", 1), getattr(node, "col_offset", 0)
        line = self.lines[lineno - 1] if 0 < lineno <= len(self.lines) else ""
        return len(line.encode("utf-8")[:offset].decode("utf-8", "ignore")) + 1 + self.shift

    def err(self, node, message, hint=_TOP_HINT):
        return ProgramError(message, getattr(node, "lineno", 1), self.col(node), hint)

    def op_keywords(self, node, spec, dotted) -> list:
        """A registry op's keyword arguments, checked against what it takes (``name=`` is
        TensorFlow's op name and is dropped)."""
        out = []
        for k in node.keywords:
            if k.arg == "name":
                continue
            if k.arg not in spec.keywords:
                raise self.err(k.value, f"{dotted} does not take {k.arg}= here",
                               f"it takes {', '.join(spec.keywords) or 'no keywords'}")
            out.append(k)
        return out

    def seg(self, node) -> str:
        text = ast.get_source_segment(self.text, node) or ast.unparse(node)
        return text if len(text) <= 60 else text[:57] + "..."

    # -- names ----------------------------------------------------------------------------
    def new_name(self, user: str, node) -> str:
        """The program's name for this binding of ``user``: the last binding keeps the
        user's name, earlier ones (a notebook reassigns x) get ``x_1``, ``x_2``."""
        self.check_name(user, node)
        self.seen[user] += 1
        base = user if self.seen[user] >= self.counts[user] else f"{user}_{self.seen[user]}"
        name = base
        while name in lang._RESERVED or (name != user and name in self.taken) or \
                name in self.fn_info and self.fn_info[name].name != user or \
                any(name == b[1] for b in self.bind.values() if b[0] != "script"):
            name += "_"
        self.taken.add(name)
        return name

    def check_name(self, name: str, node) -> None:
        if name.startswith("__"):
            raise self.err(node, f"'{name}' is not allowed: names may not start with '__'",
                           "choose another name")
        if name in ("tf", "np"):
            raise self.err(node, f"'{name}' is the module's name and cannot be reassigned",
                           "choose another name")

    def param_name(self, name: str, node) -> str:
        self.check_name(name, node)
        return name if name not in lang._RESERVED else name + "_"

    # -- the module -------------------------------------------------------------------------
    def module(self, tree) -> None:
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                self.taken.add(node.id)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                self.taken.add(node.name)
        self._count(tree.body)
        for st in tree.body:
            if self.training is not None:
                raise self.err(st, "the training loop must be the cell's last statement",
                               "move this line above the for loop")
            self.statement(st)
        for kind, _, node, used in self.optimizers.values():
            if not used:
                raise self.err(node, f"'{_dotted(node.func)}' is not allowed here: no training loop "
                               "uses it; "
                               "Keras objects (optimizers, layers, models) and the training "
                               "loops that use them are not supported in a pasted cell, "
                               "except seed 003's shape", _LOOP_HINT)

    def _count(self, body) -> None:
        for st in body:
            if isinstance(st, ast.Assign):
                for t in st.targets:
                    for n in (t.elts if isinstance(t, ast.Tuple) else [t]):
                        if isinstance(n, ast.Name):
                            self.counts[n.id] += 1
            elif isinstance(st, ast.AugAssign) and isinstance(st.target, ast.Name):
                self.counts[st.target.id] += 1
            elif isinstance(st, ast.FunctionDef):
                self.counts[st.name] += 1
                if _is_step_function(st):       # its tape's values are the program's
                    self._count(st.body)
            elif isinstance(st, ast.With):
                self._count(st.body)

    def statement(self, st) -> None:
        if isinstance(st, ast.Import):
            for a in st.names:
                if (a.name, a.asname) == ("tensorflow", "tf"):
                    self.bind["tf"] = ("module", "tf")
                elif (a.name, a.asname) == ("numpy", "np"):
                    self.bind["np"] = ("module", "np")
                else:
                    raise self.err(st, f"'import {a.name}' is not allowed",
                                   "only 'import tensorflow as tf' (and 'import numpy as np')")
            return
        if isinstance(st, ast.ImportFrom):
            raise self.err(st, f"'from {st.module} import ...' is not allowed",
                           "only 'import tensorflow as tf' (and 'import numpy as np')")
        if isinstance(st, ast.FunctionDef):
            if _is_step_function(st):
                self.train_function(st)
            else:
                self.function(st)
            return
        if isinstance(st, ast.Assign) and _optimizer_call(st.value):
            self.optimizer(st)
            return
        if isinstance(st, (ast.Assign, ast.AugAssign)):
            self.assign(st)
            return
        if isinstance(st, ast.With):
            self.with_block(st)
            return
        if isinstance(st, ast.Expr):
            self.expression_statement(st)
            return
        if isinstance(st, ast.If):
            self.steps.append(sc.Step("effect", item=self.top_if(st), line=st.lineno))
            return
        if isinstance(st, ast.Delete):
            for t in st.targets:
                kind = self.bind.get(getattr(t, "id", None), ("",))[0]
                if kind != "tape":
                    raise self.err(t, "only a tape can be deleted here ('del tape')")
                self.steps.append(sc.Step("del", self.bind[t.id][1], line=st.lineno))
                self.bind.pop(t.id)
            return
        if isinstance(st, ast.Pass):
            return
        if isinstance(st, ast.For):
            self.train_loop(st)
            return
        if isinstance(st, (ast.While, ast.AsyncFor)):
            raise self.err(st, _refused(st), _TRAIN_HINT.replace(
                "the page runs the cell once", "a loop runs the program many times; the "
                "page runs the cell once").replace(": to train", ": write its steps out, "
                "or, to train"))
        raise self.err(st, _refused(st))

    # -- functions --------------------------------------------------------------------------
    def function(self, node) -> None:
        custom = False
        for d in node.decorator_list:
            if _dotted(d) == "tf.custom_gradient":
                custom = True
            else:
                raise self.err(d, f"the decorator @{self.seg(d)} is not allowed",
                               "only @tf.custom_gradient (the app runs eagerly: "
                               "@tf.function is not needed)")
        a = node.args
        if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults:
            raise self.err(node, f"the parameters of '{node.name}' must be plain names",
                           "no defaults, *args or **kwargs: def f(x, y):")
        if not a.args:
            raise self.err(node, f"function '{node.name}' needs at least one parameter",
                           "def f(x): ...")
        params = tuple(self.param_name(p.arg, p) for p in a.args)
        if len(set(params)) != len(params):
            raise self.err(node, "a parameter name is repeated", "def f(x, y):")
        self.check_name(node.name, node)
        fn = _Fn(node.name, params, custom)
        env = {p.arg: ast.Name(q) for p, q in zip(a.args, params)}
        self.defining = node.name
        try:
            value, rule = self.body(node.body, env, fn, node)
        finally:
            self.defining = None
        internal = self.new_name(node.name, node)
        self.fn_info[internal] = fn
        fn.value = value
        fn.python = not custom and not fn.effects and self.arithmetic(node)
        self.short.append((f"{internal}({', '.join(params)}) = {ast.unparse(value)}",
                           node.lineno, self.col(node)))
        if custom:
            parts = ", ".join("None" if r is None else ast.unparse(r) for r in rule)
            self.short.append((f"grad {internal}({', '.join(params + (fn.upstream,))}) = "
                               f"{parts}", fn.rule_line, 1))
        self.bind[node.name] = ("function", internal)

    def body(self, stmts, env, fn: _Fn, node):
        """The function's return value as one expression (and, for a custom gradient, its
        rule: one expression or None per parameter)."""
        result = self.block(list(stmts), env, fn, first=True)
        if result is None:
            raise self.err(node, f"'{fn.name}' does not return a value",
                           "end it with 'return expression'" if not fn.custom else
                           "end it with 'return value, grad'")
        return result

    def block(self, stmts, env, fn: _Fn, first=False):
        """Read statements to a ``return``: (value, rule) or None if they fall through
        (then ``env`` holds the locals). An ``if`` that returns takes the rest of the
        block into each branch."""
        for i, st in enumerate(stmts):
            if i == 0 and first and isinstance(st, ast.Expr) and \
                    isinstance(st.value, ast.Constant) and isinstance(st.value.value, str):
                continue                # a docstring
            if isinstance(st, ast.Pass):
                continue
            if isinstance(st, (ast.Assign, ast.AugAssign)):
                self.local_assign(st, env, fn)
                continue
            if isinstance(st, ast.Expr):
                self.local_effect(st, env, fn)
                continue
            if isinstance(st, ast.FunctionDef):
                if not fn.custom or fn.in_rule:
                    raise self.err(st, "a function inside a function is only allowed as the "
                                   "gradient of a @tf.custom_gradient function",
                                   "define functions at the top level")
                if st.decorator_list:
                    raise self.err(st.decorator_list[0], "the gradient function takes no "
                                   "decorator", "def grad(upstream): ...")
                fn.grads[st.name] = st
                continue
            if isinstance(st, ast.If):
                return self.branch(st, stmts[i + 1:], env, fn)
            if isinstance(st, ast.Return):
                return self.returned(st, env, fn)
            raise self.err(st, _refused(st, inside=fn.name))
        return None

    def branch(self, st, rest, env, fn: _Fn):
        fn.paths += 1
        if fn.paths > _MAX_PATHS:
            raise self.err(st, f"'{fn.name}' has more than {_MAX_PATHS} if/else paths",
                           "make it simpler")
        test = self.norm(st.test, env)
        returns = any(isinstance(n, ast.Return) for s in st.body + st.orelse
                      for n in ast.walk(s))
        if not returns:                 # both branches fall through: merge their locals
            env_a, env_b = dict(env), dict(env)
            said = []
            for part, e in ((st.body, env_a), (st.orelse, env_b)):
                fn.sinks.append([])
                if self.block(list(part), e, fn) is not None:
                    raise self.err(st, "unexpected return")      # pragma: no cover
                said.append(fn.sinks.pop())
            self.when(fn, test, said, st)
            for name in set(env_a) | set(env_b):
                a, b = env_a.get(name), env_b.get(name)
                if a is None or b is None:
                    raise self.err(st, f"'{name}' is assigned in only one branch of the if",
                                   "assign it in both branches, or before the if")
                if ast.dump(a) != ast.dump(b):
                    env[name] = ast.IfExp(copy.deepcopy(test), a, b)
                    self.count(env[name], st)
                else:
                    env[name] = a
            return self.block(rest, env, fn)
        # each branch takes the rest of the block with it (its prints too, under its test)
        said = []
        for part in (st.body, st.orelse):
            fn.sinks.append([])
            said.append(self.block(list(part) + rest, dict(env), fn))
            said.append(fn.sinks.pop())
        then, other = said[0], said[2]
        self.when(fn, test, said[1::2], st)
        if then is None or other is None:
            raise self.err(st, f"not every path through '{fn.name}' returns a value",
                           "give the if and the else a return each")
        if fn.in_rule:                  # one gradient per parameter, each chosen by the test
            return tuple(self.pick(test, a, b, st) for a, b in zip(then[0], other[0])), None
        value = ast.IfExp(test, then[0], other[0])
        self.count(value, st)
        rule = None
        if fn.custom:
            rule = tuple(self.pick(test, a, b, st) for a, b in zip(then[1], other[1]))
        return value, rule

    def when(self, fn: _Fn, test, said, st) -> None:
        """The prints of an if's two branches: each runs when Python's if would take it."""
        if said[0] or said[1]:
            fn.sink().append(sc.When(_Exprs(copy.deepcopy(test), boolean=True),
                                     tuple(said[0]), tuple(said[1]), st.lineno))

    def pick(self, test, a, b, st):
        """``a if test else b``, or ``a`` when both are the same (None: no gradient)."""
        if (a is None and b is None) or (a is not None and b is not None and
                                         ast.dump(a) == ast.dump(b)):
            return a
        value = ast.IfExp(copy.deepcopy(test), _none(a), _none(b))
        self.count(value, st)
        return value

    def returned(self, st, env, fn: _Fn):
        v = st.value
        if v is None:
            raise self.err(st, "'return' needs a value")
        if fn.in_rule:
            parts = list(v.elts) if isinstance(v, (ast.Tuple, ast.List)) else [v]
            if len(parts) != len(fn.params):
                raise self.err(st, f"the gradient function returns {len(parts)} value(s) but "
                               f"'{fn.name}' has {len(fn.params)} parameter(s) "
                               f"({', '.join(fn.params)})",
                               "return one gradient per parameter, in order; None for none")
            return tuple(None if isinstance(p, ast.Constant) and p.value is None
                         else self.norm(p, env) for p in parts), None
        if not fn.custom:
            if isinstance(v, ast.Tuple):
                raise self.err(v, f"'{fn.name}' returns several values",
                               "a function returns one tensor (only a @tf.custom_gradient "
                               "function returns value, grad)")
            return self.norm(v, env), None
        if not (isinstance(v, ast.Tuple) and len(v.elts) == 2 and
                isinstance(v.elts[1], ast.Name) and v.elts[1].id in fn.grads):
            raise self.err(v, f"a @tf.custom_gradient function returns (value, grad function)",
                           f"end '{fn.name}' with 'return y, grad' where grad is defined "
                           "inside it")
        value = self.norm(v.elts[0], env)
        return value, self.rule(fn.grads[v.elts[1].id], env, fn)

    def rule(self, g, env, fn: _Fn) -> tuple:
        a = g.args
        if a.posonlyargs or a.vararg or a.kwonlyargs or a.kwarg or a.defaults or \
                len(a.args) != 1:
            raise self.err(g, f"the gradient function '{g.name}' takes one parameter, the "
                           "upstream gradient", f"def {g.name}(upstream):")
        up = self.param_name(a.args[0].arg, a.args[0])
        while up in fn.params:
            up += "_"
        genv = dict(env)
        genv[a.args[0].arg] = ast.Name(up)
        first_rule = not fn.upstream
        fn.upstream, fn.rule_line = up, g.lineno
        printed = len(fn.rule_effects)
        fn.in_rule = True
        branches, fn.sinks = fn.sinks, []   # the rule's prints are the rule's, not a branch's
        try:
            out = self.block(list(g.body), genv, fn, first=True)
        finally:
            fn.in_rule = False
            fn.sinks = branches
        if not first_rule:
            del fn.rule_effects[printed:]   # one gradient function: its prints once
        if out is None:
            raise self.err(g, f"the gradient function '{g.name}' does not return",
                           "end it with 'return upstream * ...'")
        return out[0]

    def local_assign(self, st, env, fn) -> None:
        if isinstance(st, ast.AugAssign):
            if not isinstance(st.target, ast.Name) or st.target.id not in env:
                raise self.err(st, "'+=' needs a local assigned before")
            op = st.op
            if not isinstance(op, _BINOPS):
                raise self.err(st, f"operator '{lang._op_text(op)}=' is not supported")
            value = ast.BinOp(env[st.target.id], op, self.norm(st.value, env))
            self.count(value, st)
            env[st.target.id] = value
            return
        pairs = self.pairs(st)
        values = [self.norm(v, env) for _, v in pairs]
        for (t, _), v in zip(pairs, values):
            self.check_name(t.id, t)
            env[t.id] = v

    def pairs(self, st):
        if len(st.targets) != 1:
            raise self.err(st, "chained assignment (a = b = ...) is not supported",
                           "one name per assignment")
        t, v = st.targets[0], st.value
        if isinstance(t, ast.Name):
            return [(t, v)]
        if isinstance(t, ast.Tuple) and isinstance(v, ast.Tuple) and \
                len(t.elts) == len(v.elts) and all(isinstance(e, ast.Name) for e in t.elts):
            return list(zip(t.elts, v.elts))
        raise self.err(t, f"cannot assign to {lang._describe(t)} here",
                       "assign to a name, or names from a tuple of the same length")

    def local_effect(self, st, env, fn) -> None:
        call = st.value
        if isinstance(call, ast.Constant) and isinstance(call.value, str):
            return
        kind = _effect_kind(call)
        if kind is None:
            raise self.err(st, "a line that only computes a value does nothing inside a "
                           "function", "assign it to a local, or print it")
        fn.sink().append(self.effect(call, kind, env))

    # -- effects and displayed values --------------------------------------------------------
    def effect(self, call, kind, env) -> sc.Effect:
        if kind == "assert_rank":
            if len(call.args) != 2 or call.keywords:
                raise self.err(call, "tf.debugging.assert_rank takes a tensor and a rank",
                               "tf.debugging.assert_rank(x, 0)")
            rank = lang._number(call.args[1])
            if rank is None or rank != int(rank) or not 0 <= rank <= 8:
                raise self.err(call.args[1], "the rank must be a whole number from 0 to 8")
            return sc.Effect("assert_rank", (self.item(call.args[0], env),
                                             sc.Constant(int(rank))), call.lineno)
        sep, end = " ", "\n"
        for k in call.keywords:
            if k.arg in ("sep", "end") and isinstance(k.value, ast.Constant) and \
                    isinstance(k.value.value, str) and len(k.value.value) <= 20:
                sep, end = (k.value.value, end) if k.arg == "sep" else (sep, k.value.value)
            elif kind == "tf.print" and k.arg == "summarize":
                raise self.err(k.value, "summarize= is not supported", "leave it out")
            else:
                raise self.err(k.value if k.arg else call, f"{kind} takes only sep= and "
                               "end= here (a short string each)", "no file= or output_stream=")
        if any(isinstance(a, ast.Starred) for a in call.args):
            raise self.err(call, "'*' arguments are not allowed", "pass each value")
        if len(call.args) > 20:
            raise self.err(call, f"{kind} of more than 20 values", "print fewer at once")
        return sc.Effect(kind, tuple(self.item(a, env) for a in call.args), call.lineno,
                         sep, end)

    def item(self, node, env=None):
        """A value shown by print: at the top a name, gradient call, .numpy(), list or
        tuple of them; in a function any expression of its parameters and locals."""
        if isinstance(node, ast.Constant):
            if isinstance(node.value, str):
                if len(node.value) > 2000:
                    raise self.err(node, "the string is too long (2,000 characters at most)")
                return sc.Constant(node.value)
            if node.value is None or type(node.value) in (int, float, bool):
                return sc.Constant(node.value)
            raise self.err(node, f"{type(node.value).__name__} values are not allowed")
        if isinstance(node, ast.JoinedStr):
            parts = []
            for p in node.values:
                if isinstance(p, ast.Constant):
                    parts.append(sc.Constant(str(p.value)))
                    continue
                spec = ""
                if p.format_spec is not None:
                    bits = p.format_spec.values
                    if not all(isinstance(b, ast.Constant) for b in bits):
                        raise self.err(p, "a format spec must be written out, e.g. {x:.3f}")
                    spec = "".join(str(b.value) for b in bits)
                    if not _SPEC.fullmatch(spec):
                        raise self.err(p, f"the format spec ':{spec}' is not supported",
                                       "e.g. {x}, {x:.3f}, {x:g}, {x:>8}")
                conv = {-1: "", 115: "s", 114: "r", 97: "a"}[p.conversion]
                parts.append(sc.Format(self.item(p.value, env), conv, spec))
            return sc.FString(tuple(parts))
        if isinstance(node, (ast.Tuple, ast.List)):
            if len(node.elts) > 20:
                raise self.err(node, "more than 20 values in one list")
            return sc.Seq(tuple(self.item(e, env) for e in node.elts),
                          "tuple" if isinstance(node, ast.Tuple) else "list")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in ("numpy", "tolist") and not node.args and not node.keywords:
            inner = node.func.value
            if node.func.attr == "tolist" and not (isinstance(inner, ast.Call) and
                                                   getattr(inner.func, "attr", "") == "numpy"):
                raise self.err(node, "'.tolist()' only after '.numpy()'")
            return sc.Method(self.item(inner, env), node.func.attr)
        if env is not None:
            return _Exprs(self.norm(node, env))
        py = self.py_number(node)
        if py is not None:          # Python computes it as a number: shown as one
            return sc.PyNumber(py[0], _Exprs(py[1], python=True))
        cond = self.py_condition(node)
        if cond is not None:        # a comparison of plain numbers: a Python bool
            return sc.PyNumber("bool", _Exprs(cond, boolean=True, python=True))
        if isinstance(node, ast.Name):
            return self.name_item(node)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
                node.func.attr in _TAPE_METHODS:
            return self.gradient(node)
        if isinstance(node, ast.Subscript):
            i = lang._number(node.slice)
            if i is None or i != int(i) or abs(i) > 64:
                raise self.err(node, "index a list of gradients with a whole number: g[0]")
            return sc.Index(self.item(node.value), int(i))
        if isinstance(node, ast.IfExp) and isinstance(node.test, ast.Compare) and \
                len(node.test.ops) == 1 and isinstance(node.test.ops[0], (ast.Is, ast.IsNot)) \
                and isinstance(node.test.comparators[0], ast.Constant) and \
                node.test.comparators[0].value is None:
            return sc.IfNone(self.item(node.test.left), self.item(node.body),
                             self.item(node.orelse), isinstance(node.test.ops[0], ast.IsNot))
        if isinstance(node, ast.ListComp):
            return self.gradient_map(node)
        if isinstance(node, ast.Call) and _dotted(node.func) in SPELLINGS and \
                self.scripty(node):
            return self.apply(node)
        if self.scripty(node):
            raise self.err(node, "a gradient from the tape can be printed, indexed (g[0]) or "
                           "passed to tf. operations such as tf.reduce_sum(g), not computed "
                           f"with as in '{self.seg(node)}'",
                           "the graph computes with the program's values; print the "
                           "gradient, or use tf.reduce_sum, tf.stack, tf.exp, ... of it")
        # a computation on the program's values, as TensorFlow computes it (not drawn)
        self.nodes = 0
        return _Exprs(self.norm(node, None))

    def scripty(self, node) -> bool:
        """Does ``node`` read the script's values (a gradient call, a comprehension of them,
        a name bound to one)? Then the graph's expressions cannot compute it."""
        for n in ast.walk(node):
            if _is_tape_call(n) or isinstance(n, ast.ListComp) or \
                    isinstance(n, ast.Name) and self.bind.get(n.id, ("",))[0] == "script":
                return True
        return False

    def apply(self, node):
        """A registry op of displayed values (seed 002's tf.reduce_sum(tf.stack([...]))):
        TensorFlow's own function, with literal keywords."""
        dotted = _dotted(node.func)
        op = SPELLINGS[dotted]
        spec = OPS[op]
        if spec.static or op == "where" or spec.operator:
            raise self.err(node, f"{dotted} of a gradient is not supported here",
                           "print the gradient, or use tf.reduce_sum, tf.stack, tf.concat, "
                           "tf.exp, ... of it")
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.err(node, "'*' and '**' arguments are not allowed",
                           "pass each argument by position")
        keywords = [(k.arg, self.literal_keyword(k.value, k.arg))
                    for k in self.op_keywords(node, spec, dotted)]
        n = 1 if spec.variadic else len(spec.params)
        if len(node.args) != n:
            raise self.err(node, f"{dotted} takes {n} argument(s), got {len(node.args)}")
        return sc.Apply(op, tuple(self.item(a) for a in node.args), tuple(keywords))

    def literal_keyword(self, node, name):
        if name == "keepdims":
            if isinstance(node, ast.Constant) and isinstance(node.value, bool):
                return node.value
            raise self.err(node, "keepdims must be True or False", "e.g. keepdims=True")
        if isinstance(node, ast.Constant) and node.value is None:
            return None
        if isinstance(node, (ast.Tuple, ast.List)) and 0 < len(node.elts) <= 4:
            return tuple(self.literal_keyword(e, name) for e in node.elts)
        v = lang._number(node)
        if v is None or v != int(v) or abs(v) > 8 or \
                isinstance(node, ast.Constant) and isinstance(node.value, bool):
            raise self.err(node, f"{name}= must be a small whole number such as 0 or -1",
                           f"e.g. {name}=0")
        return int(v)

    # -- plain Python numbers -------------------------------------------------------------
    def py_number(self, node):
        """(kind, expression) if Python computes ``node`` (at the top level) as a plain
        number: number literals, names bound to such numbers, + - * / ** of them and calls
        of functions of Python arithmetic only (seed 002's f); else None. The expression is
        over the internal names of the cell's Python numbers (its ``python`` steps)."""
        if isinstance(node, ast.Constant):
            v = node.value
            if type(v) in (int, float) and abs(v) <= LIMITS["literal"]:
                return ("int" if type(v) is int else "float"), ast.Constant(v)
            return None
        if isinstance(node, ast.Name):
            bound, known = self.bind.get(node.id), self.pynum.get(node.id)
            if bound and known and bound[0] in ("input", "value") and bound[1] == known[1]:
                return known[0], ast.Name(known[1])
            return None
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            inner = self.py_number(node.operand)
            return inner and (inner[0], ast.UnaryOp(node.op, inner[1]))
        if isinstance(node, ast.BinOp) and isinstance(node.op, _PY_OPS):
            a, b = self.py_number(node.left), self.py_number(node.right)
            if a is None or b is None:
                return None
            return _py_kind(node.op, a[0], b[0], self.literal(b[1])), \
                ast.BinOp(a[1], node.op, b[1])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and \
                not node.keywords:
            kind, internal = self.bind.get(node.func.id, (None, None))
            fn = self.fn_info.get(internal) if kind == "function" else None
            if fn is None or not fn.python or len(node.args) != len(fn.params) or \
                    any(isinstance(a, ast.Starred) for a in node.args):
                return None
            args = [self.py_number(a) for a in node.args]
            if any(a is None for a in args):
                return None
            return self.kind_of(internal, tuple(a[0] for a in args)), \
                ast.Call(ast.Name(internal), [a[1] for a in args], [])
        return None

    def py_condition(self, node):
        """A comparison (and / or / not of them) of plain Python numbers, else None."""
        if isinstance(node, ast.Compare) and len(node.ops) == 1 and \
                type(node.ops[0]) in lang._CMPOPS:
            a, b = self.py_number(node.left), self.py_number(node.comparators[0])
            return None if a is None or b is None else \
                ast.Compare(a[1], node.ops, [b[1]])
        if isinstance(node, ast.BoolOp):
            parts = [self.py_condition(v) for v in node.values]
            return None if any(p is None for p in parts) else ast.BoolOp(node.op, parts)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            inner = self.py_condition(node.operand)
            return None if inner is None else ast.UnaryOp(ast.Not(), inner)
        return None

    def literal(self, tree):
        """The number a Python-number expression is written as, if it is one."""
        if isinstance(tree, ast.Constant):
            return tree.value
        if isinstance(tree, ast.Name):
            return self.pylit.get(tree.id)
        if isinstance(tree, ast.UnaryOp) and isinstance(tree.op, ast.USub):
            v = self.literal(tree.operand)
            return None if v is None else -v
        return None

    def kind_of(self, internal, kinds) -> str:
        """int or float: what a Python-arithmetic function returns for these arguments."""
        key = (internal, kinds)
        if key not in self.kinds:
            fn = self.fn_info[internal]
            self.kinds[key] = "float"           # (no recursion: functions call those above)
            self.kinds[key] = self._kind(fn.value, dict(zip(fn.params, kinds)))
        return self.kinds[key]

    def _kind(self, t, env) -> str:
        if isinstance(t, ast.Constant):
            return "int" if type(t.value) is int else "float"
        if isinstance(t, ast.Name):
            return env.get(t.id, "float")
        if isinstance(t, ast.UnaryOp):
            return self._kind(t.operand, env)
        if isinstance(t, ast.BinOp):
            right = t.right.value if isinstance(t.right, ast.Constant) else None
            return _py_kind(t.op, self._kind(t.left, env), self._kind(t.right, env), right)
        if isinstance(t, ast.IfExp):        # the branch taken decides; both the same here
            a, b = self._kind(t.body, env), self._kind(t.orelse, env)
            return a if a == b else "float"
        if isinstance(t, ast.Call) and isinstance(t.func, ast.Name) and t.func.id in self.fn_info:
            return self.kind_of(t.func.id, tuple(self._kind(a, env) for a in t.args))
        return "float"

    def arithmetic(self, node) -> bool:
        """A function Python runs as arithmetic on numbers: operators, ifs, locals and calls
        of such functions only (no tf., no prints); called with numbers, it returns one."""
        for n in ast.walk(node):
            if n is node or isinstance(n, _ARITHMETIC):
                continue
            if isinstance(n, ast.Constant) and type(n.value) in (int, float, str):
                continue
            if isinstance(n, ast.BinOp) and not isinstance(n.op, ast.MatMult):
                continue
            if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant):
                continue            # a docstring
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and not n.keywords:
                kind, internal = self.bind.get(n.func.id, (None, None))
                if kind == "function" and self.fn_info[internal].python:
                    continue
            return False
        return True

    def python_binding(self, name, internal, py, line, is_input=False) -> None:
        """Remember that ``name`` holds a plain Python number, and compute it as the cell
        runs (a ``python`` step); ``is_input``: a number literal, the last short line."""
        if py is None:
            self.pynum.pop(name, None)
            return
        self.pynum[name] = (py[0], internal)
        self.py_names.add(internal)
        if is_input:
            self.pylit[internal] = self.literal(py[1])
            self.py_inputs[internal] = len(self.short) - 1
        self.steps.append(sc.Step("python", internal, item=_Exprs(py[1], python=True),
                                  line=line))

    def name_item(self, node):
        kind, internal = self.bind.get(node.id, (None, None))
        if kind in ("input", "value"):
            self.refs.add(internal)
            return sc.Name(internal, "value")
        if kind == "script":
            return sc.Name(node.id, "script")
        if kind is None:
            raise self.err(node, f"unknown name '{node.id}'", "assign it on an earlier line")
        raise self.err(node, f"'{node.id}' is a {kind}; it has no value to show",
                       "show a value or a gradient")

    def gradient(self, node, loop=None):
        tape_name = _dotted(node.func.value)
        kind, tape = self.bind.get(tape_name, (None, None)) if tape_name else (None, None)
        if kind != "tape":
            raise self.err(node, f"'{self.seg(node.func)}' is not a gradient tape's method",
                           "open a tape first: with tf.GradientTape() as tape:")
        if len(node.args) != 2 or node.keywords:
            raise self.err(node, f"tape.{node.func.attr} takes a target and the sources",
                           f"tape.{node.func.attr}(y, x) or tape.{node.func.attr}(y, [w1, w2])")
        target = self.names_item(node.args[0], loop)
        sources = self.names_item(node.args[1], loop, sources=True)
        names = [i.name for i in _flat(target)]
        values = {b[1] for b in self.bind.values() if b[0] == "value"}
        if all(i.where == "value" and i.name in values for i in _flat(target)):
            # decides the page's targets, and which gradients it shows first
            self.last_gradient = (tape, tuple(names), tuple(i.name for i in _flat(sources)))
        return sc.Gradient(tape, node.func.attr, target, sources, node.lineno)

    def names_item(self, node, loop=None, sources=False):
        if isinstance(node, (ast.List, ast.Tuple)) and node.elts and len(node.elts) <= 64:
            return sc.Seq(tuple(self.names_item(e, loop, sources) for e in node.elts),
                          "list" if isinstance(node, ast.List) else "tuple")
        if isinstance(node, ast.Name):
            if loop is not None and node.id == loop and not sources:
                return sc.Name(loop, "loop")
            item = self.name_item(node)
            if sources and item.where != "value":
                raise self.err(node, f"'{node.id}' cannot be a source of a gradient",
                               "differentiate with respect to inputs or values")
            return item
        raise self.err(node, "a gradient's target and sources are names or lists of names",
                       "tape.gradient(z, [w1, w2])")

    def gradient_map(self, node):
        gen = node.generators[0] if len(node.generators) == 1 else None
        elt = node.elt
        if gen is None or gen.ifs or gen.is_async or not isinstance(gen.target, ast.Name) \
                or not (isinstance(elt, ast.Call) and isinstance(elt.func, ast.Attribute)
                        and elt.func.attr in _TAPE_METHODS):
            raise self.err(node, "comprehensions are not allowed",
                           "the one allowed: [tape.gradient(g, sources) for g in gradients]")
        var = gen.target.id
        self.check_name(var, gen.target)
        items = self.names_item(gen.iter) if isinstance(gen.iter, (ast.List, ast.Tuple)) \
            else self.name_item(gen.iter) if isinstance(gen.iter, ast.Name) else None
        if items is None:
            raise self.err(gen.iter, "loop over a list of names or of gradients")
        g = self.gradient(elt, loop=var)
        values = {b[1] for b in self.bind.values() if b[0] == "value"}
        if isinstance(items, sc.Seq) and isinstance(g.target, sc.Name) and \
                g.target.where == "loop" and \
                all(isinstance(i, sc.Name) and i.where == "value" and i.name in values
                    for i in items.items):
            # [tape.gradient(z, [w1, w2]) for z in (z1, z2, z3)]: the page's targets are z1..z3
            self.last_gradient = (g.tape, tuple(i.name for i in items.items),
                                  tuple(i.name for i in _flat(g.sources)))
        return sc.GradientMap(g.tape, g.method, var, items, g.target, g.sources, node.lineno)

    # -- the top level ----------------------------------------------------------------------
    def assign(self, st) -> None:
        if isinstance(st, ast.AugAssign):
            if not isinstance(st.target, ast.Name):
                raise self.err(st, "'+=' needs a name on the left")
            st = ast.copy_location(ast.Assign(targets=[st.target], value=ast.copy_location(
                ast.BinOp(ast.copy_location(ast.Name(st.target.id), st.target), st.op,
                          st.value), st)), st)
        if len(st.targets) == 1 and isinstance(st.targets[0], ast.Tuple) and \
                _is_tape_call(st.value):
            self.tmp += 1
            tmp = f"\0{self.tmp}"
            self.steps.append(sc.Step("let", tmp, self.item(st.value), line=st.lineno))
            for i, t in enumerate(st.targets[0].elts):
                if not isinstance(t, ast.Name):
                    raise self.err(t, "assign to names")
                self.check_name(t.id, t)
                self.steps.append(sc.Step("let", t.id, sc.Index(sc.Name(tmp, "script"), i),
                                          line=st.lineno))
                self.bind[t.id] = ("script", t.id)
            return
        pairs = self.pairs(st)
        done = [self.prepare(t, v) for t, v in pairs]   # every right side before any binding
        for bind in done:
            bind()

    def prepare(self, target, value):
        name = target.id
        self.check_name(name, target)
        py = self.py_number(value)          # read before any name of this line is bound
        inp = self.input_value(value)
        if inp is not None:
            def bind():
                internal = self.new_name(name, target)
                kind, lit = inp
                call = "Variable" if kind == "variable" else "constant"
                self.short.append((f"{internal} = {call}({_lit_text(lit)})", value.lineno,
                                   self.col(value)))
                self.bind[name] = ("input", internal)
                self.data.add(internal)
                if kind == "variable":
                    self.variables.add(internal)
                self.python_binding(name, internal, py, value.lineno, is_input=True)
            return bind
        if _is_tape_call(value) or isinstance(value, ast.ListComp) or self.scripty(value):
            item = self.item(value)

            def bind():
                self.steps.append(sc.Step("let", name, item, line=value.lineno))
                self.bind[name] = ("script", name)
            return bind
        if _dotted(value) in ("tf.float32", "tf.float64"):
            def bind():
                self.bind[name] = ("dtype", _dotted(value))
            return bind
        self.nodes = 0
        expr = self.norm(value, None)

        def bind():
            internal = self.new_name(name, target)
            self.short.append((f"{internal} = {ast.unparse(expr)}", value.lineno,
                               self.col(value)))
            self.steps.append(sc.Step("assign", internal, line=value.lineno))
            self.bind[name] = ("value", internal)
            self.data.add(internal)
            self.python_binding(name, internal, py, value.lineno)
        return bind

    def input_value(self, node):
        """(kind, literal) for an input's right-hand side, else None."""
        kind = "constant"
        if isinstance(node, ast.Call) and _dotted(node.func) in ("tf.constant", "tf.Variable",
                                                                 "np.array"):
            what = _dotted(node.func)
            kind = "variable" if what == "tf.Variable" else "constant"
            self.dtype_keywords(node, what, allow_positional=what == "tf.constant")
            if not node.args:
                raise self.err(node, f"{what}(...) needs a value", f"{what}(2.0)")
            arg = node.args[0]
            if lang._number(arg) is None and not isinstance(arg, (ast.List, ast.Tuple)):
                if what == "tf.Variable" or what == "np.array":
                    raise self.err(arg, f"{what}(...) takes a number or a list of numbers",
                                   f"{what}(2.0)")
                return None          # tf.constant of an expression: an ordinary value
            return kind, lang._literal(arg, arg.lineno, self.col(arg) - 1 - arg.col_offset)
        if lang._number(node) is not None or isinstance(node, ast.List):
            if isinstance(node, ast.List) and not _all_numbers(node):
                return None
            return kind, lang._literal(node, node.lineno, self.col(node) - 1 - node.col_offset)
        return None

    def dtype_keywords(self, node, what, allow_positional=False) -> None:
        extra = node.args[1:]
        if extra and not (allow_positional and len(extra) == 1):
            raise self.err(extra[0], f"{what}(...) takes a value and dtype= only")
        dtypes = [k.value for k in node.keywords if k.arg == "dtype"] + list(extra)
        for k in node.keywords:
            if k.arg not in ("dtype", "name", "trainable"):
                raise self.err(k.value if k.arg else node, f"{what}(...) does not take "
                               f"{'**' if k.arg is None else k.arg + '='} here",
                               f"{what}(2.0, dtype=tf.float32)")
        for d in dtypes:
            spelled = _dotted(d)
            if spelled not in ("tf.float32", "tf.float64") and \
                    self.bind.get(getattr(d, "id", ""), ("",))[0] != "dtype":
                raise self.err(d, "the dtype must be tf.float32 or tf.float64",
                               "the page's precision switch decides it for the whole run")

    def with_block(self, st) -> None:
        opened = []
        for item in st.items:
            call = item.context_expr
            if not (isinstance(call, ast.Call) and _dotted(call.func) == "tf.GradientTape"):
                raise self.err(call, "only tf.GradientTape() can open a with block",
                               "with tf.GradientTape() as tape:")
            if not isinstance(item.optional_vars, ast.Name):
                raise self.err(call, "name the tape: with tf.GradientTape() as tape:")
            flags = {"persistent": False, "watch_accessed_variables": True}
            if call.args:
                raise self.err(call, "tf.GradientTape takes persistent= and "
                               "watch_accessed_variables= only")
            for k in call.keywords:
                if k.arg not in flags or not (isinstance(k.value, ast.Constant) and
                                              isinstance(k.value.value, bool)):
                    raise self.err(k.value if k.arg else call, "tf.GradientTape takes "
                                   "persistent=True/False and watch_accessed_variables="
                                   "True/False only")
                flags[k.arg] = k.value.value
            name = item.optional_vars.id
            self.check_name(name, item.optional_vars)
            tape = f"{name}#{len(self.tapes) + 1}"
            self.tapes[tape] = flags
            self.bind[name] = ("tape", tape)
            self.steps.append(sc.Step("enter", tape, persistent=flags["persistent"],
                                      watch_accessed=flags["watch_accessed_variables"],
                                      line=st.lineno))
            opened.append(tape)
        for s in st.body:
            if isinstance(s, (ast.FunctionDef, ast.Import, ast.ImportFrom)):
                raise self.err(s, "define functions and imports outside the with block")
            self.statement(s)
        for tape in reversed(opened):
            self.steps.append(sc.Step("exit", tape, line=st.lineno))

    # -- seed 003's training loop -------------------------------------------------------------
    def optimizer(self, st) -> None:
        """``opt = tf.keras.optimizers.Adam(1e-1)`` (or SGD): the optimizer a training loop
        steps, with its learning rate (a number; Keras's default if none is given)."""
        t, call = st.targets, st.value
        if len(t) != 1 or not isinstance(t[0], ast.Name):
            raise self.err(st, "assign the optimizer to one name", "opt = "
                           "tf.keras.optimizers.Adam(1e-1)")
        kind = _optimizer_call(call)
        args = list(call.args) + [k.value for k in call.keywords if k.arg == "learning_rate"]
        if any(k.arg != "learning_rate" for k in call.keywords) or len(args) > 1:
            bad = next((k.value for k in call.keywords if k.arg != "learning_rate"),
                       args[-1] if args else call)
            raise self.err(bad, f"{_dotted(call.func)} takes only the learning rate here",
                           f"{_dotted(call.func)}(1e-1)")
        lr = {"adam": 0.001, "sgd": 0.01}[kind] if not args else lang._number(args[0])
        if lr is None or isinstance(args[0] if args else None, ast.Constant) and \
                isinstance(args[0].value, bool) or \
                not (math.isfinite(lr) and 0 < lr <= LIMITS["literal"]):
            raise self.err(args[0] if args else call, "the learning rate must be a positive "
                           f"number up to {LIMITS['literal']:g}", "e.g. Adam(1e-1)")
        name = t[0].id
        self.check_name(name, t[0])
        self.optimizers[name] = [kind, float(lr), call, False]
        self.bind[name] = ("optimizer", name)

    def train_function(self, node) -> None:
        """A zero-parameter training step (seed 003's ``train_step``): a tape block whose
        values become the program's (the graph is the step's backward pass at the start
        values), ``g = tape.gradient(loss, x)`` per Variable, one
        ``opt.apply_gradients(zip([g, ...], [x, ...]))`` and ``return`` of names."""
        if node.decorator_list:
            raise self.err(node.decorator_list[0], "a training step takes no decorator",
                           "def train_step(): ...")
        self.check_name(node.name, node)
        before = dict(self.bind)
        grads: dict = {}            # user name -> (target internal, source internal)
        applied = None
        returns, returned = (), False
        for i, s in enumerate(node.body):
            if isinstance(s, ast.Pass) or i == 0 and isinstance(s, ast.Expr) and \
                    isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
                continue
            if returned:
                raise self.err(s, "the return ends the training step")
            if isinstance(s, ast.With):
                for item in s.items:
                    for k in getattr(item.context_expr, "keywords", ()):
                        if k.arg != "persistent":
                            raise self.err(k.value if k.arg else item.context_expr,
                                           "a training step's tape watches its Variables "
                                           "(only persistent= here)", _LOOP_HINT)
                for b in s.body:
                    ok = isinstance(b, ast.Assign) and not _is_tape_call(b.value) or \
                        isinstance(b, ast.Expr) and isinstance(b.value, ast.Call) and \
                        getattr(b.value.func, "attr", "") == "watch"
                    if not ok:
                        raise self.err(b, "a training step's tape block computes values "
                                       "(y = ..., loss = ...) and may watch; print in the loop",
                                       _LOOP_HINT)
                self.with_block(s)
                continue
            if isinstance(s, ast.Assign) and len(s.targets) == 1 and \
                    isinstance(s.targets[0], ast.Name) and _is_tape_call(s.value) and \
                    s.value.func.attr == "gradient":
                self.assign(s)
                g = self.steps[-1].item
                values = {b[1] for b in self.bind.values() if b[0] == "value"}
                if not (isinstance(g.target, sc.Name) and g.target.name in values and
                        isinstance(g.sources, sc.Name) and g.sources.name in self.variables):
                    raise self.err(s.value, "in a training step, take the gradient of one "
                                   "value for one tf.Variable", "grads = tape.gradient(loss, x)")
                grads[s.targets[0].id] = (g.target.name, g.sources.name)
                continue
            if isinstance(s, ast.Expr) and applied is None and \
                    isinstance(s.value, ast.Call) and \
                    getattr(s.value.func, "attr", "") == "apply_gradients":
                applied = self.apply_gradients(s.value, grads)
                continue
            if isinstance(s, ast.Return) and applied is not None:
                returns, returned = self.step_returns(s, grads), True
                continue
            raise self.err(s, "a training step holds a tape block, tape.gradient, "
                           "opt.apply_gradients(zip([grads], [x])) and return, in that order",
                           _LOOP_HINT)
        if applied is None:
            raise self.err(node, f"function '{node.name}' needs at least one parameter "
                           "(a function without one is a training step: it calls "
                           "opt.apply_gradients)", "def f(x): ...")
        # its locals are not the cell's names (the loop binds what it returns)
        for name in [n for n in self.bind if self.bind[n] != before.get(n)]:
            if name in before:
                self.bind[name] = before[name]
            else:
                self.bind.pop(name)
        self.train_fns[node.name] = dict(applied, returns=returns, line=node.lineno)
        self.bind[node.name] = ("training step", node.name)

    def apply_gradients(self, call, grads) -> dict:
        opt = _dotted(call.func.value)
        if opt not in self.optimizers or self.bind.get(opt, ("",))[0] != "optimizer":
            raise self.err(call, f"'{self.seg(call.func)}' is not an optimizer's method",
                           "opt = tf.keras.optimizers.Adam(1e-1) first")
        z = call.args[0] if len(call.args) == 1 and not call.keywords else None
        if not (isinstance(z, ast.Call) and _dotted(z.func) == "zip" and len(z.args) == 2
                and not z.keywords and
                all(isinstance(a, (ast.List, ast.Tuple)) and a.elts and
                    all(isinstance(e, ast.Name) for e in a.elts) for a in z.args)
                and len(z.args[0].elts) == len(z.args[1].elts)):
            raise self.err(call, "apply_gradients takes zip([gradients], [variables])",
                           "opt.apply_gradients(zip([grads], [x]))")
        params, target = [], None
        for g, v in zip(z.args[0].elts, z.args[1].elts):
            bound = self.bind.get(v.id, ("", ""))
            if g.id not in grads or bound[0] != "input" or grads[g.id][1] != bound[1]:
                raise self.err(g, f"'{g.id}' is not the gradient of the step's value for "
                               f"'{v.id}'", "grads = tape.gradient(loss, x) then "
                               "opt.apply_gradients(zip([grads], [x]))")
            if target is not None and grads[g.id][0] != target:
                raise self.err(g, "every gradient of a training step is of the same value",
                               "one loss")
            target = grads[g.id][0]
            if bound[1] in params:
                raise self.err(v, f"'{v.id}' is given twice")
            params.append(bound[1])
        kind, lr, _, _ = self.optimizers[opt]
        self.optimizers[opt][3] = True
        return {"optimizer": kind, "learning_rate": lr, "target": target,
                "params": tuple(params), "grads": dict(grads)}

    def step_returns(self, st, grads) -> tuple:
        v = st.value
        names = [] if v is None else list(v.elts) if isinstance(v, ast.Tuple) else [v]
        out = []
        for n in names:
            if not isinstance(n, ast.Name):
                raise self.err(n, "a training step returns names", "return loss, y, grads")
            kind, internal = self.bind.get(n.id, (None, None))
            if n.id in grads:
                out.append(("grad", grads[n.id][1]))
            elif kind == "input" and internal in self.variables:
                out.append(("param", internal))
            elif kind in ("input", "value"):
                out.append(("value", internal))
            else:
                raise self.err(n, f"'{n.id}' is not a value of the training step",
                               "return its values and gradients: return loss, y, grads")
        return tuple(out)

    def train_loop(self, st) -> None:
        """``for i in range(N):`` (N a whole number up to TRAIN_LOOP_LIMIT, written out) that
        calls a training step and may ``tf.print`` (under ``if i % K == R:``)."""
        def refuse(node, why):
            return self.err(node, "loops (for) are not allowed" + why, _LOOP_HINT)
        it = st.iter
        n = it.args[0] if isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and \
            it.func.id == "range" and len(it.args) == 1 and not it.keywords else None
        if not (isinstance(n, ast.Constant) and type(n.value) is int and
                1 <= n.value <= sc.TRAIN_LOOP_LIMIT) or not isinstance(st.target, ast.Name) \
                or st.orelse or not self.train_fns:
            raise refuse(st, f", except a training loop: for i in range(N) (N a whole number "
                         f"up to {sc.TRAIN_LOOP_LIMIT:,}, written out) around a training step")
        loop = st.target.id
        self.check_name(loop, st.target)
        first = st.body[0]
        call = first.value if isinstance(first, (ast.Assign, ast.Expr)) else None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and
                call.func.id in self.train_fns and not call.args and not call.keywords and
                self.bind.get(call.func.id, ("",))[0] == "training step"):
            raise self.err(first, "a training loop starts with a call of the training step",
                           _LOOP_HINT)
        step = self.train_fns[call.func.id]
        names = {loop: ("step",)}
        if isinstance(first, ast.Assign):
            t = first.targets[0] if len(first.targets) == 1 else None
            targets = t.elts if isinstance(t, ast.Tuple) else [t]
            if not all(isinstance(e, ast.Name) for e in targets):
                raise self.err(first, "unpack the step's result into names",
                               "loss, y, grads = train_step()")
            if len(targets) != len(step["returns"]) and not (
                    len(targets) == 1 and isinstance(t, ast.Name) and
                    len(step["returns"]) == 1):
                raise self.err(first, f"the training step returns {len(step['returns'])} "
                               f"value(s), not {len(targets)}")
            for e, r in zip(targets, step["returns"]):
                self.check_name(e.id, e)
                if e.id == loop:
                    raise self.err(e, f"'{loop}' is the loop's counter", "choose another name")
                names[e.id] = r
        every, remainder, prints = None, 0, []
        for s in st.body[1:]:
            body = [s]
            if isinstance(s, ast.If) and not prints and every is None:
                every, remainder = self.every(s.test, loop)
                if s.orelse:
                    raise self.err(s.orelse[0], "no else in a training loop")
                body = s.body
            elif prints and every is not None:
                raise self.err(s, "the if ends the training loop")
            for b in body:
                if not (isinstance(b, ast.Expr) and _effect_kind(b.value) == "tf.print"):
                    raise self.err(b, "a training loop calls the step and may tf.print its "
                                   "counter, the step's results and the Variables",
                                   _LOOP_HINT)
                prints.append(self.train_print(b.value, names))
        for p in step["params"]:
            self.refs.add(p)
        self.refs.add(step["target"])
        self.training = sc.Training(step["optimizer"], step["learning_rate"], n.value,
                                    step["target"], step["params"], tuple(prints), every,
                                    remainder, st.lineno)

    def every(self, test, loop):
        """``i % K == R`` (K, R whole numbers written out): (K, R)."""
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and \
                isinstance(test.ops[0], ast.Eq) and isinstance(test.left, ast.BinOp) and \
                isinstance(test.left.op, ast.Mod) and isinstance(test.left.left, ast.Name) \
                and test.left.left.id == loop:
            k, r = test.left.right, test.comparators[0]
            if all(isinstance(c, ast.Constant) and type(c.value) is int for c in (k, r)) \
                    and 0 < k.value <= sc.TRAIN_LOOP_LIMIT and 0 <= r.value < k.value:
                return k.value, r.value
        raise self.err(test, f"a training loop's if is 'if {loop} % K == R:' with whole "
                       "numbers K > R >= 0", f"if {loop} % 10 == 0:")

    def train_print(self, call, names) -> sc.TrainPrint:
        sep, end = " ", "\n"
        for k in call.keywords:
            if k.arg in ("sep", "end") and isinstance(k.value, ast.Constant) and \
                    isinstance(k.value.value, str) and len(k.value.value) <= 20:
                sep, end = (k.value.value, end) if k.arg == "sep" else (sep, k.value.value)
            else:
                raise self.err(k.value if k.arg else call, "tf.print takes only sep= and "
                               "end= here (a short string each)")
        if len(call.args) > 20:
            raise self.err(call, "tf.print of more than 20 values", "print fewer at once")
        args = []
        for a in call.args:
            if isinstance(a, ast.Constant) and isinstance(a.value, str) and \
                    len(a.value) <= 2000:
                args.append(("text", a.value))
                continue
            if isinstance(a, ast.Name) and a.id in names:
                args.append(names[a.id])
                continue
            kind, internal = self.bind.get(getattr(a, "id", None), (None, None))
            if kind == "input" and internal in self.variables and \
                    any(internal in f["params"] for f in self.train_fns.values()):
                args.append(("param", internal))
                continue
            raise self.err(a, "a training loop prints its counter, the step's results, "
                           "the trained Variables and strings", "tf.print(i, loss, grads, x)")
        return sc.TrainPrint(tuple(args), call.lineno, sep, end)

    def top_if(self, st) -> sc.When:
        """An ``if`` of the script (at the top level or in a tape's block) around prints:
        its test is read as a condition on the program's values (or ``x is None``)."""
        t = st.test
        if isinstance(t, ast.Compare) and len(t.ops) == 1 and \
                isinstance(t.ops[0], (ast.Is, ast.IsNot)) and \
                isinstance(t.comparators[0], ast.Constant) and t.comparators[0].value is None:
            test = sc.IsNone(self.item(t.left), isinstance(t.ops[0], ast.IsNot))
        elif self.py_condition(t) is not None:      # plain numbers: Python's own comparison
            test = sc.PyNumber("bool", _Exprs(self.py_condition(t), boolean=True, python=True))
        else:
            self.nodes = 0
            test = _Exprs(self.norm(t, None), boolean=True)
        return sc.When(test, self.top_branch(st.body), self.top_branch(st.orelse), st.lineno)

    def top_branch(self, body) -> tuple:
        out = []
        for s in body:
            if isinstance(s, ast.Pass) or isinstance(s, ast.Expr) and \
                    isinstance(s.value, ast.Constant) and isinstance(s.value.value, str):
                continue
            if isinstance(s, ast.If):
                out.append(self.top_if(s))
                continue
            kind = _effect_kind(s.value) if isinstance(s, ast.Expr) else None
            if kind is None:
                raise self.err(s, "only print, tf.print and tf.debugging.assert_rank can go "
                               "inside an if outside a function",
                               "to choose a value write 'y = a if cond else b', or put the "
                               "if inside a function (def)")
            out.append(self.effect(s.value, kind, None))
        return tuple(out)

    def expression_statement(self, st) -> None:
        v = st.value
        if isinstance(v, ast.Constant) and isinstance(v.value, str):
            return                  # a string on its own line: a comment
        kind = _effect_kind(v)
        if kind is not None:
            self.steps.append(sc.Step("effect", item=self.effect(v, kind, None),
                                      line=st.lineno))
            return
        spelled = _dotted(v.func) if isinstance(v, ast.Call) else None
        if spelled is not None and spelled.startswith("tf.") and spelled not in SPELLINGS:
            raise self.err(v, f"'{spelled}' is not allowed", "tf. operations this app knows "
                           "(tf.exp, tf.math.log, ...) and print / tf.print / tape.watch; no "
                           "files, network or Python callbacks (tf.io, tf.py_function)")
        if isinstance(v, ast.Call) and isinstance(v.func, ast.Attribute) and \
                v.func.attr == "watch":
            tape_name = _dotted(v.func.value)
            kind, tape = self.bind.get(tape_name, (None, None)) if tape_name else (None, None)
            if kind != "tape":
                raise self.err(v, f"'{self.seg(v.func)}' is not a tape's watch")
            if len(v.args) != 1 or v.keywords:
                raise self.err(v, "tape.watch takes one name or a list of names")
            watched = _flat(self.names_item(v.args[0], sources=True))
            self.tapes[tape].setdefault("watch", set()).update(i.name for i in watched)
            self.steps.append(sc.Step("watch", tape, names=tuple(i.name for i in watched),
                                      line=st.lineno))
            return
        self.steps.append(sc.Step("effect", item=sc.Effect("display", (self.item(v),),
                                                           st.lineno), line=st.lineno))

    # -- expressions ----------------------------------------------------------------------------
    def count(self, tree, node) -> None:
        n = sum(1 for _ in ast.walk(tree))
        if n > _MAX_NODES:
            raise self.too_big(node)
        self.sizes[id(tree)] = n

    def too_big(self, node):
        return self.err(node, f"this expression, with the locals it uses written out, has "
                        f"more than {_MAX_NODES} parts", "make the function smaller")

    def norm(self, node, env):
        """The expression as the short form writes it: locals replaced by what they hold,
        tf. spellings by the registry's names, tf.constant(v) by v."""
        self.nodes = 0
        out = self._norm(node, env)
        self.count(out, node)
        return out

    def _norm(self, node, env):
        n = self._norm
        if isinstance(node, ast.Constant):
            if type(node.value) in (int, float):
                return ast.Constant(node.value)
            if isinstance(node.value, str):
                raise self.err(node, "strings are only allowed in print and tf.print",
                               "use numbers and names in a computation")
            raise self.err(node, f"{node.value!r} is not a number",
                           "use numbers, names and tf. operations")
        if isinstance(node, ast.Name):
            return self.ref(node, env)
        if isinstance(node, ast.BinOp):
            if not isinstance(node.op, _BINOPS):
                raise self.err(node, f"operator '{lang._op_text(node.op)}' is not supported",
                               "use + - * / ** @")
            return ast.BinOp(n(node.left, env), node.op, n(node.right, env))
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.Invert):
                raise self.err(node, "operator '~' is not supported", "use -x or not")
            return ast.UnaryOp(node.op, n(node.operand, env))
        if isinstance(node, ast.Compare):
            for op in node.ops:
                if type(op) not in lang._CMPOPS:
                    raise self.err(node, f"comparison '{lang._op_text(op)}' is not supported",
                                   "use < <= > >= == !=")
            return ast.Compare(n(node.left, env), node.ops,
                               [n(c, env) for c in node.comparators])
        if isinstance(node, ast.BoolOp):
            return ast.BoolOp(node.op, [n(v, env) for v in node.values])
        if isinstance(node, ast.IfExp):
            return ast.IfExp(n(node.test, env), n(node.body, env), n(node.orelse, env))
        if isinstance(node, ast.List):
            if not _all_numbers(node):
                raise self.err(node, "a list here holds numbers only",
                               "combine values with tf.stack([a, b])")
            return copy.deepcopy(_strip(node))
        if isinstance(node, ast.Subscript):
            return ast.Subscript(n(node.value, env), self.index(node.slice))
        if isinstance(node, ast.Call):
            return self.call(node, env)
        if isinstance(node, ast.Attribute):
            if node.attr.startswith("__"):
                raise self.err(node, f"'{node.attr}' is not allowed: attributes starting "
                               "with '__' are never read", "use tf. functions on tensors")
            raise self.err(node, f"the attribute '{self.seg(node)}' is not allowed here",
                           "call tf. functions (tf.exp(x)); methods of tensors are not "
                           "supported (print can show x.numpy())")
        raise self.err(node, f"{lang._describe(node)} is not allowed",
                       "use numbers, names, + - * / ** @, tf. calls, functions defined above, "
                       "x[i] and 'a if cond else b'")

    def index(self, node):
        if isinstance(node, ast.Tuple):
            return ast.Tuple([self.index(e) for e in node.elts])
        if isinstance(node, ast.Slice):
            return ast.Slice(*(None if p is None else self.int_node(p)
                               for p in (node.lower, node.upper, node.step)))
        return self.int_node(node)

    def int_node(self, node):
        v = lang._number(node)
        if v is None or v != int(v) or abs(v) > LIMITS["elements"] * 4:
            raise self.err(node, "an index must be a whole number such as 0, 1 or -1",
                           "index with literal integers and slices: x[0], W[:, 1]")
        return ast.Constant(int(v)) if v >= 0 else ast.UnaryOp(ast.USub(), ast.Constant(-int(v)))

    def ref(self, node, env):
        name = node.id
        if name.startswith("__"):
            raise self.err(node, f"'{name}' is not allowed", "names may not start with '__'")
        if env is not None:
            if name in env:
                # counted before it is copied: locals that double at each line must not
                # build a huge tree first
                self.nodes += self.sizes.get(id(env[name]), 1)
                if self.nodes > _MAX_NODES:
                    raise self.too_big(node)
                value = copy.deepcopy(env[name])
                self.sizes[id(value)] = self.sizes.get(id(env[name]), 1)
                return value
            kind = self.bind.get(name, (None,))[0]
            if kind in ("input", "value"):
                raise self.err(node, f"'{name}' is not a parameter or local of this function",
                               f"pass it in: add '{name}' to the parameters")
            if name == self.defining:
                raise self.err(node, f"'{name}' refers to itself: recursion is not allowed",
                               "a function may call only functions defined above it")
        else:
            kind, internal = self.bind.get(name, (None, None))
            if kind in ("input", "value"):
                self.refs.add(internal)
                return ast.Name(internal)
            if kind == "script":
                raise self.err(node, f"'{name}' holds a gradient from the tape; the graph "
                               "cannot compute with it", "print it, or compute with values")
        kind = self.bind.get(name, (None,))[0]
        if kind == "function":
            raise self.err(node, f"'{name}' is a function; call it with arguments",
                           f"for example {name}(x)")
        if kind in ("tape", "module", "dtype"):
            raise self.err(node, f"'{name}' is a {kind}, not a value")
        raise self.err(node, f"unknown name '{name}'",
                       "assign it on an earlier line" if env is None
                       else "use the function's parameters, its locals, numbers and tf. calls")

    def call(self, node, env):
        if any(isinstance(a, ast.Starred) for a in node.args) or \
                any(k.arg is None for k in node.keywords):
            raise self.err(node, "'*' and '**' arguments are not allowed",
                           "pass each argument by position")
        f = node.func
        if isinstance(f, ast.Name):
            name = f.id
            if name == self.defining:
                raise self.err(node, f"'{name}' calls itself: recursion is not allowed",
                               "a function may call only functions defined above it")
            kind, internal = self.bind.get(name, (None, None))
            if kind == "function":
                fn = self.fn_info[internal]
                if node.keywords:
                    raise self.err(node.keywords[0].value, "keyword arguments are not "
                                   "supported for your own functions",
                                   "pass arguments by position")
                if len(node.args) != len(fn.params):
                    raise self.err(node, f"{name} takes {len(fn.params)} argument(s), got "
                                   f"{len(node.args)}", f"call it as {name}("
                                   f"{', '.join(fn.params)})")
                return ast.Call(ast.Name(internal), [self._norm(a, env) for a in node.args],
                                [])
            if name in ("eval", "exec", "compile", "open", "__import__", "getattr",
                        "setattr", "globals", "locals", "vars", "input", "breakpoint"):
                raise self.err(node, f"'{name}' is not allowed",
                               "calls go to functions defined above and to tf. operations")
            raise self.err(node, f"unknown function '{name}'",
                           "define it (def) above the line that calls it, or use a tf. "
                           "operation such as tf.exp")
        dotted = _dotted(f)
        if dotted is None or not dotted.startswith(("tf.", "np.")):
            what = self.seg(f)
            if isinstance(f, ast.Attribute) and f.attr.startswith("__"):
                raise self.err(f, f"'{f.attr}' is not allowed: attributes starting with '__' "
                               "are never read", "use tf. functions on tensors")
            raise self.err(node, f"'{what}(...)' is not allowed in a computation",
                           "call tf. operations (tf.exp(x)) and functions defined above; "
                           "methods of tensors are not supported")
        if dotted == "tf.constant":
            self.dtype_keywords(node, dotted, allow_positional=True)
            if len(node.args) < 1:
                raise self.err(node, "tf.constant needs a value", "tf.constant(0.0)")
            arg = node.args[0]
            if lang._number(arg) is None and not isinstance(arg, ast.List):
                return self._norm(arg, env)         # tf.constant of a tensor: the tensor
            return self._norm(arg, env)
        if dotted == "tf.Variable":
            raise self.err(node, "tf.Variable(...) can only be the whole right-hand side of "
                           "an input", "w = tf.Variable(5.0)")
        if dotted in ("tf.logical_and", "tf.math.logical_and", "tf.logical_or",
                      "tf.math.logical_or"):
            op = ast.And() if dotted.endswith("and") else ast.Or()
            self.arity(node, dotted, 2)
            return ast.BoolOp(op, [self._norm(a, env) for a in node.args])
        if dotted in ("tf.logical_not", "tf.math.logical_not"):
            self.arity(node, dotted, 1)
            return ast.UnaryOp(ast.Not(), self._norm(node.args[0], env))
        if dotted.startswith(("tf.keras.", "tf.optimizers.")):
            raise self.err(node, f"'{dotted}' is not allowed: Keras objects (optimizers, "
                           "layers, models) and the training loops that use them are not "
                           "supported in a pasted cell", _TRAIN_HINT)
        op = SPELLINGS.get(dotted)
        if op is None:
            known = ", ".join(s for s in list(SPELLINGS)[16:40])
            raise self.err(node, f"'{dotted}' is not allowed",
                           f"tf. operations this app knows, e.g. {known}, ...; no files, "
                           "network or Python callbacks (tf.io, tf.py_function)")
        spec = OPS[op]
        if spec.operator:
            self.arity(node, dotted, len(spec.params))
            if node.keywords:
                raise self.err(node, f"{dotted} takes no keywords here")
            args = [self._norm(a, env) for a in node.args]
            if op == "neg":
                return ast.UnaryOp(ast.USub(), args[0])
            if op == "matmul":
                return ast.BinOp(args[0], ast.MatMult(), args[1])
            return ast.BinOp(args[0], _OPERATOR_OPS[op](), args[1])
        keywords = [ast.keyword(k.arg, copy.deepcopy(_strip(k.value)))
                    for k in self.op_keywords(node, spec, dotted)]
        if spec.variadic:
            if len(node.args) != 1 or not isinstance(node.args[0], (ast.List, ast.Tuple)):
                raise self.err(node, f"{dotted} takes one list of values",
                               f"{dotted}([a, b])")
            args = [ast.List([self._norm(e, env) for e in node.args[0].elts])]
        else:
            args = [copy.deepcopy(_strip(a)) if p in spec.static else self._norm(a, env)
                    for p, a in zip(spec.params, node.args)] + \
                   [self._norm(a, env) for a in node.args[len(spec.params):]]
        return ast.Call(ast.Name(op), args, keywords)

    def arity(self, node, dotted, n) -> None:
        if len(node.args) != n:
            raise self.err(node, f"{dotted} takes {n} argument(s), got {len(node.args)}")

    # -- the program ------------------------------------------------------------------------------
    def program(self, source: str):
        # a plain Python number that nothing of the program or the script's tensors reads
        # (seed 002's eps) is the script's own, not an input of the graph
        dropped = {n for n in self.py_inputs if n not in self.refs}
        lines = {self.py_inputs[n] for n in dropped}
        if dropped and not self.data - dropped:
            first = min(lines)
            raise ProgramError("this cell computes with plain Python numbers only: it has no "
                               "tensor for the graph to draw or a tape to differentiate",
                               self.short[first][1], self.short[first][2],
                               "its numbers are Python's; to see a graph, make an input a "
                               "tensor (w1 = tf.Variable(5.)) and compute a value from it "
                               "under a tape")
        self.short = [s for i, s in enumerate(self.short) if i not in lines]
        if not self.short:
            raise ProgramError("the program has no inputs and no values", 1, 1,
                               "add an input such as 'x = tf.constant(2.0)' and a value "
                               "such as 'y = x ** 2'")
        text = "\n".join(s for s, _, _ in self.short)
        try:
            prog = lang._parse_short(text, checked=True)
        except ProgramError as e:
            _, line, col = self.short[min(e.line, len(self.short)) - 1]
            raise ProgramError(e.message, line, col, e.hint) from None
        where = {i + 1: line for i, (_, line, _) in enumerate(self.short)}
        prog.source, prog.form = source, "python"
        prog.lines = {n: where.get(v, v) for n, v in prog.lines.items()}
        reline = _Relined(where)
        prog.expressions = {n: reline(e) for n, e in prog.expressions.items()}
        prog.inputs = {n: dataclasses.replace(i, line=where.get(i.line, i.line))
                       for n, i in prog.inputs.items()}
        for name, fn in list(prog.functions.items()):
            info = self.fn_info[name]
            scope = fn.params
            prog.functions[name] = dataclasses.replace(
                fn, body=reline(fn.body),
                rule=None if fn.rule is None else tuple(reline(r) for r in fn.rule),
                line=where.get(fn.line, fn.line),
                rule_line=where.get(fn.rule_line, fn.rule_line),
                effects=tuple(self.bind_effect(prog, e, scope) for e in info.effects),
                rule_effects=tuple(self.bind_effect(prog, e, fn.rule_params)
                                   for e in info.rule_effects))
        prog.script = tuple(self.bind_step(prog, s, dropped) for s in self.steps)
        prog.training = self.training
        if self.last_gradient is not None:
            tape, targets, sources = self.last_gradient
            prog.targets = tuple(t for t in targets if t in prog.expressions or
                                 t in prog.inputs)
            prog.sources = tuple(s for s in sources if s in prog.inputs)
            watched = self.tapes[tape].get("watch", set())
            prog.watch = tuple(n for n, i in prog.inputs.items()
                               if i.kind == "constant" and n in watched)
        return prog

    def bind_step(self, prog, step, dropped):
        """A script step with its expressions read by the short form."""
        if step.kind == "effect":
            return dataclasses.replace(step, item=self.bind_effect(prog, step.item, None))
        if step.kind == "python" and step.name in self.py_inputs and step.name not in dropped:
            return dataclasses.replace(step, item=None)     # the input's value, as given
        if step.kind in ("let", "python"):
            bound = self.bind_effect(prog, sc.Effect("", (step.item,), step.line), None)
            return dataclasses.replace(step, item=bound.args[0])
        return step

    def bind_effect(self, prog, effect, scope):
        """An effect (of a function body, a rule, or the script: ``scope`` None) with its
        expressions read by the short form."""
        if isinstance(effect, sc.When):
            return dataclasses.replace(
                effect, test=self.bind_effect(prog, sc.Effect("", (effect.test,), effect.line),
                                              scope).args[0],
                then=tuple(self.bind_effect(prog, e, scope) for e in effect.then),
                other=tuple(self.bind_effect(prog, e, scope) for e in effect.other))

        def conv(item):
            if isinstance(item, _Exprs):
                text = ast.unparse(item.tree)
                try:
                    return sc.Expr(lang.scoped_expression(
                        prog, text, self.py_names if item.python else scope, effect.line,
                        boolean=item.boolean))
                except ProgramError as e:
                    raise ProgramError(e.message, effect.line, 1, e.hint) from None
            if isinstance(item, sc.Format):
                return dataclasses.replace(item, item=conv(item.item))
            if isinstance(item, sc.FString):
                return sc.FString(tuple(conv(p) for p in item.parts))
            if isinstance(item, sc.Seq):
                return sc.Seq(tuple(conv(p) for p in item.items), item.kind)
            if isinstance(item, sc.Method):
                return sc.Method(conv(item.item), item.method)
            if isinstance(item, sc.IsNone):
                return dataclasses.replace(item, item=conv(item.item))
            if isinstance(item, sc.PyNumber):
                return dataclasses.replace(item, expr=conv(item.expr))
            if isinstance(item, sc.Apply):
                return dataclasses.replace(item, args=tuple(conv(a) for a in item.args))
            if isinstance(item, sc.IfNone):
                return dataclasses.replace(item, test=conv(item.test), then=conv(item.then),
                                           other=conv(item.other))
            if isinstance(item, sc.Index):
                return dataclasses.replace(item, item=conv(item.item))
            return item
        return dataclasses.replace(effect, args=tuple(conv(a) for a in effect.args))


# ---------------------------------------------------------------------------- helpers

class _Relined(Fold):
    """An expression with its lines pointed at the user's cell (the short-form text it was
    read from has one statement a line)."""

    def __init__(self, where: dict):
        self.where = where

    def _line(self, n):
        line = getattr(n, "line", None)
        return dataclasses.replace(n, line=self.where.get(line, line)) if line else n

    def leaf(self, n):
        return self._line(n)

    def node(self, n, args):
        if isinstance(n, Cond):
            n = dataclasses.replace(n, test=args[0], then=args[1], other=args[2])
        elif isinstance(n, Compare):
            n = dataclasses.replace(n, left=args[0], right=args[1])
        else:
            n = dataclasses.replace(n, args=tuple(args))
        return self._line(n)


_PY_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_ARITHMETIC = (ast.arguments, ast.arg, ast.Return, ast.Assign, ast.AugAssign, ast.If, ast.Pass,
               ast.UnaryOp, ast.Compare, ast.BoolOp, ast.IfExp, ast.Name, ast.Tuple,
               ast.expr_context, ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


def _py_kind(op, a: str, b: str, exponent) -> str:
    """The type Python gives ``a op b`` of ints and floats: / is always a float, ** of
    ints an int for a literal exponent of 0 or more."""
    if isinstance(op, ast.Div):
        return "float"
    if isinstance(op, ast.Pow):
        return "int" if a == b == "int" and type(exponent) is int and exponent >= 0 \
            else "float"
    return "int" if a == b == "int" else "float"


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _is_step_function(node) -> bool:
    """A ``def`` without parameters that calls ``.apply_gradients``: a training step."""
    a = node.args
    return not (a.posonlyargs or a.args or a.vararg or a.kwonlyargs or a.kwarg) and any(
        isinstance(n, ast.Call) and getattr(n.func, "attr", "") == "apply_gradients"
        for n in ast.walk(node))


_OPTIMIZERS = {"tf.keras.optimizers.Adam": "adam", "tf.keras.optimizers.SGD": "sgd",
               "tf.optimizers.Adam": "adam", "tf.optimizers.SGD": "sgd"}


def _optimizer_call(node) -> str | None:
    return _OPTIMIZERS.get(_dotted(node.func)) if isinstance(node, ast.Call) else None


def _effect_kind(node) -> str | None:
    if not isinstance(node, ast.Call):
        return None
    d = _dotted(node.func)
    return {"print": "print", "tf.print": "tf.print",
            "tf.debugging.assert_rank": "assert_rank"}.get(d)


def _is_tape_call(node) -> bool:
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and \
        node.func.attr in _TAPE_METHODS


def _flat(item) -> list:
    return [x for i in item.items for x in _flat(i)] if isinstance(item, sc.Seq) else [item]


def _all_numbers(node) -> bool:
    return all(_all_numbers(e) if isinstance(e, (ast.List, ast.Tuple))
               else lang._number(e) is not None for e in node.elts)


def _strip(node):
    """A copy of a literal without positions (unparse needs none)."""
    return copy.deepcopy(node)


def _none(part):
    return ast.Constant(None) if part is None else part


def _lit_text(value) -> str:
    def lists(v):
        return [lists(x) for x in v] if isinstance(v, tuple) else v
    return repr(lists(value))


def _refused(st, inside=None) -> str:
    where = f" inside '{inside}'" if inside else ""
    what = {ast.For: "loops (for)", ast.While: "loops (while)", ast.AsyncFor: "loops",
            ast.Try: "try/except", ast.ClassDef: "classes", ast.Global: "global",
            ast.Nonlocal: "nonlocal", ast.Raise: "raise", ast.Assert: "assert",
            ast.AsyncFunctionDef: "async functions", ast.AsyncWith: "async with",
            ast.Return: "return outside a function",
            ast.Break: "break", ast.Continue: "continue", ast.Match: "match",
            ast.AnnAssign: "annotated assignments", ast.With: "with inside a function",
            ast.Delete: "del inside a function", ast.Import: "import inside a function",
            ast.ImportFrom: "import inside a function"}.get(type(st), type(st).__name__)
    return f"{what} {'are' if what.endswith('s') or what.endswith(')') else 'is'} not " \
           f"allowed{where}"


# ---------------------------------------------------------------------------- entry points

def parse_python(source: str):
    """Read a TensorFlow-Python cell into a :class:`~graphviz_core.language.Program`
    (``form == "python"``); a :class:`ProgramError` with line and column if it is outside
    the allowlist."""
    if not isinstance(source, str):
        raise ProgramError("the program must be text", 1, 1, _TOP_HINT)
    lang._check_size(source)
    text = source.replace("\r\n", "\n").replace("\r", "\n")
    _check_indentation(text)
    # a cell copied from an indented answer (seed 001's): read as if it started at column 1
    dedented = textwrap.dedent(text)
    shift = next((len(a) - len(b) for a, b in zip(text.split("\n"), dedented.split("\n"))
                  if b.strip()), 0)
    text = dedented
    for i, line in enumerate(text.split("\n"), start=1):
        lang._check_nesting(line.split("#", 1)[0] if "'" not in line and '"' not in line
                            else line, i, 0)
    try:
        with lang._AST_LOCK:
            tree = ast.parse(text)
    except SyntaxError as e:
        line = e.lineno or 1
        col = e.offset or 1
        raise ProgramError(f"syntax error: {e.msg}", line, max(1, col) + shift,
                           "check brackets, colons and indentation") from None
    except (RecursionError, MemoryError, ValueError, SystemError) as e:
        raise ProgramError(f"the program is too complex to read ({type(e).__name__})", 1, 1,
                           "make it smaller") from None
    reader = _Reader(text, shift)
    try:
        reader.module(tree)
    except RecursionError:
        raise ProgramError("the program is nested too deeply to read", 1, 1,
                           "make it smaller") from None
    return reader.program(source)


def _check_indentation(text: str) -> None:
    """Tabs mixed with spaces in indentation mean different things to different editors:
    refused, at the first line that differs from the first indented one."""
    style = None
    for i, line in enumerate(text.split("\n"), start=1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if not indent or not line.strip():
            continue
        kinds = set(indent)
        if len(kinds) > 1 or (style is not None and kinds != style):
            raise ProgramError("the indentation mixes tabs and spaces", i, 1,
                               "indent with spaces only (4 per level)")
        style = kinds
