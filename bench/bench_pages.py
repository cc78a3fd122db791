"""Rerun time of every page, in-process with Streamlit's AppTest (no browser, no websocket).

Run: .venv/bin/python bench/bench_pages.py
Each page is loaded once (TensorFlow imported, caches filled), then rerun with the same
widget values; the figure is the fastest of five reruns, in ms. AppTest adds its own cost
(it parses every element the page sends back), so compare pages with each other and with
the hello-world floor in the same run, not with the load test's latencies.
"""
from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streamlit.testing.v1 import AppTest  # noqa: E402

PAGES = [ROOT / "bench" / "hello_app.py", ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def rerun_ms(path: Path, repeat: int = 5) -> float:
    at = AppTest.from_file(str(path), default_timeout=120).run()
    if at.exception:
        raise RuntimeError(f"{path.name}: {at.exception[0].message}")
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
    return min(times) * 1e3


def lab_run_ms(repeat: int = 3) -> float:
    """The training lab's ▶ Run: 100 steps trained with the curves redrawn after each chunk
    of steps, as a student sees them grow. CPU time of the process (the page waits between
    redraws so that the curves are seen to grow; waiting is not work), fastest of
    ``repeat`` clicks, ms."""
    at = AppTest.from_file(str(ROOT / "pages" / "5_Sign_training_lab.py"),
                           default_timeout=120).run()
    times = []
    for _ in range(repeat):
        at.button(key="tl_clear").click().run()
        start = time.process_time()
        at.button(key="tl_run").click().run()
        times.append(time.process_time() - start)
        if at.exception:
            raise RuntimeError(at.exception[0].message)
    return min(times) * 1e3


def main():
    print(f"{'page':<34} {'rerun ms':>9}")
    for path in PAGES:
        print(f"{path.relative_to(ROOT).as_posix():<34} {rerun_ms(path):>9.1f}")
    print(f"{'lab: ▶ Run, 100 steps (CPU ms)':<34} {lab_run_ms():>9.1f}")


if __name__ == "__main__":
    main()
