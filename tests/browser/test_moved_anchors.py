"""An old link to the single troubleshooting page lands on the page that has its entry now."""


def test_an_old_anchor_lands_on_its_new_page(browser_page, site_url):
    page = browser_page.page
    page.goto(f"{site_url}/troubleshooting/#atomic-requests")
    page.wait_for_url("**/troubleshooting/database/#atomic-requests", timeout=15_000)
    assert page.locator("#atomic-requests").count() == 1


def test_the_index_itself_still_opens(browser_page, site_url):
    page = browser_page.page
    page.goto(f"{site_url}/troubleshooting/")
    page.wait_for_load_state("load")
    assert page.url.endswith("/troubleshooting/")
