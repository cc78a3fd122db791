"""graphviz_core stays UI-free: importing it never pulls in streamlit."""
import subprocess
import sys


def test_graphviz_core_does_not_import_streamlit():
    code = ("import sys, graphviz_core, graphviz_core.lessons, graphviz_core.training; "
            "print('streamlit' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": "."})
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "False"


def test_every_public_function_has_a_runnable_example():
    """Issue 16: a docstring with a small example on every public function (run as a doctest)."""
    import inspect

    import graphviz_core as gc
    missing = [n for n in gc.__all__ if inspect.isfunction(getattr(gc, n))
               and ">>>" not in (inspect.getdoc(getattr(gc, n)) or "")]
    assert missing == []
