"""How long ``import simroute`` takes in a fresh interpreter (budget: 0.5 s).

Usage: python benchmarks/import_time.py [--rounds 7]

Each round starts a new Python and times the import inside it, so nothing is cached in the process;
prints the median and the range. ``python -X importtime -c "import simroute"`` says where the time
goes. The run-and-analyse layer (pandas, SimPy, Optuna) is imported on first use.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

CODE = "import time; t = time.perf_counter(); import simroute; print(time.perf_counter() - t)"
BUDGET = 0.5


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=7)
    args = ap.parse_args()
    times = [float(subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True,
                                  check=True).stdout) for _ in range(max(3, args.rounds))]
    median = statistics.median(times)
    print(f"import simroute: median {median:.3f} s, range {min(times):.3f}-{max(times):.3f} s over "
          f"{len(times)} fresh interpreters (budget {BUDGET} s: {'ok' if median < BUDGET else 'OVER'})")


if __name__ == "__main__":
    main()
