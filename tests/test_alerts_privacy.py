"""No message carries abusive text or an author: on hostile posts, and on real files imported with pseudonyms on."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta

import pytest
from alert_servers import Hook

from campaigns import alerts, clock, delivery
from campaigns.alert_settings import Destination
from campaigns.model import Campaign, Tracker, iso_utc
from campaigns.settings import Settings
from collectors.importers import import_file

HOSTILE = [
    "@cllr_amina_khan you are a worthless piece of shit, resign or else #SaveOurLibraries",
    "@cllr_amina_khan nobody wants you, go and die #SaveOurLibraries",
    "<script>alert(1)</script> @cllr_amina_khan fuck off back where you came from #SaveOurLibraries",
    "**bold** [click](https://evil.example) @cllr_amina_khan we know where you live #SaveOurLibraries",
]


def write_csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["platform", "id", "created_at", "text", "author", "followers"])
        writer.writeheader()
        writer.writerows(rows)


def deliver_everything(store, c, hook, now):
    """Every alert the rules find, plus pile-ons as a safety desk might word them, sent to the hook."""
    with clock.pinned(now):
        store.alerts.add_destination(c.id, Destination(name="team", url=hook.url))
        raised = alerts.check(store, [store.campaign(c.slug)], now=now)
        authors = [row[0] for row in store.db.conn.execute(
            "SELECT DISTINCT author_key FROM mention_matches WHERE campaign_id = ?", [c.id])][:12]
        texts = [row[0] for row in store.db.conn.execute("SELECT text FROM mentions LIMIT 5")]
        # Figures as JSON, with who took part and what they wrote: none of it may leave.
        store.alerts.raise_alert(c.id, "pile_on", episode="json", at=iso_utc(now), page="safety", detail=json.dumps(
            {"account": "@cllr_amina_khan", "authors": authors, "mentions": len(texts), "texts": texts}))
        # Free text naming the authors and quoting a post.
        store.alerts.raise_alert(c.id, "pile_on", episode="text", at=iso_utc(now), page="safety",
                                 detail=f"{', '.join(authors)} wrote: {texts[0]}")
        delivery.queue_alerts(store, now)
        result = delivery.deliver(store, now)
    assert result.sent >= 3 and len(hook.received) == result.sent
    return raised, [f"{p['title']}\n{p['message']}" for p in hook.received]


def assert_clean(store, messages, handles):
    authors = {row[0] for row in store.db.conn.execute("SELECT DISTINCT author_key FROM mentions") if row[0]}
    texts = [row[0] for row in store.db.conn.execute("SELECT text FROM mentions") if row[0]]
    assert authors and texts
    for message in messages:
        assert not re.search(r"anon-[0-9a-f]{6,}", message), message
        for author in authors | set(handles):
            assert not re.search(rf"(?<![\w@]){re.escape(author)}(?!\w)", message, re.IGNORECASE), (author, message)
        for text in texts:
            snippet = text.strip()[:40]
            assert len(snippet) < 12 or snippet not in message, (snippet, message)
        for word in ("shit", "fuck", "die", "<script>", "worthless", "where you live"):
            assert word not in message.lower(), (word, message)


def test_hostile_posts_leave_no_text_and_no_author_in_any_message(store, db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    now = datetime.fromisoformat("2026-06-15T12:30:00+00:00")
    c = store.save_campaign(Campaign(
        slug="libraries", name="Save Our Libraries", starts_at="2026-05-01", goal_mentions=50,
        trackers=[Tracker("hashtag", "SaveOurLibraries", "ours"), Tracker("account", "cllr_amina_khan", "protect")]))
    rows = [{"platform": "mastodon", "id": f"h{i}", "created_at": iso_utc(now - timedelta(days=9, hours=-i)),
             "text": f"Support the reading room {i} #SaveOurLibraries", "author": f"reader_{i}", "followers": 5}
            for i in range(0, 200, 4)]
    handles = [f"troll_{i}" for i in range(40)]
    rows += [{"platform": "mastodon", "id": f"t{i}", "created_at": iso_utc(now - timedelta(hours=2, minutes=i)),
              "text": HOSTILE[i % len(HOSTILE)] + f" {i}", "author": handles[i], "followers": 50}
             for i in range(40)]
    write_csv(tmp_path / "hostile.csv", rows)
    import_file(store, tmp_path / "hostile.csv", "csv", settings=Settings.from_env(db_path))
    stored = {row[0] for row in store.db.conn.execute("SELECT author_key FROM mentions")}
    assert all(a.startswith("anon-") for a in stored) and not stored & set(handles)
    with Hook() as hook:
        raised, messages = deliver_everything(store, c, hook, now)
    assert {"spike", "goal_reached"} <= {a["kind"] for a in raised}
    assert any("Pile-on on @cllr_amina_khan" in m for m in messages)
    assert_clean(store, messages, handles + [f"reader_{i}" for i in range(0, 200, 4)])


@pytest.mark.realworld
def test_real_x_pages_imported_with_pseudonyms_leave_no_handle_or_text_in_any_message(
        store, db_path, realworld, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    c = store.save_campaign(Campaign(
        slug="referendum", name="Referendum watch", starts_at="2021-09-01", goal_mentions=20,
        trackers=[Tracker("hashtag", "brexit", "ours"), Tracker("hashtag", "kpop", "opposing"),
                  Tracker("account", "cllr_amina_khan", "protect")]))
    handles, latest = set(), ""
    for name in ("brexit.jsonl", "kpop.jsonl"):
        path = realworld / "twarc-csv" / name
        for line in path.read_text().splitlines():
            page = json.loads(line)
            handles |= {u["username"] for u in page.get("includes", {}).get("users", [])}
            latest = max([latest, *(t["created_at"] for t in page["data"])])
        import_file(store, path, "x", settings=Settings.from_env(db_path))
    # Hateful posts from HateCheck aimed at the protected account, as a pile-on would be.
    with open(realworld / "abuse" / "hatecheck_test_suite_cases.csv", encoding="utf-8") as handle:
        hateful = [row["test_case"].strip() for row in csv.DictReader(handle) if row["label_gold"] == "hateful"][:30]
    now = datetime.fromisoformat(latest.replace("Z", "+00:00")) + timedelta(minutes=30)
    rows = [{"platform": "bluesky", "id": f"hc{i}", "created_at": iso_utc(now - timedelta(minutes=20 + i)),
             "text": f"@cllr_amina_khan {text}", "author": f"hc_author_{i}", "followers": 3}
            for i, text in enumerate(hateful)]
    write_csv(db_path.parent / "hatecheck.csv", rows)
    import_file(store, db_path.parent / "hatecheck.csv", "csv", settings=Settings.from_env(db_path))
    assert store.db.conn.execute("SELECT count(*) FROM mentions WHERE author_key NOT LIKE 'anon-%'").fetchone()[0] == 0
    with Hook() as hook:
        raised, messages = deliver_everything(store, c, hook, now)
    assert "goal_reached" in {a["kind"] for a in raised}
    assert_clean(store, messages, {h for h in handles if len(h) >= 4} | {f"hc_author_{i}" for i in range(30)})
    for text in hateful:
        assert all(text not in m for m in messages)
