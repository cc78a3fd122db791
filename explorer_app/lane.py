"""Costly runs in a process of their own, at the lowest CPU priority (issue 15).

One Streamlit process runs every session's script on one GIL. A visitor who sends the most
expensive program the limits let through (0.1 s of TensorFlow a rerun, every 0.2 s) took
most of that GIL, and a class of 40 waited behind three of them (p95 3.4x a quiet run,
bench/README.md). Limits cannot tell such a program from a student's big one, so it is not
refused: it runs elsewhere. :class:`Lane` is one child process, started with ``nice 19``,
that runs :func:`graphviz_core.explore` for the programs :meth:`Lane.wants`:

* the program's own size, known before TensorFlow runs (``Program.work``, the operations
  one trace runs as the parser's work limit counts them, or a training loop), or
* the measured cost of its text: a run in the server's process that took more than
  :data:`SLOW_CPU` seconds of CPU sends the same text to the lane from then on.

The operating system gives the lane core time only when the server's processes leave it
some; the class's reruns never wait for it, and its visitors wait for each other. The
result is the same :class:`~graphviz_core.Exploration` (pickled back: ~0.5 ms for a small
graph), cached like any other. A run whose page closes is stopped in the child (the
budget's ``alive`` check reads a shared flag the server sets) and raises
:class:`~graphviz_core.interpreter.PageClosed` here, as an inline run does. A child that
dies (out of memory, killed) is replaced at the next run, and that run's visitor gets a
message.

No session's data is kept here: the lane holds a process, and the texts that were slow (at
most :data:`REMEMBERED`, as a set of strings). ``GE_LANE=0`` in the environment runs
everything inline (one process, as before).
"""
from __future__ import annotations

import collections
import itertools
import multiprocessing
import os
import threading
import time
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor

from graphviz_core.language import ProgramError

__all__ = ["Lane", "Unavailable", "HEAVY_WORK", "SLOW_CPU", "enabled", "shared"]

HEAVY_WORK = 1000       # Program.work at which a run goes to the lane (the presets: 7-60;
#                         the worst program the limits let through: ~4,000)
SLOW_CPU = 0.1          # seconds of CPU of an inline run after which its text goes there
REMEMBERED = 256        # slow texts kept
WAIT = 60.0             # seconds a page waits for the lane (queue included) before a message
POLL = 0.25             # how often a waiting page checks that its session is still there
#                         (each check takes the worker's GIL a moment; 0.25 s is soon enough
#                         for a closed tab)

class Unavailable(ProgramError):
    """The lane could not give this run an answer (busy, or its child died or would not
    start): raised, not returned, so that no cache keeps it as the program's answer."""


# ---------------------------------------------------------------------------- the child
_cancel = None          # in the child: the shared id of the job to stop
_cache = None           # in the child: its compiled programs


def _start(cancel) -> None:
    """The child's first step: lowest priority, one TensorFlow thread, warm."""
    global _cancel, _cache
    _watch_parent(os.getppid())
    _lowest_priority()
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as tf
    tf.config.threading.set_intra_op_parallelism_threads(1)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    import graphviz_core as gc
    from explorer_app.launch import explore_default
    _cancel, _cache = cancel, gc.TraceCache(max_entries=16)
    explore_default(_cache)


def _lowest_priority() -> None:
    """``nice 19``, and in a scheduling group of its own at nice 19 too: with Linux's
    autogroup on (the default on desktops and many servers) a process's nice value only
    ranks it against its own session's processes, so a niced child of a worker still took
    a full share against the other workers (a class's p95 2x, bench/README.md)."""
    os.nice(19)
    try:
        os.setsid()             # its own session, so its own autogroup...
        with open("/proc/self/autogroup", "w") as f:
            f.write("19")       # ...ranked lowest against the workers'
    except OSError:             # no autogroup (or not Linux): nice alone is what counts
        pass


def _watch_parent(parent: int) -> None:
    """End the child when the server is gone, even killed (no orphan keeps a core or its
    memory): a thread that looks every second."""
    def watch():
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)
    threading.Thread(target=watch, name="lane-parent", daemon=True).start()


def _run(job: int, kwargs: dict):
    import graphviz_core as gc
    return gc.explore(**kwargs, cache=_cache, alive=lambda: _cancel.value != job)


def _pid() -> int:
    return os.getpid()


# ---------------------------------------------------------------------------- the server's side
class Lane:
    """One low-priority child process that runs :func:`graphviz_core.explore`.

    ``run(kwargs, alive)`` is ``gc.explore(**kwargs)`` there (``kwargs`` without ``cache``
    and ``alive``); thread-safe: the server's script threads call it at once and their runs
    queue, first come first served. The child starts at the first run (or :meth:`start`).
    """

    def __init__(self, heavy_work: int = HEAVY_WORK, slow_cpu: float = SLOW_CPU):
        self.heavy_work, self.slow_cpu = heavy_work, slow_cpu
        self._ctx = multiprocessing.get_context("spawn")  # TensorFlow's threads don't fork
        self._cancel = self._ctx.Value("q", 0)
        self._jobs = itertools.count(1)
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._slow: collections.OrderedDict = collections.OrderedDict()

    # -- which runs go there
    def wants(self, source, form: str = "auto") -> bool:
        """Run ``source`` here? Its parsed size says so, or an earlier run of it was slow.
        A text that does not parse runs inline (its error is quick)."""
        if not isinstance(source, str):
            return False
        with self._lock:
            if source in self._slow:
                self._slow.move_to_end(source)
                return True
        import graphviz_core as gc
        try:
            prog = gc.parse(source, form=form)
        except Exception:       # noqa: BLE001 - any error is the inline run's to report
            return False
        return prog.work >= self.heavy_work or prog.training is not None

    def note(self, source, cpu_seconds: float) -> None:
        """An inline run of ``source`` took ``cpu_seconds`` of CPU: remember it if slow."""
        if cpu_seconds < self.slow_cpu or not isinstance(source, str):
            return
        with self._lock:
            self._slow[source] = True
            self._slow.move_to_end(source)
            while len(self._slow) > REMEMBERED:
                self._slow.popitem(last=False)

    # -- running
    def start(self) -> "Lane":
        """Start the child now (else at the first run), and wait until it is warm."""
        self._submit(_pid).result()
        return self

    def pid(self) -> int:
        return self._submit(_pid).result()

    def _submit(self, fn, *args, retry: bool = True):
        return self._submit_to(fn, *args, retry=retry)[0]

    def _submit_to(self, fn, *args, retry: bool = True):
        """``(future, pool)``: the pool it went to, for :meth:`_replace` if that one breaks."""
        with self._lock:
            if self._pool is None:
                self._pool = ProcessPoolExecutor(1, mp_context=self._ctx, initializer=_start,
                                                 initargs=(self._cancel,))
            pool = self._pool
        try:
            return pool.submit(fn, *args), pool
        except (BrokenExecutor, RuntimeError):      # a child that died idle: a new one, once
            self._replace(pool)
            if not retry:
                raise
            return self._submit_to(fn, *args, retry=False)

    def _replace(self, pool) -> None:
        with self._lock:
            if self._pool is pool:
                self._pool = None
        pool.shutdown(wait=False, cancel_futures=True)

    def run(self, kwargs: dict, alive=None):
        """``gc.explore(**kwargs)`` in the child; PageClosed once ``alive()`` says False;
        :class:`Unavailable` when no answer came back."""
        from graphviz_core.interpreter import PageClosed
        if alive is not None and not alive():       # gone already: nothing to run
            raise PageClosed("the page that asked for this run has closed", 1, 1, "")
        job = next(self._jobs)
        try:
            fut, pool = self._submit_to(_run, job, kwargs)
        except (BrokenExecutor, RuntimeError) as e:     # no child could be started
            raise Unavailable(f"the process for large programs could not start "
                              f"({type(e).__name__})", 1, 1, "try again in a moment") from None
        give_up = time.monotonic() + WAIT
        while True:
            try:
                return fut.result(timeout=POLL)
            except TimeoutError:
                pass
            except PageClosed:
                raise
            except BrokenExecutor:
                self._replace(pool)
                raise Unavailable("the process running large programs stopped during this "
                                  "run (out of memory?); it has been restarted", 1, 1,
                                  "make the program smaller") from None
            except Exception as e:      # noqa: BLE001 - a result that did not come back
                raise Unavailable(f"the run could not be completed ({type(e).__name__})", 1,
                                  1, "make the program smaller") from None
            if alive is not None and not alive():
                self._stop(fut, job)
                raise PageClosed("the page that asked for this run has closed", 1, 1, "")
            if time.monotonic() > give_up:
                self._stop(fut, job)
                raise Unavailable(f"the server is busy with other large programs: this one "
                                  f"waited {WAIT:g} s", 1, 1,
                                  "try again in a moment, or make it smaller")

    def _stop(self, fut, job: int) -> None:
        """Off the queue if it waits there; if it runs, the child's budget stops it."""
        if not fut.cancel():
            self._cancel.value = job

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def enabled() -> bool:
    """False with ``GE_LANE=0`` (everything runs in the server's process)."""
    return os.environ.get("GE_LANE", "1") != "0"


_shared: Lane | None = None
_shared_lock = threading.Lock()


def shared() -> Lane | None:
    """The server's one lane (None when disabled); a process, not session state."""
    global _shared
    if not enabled():
        return None
    with _shared_lock:
        if _shared is None:
            _shared = Lane()
        return _shared
