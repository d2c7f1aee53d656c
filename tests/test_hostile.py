"""Hostile input everywhere: a post's HTML, script, Markdown, icons, escapes and long lines are shown as text."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from campaigns.errors import ValidationError
from campaigns.exports import safe_cell, to_csv, to_jsonl
from campaigns.metrics import Filters
from campaigns.model import Campaign, Mention, Tracker
from campaigns.store import Store
from campaigns.stream import PostQuery
from groundswell.cli import cli

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
LONG = "y" * 5000
HOSTILE = ("\x1b[31mred\x1b[0m <script>alert('x')</script> **bold** ![x](http://evil/x.png) :material/warning: "
           f"=cmd|' /C calc'!A0 #c {LONG}")
HOSTILE_AUTHOR = "<img src=x onerror=alert(1)>**me**:material/warning:"
# What would be markup, an icon, a fetched image or a terminal colour if shown as anything but
# text; a mark escaped with a backslash is text.
FRAGMENTS = [re.compile(p) for p in (r"(?<!\\)<script", r"(?<!\\)<img", r"\*\*bold\*\*", r"\*\*me\*\*",
                                     r"!\[x\]\(", ":material/warning:", "\x1b")]


@pytest.fixture
def hostile_db(db_path, monkeypatch):
    """A campaign whose most engaged, most negative and most reaching post is hostile."""
    with Store.open(db_path) as store:
        store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                     trackers=[Tracker("hashtag", "c", "ours")]))
        posts = [Mention(platform="mastodon", native_id="h", created_at="2026-03-05T10:00:00Z", text=HOSTILE,
                         author_key=HOSTILE_AUTHOR, author_followers=10_000, url="javascript:alert(document.cookie)",
                         sentiment=-0.95, abuse=0.1, likes=500, reposts=0, replies=0)]
        posts += [Mention(platform="mastodon", native_id=str(n), created_at=f"2026-03-0{1 + n % 5}T1{n % 10}:00:00Z",
                          text=f"calm post {n} #c", author_key=f"a{n}", author_followers=n, sentiment=0.6, abuse=0.0,
                          likes=n, reposts=0, replies=0, url=f"https://mastodon.social/@a{n}/{n}") for n in range(12)]
        store.upsert_mentions(posts)
    monkeypatch.setenv("GROUNDSWELL_DB", str(db_path))
    monkeypatch.setenv("GROUNDSWELL_NOW", "2026-03-06T00:00:00Z")
    return db_path


def open_page(name: str, params: dict | None = None) -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    at.selectbox(key="range_preset").set_value("Last 7 days").run()
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def rendered_as_markdown(at: AppTest) -> list[str]:
    """Every string the page hands Streamlit to render as Markdown (or as a label, which is Markdown too)."""
    texts = [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error", "title",
                                  "header", "subheader") for e in getattr(at, kind)]
    texts += [e.label for kind in ("metric", "button", "expander", "tabs", "selectbox", "text_input")
              for e in getattr(at, kind)]
    return texts


def assert_shown_as_text(at: AppTest) -> None:
    for text in rendered_as_markdown(at):
        assert not any(fragment.search(text) for fragment in FRAGMENTS), text[:200]
    for chart in at.get("plotly_chart"):
        spec = chart.proto.spec
        assert "<script" not in spec and "<img" not in spec  # Plotly reads HTML in labels


def hostile_rows(at: AppTest) -> list[dict]:
    rows = []
    for table in at.dataframe:
        frame = table.value
        if "text" in frame.columns:
            rows += [row for row in frame.to_dict("records") if "<script>" in str(row["text"])]
    return rows


def test_the_posts_page_shows_a_hostile_post_as_text(hostile_db):
    at = open_page("posts")
    assert_shown_as_text(at)
    (row,) = hostile_rows(at)
    assert row["text"] == HOSTILE  # all of it, 5,000-character line included, exactly as written
    assert row["author_key"] == HOSTILE_AUTHOR
    assert pd.isna(row["url"])  # a javascript: address is no link
    # The Columns tab shows each post with st.text, never as Markdown.
    assert any(t.value == HOSTILE for t in at.text)


def test_traction_and_sentiment_show_a_hostile_post_as_text(hostile_db):
    for name in ("traction", "sentiment"):
        at = open_page(name)
        assert_shown_as_text(at)
        rows = hostile_rows(at)
        assert rows and all(r["text"] == HOSTILE and pd.isna(r["url"]) for r in rows), name


@pytest.mark.parametrize("params", [
    {"tracker": "not-a-number"}, {"min_offensive": "lots"}, {"page": "-1; DROP TABLE mentions"},
    {"tone": "<script>"}, {"kind": "**x**"}, {"from": "yesterday", "to": "'"}, {"platform": "x,<b>"},
    {"q": '"unclosed NEAR( col:* ^ \x00 \'; DROP TABLE mentions; --'}, {"lang": "' OR 1=1 --"},
])
def test_the_posts_page_takes_any_filter_in_its_link(hostile_db, params):
    at = open_page("posts", params)
    assert_shown_as_text(at)
    with Store.open(hostile_db) as store:
        assert store.count("mentions") == 13


@pytest.mark.parametrize("search", [
    '"', '""', "*", "-", "- -", "NEAR(a b)", "text:calm", "^calm", "calm OR", "(", ")", "\x00", "'; DROP TABLE mentions; --",
    "\\", "#", "@", "#c*", '"calm post" -"', "a" * 10_000, ":material/warning:", "<script>",
])
def test_any_search_string_is_taken_safely(hostile_db, search):
    with Store.open(hostile_db) as store:
        window = Filters(1, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
        try:
            frame, total = store.posts.page(PostQuery(window, search=search))
        except ValidationError as error:  # a search with nothing to look for says so, in one line
            assert "\n" not in str(error)
        else:
            assert total == len(frame) <= 13
        assert store.count("mentions") == 13


def test_exports_keep_the_text_exact_and_no_cell_starts_a_formula(hostile_db):
    with Store.open(hostile_db) as store:
        frame = store.posts.all(PostQuery(Filters(1, "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z"),
                                          search="script"))
    rows = list(csv.DictReader(io.StringIO(to_csv(frame).decode("utf-8"))))
    (row,) = rows
    assert row["text"] == safe_cell(HOSTILE) and LONG in row["text"]
    assert "\x1b" not in row["text"] and "␛[31m" in row["text"]  # escapes are shown, never obeyed
    assert row["author_key"] == HOSTILE_AUTHOR
    for value in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1", "\n=1", " =1"):
        assert safe_cell(value).startswith("'") or not value.strip().startswith(("=", "+", "-", "@")), value
    (line,) = to_jsonl(frame).decode("utf-8").splitlines()
    assert "\x1b" not in line and json.loads(line)["text"] == HOSTILE  # JSON escapes; the value is exact


def test_the_command_line_prints_post_text_without_obeying_it(hostile_db):
    runner = CliRunner()
    listed = runner.invoke(cli, ["posts", "--campaign", "c", "--since", "2026-01-01", "--search", "script"])
    assert listed.exit_code == 0, listed.output
    assert "\x1b" not in listed.output and "␛[31m" in listed.output
    exported = runner.invoke(cli, ["posts", "--campaign", "c", "--since", "2026-01-01", "--search", "script",
                                   "--format", "csv"])
    assert exported.exit_code == 0 and "\x1b" not in exported.output and "␛[31m" in exported.output
