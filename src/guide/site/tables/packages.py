"""Third-party packages under ASGI, from ``bench/results/packages.json``.

A page holding ``<!-- packages-table -->`` gets, in its place, the table that
``nox -s bench_packages`` (``bench/packages.py``) measured: for each package,
the middleware it adds (``sync_capable`` / ``async_capable``), each request
made, its status, its thread trips with and without the package, and what
failed or warned. Behaviour, not speed: the file records no machine, and
:data:`guide.site.markers.UNTIMED` exempts it from the load rule.
"""

from collections import Counter

MARKER = "<!-- packages-table -->"

FACTS = {
    "toolbar_shown": ("the toolbar is in the page", "no toolbar in the page"),
    "cors_header": ("`Access-Control-Allow-Origin` sent", "no `Access-Control-Allow-Origin`"),
    "django_integration": ("its Django integration is on", "its Django integration is off"),
}
"""``{fact: (text if true, text if false)}``: what a package's row says it checked."""


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def capability(middleware):
    """``CorsMiddleware``: sync and async / sync only / async only."""
    if not middleware:
        return "none"
    cells = []
    for entry in middleware:
        modes = [m for m in ("sync", "async") if entry[f"{m}_capable"]]
        kind = " and ".join(modes) + ("" if len(modes) == 2 else " only")
        cells.append(f"`{entry['path'].rsplit('.', 1)[1]}`: {kind}")
    return "<br>".join(cells)


def trips(check):
    text = str(check["trips"])
    without = check["without"]
    if without is not None:
        answered = "" if without["status"] == check["status"] else f", {without['status']}"
        text += f" ({without['trips']} without{answered})"
    return text


def added(check):
    """The trips made with the package and not without it, by the function each called."""
    if check["without"] is None:
        return ""
    extra = Counter(check["trip_names"]) - Counter(check["without"]["trip_names"])
    return "<br>".join(f"`{_cell(name)}`" for name in extra.elements())


def problems(check):
    found = [f"`{_cell(error)}`" for error in check["errors"]]
    found += [f"warns: “{_cell(warning)}”" for warning in check["warnings"]]
    return "<br>".join(found)


def declares(series, classifiers):
    """Whether a package's classifiers name Django ``series``; the newest they name if not."""
    if series in classifiers:
        return "yes"
    if not classifiers:
        return "no Django version listed"
    newest = max(classifiers, key=lambda v: tuple(map(int, v.split("."))))
    return f"no, up to {newest}"


def render(data):
    lines = [
        f"Measured on {data['date'][:10]}: Python {data['python']}, Django {data['django']}, "
        f"asgiref {data['asgiref']}; each package in the example project, in a process "
        "of its own, called as an ASGI server calls it.",
        "",
        "| Package | Declares Django "
        + ".".join(data["django"].split(".")[:2])
        + " | Middleware it adds | Request | Status | Thread trips "
        "| Trips only with it | What fails or warns |",
        "|---|---|---|---|---:|---:|---|---|",
    ]
    series = ".".join(data["django"].split(".")[:2])
    for package in data["packages"]:
        facts = [FACTS[name][0 if value else 1] for name, value in package.get("facts", {}).items()]
        for index, check in enumerate(package["checks"]):
            first = index == 0
            request = f"{_cell(check['request'])}, `{check['path']}`"
            if first and facts:
                request += " (" + "; ".join(facts) + ")"
            lines.append(
                "| "
                + " | ".join(
                    [
                        f"{package['package']} {package['version']}" if first else "",
                        declares(series, package["django_classifiers"]) if first else "",
                        capability(package["middleware"]) if first else "",
                        request,
                        str(check["status"]),
                        trips(check),
                        added(check),
                        problems(check),
                    ]
                )
                + " |"
            )
    if not any(package["changelog_files"] for package in data["packages"]):
        lines += [
            "",
            "None of these installed packages ships a changelog file (`CHANGELOG`, "
            "`CHANGES`, `HISTORY`, `NEWS`, `RELEASE...`), so the table does not say "
            "since which release a failure is fixed.",
        ]
    return "\n".join(lines)


TABLES = {MARKER: ("packages.json", render)}
