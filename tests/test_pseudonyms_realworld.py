"""Pseudonyms, complete: every recorded real file imported with them on leaves no handle, name or user id in the files."""

from __future__ import annotations

import base64
import csv
import gzip
import json
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from fake_api import FakeAPI, fixture_json

from campaigns.model import Campaign, Tracker
from campaigns.settings import Settings
from campaigns.store import Store
from collectors import mastodon, x
from collectors.bluesky import BlueskyCollector
from collectors.runner import run_source
from groundswell.cli import cli

pytestmark = pytest.mark.realworld

# Tracked by name in the test campaign, so they stay readable: one protected account on X, and a
# volunteer who consented, with their Mastodon handle.
PROTECTED = "BTS_twt"
VOLUNTEER = "mastodonpy_test_2@localhost:3000"
# Mastodon.py's recordings name the app that posted ("Mastodon.py test suite"), not a person.
NOT_PEOPLE = {"Mastodon.py test suite"}


# -- who the files name, read from the files themselves ---------------------------------------

class People:
    """Handles, display names and platform user ids found in the recorded files, and each post's
    text with the people it is by or @-names."""

    def __init__(self):
        self.handles: set[str] = set()
        self.names: set[str] = set()
        self.ids: set[str] = set()
        self.posts: list[tuple[str, set[str]]] = []

    def add(self, handles=(), names=(), ids=()):
        self.handles |= {str(h).lstrip("@") for h in handles if h}
        self.names |= {str(n).strip() for n in names if n and str(n).strip()}
        self.ids |= {str(i) for i in ids if i}

    def post(self, text: str | None, by=(), platform: str = ""):
        """A post's text: the @-names (u/names on Reddit) in it are handles too."""
        named = re.findall(r"(?<![\w.@/])@([A-Za-z0-9_](?:[\w.-]*\w)?)", text or "")
        if platform == "reddit":
            named += re.findall(r"(?<![\w/])/?u/([A-Za-z0-9_-]{3,20})\b", text or "")
        self.add(handles=named)
        self.posts.append(((text or "").lower(), {str(p).lower() for p in [*by, *named] if p}))

    def words_of_posts(self) -> set[str]:
        """Handles and names that posts use as plain words about someone they neither are by nor
        @-name ("via YouTube", "Boris Johnson has refused..."): speech, which pseudonyms leave as written."""
        used = set()
        for identity in self.handles | self.names:
            lowered = identity.lower()
            pattern = re.compile(rf"(?<![\w#@])(?<!u/){re.escape(lowered)}(?![\w])")
            if any(lowered in text and lowered not in people and pattern.search(text)
                   for text, people in self.posts):
                used.add(identity)
        return used


def x_page_people(page: dict, people: People) -> None:
    includes = page.get("includes") or {}
    users_by_id = {str(u.get("id")): u for u in includes.get("users") or []}
    for user in includes.get("users") or []:
        people.add(handles=[user.get("username")], names=[user.get("name")], ids=[user.get("id")])
    for tweet in (page.get("data") or []) + (includes.get("tweets") or []):
        people.add(ids=[tweet.get("author_id"), tweet.get("in_reply_to_user_id")])
        for named in (tweet.get("entities") or {}).get("mentions") or []:
            people.add(handles=[named.get("username")], ids=[named.get("id")])
        author = users_by_id.get(str(tweet.get("author_id")), {})
        people.post(x.text_of(tweet.get("text")), by=[author.get("username"), author.get("name")])


def twarc_csv_people(path: Path, people: People) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            people.add(handles=[row.get(c) for c in ("author.username", "retweeted_username", "in_reply_to_username",
                                                      "quoted_username")],
                       names=[row.get("author.name")],
                       ids=[row.get(c) for c in ("author_id", "author.id", "retweeted_user_id", "in_reply_to_user_id",
                                                 "quoted_user_id")])
            if row.get("entities.mentions"):
                people.add(handles=json.loads(row["entities.mentions"]))
            people.post(x.text_of(row.get("text", "").replace("\\n", "\n")),
                        by=[row.get("author.username"), row.get("author.name"), row.get("retweeted_username")])


def reddit_people(item: dict, people: People) -> None:
    people.add(handles=[a for a in (item.get("author"), item.get("link_author")) if a != "[deleted]"],
               ids=[item.get("author_fullname")])
    if str(item.get("subreddit") or "").startswith("u_"):
        people.add(handles=[item["subreddit"][2:]])
    for field in ("title", "selftext", "body"):
        people.post(item.get(field), by=[item.get("author")], platform="reddit")


def mastodon_people(status: dict, people: People) -> None:
    for account in [status.get("account") or {}, *(status.get("mentions") or [])]:
        people.add(handles=[account.get("username"), account.get("acct")], names=[account.get("display_name")],
                   ids=[account.get("id")])
    people.add(ids=[status.get("in_reply_to_account_id")])
    account = status.get("account") or {}
    people.post(mastodon.html_to_text(status.get("content") or ""),
                by=[account.get("username"), account.get("acct"), account.get("display_name")])
    if status.get("reblog"):
        mastodon_people(status["reblog"], people)


def bluesky_people(value, people: People) -> None:
    """Every author (did, handle, display name) and mentioned did anywhere in a Bluesky answer."""
    if isinstance(value, dict):
        if "did" in value and ("handle" in value or "displayName" in value):
            people.add(handles=[value.get("handle")], names=[value.get("displayName")], ids=[value["did"]])
        if str(value.get("$type", "")).endswith("#mention"):
            people.add(ids=[value.get("did")])
        if isinstance(value.get("text"), str):
            people.post(value["text"])
        for item in value.values():
            bluesky_people(item, people)
    elif isinstance(value, list):
        for item in value:
            bluesky_people(item, people)


# -- the recorded answers, out of their cassettes ---------------------------------------------

def cassette_body(body) -> bytes:
    """A vcrpy or betamax body: a plain string, or base64 (gzip inside, as tweepy's)."""
    raw = body.get("string", body.get("base64_string", "")) if isinstance(body, dict) else body
    if isinstance(raw, bytes):
        data = raw
    elif raw.lstrip()[:1] in ("{", "["):
        data = raw.encode()
    else:
        data = base64.b64decode(raw)
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def recorded_answers(realworld: Path, folder: str, pattern: str):
    """The JSON answers to the GET requests in each recording of a folder."""
    for path in sorted((realworld / folder).glob(pattern)):
        text = path.read_text(encoding="utf-8")
        cassette = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
        for interaction in cassette["interactions"]:
            if interaction["request"]["method"] != "GET":
                continue
            try:
                yield json.loads(cassette_body(interaction["response"]["body"]) or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError):
                continue


def write_lines(path: Path, documents) -> Path:
    path.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    return path


def import_files(realworld: Path, folder: Path, people: People) -> list[tuple[Path, str]]:
    """Every recorded file as a file `groundswell import` reads, and who each one names."""
    files: list[tuple[Path, str]] = []
    brexit = realworld / "twarc-csv" / "brexit.jsonl"
    for line in brexit.read_text(encoding="utf-8").splitlines():
        if line.strip():
            x_page_people(json.loads(line), people)
    files.append((brexit, "x"))
    for name in ("brexit.csv", "kpop.csv"):
        twarc_csv_people(realworld / "twarc-csv" / name, people)
        files.append((realworld / "twarc-csv" / name, "x"))
    pages = []
    for page in recorded_answers(realworld, "tweepy", "*search_recent_tweets.yaml"):
        for tweet in page["data"]:
            # tweepy recorded the default fields only, which carry no time: the id holds it.
            tweet.setdefault("created_at", x.created_from_id(tweet["id"]))
        x_page_people(page, people)
        pages.append(page)
    files.append((write_lines(folder / "tweepy.jsonl", pages), "x"))
    listings = [a for a in recorded_answers(realworld, "praw", "*.json")
                if isinstance(a, dict) and a.get("kind") == "Listing"]
    for listing in listings:
        for child in listing["data"]["children"]:
            reddit_people(child["data"], people)
    files.append((write_lines(folder / "praw.jsonl", listings), "reddit"))
    timelines = []
    for answer in recorded_answers(realworld, "mastodon", "*.yaml"):
        statuses = answer if isinstance(answer, list) else [answer] if isinstance(answer, dict) and "uri" in answer \
            else []
        for status in statuses:
            mastodon_people(status, people)
        if statuses:
            timelines.append(statuses)
    files.append((write_lines(folder / "mastodon.jsonl", timelines), "mastodon"))
    thread = json.loads((realworld / "atproto" / "thread_view_post_with_embed_media.json").read_text())
    bluesky_people(thread, people)
    files.append((realworld / "atproto" / "thread_view_post_with_embed_media.json", "bluesky"))
    return files


# -- the test ---------------------------------------------------------------------------------

@pytest.fixture
def pseudonymised(realworld, tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYM_KEY_FILE", str(tmp_path / "pseudonym.key"))
    monkeypatch.setenv("GROUNDSWELL_DB", str(tmp_path / "g.db"))
    monkeypatch.setenv("GROUNDSWELL_JOBS_DB", str(tmp_path / "jobs.sqlite"))
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    monkeypatch.delenv("GROUNDSWELL_PSEUDONYM_KEY", raising=False)
    for name in ("X_BEARER_TOKEN", "REDDIT_CLIENT_ID", "BLUESKY_HANDLE"):
        monkeypatch.delenv(f"GROUNDSWELL_{name}", raising=False)
    return tmp_path


def groundswell(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def collect_bluesky_with_profiles(realworld: Path, db: Path) -> None:
    """The Bluesky collector against a local server answering with the recorded post, so its
    author goes through the profile cache as a real run's do."""
    post = json.loads((realworld / "atproto" / "thread_view_post_with_embed_media.json").read_text())["thread"]["post"]
    profile = {**post["author"], "followersCount": 42}
    api = FakeAPI()
    api.route("POST", "/xrpc/com.atproto.server.createSession", (200, {}, fixture_json("bluesky", "create_session.json")))
    api.route("GET", "/xrpc/app.bsky.feed.searchPosts", (200, {}, {"posts": [post]}))
    api.route("GET", "/xrpc/app.bsky.actor.getProfiles", (200, {}, {"profiles": [profile]}))
    settings = Settings.from_env(db)
    settings.bluesky_handle, settings.bluesky_app_password = "organiser.bsky.social", "app-password-here"
    with api, Store.open(db) as store:
        settings.bluesky_service = api.url
        result = run_source(store, settings, "bluesky", store.campaign("realworld"),
                            collector=BlueskyCollector(settings, store))
        # One search per tracker finds the post the import stored: the same row by either route.
        assert result.status == "ok" and result.fetched >= 1 and result.new == 0, result.errors
        assert store.count("author_profiles") == 1


def stored_bytes(folder: Path) -> bytes:
    """The database, its WAL and the scheduler's job store, byte for byte, lower case."""
    return b"".join(p.read_bytes().lower() for p in sorted(folder.iterdir())
                    if p.name.startswith(("g.db", "jobs.sqlite")))


def test_no_handle_name_or_user_id_from_the_recorded_files_is_stored(realworld, pseudonymised):
    folder = pseudonymised
    db = folder / "g.db"
    people = People()
    files = import_files(realworld, folder, people)
    made = groundswell("init", "--campaigns-file", str(folder / "campaigns.yaml"))
    assert f"made the pseudonym key {folder / 'pseudonym.key'}" in made
    with Store.open(db) as store:
        store.save_campaign(Campaign(
            slug="realworld", name="Recorded", starts_at="2000-01-01",
            trackers=[Tracker("hashtag", tag, "ours") for tag in ("brexit", "kpop", "hoot", "praw", "tweepy")]
            + [Tracker("keyword", "toot", "ours"), Tracker("account", PROTECTED, "protect")]))
        from campaigns.planner import Volunteer
        store.plan.save_volunteer(Volunteer(display_name="Volunteer", consent_at="2026-01-01T00:00:00Z",
                                            handles={"mastodon": VOLUNTEER}))
    for path, fmt in files:
        groundswell("import", str(path), "--format", fmt)
    collect_bluesky_with_profiles(realworld, db)
    from collectors.scheduler import build

    with Store.open(db) as store:
        scheduler, _, _ = build(Settings.from_env(db), store, scheduler_class=_paused_scheduler())
        scheduler.start(paused=True)  # writes every job, with its arguments, to the job store
        for job in scheduler.get_jobs():
            job.pause()  # so none is due when the scheduler stops
        scheduler.shutdown()
        assert (folder / "jobs.sqlite").stat().st_size > 0
        counts = store.mention_counts_by_platform()
        assert counts["x"] >= 250 and counts["reddit"] >= 200 and counts["mastodon"] >= 30 and counts["bluesky"] == 1
    data = stored_bytes(folder)
    readable = {PROTECTED.lower(), VOLUNTEER.lower(), VOLUNTEER.split("@")[0].lower()}
    assert PROTECTED.lower().encode() in data and VOLUNTEER.lower().encode() in data  # tracked by name
    speech = people.words_of_posts()
    assert len(people.handles) > 400 and len(people.ids) > 300 and len(people.names) > 250

    def stored(identity: str) -> bool:
        # A whole word, and not a hashtag (a topic, which stays); one or two letters name no one.
        lowered = identity.lower()
        return len(lowered) >= 3 and lowered not in readable and identity not in speech and \
            whole_word_in(lowered.encode(), data)

    found = {kind: sorted(v for v in values if stored(v))
             for kind, values in (("handles", people.handles), ("names", people.names - NOT_PEOPLE),
                                  ("ids", people.ids))}
    assert found == {"handles": [], "names": [], "ids": []}


def whole_word_in(word: bytes, data: bytes) -> bool:
    """Whether `word` is in `data` with no letter, digit or _ beside it, and no # before it."""
    start = data.find(word)
    while start != -1:
        before, after = data[start - 1:start], data[start + len(word):start + len(word) + 1]
        if not (before.isalnum() or before in (b"_", b"#")) and not (after.isalnum() or after == b"_"):
            return True
        start = data.find(word, start + 1)
    return False


def _paused_scheduler():
    from apscheduler.schedulers.background import BackgroundScheduler

    return BackgroundScheduler
