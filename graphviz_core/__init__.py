"""Computational Graph Explorer core: parse a small program, trace it in TensorFlow.

Pure Python + TensorFlow + networkx + plotly; never imports streamlit.

>>> import graphviz_core as gc
>>> t = gc.trace(gc.parse("x = 3.0\\ny = x * x"))
>>> t.gradients["x"]
6.0
"""
from .language import BUILTINS, LIMITS, Function, Input, Program, ProgramError, parse
from .tracer import BackwardEvent, Trace, hessian, trace
from .examples import PRESETS, Preset, preset

__all__ = [
    "parse", "ProgramError", "Program", "Function", "Input", "BUILTINS", "LIMITS",
    "trace", "hessian", "Trace", "BackwardEvent",
    "PRESETS", "Preset", "preset",
]
from .figures import PALETTE, backward_figure
from .layout import layered_layout
from .report import event_rows, explain_gradient, fmt, gradient_rows

__all__ += ["backward_figure", "PALETTE", "layered_layout", "event_rows", "gradient_rows",
            "explain_gradient", "fmt"]
from .codegen import to_tensorflow
from .explorer import Exploration, explore
from . import state

__all__ += ["to_tensorflow", "explore", "Exploration", "state"]
