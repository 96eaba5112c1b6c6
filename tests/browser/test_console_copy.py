"""A console block's copy button copies the commands of its file, not their output."""

from guide.content import transcripts
from guide.paths import ROOT

PAGE = "tutorial/"
# The tutorial's first console block, and one with output under its commands.
FILES = {
    0: ROOT / "snippets/tutorial/asgi_tutorial/create_project.console",
    4: ROOT / "snippets/tutorial/asgi_tutorial/welcome.console",
}


def test_console_copy_button_copies_only_the_commands(browser_page, site_url):
    page = browser_page.page
    page.goto(site_url + "/" + PAGE)
    blocks = page.locator(".language-console")
    for index, path in FILES.items():
        block = blocks.nth(index)
        text = path.read_text()
        # The reader sees the file exactly: commands, prompts and output.
        assert block.locator("pre > code").text_content().rstrip("\n") == text.rstrip("\n")
        block.hover()
        block.locator("button[data-clipboard-target]").click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == transcripts.commands_of(text)
        assert "$ " not in copied
