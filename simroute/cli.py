"""The ``simroute`` command line.

Errors in input print one line (``simroute: FILE:LINE: ENTRY: field 'F': message``) and exit 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .errors import InputError

__all__ = ["main"]


def _validate(args: argparse.Namespace) -> int:
    from .catalog import load_catalog

    path = Path(args.file)
    catalog = load_catalog(path)
    print(f"ok: {catalog!r}")
    return 0


def _route(args: argparse.Namespace) -> int:
    from .catalog import load_catalog
    from .classify import classify
    from .discovery import build_team, find_agents
    from .routing import decide_route

    catalog = load_catalog(args.catalog)
    c = classify(args.text, catalog)
    print(f"request:        {args.text}")
    print(f"classification: {c!r}")
    route = decide_route(c, catalog)
    print("plugin scores:")
    for s in route.scores[: args.top]:
        print(f"  {s!r}")
    print(f"primary:        {route.primary}   fallbacks: {', '.join(route.fallbacks)}")
    print(f"collaboration:  {'REQUIRED' if route.collaboration else 'no'}  strategy: {route.strategy}")
    for p in route.plan.phases:
        deps = f"  after {', '.join(p.predecessors)}" if p.predecessors else ""
        agents = ", ".join(f"{a.agent} ({a.tier} ${a.cost:.2f})" for a in p.agents)
        print(f"  phase {p.name:<14} {p.plugin:<24} {p.duration / 60:5.1f} min  {agents}{deps}")
    print(f"estimate:       {route.est_duration / 60:g} min, ${route.est_cost:.2f}")
    agents = find_agents(c, catalog)
    if agents:
        print(f"team:           {build_team(agents, c)!r}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="simroute", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("validate", help="check a catalog (directory or YAML file) and say what is wrong")
    p.add_argument("file")
    p.set_defaults(func=_validate)
    p = sub.add_parser("route", help="classify, score and route one request with the catalog")
    p.add_argument("text", nargs="?",
                   default="Build a FastAPI endpoint with MongoDB, Keycloak auth, and deploy to K8s")
    p.add_argument("--catalog", default=None, help="catalog directory or file (default: bundled)")
    p.add_argument("--top", type=int, default=5, help="how many plugin scores to show")
    p.set_defaults(func=_route)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except InputError as exc:
        print(f"simroute: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("simroute: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
