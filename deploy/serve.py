"""Several Streamlit workers on one machine behind HAProxy: ``make serve WORKERS=4`` (issue 20).

A Streamlit session (its widgets, session state and the page's websocket) lives in one
process, and one process has one GIL: a class is served by several processes, each reached
through one proxy that keeps every browser on its worker. This command starts

* ``WORKERS`` Streamlit processes (``python -m explorer_app.launch``: TensorFlow imported and
  warm before each listens) on loopback ports ``BASE``, ``BASE+1``, ..., all with one cookie
  secret (generated for the run unless ``STREAMLIT_SERVER_COOKIE_SECRET`` is set);
* HAProxy (Debian's package) on ``PORT``: new browsers go to the workers in turn
  (``balance roundrobin``; ``leastconn`` put 27-31 of 40 students on one of two workers
  once three visitors sent costly programs, bench/README.md), and stay there by a cookie HAProxy sets on the first answer (``ge_worker``; the page's
  websocket, its reconnects and its reloads carry it). Websocket upgrades pass through with
  an hour of idle time (``timeout tunnel``). Each worker's ``/_stcore/health`` is checked
  every 2 s; a worker that fails it gets no new browsers.

It waits until every worker is healthy and the proxy answers, prints the address, and stops
everything on Ctrl-C or SIGTERM (or as soon as a worker or the proxy dies). ``--state FILE``
writes the pids and ports as JSON (the load test reads it to measure each worker).

    make serve WORKERS=4                      # http://localhost:8501
    .venv/bin/python deploy/serve.py --workers 2 --port 8600 --app bench/hello_app.py
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
COOKIE = "ge_worker"


def haproxy_config(port: int, workers: list, bind: str = "0.0.0.0") -> str:
    """HAProxy's configuration for ``workers`` behind ``bind:port``: loopback ports, or
    ``"host:port"`` addresses (``deploy/haproxy.cfg``, for the compose file, names its
    containers; they are resolved when they come up, so the proxy may start first)."""
    addresses = [w if isinstance(w, str) else f"127.0.0.1:{w}" for w in workers]
    late = "" if all(a.startswith("127.0.0.1:") for a in addresses) else \
        "    default-server init-addr last,libc,none resolvers docker\n"
    servers = late + "\n".join(
        f"    server w{i} {a} check inter 2s fall 5 rise 1 cookie w{i}"
        for i, a in enumerate(addresses, 1))
    resolvers = "" if not late else """
resolvers docker
    nameserver dns 127.0.0.11:53
    hold valid 10s
"""
    return f"""\
# written by deploy/serve.py: one Streamlit worker per line below, sticky by cookie
global
    maxconn 4096

defaults
    mode http
    option http-server-close
    timeout connect 5s
    timeout client  60s
    timeout server  60s
    # a page's websocket is idle between a student's changes: an hour before it is cut
    timeout tunnel  1h
    timeout http-request 10s
    # a worker busy with a long rerun answers its health check late, not never
    timeout check 5s

frontend explorer
    bind {bind}:{port}
    default_backend workers

backend workers
    balance roundrobin
    # the first answer sets the cookie; every later request of that browser (the page's
    # websocket, its reconnects, a reload) goes to the same worker
    cookie {COOKIE} insert indirect nocache httponly
    # a worker that fails its checks loses its browsers to the others (their sessions are
    # gone with it; the page starts a new one); a refused connection is retried elsewhere
    option redispatch
    retries 2
    option httpchk GET /_stcore/health
    http-check expect string ok
{servers}
{resolvers}"""


def _healthy(port: int, timeout: float = 2.0) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                    timeout=timeout) as r:
            return r.read().strip() == b"ok"
    except (OSError, http.client.HTTPException):
        return False


def _in_use(port: int) -> bool:
    """Something already answers on this loopback port (a worker left from an earlier run
    would otherwise pass for a new one's health)."""
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def _stop(procs, grace: float = 15.0) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace
    for p in procs:
        try:
            p.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


class Cluster:
    """The workers and the proxy, as a context manager (``deploy/serve.py``'s whole job)."""

    def __init__(self, workers: int = 2, port: int = 8501, base: int | None = None,
                 app: str = "app.py", bind: str = "0.0.0.0", logdir: Path | None = None,
                 ttl: int | None = None, haproxy: str | None = None):
        if workers < 1:
            raise ValueError("at least one worker")
        self.n, self.port, self.app, self.bind = workers, port, app, bind
        self.base = base if base is not None else port + 100
        self.ports = [self.base + i for i in range(workers)]
        self.logdir = Path(logdir or tempfile.mkdtemp(prefix="serve-"))
        self.ttl = ttl
        self.haproxy = haproxy or shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.workers: list[subprocess.Popen] = []
        self.proxy: subprocess.Popen | None = None
        self.ready_after: float | None = None

    def _start_worker(self, port: int, env: dict) -> subprocess.Popen:
        cmd = [sys.executable, "-m", "explorer_app.launch", self.app,
               "--server.port", str(port), "--server.address", "127.0.0.1",
               "--server.headless", "true"]
        if self.ttl is not None:
            cmd += ["--server.disconnectedSessionTTL", str(self.ttl)]
        with open(self.logdir / f"worker-{port}.log", "wb") as log:   # the child keeps it
            return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                    stderr=subprocess.STDOUT, start_new_session=True)

    def __enter__(self):
        if not Path(self.haproxy).exists():
            raise SystemExit("HAProxy is not installed: as root, `apt-get install -y haproxy` "
                             "(or `make serve`, which does)")
        busy = [p for p in [self.port, *self.ports] if _in_use(p)]
        if busy:
            raise RuntimeError(f"ports {busy} are in use (an earlier make serve still "
                               "running?): stop it, or choose --port/--base")
        start = time.monotonic()
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
        env.setdefault("STREAMLIT_SERVER_COOKIE_SECRET", secrets.token_hex(32))
        try:
            self.workers = [self._start_worker(p, env) for p in self.ports]
            deadline = time.monotonic() + 240
            waiting = set(self.ports)
            while waiting:
                for w, p in zip(self.workers, self.ports):
                    if w.poll() is not None:
                        raise RuntimeError(f"worker on port {p} exited; see "
                                           f"{self.logdir}/worker-{p}.log")
                waiting = {p for p in waiting if not _healthy(p)}
                if time.monotonic() > deadline:
                    raise RuntimeError(f"workers {sorted(waiting)} not healthy after 240 s")
                if waiting:
                    time.sleep(0.3)
            cfg = self.logdir / "haproxy.cfg"
            cfg.write_text(haproxy_config(self.port, self.ports, self.bind))
            check = subprocess.run([self.haproxy, "-c", "-q", "-f", str(cfg)],
                                   capture_output=True, text=True)
            if check.returncode:
                raise RuntimeError(f"HAProxy refused {cfg}: {check.stderr or check.stdout}")
            # -db: stay in the foreground, so that stopping this process stops it
            with open(self.logdir / "haproxy.log", "wb") as log:
                self.proxy = subprocess.Popen([self.haproxy, "-db", "-f", str(cfg)],
                                              stdout=log, stderr=subprocess.STDOUT,
                                              start_new_session=True)
            while not _healthy(self.port):
                if self.proxy.poll() is not None:
                    raise RuntimeError(f"HAProxy exited; see {self.logdir}/haproxy.log")
                if time.monotonic() > deadline:
                    raise RuntimeError("HAProxy does not answer")
                time.sleep(0.2)
        except BaseException:
            self.__exit__()
            raise
        self.ready_after = time.monotonic() - start
        return self

    def __exit__(self, *exc):
        _stop(([self.proxy] if self.proxy else []) + self.workers)

    def state(self) -> dict:
        return {"port": self.port, "proxy_pid": self.proxy.pid if self.proxy else None,
                "workers": [{"port": p, "pid": w.pid} for p, w in zip(self.ports, self.workers)],
                "logdir": str(self.logdir), "ready_after": self.ready_after}

    def dead(self) -> str | None:
        """What died, if anything did."""
        if self.proxy is not None and self.proxy.poll() is not None:
            return "HAProxy"
        for p, w in zip(self.ports, self.workers):
            if w.poll() is not None:
                return f"the worker on port {p}"
        return None


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", 2)))
    ap.add_argument("--port", type=int, default=8501, help="where the proxy listens")
    ap.add_argument("--base", type=int, help="first worker's port (default: PORT + 100)")
    ap.add_argument("--bind", default="0.0.0.0", help="the proxy's address")
    ap.add_argument("--app", default="app.py", help="the script every worker serves")
    ap.add_argument("--ttl", type=int, help="server.disconnectedSessionTTL of the workers")
    ap.add_argument("--state", type=Path, help="write pids and ports here as JSON")
    args = ap.parse_args(argv)
    stopping = []

    def stop(*_):
        if not stopping and not started:   # still starting: unwind, which stops them all
            stopping.append(True)
            raise KeyboardInterrupt
        stopping.append(True)

    started = []
    # Ctrl-C, a kill, or the terminal closing (the workers and the proxy run in sessions of
    # their own, so they would not get its hang-up): everything stops
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, stop)
    try:
        cluster = Cluster(args.workers, args.port, args.base, args.app, args.bind,
                          ttl=args.ttl).__enter__()
    except KeyboardInterrupt:
        return 130
    try:
        started.append(True)
        if args.state:
            args.state.write_text(json.dumps(cluster.state()))
        print(f"{args.workers} worker(s) on ports {cluster.ports[0]}-{cluster.ports[-1]} behind "
              f"HAProxy: http://localhost:{args.port}  (ready in {cluster.ready_after:.1f} s; "
              f"logs in {cluster.logdir}; Ctrl-C stops)", flush=True)
        while not stopping:
            gone = cluster.dead()
            if gone:
                print(f"{gone} stopped; stopping the rest", file=sys.stderr, flush=True)
                return 1
            time.sleep(0.5)
    finally:
        cluster.__exit__()
    return 0


if __name__ == "__main__":
    sys.exit(main())
