"""Write the example logs shipped in simroute/data/logs/ (one per format) from the known system
beside them (system.yaml): a run's calls, logged as a gateway would. Re-run after changing it:

    python tools/make_example_logs.py
"""

from __future__ import annotations

import simroute as sr
from simroute.experiments.calibrate import logs_of_run
from simroute.io.logs import write_logs

FILES = {"csv": "example.csv", "otel": "example.otel.jsonl", "litellm": "example.litellm.jsonl"}


def main() -> None:
    folder = sr.catalog.data_dir() / "logs"
    scenario = sr.Scenario.from_yaml(folder / "system.yaml")
    res = sr.run(scenario, seed=7)
    groups = {d.name: d.group for d in scenario.model_groups.deployments.values()}
    frame = logs_of_run(res.attempts, res.requests, groups)
    for fmt, name in FILES.items():
        write_logs(frame, folder / name, fmt)
        print(f"wrote {folder / name}: {len(frame):,} attempts")


if __name__ == "__main__":
    main()
