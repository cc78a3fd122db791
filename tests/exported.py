"""Run exported TensorFlow scripts in one fresh Python (runpy: TensorFlow imports once) and
read back what each printed: ``{key: {name: value}}``, a value as the script printed it
(``.tolist()``: a float, a nested list, ``None``; ``nan``/``inf`` included)."""
from __future__ import annotations

import json
import subprocess
import sys

import numpy as np


def run_scripts(tmp_path, scripts: dict) -> dict:
    for key, code in scripts.items():
        (tmp_path / f"{key}.py").write_text(code)
    runner = tmp_path / "run_all.py"
    runner.write_text("import runpy\n"
                      f"for key in {list(scripts)!r}:\n"
                      "    print('== ' + key, flush=True)\n"
                      f"    runpy.run_path({str(tmp_path)!r} + '/' + key + '.py', "
                      "run_name='__main__')\n")
    out = subprocess.run([sys.executable, str(runner)], capture_output=True, text=True,
                         timeout=300, env={"TF_CPP_MIN_LOG_LEVEL": "3", "PATH": "/usr/bin:/bin"})
    assert out.returncode == 0, out.stderr[-2000:]
    printed, key = {}, None
    for line in out.stdout.strip().splitlines():
        if line.startswith("== "):
            key = line[3:]
            printed[key] = {}
        else:
            name, value = line.split(" ", 1)
            printed[key][name] = value
    return printed


def number(text: str):
    """A printed value as an array (None stays None)."""
    if text == "None":
        return None
    return np.array(json.loads(text.replace("nan", "NaN").replace("inf", "Infinity")))


def same(printed: str, value) -> bool:
    """The printed text is ``value`` (None, a float or an array; NaN equals NaN)."""
    got = number(printed)
    if value is None or got is None:
        return value is None and got is None
    return np.array_equal(got, value, equal_nan=True)
