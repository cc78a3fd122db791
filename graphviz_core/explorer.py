"""The Explorer's one core call: text and settings in, everything the page shows out.

:func:`explore` never raises for anything a user can type or put in a URL: a bad program or
bad setting comes back as ``error`` (with line and column for a :class:`ProgramError`), and
settings that no longer fit an edited program (an input that was renamed, say) are dropped
with a note instead of failing.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import tensorflow as tf

from .checks import loud_checks
from .codegen import to_tensorflow
from .figures import backward_spec, figure_from_spec
from .figures.frames import check_screen
from .language import Program, ProgramError, parse
from .report import event_rows, fmt, gradient_rows, value_notes
from .interpreter import Budget, PageClosed
from .tracer import Trace, tf_words, trace
from .values import nonfinite, same

__all__ = ["explore", "Exploration", "fit_settings"]


@dataclass
class Exploration:
    source: str
    program: Program | None = None
    error: Exception | None = None
    trace: Trace | None = None
    spec: dict | None = None      # the animated figure as plotly.js reads it (backward_spec)
    events: list = field(default_factory=list)
    gradients: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    compare: dict = field(default_factory=dict)   # {"automatic"|"custom": Exploration}
    checks: list = field(default_factory=list)    # rule checks the page shows: chain, shape
    settings: dict = field(default_factory=dict)  # what was actually traced
    output: list = field(default_factory=list)    # what a TensorFlow-Python cell printed
    _code: str | None = field(default=None, repr=False, compare=False)   # see code

    @property
    def code(self) -> str:
        """The program as TensorFlow code that prints the same numbers (the export),
        written when first asked: most reruns never show it ("" without a trace)."""
        if self._code is None:
            t = self.trace
            self._code = "" if t is None or self.program is None else to_tensorflow(
                self.program, inputs=t.inputs, modes=t.modes, targets=t.targets,
                watch=t.watched, dtype=self.settings.get("dtype", t.dtype))
        return self._code

    @property
    def figure(self):
        """The animated figure as a ``go.Figure``, built from ``spec`` on every call.

        Pages ship ``spec``; this is for exports (``to_html``) and anyone who wants plotly's
        objects. It is not kept: an exploration may be cached and shared by many sessions
        (and pickled), and a kept figure would double its memory and its unpickling time.
        """
        return None if self.spec is None else figure_from_spec(self.spec)

    def html(self) -> str:
        """The animation as a page of its own (the "Animation (.html)" download): titled
        with the program, plotly.js inline (it opens offline), and room above the graph for
        plotly's toolbar, which otherwise covered the key.

        >>> import graphviz_core as gc
        >>> page = explore(gc.preset("foo3").source).html()
        >>> page.count("<title>Backward pass of y — Computational Graph Explorer</title>")
        1
        """
        import html as html_lib
        fig = self.figure
        top = fig.layout.margin.t or 0
        fig.update_layout(margin_t=top + 40, height=(fig.layout.height or 400) + 40)
        targets = " + ".join(self.trace.targets) if self.trace is not None else "the program"
        title = html_lib.escape(f"Backward pass of {targets} — Computational Graph Explorer")
        page = fig.to_html(include_plotlyjs=True, auto_play=False, full_html=True,
                           config={"displaylogo": False})
        return page.replace("<head>", f"<head><title>{title}</title>", 1)

    @property
    def ok(self) -> bool:
        return self.error is None and self.trace is not None

    def error_text(self) -> str:
        e = self.error
        if isinstance(e, ProgramError):
            hint = f" — {e.hint}" if e.hint else ""
            return f"Line {e.line}, column {e.column}: {e.message}{hint}"
        return str(e)


def fit_settings(prog: Program, inputs=None, modes=None, targets=None, watch=None):
    """Keep only the settings that still name something in ``prog``; say what was dropped."""
    notes = []
    inputs = {k: v for k, v in (inputs or {}).items() if k in prog.inputs}
    fit_modes = {}
    for k, v in (modes or {}).items():
        fn = prog.functions.get(k)
        if fn is not None and (v == "automatic" or fn.has_custom_gradient):
            fit_modes[k] = v
    names = set(prog.inputs) | set(prog.assignments)
    fit_targets = [t for t in (targets or []) if t in names]
    if targets and len(fit_targets) < len(targets):
        gone = [t for t in targets if t not in names]
        notes.append(f"target {', '.join(gone)} is no longer in the program; "
                     f"using {', '.join(fit_targets) or prog.default_target}")
    if watch is not None:
        watch = [w for w in watch if w in prog.inputs]
    return inputs, fit_modes, (fit_targets or None), watch, notes


def explore(source: str, inputs=None, modes=None, targets=None, watch=None,
            dtype: str = "float32", expand: bool = False, presentation: bool = False,
            compare: bool = False, speed: float = 1.0, cache=None, alive=None,
            form: str = "auto", screen: str = "normal") -> Exploration:
    """Parse, trace and draw; on any user error return it in ``Exploration.error``.

    ``cache``: a :class:`~graphviz_core.tracer.TraceCache`; a program structure traced before
    then runs compiled (same numbers, several times faster). ``alive``: a callable the
    traces ask now and then; once it says False (the page closed) they stop. ``form``:
    ``"auto"``, ``"short"`` or ``"python"`` (see :func:`~graphviz_core.language.parse`);
    a Python cell's printout is ``output`` (also when TensorFlow stopped it). ``screen``:
    ``"large"`` draws the graph for a 1920x1080 screen (more room, the same type; see
    :data:`~graphviz_core.figures.frames.VIEWS`).

    >>> import graphviz_core as gc
    >>> ex = explore(gc.preset("foo3").source)
    >>> ex.ok, ex.trace.gradients["x"], len(ex.figure.frames)
    (True, 1024.0, 7)
    >>> explore("y = q").error_text()
    "Line 1, column 5: unknown name 'q' — assign it on an earlier line"
    """
    ex = Exploration(source=source)
    try:
        _fill(ex, source, inputs, modes, targets, watch, dtype, expand, presentation, compare,
              speed, cache, Budget(alive=alive), form, screen)
        return ex
    except PageClosed:
        raise           # nobody waits for it, and it must not be cached as the answer
    except (ProgramError, ValueError) as e:
        error = e
    except tf.errors.OpError as e:
        error = ProgramError(f"TensorFlow refused the program: {tf_words(e)}", 1, 1,
                             "check the shapes a rule returns")
    except (TypeError, AttributeError) as e:      # settings of the wrong type (a caller's bug)
        error = ValueError(f"the settings were not valid ({type(e).__name__}): "
                           f"{str(e)[:200]}")
    except (RecursionError, MemoryError, SystemError) as e:
        # hostile text can reach Python's own limits; never the page's exception box
        error = ProgramError(f"the program is too complex to run ({type(e).__name__})", 1,
                             1, "make it smaller: fewer nested calls or shorter lines")
    return Exploration(source=source, program=ex.program, error=error,
                       output=list(getattr(error, "output", None) or ex.output))


def _fill(ex, source, inputs, modes, targets, watch, dtype, expand, presentation, compare,
          speed, cache, budget, form="auto", screen="normal") -> None:
    """Everything :func:`explore` returns, into ``ex``; one budget for all its traces."""
    speed = float(speed)
    if not (math.isfinite(speed) and 0 < speed <= 100):
        raise ValueError(f"speed must be a positive number, not {speed!r}")
    check_screen(screen)        # before any tracing
    prog = parse(source, form=form)
    ex.program = prog
    inputs, modes, targets, watch, ex.notes = fit_settings(prog, inputs, modes, targets, watch)
    t = trace(prog, inputs=inputs, modes=modes, targets=targets, watch=watch, dtype=dtype,
              expand=expand, cache=cache, budget=budget)
    ex.trace = t
    ex.output = list(t.output)
    ex.settings = dict(inputs=t.inputs, modes=t.modes, targets=list(t.targets),
                       watch=list(t.watched), dtype=dtype, expand=expand)
    # a custom rule that breaks the chain rule or a shape: above the graph, its node outlined
    # (a rule that differs from automatic on purpose, a surrogate, is the side by side's)
    ex.checks = loud_checks(t)
    layouts = getattr(cache, "layouts", None)
    ex.spec = backward_spec(t, prog, presentation=bool(presentation), speed=speed,
                            layouts=layouts, flagged={c.node for c in ex.checks},
                            screen=screen)
    ex.events = event_rows(t)
    ex.gradients = gradient_rows(t, prog)
    ex.notes += value_notes(t, prog)
    if t.error:
        ex.notes.insert(0, t.error)
    custom = [n for n, f in prog.functions.items() if f.has_custom_gradient]
    if compare and custom:
        try:
            _compare(ex, prog, t, custom, expand, presentation, speed, cache, budget)
        except PageClosed:
            raise
        except (ProgramError, ValueError, tf.errors.OpError) as e:   # the side by side only
            ex.compare = {}
            ex.notes.append(f"Automatic vs custom could not be traced: {e}")


def _compare(ex, prog, t, custom, expand, presentation, speed, cache, budget) -> None:
    """Both sides of "automatic vs custom", and a note where the rules change a gradient."""
    for mode in ("automatic", "custom"):
        both = dict(t.modes, **{n: mode for n in custom})
        other = trace(prog, inputs=t.inputs, modes=both, targets=t.targets,
                      watch=t.watched, dtype=t.dtype, expand=expand, cache=cache,
                      budget=budget)
        side = Exploration(source=ex.source, program=prog, trace=other,
                           spec=backward_spec(other, prog, presentation=presentation,
                                              speed=speed, layouts=getattr(cache, "layouts",
                                                                           None)),
                           events=event_rows(other), gradients=gradient_rows(other, prog))
        ex.compare[mode] = side
    ex.notes += _rule_differences(ex.compare["custom"].trace, ex.compare["automatic"].trace)


def _nearly_same(a, b) -> bool:
    """:func:`~graphviz_core.values.same` with a relative tolerance of 1e-6 (None and NaN
    compare as there)."""
    return same(a, b, rel=1e-6)


def _rule_differences(custom: Trace, automatic: Trace) -> list[str]:
    """A note when the custom rules change a final gradient: a surrogate on purpose, or a
    rule that is not the derivative of its function (the bug side by side is for)."""
    diff = [n for n in custom.gradients
            if not _nearly_same(custom.gradients[n], automatic.gradients[n])]
    if not diff:
        return []
    d = " + ".join(custom.targets)
    pairs = ", ".join(f"∂({d})/∂{n} = {fmt(custom.gradients[n])} with the custom rules, "
                      f"{fmt(automatic.gradients[n])} with TensorFlow's automatic gradient"
                      for n in diff)
    auto = [automatic.gradients[n] for n in diff]
    if all(nonfinite(a) for a in auto):
        return [f"The custom rules give a number where TensorFlow's automatic gradient does "
                f"not: {pairs}. This is what a numerically stable rule is for."]
    return [f"The custom rules change the result: {pairs}. Right for a surrogate gradient; "
            "otherwise a rule is not the derivative of its function (see “Automatic vs "
            "custom”)."]
