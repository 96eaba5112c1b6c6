"""The tables the pages show in place of a marker (guide.site.tables), rendered from real data.

Each module's ``render`` is a plain function of the data: rendered here from the
committed results and the catalogue, every Markdown table it writes must be
well formed (one cell per column on every row), and a source that is missing or
malformed must stop the build naming the page and the file.
"""

import json

import pytest
from mkdocs.exceptions import PluginError

from guide.content import pages
from guide.servers.catalogue import BENCHED, SERVERS
from guide.site import markers
from guide.site.tables import fanout, servers, servers_bench, sse

TABLES = markers.all_tables()


def markdown_tables(text):
    """``[[row cells, ...], ...]``: the Markdown tables in ``text``, each a list of rows."""
    found, current = [], []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            cells = line.strip().strip("|").split("|")
            current.append([cell.strip() for cell in cells])
        elif current:
            found.append(current)
            current = []
    return found


@pytest.mark.parametrize("marker", sorted(set(TABLES) - {servers_bench.CHART_MARKER}))
def test_each_table_renders_well_formed_markdown(marker):
    source, render = TABLES[marker]
    text = render(markers.load(source))
    tables = markdown_tables(text)
    assert tables, f"{marker}: no table in\n{text}"
    for rows in tables:
        header, separator, *body = rows
        assert all(set(cell) <= set("-:") and cell for cell in separator), separator
        widths = {len(row) for row in rows}
        assert widths == {len(header)}, f"{marker}: rows of {sorted(widths)} cells:\n{text}"
        assert body, f"{marker}: a table with no row"


@pytest.mark.parametrize("marker", sorted(TABLES))
def test_each_marker_is_on_a_page(marker):
    assert any(marker in page.read_text(encoding="utf-8") for page in pages.pages()), marker


@pytest.mark.parametrize(
    "marker", sorted(m for m, (source, _) in TABLES.items() if isinstance(source, str))
)
def test_a_results_table_says_when_it_was_measured(marker):
    source, render = TABLES[marker]
    data = markers.load(source)
    assert data["date"][:10] in render(data)


def test_the_servers_tables_have_a_row_per_server_and_every_fact_in_one_column():
    tables = markdown_tables(servers.render(servers.pinned_versions()))
    assert len(tables) == len(servers.GROUPS)
    columns = []
    for (header, _, *body), (_, facts) in zip(tables, servers.GROUPS, strict=True):
        assert [row[0] for row in body] == [server.label for server in SERVERS.values()]
        assert header[1:] == facts
        columns += header[1:]
    assert sorted(columns) == sorted(title for title, _ in servers.FACTS), "each fact once"


def test_the_server_bench_names_each_server_it_measured():
    data = markers.load("servers.json")
    text = servers_bench.render(data)
    for name in {row["server"] for row in data["results"]}:
        assert BENCHED[name].label in text


def test_the_fanout_table_has_a_row_per_layer_and_says_why_deliveries_are_missing():
    data = markers.load("fanout.json")
    data["results"][0]["missing_reasons"] = {"ConnectionClosedError": 2}
    text = fanout.render(data)
    ((_, _, *body),) = markdown_tables(text)
    assert [row[0] for row in body] == [row["layer"] for row in data["results"]]
    assert "2 × `ConnectionClosedError`" in text


def test_the_fanout_figures_say_what_pages_were_sent_across_two_processes():
    data = markers.load("fanout.json")
    data["delivery"] = {
        "processes": 2,
        "idle_sockets": 10,
        "idle_seconds": 60.0,
        "idle_dropped": 3,
        "runs": 20,
        "votes": 500,
        "concurrency": 25,
        "sockets_per_process": 50,
        "runs_all_on_database_count": 19,
        "sockets_shown_an_older_count": 4,
    }
    text = fanout.render(data)
    assert "10 sockets held silent for 60 s, then a vote: 3 dropped" in text
    assert "database's count in 19 of 20 runs, and 4 sockets" in text


def test_the_sse_table_has_a_row_per_broker_with_its_memory_and_connections():
    data = markers.load("sse.json")
    text = sse.render(data)
    ((head, _, *body),) = markdown_tables(text)
    assert [row[0] for row in body] == [sse.BROKERS[r["broker"]] for r in data["results"]]
    for row, result in zip(body, data["results"], strict=True):
        assert row[-1] == str(result["database_connections_while_open"])
        assert row[-2] == f"{result['rss_per_stream_kib']:.0f}"
    data["results"][0]["all_reached_p50_ms"] = None  # a vote that missed a stream
    assert "| – |" in sse.render(data)


def test_a_missing_or_malformed_results_file_stops_the_build_naming_page_and_file(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(markers, "RESULTS", tmp_path)
    tables = {"<!-- t -->": ("t.json", fanout.render)}
    with pytest.raises(PluginError, match=r"^docs/x\.md: cannot render bench/results/t\.json"):
        markers.fill("a <!-- t --> b", "docs/x.md", tables)
    (tmp_path / "t.json").write_text(json.dumps({"date": "2026-01-01"}))
    with pytest.raises(PluginError, match=r"KeyError\('machine'\)"):
        markers.fill("a <!-- t --> b", "docs/x.md", tables)
    assert markers.fill("no marker here", "docs/x.md", tables) == "no marker here"


def test_the_pid1_table_has_a_row_per_server_and_a_column_per_form():
    from guide.site.tables import containers

    data = containers.pid1_results()
    rows = markdown_tables(containers.render(data))[0]
    assert rows[0] == ["Server", *containers.FORMS.values()]
    assert [row[0] for row in rows[2:]] == list(data["results"])
    assert {"uvicorn", "gunicorn", "daphne", "hypercorn", "granian"} == set(data["results"])
    for results in data["results"].values():
        assert set(results) == set(containers.FORMS)


def test_the_rolling_table_has_a_row_per_server_and_upstream_and_says_what_failed():
    from guide.site.tables import rolling

    data = markers.load("rolling.json")
    text = rolling.render(data)
    rows = markdown_tables(text)[0]
    assert rows[0][:3] == ["Server", "Upstream", "Requests failed"]
    results = data["results"]
    assert [(row[0], row[1]) for row in rows[2:]] == [
        (r["server"], rolling.CONFIGURATIONS[r["configuration"]]) for r in results
    ]
    assert {r["server"] for r in results} == {
        "uvicorn", "gunicorn", "daphne", "hypercorn", "granian"
    }  # fmt: skip
    for row, result in zip(rows[2:], results, strict=True):
        sent = result["requests_ok"] + result["requests_failed"]
        assert row[2] == f"{result['requests_failed']} of {sent}"
        assert len(row[5].split(", ")) == len(row[6].split(", ")) == 2  # each instance
    grace = data["settings"]["grace_seconds"]
    assert f"grace period {grace:g} s" in text
    # A made-up row: what failed is named, a SIGKILL is shown as such.
    row = dict(results[0], requests_failed=3, request_failures={"502": 3})
    row["restarts"] = [dict(row["restarts"][0], killed=True, exit=None)] * 2
    text = rolling.render(dict(data, results=[row]))
    assert f"| {grace:g} s" not in text and f"SIGKILL at {grace:g} s, SIGKILL at" in text
    assert "requests 3 × 502" in text
