"""Charts drawn on the server as SVG (no chart library, nothing to load): stacked weekly bars
whose every segment links to the deliveries behind it."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 900, 260, 40, 40, 10


def stacked_bars(
    labels: list[str],
    series: dict[str, list[int]],
    colours: dict[str, str],
    names: dict[str, str],
    links: list[dict[str, str]],
    title: str,
) -> Markup:
    """One bar per label, one segment per series; `links[i][series]` is the segment's URL."""
    peak = max([sum(values) for values in zip(*series.values(), strict=True)] or [0]) or 1
    step = (WIDTH - LEFT) / max(len(labels), 1)
    scale = (HEIGHT - BOTTOM - TOP) / peak
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
        f'<line x1="{LEFT}" y1="{HEIGHT - BOTTOM}" x2="{WIDTH}" y2="{HEIGHT - BOTTOM}" '
        'stroke="#999"/>',
        f'<text x="4" y="{TOP + 10}" font-size="12">{peak}</text>',
    ]
    for i, label in enumerate(labels):
        x, y = LEFT + i * step + 4, float(HEIGHT - BOTTOM)
        for key, values in series.items():
            height = values[i] * scale
            if values[i]:
                y -= height
                tip = f"{label}: {values[i]} {names[key]}"
                parts.append(
                    f'<a href="{escape(links[i][key])}"><rect x="{x:.1f}" y="{y:.1f}" '
                    f'width="{step - 8:.1f}" height="{height:.1f}" fill="{colours[key]}">'
                    f"<title>{escape(tip)}</title></rect></a>"
                )
        parts.append(
            f'<text x="{x + (step - 8) / 2:.1f}" y="{HEIGHT - BOTTOM + 16}" font-size="11" '
            f'text-anchor="middle">{escape(label)}</text>'
        )
    legend_x = LEFT
    for key in series:
        parts.append(
            f'<rect x="{legend_x}" y="{HEIGHT - 14}" width="12" height="12" fill="{colours[key]}"/>'
            f'<text x="{legend_x + 16}" y="{HEIGHT - 4}" font-size="12">{escape(names[key])}</text>'
        )
        legend_x += 170
    parts.append("</svg>")
    return Markup("".join(parts))  # every inserted text is escaped above
