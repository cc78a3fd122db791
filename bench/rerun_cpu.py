"""Server CPU per input change, one student's changes at a time: the script run, the process.

The load test's CPU figure (many sessions, think times of a second) varies by up to 20 % run
to run on a 2-core machine; this one is steadier. For each app (the Explorer, the floor
``bench/hello_app.py``), and for each checkout given (``--code``: e.g. a ``git worktree`` of
the code before a change), in alternation, ``--repeat`` times:

* a server started as ``make run`` does, through ``bench/timed_server.py``, which times
  each of Streamlit's script runs by its own thread's CPU;
* 2 sessions x 20 changes to warm it; then ``--sessions`` sessions x ``--reruns`` changes of
  ``in:x`` (the Explorer's foo∘foo∘foo preset, a new x each time), ``--think`` s apart;
* printed: the median script run (page loads included, a few in a hundred), and the whole
  process's CPU per change from ``/proc`` over the measured part (its page loads included).

    .venv/bin/python bench/rerun_cpu.py
    git worktree add /tmp/before <commit>
    .venv/bin/python bench/rerun_cpu.py --code /tmp/before . --repeat 4
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
import load_test as lt  # noqa: E402

APPS = {"explorer": "app.py", "hello": "bench/hello_app.py"}


def own_cpu(pid: int) -> float:
    """User + system CPU seconds of the process itself (all its threads, not its children:
    the Explorer's costly-program process comes and goes)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def measure(code: Path, app: str, sessions: int, reruns: int, think: float) -> dict:
    port, out = lt.free_port(), Path(tempfile.mkstemp(suffix=".json")[1])
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=str(code))
    cmd = [sys.executable, str(ROOT / "bench" / "timed_server.py"), str(out), APPS[app],
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true"]
    log = open(Path(tempfile.gettempdir()) / f"rerun_cpu-{port}.log", "wb")
    proc = subprocess.Popen(cmd, cwd=code, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    url = f"ws://127.0.0.1:{port}/_stcore/stream"
    try:
        deadline = time.time() + 180
        while True:
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"server did not start; see {log.name}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.3)
        asyncio.run(lt.load_run(url, [proc.pid], 2, 20, think, 0.5))       # warm
        time.sleep(1)
        proc.send_signal(signal.SIGUSR1)        # the runs so far are dropped
        time.sleep(1)
        cpu0 = own_cpu(proc.pid)
        row = asyncio.run(lt.load_run(url, [proc.pid], sessions, reruns, think, 0.5))
        cpu1 = own_cpu(proc.pid)
        out.write_text("")
        proc.send_signal(signal.SIGUSR1)
        for _ in range(50):
            time.sleep(0.1)
            if out.read_text():
                break
        runs = json.loads(out.read_text())["runs"]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        out.unlink(missing_ok=True)
    bad = len(row["errors"]) + len(row["exceptions"])
    return dict(script_ms=statistics.median(runs) * 1000, runs=len(runs),
                process_ms=(cpu1 - cpu0) * 1000 / (sessions * reruns), bad=bad)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--code", nargs="+", type=Path, default=[ROOT],
                    help="checkouts to measure, alternated (default: this one)")
    ap.add_argument("--apps", nargs="+", default=["explorer", "hello"], choices=list(APPS))
    ap.add_argument("--sessions", type=int, default=4)
    ap.add_argument("--reruns", type=int, default=30)
    ap.add_argument("--think", type=float, default=0.05)
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args(argv)
    got: dict = {}
    print("| round | code | app | script run, median ms | process CPU ms per change | "
          "runs | errors |\n|---|---|---|---|---|---|---|", flush=True)
    for i in range(args.repeat):
        for code in args.code:
            for app in args.apps:
                m = measure(code.resolve(), app, args.sessions, args.reruns, args.think)
                got.setdefault((str(code), app), []).append(m)
                print(f"| {i + 1} | {code} | {app} | {m['script_ms']:.2f} | "
                      f"{m['process_ms']:.2f} | {m['runs']} | {m['bad']} |", flush=True)
    print("\nMedians over the rounds:")
    for code in args.code:
        line = []
        for app in args.apps:
            ms = got[(str(code), app)]
            line.append(f"{app} script {statistics.median(m['script_ms'] for m in ms):.2f} ms, "
                        f"process {statistics.median(m['process_ms'] for m in ms):.2f} ms")
        if "hello" in args.apps and "explorer" in args.apps:
            ex = statistics.median(m["process_ms"] for m in got[(str(code), "explorer")])
            fl = statistics.median(m["process_ms"] for m in got[(str(code), "hello")])
            line.append(f"Explorer / floor process CPU {ex / fl:.2f}x")
        print(f"- {code}: " + "; ".join(line))
    return 0


if __name__ == "__main__":
    sys.exit(main())
