"""Benchmark figures on the pages: only from an idle machine, with their spread.

One rule, :func:`guide.bench.machine.too_busy` (a 1-minute load average above
1.5 per core, at the start or at the end), decides both whether a bench
script measures and writes, and whether the site shows a results file's
figures (:func:`guide.site.markers.fill`). Loads are passed in, not made.
"""

import copy
import json
import re
import runpy
import sys
from xml.etree import ElementTree

import pytest

from guide.bench import chart, machine
from guide.paths import ROOT
from guide.services import processes
from guide.site import markers
from guide.site.tables import browser_bench, fanout, servers_bench

TABLES = markers.all_tables()
# The results files of timings: the load rule applies to them (not to markers.UNTIMED).
RESULTS_MARKERS = sorted(
    m
    for m, (source, _) in TABLES.items()
    if isinstance(source, str) and source not in markers.UNTIMED
)


def at_load(data, start, end=None):
    """A copy of ``data`` whose machine recorded these load averages (per core × cores)."""
    data = copy.deepcopy(data)
    cores = data["machine"]["cores"]
    data["machine"]["load_average_at_start"] = round(start * cores, 2)
    data["machine"].pop("load_average_at_end", None)
    if end is not None:
        data["machine"]["load_average_at_end"] = round(end * cores, 2)
    return data


def fill_with(tmp_path, monkeypatch, marker, data, page=None):
    """The page text ``marker`` becomes with ``data`` as its results file."""
    source, _ = TABLES[marker]
    monkeypatch.setattr(markers, "RESULTS", tmp_path)
    (tmp_path / source).write_text(json.dumps(data))
    return markers.fill(page or f"Before.\n\n{marker}\n\nAfter.\n", "docs/x.md", TABLES)


def figures(text):
    """The numbers in ``text`` that are not part of a date, a version or the load line."""
    return re.findall(r"(?<![\d.\-])\d+(?:\.\d+)?(?![\d.\-])", text)


@pytest.mark.parametrize("marker", RESULTS_MARKERS)
def test_a_results_file_over_the_limit_shows_one_withheld_line_and_no_figure(
    marker, tmp_path, monkeypatch
):
    source, _ = TABLES[marker]
    data = markers.load(source)
    busy = at_load(data, 1.6, None)
    text = fill_with(tmp_path, monkeypatch, marker, busy)
    line = text.removeprefix("Before.\n\n").removesuffix("\n\nAfter.\n")
    assert "\n" not in line, line
    assert line.startswith("These figures are withheld: they were measured on a busy machine")
    assert f"`{markers.REMEASURE[source]}`" in line
    assert f"at the start on {data['machine']['cores']} cores, above 1.5 per core" in line
    assert "|" not in line and "![" not in line
    # The only numbers: the load, the cores and the limit.
    load = busy["machine"]["load_average_at_start"]
    assert set(figures(line)) <= {f"{load:g}", str(data["machine"]["cores"]), "1.5"}, line


@pytest.mark.parametrize("marker", RESULTS_MARKERS)
def test_a_results_file_at_the_limit_shows_its_figures(marker, tmp_path, monkeypatch):
    source, render = TABLES[marker]
    data = at_load(markers.load(source), 1.5, 1.5)
    text = fill_with(tmp_path, monkeypatch, marker, data)
    assert "withheld" not in text
    assert render(data) in text


def test_a_file_that_records_no_load_is_withheld():
    data = markers.load("fanout.json")
    del data["machine"]["load_average_at_start"]
    assert "no load average was recorded" in markers.withheld("fanout.json", data)


def test_the_rule_counts_cores_and_judges_the_machine_before_the_benchmark():
    assert machine.too_busy({"cores": 2, "load_average_at_start": 3.0}) is None
    assert machine.too_busy({"cores": 2, "load_average_at_start": 3.01})
    assert machine.too_busy({"cores": 8, "load_average_at_start": 12.0}) is None
    # The load at the end includes the benchmark's own clients and servers: a
    # load test on two cores ends above 3 by itself, so it is recorded, not judged.
    assert (
        machine.too_busy({"cores": 2, "load_average_at_start": 0.3, "load_average_at_end": 3.35})
        is None
    )
    assert machine.too_busy({"cores": 2, "load_average_at_end": 0.3})


def test_the_reading_of_withheld_figures_goes_with_them(tmp_path, monkeypatch):
    marker = "<!-- bench-switch -->"
    page = (
        f"Intro.\n\n{marker}\n\n<!-- bench-switch: reading -->\n## What the figures show\n\n"
        "ASGI served more.\n<!-- /bench-switch: reading -->\n\n## Next\n"
    )
    data = markers.load("switch.json")
    withheld = fill_with(tmp_path, monkeypatch, marker, at_load(data, 2.0), page)
    assert "ASGI served more" not in withheld and "reading" not in withheld
    assert withheld.endswith("\n\n## Next\n")
    shown = fill_with(tmp_path, monkeypatch, marker, at_load(data, 0.1, 0.1), page)
    assert "## What the figures show\n\nASGI served more.\n\n## Next\n" in shown
    assert "reading -->" not in shown


def test_each_reading_on_a_page_belongs_to_a_marker_on_that_page():
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for name in re.findall(r"<!-- ([^\s/]\S*): reading -->", text):
            assert f"<!-- {name} -->" in text, (page, name)
            assert f"<!-- /{name}: reading -->" in text, (page, name)


def script_of(command):
    """The bench script that the nox session of ``command`` runs."""
    noxfile = (ROOT / "noxfile.py").read_text()
    session = command.removeprefix("nox -s ")
    body = noxfile.split(f"def {session}(session):", 1)[1].split("\n@nox.session", 1)[0]
    (script,) = re.findall(r'"(bench/\w+\.py)"', body)
    return ROOT / script


def test_each_results_file_has_a_command_that_writes_it():
    sources = {source for source, _ in TABLES.values() if isinstance(source, str)}
    assert sources == set(markers.REMEASURE) | set(markers.UNTIMED)
    assert not set(markers.REMEASURE) & set(markers.UNTIMED)
    for source, command in {**markers.REMEASURE, **markers.UNTIMED}.items():
        assert source in script_of(command).read_text(), (source, command)


@pytest.mark.parametrize("source", sorted(markers.UNTIMED))
def test_a_file_of_behaviour_records_no_machine_and_is_shown_under_any_load(source):
    data = markers.load(source)
    assert "machine" not in data  # nothing a busy machine could change
    (marker,) = [m for m, (s, _) in TABLES.items() if s == source]
    _, render = TABLES[marker]
    assert markers.fill(f"{marker}\n", "docs/x.md", TABLES) == render(data) + "\n"


# --- The spread ---------------------------------------------------------------


def with_runs(data):
    """servers.json as ``--runs 3`` writes it: each cell's runs, the row their medians."""
    data = copy.deepcopy(data)
    data["settings"]["runs"] = 3
    for row in data["results"]:
        row["runs"] = [
            {key: row[key] * factor for key in ("requests_per_second", "p50_ms", "p99_ms")}
            for factor in (0.9, 1.0, 1.2)
        ]
    return data


def test_the_server_tables_show_the_lowest_and_highest_run():
    data = with_runs(markers.load("servers.json"))
    text = servers_bench.render(data)
    row = data["results"][0]
    rps, p99 = row["requests_per_second"], row["p99_ms"]
    assert f"{rps:.0f} ({rps * 0.9:.0f}–{rps * 1.2:.0f})" in text
    assert f"/ {p99:.0f} ({p99 * 0.9:.0f}–{p99 * 1.2:.0f})" in text
    assert "median of 3 runs" in text
    single = servers_bench.render(markers.load("servers.json"))
    assert "–" not in single and "no spread was recorded" in single


def test_the_browser_table_shows_the_lowest_and_highest_load():
    data = markers.load("browser.json")
    cold = data["results"]["cold"]
    phases = cold["phases_ms"]
    text = browser_bench.render(data)
    assert f"runtime ready at {phases['total']} ms, then {phases['rest']} ms more" in text
    cold["first_s_runs"] = [1.6, 1.71, 2.05]
    cold["warm_ms_runs"] = [30, 35, 41]
    cold["first_s"], cold["warm_ms"] = 1.71, 35
    text = browser_bench.render(data)
    assert "| 1.71 s (1.60–2.05) | 35 ms (30–41) |" in text
    assert "the lowest and highest load in brackets" in text
    for row in data["results"].values():  # a file from before the spread was kept
        for key in [key for key in row if key.endswith("_runs")]:
            del row[key]
    assert "the spread across loads was not recorded" in browser_bench.render(data)


def test_the_network_table_is_withheld_until_measured_then_shows_each_visit():
    data = markers.load("browser.json")
    data.pop("networks", None)
    assert browser_bench.render_networks(data).startswith("These figures are not measured yet")
    visit = {"first_s": 4.93, "sent_mb": 16.02, "runtime_mb": 15.8}
    data["networks"] = {
        "50mbit-20ms": {
            "label": "50 Mbit/s, 20 ms",
            "first": visit,
            "lean": {**visit, "first_s": 6.5, "sent_mb": 8.23},
            "second": {"first_s": 0.91, "sent_mb": 0.04, "runtime_mb": 0.0},
        }
    }
    data["accept_encoding"] = ["gzip, deflate, br, zstd"]
    text = browser_bench.render_networks(data)
    assert "| 50 Mbit/s, 20 ms | 4.93 s, 16.0 MB | 6.50 s, 8.2 MB | 0.91 s, 0.0 MB |" in text
    assert "brotli on the wire" in text


def test_the_fanout_table_explains_missing_and_shows_the_answers_spread():
    data = markers.load("fanout.json")
    data["results"][1].update(missing=5, answer_min_ms=3.2, answer_max_ms=9.75)
    text = fanout.render(data)
    assert "| 5 | 4.4 (3.2–9.8) |" in text
    assert "Missing: broadcasts a client had not received 30 s after the vote" in text
    assert "`capacity` messages (100 by default)" in text


def svg_texts(svg):
    root = ElementTree.fromstring(svg)
    return [e for e in root.iter() if e.tag.endswith("text")], root


def test_the_chart_is_what_the_results_draw_and_reads_at_12_px():
    data = markers.load("servers.json")
    svg = (ROOT / "docs" / "assets" / "servers-bench.svg").read_text()
    assert svg == chart.chart_svg(data), "redraw: python bench/servers.py --chart-only"
    texts, root = svg_texts(svg)
    # Not wider than the content column at 1280 px, so drawn at its own size.
    assert int(root.get("width")) <= 688
    assert min(float(t.get("font-size")) for t in texts) >= 12
    assert "One run per cell (no spread recorded)." in svg


def test_the_chart_draws_the_spread_when_the_results_have_runs():
    svg = chart.chart_svg(with_runs(markers.load("servers.json")))
    _, root = svg_texts(svg)
    lines = [e for e in root.iter() if e.tag.endswith("path")]
    assert len(lines) == 2 * len(markers.load("servers.json")["results"])
    assert "median of 3 runs per cell; black lines: lowest to highest run" in svg


# --- The bench scripts ---------------------------------------------------------


def test_a_bench_script_refuses_to_start_on_a_busy_machine(capsys):
    cores = machine.machine()["cores"]
    with pytest.raises(SystemExit) as refused:
        machine.idle_machine(load=lambda: 1.6 * cores)
    assert str(refused.value).startswith("Not measuring: 1-minute load average")
    assert "--allow-busy" in str(refused.value)
    info = machine.idle_machine(allow_busy=True, load=lambda: 1.6 * cores)
    assert info["allow_busy"] is True
    assert "allow_busy" not in machine.idle_machine(load=lambda: 0.1)


def test_write_results_records_the_load_at_the_end(tmp_path):
    out = tmp_path / "r.json"
    data = {"machine": {"cores": 2, "load_average_at_start": 0.2}, "results": []}
    machine.write_results(out, copy.deepcopy(data), load=lambda: 3.5)
    written = json.loads(out.read_text())["machine"]
    assert written == {"cores": 2, "load_average_at_start": 0.2, "load_average_at_end": 3.5}
    assert machine.too_busy(written) is None


def test_the_fanout_script_exits_1_on_a_busy_machine_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(machine.os, "getloadavg", lambda: (64.0, 64.0, 64.0))

    def started(*args, **kwargs):
        raise AssertionError("the script started measuring")

    monkeypatch.setattr(processes, "migrated_database", started)
    monkeypatch.setattr(processes, "uvicorn", started)
    out = tmp_path / "fanout.json"
    monkeypatch.setattr(sys, "argv", ["bench/fanout.py", "--out", str(out)])
    with pytest.raises(SystemExit) as refused:
        runpy.run_path(str(ROOT / "bench" / "fanout.py"), run_name="__main__")
    assert str(refused.value).startswith("Not measuring: 1-minute load average 64 at the start")
    assert not out.exists()


@pytest.mark.parametrize("command", sorted(markers.REMEASURE.values()))
def test_every_script_that_writes_results_uses_the_rule(command):
    text = script_of(command).read_text()
    assert "write_results(" in text, "write through guide.bench.machine.write_results"
    assert "json.dumps" not in text
    assert "idle_machine(" in text or re.search(r"header\(.*allow_busy", text, re.DOTALL)
    assert "allow_busy" in text


def test_no_page_quotes_a_withheld_load():
    for page in (ROOT / "docs").rglob("*.md"):
        text = page.read_text(encoding="utf-8")
        for source in markers.REMEASURE:
            info = markers.load(source)["machine"]
            for key in machine.LOADS:
                if info.get(key) is not None and machine.too_busy(info):
                    assert f"{info[key]:g}" not in text, (page, source)


def test_the_chart_scrolls_on_a_narrow_screen_instead_of_shrinking():
    html = (ROOT / "docs" / "assets" / "stylesheets" / "extra.css").read_text()
    assert re.search(r"\.bench-chart img \{\s*max-width: none;", html)
    text = servers_bench.render_chart(markers.load("servers.json"))
    assert text.startswith('<div class="md-typeset__scrollwrap bench-chart" markdown>')
    assert f"]({servers_bench.CHART})" in text


# --- What the pages say the figures show (<!-- NAME: reading -->) --------------
# Checked on the committed figures, withheld or not: a re-measurement that
# changes what they show fails here until the page's reading is rewritten.


def test_should_you_switch_reading_holds_for_the_switch_figures():
    rows = markers.load("switch.json")["results"]
    by = {(r["server"], r["view"], r["concurrency"]): r["requests_per_second"] for r in rows}
    for view in ("sync", "async"):
        for clients in (10, 50):
            assert by["wsgi", view, clients] > by["asgi", view, clients], (view, clients)
    assert by["asgi", "blocking", 10] > 4 * by["wsgi", "blocking", 10]
    assert by["asgi", "blocking", 50] > 13 * by["wsgi", "blocking", 50]
    assert not any(r["errors"] for r in rows)
    # Two sync workers, 50 ms waits: at most 40 per second (and some overhead).
    assert all(
        r["requests_per_second"] <= 40
        for r in rows
        if r["server"] == "wsgi" and r["view"] == "blocking"
    )


def test_production_reading_holds_for_the_votes_figures():
    rows = markers.load("votes.json")["results"]
    defaults = [r for r in rows if r["database"] == "SQLite, Django's defaults"]
    assert all(r["database_is_locked_errors"] for r in defaults)
    atomic = next(r for r in defaults if r["atomic_requests"])
    assert atomic["errors"] > max(r["errors"] for r in defaults if not r["atomic_requests"])
    for row in rows:
        if row not in defaults:
            assert row["errors"] == 0 and row["counted"] == row["answered_200"] == row["votes_sent"]


def test_production_reading_holds_for_the_postgres_figures():
    rows = markers.load("postgres.json")["results"]
    settings = markers.load("postgres.json")["settings"]
    for row in rows:
        if row["setting"] == "CONN_MAX_AGE = 0":
            assert row["errors"] == 0 and row["connections_after"] == 0
            assert row["peak_connections"] <= settings["concurrency"]
        elif row["setting"] == "CONN_MAX_AGE = 60":
            assert row["connections_refused"] > 0 and row["connections_after"] > 0
        else:
            # The pool's max_size: psycopg-pool's default of 4 with "pool": True.
            size = re.search(r'"max_size": (\d+)', row["code"])
            assert row["errors"] == 0 and row["peak_connections"] <= int(size[1] if size else 4)
            opening = next(
                r for r in rows if r["setting"] == "CONN_MAX_AGE = 0" and r["view"] == row["view"]
            )
            assert row["requests_per_second"] > opening["requests_per_second"]


def test_containers_reading_holds_for_the_rolling_figures():
    rows = markers.load("rolling.json")["results"]
    by = {(r["server"], r["configuration"]): r for r in rows}
    servers = {r["server"] for r in rows}
    defaults = [by[s, "defaults"] for s in servers]
    # "requests failed with most servers, every one a 502 answer from nginx"
    assert 2 * sum(1 for r in defaults if r["requests_failed"]) > len(servers)
    for row in defaults:
        assert set(row["request_failures"]) <= {"502"}, row["request_failures"]
    # "With max_fails=0, nginx answered no request with 502 and every stream opened"
    for server in servers:
        fixed = by[server, "max_fails=0"]
        assert "502" not in fixed["request_failures"] and fixed["streams_refused"] == 0, fixed
    # Streams already open: cut by Daphne only, with either upstream block.
    for row in rows:
        assert (row["streams_cut"] > 0) == (row["server"] == "daphne"), row


def test_server_sent_events_reading_holds_for_the_sse_figures():
    rows = {r["broker"]: r for r in markers.load("sse.json")["results"]}
    assert set(rows) == {"redis", "postgres"}
    # "every vote reached all 500 streams, none missing, half of them within 100 ms"
    for row in rows.values():
        assert row["streams"] == 500 and row["missing"] == 0, row
        assert row["deliveries"] == row["streams"] * row["events"], row
        assert row["p50_ms"] < 100, row
        # "an open stream cost under 100 KiB of the process's memory"
        assert row["rss_per_stream_kib"] < 100, row
    # "the two medians are within a quarter of each other"
    medians = sorted(row["p50_ms"] for row in rows.values())
    assert medians[1] <= 1.25 * medians[0], medians
    # "none to the database with Redis, one per process with LISTEN/NOTIFY"
    assert rows["redis"]["database_connections_while_open"] == 0
    assert rows["postgres"]["database_connections_while_open"] == 1
