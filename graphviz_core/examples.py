"""The seed notebooks' programs as presets.

Each preset is a :class:`Preset`: a program in the app's language plus the settings the
notebook used (inputs, modes, targets, watch) and what the notebook printed.
"""
from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Preset", "PRESETS", "preset"]


@dataclass(frozen=True)
class Preset:
    key: str
    title: str
    seed: str            # which notebook it comes from
    description: str
    source: str
    inputs: dict = field(default_factory=dict)
    modes: dict = field(default_factory=dict)
    targets: tuple | None = None
    watch: tuple | None = None
    dtype: str = "float32"
    expect: str = ""     # what the notebook printed, in words


_FOO = """\
# Seed 001 / 003: foo(x) = x**2 composed three times; y = x**8
foo(x) = x**2
grad foo(x, dy) = dy * 2*x
x = 2.0
y = foo(foo(foo(x)))
"""

_TWO_STEP = """\
# Seed 000: y = 5x^2 + 3 in two steps
step_1(x) = x**2
step_2(x) = 5*x + 3
x = 6.0
y1 = step_1(x)
y2 = step_2(y1)
"""

_BAD_STEP = """\
# Seed 000: a step that TensorFlow cannot differentiate below 5,
# and a straight-through rule that passes the upstream gradient on
step_2(x) = 5*x + 3
bad_step(x) = x**2 if x > 5 else 0
grad bad_step(x, dy) = dy * 2*x if x > 5 else dy
x = 2.0
y1 = bad_step(x)
y2 = step_2(y1)
"""

_LOG1PEXP = """\
# Seed 001: tf.custom_gradient's documentation example log(1 + exp(x))
log1pexp(x) = log(1 + exp(x))
grad log1pexp(x, dy) = dy * (1 - 1 / (1 + exp(x)))
x = 100.0
y = log1pexp(x)
"""

_F002 = """\
# Seed 002: f(w1, w2) = 3 w1^2 + 2 w1 w2 with Variables
f(w1, w2) = 3 * w1**2 + 2 * w1 * w2
w1 = Variable(5.0)
w2 = Variable(3.0)
z = f(w1, w2)
"""

_F002_CONST = """\
# Seed 002: the same f with constants; the tape watches constants only if asked
f(w1, w2) = 3 * w1**2 + 2 * w1 * w2
c1 = constant(5.0)
c2 = constant(3.0)
z = f(c1, c2)
"""

_F002_MULTI = """\
# Seed 002: three targets; their gradients add up
f(w1, w2) = 3 * w1**2 + 2 * w1 * w2
w1 = Variable(5.0)
w2 = Variable(3.0)
z1 = f(w1, w2 + 2)
z2 = f(w1, w2 + 5)
z3 = f(w1, w2 + 7)
"""

_F002_STOP = """\
# Seed 002: stop_gradient hides the second term from the tape
f(w1, w2) = 3 * w1**2 + stop_gradient(2 * w1 * w2)
w1 = Variable(5.0)
w2 = Variable(3.0)
z = f(w1, w2)
"""

_SOFTPLUS = """\
# Seed 002: softplus written naively overflows: exp(100) is inf in float32
softplus_v1(z) = log(exp(z) + 1)
x = Variable([100.0])
y = softplus_v1(x)
"""

_SOFTPLUS_CUSTOM = """\
# Seed 002: a custom gradient for softplus; the gradient is fixed, the forward value is not
softplus_v2(z) = log(exp(z) + 1)
grad softplus_v2(z, grad) = grad / (1 + 1 / exp(z))
x = Variable([100.0])
y = softplus_v2(x)
"""

_SOFTPLUS_WHERE = """\
# Seed 002: the tf.where trap: the forward value is right (1000), the gradient is NaN,
# because the branch not taken still overflows in the backward pass (0 * inf)
softplus_v2(z) = where(z > 30, z, log(exp(z) + 1))
x = Variable([1000.0])
y = softplus_v2(x)
"""

_BAR = """\
# Seed 003: a function of two variables with a rule for each
bar(x, y) = x * y
grad bar(x, y, upstream) = upstream * y, upstream * x
x = 2.0
y = 3.0
z = bar(x, y)
"""

_SIGN = """\
# Seed 003: sign has zero gradient; the rule uses the sigmoid's derivative instead
differentiable_sign(x) = sign(x)
grad differentiable_sign(x, upstream) = upstream * sigmoid(x) * (1 - sigmoid(x))
x = 3.0
y = differentiable_sign(x)
loss = l2_loss(y - -1.0)
"""

_SIGN_TRAIN = """\
# Seed 003: train x so that sign(x) = 1, through the surrogate gradient
differentiable_sign(x) = sign(x)
grad differentiable_sign(x, upstream) = upstream * sigmoid(x) * (1 - sigmoid(x))
x = Variable(-1.0)
y = differentiable_sign(x)
loss = l2_loss(y - 1.0)
"""

PRESETS = [
    Preset("foo3", "foo∘foo∘foo (chain rule)", "001/003",
           "foo(x) = x² three times: upstream 1 → 32 → 256, downstream 1024 at x = 2.",
           _FOO, expect="dy/dx = 1024"),
    Preset("two_step", "y = 5x² + 3 in two steps", "000",
           "Two steps, each differentiated by TensorFlow: 12 for step 1, 60 for both.",
           _TWO_STEP, targets=("y2",), expect="dy1/dx = 12, dy2/dx = 60"),
    Preset("bad_step", "bad_step: straight-through", "000",
           "x² above 5, a constant below: automatic gives None at x = 2, "
           "the straight-through rule gives 5.", _BAD_STEP, targets=("y2",),
           expect="automatic: None; custom: 1 and 5; x = 7: 49, 248, 14, 70"),
    Preset("log1pexp", "log1pexp (custom gradient docs)", "001",
           "The tf.custom_gradient documentation example: stable gradient at x = 100.",
           _LOG1PEXP, expect="custom: 1.0; automatic: NaN"),
    Preset("f_variables", "f(w1, w2) with Variables", "002",
           "3w1² + 2w1w2 at (5, 3): gradients 36 and 10.", _F002,
           expect="36, 10; Hessian 6, 2, 2, None"),
    Preset("f_constants", "f with constants and watch", "002",
           "Constants are not watched by default: None, None; watched: 36, 10.",
           _F002_CONST, watch=(), expect="None, None; watched 36, 10"),
    Preset("f_multi", "several targets add up", "002",
           "tape.gradient([z1, z2, z3], [w1, w2]) = 136, 30.", _F002_MULTI,
           targets=("z1", "z2", "z3"), expect="136, 30"),
    Preset("f_stop", "stop_gradient", "002",
           "stop_gradient(2 w1 w2): 30 and None.", _F002_STOP, expect="30, None"),
    Preset("softplus", "softplus overflows (NaN)", "002",
           "log(exp(100) + 1) in float32: inf forward, NaN gradient.", _SOFTPLUS,
           expect="gradient NaN"),
    Preset("softplus_custom", "softplus with a custom gradient", "002",
           "The custom rule gives gradient 1.0 at 100 though the forward value is inf.",
           _SOFTPLUS_CUSTOM, expect="gradient 1.0"),
    Preset("softplus_where", "softplus with tf.where (the trap)", "002",
           "where(z > 30, z, log(exp(z) + 1)) at 1000: forward 1000, gradient NaN.",
           _SOFTPLUS_WHERE, expect="1000, NaN"),
    Preset("bar", "bar(x, y) = x·y", "003",
           "A rule for each of two inputs: z = 6, dz/dx = 3, dz/dy = 2.", _BAR,
           expect="6, 3, 2"),
    Preset("sign", "differentiable sign", "003",
           "sign forward, sigmoid derivative backward at x = 3: y = 1, dy/dx = 0.0451766551, "
           "loss 2, d loss/dx = 0.0903533101 (as the notebook printed).",
           _SIGN, targets=("loss",), expect="1, 0.0451766551, 2, 0.0903533101"),
    Preset("sign_train", "sign training (loss)", "003",
           "The seed's training problem at its first step: x = -1, loss 2, gradient -0.393.",
           _SIGN_TRAIN, targets=("loss",), expect="loss 2, gradient -0.3932239"),
]
_BY_KEY = {p.key: p for p in PRESETS}


def preset(key: str) -> Preset:
    """The preset named ``key``.

    >>> preset("foo3").title
    'foo∘foo∘foo (chain rule)'
    """
    return _BY_KEY[key]


# The seed cells as TensorFlow Python, in their original text (issue 18): graphviz_core.seed_cells
from .seed_cells import PYTHON_PRESETS  # noqa: E402

PRESETS += PYTHON_PRESETS
_BY_KEY.update((p.key, p) for p in PYTHON_PRESETS)
