"""Write the small bundled traces in simroute/data/traces/, shaped after the real Azure code trace.

Usage: python tools/make_traces.py [TRACE.csv]   (default: the bundled azure-code-2023 trace)

The real trace (one hour, 8,819 requests, CC BY 4.0) is bursty: 57 gaps over 5 s take 2,465 s of
its 3,436 s. We fit a two-state on/off process to it — the mean rate inside bursts (gaps ≤ 5 s), the
mean burst length and the mean silence — and lognormal token counts (median and p99 of context and
generated tokens, in log space). We then draw 600 requests with seed 20231116:

* ``azure_like.csv`` — the Azure format (TIMESTAMP, ContextTokens, GeneratedTokens);
* ``sample.csv`` — simroute's format (time, text, budget, context_tokens, generated_tokens), each
  request given one of the seed's documented request texts.

Neither file copies a row of the real trace.
"""

from __future__ import annotations

import csv
import sys
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from simroute.io.workload import read_trace  # noqa: E402

TEXTS = ["Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s",
         "React component with accessibility", "Add a JWT login to the API",
         "Deploy the service to kubernetes with helm", "Terraform the AWS infrastructure"]


def fit(trace: dict) -> dict:
    gaps = np.diff(trace["time"])
    burst = gaps <= 5.0
    z = 2.326  # p99 of a standard normal
    out = {"rate_on": 1 / gaps[burst].mean(), "mean_off": gaps[~burst].mean(),
           "mean_on": gaps[burst].sum() / max((~burst).sum(), 1)}
    for col in ("context_tokens", "generated_tokens"):
        logs = np.log(trace[col])
        mu = np.median(logs)
        out[col] = (mu, max((np.quantile(logs, 0.99) - mu) / z, 1e-3))
    return out


def main(src: Path) -> None:
    p = fit(read_trace(src, "azure"))
    rng = np.random.default_rng(20231116)
    times, t, on_until = [], 0.0, rng.exponential(p["mean_on"])
    while len(times) < 600:
        t += rng.exponential(1 / p["rate_on"])
        if t > on_until:
            t = on_until + rng.exponential(p["mean_off"])
            on_until = t + rng.exponential(p["mean_on"])
        times.append(t)
    ctx = np.maximum(1, np.round(rng.lognormal(*p["context_tokens"], 600))).astype(int)
    gen = np.maximum(1, np.round(rng.lognormal(*p["generated_tokens"], 600))).astype(int)
    start = datetime(2026, 1, 1, 12, 0, 0)
    with open(ROOT / "simroute/data/traces/azure_like.csv", "w", newline="") as f:
        f.write("TIMESTAMP,ContextTokens,GeneratedTokens\n")
        for ti, c, g in zip(times, ctx, gen, strict=True):
            stamp = (start + timedelta(seconds=ti)).strftime("%Y-%m-%d %H:%M:%S.%f") + "0"
            f.write(f"{stamp},{c},{g}\n")
    texts = rng.choice(len(TEXTS), 600)
    with open(ROOT / "simroute/data/traces/sample.csv", "w", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["time", "text", "budget", "context_tokens", "generated_tokens"])
        for ti, k, c, g in zip(times, texts, ctx, gen, strict=True):
            out.writerow([f"{ti:.3f}", TEXTS[k], "0.50" if k == 0 else "", c, g])
    print({k: (round(v, 3) if isinstance(v, float) else v) for k, v in p.items()})


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else
         ROOT / "simroute/data/traces/azure-code-2023/AzureLLMInferenceTrace_code.csv")
