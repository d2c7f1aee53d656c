"""Varied, unique post texts and the X API v2 search pages that carry them, for the ingest benchmark.

The demo data set repeats a few dozen templates, and the scorer scores identical texts once, so
ingesting it would measure a cache. These texts are all different: real tweets from the VADER
ground truth (when ../shared/realworld is present) joined with a fragment of another tweet and a
campaign hashtag, or, without that file, sentences drawn from a vocabulary of the same register.
"""

from __future__ import annotations

import html
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

REALWORLD_TWEETS = (Path(__file__).resolve().parents[2] / "shared" / "realworld" / "sentiment"
                    / "tweets_GroundTruth.txt")
# Words of the register of campaign posts, used when the real tweets are not present.
_OPENERS = ["Honestly", "So", "Today", "Again", "Finally", "Wow", "Ugh", "Great news:", "Reminder:",
            "Not gonna lie,", "Proud that", "Sad that", "Can't believe", "Happy to see", "Tired of"]
_SUBJECTS = ["the council", "our union", "the officers", "everyone at the stall", "the library team",
             "the volunteers", "this campaign", "the people online", "my mates", "the committee"]
_VERBS = ["keeps showing up for", "is ignoring", "really helped", "let down", "stood up for",
          "won't listen to", "made time for", "is fighting for", "laughed at", "thanked"]
_OBJECTS = ["students", "residents", "the staff", "our community", "the readers", "young people",
            "the whole town", "anyone who asked", "the families", "local kids"]
_TAILS = ["!!", ".", " :)", " :(", " - brilliant", " - awful", ", so good", ", not ok", " lol",
          " tbh", ". Shameful.", ". Love it.", " #fb", "", "..."]


def real_tweets(path: Path = REALWORLD_TWEETS) -> list[str]:
    """The 4,200 tweet texts of the VADER ground truth (as people wrote them: the file keeps X's
    HTML entities, which are undone here), or [] when the file is absent."""
    if not path.is_file():
        return []
    texts = []
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        parts = line.split("\t", 2)
        if len(parts) == 3 and parts[2].strip():
            texts.append(html.unescape(parts[2].strip()))
    return texts


def _sentence(rng: random.Random) -> str:
    return (f"{rng.choice(_OPENERS)} {rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} "
            f"{rng.choice(_OBJECTS)}{rng.choice(_TAILS)}")


def unique_texts(count: int, tags: list[str], seed: int = 11) -> list[str]:
    """`count` distinct texts, each carrying one of `tags` (hashtags with '#') so it matches a campaign."""
    rng = random.Random(seed)
    pool = real_tweets()
    seen: set[str] = set()
    made: list[str] = []
    while len(made) < count:
        if pool:
            base, other = rng.choice(pool), rng.choice(pool).split()
            start = rng.randrange(max(1, len(other) - 3))
            fragment = " ".join(other[start:start + rng.randint(3, 8)])
            text = f"{base} {rng.choice(tags)} {fragment}"
        else:
            text = f"{_sentence(rng)} {rng.choice(tags)} {_sentence(rng)}"
        if text in seen:
            text = f"{text} ({len(made)})"
        seen.add(text)
        made.append(text)
    return made


def x_pages(texts: list[str], *, first_id: int, until: datetime, per_page: int = 100,
            seed: int = 13) -> list[dict]:
    """X API v2 search pages (`data` + `includes.users`) carrying the texts, newest last, with
    &, < and > escaped as X's API writes them."""
    rng = random.Random(seed)
    authors = [{"id": str(10_000 + i), "username": f"bench_author_{i:05d}",
                "public_metrics": {"followers_count": min(int(rng.lognormvariate(5.4, 1.9)), 3_000_000)}}
               for i in range(max(50, len(texts) // 8))]
    start = until - timedelta(days=7)
    step = timedelta(days=7) / max(1, len(texts))
    pages = []
    for page_start in range(0, len(texts), per_page):
        data, users = [], {}
        for offset, text in enumerate(texts[page_start:page_start + per_page]):
            index = page_start + offset
            author = authors[rng.randrange(len(authors))]
            users[author["id"]] = author
            data.append({
                "id": str(first_id + index), "text": html.escape(text, quote=False), "author_id": author["id"], "lang": "en",
                "created_at": (start + step * index).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                "edit_history_tweet_ids": [str(first_id + index)],
                "public_metrics": {"like_count": rng.randrange(50), "retweet_count": rng.randrange(10),
                                   "reply_count": rng.randrange(5), "quote_count": rng.randrange(3),
                                   "impression_count": rng.randrange(5000)},
            })
        pages.append({"data": data, "includes": {"users": list(users.values())},
                      "meta": {"result_count": len(data)}})
    return pages


def write_jsonl(pages: list[dict], path: Path) -> Path:
    """The pages as twarc2 saves them: one JSON document a line."""
    with path.open("w", encoding="utf-8") as handle:
        for page in pages:
            handle.write(json.dumps(page) + "\n")
    return path


REALWORLD_PAGES = REALWORLD_TWEETS.parents[1] / "twarc-csv"


def _shifted(tweet: dict, offset: int) -> dict:
    """A tweet of a copy of a real page: its own id and the ids of the tweets it points at moved
    by `offset`, so a retweet in the copy still points at its original in the copy."""
    tweet = dict(tweet)
    for key in ("id", "conversation_id"):
        if key in tweet:
            tweet[key] = str(int(tweet[key]) + offset)
    if "referenced_tweets" in tweet:
        tweet["referenced_tweets"] = [{**ref, "id": str(int(ref["id"]) + offset)} for ref in tweet["referenced_tweets"]]
    if "edit_history_tweet_ids" in tweet:
        tweet["edit_history_tweet_ids"] = [str(int(i) + offset) for i in tweet["edit_history_tweet_ids"]]
    return tweet


def real_pages(count: int, folder: Path = REALWORLD_PAGES) -> list[dict]:
    """The real twarc2 pages of ../shared/realworld/twarc-csv, copied until they hold at least
    `count` tweets, each copy's tweet ids moved past the last's: new posts to the store, whose
    retweets share their originals' texts as real collections do. [] when the files are absent."""
    pages = [json.loads(line) for name in ("brexit.jsonl", "kpop.jsonl") if (folder / name).is_file()
             for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    per_copy = sum(len(page.get("data", [])) for page in pages)
    if not per_copy:
        return []
    copies = []
    for copy in range(-(-count // per_copy)):
        offset = (copy + 1) * 10**17
        for page in pages:
            includes = dict(page.get("includes", {}))
            if "tweets" in includes:
                includes["tweets"] = [_shifted(t, offset) for t in includes["tweets"]]
            copies.append({**page, "data": [_shifted(t, offset) for t in page["data"]], "includes": includes})
    return copies

