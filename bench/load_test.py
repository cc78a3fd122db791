"""Load test: N concurrent sessions drive a Streamlit app through its own websocket protocol.

Each session does what a browser does: it opens ``/_stcore/stream``, sends a ``BackMsg``
``rerun_script`` to load the page, reads the ``ForwardMsg`` deltas (finding the id of the
number input whose key is ``in:x``), then changes that input again and again, each change a
``rerun_script`` with the new ``WidgetStates``. As a browser does, the change names the
``st.fragment`` the input is drawn in (then only that fragment reruns) and lists the hashes
of the big messages it already holds (Streamlit then sends a reference instead). Rerun
latency is the time from sending the ``BackMsg`` to the ``script_finished`` message. Every
rerun is checked: it must finish, show no exception, and show the right gradient (the
Explorer's foo3 preset and the floor app both show d/dx x**8 = 8*x**7). The server's RSS is
read from /proc (or psutil) before, during and after.

Two ways to run it::

    # everything: start each app on a free port, 1, 10 and 40 sessions, print a table
    .venv/bin/python bench/load_test.py

    # one run against an app someone else started
    .venv/bin/python bench/load_test.py --url ws://127.0.0.1:8501/_stcore/stream \\
        --pid 12345 --sessions 10

Loopback only: the suite starts its own servers on 127.0.0.1 and every loop is bounded in
count and time. Only the standard library, ``websockets`` and ``streamlit.proto`` (both
already installed with streamlit) are used.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

ROOT = Path(__file__).resolve().parents[1]
APPS = {"explorer": ROOT / "app.py", "hello": ROOT / "bench" / "hello_app.py"}
WIDGET_KEY = "in:x"
RERUN_TIMEOUT = 180.0       # seconds one rerun may take before it counts as an error
OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_SUCCESSFULLY")
FRAGMENT_OK = ForwardMsg.ScriptFinishedStatus.Value("FINISHED_FRAGMENT_RUN_SUCCESSFULLY")


# ---------------------------------------------------------------------------- memory

def rss_mb(pid: int | None) -> float | None:
    """Resident memory of a process in MB (Linux /proc, else psutil, else None)."""
    if pid is None:
        return None
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    try:
        import psutil
        return psutil.Process(pid).memory_info().rss / 2**20
    except Exception:  # noqa: BLE001 - no reading is better than a crash in a benchmark
        return None


def descendants(pid) -> list[int]:
    """``pid``'s children, theirs, ... (Linux /proc): the Explorer's low-priority process
    for costly programs (explorer_app/lane.py) is a child of its server."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                out += kids
                todo += kids
        except (OSError, ValueError):
            continue
    return out


def cpu_seconds(pids) -> float | None:
    """User + system CPU the processes and their children have used so far (Linux /proc),
    or None."""
    if not pids:
        return None
    total = 0.0
    try:
        for pid in [q for p in pids for q in [p, *descendants(p)]]:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return total


def rss_each(pids) -> list:
    return [rss_mb(p) for p in pids]


def _worst(values):
    values = [v for v in values if v is not None]
    return max(values) if values else None


class MemorySampler:
    """Peak RSS of each process while the load runs, sampled every ``every`` seconds."""

    def __init__(self, pids, every=0.25):
        self.pids, self.every = list(pids), every
        self.peaks = [None] * len(self.pids)
        self._task = None

    @property
    def peak(self):
        return _worst(self.peaks)

    async def _run(self):
        while True:
            for i, v in enumerate(rss_each(self.pids)):
                if v is not None:
                    self.peaks[i] = v if self.peaks[i] is None else max(self.peaks[i], v)
            await asyncio.sleep(self.every)

    def __enter__(self):
        self._task = asyncio.ensure_future(self._run())
        return self

    def __exit__(self, *exc):
        self._task.cancel()


# ---------------------------------------------------------------------------- one session

@dataclass
class SessionResult:
    load: float | None = None               # seconds to the first script_finished
    reruns: list = field(default_factory=list)
    errors: list = field(default_factory=list)
    exceptions: list = field(default_factory=list)
    bytes_in: int = 0
    messages: int = 0                        # ForwardMsgs received, page loads included
    hostile: bool = False                    # a session running hostile_program()
    worker: str | None = None                # the proxy's cookie: which worker served it


def expected(x: float) -> float:
    return 8 * x ** 7


# The tensor preset of the load test: a scalar input broadcast against a (2, 3) constant,
# so every rerun draws shapes, a heatmap-free tensor value and a "sum over axes" edge note.
TENSOR_PROGRAM = """\
foo(x) = x ** 2
W = constant([[0.5, -1.0, 2.0], [1.5, 0.25, -0.5]])
x = 1.5
y = reduce_sum(foo(x) * W)
"""

# program -> (share-link program or None for the page's default, d y / d x shown on the page)
PROGRAMS = {
    "foo3": (None, expected),                               # y = x**8: 8 x**7
    "tensor": (TENSOR_PROGRAM, lambda x: 2 * x * 2.75),     # 2 x * sum(W)
}


def hostile_program() -> str:
    """The most expensive program a visitor can get past the limits that is still run on
    every change (issue 15): it branches in Python on a value, so it never runs compiled, and
    its functions double up to just under the parser's work limit, a custom rule included."""
    lines = ["f0(x) = x * x if x > 0 else sin(x)"]
    lines += [f"f{i}(x) = f{i - 1}(x) + f{i - 1}(x)" for i in range(1, 7)]
    # f7 in the rule, or f6 at the top, is refused (work or node limit)
    lines += ["h(x) = x", "grad h(x, dy) = dy * f6(x)", "x = 2.0", "y = f5(h(x)) + h(x)"]
    return "\n".join(lines)


def link_query(program: str) -> str:
    """The share link's query string that opens ``program`` in the Explorer."""
    import urllib.parse
    sys.path.insert(0, str(ROOT))
    from graphviz_core import links
    return urllib.parse.urlencode(links.encode({"program": program}))


def hostile_query() -> str:
    return link_query(hostile_program())


def widget_state(el, what) -> WidgetState | None:
    """The state a browser reports for a widget it was just sent (its value, else default).

    Serialised as Streamlit's AppTest does (``streamlit/testing/v1/element_tree.py``);
    buttons report only clicks, so they and non-widgets give None.
    """
    if what not in ("checkbox", "text_area", "text_input", "number_input", "selectbox",
                    "radio", "multiselect", "button_group", "slider"):
        return None
    p = getattr(el, what)
    w = WidgetState(id=p.id)
    if what == "checkbox":
        w.bool_value = p.value if p.set_value else p.default
    elif what in ("text_area", "text_input"):
        w.string_value = p.value if p.set_value and p.HasField("value") else p.default
    elif what == "number_input":
        v = p.value if p.set_value and p.HasField("value") else p.default
        if p.data_type == type(p).DataType.Value("INT"):
            w.int_value = int(v)
        else:
            w.double_value = v
    elif what in ("selectbox", "radio"):
        if p.set_value and p.HasField("raw_value"):
            w.string_value = p.raw_value
        elif p.HasField("default") and p.options:
            w.string_value = p.options[p.default]
        else:
            return None
    elif what in ("multiselect", "button_group"):
        if p.set_value:
            values = list(p.raw_values)
        else:
            options = [getattr(o, "content", o) for o in p.options]
            values = [options[i] for i in p.default]
        w.string_array_value.data[:] = values
    elif what == "slider":
        values = list(p.value if p.set_value else p.default)
        if p.options:       # st.select_slider: positions travel as the formatted options
            w.string_array_value.data[:] = [p.options[int(i)] for i in values]
        else:
            w.double_array_value.data[:] = values
    return w


class Session:
    """One browser tab, speaking Streamlit's protobuf protocol."""

    def __init__(self, url: str, result: SessionResult, session_id: str | None = None):
        self.url, self.r = url, result
        self.session_id = session_id    # set: reconnect to this session, as a browser does
        self.ws = None
        self.widget_id = None
        self.fragment_id = ""       # the fragment the input is drawn in, if any
        self.cached: set[str] = set()   # hashes of the big messages this "browser" keeps
        self.query_string = ""
        self.metric = None
        self.metrics: dict[str, str] = {}
        self.cookies = ""
        self.widgets: dict[str, WidgetState] = {}     # what the browser would send back
        self._known: dict[str, WidgetState] = {}      # the states before this run

    def _page(self) -> str:
        """GET the page as a browser does first; the cookies it sets (a proxy's included)."""
        http = self.url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
        http = http.rsplit("/_stcore/stream", 1)[0] + "/"
        req = urllib.request.Request(http, headers={"Cookie": self.cookies} if self.cookies
                                     else {})
        with urllib.request.urlopen(req, timeout=60) as resp:
            resp.read()
            jar = [c.split(";", 1)[0] for c in resp.headers.get_all("Set-Cookie") or []]
        return "; ".join(c for c in [self.cookies, *jar] if c)

    async def __aenter__(self):
        self.cookies = await asyncio.to_thread(self._page)
        for c in self.cookies.split("; "):
            if c.startswith("ge_worker="):
                self.r.worker = c.split("=", 1)[1]
        # Streamlit's subprotocol list: "streamlit", an XSRF token, the session to resume
        # (no Origin header is sent, so the token is not checked: a placeholder keeps its place)
        protocols = ["streamlit"] + (["no-xsrf", self.session_id] if self.session_id else [])
        self.ws = await websockets.connect(
            self.url, subprotocols=protocols, max_size=None, open_timeout=60,
            ping_interval=None,
            additional_headers={"Cookie": self.cookies} if self.cookies else None)
        return self

    async def __aexit__(self, *exc):
        await self.ws.close()

    async def rerun(self, value: float | None = None) -> float:
        """Send rerun_script (with the new value of the input, if any); wait for the end."""
        msg = BackMsg()
        msg.rerun_script.query_string = self.query_string
        # as a browser does: the big messages it already has are sent as a reference only
        msg.rerun_script.cached_message_hashes.extend(sorted(self.cached))
        fragment = value is not None and bool(self.fragment_id)
        if value is not None:
            # a browser sends the state of every widget on the page, not only the changed one
            # (a widget left out is reset to its default)
            self.widgets[self.widget_id] = WidgetState(id=self.widget_id, double_value=value)
            msg.rerun_script.widget_states.widgets.extend(self.widgets.values())
            if fragment:        # a widget inside an st.fragment reruns that fragment only
                msg.rerun_script.fragment_id = self.fragment_id
        self.metric, self.metrics = None, {}
        # a fragment run redraws only its own widgets; the browser keeps the others
        self._known, self.widgets = self.widgets, (dict(self.widgets) if fragment else {})
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        status = await asyncio.wait_for(self._until_finished(), RERUN_TIMEOUT)
        took = time.perf_counter() - start
        # a fragment's run may rerun the whole page (an edit that changed what is outside it)
        if status not in ((FRAGMENT_OK, OK) if fragment else (OK,)):
            self.r.errors.append(f"script_finished status {status}")
        return took

    async def _until_finished(self) -> int:
        while True:
            data = await self.ws.recv()
            self.r.bytes_in += len(data)
            self.r.messages += 1
            m = ForwardMsg()
            m.ParseFromString(data)
            if m.metadata.cacheable:
                self.cached.add(m.hash)
            kind = m.WhichOneof("type")
            if kind == "new_session":
                self.session_id = m.new_session.initialize.session_id
            if kind == "script_finished":
                if m.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN:
                    continue        # st.rerun(): the run that replaces it follows, as in a browser
                return m.script_finished
            if kind == "page_info_changed":
                self.query_string = m.page_info_changed.query_string
            elif kind == "delta" and m.delta.WhichOneof("type") == "new_element":
                el = m.delta.new_element
                what = el.WhichOneof("type")
                state = widget_state(el, what)
                if state is not None:
                    # the browser keeps what it has unless the server sets a value; widgets
                    # that a run no longer draws are forgotten
                    wid = state.id
                    set_value = getattr(getattr(el, what), "set_value", False)
                    self.widgets[wid] = state if set_value or wid not in self._known \
                        else self._known[wid]
                if what == "number_input" and el.number_input.id.endswith("-" + WIDGET_KEY):
                    self.widget_id = el.number_input.id
                    self.fragment_id = m.delta.fragment_id
                elif what == "metric":
                    self.metrics[el.metric.label] = el.metric.body
                    if self.metric is None or el.metric.label.endswith("∂x"):
                        self.metric = el.metric.body
                elif what == "exception" and not el.exception.is_warning:
                    self.r.exceptions.append(f"{el.exception.type}: {el.exception.message}")

    def check(self, x: float, want_of=expected) -> None:
        want = want_of(x)
        try:
            got = float(self.metric)
        except (TypeError, ValueError):
            self.r.errors.append(f"x={x}: no gradient shown (metric {self.metric!r})")
            return
        if abs(got - want) > 1e-4 * max(1.0, abs(want)):
            self.r.errors.append(f"x={x}: gradient {got} shown, {want} expected")


async def run_session(url, index, n_sessions, reruns, think, rng, shared=False,
                      hostile=False, program="foo3") -> SessionResult:
    r = SessionResult()
    r.hostile = hostile
    source, want_of = PROGRAMS[program]
    try:
        async with Session(url, r) as s:
            if hostile:         # opens a share link to the worst program
                s.query_string = hostile_query()
            elif source is not None:        # opens a share link to the program
                s.query_string = link_query(source)
            r.load = await s.rerun()
            if s.widget_id is None:
                r.errors.append(f"no number input with key {WIDGET_KEY!r} on the page")
                return r
            for k in range(reruns):
                if think:
                    await asyncio.sleep(think * rng.uniform(0.5, 1.5))
                if shared:      # the whole class types the same numbers (cache hits)
                    x = round(0.5 + (k + 1) / (reruns + 1), 6)
                else:           # a value no other rerun uses: every student types another
                    x = round(0.5 + (index * reruns + k + 1) / (n_sessions * reruns + 1), 6)
                r.reruns.append(await s.rerun(x))
                if not hostile:
                    s.check(x, want_of)
    except asyncio.TimeoutError:
        r.errors.append(f"a rerun took longer than {RERUN_TIMEOUT:.0f} s")
    except (OSError, websockets.WebSocketException) as e:
        r.errors.append(f"{type(e).__name__}: {e}")
    return r


def run_in_thread(coro):
    """``asyncio.run(coro)`` in a thread of its own, for callers whose thread may already
    run an event loop (a test after Playwright's sync API)."""
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


# ---------------------------------------------------------------------------- one load run

def pct(values, q):
    if not values:
        return float("nan")
    values = sorted(values)
    i = min(len(values) - 1, max(0, round(q / 100 * (len(values) - 1))))
    return values[i]


async def load_run(url, pids, sessions, reruns, think, ramp, shared=False, seed=0,
                   hostile=0, program="foo3") -> dict:
    """N sessions at once (started over ``ramp`` seconds); latency, errors, memory and the
    server's CPU per run. ``pids``: the server's processes (one, or every worker behind a
    proxy). ``hostile`` more sessions run :func:`hostile_program` meanwhile; the figures are
    the others' (their own latency is reported as ``hostile_p95``)."""
    pids = [pids] if isinstance(pids, int) else list(pids or [])
    rng = random.Random(seed)
    before = rss_each(pids)
    cpu_before = cpu_seconds(pids)

    async def one(i):
        await asyncio.sleep(ramp * i / max(1, sessions))
        return await run_session(url, i, sessions, reruns, think, random.Random(rng.random()),
                                 shared, program=program)

    async def worst(i):
        return await run_session(url, i, sessions, reruns * 3, 0.2, random.Random(i),
                                 hostile=True)

    start = time.perf_counter()
    with MemorySampler(pids) as mem:
        both = await asyncio.gather(*(one(i) for i in range(sessions)),
                                    *(worst(i) for i in range(hostile)))
    results, bad = both[:sessions], both[sessions:]
    wall = time.perf_counter() - start
    cpu_after = cpu_seconds(pids)
    lat = [t for r in results for t in r.reruns]
    loads = [r.load for r in results if r.load is not None]
    errors = [e for r in results for e in r.errors]
    exceptions = [e for r in results for e in r.exceptions]
    hostile_lat = [t for r in bad for t in r.reruns]
    runs = len(lat) + len(loads) + sum(len(r.reruns) + (r.load is not None) for r in bad)
    per_worker = collections.Counter(r.worker for r in results if r.worker)
    return dict(sessions=sessions, reruns=len(lat), wall=wall, hostile=hostile,
                program=program,
                hostile_p95=pct(hostile_lat, 95),
                hostile_errors=[e for r in bad for e in r.errors + r.exceptions],
                p50=pct(lat, 50), p95=pct(lat, 95), max=max(lat, default=float("nan")),
                mean=statistics.fmean(lat) if lat else float("nan"),
                load_p50=pct(loads, 50), load_p95=pct(loads, 95),
                errors=errors, exceptions=exceptions,
                # server CPU over the whole load run, per script run (page loads included;
                # with --hostile, their runs too)
                cpu_ms_per_run=(None if cpu_before is None or cpu_after is None
                                else (cpu_after - cpu_before) * 1000 / max(1, runs)),
                rss_before=_worst(before), rss_peak=mem.peak, rss_end=_worst(rss_each(pids)),
                rss_before_each=before, rss_peak_each=list(mem.peaks),
                sessions_per_worker=dict(sorted(per_worker.items())),
                hostile_per_worker=dict(sorted(collections.Counter(
                    r.worker for r in bad if r.worker).items())),
                mb_in=sum(r.bytes_in for r in results) / 2**20,
                messages=sum(r.messages for r in results))


# ---------------------------------------------------------------------------- servers

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """``python -m explorer_app.launch`` (``streamlit run`` with TensorFlow warmed first,
    as ``make run``) of one script on a free loopback port, with the repo's config."""

    def __init__(self, script: Path, ttl: int, logdir: Path):
        self.script, self.ttl = script, ttl
        self.port = free_port()
        self.log = logdir / f"{script.stem}-{self.port}.log"
        self.proc = None
        self.ready_after = None

    @property
    def url(self):
        return f"ws://127.0.0.1:{self.port}/_stcore/stream"

    def __enter__(self):
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
        # as make run starts it: the launcher warms TensorFlow before the server listens
        cmd = [sys.executable, "-m", "explorer_app.launch", str(self.script),
               "--server.port", str(self.port), "--server.address", "127.0.0.1",
               "--server.headless", "true",
               "--server.disconnectedSessionTTL", str(self.ttl)]
        start = time.perf_counter()
        self._logf = open(self.log, "wb")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=self._logf,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        health = f"http://127.0.0.1:{self.port}/_stcore/health"
        deadline = start + 180
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited early; see {self.log}")
            try:
                with urllib.request.urlopen(health, timeout=2) as resp:
                    if resp.read().strip() == b"ok":
                        self.ready_after = time.perf_counter() - start
                        return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"server not healthy after 180 s; see {self.log}")

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._logf.close()


async def warm_up(url) -> tuple[float, float]:
    """One session: page load (includes importing TensorFlow in the Explorer) and a rerun."""
    r = SessionResult()
    async with Session(url, r) as s:
        load = await s.rerun()
        again = await s.rerun(2.5)
        s.check(2.5)
    if r.errors or r.exceptions:
        raise RuntimeError(f"warm-up failed: {r.errors + r.exceptions}")
    return load, again


def _programs(app, args):
    return args.programs if app == "explorer" else ["foo3"]   # the floor has one page


def suite(args) -> list[dict]:
    """One server per app and session count, driven directly (no proxy)."""
    rows = []
    logdir = Path(tempfile.mkdtemp(prefix="load_test-"))
    for app in args.apps:
        for program in _programs(app, args):
            for n in args.sessions:
                with Server(APPS[app], args.ttl, logdir) as srv:
                    pid = srv.proc.pid
                    idle = rss_mb(pid)
                    first_load, first_rerun = asyncio.run(warm_up(srv.url))
                    time.sleep(args.ttl + 3)        # the warm-up session is gone
                    row = asyncio.run(load_run(
                        srv.url, pid, n, args.reruns, args.think, args.ramp,
                        args.values == "shared", program=program,
                        hostile=args.hostile if app == "explorer" else 0))
                    time.sleep(args.ttl + 3)        # every session disconnected and dropped
                    row.update(app=app, workers=0, rss_idle=idle, rss_after=rss_mb(pid),
                               ready=srv.ready_after, first_load=first_load,
                               first_rerun=first_rerun)
                    rows.append(row)
                    print(_line(row), flush=True)
    return rows


def proxied_suite(args) -> list[dict]:
    """``deploy/serve.py``'s cluster (N workers behind HAProxy) per app and worker count,
    every session going through the proxy. CPU is summed over the workers; RSS is the
    largest worker's (``rss_*_each`` hold every worker's). One cluster serves every row of
    its worker count (its caches warm from the rows before; with ``--values unique`` every
    rerun still asks for a value no earlier one did)."""
    sys.path.insert(0, str(ROOT))
    from deploy.serve import Cluster
    rows = []
    for app in args.apps:
        for workers in args.workers:
            port = free_port()
            base = free_port()
            with Cluster(workers, port, base=base, app=str(APPS[app]), bind="127.0.0.1",
                         ttl=args.ttl) as cluster:
                pids = [w.pid for w in cluster.workers]
                url = f"ws://127.0.0.1:{port}/_stcore/stream"
                idle = rss_each(pids)
                firsts = [asyncio.run(warm_up(f"ws://127.0.0.1:{p}/_stcore/stream"))
                          for p in cluster.ports]       # every worker has drawn a page once
                time.sleep(args.ttl + 3)
                for program in _programs(app, args):
                    for n in args.sessions:
                        row = asyncio.run(load_run(
                            url, pids, n, args.reruns, args.think, args.ramp,
                            args.values == "shared", program=program,
                            hostile=args.hostile if app == "explorer" else 0))
                        time.sleep(args.ttl + 3)
                        after = rss_each(pids)
                        row.update(app=app, workers=workers, rss_idle=_worst(idle),
                                   rss_after=_worst(after), rss_after_each=after,
                                   ready=cluster.ready_after, first_load=firsts[0][0],
                                   first_rerun=firsts[0][1])
                        rows.append(row)
                        print(_line(row), flush=True)
    return rows


# ---------------------------------------------------------------------------- output

def _ms(v):
    return "n/a" if v != v else f"{v * 1000:.0f}"


def _mb(v):
    return "n/a" if v is None else f"{v:.0f}"


def _cpu(r):
    v = r.get("cpu_ms_per_run")
    return "n/a" if v is None else f"{v:.1f}"


def _where(r):
    w = r.get("workers", 0)
    return f"{w} behind HAProxy" if w else "direct"


def _line(r):
    return (f"{r['app']:9s} {r.get('program', 'foo3'):6s} {_where(r):17s} "
            f"N={r['sessions']:3d} reruns={r['reruns']:4d} "
            f"p50={_ms(r['p50'])}ms p95={_ms(r['p95'])}ms max={_ms(r['max'])}ms "
            f"errors={len(r['errors'])} exceptions={len(r['exceptions'])} "
            f"cpu/run={_cpu(r)}ms sessions/worker={r.get('sessions_per_worker') or '-'} "
            f"rss before/peak/after={_mb(r['rss_before'])}/{_mb(r['rss_peak'])}/"
            f"{_mb(r.get('rss_after', r['rss_end']))} MB"
            + (f" | +{r['hostile']} hostile: their p95={_ms(r['hostile_p95'])}ms "
               f"errors={len(r['hostile_errors'])} on {r.get('hostile_per_worker') or '-'}"
               if r.get("hostile") else ""))


def _kb_per_rerun(r):
    runs = r["reruns"] + r["sessions"]          # page loads are runs too
    return f"{r['mb_in'] * 1024 / max(1, runs):.0f}"


def _msgs_per_rerun(r):
    return f"{r.get('messages', 0) / max(1, r['reruns'] + r['sessions']):.0f}"


def table(rows) -> str:
    head = ("| app | program | served | sessions | reruns | p50 ms | p95 ms | max ms "
            "| page load p95 ms | errors | app exceptions | server CPU ms/run "
            "| RSS idle MB | RSS before MB | RSS peak MB | RSS after MB "
            "| reruns/s | kB/rerun | messages/rerun |")
    out = [head, "|" + "|".join("---" for _ in range(head.count("|") - 1)) + "|"]
    for r in rows:
        out.append(
            f"| {r['app']} | {r.get('program', 'foo3')} | {_where(r)} | {r['sessions']} | "
            f"{r['reruns']} | {_ms(r['p50'])} | "
            f"{_ms(r['p95'])} | {_ms(r['max'])} | {_ms(r['load_p95'])} | {len(r['errors'])} | "
            f"{len(r['exceptions'])} | {_cpu(r)} | {_mb(r.get('rss_idle'))} | {_mb(r['rss_before'])} | "
            f"{_mb(r['rss_peak'])} | {_mb(r.get('rss_after', r['rss_end']))} | "
            f"{r['reruns'] / r['wall']:.1f} | {_kb_per_rerun(r)} | {_msgs_per_rerun(r)} |")
    return "\n".join(out)


def cold_table(rows) -> str:
    out = ["| app | process start to /_stcore/health s | first page load s | first rerun ms |",
           "|---|---|---|---|"]
    seen = set()
    for r in rows:
        if (r["app"], r.get("workers")) in seen:
            continue
        seen.add((r["app"], r.get("workers")))
        out.append(f"| {r['app']} | {r['ready']:.1f} | {r['first_load']:.1f} | "
                   f"{_ms(r['first_rerun'])} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--url", help="drive this running app instead of starting servers")
    ap.add_argument("--pid", type=int, help="with --url: the server's pid, for its memory")
    ap.add_argument("--apps", nargs="+", default=list(APPS), choices=list(APPS))
    ap.add_argument("--sessions", type=int, nargs="+", default=[1, 10, 40])
    ap.add_argument("--reruns", type=int, default=10, help="input changes per session")
    ap.add_argument("--think", type=float, default=1.0,
                    help="mean seconds between a rerun's end and the next change (0: none)")
    ap.add_argument("--ramp", type=float, default=2.0,
                    help="seconds over which the sessions open")
    ap.add_argument("--values", choices=["unique", "shared"], default="unique",
                    help="unique: every rerun asks for a new x (cache misses); shared: all "
                         "sessions ask for the same sequence (cache hits after the first)")
    ap.add_argument("--script", type=Path,
                    help="serve this script instead of the Explorer (a variant to compare)")
    ap.add_argument("--hostile", type=int, default=0,
                    help="also run this many sessions sending hostile_program() (Explorer)")
    ap.add_argument("--workers", type=int, nargs="+",
                    help="serve each app as deploy/serve.py does (this many workers behind "
                         "HAProxy) and drive it through the proxy; CPU summed over the "
                         "workers, RSS of the largest")
    ap.add_argument("--programs", nargs="+", default=["foo3"], choices=list(PROGRAMS),
                    help="Explorer programs: foo3 (the default page) and/or tensor (a share "
                         "link to TENSOR_PROGRAM)")
    ap.add_argument("--ttl", type=int, default=10,
                    help="server.disconnectedSessionTTL for the started servers, so that "
                         "'after' is read once closed sessions are dropped")
    args = ap.parse_args(argv)
    if args.script:
        APPS["explorer"] = args.script.resolve()
    print(f"# load_test: sessions={args.sessions} reruns={args.reruns} think={args.think}s "
          f"ramp={args.ramp}s values={args.values} cores={os.cpu_count()} "
          f"python={sys.version.split()[0]}", flush=True)
    if args.url:
        rows = []
        for n in args.sessions:
            row = asyncio.run(load_run(args.url, [args.pid] if args.pid else [], n,
                                       args.reruns, args.think, args.ramp,
                                       args.values == "shared", program=args.programs[0]))
            row.update(app=args.url)
            rows.append(row)
            print(_line(row), flush=True)
    elif args.workers:
        rows = proxied_suite(args)
    else:
        rows = suite(args)
    print()
    print(table(rows))
    if not args.url:
        print()
        print(cold_table(rows))
    bad = [(r["app"], r["sessions"], e) for r in rows for e in r["errors"] + r["exceptions"]]
    for app, n, e in bad[:20]:
        print(f"! {app} N={n}: {e}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
