"""Charts drawn on the server as inline SVG from a report's frozen figures: the same picture on the page and in
the PDF, with no script. Presentation attributes only (the CSP allows no inline style)."""
from __future__ import annotations

from markupsafe import Markup, escape

BAR = "#4f46e5"
MUTED = "#cbd5e1"


def labelled(values: dict, label) -> list[tuple[str, float | None]]:
    """(label(code), value) for each code of `values`, in its order."""
    return [(str(label(code)), value) for code, value in values.items()]


def bars(items: list[tuple[str, float | None]], width: int = 560, row: int = 22, label: int = 150,
         title: str = "") -> Markup:
    """Horizontal bars, one per (label, value); a value of None is drawn as no bar with "—"."""
    if not items:
        return Markup("")
    top = max((v for _, v in items if v), default=0) or 1
    height = row * len(items) + 4
    room = width - label - 60
    parts = [f'<svg class="chart chart-bars" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">']
    for i, (name, value) in enumerate(items):
        y = i * row + 2
        w = 0 if not value else max(1, round(room * value / top))
        shown = "—" if value is None else f"{value:g}"
        parts.append(f'<text x="{label - 6}" y="{y + row * 0.68:.1f}" text-anchor="end" font-size="12" '
                     f'fill="#334155">{escape(name)}</text>'
                     f'<rect x="{label}" y="{y + 3}" width="{w}" height="{row - 8}" rx="3" fill="{BAR}"/>'
                     f'<text x="{label + w + 6}" y="{y + row * 0.68:.1f}" font-size="12" fill="#0f172a">'
                     f'{escape(shown)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 -- every text in it is escaped above


def line(points: list[tuple[str, float]], width: int = 560, height: int = 140, title: str = "") -> Markup:
    """A line over the points (label, value) with the first and last labels under it."""
    if len(points) < 2:
        return Markup("")
    top = max(v for _, v in points) or 1
    pad, step = 8, (width - 16) / (len(points) - 1)
    xy = [(pad + i * step, height - 24 - (height - 36) * v / top) for i, (_, v) in enumerate(points)]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(xy))
    return Markup(  # noqa: S704 -- every text in it is escaped
        f'<svg class="chart chart-line" viewBox="0 0 {width} {height}" role="img" aria-label="{escape(title)}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<line x1="{pad}" y1="{height - 24}" x2="{width - pad}" y2="{height - 24}" stroke="{MUTED}"/>'
        f'<path d="{path}" fill="none" stroke="{BAR}" stroke-width="2"/>'
        f'<text x="{pad}" y="{height - 6}" font-size="11" fill="#64748b">{escape(points[0][0])}</text>'
        f'<text x="{width - pad}" y="{height - 6}" font-size="11" fill="#64748b" text-anchor="end">'
        f'{escape(points[-1][0])}</text>'
        f'<text x="{pad}" y="12" font-size="11" fill="#64748b">{escape(f"{top:g}")}</text></svg>')
