"""Every plotly figure of the app, one module per page family. Figures only draw: they take
finished results (a trace, a lesson's result, training records) and import nothing from
:mod:`graphviz_core.lessons`, so the lessons can import them.

* :mod:`.backward`: the animated backward pass of a trace (the Explorer, ``app.py``, and the
  lesson pages' graphs); its words in :mod:`.backward_text`, its sizes and controls in
  :mod:`.backward_layout`;
* :mod:`.lessons`: the curves and maps of the lesson pages (``pages/2`` .. ``pages/4``);
* :mod:`.training`: the training curves of the sign-training lab (``pages/5``);
* :mod:`.tensors`: heatmaps of small tensors (``pages/6``, ``pages/7``);
* :mod:`.jacobians`: forward mode's tangents on the graph (``pages/7``);
* :mod:`.classifier`: the classifier lab's curves and boundary (``pages/8``);
* :mod:`.palette`: the colours all of them use.

>>> import graphviz_core as gc
>>> p = gc.parse("x = 3.0\\ny = x * x")
>>> len(backward_spec(gc.trace(p), p)["frames"])    # 2 forward layers + 1 backward event
3
"""
from .backward import backward_figure, backward_spec, figure_from_spec
from .backward import _DYNAMIC, _T  # noqa: F401 - the figure's trace indices, for the tests
from .backward_text import node_hover, substitute
from .inspect import inspect_spec, node_choices
from .lessons import finite_difference_figure, stability_map, straight_through_figure
from .palette import PALETTE
from .tensors import heatmaps
from .jacobians import forward_mode_figure
from .classifier import boundary_figure, classifier_curves
from .training import RUN_COLORS, training_figure, training_spec

__all__ = [
    # the backward pass
    "backward_figure", "backward_spec", "figure_from_spec", "substitute", "node_hover",
    "PALETTE", "inspect_spec", "node_choices",
    # the lesson pages
    "straight_through_figure", "finite_difference_figure", "stability_map",
    # the training lab
    "training_figure", "training_spec", "RUN_COLORS",
    # tensors: the broadcasting and Jacobian lessons, the classifier lab
    "heatmaps", "forward_mode_figure", "classifier_curves", "boundary_figure",
]
