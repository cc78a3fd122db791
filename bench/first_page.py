"""The first page in a real browser: from opening the URL to the first drawn graph (issue 20).

A class opens the link at the same minute. For each app this starts a server the way
``make run`` does (``python -m explorer_app.launch``: TensorFlow imported and warmed before
it listens), opens the page once to warm it (the "warm server" case), then opens it
``--runs`` times, each time in a new browser context (no cache, a new Streamlit session),
in headless Chromium at 1920x1080, and times:

* ``graph``: ``page.goto`` to the first plotly chart drawn (a ``.js-plotly-plot`` whose SVG
  holds at least one trace), the moment a student sees a graph;
* ``idle``: to the script's end (Streamlit's status widget gone and no element stale);
* the bytes and the number of requests the browser fetched, and the script runs the
  server did for the visit (from the websocket's ``script_finished`` messages).

The floor is ``bench/one_chart_app.py`` (Streamlit plus one plotly chart). Also ``--cold``:
the first visit of a server started without the warm-up (what the launcher removes).

    .venv/bin/python bench/first_page.py --runs 7
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = {"explorer": ROOT / "app.py", "one-chart": ROOT / "bench" / "one_chart_app.py"}
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]

DRAWN = """() => [...document.querySelectorAll('.js-plotly-plot')].some(
    p => p.querySelector('.main-svg') && p.querySelectorAll('.trace, .scatterlayer g').length)"""
IDLE = """() => !document.querySelector('[data-testid="stStatusWidget"]') &&
    !document.querySelector('[data-stale="true"]') &&
    document.querySelectorAll('.js-plotly-plot').length > 0"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, script: Path, warm: bool = True):
        self.script, self.warm, self.port = script, warm, free_port()

    def __enter__(self):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        entry = ["-m", "explorer_app.launch"] if self.warm else ["-m", "streamlit", "run"]
        self.log = open(Path(tempfile.gettempdir()) / f"first_page-{self.port}.log", "wb")
        self.proc = subprocess.Popen(
            [sys.executable, *entry, str(self.script), "--server.port", str(self.port),
             "--server.address", "127.0.0.1", "--server.headless", "true"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        self.started = time.perf_counter()
        for _ in range(1200):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_stcore/health",
                                            timeout=1) as r:
                    if r.read().strip() == b"ok":
                        self.ready = time.perf_counter() - self.started
                        return self
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise RuntimeError("server did not start")

    def __exit__(self, *exc):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/"


def visit(browser, url: str) -> dict:
    """One first visit in a fresh context: seconds to the graph and to idle, bytes, runs."""
    ctx = browser.new_context(viewport={"width": 1920, "height": 1080})
    page = ctx.new_page()
    fetched = {"bytes": 0, "requests": 0}
    runs = []

    def on_response(resp):
        fetched["requests"] += 1
        try:
            fetched["bytes"] += int(resp.headers.get("content-length") or 0)
        except ValueError:
            pass

    def on_ws(ws):
        def frame(payload):
            if isinstance(payload, (bytes, bytearray)):
                from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
                m = ForwardMsg()
                try:
                    m.ParseFromString(bytes(payload))
                except Exception:  # noqa: BLE001 - a frame we cannot read is not counted
                    return
                if m.WhichOneof("type") == "script_finished":
                    runs.append(m.script_finished)
                fetched["bytes"] += len(payload)
        ws.on("framereceived", frame)

    page.on("response", on_response)
    page.on("websocket", on_ws)
    start = time.perf_counter()
    page.goto(url, wait_until="commit")
    page.wait_for_function(DRAWN, timeout=120_000, polling=10)
    graph = time.perf_counter() - start
    page.wait_for_function(IDLE, timeout=120_000, polling=20)
    idle = time.perf_counter() - start
    ctx.close()
    return dict(graph=graph, idle=idle, kb=fetched["bytes"] / 1024,
                requests=fetched["requests"], runs=len(runs))


def measure(app: str, runs: int, warm: bool = True) -> dict:
    from playwright.sync_api import sync_playwright
    with Server(APPS[app], warm=warm) as srv, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        first = visit(browser, srv.url)             # the first student after the start
        visits = [visit(browser, srv.url) for _ in range(runs)]
        browser.close()
    med = {k: statistics.median(v[k] for v in visits) for k in visits[0]}
    return dict(app=app, warm=warm, ready=srv.ready, first=first, median=med,
                graph_all=[round(v["graph"], 2) for v in visits])


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--cold", action="store_true",
                    help="also a server started without the launcher's warm-up")
    args = ap.parse_args(argv)
    rows = [measure("one-chart", args.runs), measure("explorer", args.runs)]
    if args.cold:
        rows.append(measure("explorer", 1, warm=False))
    print("| app | server start | health s | first visit: graph s | warm: graph s (median) "
          "| warm: idle s | kB | requests | script runs per visit | every warm visit s |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m = r["median"]
        print(f"| {r['app']} | {'launcher (warm)' if r['warm'] else 'streamlit run (cold)'} | "
              f"{r['ready']:.1f} | {r['first']['graph']:.2f} | {m['graph']:.2f} | "
              f"{m['idle']:.2f} | {m['kb']:.0f} | {m['requests']:.0f} | {m['runs']:.0f} | "
              f"{r['graph_all']} |")
    base = rows[0]["median"]["graph"]
    print(f"\nExplorer / one-chart, warm server, time to the first drawn graph: "
          f"{rows[1]['median']['graph'] / base:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
