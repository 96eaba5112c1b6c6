""".github/dependabot.yml: pip, npm and the actions, each family's group naming real pins."""

import fnmatch
import json
import re

import yaml

from guide import requirements
from guide.paths import ROOT

CONFIG = yaml.safe_load((ROOT / ".github" / "dependabot.yml").read_text(encoding="utf-8"))


def known_names(ecosystem):
    """What each ecosystem's patterns may name: the project's own pins."""
    if ecosystem == "pip":
        return set(requirements.pins())
    if ecosystem == "npm":
        package = json.loads((ROOT / "package.json").read_text(encoding="utf-8"))
        return {*package["dependencies"], *package["devDependencies"]}
    workflows = (ROOT / ".github" / "workflows").glob("*.yml")
    return {m for p in workflows for m in re.findall(r"uses: ([\w.-]+/[\w.-]+)@", p.read_text())}


def test_pip_npm_and_actions_each_once_with_groups_that_match_real_pins():
    ecosystems = [update["package-ecosystem"] for update in CONFIG["updates"]]
    assert sorted(ecosystems) == ["github-actions", "npm", "pip"]
    for update in CONFIG["updates"]:
        known = known_names(update["package-ecosystem"])
        for group, spec in update["groups"].items():
            for pattern in spec["patterns"]:
                where = f"{update['package-ecosystem']} group {group!r}: {pattern!r}"
                assert fnmatch.filter(known, pattern), f"{where} matches none of {sorted(known)}"


def test_one_pull_request_per_family():
    groups = {update["package-ecosystem"]: update["groups"] for update in CONFIG["updates"]}

    def group_of(ecosystem, name):
        return [
            group
            for group, spec in groups[ecosystem].items()
            if any(fnmatch.fnmatch(name, pattern) for pattern in spec["patterns"])
        ]

    for server in ["uvicorn", "gunicorn", "hypercorn", "daphne", "granian"]:
        assert group_of("pip", server) == ["servers"], server
    assert group_of("pip", "django") == ["django"]
    assert group_of("pip", "mkdocs-material") == ["docs"]
    assert group_of("npm", "pyodide") == ["pyodide"]
    assert group_of("pip", "pyodide-lock") == ["pyodide"]
