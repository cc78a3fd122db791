"""Lesson computations for the pages in ``pages/``, one module per lesson:

* :mod:`.chain_rule`: ``pages/1_Chain_rule.py`` (seeds 001 and 003);
* :mod:`.straight_through`: ``pages/2_Straight_through.py`` (seed 000);
* :mod:`.tape_mechanics`: ``pages/3_GradientTape_mechanics.py`` (seed 002);
* :mod:`.stability`: ``pages/4_Numerical_stability.py`` (seeds 001 and 002);
* :mod:`.broadcasting`: ``pages/6_Shapes_and_broadcasting.py`` (tensorflow#127690);
* :mod:`.jacobians`: ``pages/7_Jacobians.py`` (reverse and forward mode);
* :mod:`.shared`: what several lessons use (:func:`explorer_link`, :func:`sweep`).

Every public name is re-exported here, so a page reads ``lessons.chain_rule(...)``. Two
modules share their name with their main function: ``lessons.chain_rule`` and
``lessons.straight_through`` are the functions; the modules are in ``lessons/chain_rule.py``
and ``lessons/straight_through.py``.

Every number comes from TensorFlow, run now. Wherever the program language can say it, the
lesson runs a program through the engine (:func:`~graphviz_core.tracer.trace`,
:func:`~graphviz_core.tracer.hessian`, and :func:`sweep`); where it cannot (a tape asked
twice, a persistent tape) a small TensorFlow function does what the notebook did, with the
student's numbers. Results are plain data (dataclasses of floats, strings and rows) or plotly
figures (drawn by :mod:`graphviz_core.figures`); nothing here imports streamlit, so a page is
widgets, one call, render. Page 5, the sign-training lab, is :mod:`graphviz_core.training`.

>>> two_step(6.0).grad_y2
60.0
"""
from .broadcasting import BROADCAST_CASES, BroadcastCase, batch_literal, broadcast_case
from .chain_rule import CHAIN_RULES, ChainRule, ChainVariant, chain_rule, chain_source
from .shared import Sweep, explorer_link, sweep
from .stability import (FORMULATIONS, Formulation, WhereTrap, overflow_threshold, stability_at,
                        stability_figure, stability_sweep, where_trap)
from .straight_through import (StraightThrough, TwoStep, bad_step_at, straight_through,
                               straight_through_figure, two_step)
from .jacobians import MAX_SIZE as JACOBIAN_MAX_SIZE
from .jacobians import Jacobians, jacobian_source, jacobians
from .tape_mechanics import (FiniteDifferences, TapeTwice, finite_difference_figure,
                             finite_differences, hessian_table, seed_f, several_targets,
                             stop_gradient_case, tape_twice, watch_cases)

__all__ = [
    # shared
    "explorer_link", "sweep", "Sweep",
    # 1 chain rule
    "chain_source", "chain_rule", "ChainRule", "ChainVariant", "CHAIN_RULES",
    # 2 straight-through estimators
    "two_step", "TwoStep", "bad_step_at", "straight_through", "StraightThrough",
    "straight_through_figure",
    # 3 GradientTape mechanics
    "seed_f", "finite_differences", "FiniteDifferences", "finite_difference_figure",
    "tape_twice", "TapeTwice", "watch_cases", "several_targets", "hessian_table",
    "stop_gradient_case",
    # 4 numerical stability
    "FORMULATIONS", "Formulation", "overflow_threshold", "stability_sweep",
    "stability_figure", "stability_at", "where_trap", "WhereTrap",
    # 6 shapes and broadcasting
    "BROADCAST_CASES", "BroadcastCase", "broadcast_case", "batch_literal",
    # 7 Jacobians, reverse and forward
    "jacobians", "Jacobians", "jacobian_source", "JACOBIAN_MAX_SIZE",
]
