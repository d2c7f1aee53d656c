"""End to end in a real browser: `streamlit run` on a free port, driven by Debian's chromium."""

from __future__ import annotations

import csv
import io
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Debian's chromium at /usr/bin/chromium"),
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def server(demo_db, tmp_path):
    """The dashboard served by `streamlit run` on the seeded demo database; yields its URL."""
    yield from serve(demo_db, tmp_path)


@pytest.fixture
def writable_server(demo_copy, tmp_path):
    """The same on a private copy, for tests whose clicks write (reveals, reviews)."""
    yield from serve(demo_copy, tmp_path)


def serve(database: Path, tmp_path: Path, **settings: str):
    """`streamlit run` on `database` with `settings` added to the environment; yields its URL."""
    port = free_port()
    env = {**os.environ, "GROUNDSWELL_DB": str(database)}
    env.pop("GROUNDSWELL_DASHBOARD_PASSWORD", None)
    env.update(settings)
    log = (tmp_path / "streamlit.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("streamlit did not start:\n" + (tmp_path / "streamlit.log").read_text())
            time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def wait_idle(page) -> None:
    page.wait_for_timeout(300)  # let a rerun triggered by the last action begin
    page.wait_for_selector(IDLE, timeout=30_000)


def choose(page, sidebar, label: str, option: str) -> None:
    """Pick an option of a sidebar selectbox the way a user does: open it, click the option."""
    sidebar.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    wait_idle(page)


def open_traction_to_date(page) -> None:
    """From any page: the demo's libraries campaign to date (a range that holds all its seeded
    data), on the Traction page."""
    sidebar = page.locator('[data-testid="stSidebar"]')
    choose(page, sidebar, "Campaign", "Save Our Libraries day of action (demo data)")
    choose(page, sidebar, "Time range", "Campaign to date")
    page.get_by_role("link", name="Traction").click()
    wait_idle(page)
    page.get_by_role("heading", name="Traction").wait_for()


def test_dashboard_loads_a_campaign_draws_a_chart_and_downloads_csv(server, browser_page):
    page = browser_page
    page.goto(server)
    wait_idle(page)
    assert page.get_by_text("Demo data: these posts were generated").is_visible()

    open_traction_to_date(page)
    assert page.get_by_text("Save Our Libraries day of action ·").is_visible()
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    chart.locator(".main-svg").first.wait_for()
    # A drawn bar chart has bar paths in its plot area, and the title names what it shows.
    assert chart.locator("g.point path").count() > 0
    assert "Mentions per day by platform" in chart.inner_text()

    with page.expect_download() as downloading:
        page.locator('[data-testid="stDownloadButton"] button').first.click()
    download = downloading.value
    assert download.suggested_filename == "save-our-libraries-mentions-by-platform.csv"
    rows = list(csv.DictReader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows and set(rows[0]) == {"bucket", "platform", "mentions", "originals", "reposts", "engagement"}
    assert sum(int(row["mentions"]) for row in rows) > 0


@pytest.fixture
def groundswell_dashboard(demo_db, tmp_path):
    """The dashboard as `groundswell dashboard` starts it, with an empty HOME; yields (url, home)."""
    port = free_port()
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMLIT_")}
    env.update(HOME=str(home))
    env.pop("GROUNDSWELL_DASHBOARD_PASSWORD", None)
    log = (tmp_path / "groundswell.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "groundswell", "dashboard", "--db", str(demo_db), "--no-browser", "--port", str(port)],
        cwd=tmp_path, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                    if answer.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("groundswell dashboard did not start:\n" + (tmp_path / "groundswell.log").read_text())
            time.sleep(0.3)
        yield url, home
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def test_nothing_is_fetched_from_beyond_this_machine(groundswell_dashboard, browser_page):
    from urllib.parse import urlsplit

    url, home = groundswell_dashboard
    page = browser_page
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(url)
    wait_idle(page)
    for name in ("Traction", "Tone", "Overview"):
        page.get_by_role("link", name=name).click()
        wait_idle(page)
        page.wait_for_timeout(500)
    icons = page.eval_on_selector_all("link[rel~='icon']", "links => links.map(link => link.href)")
    assert icons, "the page has an icon"
    requested += icons
    remote = sorted({u for u in requested if urlsplit(u).scheme in ("http", "https", "ws", "wss")
                     and urlsplit(u).hostname not in ("127.0.0.1", "localhost", "::1")})
    assert remote == []
    assert any("/media/" in icon or icon.startswith(url) for icon in icons), icons
    assert not (home / ".streamlit").exists()

def test_hidden_text_is_not_in_the_page_until_a_named_reveal(writable_server, browser_page):
    from campaigns import safety
    from campaigns.store import Store

    page = browser_page
    page.goto(f"{writable_server}/safety")  # its own section, further down the navigation
    wait_idle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    choose(page, sidebar, "Campaign", "Riverside councillor safety watch (demo data)")
    choose(page, sidebar, "Time range", "Campaign to date")
    page.get_by_role("heading", name="Mentions aimed at the protected accounts").wait_for()
    database = Path(os.environ["GROUNDSWELL_DB"])
    with Store.open(database) as store:
        campaign = store.campaign("councillor-watch")
        newest = store.safety.aimed_mentions(campaign.id, "2000-01-01T00:00:00Z", "2100-01-01T00:00:00Z",
                                             min_score=safety.threshold_of(campaign), limit=1).iloc[0]
    assert newest["text"] not in page.content()

    page.get_by_label("Your name (recorded with what you do here)").fill("Sam")
    page.keyboard.press("Enter")
    wait_idle(page)
    page.get_by_role("combobox", name="Hidden posts").click()
    page.keyboard.press("ArrowDown")  # opens the list of options
    page.get_by_role("option").filter(has_text="(hidden text)").first.click()  # not "Select all"
    page.keyboard.press("Escape")
    wait_idle(page)
    page.get_by_role("button", name="Reveal (recorded)").click()
    wait_idle(page)
    page.get_by_text("Revealed in this session").wait_for()
    with Store.open(database) as store:
        log = store.safety.audit_view(campaign.id)
    assert log[["who", "what"]].values.tolist() == [["Sam", "reveal offensive text"]]
    assert newest["uid"] in log.iloc[0]["detail"]
    assert newest["text"] in page.content()
