"""Does a run outlive its session? (issue 15: "no run outlives its session by more than a
few seconds").

Starts the Explorer (``python -m explorer_app.launch``), then, ``--trials`` times:

1. **stays**: a session opens a share link to the most expensive program the limits let
   through (``load_test.hostile_program``) and waits for its run to finish: how long a
   run takes and how much server CPU it uses;
2. **leaves**: the same, but the tab closes (the websocket is closed) ``--leave`` seconds
   after the page asked for the run; the server's CPU is then sampled every 50 ms from
   ``/proc`` until it is idle (under 5 % of a core for 0.5 s): how long the orphaned run
   kept a core busy after its session went away.

    .venv/bin/python bench/orphan_run.py --trials 5
"""
from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

import load_test as lt  # noqa: E402
from streamlit.proto.BackMsg_pb2 import BackMsg  # noqa: E402


def worst(trial: int) -> str:
    """The hostile program with an input of its own per trial: the server's caches serve an
    identical request from memory, and this measures a run, not a cache hit."""
    return lt.link_query(lt.hostile_program().replace("x = 2.0", f"x = {2 + trial / 1000}"))


async def stays(url: str, pid: int, trial: int) -> tuple[float, float]:
    r = lt.SessionResult()
    cpu0 = lt.cpu_seconds([pid])
    async with lt.Session(url, r) as s:
        s.query_string = worst(trial)
        took = await s.rerun()
    return took, lt.cpu_seconds([pid]) - cpu0


async def leaves(url: str, pid: int, after: float, trial: int) -> float:
    """Seconds from closing the tab to the server going idle."""
    r = lt.SessionResult()
    s = lt.Session(url, r)
    await s.__aenter__()
    msg = BackMsg()
    msg.rerun_script.query_string = worst(trial)
    await s.ws.send(msg.SerializeToString())
    await asyncio.sleep(after)
    await s.ws.close()
    closed = time.perf_counter()
    # idle: under 5 % of a core over a whole 0.5 s window (one 10 ms tick is 2 % of it)
    samples = [(closed, lt.cpu_seconds([pid]))]
    while time.perf_counter() - closed < 60:
        await asyncio.sleep(0.05)
        samples.append((time.perf_counter(), lt.cpu_seconds([pid])))
        old = [s for s in samples if s[0] <= samples[-1][0] - 0.5]
        if old:
            t0, c0 = old[-1]
            if (samples[-1][1] - c0) / (samples[-1][0] - t0) < 0.05:
                return max(0.0, t0 - closed)
    return float("inf")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--trials", type=int, default=5)
    ap.add_argument("--leave", type=float, default=0.3,
                    help="seconds after asking for the run that the tab closes")
    args = ap.parse_args(argv)
    import tempfile
    with lt.Server(lt.APPS["explorer"], ttl=2, logdir=Path(tempfile.mkdtemp())) as srv:
        pid = srv.proc.pid
        asyncio.run(lt.warm_up(srv.url))
        runs = [asyncio.run(stays(srv.url, pid, i)) for i in range(args.trials)]
        time.sleep(3)
        gone = [asyncio.run(leaves(srv.url, pid, args.leave, 100 + i))
                for i in range(args.trials)]
    print(f"hostile program, session stays: run {statistics.median(t for t, _ in runs):.2f} s "
          f"(max {max(t for t, _ in runs):.2f}), server CPU {statistics.median(c for _, c in runs):.2f} s")
    print(f"tab closed {args.leave} s after asking: server idle "
          f"{statistics.median(gone):.2f} s after the close (max {max(gone):.2f}) "
          f"over {args.trials} trials: {[round(g, 2) for g in gone]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
