"""./guide's Debian packages step as a user that is not root (GitHub's runner).

CI runs as root, so the test makes such a user: an unprivileged account with
passwordless sudo (a file in /etc/sudoers.d), then the same account without
it. It runs ``./guide packages test --dry-run`` as that user, from a copy of
the script, with one package that is never there added to the list: nothing
is installed, the script only says what it would run.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

from guide.paths import ROOT

# The system's python3 (./guide needs nothing else): the user cannot read root's virtualenvs.
PYTHON = "/usr/bin/python3"
# root's tools (useradd, userdel, runuser, dpkg's helpers) live in the sbin folders,
# which the PATH CI runs with may leave out.
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
MISSING = "guide-test-never-installed"
# ./guide loaded as a module, one package added that is never present, then its CLI.
RUN = f"""
import runpy, sys
guide = runpy.run_path(sys.argv[1])
guide["DEBIAN_PACKAGES"].append(({MISSING!r}, {{"test"}}, lambda: False, "this test"))
sys.exit(guide["main"](["packages", "test", "--dry-run"]))
"""


def tool(name):
    """The full path of root's command ``name`` (found in :data:`ROOT_PATH`)."""
    path = shutil.which(name, path=ROOT_PATH)
    if path is None:
        pytest.fail(f"{name} is not installed (Debian's passwd / util-linux provide it)")
    return path


def apt_get_install(package):
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "PATH": ROOT_PATH}
    install = ["apt-get", "install", "-y", "-qq", "-o", "DPkg::Lock::Timeout=120", package]
    if subprocess.run(install, env=env, capture_output=True).returncode != 0:
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=True, capture_output=True)
        subprocess.run(install, env=env, check=True, capture_output=True)


@pytest.fixture
def unprivileged_user():
    """``(name, sudoers file, folder with a copy of ./guide)``; all removed afterwards."""
    if os.geteuid() != 0:
        pytest.skip("making a user with passwordless sudo needs root (CI runs as root)")
    if shutil.which("sudo", path=ROOT_PATH) is None:
        apt_get_install("sudo")  # Debian's; the rest of the suite does not need it
    name = f"guidetest{os.getpid()}"
    sudoers = Path("/etc/sudoers.d") / name
    folder = Path(tempfile.mkdtemp(prefix="guide-script-"))
    try:
        folder.chmod(0o755)
        shutil.copy(ROOT / "guide", folder / "guide")
        (folder / "guide").chmod(0o755)
        subprocess.run([tool("useradd"), "--no-create-home", name], check=True)
        sudoers.write_text(f"{name} ALL=(ALL) NOPASSWD: ALL\n")
        sudoers.chmod(0o440)
        yield name, sudoers, folder
    finally:
        sudoers.unlink(missing_ok=True)
        subprocess.run([tool("userdel"), name], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def run_as(user, folder):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": str(folder), "LANG": "C.UTF-8"}
    return subprocess.run(
        [tool("runuser"), "-u", user, "--", PYTHON, "-c", RUN, str(folder / "guide")],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_not_root_with_passwordless_sudo_installs_with_sudo_n(unprivileged_user):
    user, sudoers, folder = unprivileged_user
    result = run_as(user, folder)
    assert result.returncode == 0, result.stderr
    assert f"guide: Debian package {MISSING} is missing" in result.stderr
    prefix = "guide: would run: sudo -n DEBIAN_FRONTEND=noninteractive apt-get"
    assert f"{prefix} update -qq\n" in result.stderr
    assert f"{prefix} install -y -qq {MISSING}\n" in result.stderr


def test_not_root_without_passwordless_sudo_prints_the_command(unprivileged_user):
    user, sudoers, folder = unprivileged_user
    sudoers.unlink()
    result = run_as(user, folder)
    assert result.returncode == 1
    assert f"\n    sudo apt-get install -y {MISSING}\n" in result.stderr
    assert "would run" not in result.stderr
