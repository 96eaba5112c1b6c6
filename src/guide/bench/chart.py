"""The servers chart, ``docs/assets/servers-bench.svg``, drawn by hand from ``servers.json``.

``bench/servers.py`` draws it when it writes the results (``--chart-only``
redraws it from them); ``tests/once/test_bench_tables.py`` checks that the
file in ``docs/`` is what :func:`chart_svg` draws from the results file.
"""

from xml.sax.saxutils import escape

from guide.servers.catalogue import BENCHED


def _text(x, y, content, size=12, anchor="start", weight="normal", fill="#222"):
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-weight="{weight}" fill="{fill}">{escape(str(content))}</text>'
    )


def _nice_max(value):
    """A round axis maximum at or above ``value``."""
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1)
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude


FONT_MIN = 12
"""The smallest font size in the chart: it is drawn at its own width (:data:`CHART_WIDTH`)."""
CHART_WIDTH = 680
"""At most the pages' content column at 1280 px, so the browser does not shrink the text."""


def _range(row, key):
    """``(lowest, highest)`` of ``key`` over the row's runs, or ``None`` for a single run."""
    runs = row.get("runs") or []
    if len(runs) < 2:
        return None
    values = [run[key] for run in runs]
    return min(values), max(values)


def chart_svg(data):
    """A horizontal bar chart: requests/s (left) and p99 latency (right) per cell.

    A bar is the median of the cell's runs; a black line over it spans the
    lowest to the highest run, when the results file records several.
    """
    results = data["results"]
    servers = [name for name in BENCHED if any(r["server"] == name for r in results)]
    views = data["settings"]["views"]
    groups = []
    for view in views:
        for concurrency in data["settings"]["concurrency"]:
            rows = {
                r["server"]: r
                for r in results
                if r["view"] == view and r["concurrency"] == concurrency
            }
            if rows:
                groups.append((view, concurrency, rows))

    label_w, panel_w, gap, bar_h, bar_gap, head_h = 182, 190, 60, 16, 4, 26
    width = CHART_WIDTH
    top = 132
    group_h = head_h + len(servers) * (bar_h + bar_gap) + 10
    height = top + len(groups) * group_h + 40
    panels = [
        ("requests/s (higher is better)", "requests_per_second", "{:.0f}"),
        ("p99 latency, ms (lower is better)", "p99_ms", "{:.0f}"),
    ]

    def highest(row, key):
        spread = _range(row, key)
        return spread[1] if spread else row[key]

    maxima = {key: _nice_max(max(highest(r, key) for r in results)) for _, key, _ in panels}

    machine_info = data["machine"]
    settings = data["settings"]
    runs = settings.get("runs", 1)
    memory = f", {machine_info['memory_gib']} GiB" if machine_info.get("memory_gib") else ""
    load = machine_info.get("load_average_at_start")
    load = f", load average {load:g} at start" if load is not None else ""
    end = machine_info.get("load_average_at_end")
    load += f", {end:g} at end" if end is not None else ""
    lines = [
        f"Django {data['django']}, Python {data['python']}, production settings, "
        "1 worker per server,",
        f"{settings['requests']} requests per run, aiohttp client on the same machine;",
        f"{machine_info['cpu']}, {machine_info['cores']} cores{memory}{load}; {data['date'][:10]}",
        (
            f"Bars: median of {runs} runs per cell; black lines: lowest to highest run."
            if runs > 1
            else "One run per cell (no spread recorded)."
        ),
    ]
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="system-ui, -apple-system, '
        f'Segoe UI, Helvetica, Arial, sans-serif" role="img" '
        f'aria-label="Requests per second and p99 latency of Django on the ASGI servers">',
        f'<rect width="{width}" height="{height}" fill="#fff"/>',
        _text(12, 24, "Django on ASGI servers: the sync and the async view", 16, weight="bold"),
    ]
    out += [_text(12, 46 + 17 * i, line, FONT_MIN, fill="#444") for i, line in enumerate(lines)]
    for index, (title, key, _) in enumerate(panels):
        x0 = label_w + index * (panel_w + gap)
        out.append(_text(x0, top - 10, title, FONT_MIN, weight="bold"))
        axis_y = top + len(groups) * group_h
        for tick in range(5):
            value = maxima[key] * tick / 4
            x = x0 + panel_w * tick / 4
            out.append(
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{axis_y}" '
                f'stroke="#e3e3e3" stroke-width="1"/>'
            )
            if tick % 2 == 0:  # three labels a panel: room for four digits at 12 px
                out.append(
                    _text(x, axis_y + 16, f"{value:g}", FONT_MIN, anchor="middle", fill="#444")
                )
    for g_index, (view, concurrency, rows) in enumerate(groups):
        y = top + g_index * group_h
        path = views[view]
        out.append(
            _text(12, y + 17, f"{view} view {path}, {concurrency} concurrent", 13, weight="bold")
        )
        for s_index, name in enumerate(servers):
            row = rows.get(name)
            by = y + head_h + s_index * (bar_h + bar_gap)
            out.append(
                _text(label_w - 8, by + bar_h - 4, BENCHED[name].chart_label, FONT_MIN, "end")
            )
            if row is None:
                continue
            for p_index, (_, key, fmt) in enumerate(panels):
                x0 = label_w + p_index * (panel_w + gap)
                w = panel_w * row[key] / maxima[key]
                spread = _range(row, key)
                spread_text = (
                    f" (runs {fmt.format(spread[0])} to {fmt.format(spread[1])})" if spread else ""
                )
                out.append(
                    f'<rect x="{x0}" y="{by}" width="{w:.1f}" height="{bar_h}" '
                    f'fill="{BENCHED[name].colour}" rx="2"><title>'
                    f"{escape(BENCHED[name].chart_label)}, {view}, {concurrency} concurrent: "
                    f"{row['requests_per_second']:.0f} req/s, p50 {row['p50_ms']:.1f} ms, "
                    f"p99 {row['p99_ms']:.1f} ms, {row['errors']} errors"
                    f"{spread_text}</title></rect>"
                )
                end_x = x0 + w
                if spread:
                    low = x0 + panel_w * spread[0] / maxima[key]
                    high = x0 + panel_w * spread[1] / maxima[key]
                    mid = by + bar_h / 2
                    out.append(
                        f'<path d="M{low:.1f} {mid - 4:.1f}v8M{low:.1f} {mid:.1f}H{high:.1f}'
                        f'M{high:.1f} {mid - 4:.1f}v8" stroke="#111" stroke-width="1.5" '
                        'fill="none"/>'
                    )
                    end_x = max(end_x, high)
                out.append(_text(end_x + 4, by + bar_h - 3, fmt.format(row[key]), FONT_MIN))
    out.append("</svg>")
    return "\n".join(out) + "\n"
