"""Every figure the Explorer draws, hashed: a check that a faster figure path draws the same.

For each program (the presets, the view corpus of ``tests/test_graph_view.py`` with its
settings, the dozen-node program and the 2-layer MLP there), at three input values (the
defaults, x1.37, x-0.731), in both modes and on both screens, this explores with one shared
cache (so the kept layouts and fit choices are used, as on a server) and

* checks that the figure equals the one drawn from the same trace with no cache at all (a
  full fit): a kept choice never changes a drawing;
* writes an MD5 per figure to a JSON file; ``--against`` compares with an earlier run.

    .venv/bin/python bench/same_figures.py /tmp/before.json            # on the old code
    .venv/bin/python bench/same_figures.py /tmp/after.json --against /tmp/before.json

Exits 1 if a warm figure differs from its cold one, or from ``--against``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import graphviz_core as gc  # noqa: E402
import test_graph_view as corpus  # noqa: E402


def programs():
    yield from ((p.key, p.source, {}) for p in gc.PRESETS)
    yield from ((n, s, kw) for n, s, kw in corpus.CASES if n.startswith("gen") or n.endswith("+"))
    yield from [("dozen", corpus._DOZEN, {}), ("dozen+", corpus._DOZEN, {"expand": True}),
                ("mlp", corpus._MLP, {})]


def dump(spec) -> str:
    return json.dumps(spec, sort_keys=True, default=str)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("out", help="JSON file for the hashes")
    ap.add_argument("--against", help="hashes of an earlier run to compare with")
    args = ap.parse_args()
    cache = gc.TraceCache(max_entries=64)
    hashes, cold_differs = {}, []
    for key, src, kw in programs():
        prog = gc.parse(src)
        for pres in (False, True):
            for k, scale in enumerate((1.0, 1.37, -0.731)):
                inputs = {n: i.default * scale for n, i in prog.inputs.items() if not i.shape}
                for screen in ("normal", "large"):
                    name = f"{key}/{pres}/{k}/{screen}"
                    ex = gc.explore(src, inputs=inputs, cache=cache, presentation=pres,
                                    screen=screen, **kw)
                    text = dump(ex.spec) if ex.ok else str(ex.error)
                    if ex.ok and dump(gc.backward_spec(
                            ex.trace, ex.program, presentation=pres, screen=screen,
                            flagged={c.node for c in ex.checks})) != text:
                        cold_differs.append(name)
                    hashes[name] = hashlib.md5(text.encode()).hexdigest()
    Path(args.out).write_text(json.dumps(hashes, indent=0))
    print(f"{len(hashes)} figures; drawn differently with no cache: {cold_differs or 'none'}")
    bad = bool(cold_differs)
    if args.against:
        before = json.loads(Path(args.against).read_text())
        changed = sorted(n for n in hashes if n in before and before[n] != hashes[n])
        missing = sorted(set(before) ^ set(hashes))
        print(f"against {args.against}: {len(changed)} changed, {len(missing)} not in both"
              + (f" (first: {changed[:5]})" if changed else ""))
        bad = bad or bool(changed)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
