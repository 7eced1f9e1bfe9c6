"""Draw the architecture diagram of the docs: ``docs/img/architecture.svg``.

    python tools/make_diagram.py

A request's path through the orchestrator (the seed's world: classifier, scoring, routing, plans,
guards, plugins, bus, state store, sagas) and, beside it, the LLM gateway's (model groups,
deployments, quotas, token-aware calls), both ending in the same attempts, recorder and tables.
Each box names the module that holds it. The layout is declared below; matplotlib draws it (no
other tool needed), with a fixed hash salt and no date, so the file changes only when the layout does.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "img" / "architecture.svg"

#: name → (x, y, width, title, module, colour): boxes centred at (x, y)
BOXES = {
    "workload": (50, 58, 30, "Workload or trace", "io/workload.py, io/tracefile.py", "#e8e8e8"),
    "arrivals": (50, 50.5, 30, "Arrivals", "engine/arrivals.py", "#e8e8e8"),
    "classify": (32, 41, 30, "Classifier", "policies/classify.py", "#d6e9f8"),
    "score": (32, 34, 30, "Capability scoring", "policies/scoring.py", "#d6e9f8"),
    "route": (32, 27, 30, "Routing: primary, fallbacks, team", "policies/routing.py, discovery.py",
              "#d6e9f8"),
    "plan": (32, 20, 30, "Plan, budget, cost optimizer", "policies/plan.py, cost.py", "#d6e9f8"),
    "bus": (4, 27, 15, "Message bus", "engine/bus.py", "#e3f1de"),
    "state": (4, 20, 15, "State store", "engine/state.py", "#e3f1de"),
    "saga": (4, 12, 15, "Saga + undo", "engine/sagas.py", "#d6e9f8"),
    "group": (80, 41, 30, "Model group router", "engine/grouprouter.py", "#fde7c8"),
    "pick": (80, 34, 30, "Pick: shuffle, least-busy, cost…", "policies/strategies.py", "#fde7c8"),
    "cooldown": (80, 27, 30, "Retries, cooldowns, fallbacks", "resilience/cooldown.py", "#fde7c8"),
    "guards": (52, 11, 50, "Guards: deadline, breaker, bulkhead, rpm/tpm, shedding",
               "engine/guards.py, resilience/", "#f6d5d5"),
    "server": (52, 3.5, 50, "Plugin or deployment: slots, faults, service time",
               "engine/plugins.py, faults.py, common/distributions.py", "#f6d5d5"),
    "records": (52, -4, 50, "Recorder → tables → metrics, sweeps, report",
                "engine/recorder.py, experiments/, faces/", "#e8e8e8"),
}
#: arrows: (from, its side, to, its side, label) — sides: t(op), b(ottom), l(eft), r(ight)
ARROWS = [
    ("workload", "b", "arrivals", "t", ""),
    ("arrivals", "b", "classify", "t", "a job for the orchestrator"),
    ("arrivals", "b", "group", "t", "a call to a model group"),
    ("classify", "b", "score", "t", ""), ("score", "b", "route", "t", ""), ("route", "b", "plan", "t", ""),
    ("route", "l", "bus", "r", "decisions"), ("bus", "b", "state", "t", ""),
    ("plan", "b", "guards", "t", "each phase, each attempt"),
    ("plan", "l", "saga", "r", "a saga"), ("saga", "r", "guards", "l", "each step"),
    ("group", "b", "pick", "t", ""), ("pick", "b", "cooldown", "t", ""),
    ("cooldown", "b", "guards", "t", "each attempt"),
    ("guards", "b", "server", "t", "admitted"), ("server", "b", "records", "t", "every row"),
]
HEIGHT = 5.2
PAD = 0.6


def _anchor(name: str, side: str) -> tuple[float, float]:
    x, y, width = BOXES[name][:3]
    return {"t": (x, y + HEIGHT / 2 + PAD), "b": (x, y - HEIGHT / 2 - PAD),
            "l": (x - width / 2 - PAD, y), "r": (x + width / 2 + PAD, y)}[side]


def draw() -> plt.Figure:
    fig, ax = plt.subplots(figsize=(11, 7.2))
    ax.set_xlim(-6, 104)
    ax.set_ylim(-8, 62)
    ax.axis("off")
    for (x0, x1, y0, y1, colour, words) in (
            (15.5, 48.5, 16.2, 45.6, "#3b7dbf", "The orchestrator: jobs of minutes to hours"),
            (63.5, 96.5, 23.2, 45.6, "#c77d16", "The LLM gateway: calls of seconds, tokens, quotas")):
        ax.add_patch(FancyBboxPatch((x0, y0), x1 - x0, y1 - y0, boxstyle="round,pad=0.4", fc="none",
                                    ec=colour, lw=1, ls="--"))
        ax.text(x0 + 0.5, y1 + 1.0, words, fontsize=8, color=colour, weight="bold", va="bottom")
    for x, y, width, title, module, colour in BOXES.values():
        ax.add_patch(FancyBboxPatch((x - width / 2, y - HEIGHT / 2), width, HEIGHT,
                                    boxstyle="round,pad=0.3,rounding_size=0.8", fc=colour, ec="#555555",
                                    lw=0.8))
        ax.text(x, y + 0.9, title, ha="center", va="center", fontsize=8.5, weight="bold")
        ax.text(x, y - 1.2, module, ha="center", va="center", fontsize=6.5, family="monospace",
                color="#333333")
    for a, side_a, b, side_b, label in ARROWS:
        start, end = _anchor(a, side_a), _anchor(b, side_b)
        ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, lw=0.9,
                                     color="#444444", shrinkA=0, shrinkB=0))
        if label:
            mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
            ax.text(mx + 0.8, my, label, fontsize=6.5, style="italic", color="#333333",
                    ha="left" if side_a in "tb" else "center", va="center" if side_a in "tb" else "bottom",
                    bbox={"fc": "white", "ec": "none", "pad": 0.5})
    fig.tight_layout()
    return fig


def main() -> None:
    plt.rcParams["svg.hashsalt"] = "simroute"
    OUT.parent.mkdir(parents=True, exist_ok=True)
    draw().savefig(OUT, format="svg", metadata={"Date": None})
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
