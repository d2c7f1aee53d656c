"""Take the README's dashboard screenshots: serve the app on a demo database and capture each page.

Usage (from the repository root, with chromium at /usr/bin/chromium):

    python scripts/screenshots.py                 # builds a fresh demo database in a temp folder
    python scripts/screenshots.py --db my.db --campaign antisocial --range "Campaign to date"

Writes docs/screenshots/<page>.png. Rerunning replaces them. A fresh demo database also gets
real collection runs for the Sources page: `groundswell collect --source rss` against a demo
news feed served on 127.0.0.1 (and a missing feed, so the page shows how an error looks).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
PAGES = ["Overview", "Traction", "Tone", "Sources"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def build_demo(folder: Path, mentions: int) -> Path:
    """A demo database through the real command, ending now, so 'Last 30 days' is full."""
    path = folder / "demo.db"
    subprocess.run([sys.executable, "-m", "groundswell", "--db", str(path), "demo", "load",
                    "--mentions", str(mentions), "--days", "60"], check=True, cwd=folder)
    return path


DEMO_FEED = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Demo campus news (generated)</title><link>https://example.org/demo/news</link>
<description>Demo data for the screenshots</description>
{items}
</channel></rss>
"""
DEMO_HEADLINES = [
    "Students' union launches #AntiSocialMedia campaign against online abuse of officers",
    "Officers describe the online abuse they face as the union asks for kindness",
    "Opinion: is #AntiSocialMedia a threat to free speech on campus?",
    "Union stall collects hundreds of #LoveSUs messages for its officers",
]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:  # the collector reports what it fetched
        pass


def collect_demo_feed(db: Path, folder: Path) -> None:
    """Real RSS collection runs: serve a demo feed locally, list it on a demo campaign, collect."""
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from campaigns.model import Campaign, Tracker, classify_term
    from campaigns.store import Store

    now = datetime.now(UTC)
    items = "\n".join(
        f"<item><title>{title}</title><link>https://example.org/demo/news/{number}</link>"
        f"<guid>https://example.org/demo/news/{number}</guid>"
        f"<pubDate>{format_datetime(now - timedelta(hours=6 * number))}</pubDate></item>"
        for number, title in enumerate(DEMO_HEADLINES, start=1))
    (folder / "feed.xml").write_text(DEMO_FEED.format(items=items), encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        # Collectors never write into demo campaigns, so the feed gets a campaign of its own;
        # news has no follower counts, so its potential reach shows as n/a.
        with Store.open(db) as store:
            store.save_campaign(Campaign(
                slug="campus-press", name="Campus press watch", timezone="Europe/London",
                description="Screenshot example: a generated news feed served on this machine.",
                starts_at=(now - timedelta(days=30)).date().isoformat(),
                trackers=[Tracker(*classify_term(term), side="ours") for term in ("#AntiSocialMedia", "#LoveSUs")],
                feeds=[f"{base}/feed.xml", f"{base}/missing.xml"]))
        for _ in range(2):
            subprocess.run([sys.executable, "-m", "groundswell", "--db", str(db), "collect", "--campaign",
                            "campus-press", "--source", "rss"], cwd=folder, check=False)
    finally:
        server.shutdown()


def serve(db: Path, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "GROUNDSWELL_DB": str(db)}
    env.pop("GROUNDSWELL_DASHBOARD_PASSWORD", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "dashboard" / "server.py"),
         "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        env=env, stdout=log.open("w"), stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit(f"streamlit did not start; see {log}")


def settle(page) -> None:
    page.wait_for_timeout(400)
    page.wait_for_selector(IDLE, timeout=60_000)
    page.wait_for_timeout(1500)  # Plotly draws after the script has finished


def choose(page, label: str, option: str) -> None:
    page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def capture(url: str, out: Path, campaign: str | None, time_range: str, width: int) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
        page.goto(url)
        settle(page)
        if campaign:
            choose(page, "Campaign", campaign)
        choose(page, "Time range", time_range)
        for name in PAGES:
            page.set_viewport_size({"width": width, "height": 900})
            page.locator('[data-testid="stSidebarNav"]').get_by_role("link", name=name).click()
            settle(page)
            # The app scrolls inside its main block: grow the window to the content, then shoot it whole.
            height = page.evaluate(
                "() => document.querySelector('[data-testid=\"stMainBlockContainer\"]').scrollHeight")
            page.set_viewport_size({"width": width, "height": min(int(height) + 120, 9000)})
            settle(page)
            target = out / f"{name.lower()}.png"
            page.screenshot(path=str(target), full_page=True)
            written.append(target)
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="database to show [default: a fresh demo database]")
    parser.add_argument("--mentions", type=int, default=50_000, help="demo posts when building one")
    parser.add_argument("--campaign", default=None, help="campaign name as the sidebar shows it")
    parser.add_argument("--range", dest="time_range", default="Last 30 days", help="a time range preset")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--width", type=int, default=1400)
    args = parser.parse_args()
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"needs chromium at {CHROMIUM} (apt-get install chromium)")
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        if args.db:
            db = args.db.resolve()
        else:
            db = build_demo(Path(folder), args.mentions)
            collect_demo_feed(db, Path(folder))
        port = free_port()
        process = serve(db, port, Path(folder) / "streamlit.log")
        try:
            for path in capture(f"http://127.0.0.1:{port}", args.out, args.campaign, args.time_range, args.width):
                print(f"wrote {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        finally:
            process.terminate()
            process.wait(timeout=10)


if __name__ == "__main__":
    main()
