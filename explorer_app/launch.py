"""Start the Streamlit server with TensorFlow already imported and run once (issue 20).

``python -m explorer_app.launch [streamlit run options...]`` is ``streamlit run app.py``
with one step first: this process imports TensorFlow, the core and plotly, and explores the
default preset once, before the server listens. Streamlit runs every page's script inside
this same process, so the first student's page finds everything imported and TensorFlow's
kernels, the parser and the layout engine warm; without it the first page of a fresh server
waits several seconds for the import (bench/README.md, "The first page").

It also starts the low-priority process that runs costly programs
(:mod:`explorer_app.lane`) in the background.

The warm-up result is thrown away: nothing a session sees is computed here, and no state is
kept for sessions (the app's caches start empty). ``make run``, ``make serve``, the
``Dockerfile`` and ``deploy/`` start the server this way.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def warm(script: str = "app.py") -> float:
    """Import what the pages import and run the default preset once; seconds it took.
    Another script (the load test's hello-world floor) is served as it is, unwarmed."""
    start = time.perf_counter()
    if Path(script).resolve() != ROOT / "app.py":
        return 0.0
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import plotly.graph_objects  # noqa: F401 - imported by every page's figures
    import tensorflow  # noqa: F401
    explore_default()
    return time.perf_counter() - start


def explore_default(cache=None) -> None:
    """Explore the Explorer's default preset once (kernels, parser and layout warm)."""
    import graphviz_core as gc
    preset = gc.preset("foo3")
    gc.explore(preset.source, preset.inputs, preset.modes, cache=cache)


def _start_lane() -> None:
    """Start the process that runs costly programs (explorer_app/lane.py) while the server
    comes up, so the first visitor who sends one does not wait for its TensorFlow import."""
    import threading
    from explorer_app import lane
    heavy = lane.shared()
    if heavy is not None:
        threading.Thread(target=heavy.start, name="lane-start", daemon=True).start()


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    script = next((a for a in args if a.endswith(".py")), None)
    if script is None:
        script = str(ROOT / "app.py")
        args.insert(0, script)
    sys.path.insert(0, str(ROOT))
    took = warm(script)
    print(f"warmed TensorFlow and the core in {took:.1f} s", file=sys.stderr, flush=True)
    if took:
        _start_lane()
    from streamlit.web import cli
    sys.argv = ["streamlit", "run", *args]
    return cli.main()


if __name__ == "__main__":
    sys.exit(main())
