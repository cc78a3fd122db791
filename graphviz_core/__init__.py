"""Computational Graph Explorer core: parse a small program, trace it in TensorFlow, draw it.

Pure Python + TensorFlow + networkx + plotly; never imports streamlit.

>>> import graphviz_core as gc
>>> t = gc.trace(gc.parse("x = 3.0\\ny = x * x"))
>>> t.gradients["x"]
6.0
"""
from . import links
from . import links as state  # the old name of links (share-link state), kept for callers
from .codegen import to_tensorflow
from .examples import PRESETS, Preset, preset
from .explorer import Exploration, explore
from .figures import (PALETTE, backward_figure, backward_spec, figure_from_spec, inspect_spec,
                      node_choices)
from .language import (BUILTINS, LIMITS, Function, Input, Program, ProgramError, parse,
                       set_input_kind, set_input_value)
from .layout import layered_layout
from .report import event_rows, explain_gradient, fmt, gradient_rows
from .style import PRESENTATION_CSS
from .tracer import BackwardEvent, Trace, hessian, trace

__all__ = [
    "parse", "ProgramError", "Program", "Function", "Input", "BUILTINS", "LIMITS",
    "set_input_kind", "set_input_value", "trace", "hessian", "Trace", "BackwardEvent",
    "PRESETS", "Preset", "preset",
    "backward_figure", "backward_spec", "figure_from_spec", "PALETTE", "layered_layout",
    "inspect_spec", "node_choices",
    "event_rows", "gradient_rows", "explain_gradient", "fmt",
    "to_tensorflow", "explore", "Exploration", "links", "state", "PRESENTATION_CSS",
]
# Modules added by later work register their public names below, one block each.

# Lessons (pages/1_Chain_rule.py .. pages/4_Numerical_stability.py): graphviz_core.lessons
from . import lessons  # noqa: E402
from .lessons import (CHAIN_RULES, FORMULATIONS, ChainRule, ChainVariant,  # noqa: E402
                      FiniteDifferences, Formulation, StraightThrough, Sweep, TapeTwice,
                      TwoStep, WhereTrap, bad_step_at, chain_rule, chain_source, explorer_link,
                      finite_difference_figure, finite_differences, hessian_table,
                      overflow_threshold, seed_f, several_targets, stability_at,
                      stability_figure, stability_sweep, stop_gradient_case, straight_through,
                      straight_through_figure, sweep, tape_twice, two_step, watch_cases,
                      where_trap)
from .lessons import (BROADCAST_CASES, JACOBIAN_MAX_SIZE, BroadcastCase,  # noqa: E402
                      Jacobians, batch_literal, broadcast_case, jacobian_source, jacobians)

__all__ += ["lessons", *lessons.__all__]   # the names imported just above

# Training (pages/5_Sign_training_lab.py): graphviz_core.training, its curves in figures
from .figures import training_figure, training_spec  # noqa: E402
from .training import (OPTIMIZERS, SURROGATES, StepRecord, Surrogate,  # noqa: E402
                       Trainer, sign_program, step_rows, train, train_chunks)

__all__ += ["train", "train_chunks", "Trainer", "StepRecord", "training_figure",
            "training_spec", "step_rows",
            "OPTIMIZERS", "SURROGATES", "Surrogate", "sign_program"]

# Stage two: the op registry, the interpreter, rule checks (issue 14)
from .checks import RuleCheck, rule_checks  # noqa: E402
from .ops import OPS, OpSpec, ShapeError  # noqa: E402
from .compiled import CompiledTracer, TraceCache  # noqa: E402
from .interpreter import Forward, GraphRecorder, Settings, forward  # noqa: E402
from .tracer import resolve  # noqa: E402

__all__ += ["rule_checks", "RuleCheck", "OPS", "OpSpec", "ShapeError", "forward", "Forward",
            "GraphRecorder", "Settings", "resolve", "TraceCache", "CompiledTracer"]

# Stage two: the TensorFlow-Python form and what its script prints (issue 18)
from .codegen import short_source as to_short_form  # noqa: E402
from .pyform import ALLOWED as PYTHON_ALLOWED, detect_form  # noqa: E402
from .seed_cells import PRINTED as SEED_PRINTED, PYTHON_PRESETS  # noqa: E402

__all__ += ["to_short_form", "detect_form", "PYTHON_ALLOWED", "PYTHON_PRESETS", "SEED_PRINTED"]

# Tensors (issue 19): pages/6 broadcasting, pages/7 Jacobians, pages/8 the classifier lab
from .figures import boundary_figure, classifier_curves, forward_mode_figure, heatmaps  # noqa: E402,E501
from .training import (accuracy, classifier_program, decision_line,  # noqa: E402
                       probability_grid, train_classifier)

__all__ += ["heatmaps", "forward_mode_figure", "classifier_curves", "boundary_figure",
            "classifier_program", "train_classifier", "accuracy", "decision_line",
            "probability_grid"]
