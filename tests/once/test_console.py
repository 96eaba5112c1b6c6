"""Every shell step a page shows, run as written, and its shown output compared.

Pages include ``.console`` files (commands and what they print), server
snippets and ``.out`` files (what a server prints); :mod:`guide.content.shell` runs
them in a temporary folder standing for the reader's home (``/home/you``),
in page order, one shell state and one virtual environment per page. The
tutorial is followed from ``pip install`` and ``startproject`` to the running
server, the files it shows written into the reader's project as it says, and
the project compared at the end of each step with that step's checkpoint
(:mod:`guide.site.tutorial_checkpoints`).

Also here: no page holds an inline command or output block, and no built page
shows a path of the machine that built it.
"""

import difflib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import django
import pytest

from guide import requirements
from guide.content import output_match, pages, shell_pages, shell_session, transcripts
from guide.content.transcripts import rel
from guide.paths import DJANGO_VERSIONS, DOCS, EXAMPLE_DIR, ROOT
from guide.site import tutorial_checkpoints

TUTORIAL = DOCS / "tutorial" / "index.md"


# --- The format ---------------------------------------------------------------


def test_commands_outputs_and_continuations_are_parsed():
    steps = transcripts.parse_text(
        '$ python -m pip install \\\n    "django~=6.1.0"\n$ python -c "print(1)"\n1\n\n$ cd x\n'
    )
    assert [(s.line, s.command, s.expected) for s in steps] == [
        (1, 'python -m pip install     "django~=6.1.0"', ()),
        (3, 'python -c "print(1)"', ("1",)),
        (6, "cd x", ()),
    ]


def test_a_continued_command_runs_as_one_and_copies_as_shown():
    """A shell drops a backslash and the newline after it: one command, not two.
    The copy button copies the lines as the file shows them, backslash included,
    so that pasted into a terminal they are that one command too."""
    text = "$ printf '%s|' a \\\n    b\n$ echo c\n"
    first = transcripts.parse_text(text)[0]
    ran = subprocess.run(["bash", "-c", first.command], capture_output=True, text=True)
    assert (ran.stdout, ran.returncode) == ("a|b|", 0), ran.stderr
    assert transcripts.commands_of(text) == "printf '%s|' a \\\n    b\necho c\n"
    pasted = subprocess.run(
        ["bash", "-c", transcripts.commands_of(text)], capture_output=True, text=True
    )
    assert (pasted.stdout, pasted.returncode) == ("a|b|c\n", 0), pasted.stderr


@pytest.mark.parametrize(
    "text",
    ["", "output first\n$ ls\n", "$ ls\n$ \n", "$ ls \\\n"],
)
def test_a_malformed_console_file_names_the_line(text):
    with pytest.raises(transcripts.ConsoleError, match=r"^x\.console:\d+: "):
        transcripts.parse_text(text, "x.console")


@pytest.mark.parametrize(
    ("expected", "actual", "ok"),
    [
        (["200"], "200\n", True),
        (["200"], "404\n", False),
        (["[...] started"], "[4109] started\n", True),
        (["[...] started"], "[4109] stopped\n", False),
        (["a", "...", "z"], "a\nb\nc\nz\n", True),
        (["a", "...", "z"], "a\nz\n", True),
        (["a", "...", "z"], "a\nb\n", False),
        (["a"], "a\nextra\n", False),
        (["a..."], "a b\nc\n", False),  # "..." in a line never spans lines
    ],
)
def test_placeholders(expected, actual, ok):
    assert output_match.matches(expected, actual) is ok


# Two workers started at once (uvicorn --workers 2): the parent's two lines,
# then each worker's four, the access log from either.
WORKERS_SHOWN = [
    "INFO: Uvicorn running on http://127.0.0.1:8000",
    "INFO: Started parent process [...]",
    "INFO: Started server process [...]",
    "INFO: Waiting for application startup.",
    "INFO: Started server process [...]",
    "INFO: Waiting for application startup.",
    "INFO: Application startup complete.",
    "INFO: Application startup complete.",
    'INFO: 127.0.0.1:... - "GET / HTTP/1.1" 200 OK',
]
WORKERS = {"processes": [[3, 4, 7], [5, 6, 8, 9]], "first": 2}
STARTED = """\
INFO: Uvicorn running on http://127.0.0.1:8000
INFO: Started parent process [10]
INFO: Started server process [12]
INFO: Started server process [11]
INFO: Waiting for application startup.
INFO: Application startup complete.
INFO: Waiting for application startup.
INFO: Application startup complete.
INFO: 127.0.0.1:5000 - "GET / HTTP/1.1" 200 OK
"""


def _swap(text, first, second):
    lines = text.splitlines()
    lines[first], lines[second] = lines[second], lines[first]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize(
    ("actual", "ok"),
    [
        (STARTED, True),
        # Another run's order: one worker done before the other starts.
        (
            STARTED.replace("INFO: Started server process [11]\n", "").replace(
                "complete.\nINFO: Waiting",
                "complete.\nINFO: Started server process [11]\nINFO: Waiting",
            ),
            True,
        ),
        # A missing line, an extra line, a line in another form.
        (STARTED.replace("INFO: Waiting for application startup.\n", "", 1), False),
        (STARTED + "ERROR: Exception in ASGI application\n", False),
        (STARTED.replace("200 OK", "500 Internal Server Error"), False),
        # A worker's line before the parent's line that starts the workers.
        (_swap(STARTED, 1, 2), False),
        # The parent's own lines in the wrong order.
        (_swap(STARTED, 0, 1), False),
        # Inside one worker: "complete" before "Waiting" (the other is not there).
        (
            STARTED.replace("[11]", "[11]\nINFO: Application startup complete.").replace(
                "INFO: Waiting for application startup.\nINFO: Application startup complete.\n"
                "INFO: 127",
                "INFO: Waiting for application startup.\nINFO: 127",
            ),
            False,
        ),
    ],
)
def test_interleaved_workers(actual, ok):
    assert output_match.output_matches(WORKERS_SHOWN, actual, WORKERS) is ok


MAY_PRINT = "INFO: Waiting for background tasks to complete. (CTRL+C to force quit)"


@pytest.mark.parametrize(
    ("extra", "ok"),
    [
        ("", True),
        (MAY_PRINT + "\n", True),  # a line the run may print: left out before comparing
        ("INFO: Waiting for background tasks\n", False),  # only the whole line
        ("ERROR: Exception in ASGI application\n", False),
    ],
)
def test_lines_a_run_may_print(extra, ok):
    plan = {**WORKERS, "may_print": [MAY_PRINT]}
    assert output_match.output_matches(WORKERS_SHOWN, STARTED + extra, plan) is ok


# Gunicorn: every line carries its process's id, so each worker's lines are
# tied to it, and a wrong order inside one worker is seen even where the
# same lines in the other worker's order would fit.
GUNICORN_SHOWN = [
    "[...] [...] Booting worker",
    "[...] [...] Started server process",
    "[...] [...] Waiting for application startup.",
    "[...] [...] Booting worker",
    "[...] [...] Started server process",
    "[...] [...] Waiting for application startup.",
]
GUNICORN = {
    "processes": [[1, 2, 3], [4, 5, 6]],
    "process_id": r"^\[[^\]]+\] \[(\d+)\]",
}


@pytest.mark.parametrize(
    ("order", "ok"),
    [
        ("1B 2B 1S 2S 1W 2W", True),
        ("1B 1S 1W 2B 2S 2W", True),
        ("2B 2S 1B 2W 1S 1W", True),
        # Worker 1 waits before it has started: without the ids, worker 2's
        # lines would make up for it.
        ("1B 2B 2S 1W 1S 2W", False),
        ("1B 2B 1S 2S 1W", False),  # missing
        ("1B 2B 1S 2S 1W 2W 3B", False),  # extra
    ],
)
def test_interleaved_workers_tied_by_process_id(order, ok):
    words = {
        "B": "Booting worker",
        "S": "Started server process",
        "W": ("Waiting for application startup."),
    }
    actual = "".join(f"[t] [{item[0]}] {words[item[1]]}\n" for item in order.split())
    assert output_match.output_matches(GUNICORN_SHOWN, actual, GUNICORN) is ok
    untied = {"processes": GUNICORN["processes"]}
    if order == "1B 2B 2S 1W 1S 2W":
        assert output_match.output_matches(GUNICORN_SHOWN, actual, untied)


def test_interleaved_output_after_any_start_up():
    shown = ["...", "stop", "a stopped", "b stopped", "done"]
    plan = {"processes": [[3], [4]], "first": 2}
    assert output_match.output_matches(shown, "start\nx\nstop\nb stopped\na stopped\ndone\n", plan)
    assert not output_match.output_matches(shown, "stop\nb stopped\ndone\n", plan)
    assert not output_match.output_matches(shown, "a stopped\nstop\nb stopped\ndone\n", plan)


@pytest.mark.parametrize(
    ("processes", "first", "message"),
    [
        ([[3, 3]], 0, "listed twice"),
        ([[3, 9]], 0, "outside"),
        ([[4, 3]], 0, "in the file's order"),
        ([[3]], 3, "is a worker's line"),
    ],
)
def test_a_wrong_processes_entry_is_reported(processes, first, message):
    with pytest.raises(transcripts.ConsoleError, match=message):
        output_match.interleaves(["a", "b", "c", "d"], "a\nb\nc\nd\n", processes, first)


def test_the_readers_home_and_port_replace_the_machines(tmp_path):
    session = shell_session.Session(tmp_path)
    session.port = 43210
    assert (
        session.normalise(f"['{tmp_path}/mysite'] http://127.0.0.1:43210 pid 43210")
        == "['/home/you/mysite'] http://127.0.0.1:8000 pid 43210"
    )


def test_a_failing_command_or_different_output_is_reported(tmp_path):
    session = shell_session.Session(tmp_path)
    bad = tmp_path / "bad.console"
    bad.write_text("$ false\n")
    with pytest.raises(transcripts.ConsoleError, match="'false' exited with status 1"):
        session.run_file(bad)
    bad.write_text("$ echo hello\nhullo\n")
    with pytest.raises(transcripts.ConsoleError, match=r"(?s)differs.*hullo.*produced.*hello"):
        session.run_file(bad)


def test_cd_and_export_carry_over_to_the_next_command(tmp_path):
    session = shell_session.Session(tmp_path)
    script = tmp_path / "state.console"
    script.write_text(
        "$ mkdir -p sub && cd sub\n$ export GREETING=hi\n$ echo $GREETING from $PWD\n"
        "hi from /home/you/sub\n"
    )
    session.run_file(script)


def test_a_pinned_version_must_be_the_projects_pin():
    (pinned,) = [v for k, v in requirements.pins().items() if k == "uvicorn"]
    shell_session.check_pins([f"uvicorn[standard]=={pinned}"], "x")
    with pytest.raises(transcripts.ConsoleError, match="requirements/\\*.txt pins uvicorn"):
        shell_session.check_pins(["uvicorn[standard]==0.0.1"], "x")


def test_a_nox_command_must_name_a_session(tmp_path):
    session = shell_session.Session(tmp_path)
    assert session._execute("nox -s docs", "x") == ""
    with pytest.raises(transcripts.ConsoleError, match="names no session"):
        session._execute("nox -s nope", "x")


# --- The pages ------------------------------------------------------------------


def test_every_output_file_follows_a_server_command():
    problems = []
    for page in pages.pages():
        previous = None
        for action in shell_pages.page_actions(page):
            own_command = (
                shell_session.scenario(action.path).get("command")
                if action.kind == "output"
                else None
            )
            if action.kind == "output" and not own_command and previous not in ("server", "output"):
                problems.append(f"{pages._name(page)}:{action.line}: no server command before it")
            previous = action.kind
    assert not problems, "\n".join(problems)


# A path of the machine that built the site: the checkout, a home folder other
# than the reader's, a temporary folder, a virtual environment's packages.
MACHINE_PATH = re.compile(
    r"(?<![\w.-])(?:/root/|/tmp/|/var/tmp/|/Users/|/home/(?!you/)[\w.-]+/)"
    r"|site-packages/|\.nox/|\.venv/lib/"
)


def machine_paths(text):
    found = set(MACHINE_PATH.findall(text))
    found |= {p for p in {str(ROOT), str(ROOT.resolve()), str(Path.home()) + "/"} if p in text}
    return sorted(found)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        (f"['{ROOT}/examples/mysite/mysite']", [str(ROOT)]),
        ("at /root/.gunicorn/gunicorn.ctl", ["/root/"]),
        ('File "/usr/lib/python3/site-packages/x.py"', ["site-packages/"]),
        ("/home/alice/project and /tmp/pytest-1/x", ["/home/alice/", "/tmp/"]),
        ("['/home/you/mysite/polls'] /run/mysite/uvicorn.sock", []),
    ],
)
def test_machine_paths_are_found(text, found):
    expected = set(found)
    if str(Path.home()) + "/" in text:
        expected.add(str(Path.home()) + "/")
    if str(ROOT) in text:
        # A checkout under /tmp/ or /root/ is found by those patterns too.
        expected |= set(MACHINE_PATH.findall(str(ROOT) + "/"))
    assert machine_paths(text) == sorted(expected)


def test_no_built_page_shows_a_path_of_the_machine(site_dir):
    problems = []
    for page in sorted(Path(site_dir).rglob("*.html")):
        text = page.read_text(encoding="utf-8", errors="replace")
        for path in machine_paths(text):
            where = page.relative_to(site_dir).as_posix()
            problems.append(
                f"{where} shows {path!r}, a path of the machine that built it: show the "
                f"reader's own ({transcripts.HOME}/mysite), produced by a tested snippet"
            )
    assert not problems, "\n".join(problems)


# --- Running the pages ------------------------------------------------------------


def _copy_example(dest):
    shutil.copytree(
        EXAMPLE_DIR,
        dest,
        ignore=shutil.ignore_patterns("__pycache__", "db.sqlite3", "staticfiles", ".cache"),
    )


# Where a page's commands start, in the reader's home: "/home/you" empty (the
# tutorial), a clone of the repository, or (the default) the example project
# in /home/you/mysite, its requirements installed, as the how-tos assume.
def _start(page, root):
    name = page.relative_to(DOCS).as_posix()
    if name == "tutorial/index.md":
        return root
    if name == "index.md":
        clone = root / "django-asgi-guide"
        shutil.copytree(ROOT / "requirements", clone / "requirements")
        _copy_example(clone / "examples" / "mysite")
        return clone
    project = root / "mysite"
    _copy_example(project)
    if any(a.kind == "output" for a in shell_pages.page_actions(page)):
        # A page that shows what a server prints serves the example's data:
        # the reader ran migrate and loaddata (docs/index.md).
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "MYSITE_"))}
        for args in (["migrate"], ["loaddata", "sample_questions", "sample_choices"]):
            subprocess.run(
                [sys.executable, "manage.py", *args, "--verbosity", "0"],
                cwd=project,
                env=env,
                check=True,
                timeout=120,
            )
    return project


def tutorial_file(action, session):
    """Do what the tutorial says with a file it shows, in the reader's project.

    A file of ``step-1/`` is one ``startproject`` wrote: compared, not written.
    ``NAME.changes.py`` changes the reader's ``NAME.py``; any other file is
    written whole, at the path its title names.
    """
    if action.path.suffix == ".pycon":
        return  # a doctest: tests/django/test_snippets.py runs it
    where = f"tutorial:{action.line}"
    assert action.title, f"{where}: a file shown without its title"
    assert action.path.is_relative_to(tutorial_checkpoints.TUTORIAL_DIR), (
        f"{where}: {rel(action.path)} is not a file of the tutorial's project "
        "(examples/tutorial/): the reader has no way to it"
    )
    target = session.cwd / action.title.split()[0]
    if action.path.is_relative_to(tutorial_checkpoints.TUTORIAL_DIR / "step-1"):
        assert tutorial_checkpoints.comparable(target.read_bytes()) == (
            tutorial_checkpoints.comparable(action.path.read_bytes())
        ), f"{where}: {action.title} is not what startproject generated"
    elif action.path.name.endswith(tutorial_checkpoints.CHANGES):
        assert action.section is None, f"{where}: show the changes whole"
        changed = tutorial_checkpoints.apply_changes(
            target.read_text(), action.path.read_text(), where
        )
        target.write_text(changed)
    else:
        assert action.section is None, f"{where}: a new file is shown whole"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(action.path, target)


# What the reader's project holds that no checkpoint does.
LOCAL = ("__pycache__", "db.sqlite3")


def project_files(folder):
    """``{path: bytes}`` of the reader's project, without its local state."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and not any(part in LOCAL for part in path.parts)
    }


def compare_with_checkpoint(step, folder):
    """The reader's project after ``step`` is the step's checkpoint (same files, same text)."""
    theirs = project_files(folder)
    ours = {name: data for name, (data, _) in tutorial_checkpoints.files(step).items()}
    problems = [
        f"{name}: " + ("only in the checkpoint" if name not in theirs else "only the reader's")
        for name in sorted(set(theirs) ^ set(ours))
    ]
    for name in sorted(set(theirs) & set(ours)):
        if tutorial_checkpoints.comparable(theirs[name]) != tutorial_checkpoints.comparable(
            ours[name]
        ):
            diff = difflib.unified_diff(
                ours[name].decode().splitlines(),
                theirs[name].decode().splitlines(),
                "checkpoint",
                "reader",
                lineterm="",
            )
            problems.append(f"{name} differs:\n" + "\n".join(diff))
    assert not problems, f"after step {step}, the reader's project:\n" + "\n".join(problems)


def tutorial_step_done(title, session):
    """At the end of each ``## N.`` step: the reader's project is step N's checkpoint."""
    step = re.match(r"(\d+)\. ", title)
    if step:
        compare_with_checkpoint(int(step[1]), session.cwd)


def test_a_project_that_is_not_the_checkpoint_is_reported(tmp_path):
    for name, (data, _) in tutorial_checkpoints.files(4).items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(data)
    (tmp_path / "polls/__pycache__").mkdir()
    (tmp_path / "polls/__pycache__/views.cpython-313.pyc").write_bytes(b"local")
    (tmp_path / "db.sqlite3").write_bytes(b"local")
    compare_with_checkpoint(4, tmp_path)
    with pytest.raises(AssertionError, match="after step 3"):
        compare_with_checkpoint(3, tmp_path)  # the polls files step 4 adds
    (tmp_path / "questions.json").unlink()
    with pytest.raises(AssertionError, match="questions.json: only in the checkpoint"):
        compare_with_checkpoint(4, tmp_path)


def test_the_tutorial_installs_the_newest_supported_django():
    first = transcripts.parse(ROOT / "snippets/tutorial/asgi_tutorial/create_project.console")[0]
    assert f'"django~={DJANGO_VERSIONS[-1]}.0"' in first.command


@pytest.mark.timeout(600)
@pytest.mark.parametrize(
    "page",
    shell_pages.pages_with_consoles(),
    ids=lambda p: p.relative_to(DOCS).as_posix(),
)
def test_page_runs_as_written(page, tmp_path):
    root = tmp_path / "you"
    root.mkdir()
    session = shell_session.Session(root)
    session.cwd = _start(page, root)
    if page not in (TUTORIAL, DOCS / "index.md"):
        # The how-tos and server pages assume the example's requirements are
        # installed: a page's pip install adds to them.
        version = "{}.{}".format(*django.VERSION[:2])
        session.base_requirements = [
            "-r",
            str(ROOT / "requirements" / "example.txt"),
            f"django~={version}.0",
        ]
    on_file = tutorial_file if page == TUTORIAL else None
    on_section = tutorial_step_done if page == TUTORIAL else None
    try:
        shell_pages.run_page(page, session, on_file=on_file, on_section=on_section)
    finally:
        session.close()
        for where, kind, seconds in session.timings:
            print(f"{seconds:6.2f} s  {kind:8} {where}")


def test_uv_is_on_path():
    """The sessions' virtual environments are made by uv, with its cache."""
    assert shutil.which("uv", path=os.environ.get("PATH")), "uv is not on PATH"
