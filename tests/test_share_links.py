"""Share links: URL-encoded compose links with the message and hashtags intact, within each platform's limit."""

from urllib.parse import parse_qs, urlsplit

import pytest

from campaigns import share_links
from campaigns.errors import ValidationError
from campaigns.planner import Action, Volunteer
from campaigns.share_links import LIMITS, compose_text, post_length

MESSAGE = "Abuse isn't free speech & our officers deserve better: 100% respect? Yes! 💜"


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query, keep_blank_values=True).items()}


def test_each_platform_gets_an_encoded_link_with_the_message_and_hashtags_intact():
    links = {link.platform: link for link in share_links.share_links(
        MESSAGE, ["LoveSUs", "#AntiSocialMedia"], "https://example.org/forum?id=1&x=2", title="Celebration day",
        mastodon_instance="mastodon.social", subreddit="r/UniUK")}
    expected = MESSAGE + " #LoveSUs #AntiSocialMedia https://example.org/forum?id=1&x=2"
    assert links["x"].url.startswith("https://x.com/intent/post?text=")
    assert query_of(links["x"].url) == {"text": expected}
    assert links["bluesky"].url.startswith("https://bsky.app/intent/compose?")
    assert query_of(links["bluesky"].url) == {"text": expected}
    assert links["mastodon"].url.startswith("https://mastodon.social/share?")
    assert query_of(links["mastodon"].url) == {"text": expected}
    assert links["reddit"].url.startswith("https://www.reddit.com/r/UniUK/submit?")
    assert query_of(links["reddit"].url) == {"title": "Celebration day", "text": expected, "selftext": "true"}
    for link in links.values():
        # Nothing unencoded that would break the query: spaces, '#', '&' and '?' inside the text.
        query = urlsplit(link.url).query
        assert " " not in link.url and "#" not in link.url and query.count("&") == len(query_of(link.url)) - 1


def test_a_hashtag_already_in_the_message_is_not_repeated():
    assert compose_text("Stand with our officers #lovesus", ["LoveSUs", "AntiSocialMedia"]) == \
        "Stand with our officers #lovesus #AntiSocialMedia"


def test_lengths_follow_each_platforms_counting():
    link = "https://example.org/" + "a" * 200
    assert post_length("x", "hello " + link) == 6 + 23
    assert post_length("mastodon", "hello " + link) == 6 + 23
    assert post_length("bluesky", "hello " + link) == 6 + len(link)
    assert post_length("x", "日本") == 4 and post_length("x", "💜") == 2


@pytest.mark.parametrize("platform", ["x", "bluesky", "mastodon"])
def test_never_longer_than_the_platform_allows(platform):
    limit = LIMITS[platform]
    fits = "a" * (limit - len(" #LoveSUs"))
    over = fits + "b"
    ok = {link.platform: link for link in share_links.share_links(fits, ["LoveSUs"], mastodon_instance="mas.to")}
    assert ok[platform].url and ok[platform].length == limit
    too_long = {link.platform: link for link in share_links.share_links(over, ["LoveSUs"],
                                                                        mastodon_instance="mas.to")}
    assert too_long[platform].url is None
    assert f"allows {limit}" in too_long[platform].note


def test_x_counts_emoji_double_so_a_long_emoji_post_gets_no_link():
    links = {link.platform: link for link in share_links.share_links("💜" * 141)}
    assert links["x"].url is None and links["bluesky"].url is not None


def test_mastodon_needs_the_volunteers_own_server():
    links = {link.platform: link for link in share_links.share_links("hello")}
    assert links["mastodon"].url is None and "name@instance" in links["mastodon"].note
    with pytest.raises(ValidationError, match="bad Mastodon instance"):
        share_links.share_links("hello", mastodon_instance="not a host")


def test_reddit_title_limit():
    links = {link.platform: link for link in share_links.share_links("hello", title="t" * 301)}
    assert links["reddit"].url is None and "300" in links["reddit"].note


def test_links_for_an_action_use_the_volunteers_wording_and_instance():
    action = Action(1, "post", "Flood the feed", "2026-03-10T12:00Z", "2026-03-10T18:00Z", message="First wording",
                    variants=["Second wording"], hashtags=["LoveSUs"], channel="r/UniUK")
    volunteer = Volunteer("Priya", consent_at="2026-03-01", handles={"mastodon": "priya@mas.to"}, id=1)
    links = {link.platform: link for link in share_links.links_for_action(action, volunteer)}
    assert query_of(links["mastodon"].url)["text"] == "Second wording #LoveSUs"
    assert links["mastodon"].url.startswith("https://mas.to/share?")
    assert "/r/UniUK/submit" in links["reddit"].url
    with pytest.raises(ValidationError, match="no message"):
        share_links.share_links("")
