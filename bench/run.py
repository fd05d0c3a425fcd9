"""Run the benchmarks: every ``bench/bench_*.py`` module's ``main(workdir)``; results to bench/results/.

Usage: ``python bench/run.py [NAME ...]`` (``make bench`` runs them all). Each module returns a
dict of measurements (times, ratios against the reference, agreement figures, peak memory), which
is written to ``bench/results/<name>.json`` and printed. Reference packages (stcal, drizzle,
tweakwcs) live in a separate environment made by :func:`refenv.reference_python`, never in
jwcal's own.
"""

from __future__ import annotations

import importlib.util
import json
import platform
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
WORK = HERE / "work"


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(HERE))
    spec.loader.exec_module(module)
    return module


def main(names: list[str]) -> int:
    RESULTS.mkdir(exist_ok=True)
    modules = sorted(HERE.glob("bench_*.py"))
    if names:
        modules = [m for m in modules if m.stem.removeprefix("bench_") in names]
    failed = 0
    for path in modules:
        name = path.stem.removeprefix("bench_")
        workdir = WORK / name
        workdir.mkdir(parents=True, exist_ok=True)
        print(f"== {name}", flush=True)
        started = time.time()
        try:
            result = _load(path).main(workdir)
        except Exception as exc:  # a failing benchmark must not hide the others
            print(f"   FAILED: {type(exc).__name__}: {exc}", flush=True)
            failed += 1
            continue
        result["_meta"] = {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "wall_seconds": round(time.time() - started, 1),
            "machine": platform.machine(),
            "python": platform.python_version(),
        }
        (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
