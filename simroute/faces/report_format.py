"""How the report's page writes numbers, tables and figures: digits by size, 95 % intervals,
dollars, HTML tables, interval bands, inline PNGs, and the legibility check of a figure."""

from __future__ import annotations

import base64
import io
import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["num", "with_ci", "money", "money_ci", "text_overlaps", "band", "png", "html_table"]


def num(v: float) -> str:
    """A number with as many digits as its size deserves (— for NaN)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    a = abs(v)
    if a >= 1000:
        return f"{v:,.0f}"
    if a >= 100:
        return f"{v:.0f}"
    if a >= 10:
        return f"{v:.1f}"
    if a >= 1:
        return f"{v:.2f}"
    return f"{v:.3g}"


def with_ci(mean: float, low: float, high: float, scale: float = 1.0) -> str:
    """``mean (low – high)`` in the unit ``scale`` seconds (or dollars …) make one of."""
    if math.isnan(low) or math.isnan(high):
        return num(mean / scale)
    return f"{num(mean / scale)} ({num(low / scale)} – {num(high / scale)})"


def money(v: float) -> str:
    return "—" if math.isnan(v) else f"${v:,.0f}" if abs(v) >= 100 else f"${v:,.2f}"


def money_ci(mean: float, low: float, high: float) -> str:
    """Dollars with their 95 % interval (just the amount without one)."""
    if math.isnan(low) or math.isnan(high):
        return money(mean)
    return f"{money(mean)} ({money(low)} – {money(high)})"


def text_overlaps(fig: Figure) -> list[tuple[str, str]]:
    """Pairs of visible texts of ``fig`` whose drawn boxes overlap (an empty list: legible).

    Parameters:
        fig: a matplotlib figure.

    Returns:
        ``(text, text)`` for each overlapping pair.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    # tick labels exist for ticks outside the view too; only those inside it are drawn
    tick_labels, drawn = set(), set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            lo, hi = sorted(axis.get_view_interval())
            eps = (hi - lo) * 1e-9
            for tick in [*axis.get_major_ticks(), *axis.get_minor_ticks()]:
                labels = {id(tick.label1), id(tick.label2)}
                tick_labels |= labels
                if lo - eps <= tick.get_loc() <= hi + eps:
                    drawn |= labels
    boxes = []
    for t in fig.findobj(Text):
        if id(t) in tick_labels and id(t) not in drawn:
            continue
        if t.get_visible() and t.get_text().strip() and t.figure is not None:
            box = t.get_window_extent(renderer)
            if box.width > 0 and box.height > 0:
                boxes.append((t.get_text(), box.expanded(0.98, 0.9)))  # glyph boxes are generous
    out = []
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            if ba.overlaps(bb):
                out.append((a, b))
    return out


def band(ax: Any, x: Any, mean: Any, low: Any, high: Any, label: str, **kw: Any) -> None:
    line, = ax.plot(x, mean, marker="o", label=label, **kw)
    if np.isfinite(np.asarray(low, float)).any():
        ax.fill_between(x, low, high, color=line.get_color(), alpha=0.18, lw=0)


def png(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90)
    return base64.b64encode(buf.getvalue()).decode("ascii")


def html_table(frame: pd.DataFrame) -> str:
    body = frame.to_html(index=False, border=0, classes="t", na_rep="—", escape=True)
    return f'<div class="wide">{body}</div>'
