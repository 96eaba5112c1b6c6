"""The PID 1 table of the containers page, from ``snippets/containers/pid1.json``.

``tests/django/test_containers.py`` runs each server's command as PID 1 of a new
PID namespace in four forms, stops it as an orchestrator does (SIGTERM, then
SIGKILL after the grace period) and asserts that what happened is what the JSON
says; the page shows the JSON as a table.
"""

import json

from guide.paths import SNIPPETS

MARKER = "<!-- pid1-table -->"
SOURCE = SNIPPETS / "containers" / "pid1.json"
FORMS = {
    "exec": "Exec form",
    "shell": "Shell form",
    "init_exec": "tini, exec form",
    "init_shell": "tini, shell form",
    "init_group_shell": "tini -g, shell form",
}


def pid1_results():
    return json.loads(SOURCE.read_text(encoding="utf-8"))


def cell(result, grace):
    if result["killed"]:
        stopped = f"SIGKILL after {grace} s"
    else:
        stopped = f"exit {result['exit']}"
    stream = "completed" if result["drained"] else "cut"
    return f"{stopped}; stream {stream}"


def render(data):
    grace = data["grace_seconds"]
    lines = [
        "| Server | " + " | ".join(FORMS.values()) + " |",
        "|---|" + "---|" * len(FORMS),
    ]
    for server, results in data["results"].items():
        cells = " | ".join(cell(results[form], grace) for form in FORMS)
        lines.append(f"| {server} | {cells} |")
    return "\n".join(lines)


TABLES = {MARKER: (pid1_results, render)}
