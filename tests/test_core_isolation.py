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
