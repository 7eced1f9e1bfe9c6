"""The report's page: its HTML, its sections' figures in one list, and its header.

The page is a header (scenario, workload, loads, units), the warnings a reader must see first,
then each section of :data:`~simroute.faces.report_sections.SECTIONS` that applies, in order
(:mod:`simroute.faces.report_sections`: each section's figures, tables and words). Figures are
inline PNGs; the provenance (paths, seeds, versions, wall time, the CSV tables) is the footer.
:func:`text_overlaps` is the legibility check the tests apply to every figure.
"""

from __future__ import annotations

import html
import platform
from importlib import metadata
from typing import TYPE_CHECKING, Any

from .report_format import money, money_ci, num, png, text_overlaps, with_ci
from .report_sections import SECTIONS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from .report_data import Report

__all__ = ["render", "figures", "text_overlaps", "num", "with_ci", "money", "money_ci"]

CSS = ("body{font-family:sans-serif;max-width:1150px;margin:2em auto;color:#222}"
       "table.t{border-collapse:collapse;font-size:12px;margin:.5em 0}"
       "table.t td,table.t th{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right}"
       "table.t th{max-width:9em;vertical-align:bottom}"
       "figure{margin:1.5em 0}img{max-width:100%}header{background:#f4f4f4;padding:.8em 1em}"
       "figcaption{font-size:12px;color:#555}.wide{overflow-x:auto}.decision{border-left:4px solid #333;"
       "padding:.2em 1em}.warning{border-left:4px solid #c60;background:#fff4e5;padding:.4em 1em}"
       "footer{border-top:1px solid #ccc;margin-top:2em;font-size:12px;color:#555}")
#: marks the page once its images have loaded (the browser test reads it)
SCRIPT = ("window.addEventListener('load',function(){var i=document.images,ok=0;"
          "for(var k=0;k<i.length;k++){if(i[k].complete&&i[k].naturalWidth>0)ok++;}"
          "document.body.setAttribute('data-images-loaded',ok+'/'+i.length);"
          # and the elements wider than the window (the browser test reads it: none at 1400 px)
          "var w=document.documentElement.clientWidth,e=document.body.getElementsByTagName('*'),wide=[];"
          "for(var k=0;k<e.length;k++){var r=e[k].getBoundingClientRect();"
          "if(r.right>w+1)wide.push(e[k].tagName.toLowerCase());}"
          "document.body.setAttribute('data-too-wide',wide.length+':'+wide.slice(0,5).join(','));});")


def figures(rep: Report) -> list[tuple[str, str, str, Figure]]:
    """(section, title, caption, figure) for each figure, in page order.

    Parameters:
        rep: the report.

    Returns:
        The figures, not yet encoded.
    """
    return [(s.key, *drawn) for s in SECTIONS if s.applies(rep) for drawn in s.figures(rep)]


def _figure_html(title: str, caption: str, encoded: str) -> str:
    return (f'<figure><h3>{html.escape(title)}</h3><img alt="{html.escape(title)}" '
            f'src="data:image/png;base64,{encoded}"><figcaption>{html.escape(caption)}</figcaption></figure>')


def render(rep: Report, timings: dict[str, float]) -> str:
    """The page's HTML (``{{RENDER}}`` and ``{{TOTAL}}`` stand for timings filled in afterwards).

    Parameters:
        rep: the report, with its tables.
        timings: seconds spent so far (``simulation``).

    Returns:
        The HTML text.
    """
    parts, titles = [], []
    for section in SECTIONS:
        if not section.applies(rep):
            continue
        drawn = section.figures(rep)
        titles += [title for title, _, _ in drawn]
        parts.append(section.html(rep, "".join(_figure_html(t, c, png(f)) for t, c, f in drawn)))
    rep.figures = titles
    sc = rep.scenario
    body = "\n\n".join(parts)
    workload, warmup = html.escape(sc.workload.describe()), _warmup_words(sc.settings.warmup)
    warnings = "".join(f'<p class="warning"><b>Warning:</b> {html.escape(w)}.</p>\n' for w in rep.warnings)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>simroute report: {html.escape(sc.name)}</title>
<style>{CSS}</style><script>{SCRIPT}</script></head>
<body>
<header>
<h1>Capacity and cost: {html.escape(sc.name)}</h1>
<p>Workload: {workload}; load factors {", ".join(f"{f:g}" for f in rep.load_factors)}. Times are in
{_unit_words(rep.time_unit)}, money in dollars, a month is 730 hours.</p>
</header>
{warnings}
{body}
<footer>
<h2>How this page was made</h2>
<p>Scenario <code>{html.escape(sc.source)}</code>; seed {rep.seed}, {rep.replications} replications per
load (replication r: SeedSequence({rep.seed}, spawn_key=(r,))); {warmup}.</p>
<p>{html.escape(_versions())}.</p>
<p>Wall time {{{{TOTAL}}}} s: simulation {timings['simulation']:.1f} s, rendering {{{{RENDER}}}} s.</p>
<p>Tables as CSV beside this page, in the metrics' own units (seconds, shares, dollars; see the
metrics reference): {", ".join(f"{n}.csv" for n in rep.tables)}.</p>
</footer>
</body></html>
"""


def _unit_words(unit: str) -> str:
    return {"s": "seconds (s)", "min": "minutes (min)", "h": "hours (h)"}.get(unit, unit)


def _versions() -> str:
    found = []
    for n in ("simroute", "simpy", "pandas", "numpy", "matplotlib", "scipy"):
        try:
            found.append(f"{n} {metadata.version(n)}")
        except metadata.PackageNotFoundError:
            found.append(f"{n} ?")
    return f"Python {platform.python_version()}; " + ", ".join(found)


def _warmup_words(warm: Any) -> str:
    if not warm.seconds and not warm.requests:
        return "no warm-up left out (the scenario's warmup settings are 0)"
    return (f"warm-up left out: the requests arriving in the first {warm.seconds:g} s or among the first "
            f"{warm.requests} requests")
