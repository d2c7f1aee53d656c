"""Prefilled compose links for X, Bluesky, Mastodon and Reddit; the volunteer posts, the program never does."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from campaigns.errors import ValidationError

# What each platform allows in one post. X counts in weighted characters (below); Bluesky counts
# graphemes; Mastodon's default is 500 characters with every link counted as 23; a Reddit post's
# title is at most 300 characters and its text 40,000.
LIMITS = {"x": 280, "bluesky": 300, "mastodon": 500, "reddit": 40_000}
REDDIT_TITLE_LIMIT = 300
LINK_LENGTH = 23  # what X and Mastodon count for any link, however long
LABELS = {"x": "X", "bluesky": "Bluesky", "mastodon": "Mastodon", "reddit": "Reddit"}
URL_RE = re.compile(r"https?://\S+")
HOST_RE = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
SUBREDDIT_RE = re.compile(r"^(?:/?r/)?([A-Za-z0-9_]{2,21})$")
# twitter-text's weighted ranges: code points here count 1, everything else (CJK, emoji) counts 2.
_X_LIGHT = ((0, 4351), (8192, 8205), (8208, 8223), (8242, 8247))


@dataclass(frozen=True)
class ShareLink:
    """One platform's compose link, or why there is none (url is None)."""

    platform: str
    url: str | None
    text: str
    length: int
    limit: int
    note: str = ""

    @property
    def label(self) -> str:
        return LABELS[self.platform]


def compose_text(message: str, hashtags=(), link: str = "") -> str:
    """The post as a volunteer would write it: the message, any hashtag it lacks, then the link."""
    text = (message or "").strip()
    present = {t.lower() for t in re.findall(r"#(\w+)", text)}
    missing = [f"#{t.lstrip('#')}" for t in hashtags if t.lstrip("#").lower() not in present]
    parts = [text, " ".join(missing), (link or "").strip()]
    return " ".join(p for p in parts if p)


def post_length(platform: str, text: str) -> int:
    """The length a platform counts for a post.

    Bluesky counts graphemes; counting code points instead can only overcount (an emoji built
    of several code points is one grapheme), so a text that fits here fits there.
    """
    if platform == "x":
        rest = URL_RE.sub("", text)
        weighted = sum(1 if any(lo <= ord(ch) <= hi for lo, hi in _X_LIGHT) else 2 for ch in rest)
        return weighted + LINK_LENGTH * len(URL_RE.findall(text))
    if platform == "mastodon":
        return len(URL_RE.sub("", text)) + LINK_LENGTH * len(URL_RE.findall(text))
    return len(text)


def _too_long(platform: str, length: int, limit: int) -> str:
    return f"{length} characters; {LABELS[platform]} allows {limit}. Shorten the message or use a variant."


def x_link(text: str) -> ShareLink:
    length = post_length("x", text)
    if length > LIMITS["x"]:
        return ShareLink("x", None, text, length, LIMITS["x"], _too_long("x", length, LIMITS["x"]))
    return ShareLink("x", "https://x.com/intent/post?" + urlencode({"text": text}, quote_via=quote),
                     text, length, LIMITS["x"])


def bluesky_link(text: str) -> ShareLink:
    length = post_length("bluesky", text)
    if length > LIMITS["bluesky"]:
        return ShareLink("bluesky", None, text, length, LIMITS["bluesky"],
                         _too_long("bluesky", length, LIMITS["bluesky"]))
    return ShareLink("bluesky", "https://bsky.app/intent/compose?" + urlencode({"text": text}, quote_via=quote),
                     text, length, LIMITS["bluesky"])


def mastodon_instance_of(handle: str | None) -> str | None:
    """'alice@mastodon.social' or '@alice@mastodon.social' -> 'mastodon.social'."""
    if not handle or "@" not in handle.strip().lstrip("@"):
        return None
    return handle.strip().lstrip("@").rsplit("@", 1)[1].lower()


def mastodon_link(text: str, instance: str | None) -> ShareLink:
    length = post_length("mastodon", text)
    if not instance:
        return ShareLink("mastodon", None, text, length, LIMITS["mastodon"],
                         "Give your Mastodon handle as name@instance to get a link to your own server.")
    host = instance.strip().lower().removeprefix("https://").rstrip("/")
    if not HOST_RE.match(host):
        raise ValidationError(f"bad Mastodon instance '{instance}' (a host name such as mastodon.social)")
    if length > LIMITS["mastodon"]:
        return ShareLink("mastodon", None, text, length, LIMITS["mastodon"],
                         _too_long("mastodon", length, LIMITS["mastodon"]))
    return ShareLink("mastodon", f"https://{host}/share?" + urlencode({"text": text}, quote_via=quote),
                     text, length, LIMITS["mastodon"])


def reddit_link(text: str, title: str, subreddit: str | None = None) -> ShareLink:
    """A Reddit text post: the action's title as the post title, the message as its text."""
    title = (title or "").strip() or text[:REDDIT_TITLE_LIMIT]
    length = post_length("reddit", text)
    if len(title) > REDDIT_TITLE_LIMIT:
        return ShareLink("reddit", None, text, length, LIMITS["reddit"],
                         f"title is {len(title)} characters; Reddit allows {REDDIT_TITLE_LIMIT}.")
    if length > LIMITS["reddit"]:
        return ShareLink("reddit", None, text, length, LIMITS["reddit"],
                         _too_long("reddit", length, LIMITS["reddit"]))
    base = "https://www.reddit.com/submit?"
    match = SUBREDDIT_RE.match((subreddit or "").strip())
    if match:
        base = f"https://www.reddit.com/r/{match.group(1)}/submit?"
    query = urlencode({"title": title, "text": text, "selftext": "true"}, quote_via=quote)
    return ShareLink("reddit", base + query, text, length, LIMITS["reddit"])


def share_links(message: str, hashtags=(), link: str = "", *, title: str = "",
                mastodon_instance: str | None = None, subreddit: str | None = None) -> list[ShareLink]:
    """One compose link per platform for the same post, each within that platform's limit."""
    text = compose_text(message, hashtags, link)
    if not text:
        raise ValidationError("nothing to share: the call to action has no message")
    return [x_link(text), bluesky_link(text), mastodon_link(text, mastodon_instance),
            reddit_link(text, title, subreddit)]


def links_for_action(action, volunteer=None) -> list[ShareLink]:
    """Share links for a call to action, with the wording and Mastodon server of one volunteer."""
    message = action.message_for(volunteer.id if volunteer else None)
    instance = mastodon_instance_of(volunteer.handles.get("mastodon")) if volunteer else None
    channel = (action.channel or "").strip()
    subreddit = channel if SUBREDDIT_RE.match(channel) and channel.lower().startswith(("r/", "/r/")) else None
    return share_links(message, action.hashtags, action.link, title=action.title,
                       mastodon_instance=instance, subreddit=subreddit)
