"""Real-browser fixtures: one Streamlit server per session, headless Chromium, and waits.

``AppTest`` runs the page scripts but cannot see what a student sees: plotly animations,
hover labels, the layout. These fixtures serve the app with ``streamlit run`` on a free port
and drive it with Playwright in Debian's Chromium (Playwright cannot download a browser here).

* ``app_url``  -- the server (started once, stopped at the end; its log is kept in
  ``test-artifacts/streamlit.log``).
* ``app``      -- a fresh tab per test (a new Streamlit session) wrapped in :class:`App`:
  ``goto``, ``wait_idle``, ``rerun``, ``expect``, ``screenshot``; ``make_app`` makes one
  for a fixture that several tests share.

Waits are on conditions, never on time: ``wait_idle`` waits until the script has finished
and every element has rendered; ``rerun`` until the rerun a widget change caused is over.

Without Chromium or the ``playwright`` package the browser tests are skipped with the
reason, so the rest of the suite still runs. Set ``CHROMIUM=/path/to/chromium`` to use
another binary. Screenshots go to ``test-artifacts/screenshots/`` (emptied at the start of
a run): ``<name>.png`` is the 1920x1080 screen, ``<name>-full.png`` the whole page; a
failing test also leaves ``FAILED-<test>-<tab>.png`` there.
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
SCREENSHOTS = ARTIFACTS / "screenshots"
SERVER_LOG = ARTIFACTS / "streamlit.log"

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# without the background-networking flag Chromium keeps knocking on this machine's closed
# network; --no-sandbox because CI runs as root
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1920, "height": 1080}

STARTUP_TIMEOUT_S = 120      # the server answers /_stcore/health before TensorFlow is imported
APP_TIMEOUT_MS = 120_000     # ... so the first script run may take ~50 s on a cold machine
IDLE_MS = 300                # how long the page must stay idle to count as settled
EXPECT_TIMEOUT_MS = 15_000   # app.expect(...) retries this long (Playwright's default: 5 s)


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return ("the 'playwright' package is not installed "
                "(pip install -r requirements-test.txt)")
    if not os.access(CHROMIUM, os.X_OK):
        return (f"no Chromium at {CHROMIUM} (run 'make chromium', "
                "'apt-get install chromium', or set CHROMIUM=/path/to/chromium)")
    return None


# ---------------------------------------------------------------------------- the server

def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback, always


def _healthy(url: str) -> bool:
    try:
        with _NO_PROXY.open(f"{url}/_stcore/health", timeout=2) as r:
            return r.status == 200 and r.read().strip() == b"ok"
    except OSError:
        return False


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=15)


def _log_tail(n: int = 40) -> str:
    try:
        return "\n".join(SERVER_LOG.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def _start_server(log) -> tuple[subprocess.Popen, str]:
    """``streamlit run app.py`` on a free port; returns once /_stcore/health says ok."""
    for _attempt in range(3):          # another process may grab the free port first
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        cmd = [sys.executable, "-m", "streamlit", "run", "app.py",
               "--server.headless", "true", "--server.port", str(port),
               "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
               # others edit the tree while tests run: never offer or do a rerun on save
               "--server.fileWatcherType", "none", "--server.runOnSave", "false"]
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if _healthy(url):
                return proc, url
            if proc.poll() is not None:
                break
            time.sleep(0.25)
        else:
            _stop(proc)
            raise RuntimeError(f"streamlit did not answer {url}/_stcore/health within "
                               f"{STARTUP_TIMEOUT_S} s:\n{_log_tail()}")
        if "already in use" not in _log_tail():
            raise RuntimeError(f"streamlit exited with code {proc.returncode}:\n{_log_tail()}")
    raise RuntimeError(f"no free port for streamlit after 3 attempts:\n{_log_tail()}")


@pytest.fixture(scope="session")
def app_url():
    """Base URL of a ``streamlit run app.py`` served for the whole session."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)     # nobody could look at the server: don't start it
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)     # the folder shows this run only
    with open(SERVER_LOG, "w") as log:
        proc, url = _start_server(log)
        try:
            yield url
        finally:
            _stop(proc)


# ---------------------------------------------------------------------------- the browser

@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium driven by Playwright, shared by every test."""
    reason = browser_missing()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()
    finally:
        pw.stop()


# The app is settled: connected, its script finished, nothing stale, running or still loading
# on screen, and the main block rendered; all of it true for IDLE_MS in a row. (The script
# state alone is not enough: on a busy machine Streamlit reports "notRunning" seconds before
# the elements' code has loaded and they have rendered.)
_IDLE = """
(idleMs) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const settled = !!app
    && app.getAttribute("data-test-connection-state") === "CONNECTED"
    && app.getAttribute("data-test-script-state") === "notRunning"
    && !document.querySelector('[data-testid="stStatusWidget"]')
    && !document.querySelector('[data-stale="true"]')
    // lazily loaded elements (plotly, dataframes, inputs) show a skeleton until their code is in
    && !document.querySelector('[data-testid="stSkeleton"]')
    && !!document.querySelector(
         '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]');
  const now = performance.now();
  if (!settled) { window.__stIdleSince = undefined; return false; }
  if (window.__stIdleSince === undefined) window.__stIdleSince = now;
  return now - window.__stIdleSince >= idleMs;
}
"""


class App:
    """The app in the shared browser context; every page it opens is a new Streamlit session."""

    def __init__(self, context, base_url: str):
        self.context = context
        self.base_url = base_url
        self.pages: list = []
        self._errors: dict = {}
        self._runs: dict = {}
        self._fragment_runs: dict = {}
        self.page = self.new_page()

    def new_page(self):
        """A new tab: a new Streamlit session (widget state is per session, not per cookie)."""
        page = self.context.new_page()
        page.set_default_timeout(30_000)
        errors = self._errors.setdefault(id(page), [])
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("websocket", lambda ws: ws.on("framereceived", self._counter(page)))
        self._runs[id(page)] = 0
        self._fragment_runs[id(page)] = 0
        self.pages.append(page)
        return page

    def _counter(self, page):
        """Counts the page's finished script runs from the server's own ``script_finished``
        messages. (Watching the DOM misses fast reruns: when "started" and "finished" arrive
        together, React renders once and stApp's script-state attribute never changes.)"""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        def on_frame(payload):
            if isinstance(payload, (bytes, bytearray)):
                msg = ForwardMsg()
                try:
                    msg.ParseFromString(bytes(payload))
                except Exception:       # not a ForwardMsg: nothing to count
                    return
                if msg.WhichOneof("type") == "script_finished":
                    self._runs[id(page)] += 1
                    if msg.script_finished == fragment_done:
                        self._fragment_runs[id(page)] += 1
        fragment_done = ForwardMsg.ScriptFinishedStatus.Value(
            "FINISHED_FRAGMENT_RUN_SUCCESSFULLY")
        return on_frame

    def fragment_runs(self, page=None) -> int:
        """How many of those runs reran an ``st.fragment`` only (not the whole page)."""
        return self._fragment_runs[id(page or self.page)]

    def runs(self, page=None) -> int:
        """How many script runs of ``page`` have finished so far."""
        return self._runs[id(page or self.page)]

    def errors(self, page=None) -> list[str]:
        """Uncaught JavaScript errors of ``page`` (a plotly figure that fails lands here)."""
        return self._errors[id(page or self.page)]

    @staticmethod
    def expect(target, message: str | None = None):
        """Playwright's auto-retrying assertions (imported here, so that test modules
        import without Playwright and skip instead); they retry for up to 15 s."""
        from playwright.sync_api import expect
        expect.set_options(timeout=EXPECT_TIMEOUT_MS)
        return expect(target, message)

    def url(self, path: str = "") -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def goto(self, path: str = "", page=None, plot: bool = False):
        """Open ``path`` (``""``, ``"Chain_rule"``, ``"?presentation=1"``, a whole URL) and
        wait until the page has settled."""
        page = page or self.page
        page.goto(path if "://" in path else self.url(path), wait_until="domcontentloaded")
        self.wait_idle(page, timeout=APP_TIMEOUT_MS)
        if plot:
            self.wait_plot(page)
        return page

    def wait_idle(self, page=None, timeout: float = 60_000) -> None:
        """Wait until the app's script has finished and the page has settled."""
        page = page or self.page
        page.evaluate("window.__stIdleSince = undefined")
        page.wait_for_function(_IDLE, arg=IDLE_MS, timeout=timeout, polling=50)

    @staticmethod
    def wait_plot(page) -> None:
        """Wait until a plotly figure has drawn its scatter traces."""
        page.wait_for_selector(".js-plotly-plot .scatterlayer .trace", state="attached")

    @contextlib.contextmanager
    def rerun(self, page=None, timeout: float = 60_000):
        """``with app.rerun(): <widget change>`` returns once the rerun it caused finished."""
        page = page or self.page
        before = self.runs(page)
        yield
        deadline = time.monotonic() + timeout / 1000
        while self.runs(page) <= before:        # Playwright delivers frames while it waits
            if time.monotonic() > deadline:
                raise TimeoutError(f"no script run finished within {timeout / 1000:g} s "
                                   f"of the widget change ({before} before it)")
            page.wait_for_timeout(50)
        self.wait_idle(page, timeout=timeout)

    def type_number(self, label: str, value, page=None) -> None:
        """Type ``value`` into the number input ``label`` and wait for the rerun it causes."""
        page = page or self.page
        box = page.get_by_role("spinbutton", name=label)
        with self.rerun(page):
            box.fill(str(value))
            box.press("Enter")

    def screenshot(self, name: str, page=None, full: bool = False) -> Path:
        """Save the viewport (1920x1080) as ``test-artifacts/screenshots/<name>.png``.

        ``full``: the whole length of the page instead. Streamlit scrolls inside its main
        block, not the document, so the viewport is made as tall as that block for the shot.
        """
        page = page or self.page
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        if not full:
            page.screenshot(path=str(path), animations="disabled", caret="hide")
            return path
        size = page.viewport_size
        height = page.evaluate(_MAIN_HEIGHT)
        page.set_viewport_size({"width": size["width"],
                                "height": min(max(height, size["height"]), 8000)})
        try:
            page.evaluate(_TWO_FRAMES)
            page.screenshot(path=str(path), animations="disabled", caret="hide")
        finally:
            page.set_viewport_size(size)
        return path

    def screenshot_if_failed(self, request) -> None:
        """After a test: ``FAILED-<test>-<tab>.png`` of every open tab if the test failed."""
        report = getattr(request.node, "rep_call", None)
        if report is None or not report.failed:
            return
        name = re.sub(r"[^\w.-]+", "_", request.node.name)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        for i, page in enumerate(self.pages):
            with contextlib.suppress(Exception):
                page.screenshot(path=str(SCREENSHOTS / f"FAILED-{name}-{i}.png"))

    def close(self) -> None:
        for page in self.pages:
            with contextlib.suppress(Exception):
                page.close()


_MAIN_HEIGHT = """() => { const m = document.querySelector('[data-testid="stMain"]');
                          return m ? m.scrollHeight : document.body.scrollHeight; }"""
_TWO_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"


@pytest.fixture(scope="session")
def browser_context(browser):
    """One context for the session: pages share the HTTP cache (Streamlit's large scripts
    load once), while each page is still its own Streamlit session."""
    context = browser.new_context(viewport=VIEWPORT, device_scale_factor=1)
    yield context
    context.close()


@pytest.fixture(scope="session")
def make_app(browser_context, app_url):
    """``make_app()`` -> a new :class:`App`, for fixtures wider than one test (close it)."""
    return lambda: App(browser_context, app_url)


@pytest.fixture
def app(browser_context, app_url, request):
    """A fresh session of the app at 1920x1080; leaves FAILED-<test>.png when a test fails."""
    a = App(browser_context, app_url)
    try:
        yield a
        a.screenshot_if_failed(request)
    finally:
        a.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)   # lets ``app`` see whether the test failed
    return report
