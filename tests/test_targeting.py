"""Abuse aimed at a protected person ranks above ambient profanity; counter-speech is not queued; measured on HateCheck."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest

from campaigns import safety
from campaigns.model import Campaign, Mention, Tracker
from campaigns.targeting import aimed_at, context_score, read_text
from collectors.enrich import score_abuse

HANDLES = {"cllr_khan": [1], "su_president": [2]}


@pytest.mark.parametrize("text, via", [
    ("@cllr_khan you should be ashamed", {1: "mention"}),
    ("RT @someone: @cllr_khan you are vermin", {1: "mention"}),
    ("look at this https://x.com/cllr_khan/status/123 what a joke", {1: "quote"}),
    ("https://bsky.app/profile/su_president/post/3k2 lol", {2: "quote"}),
    ("RT @cllr_khan: thanks to everyone who came", {}),
    ("nothing to do with them", {}),
    # Handles are compared lower-cased, however the post writes them.
    ("@Cllr_Khan. you should resign", {1: "mention"}),
    ("see X.com/CLLR_KHAN/status/9 and @SU_President", {1: "quote", 2: "mention"}),
    ("@cllr_kha is someone else", {}),
])
def test_which_protected_accounts_a_post_is_aimed_at(text, via):
    assert aimed_at(text, [], text.startswith("RT "), "someone", HANDLES, set()) == via


def test_a_reply_is_aimed_even_without_an_at_and_an_own_post_is_not():
    assert aimed_at("nobody wants you here", [], False, "troll", HANDLES, {1}) == {1: "reply"}
    assert aimed_at("@cllr_khan @su_president thanks all", [], False, "cllr_khan", HANDLES, set()) == {2: "mention"}


@pytest.mark.parametrize("text", [
    "you should kill yourself", "I know where you live", "nobody wants you, step down", "you are scum",
    "I will hurt you", "people like you deserve to die", "you are a pathetic disgrace", "sh1t councillor",
    "you f u c k i n g clown", "You should resign before someone makes you",
    "nobody would miss you if you were gone", "I'll snap your neck", "The world would be better off without you.",
])
def test_abuse_without_swear_words_or_with_hidden_ones_scores_when_aimed(text):
    model = score_abuse([text])[0]
    assert context_score(model, text, aimed=True, our_side=False) >= 0.5
    # Not aimed at a protected person, only the model's own score counts.
    assert context_score(model, text, aimed=False, our_side=False) == pytest.approx(model, abs=1e-4)


@pytest.mark.parametrize("text", [
    "thanks for the update on the budget meeting", "really appreciate you standing up for the library",
    "I'll give that a shot", "we'll hang out after the meeting", "kill some time before the vote",
])
def test_ordinary_replies_gain_nothing_from_the_rules(text):
    model = score_abuse([text])[0]
    assert read_text(text).rules == {}
    assert context_score(model, text, aimed=True, our_side=False) == pytest.approx(model, abs=1e-4)


@pytest.mark.parametrize("text", [
    'Someone sent our president "you are a useless fat bitch". Report it, do not share it #LoveSUs',
    'If you see a comment like "kill yourself" under an officer\'s post, report it',
    "Calling our officers scum is not okay and it has to stop",
])
def test_counter_speech_is_not_queued(text):
    model = score_abuse([text])[0]
    assert context_score(model, text, aimed=True, our_side=True) < 0.2
    assert context_score(model, text, aimed=False, our_side=True) < 0.2


@pytest.mark.parametrize("text", [
    'people keep saying "resign", and you are a pathetic idiot',
    'you look like "a clown" and you are a disgrace',
])
def test_quoting_is_no_cover_for_abuse(text):
    assert not read_text(text).counter_speech
    assert context_score(score_abuse([text])[0], text, aimed=True, our_side=False) >= 0.5


def test_a_threat_after_other_words_is_still_a_threat():
    assert read_text("I will do it, I will kill you").rules.get("threat") == 0.9
    assert "threat" not in read_text("I would never hurt anyone").rules


def test_abuse_aimed_at_a_protected_person_ranks_above_ambient_profanity(store):
    campaign = store.save_campaign(Campaign(
        slug="council", name="Council", starts_at="2026-03-01",
        trackers=[Tracker("hashtag", "RiversideCouncil", "monitor"), Tracker("account", "cllr_khan", "protect")]))
    texts = {"1": "@cllr_khan resign, nobody wants you", "2": "what a fucking brilliant match #RiversideCouncil",
             "3": "@cllr_khan I know where you live", "4": "#RiversideCouncil holy shit that meeting ran long"}
    scores = dict(zip(texts, score_abuse(list(texts.values())), strict=True))
    store.upsert_mentions([Mention(platform="x", native_id=n, created_at=f"2026-03-02T10:0{n}:00Z", text=t,
                                   author_key=f"u{n}", sentiment=0.0, abuse=scores[n]) for n, t in texts.items()])
    # The profanity model alone puts the swearing first.
    assert sorted(texts, key=lambda n: -scores[n])[:2] == ["2", "4"] or scores["2"] > scores["3"]
    queue = store.safety.aimed_mentions(campaign.id, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z",
                                        min_score=safety.threshold_of(campaign))
    assert set(queue["uid"]) == {"x:1", "x:3"}
    counted = dict(store.conn.execute("SELECT mention_uid, abuse FROM mention_matches").fetchall())
    assert min(counted["x:1"], counted["x:3"]) >= 0.5 > scores["1"]
    assert (counted["x:2"], counted["x:4"]) == (pytest.approx(scores["2"], abs=1e-4), pytest.approx(scores["4"],
                                                                                                      abs=1e-4))


def test_a_reply_to_an_own_post_is_matched_and_aimed_when_no_tracker_met_it(store):
    campaign = store.save_campaign(Campaign(slug="council", name="Council", starts_at="2026-03-01",
                                            trackers=[Tracker("account", "cllr_khan", "protect")]))
    store.upsert_mentions([
        Mention(platform="bluesky", native_id="own", created_at="2026-03-02T09:00:00Z", text="Surgery at 10 today",
                author_key="cllr_khan", author_handle="cllr_khan", abuse=0.0, sentiment=0.0),
        Mention(platform="bluesky", native_id="reply", created_at="2026-03-02T09:05:00Z", reply_to_uid="bluesky:own",
                text="nobody wants you, quit", author_key="troll", abuse=0.1, sentiment=-0.3),
    ])
    rows = store.conn.execute("SELECT mention_uid, via FROM protected_mentions ORDER BY mention_uid").fetchall()
    assert rows == [("bluesky:own", "own"), ("bluesky:reply", "reply")]
    queue = store.safety.aimed_mentions(campaign.id, "2026-03-01T00:00:00Z", "2026-03-03T00:00:00Z")
    assert queue["uid"].tolist() == ["bluesky:reply"] and queue.iloc[0]["score"] >= 0.5


# -- measured on HateCheck, side by side ------------------------------------------------------

def _figures(rows, scores, threshold):
    hateful = [r["label_gold"] == "hateful" for r in rows]
    flagged = [s >= threshold for s in scores]
    agreed = sum(f and h for f, h in zip(flagged, hateful, strict=True))
    by_function = defaultdict(list)
    for row, f, h in zip(rows, flagged, hateful, strict=True):
        by_function[row["functionality"]].append(f == h)
    return {"precision": agreed / sum(flagged), "recall": agreed / sum(hateful),
            "functions": {k: sum(v) / len(v) for k, v in by_function.items()}}


@pytest.mark.realworld
def test_targeted_scoring_against_the_plain_model_on_hatecheck(realworld):
    """Every HateCheck case read as a reply to a protected account. Run with -s for the table."""
    with (realworld / "abuse" / "hatecheck_test_suite_cases.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    texts = [r["test_case"] for r in rows]
    model = score_abuse(texts)
    targeted = [context_score(m, t, aimed=True, our_side=False) for m, t in zip(model, texts, strict=True)]
    plain_05, plain_02 = _figures(rows, model, 0.5), _figures(rows, model, 0.2)
    ours = _figures(rows, targeted, 0.2)
    print("\n| on HateCheck (3,728 cases) | model at 0.5 | model at 0.2 | targeted at 0.2 |\n|---|---|---|---|")
    for name in ("precision", "recall"):
        print(f"| {name} | {plain_05[name]:.2f} | {plain_02[name]:.2f} | {ours[name]:.2f} |")
    for function in sorted(ours["functions"]):
        print(f"| {function} | {plain_05['functions'][function]:.2f} | {plain_02['functions'][function]:.2f} "
              f"| {ours['functions'][function]:.2f} |")
    counter = ("counter_quote_nh", "counter_ref_nh")
    threats = ("threat_dir_h", "threat_norm_h")
    spelled = ("spell_char_del_h", "spell_char_swap_h", "spell_leet_h", "spell_space_add_h", "spell_space_del_h")
    for group in (counter, threats, spelled):
        assert min(ours["functions"][f] for f in group) > max(plain_02["functions"][f] for f in group)
    assert min(ours["functions"][f] for f in counter) >= 0.8
    assert ours["precision"] > plain_02["precision"] and ours["recall"] > plain_02["recall"]
    # Friendly swearing and reclaimed words are the model's own failure, and stay so: said as
    # noted in the README.
    assert ours["functions"]["profanity_nh"] == plain_02["functions"]["profanity_nh"]


@pytest.mark.realworld
def test_targeted_scoring_adds_few_flags_on_real_tweets(realworld):
    """VADER's 4,200 real tweets read as replies to a protected account: how many more are flagged."""
    lines = (realworld / "sentiment" / "tweets_GroundTruth.txt").read_bytes().decode("utf-8", "replace").splitlines()
    texts = [line.split("\t")[2] for line in lines if line.count("\t") >= 2]
    model = score_abuse(texts)
    targeted = [context_score(m, t, aimed=True, our_side=False) for m, t in zip(model, texts, strict=True)]
    plain_flags = sum(m >= 0.2 for m in model)
    added = sum(t >= 0.2 > m for m, t in zip(model, targeted, strict=True))
    print(f"\nreal tweets flagged at 0.2: model {plain_flags} of {len(texts)}, targeted adds {added}")
    assert added <= 0.005 * len(texts)
