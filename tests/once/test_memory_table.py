"""The memory page's table is drawn from ``bench/results/memory.json``, row for row.

The load rule (withheld on a busy machine, shown on an idle one) is tested for
every results file in ``test_bench_tables.py``; this checks what the memory
table shows once its figures are shown.
"""

import copy

from guide.servers.catalogue import SERVERS
from guide.site import markers
from guide.site.tables import memory

PAGE = "docs/howto/memory.md"


def idle(data):
    data = copy.deepcopy(data)
    data["machine"]["load_average_at_start"] = 0.1
    data["machine"]["load_average_at_end"] = 0.2
    data["machine"].pop("allow_busy", None)
    return data


def test_the_page_holds_the_marker():
    from guide.paths import ROOT

    assert memory.MARKER in (ROOT / PAGE).read_text(encoding="utf-8")


def test_each_result_is_a_row_with_its_figures():
    data = idle(markers.load("memory.json"))
    text = memory.render(data)
    rows = [line for line in text.splitlines() if line.startswith("| ") and "---" not in line]
    assert len(rows) == len(data["results"]) + 1  # the header
    for row, result in zip(rows[1:], data["results"], strict=True):
        cells = [cell.strip() for cell in row.strip("|").split("|")]
        assert cells[0] == SERVERS[result["server"]].label
        assert cells[1] == (f"`{result['options']}`" if result["options"] else "none")
        assert cells[2:] == [
            str(result["processes"]),
            f"{result['rss_mib_start']:.0f}",
            f"{result['rss_mib_after_requests']:.0f}",
            f"{result['rss_mib_after_cycles']:.0f}",
            str(result["restarts"]),
            str(result["requests_failed"]),
            f"{result['slowest_request_ms'] / 1000:.1f}",
            str(result["cycles_failed"]),
        ]
    settings = data["settings"]
    assert f"after {settings['requests']:,} requests" in rows[0]
    assert f"after {settings['cycles']:,} WebSocket cycles" in rows[0]


def test_each_server_with_an_option_runs_with_and_without_it():
    data = markers.load("memory.json")
    runs = {}
    for result in data["results"]:
        runs.setdefault(result["server"], []).append(bool(result["options"]))
    assert runs["daphne"] == [False]
    for name in ("uvicorn", "gunicorn", "hypercorn", "granian"):
        assert runs[name] == [False, True], name
