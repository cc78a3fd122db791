"""What one training step leaves behind: :class:`StepRecord`, and the seed's printout of a run
as table rows (:func:`step_rows`). Used by the sign-training lab
(``pages/5_Sign_training_lab.py``, seed 003) and drawn by
:mod:`graphviz_core.figures.training`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..report import fmt

__all__ = ["StepRecord", "step_rows", "record_value", "default_value_name"]


@dataclass(frozen=True)
class StepRecord:
    """One training step, with seed 003's printout columns.

    step       0-based
    loss       the target's value before the update (the sum, for several targets)
    gradients  {param: d loss / d param before the update, or None}
    params     {param: value after the update}
    values     {name: forward value before the update} for every input and assignment
    """
    step: int
    loss: float
    gradients: dict
    params: dict
    values: dict


def record_value(v):
    """A record's value: a float for a number, an array for a tensor, None for None.

    >>> import numpy as np
    >>> record_value(np.float32(0.5)), record_value(np.array([1.0, 2.0])), record_value(None)
    (0.5, array([1., 2.]), None)
    """
    if v is None:
        return None
    a = np.asarray(v)
    return float(a) if a.ndim == 0 else a


def step_rows(records, every: int = 10, value: str | None = None) -> list[dict]:
    """The seed's printout: every ``every``-th step, ``step, loss, grads, params, value``.

    >>> import graphviz_core as gc
    >>> prog = gc.parse(gc.preset("sign_train").source)
    >>> rows = step_rows(list(gc.train(prog, "x", "loss", steps=20)))
    >>> [r["step"] for r in rows], rows[0]["loss"], rows[0]["y"]
    ([0, 10], 2.0, -1.0)
    """
    records = list(records)
    if not records:
        return []
    params = list(records[0].params)
    value = value or default_value_name(records[0])
    rows = []
    for r in records:
        if r.step % every:
            continue
        row = {"step": r.step, "loss": r.loss}
        for p in params:
            row["grads" if len(params) == 1 else f"grad {p}"] = _cell(r.gradients[p])
        for p in params:
            row[p] = _cell(r.params[p])
        if value is not None:
            row[value] = _cell(r.values[value])
        rows.append(row)
    return rows


def default_value_name(record: StepRecord) -> str | None:
    """The value the loss is computed from: ``y`` in seed 003 (the assignment before it).

    >>> r = StepRecord(0, 2.0, {"x": 0.0}, {"x": -0.9}, {"x": -1.0, "y": -1.0, "loss": 2.0})
    >>> default_value_name(r)
    'y'
    """
    names = [n for n in record.values if n not in record.params]
    if not names:
        return None
    return names[-2] if len(names) > 1 else names[-1]


def _cell(v):
    """A table cell: a number as it is, a tensor as text."""
    return fmt(v) if isinstance(v, np.ndarray) else v
