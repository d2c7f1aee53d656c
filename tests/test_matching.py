"""Tracker matching: hashtag case, word boundaries, phrases, accounts, exclusions, platforms, sides."""

import json
import re

import pytest

from campaigns import matching
from campaigns.matching import Matcher, accounts_in, hashtags_in
from campaigns.model import Campaign, Mention, Tracker, classify_term


def campaign(campaign_id, slug, platforms=(), exclude=(), **sides):
    trackers = []
    for side, terms in sides.items():
        for number, term in enumerate(terms):
            trackers.append(Tracker(*classify_term(term), side=side, id=campaign_id * 100 + len(trackers) + number))
    return Campaign(slug=slug, name=slug, starts_at="2026-03-01", id=campaign_id, trackers=trackers,
                    platforms=list(platforms), exclude=list(exclude))


def post(text, platform="x", **fields):
    return Mention(platform=platform, native_id="1", created_at="2026-03-02T10:00:00Z", text=text, **fields)


ANTISOCIAL = campaign(1, "antisocial", exclude=["giveaway", "#spam"],
                      ours=["#AntiSocialMedia", "online abuse"], opposing=["#FreeSpeechSU"],
                      monitor=["yik yak"], protect=["@nusuk"])
matcher = Matcher([ANTISOCIAL, campaign(2, "libraries", platforms=["mastodon", "x"], ours=["#SaveOurLibraries", "abuse"])])


def sides(text, **fields):
    found, _ = matcher.match(post(text, **fields))
    return {m.campaign_id: m.side for m in found}


@pytest.mark.parametrize("text", ["Stand up #antisocialmedia", "#ANTISOCIALMEDIA now", "so #AntiSocialMedia."])
def test_hashtags_match_whatever_their_case(text):
    assert sides(text) == {1: "ours"}


def test_a_hashtag_is_a_whole_tag():
    assert sides("#AntiSocialMediaRocks") == {}
    assert sides("no hashtag: AntiSocialMedia") == {}


@pytest.mark.parametrize("text,expected", [
    ("Online abuse has to stop", {1: "ours", 2: "ours"}),
    ("ONLINE-ABUSE again", {1: "ours", 2: "ours"}),
    ("the online abuser was banned", {}),
    ("onlineabuse", {}),
    ("abusers everywhere", {}),
    ("on yik yak today", {1: "monitor"}),
    ("yik, yak", {1: "monitor"}),
    ("yikyak", {}),
])
def test_keywords_and_phrases_match_whole_words_in_order(text, expected):
    assert sides(text) == expected


def test_accounts_match_mentions_and_authors():
    assert sides("hey @NUSUK what now") == {1: "protect"}
    assert sides("a reply", mentioned=["nusuk"]) == {1: "protect"}
    assert sides("my own post", author_handle="NUSUK") == {1: "protect"}
    assert sides("email nusuk@example.org") == {}


def test_exclusions_drop_the_mention_from_that_campaign_only():
    assert sides("online abuse giveaway!") == {2: "ours"}
    assert sides("online abuse #spam") == {2: "ours"}
    assert sides("online abuse giveaways") == {1: "ours", 2: "ours"}


def test_platform_lists_limit_where_a_campaign_listens():
    assert sides("#SaveOurLibraries", platform="reddit") == {}
    assert sides("#SaveOurLibraries", platform="mastodon") == {2: "ours"}


def test_one_mention_can_belong_to_two_campaigns():
    found, tags = matcher.match(post("#AntiSocialMedia and #SaveOurLibraries"))
    assert {m.campaign_id for m in found} == {1, 2}
    assert tags == ["antisocialmedia", "saveourlibraries"]


def test_opposing_wins_when_one_post_meets_both_sides():
    assert sides("#AntiSocialMedia vs #FreeSpeechSU") == {1: "opposing"}
    found, _ = matcher.match(post("#AntiSocialMedia vs #FreeSpeechSU"))
    assert len(found[0].tracker_ids) == 2


def test_a_repost_matches_through_the_text_it_carries():
    assert sides("RT @x: Proud of our officers…", context_text="Proud of our officers #AntiSocialMedia") == {1: "ours"}


def test_platform_hashtags_count_even_when_the_text_is_cut():
    assert sides("RT @x: long text cut befo…", hashtags=["AntiSocialMedia"]) == {1: "ours"}


def test_extractors():
    assert hashtags_in("#One #two #ONE a#b &#39; #3rd") == ["one", "two", "3rd"]
    assert accounts_in("@Alice, cc @bob. mail x@y.org") == ["alice", "bob"]


def _phrase_sides_by_every_word(text):
    """The campaigns whose phrases a text holds, by reading every word of it: what the first-word
    search in Matcher.match must agree with."""
    from campaigns.matching import words

    tokens = words(text)
    found = {}
    for phrase, entries in matcher.phrases.items():
        if any(tuple(tokens[i:i + len(phrase)]) == phrase for i in range(len(tokens))):
            for campaign_id, _, side in entries:
                found.setdefault(campaign_id, side)
    return found


@pytest.mark.parametrize("text", [
    "ONLINE abuse", "#online abuse", "@online abuse", "offline abuse", "online_abuse", "onlineé abuse",
    "éonline abuse", "Online\nabuse", "online  abuse!", "yik yak yik", "yik\u00a0yak", "ÖNLINE abuse",
    "online abusé", "the onlinе abuse", "abuse", "x online", "online", "yik yakking", "3online abuse",
    "online\u0301 abuse", "İonline abuse", "ﬁonline abuse",
])
def test_a_phrase_is_found_where_reading_every_word_finds_it(text):
    # The words of a text are read only where one of the phrases' first words stands between
    # non-words; these put that word against letters, digits, marks, case folds and ligatures.
    found, _ = matcher.match(post(text))
    expected = _phrase_sides_by_every_word(text)
    assert {m.campaign_id for m in found if m.side != "protect"} == set(expected)


def test_a_repost_finds_a_phrase_in_the_text_it_carries_seen_again():
    for _ in range(2):  # the second reading comes from the matcher's cache of readings
        found, _ = matcher.match(post("RT @someone: look", context_text="Online abuse is rising"))
        assert {m.campaign_id: m.side for m in found} == {1: "ours", 2: "ours"}


# The rules as first written, looking behind before the mark: what the patterns that open with
# their mark (campaigns.matching) must find, match for match.
LOOK_BEHIND_FIRST = {
    "hashtags": (re.compile(r"(?<![\w&/])#(\w+)(?![\w…])"), matching.HASHTAG_RE),
    "accounts": (re.compile(r"(?<![\w.])@([\w.]+)"), matching.ACCOUNT_RE),
}
MARK_EDGES = [
    "", "#", "@", "#a", "@a", "a#b", "a@b", "&#39;", "/#x", "./@x", ".@x", "_#x", "_@x", "é#x", "é@x", "1#x",
    "##x", "@@x", "#@x", "@#x", " #x…", "#x…y", "#x_y #1 #1a", "@a.b. @c..", "x@y.org", "\n#x\t@y", "İ#x", "ﬁ#x",
    "#x#y", "@x@y", "(#x) [@y]", "#\u0301x", "\u0301#x", "日本#タグ #タグ", "RT @a: #Br…", "&amp;#x /@y",
]


@pytest.mark.parametrize("rule", sorted(LOOK_BEHIND_FIRST))
def test_the_marks_are_found_where_looking_behind_first_finds_them(rule):
    plain, fast = LOOK_BEHIND_FIRST[rule]
    texts = MARK_EDGES + [a + b + c for a in MARK_EDGES[:12] for b in ("", " ") for c in MARK_EDGES[:12]]
    assert [(t, fast.findall(t)) for t in texts] == [(t, plain.findall(t)) for t in texts]


@pytest.mark.realworld
def test_the_marks_are_found_where_looking_behind_first_finds_them_in_real_tweets(realworld):
    folder = realworld / "twarc-csv"
    texts = [tweet.get("text", "") for name in ("brexit.jsonl", "kpop.jsonl")
             for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()
             for tweet in json.loads(line).get("data", [])]
    texts += (realworld / "sentiment" / "tweets_GroundTruth.txt").read_text(encoding="utf-8", errors="replace").splitlines()
    assert sum("#" in t for t in texts) > 500 and sum("@" in t for t in texts) > 500
    for plain, fast in LOOK_BEHIND_FIRST.values():
        assert [fast.findall(t) for t in texts] == [plain.findall(t) for t in texts]
