"""The command that clones the repository, drawn where a page has ``<!-- clone-command -->``.

It is made from ``repo_url`` (:mod:`guide.site.repository`), which only the
published build knows (the Pages workflow passes the repository it runs in),
so it cannot be a snippet file that the tests run as written: cloning needs
the network and that URL. The tests check what it shows on a build with a
repository URL (``tests/once/test_clone_command.py``), and run the commands
after it from a copy of the repository (``tests/once/test_console.py``).
Without a repository URL (a local build, made from a clone already) the
marker is removed.
"""

MARKER = "<!-- clone-command -->"


def commands(repo_url):
    """``git clone URL.git`` and ``cd NAME``: the clone's folder is the repository's name."""
    name = repo_url.rstrip("/").rsplit("/", 1)[-1]
    return [f"git clone {repo_url}.git", f"cd {name}"]


def fill(markdown, repo_url):
    """``markdown`` with its marker replaced by a console block of :func:`commands`."""
    if MARKER not in markdown:
        return markdown
    if not repo_url:
        return markdown.replace(MARKER, "")
    block = "```console\n" + "".join(f"$ {c}\n" for c in commands(repo_url)) + "```"
    return markdown.replace(MARKER, block)
