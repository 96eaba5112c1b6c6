"""how long the Run button takes, from ``bench/results/browser.json``.

A page holding ``<!-- browser-bench-table -->`` gets, in its place, a Markdown
table written from the JSON that ``nox -s bench_browser`` (``bench/browser.py``)
writes: for each way a reader meets a block (Run pressed at once, with and
without the memory snapshot; after hovering; after reading it on screen), the
median time to the first result, a warm re-run, a fresh-interpreter run after
it, and the bytes before the first result, with the start per phase and the
machine it ran on. ``<!-- browser-network-table -->`` gets the same page on each
emulated network: a first visit from the snapshot and from scratch, and a
second visit with the browser's cache kept.
"""

from guide.bench.machine import load_text

MARKER = "<!-- browser-bench-table -->"
NETWORK_MARKER = "<!-- browser-network-table -->"

MODES = {
    "cold": "Run pressed as soon as the page is open",
    "lean": "the same, Python started from scratch (save-data, slow connection)",
    "hover": "Run pressed after the pointer rested on it for {dwell_s:g} s",
    "view": "Run pressed {read_s:g} s after the block came into view",
}
PHASES = {  # moments (at, from the worker's start) and durations (in), as boot.mjs measures them
    "download": "everything downloaded at {} ms",
    "compile": "WebAssembly compiled in {} ms (streamed, while downloading)",
    "pyodide": "Python ready at {} ms",
    "project": "Django's framework imported in {} ms",
    "files": "files written in {} ms",
    "setup": "set up in {} ms",
    "total": "runtime ready at {} ms",
}


def _spread(row, key, fmt):
    """`` (lowest–highest)`` of the loads ``row`` records for ``key``, or ``""``."""
    runs = row.get(f"{key}_runs")
    if not runs or len(runs) < 2:
        return ""
    return f" ({fmt.format(min(runs))}–{fmt.format(max(runs))})"


def _downloaded(row):
    """The bytes before the first result: as sent, or (older files) gzip / brotli."""
    if "sent_mb" in row:
        return f"{row['sent_mb']:.1f} MB"
    return f"{row['gzip_mb']:.1f} MB gzip / {row['brotli_mb']:.1f} MB brotli"


def render(data):
    machine = data["machine"]
    settings = data["settings"]
    results = data["results"]
    lines = [
        "| Reader | First result | Then a warm re-run | A fresh-interpreter run "
        "| Downloaded before the first result |",
        "|---|---:|---:|---:|---:|",
    ]
    for mode, label in MODES.items():
        row = results[mode]
        lines.append(
            f"| {label.format(**settings)} "
            f"| {row['first_s']:.2f} s{_spread(row, 'first_s', '{:.2f}')} "
            f"| {row['warm_ms']} ms{_spread(row, 'warm_ms', '{}')} "
            f"| {row['fresh_ms']} ms{_spread(row, 'fresh_ms', '{}')} "
            f"| {_downloaded(row)} |"
        )
    starts = []
    for mode in ("cold", "lean"):
        phases = results[mode].get("phases_ms", {})
        steps = ", ".join(PHASES[name].format(phases[name]) for name in PHASES if name in phases)
        if "rest" in phases:  # from "runtime ready" to the first result on the page
            steps += (
                f", then {phases['rest']} ms more to the first result (the worker's own start "
                "before it measures, the run, the output shown)"
            )
        starts.append(f"{'from the snapshot' if mode == 'cold' else 'from scratch'}: {steps}")
    recorded = any("first_s_runs" in row for row in results.values())
    spread = (
        "the lowest and highest load in brackets"
        if recorded
        else "the spread across loads was not recorded"
    )
    lines += [
        "",
        "Medians of "
        f"{data['runs']} loads each ({spread}), measured on {data['date'][:10]} with Chromium "
        f"{data['chromium']} on {machine['cpu']}, {machine['cores']} cores, "
        f"{load_text(machine)}; Pyodide "
        f"{data['runtime']['pyodide']} (Python {data['runtime']['python']}), the site on "
        f"the same machine, {_encoding(data)} on the wire. Times are from the click to the "
        "output on "
        "the page. The runtime's start when Run is pressed at once, " + "; ".join(starts) + ".",
    ]
    return "\n".join(lines)


def _encoding(data):
    accepted = " ".join(data.get("accept_encoding", ["gzip"]))
    return "brotli" if "br" in accepted else "gzip"


NETWORK_MODES = {
    "first": "First visit",
    "lean": "First visit, Python started from scratch",
    "second": "Second visit (cache kept)",
}


def render_networks(data):
    networks = data.get("networks")
    if not networks:
        return (
            "These figures are not measured yet: they will be shown once measured on an "
            "idle machine with `nox -s bench_browser`."
        )
    lines = [
        "| Network | " + " | ".join(NETWORK_MODES.values()) + " |",
        "|---|" + "---:|" * len(NETWORK_MODES),
    ]
    for row in networks.values():
        cells = [
            f"{row[mode]['first_s']:.2f} s, {row[mode]['sent_mb']:.1f} MB" for mode in NETWORK_MODES
        ]
        lines.append(f"| {row['label']} | " + " | ".join(cells) + " |")
    lines += [
        "",
        f"Medians of {data['runs']} visits each: time from the click to the first result, "
        "and the bytes sent before it. Each first visit in a new browser profile; the "
        "second visit loads the page again in the same profile, whose cache keeps the "
        f"runtime's files. Measured on {data['date'][:10]}, on the same machine as above, "
        f"{_encoding(data)} on the wire.",
    ]
    return "\n".join(lines)


TABLES = {
    MARKER: ("browser.json", render),
    NETWORK_MARKER: ("browser.json", render_networks),
}
