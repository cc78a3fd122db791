"""ui.py's pure pieces: the rows a table is built from."""
import pandas as pd
import pyarrow as pa

from explorer_app import chrome as ui    # the repository root is on the path (pytest.ini)


def test_rows_go_to_arrow_unless_arrow_would_refuse_or_drop_something():
    table = ui._arrow([{"x": 1.0, "why": None}, {"x": 2.0, "why": "None: not watched"}])
    assert isinstance(table, pa.Table) and table.column("x").to_pylist() == [1.0, 2.0]
    mixed = ui._arrow([{"v": 1.0}, {"v": "NaN"}])                  # Arrow refuses
    late = ui._arrow([{"a": 1}, {"a": 2, "b": 3}])                 # Arrow drops "b"
    huge = ui._arrow([{"n": 2 ** 70}])                             # Arrow overflows
    assert all(isinstance(t, pd.DataFrame) for t in (mixed, late, huge))
    assert list(mixed["v"]) == [1.0, "NaN"] and list(late.columns) == ["a", "b"]
    assert huge["n"][0] == 2 ** 70
