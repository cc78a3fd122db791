"""``make serve``: several Streamlit workers behind HAProxy, sticky by cookie (issue 20).

Served app: ``bench/hello_app.py`` (no TensorFlow, so the workers start in a second or two);
the proxy, the cookie and the health checks are the same for the Explorer. Sessions speak
Streamlit's own websocket protocol (``bench/load_test.py``'s client), as a browser does.
"""
from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from deploy.serve import COOKIE, Cluster, haproxy_config  # noqa: E402
from load_test import run_in_thread  # noqa: E402

HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists()
                                      else None)
needs_haproxy = pytest.mark.skipif(HAPROXY is None, reason="HAProxy is not installed "
                                   "(make test installs Debian's package when run as root)")


def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_config_is_sticky_checks_health_and_keeps_websockets_open():
    cfg = haproxy_config(8501, [8601, 8602, 8603])
    assert f"cookie {COOKIE} insert indirect nocache httponly" in cfg
    for i, port in enumerate((8601, 8602, 8603), 1):
        assert f"server w{i} 127.0.0.1:{port} check inter 2s fall 5 rise 1 cookie w{i}" in cfg
    assert "option httpchk GET /_stcore/health" in cfg and "http-check expect string ok" in cfg
    assert "timeout tunnel  1h" in cfg and "balance roundrobin" in cfg
    assert "bind 0.0.0.0:8501" in cfg


@needs_haproxy
def test_haproxy_accepts_the_config(tmp_path):
    f = tmp_path / "haproxy.cfg"
    f.write_text(haproxy_config(_free_port(), [_free_port(), _free_port()], "127.0.0.1"))
    done = subprocess.run([HAPROXY, "-c", "-f", str(f)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout


def _page_cookie(port: int, cookie: str = "") -> str:
    req = urllib.request.Request(f"http://127.0.0.1:{port}/",
                                 headers={"Cookie": cookie} if cookie else {})
    with urllib.request.urlopen(req, timeout=30) as r:
        r.read()
        for c in r.headers.get_all("Set-Cookie") or []:
            if c.startswith(COOKIE + "="):
                return c.split(";", 1)[0].split("=", 1)[1]
    return cookie.split("=", 1)[1] if cookie else ""


async def _session(url: str, cookie: str = "", resume: str | None = None):
    """Open a session (or resume one), load the page, set x; (session id, worker, metric)."""
    import load_test as lt
    r = lt.SessionResult()
    s = lt.Session(url, r, session_id=resume)
    s.cookies = cookie
    s._page = lambda: cookie or lt.Session._page(s)        # keep the cookie we were given
    async with s:
        await s.rerun()
        got = s.session_id
        await s.rerun(1.5)
        s.check(1.5)
    assert not r.errors and not r.exceptions, r.errors + r.exceptions
    return got, r.worker, s.metric


@needs_haproxy
def test_a_session_stays_on_its_worker_through_the_proxy(tmp_path):
    port = _free_port()
    with Cluster(2, port, base=_free_port(), app=str(ROOT / "bench" / "hello_app.py"),
                 bind="127.0.0.1", logdir=tmp_path, ttl=60) as cluster:
        assert len(cluster.workers) == 2 and all(w.poll() is None for w in cluster.workers)
        proxy = f"ws://127.0.0.1:{port}/_stcore/stream"
        # a browser: the page sets the cookie, its websocket carries it
        worker = _page_cookie(port)
        assert worker in ("w1", "w2")
        cookie = f"{COOKIE}={worker}"
        sid, seen, metric = run_in_thread(_session(proxy, cookie))
        assert seen == worker and float(metric) == pytest.approx(8 * 1.5 ** 7)
        # its reconnects (a dropped websocket, a sleeping laptop) resume the same session,
        # every time: the cookie takes them to the worker that holds it
        for _ in range(4):
            again, _, _ = run_in_thread(_session(proxy, cookie, resume=sid))
            assert again == sid
        # the session lives in that worker only: asked directly, the other one does not
        # know it and starts a new session
        mine = cluster.ports[int(worker[1:]) - 1]
        other = cluster.ports[2 - int(worker[1:])]
        assert run_in_thread(_session(f"ws://127.0.0.1:{mine}/_stcore/stream",
                                    resume=sid))[0] == sid
        assert run_in_thread(_session(f"ws://127.0.0.1:{other}/_stcore/stream",
                                    resume=sid))[0] != sid
        # the other cookie reaches the other worker, which does not know it either
        assert run_in_thread(_session(proxy, f"{COOKIE}=w{3 - int(worker[1:])}",
                                    resume=sid))[0] != sid


@needs_haproxy
def test_a_worker_that_fails_its_health_check_gets_no_new_browsers(tmp_path):
    port = _free_port()
    with Cluster(2, port, base=_free_port(), app=str(ROOT / "bench" / "hello_app.py"),
                 bind="127.0.0.1", logdir=tmp_path) as cluster:
        seen = {_page_cookie(port) for _ in range(6)}
        assert seen == {"w1", "w2"}         # new browsers are spread over both
        cluster.workers[1].kill()
        cluster.workers[1].wait(10)
        assert cluster.dead() == f"the worker on port {cluster.ports[1]}"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:      # five failed checks, 2 s apart
            try:
                if {_page_cookie(port) for _ in range(6)} == {"w1"}:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert {_page_cookie(port) for _ in range(6)} == {"w1"}
        # a browser that was on the dead worker is sent to the live one
        assert _page_cookie(port, f"{COOKIE}=w2") == "w1"


def test_the_compose_files_proxy_config_is_the_one_serve_writes():
    """deploy/compose.yaml (one VM, containers) and make serve share the proxy's config:
    deploy/haproxy.cfg is haproxy_config's for the compose file's workers, one each."""
    import re
    compose = (ROOT / "deploy" / "compose.yaml").read_text()
    # worker1 builds the image (a block merging *worker), the others reuse it
    workers = re.findall(r"^  (worker\d+):(?: \*worker)?$", compose, re.M)
    assert "<<: *worker" in compose and compose.count("build:") == 2     # worker1, proxy
    assert workers == [f"worker{i}" for i in range(1, len(workers) + 1)] and workers
    for w in workers:
        assert f"{w}: {{condition: service_healthy}}" in compose
    cfg = (ROOT / "deploy" / "haproxy.cfg").read_text()
    assert cfg == haproxy_config(8501, [f"{w}:8501" for w in workers])
    assert '"8501:8501"' in compose and "STREAMLIT_SERVER_COOKIE_SECRET" in compose


@needs_haproxy
def test_haproxy_accepts_the_compose_config():
    done = subprocess.run([HAPROXY, "-c", "-f", str(ROOT / "deploy" / "haproxy.cfg")],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr + done.stdout


def _serve(port, base, *extra):
    return subprocess.Popen([sys.executable, str(ROOT / "deploy" / "serve.py"), "--workers", "2",
                             "--port", str(port), "--base", str(base), "--bind", "127.0.0.1",
                             "--app", str(ROOT / "bench" / "hello_app.py"), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def _nothing_on(*ports) -> bool:
    import socket
    for p in ports:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", p)) == 0:
                return False
    return True


@needs_haproxy
@pytest.mark.parametrize("sig, when", [("SIGINT", "starting"), ("SIGHUP", "serving"),
                                       ("SIGTERM", "serving")])
def test_make_serve_stops_everything_it_started(sig, when):
    """Ctrl-C while the workers start, the terminal closing, or a kill: no worker and no
    proxy is left on its port (they run in sessions of their own)."""
    import signal
    port, base = _free_port(), _free_port()
    proc = _serve(port, base)
    if when == "serving":
        line = proc.stdout.readline()
        assert "behind HAProxy" in line, line
    else:
        time.sleep(0.7)
    proc.send_signal(getattr(signal, sig))
    proc.wait(30)
    time.sleep(0.5)
    assert _nothing_on(port, base, base + 1)
