"""Lighthouse's mobile performance audit of four pages of the published site.

    nox -s bench_lighthouse              # builds the runtime and the site first
    python bench/lighthouse.py --site site --runs 3

Publishes the built site (:mod:`guide.site.publish`) into a temporary folder
and serves it on 127.0.0.1 as ``bench/browser.py`` does (the precompressed
file the browser accepts, the ``_headers`` rules), then runs npm's
``lighthouse`` (pinned in package.json, run from node_modules) with Debian's
Chromium (``CHROME_PATH``), its mobile defaults (simulated slow 4G, a 4x
slower CPU, a phone's screen), performance category only, ``--runs`` times
on each of these pages, chosen from mkdocs.yml's nav:

- home: the site's index;
- howto: the async-safety how-to (runnable blocks, a request panel);
- tutorial: the tutorial's one page (its index: the nav's Tutorial section
  has no other);
- troubleshooting: the nav's Troubleshooting page with the most elements in
  its built HTML (before any script adds its own).

Prints, per page, the median run (by performance score) and every run's
score and total blocking time: score, total blocking time, largest contentful
paint, cumulative layout shift, DOM elements (after the scripts ran), the
main thread's time per category (``mainthread-work-breakdown``) and per script
(``bootup-time``: total, of which script evaluation and parsing), and the long
tasks (``long-tasks``) by script. Writes the median runs and every run's
score and blocking time to bench/results/lighthouse.json (``--out``) with the
machine block (:mod:`guide.bench.machine`; it refuses to measure on a busy
machine without ``--allow-busy``). A run that gives no score (Lighthouse's
error, such as a page it could not trace in time) is printed with the error and
recorded under ``failed_runs``, not counted. ``--keep DIR`` keeps each run's
whole Lighthouse report (JSON) there. A script, not a test.
"""

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import yaml

from guide.bench.machine import add_allow_busy, idle_machine, write_results
from guide.bench.static_host import published_and_served
from guide.paths import ROOT
from guide.services.chromium import CHROMIUM, CHROMIUM_ARGS

RESULTS = Path(__file__).resolve().parent / "results" / "lighthouse.json"
LIGHTHOUSE = ROOT / "node_modules" / ".bin" / "lighthouse"
HOWTO = "howto/async-safety.md"
"""The how-to measured: many runnable blocks and a request panel."""


class NavLoader(yaml.SafeLoader):
    """mkdocs.yml's YAML, its ``!!python/name:`` and ``!ENV`` tags read as plain text."""


NavLoader.add_multi_constructor("", lambda loader, suffix, node: None)


def nav_pages(section):
    """The pages (``docs/``-relative paths) of the nav's top-level ``section``."""
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=NavLoader)
    for entry in config["nav"]:
        if isinstance(entry, dict) and section in entry:
            found = entry[section]
            found = [found] if isinstance(found, str) else found
            return [next(iter(item.values())) if isinstance(item, dict) else item for item in found]
    raise SystemExit(f"mkdocs.yml's nav has no {section} section")


def page_url(page):
    """The site path of a ``docs/``-relative page (``howto/x.md`` → ``howto/x/``)."""
    path = page.removesuffix(".md")
    if path == "index" or path.endswith("/index"):
        return path.removesuffix("index")
    return f"{path}/"


def element_count(site, page):
    """The elements (start tags) of a page's built HTML."""
    html = (site / page_url(page) / "index.html").read_text(encoding="utf-8")
    return len(re.findall(r"<[a-zA-Z]", html))


def chosen_pages(site):
    """``{name: site path}`` of the pages measured (see the module's docstring)."""
    for page in ("index.md", HOWTO):
        if page not in {p for section in ("Home", "How-to guides") for p in nav_pages(section)}:
            raise SystemExit(f"{page} is not in mkdocs.yml's nav")
    tutorial = nav_pages("Tutorial")
    troubleshooting = max(nav_pages("Troubleshooting"), key=lambda p: element_count(site, p))
    return {
        "home": page_url("index.md"),
        "howto": page_url(HOWTO),
        "tutorial": page_url(max(tutorial, key=lambda p: element_count(site, p))),
        "troubleshooting": page_url(troubleshooting),
    }


def run_lighthouse(url, chromium, report):
    """One Lighthouse run (mobile defaults, performance only); its report as a dict."""
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    command = [
        str(LIGHTHOUSE),
        url,
        "--only-categories=performance",
        "--output=json",
        f"--output-path={report}",
        f"--chrome-flags={flags}",
        "--quiet",
    ]
    subprocess.run(command, check=True, env={**os.environ, "CHROME_PATH": chromium})
    return json.loads(Path(report).read_text(encoding="utf-8"))


def failure(report):
    """Why a Lighthouse run gave no performance score (its error), or None."""
    if report["categories"]["performance"]["score"] is not None:
        return None
    error = report.get("runtimeError") or {}
    audit = report["audits"].get("total-blocking-time", {})
    return error.get("message") or audit.get("errorMessage") or "no performance score"


def items(report, audit):
    return report["audits"][audit].get("details", {}).get("items", [])


def short(url, base):
    """A script's URL relative to the served site; other strings as they are."""
    return url.removeprefix(base) or "/"


def figures(report, base):
    """What is printed and recorded of one Lighthouse report."""
    audits = report["audits"]
    long_tasks = {}
    for task in items(report, "long-tasks"):
        name = short(task["url"], base)
        long_tasks.setdefault(name, []).append(round(task["duration"]))
    return {
        "score": round(report["categories"]["performance"]["score"] * 100),
        "tbt_ms": round(audits["total-blocking-time"]["numericValue"]),
        "lcp_ms": round(audits["largest-contentful-paint"]["numericValue"]),
        "cls": round(audits["cumulative-layout-shift"]["numericValue"], 3),
        "dom_elements": round(audits["dom-size"]["numericValue"]),
        "main_thread_ms": {
            item["groupLabel"]: round(item["duration"])
            for item in items(report, "mainthread-work-breakdown")
        },
        "scripts_ms": [
            {
                "url": short(item["url"], base),
                "total": round(item["total"]),
                "scripting": round(item["scripting"]),
                "parse_compile": round(item["scriptParseCompile"]),
            }
            for item in items(report, "bootup-time")
        ],
        "long_tasks_ms": long_tasks,
    }


def median_run(runs):
    """The run with the median score (the lower middle one for an even count)."""
    ranked = sorted(runs, key=lambda run: (run["score"], -run["tbt_ms"]))
    return ranked[(len(ranked) - 1) // 2]


def print_page(name, path, runs, top):
    found = median_run(runs)
    print(f"\n{name} (/{path}), median of {len(runs)} by score:")
    print(
        f"  score {found['score']} | total blocking time {found['tbt_ms']} ms | "
        f"LCP {found['lcp_ms']} ms | CLS {found['cls']} | {found['dom_elements']:,} elements"
    )
    print(
        "  every run (score/TBT ms): "
        + ", ".join(f"{run['score']}/{run['tbt_ms']}" for run in runs)
    )
    work = sorted(found["main_thread_ms"].items(), key=lambda item: -item[1])
    print("  main thread: " + ", ".join(f"{label} {ms} ms" for label, ms in work))
    print("  by script (total | evaluation | parse and compile, ms):")
    for script in found["scripts_ms"][:top]:
        print(
            f"    {script['total']:>6} | {script['scripting']:>6} | "
            f"{script['parse_compile']:>4}  {script['url']}"
        )
    for url, durations in sorted(found["long_tasks_ms"].items(), key=lambda i: -sum(i[1])):
        print(f"  long tasks {durations} ms: {url}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page")
    parser.add_argument("--pages", default="", help="a comma-separated subset of the page names")
    parser.add_argument("--top", type=int, default=8, help="scripts printed per page")
    parser.add_argument("--chromium", default=CHROMIUM)
    parser.add_argument("--keep", type=Path, help="keep each Lighthouse report in this folder")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results JSON")
    add_allow_busy(parser)
    args = parser.parse_args(argv)
    if not (args.site / "index.html").is_file():
        parser.error(f"{args.site} is not a built site: build it first")
    if not LIGHTHOUSE.is_file():
        parser.error(f"{LIGHTHOUSE} is missing: npm ci")
    if not 1 <= args.runs <= 20:
        parser.error("--runs must be 1-20")
    pages = chosen_pages(args.site)
    if args.pages:
        wanted = args.pages.split(",")
        unknown = [name for name in wanted if name not in pages]
        if unknown:
            parser.error(f"unknown page {unknown[0]} (known: {', '.join(pages)})")
        pages = {name: pages[name] for name in wanted}
    machine_info = idle_machine(args.allow_busy)  # before anything starts
    version = subprocess.run(
        [str(LIGHTHOUSE), "--version"], check=True, capture_output=True, text=True
    ).stdout.strip()
    runs = {name: [] for name in pages}
    failed = {name: [] for name in pages}  # Lighthouse's error, for a run that gave no score
    chromium_version = None
    with published_and_served(args.site, log=lambda *_: None) as (published, server):
        base = f"http://127.0.0.1:{server.server_address[1]}/"
        for number in range(args.runs):
            for name, path in pages.items():
                report_path = published.parent / f"{name}-{number + 1}.json"
                report = run_lighthouse(base + path, args.chromium, report_path)
                chromium_version = report["environment"]["hostUserAgent"]
                if args.keep:
                    args.keep.mkdir(parents=True, exist_ok=True)
                    (args.keep / report_path.name).write_bytes(report_path.read_bytes())
                problem = failure(report)
                if problem:
                    failed[name].append(problem)
                    print(f"{name:<16} run {number + 1}: no score ({problem})", flush=True)
                    continue
                run = figures(report, base)
                runs[name].append(run)
                print(
                    f"{name:<16} run {number + 1}: score {run['score']}, "
                    f"TBT {run['tbt_ms']} ms, LCP {run['lcp_ms']} ms, CLS {run['cls']}",
                    flush=True,
                )
    for name, path in pages.items():
        if runs[name]:
            print_page(name, path, runs[name], args.top)
        for problem in failed[name]:
            print(f"{name}: a run gave no score: {problem}")
    if not all(runs.values()):
        return f"no run of {', '.join(n for n, r in runs.items() if not r)} gave a score"
    data = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine_info,
        "lighthouse": version,
        "user_agent": chromium_version,
        "settings": "mobile defaults: simulated slow 4G, 4x CPU slowdown; performance only",
        "runs": args.runs,
        "pages": {
            name: {
                "path": path,
                **median_run(runs[name]),
                "score_runs": [run["score"] for run in runs[name]],
                "tbt_ms_runs": [run["tbt_ms"] for run in runs[name]],
                "median_tbt_ms": round(statistics.median(r["tbt_ms"] for r in runs[name])),
                "failed_runs": failed[name],
            }
            for name, path in pages.items()
        },
    }
    write_results(args.out, data)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
