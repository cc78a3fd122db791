"""Settings for a public server: Streamlit's config file and the per-run clean-up override.

A Streamlit upgrade that renames the clean-up hook, or an edit that drops a public-instance
setting, fails here rather than silently costing a class its latency or its safety.
"""
from __future__ import annotations

import sys
import tomllib
import types
from pathlib import Path

import pytest

from explorer_app import server as server_tuning

CONFIG = Path(__file__).resolve().parents[1] / ".streamlit" / "config.toml"


@pytest.fixture
def hook():
    from streamlit.runtime.scriptrunner import script_runner
    original = script_runner._clean_problem_modules
    yield script_runner
    script_runner._clean_problem_modules = original


def test_configure_replaces_streamlits_per_run_keras_clean_up(hook, monkeypatch):
    calls = []
    fake_keras = types.SimpleNamespace(backend=types.SimpleNamespace(
        clear_session=lambda *a, **k: calls.append("keras")))
    fake_plt = types.SimpleNamespace(close=lambda what: calls.append(f"plt:{what}"))
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", fake_plt)

    if hook._clean_problem_modules is not server_tuning._clean_problem_modules_but_keras:
        hook._clean_problem_modules()               # Streamlit's own: clears Keras
        assert calls == ["keras", "plt:all"]        # (unless a page test configured it)
        calls.clear()
    assert server_tuning.configure() is True
    assert server_tuning.configure() is True        # idempotent
    hook._clean_problem_modules()                   # ours: matplotlib only
    assert calls == ["plt:all"]


def test_public_instance_settings():
    cfg = tomllib.loads(CONFIG.read_text())
    server, runner = cfg["server"], cfg["runner"]
    assert server["enableXsrfProtection"] is True
    assert server["maxUploadSize"] <= 1                     # the app has no uploader
    assert 0 < server["maxMessageSize"] <= 100
    assert cfg["global"]["developmentMode"] is False
    assert cfg["browser"]["gatherUsageStats"] is False
    assert cfg["client"]["toolbarMode"] == "minimal"
    assert cfg["client"]["showErrorDetails"] in ("none", "type")  # never a traceback
    assert server["fileWatcherType"] == "none" and server["runOnSave"] is False
    assert "cookieSecret" not in server                     # comes from the environment
    assert runner["postScriptGC"] is False                  # bench/README.md: 37 % of CPU


def test_the_image_holds_every_local_module_the_pages_import():
    """The Dockerfile copies an explicit list; a new top-level module must be on it."""
    import ast

    root = CONFIG.parents[1]
    copied = set()
    for line in (root / "Dockerfile").read_text().splitlines():
        if line.startswith("COPY --chown"):
            copied.update(p.rstrip("/") for p in line.split()[2:-1])
    local = {p.stem for p in root.glob("*.py")} | {p.name for p in root.iterdir()
                                                   if (p / "__init__.py").exists()}
    for script in [root / "app.py", *sorted((root / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(script.read_text())):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                     [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            for name in names:
                top = name.split(".")[0]
                if top in local:
                    assert f"{top}.py" in copied or top in copied, \
                        f"{script.name} imports {top}, which the Dockerfile does not copy"
    assert {"app.py", "pages", "assets", ".streamlit"} <= copied


def _two_charts(preset):
    """A page drawing one spec twice: as a go.Figure, and through plotly_spec."""
    import streamlit as st

    import graphviz_core as gc
    from explorer_app import server as server_tuning
    p = gc.parse(gc.preset(preset).source)
    spec = gc.backward_spec(gc.trace(p), p)
    st.plotly_chart(gc.figure_from_spec(spec), key="figure")
    st.plotly_chart(server_tuning.plotly_spec(spec), key="spec")


@pytest.mark.parametrize("preset", ["foo3", "softplus_where"])
def test_plotly_spec_sends_the_chart_a_figure_sends(preset):
    """The fast path ships exactly what st.plotly_chart(go.Figure) ships, template and
    frames included; it fails if a Streamlit upgrade asks a figure for more than to_dict."""
    import json

    from streamlit.testing.v1 import AppTest
    at = AppTest.from_function(_two_charts, args=(preset,), default_timeout=120).run()
    assert not at.exception
    figure, spec = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert figure == spec
    assert spec["layout"]["template"] and len(spec["frames"]) >= 3


def test_plotly_spec_leaves_the_shared_spec_alone():
    import graphviz_core as gc
    p = gc.parse(gc.preset("foo3").source)
    spec = gc.backward_spec(gc.trace(p), p)
    before = repr(spec)
    shipped = server_tuning.plotly_spec(spec).to_dict()
    assert "template" not in spec["layout"] and repr(spec) == before
    assert shipped["data"] is spec["data"] and shipped["frames"] is spec["frames"]


def test_paced_keeps_every_chunk_and_spaces_them_out():
    import time
    seen = []
    start = time.perf_counter()
    for chunk in server_tuning.paced(iter([[1], [2, 3], [4]]), every=0.05):
        seen.append((chunk, time.perf_counter() - start))
    assert [c for c, _ in seen] == [[1], [2, 3], [4]]
    assert seen[0][1] < 0.05                        # the first at once
    gaps = [b - a for (_, a), (_, b) in zip(seen, seen[1:])]
    assert min(gaps) >= 0.05, gaps                  # then one per 0.05 s at most


def test_the_launcher_warms_the_explorer_and_leaves_other_scripts_alone():
    """``python -m explorer_app.launch`` (make run, make serve, the Dockerfile): the
    Explorer's imports and one run of the default preset happen before the server listens,
    so the first student does not wait for TensorFlow; another script is served as is."""
    import sys
    from explorer_app import launch
    assert launch.warm(str(launch.ROOT / "bench" / "hello_app.py")) == 0.0
    assert launch.warm(str(launch.ROOT / "app.py")) > 0
    assert "tensorflow" in sys.modules and "graphviz_core" in sys.modules
