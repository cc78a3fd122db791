"""``python -m explorer_app.launch`` with Streamlit's script runs timed (for rerun_cpu.py).

    python bench/timed_server.py OUT.json APP.py [streamlit options]

Every script run (a whole page or a fragment) is timed by the CPU time of its own thread,
around ``ScriptRunner._run_script``. A run that a rerun request or ``st.rerun`` restarts
inside that call counts once, with both parts (rare with one student's sequential changes;
it can only raise the median). On SIGUSR1 the runs so far are written to OUT.json
(``{"runs": [seconds, ...]}``) and the count starts over. Not for serving: a benchmark.
"""
import json
import runpy
import signal
import sys
import threading
import time

from streamlit.runtime.scriptrunner import script_runner

out, argv = sys.argv[1], sys.argv[2:]
runs, lock = [], threading.Lock()
original = script_runner.ScriptRunner._run_script


def timed(self, *args, **kwargs):
    start = time.thread_time()
    try:
        return original(self, *args, **kwargs)
    finally:
        took = time.thread_time() - start
        with lock:
            runs.append(took)


def dump(*_):
    with lock:
        got = list(runs)
        runs.clear()
    with open(out, "w") as f:
        json.dump({"runs": got}, f)


script_runner.ScriptRunner._run_script = timed
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["explorer_app.launch", *argv]
runpy.run_module("explorer_app.launch", run_name="__main__")
