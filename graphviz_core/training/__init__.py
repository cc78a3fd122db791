"""Training a program's inputs with a Keras optimizer, for the sign-training lab
(``pages/5_Sign_training_lab.py``, seed 003).

* :mod:`.loop`: :func:`train`, :func:`train_chunks` and :class:`Trainer`, the compiled (or
  eager) training step, :data:`OPTIMIZERS`;
* :mod:`.surrogates`: the gradients for ``sign`` (:data:`SURROGATES`) and the seed's program
  with one of them (:func:`sign_program`);
* :mod:`.classifier`: the binarized classifier lab (``pages/8_Binarized_classifier.py``):
  :func:`classifier_program`, :func:`train_classifier`, :func:`accuracy`, the boundary;
* :mod:`.records`: :class:`StepRecord`, one step's numbers, and :func:`step_rows`, the seed's
  printout.

The curves are drawn by :mod:`graphviz_core.figures.training` (:func:`training_figure`,
:func:`training_spec`, ``RUN_COLORS``); those names can be read from here too.

>>> prog, modes = sign_program("sigmoid")
>>> [round(r.params["x"], 2) for r in train(prog, "x", "loss", modes=modes, steps=3)]
[-0.9, -0.8, -0.7]
"""
from .classifier import (accuracy, blobs, classifier_program, decision_line,
                         probability_grid, train_classifier)
from .loop import OPTIMIZERS, Trainer, train, train_chunks
from .records import StepRecord, step_rows
from .surrogates import SURROGATES, Surrogate, sign_program

__all__ = ["StepRecord", "Trainer", "train", "train_chunks", "OPTIMIZERS", "Surrogate",
           "SURROGATES", "sign_program", "training_figure", "training_spec", "step_rows",
           "RUN_COLORS", "classifier_program", "train_classifier", "accuracy", "blobs",
           "decision_line", "probability_grid"]

# The figure's names, read from graphviz_core.figures.training when first asked for: that
# module draws StepRecords (it imports .records), so importing it here, at the top, would be
# an import cycle.
_FIGURE_NAMES = ("training_figure", "training_spec", "RUN_COLORS")


def __getattr__(name):
    if name in _FIGURE_NAMES:
        from ..figures import training as figures
        return getattr(figures, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FIGURE_NAMES))
