"""Logging in through a real browser: a wrong password, the rate limit, and what a volunteer can reach."""

from __future__ import annotations

import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect
from test_browser import CHROMIUM, browser_page, serve, wait_idle  # noqa: F401 - fixtures

from campaigns.access import MAX_FAILURES
from campaigns.store import Store

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
GOOD = "a long enough password"
# Each page's address as st.navigation names it from its file.
LISTENING_PAGES = ("overview", "posts", "traction", "sentiment", "sources", "safety", "reports",
                   "planner_volunteers")


@pytest.fixture
def accounts(demo_copy, tmp_path):
    """A coordinator and a volunteer on a private demo copy; yields (url, texts no volunteer may
    see, the database)."""
    with Store.open(demo_copy) as store:
        store.add_user("ada", "coordinator", GOOD)
        volunteer = store.plan.volunteers().iloc[0]
        store.add_user("vic", "volunteer", GOOD, volunteer_id=int(volunteer["id"]))
        texts = [row[0] for row in store.conn.execute(
            "SELECT text FROM mentions WHERE text IS NOT NULL AND length(text) > 30 LIMIT 300")]
    for url in serve(demo_copy, tmp_path):
        yield url, texts, demo_copy


def log_in(page, url: str, name: str, password: str) -> None:
    page.goto(url)
    wait_idle(page)
    page.get_by_role("textbox", name="Name").fill(name)
    try_password(page, password)


def try_password(page, password: str) -> None:
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    wait_idle(page)


def attempts(database) -> int:
    """Login attempts the server recorded: a click counts once it is in the file, whatever the load."""
    with Store.open(database) as store:
        return store.conn.execute("SELECT count(*) FROM login_attempts").fetchone()[0]


def wait_for_attempts(database, count: int) -> None:
    deadline = time.monotonic() + 30
    while attempts(database) < count:
        assert time.monotonic() < deadline, f"the server recorded {attempts(database)} of {count} attempts"
        time.sleep(0.2)


def test_a_wrong_password_is_refused_then_the_limit_refuses_even_the_right_one(accounts, browser_page):  # noqa: F811
    url, _, database = accounts
    page = browser_page
    log_in(page, url, "ada", "not the password")
    wait_for_attempts(database, 1)
    expect(page.get_by_text("Wrong name or password.")).to_be_visible()
    for failed in range(2, MAX_FAILURES + 1):
        try_password(page, "still not it")
        wait_for_attempts(database, failed)
    try_password(page, GOOD)
    expect(page.get_by_text("Too many failed logins")).to_be_visible()
    assert page.locator('[data-testid="stMetric"]').count() == 0


def test_the_right_password_opens_the_dashboard(accounts, browser_page):  # noqa: F811
    url, _, _ = accounts
    log_in(browser_page, url, "ada", GOOD)
    browser_page.wait_for_selector('[data-testid="stMetric"]')
    expect(browser_page.get_by_role("button", name="Log out ada")).to_be_visible()
    # The move the volunteer test makes does reach a registered page.
    move_within_session(browser_page, "/posts")
    expect(browser_page.get_by_text("post(s)").first).to_be_visible()


def test_a_volunteer_reaches_no_mention_by_any_page_address(accounts, browser_page):  # noqa: F811
    url, texts, _ = accounts
    page = browser_page
    log_in(page, url, "vic", GOOD)
    expect(page.get_by_text("Volunteer view").first).to_be_visible()
    for name in LISTENING_PAGES:
        # Moved to inside the session, as the app's own links move: the page is not registered.
        move_within_session(page, f"/{name}")
        assert_nothing_collected(page, texts, name)
        expect(page.get_by_role("button", name="Log out vic")).to_be_visible()
    for name in LISTENING_PAGES:
        # Typed into the address bar: a new session, which asks for a login before anything.
        page.goto(f"{url}/{name}")
        wait_idle(page)
        assert_nothing_collected(page, texts, name)
        expect(page.get_by_role("button", name="Log in")).to_be_visible()


def test_a_download_is_answered_only_to_the_browser_of_a_logged_in_session(accounts, browser_page):  # noqa: F811
    url, _, _ = accounts
    page = browser_page
    log_in(page, url, "ada", GOOD)
    page.wait_for_selector('[data-testid="stMetric"]')  # the first page has drawn and written its URL
    move_within_session(page, "/posts")
    expect(page.get_by_text("post(s)").first).to_be_visible()
    with page.expect_download() as downloading:
        page.get_by_role("button", name="Download these posts as CSV").click()
    download = downloading.value
    assert Path(download.path()).read_text(encoding="utf-8").count("\n") > 1
    address = download.url
    assert "/media/" in address
    cookie = {c["name"]: c["value"] for c in page.context.cookies()}["_streamlit_xsrf"]
    assert fetch(address, cookie) == 200  # the logged-in browser, asking again
    assert fetch(address, None) == 403  # no browser at all
    # Another browser that opened the dashboard, and so has Streamlit's cookie, but did not log in.
    stranger = page.context.browser.new_context()
    stranger_page = stranger.new_page()
    stranger_page.goto(url)
    wait_idle(stranger_page)
    theirs = {c["name"]: c["value"] for c in stranger.cookies()}["_streamlit_xsrf"]
    assert theirs != cookie and fetch(address, theirs) == 403
    stranger.close()
    page.get_by_role("button", name="Log out ada").click()
    wait_idle(page)
    assert fetch(address, cookie) == 403  # logged out: the browser's downloads close with it


def fetch(address: str, cookie: str | None) -> int:
    request = urllib.request.Request(address, headers={"Cookie": f"_streamlit_xsrf={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def move_within_session(page, path: str) -> None:
    page.evaluate("(path) => { history.pushState({}, '', path);"
                  " dispatchEvent(new PopStateEvent('popstate')); }", path)
    wait_idle(page)


def assert_nothing_collected(page, texts: list[str], where: str) -> None:
    shown = page.inner_text("body")
    assert not any(text in shown for text in texts), where
    assert page.locator('[data-testid="stMetric"]').count() == 0, where
    # The one download a volunteer is given is their own calendar.
    downloads = page.locator('[data-testid="stDownloadButton"]').all_inner_texts()
    assert all("calendar (.ics)" in label for label in downloads), (where, downloads)
