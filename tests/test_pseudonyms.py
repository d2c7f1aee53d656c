"""Pseudonyms: what each stored field becomes, who stays readable, one row per post, the key rule, refresh and cache."""

from __future__ import annotations

import dataclasses
import json

import pytest
from click.testing import CliRunner
from fake_api import FakeAPI, fixture_json

from campaigns import clock, planner, privacy
from campaigns.model import Campaign, Mention, Tracker
from campaigns.settings import PseudonymKeyMissing, Settings
from collectors import bluesky, mastodon
from collectors.enrich import enrich
from collectors.importers import native_id_of
from groundswell.cli import cli

KEY = "a test key, not a real one"
DID = "did:plc:author0002aaaaaaaaaaaa"


@pytest.fixture
def on(db_path, monkeypatch) -> Settings:
    """Settings with pseudonyms on and a key in the environment."""
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYM_KEY", KEY)
    monkeypatch.setenv("GROUNDSWELL_DETECT_LANGUAGE", "0")
    return Settings.from_env(db_path)


def post(platform="x", native_id="1", text="hello", author="alice", url=None, **more) -> Mention:
    return Mention(platform=platform, native_id=native_id, created_at="2026-03-01T10:00:00Z", text=text,
                   author_key=author.lower() if author else None, author_handle=author, url=url,
                   sentiment=0.0, abuse=0.0, **more)


def stored(store, uid):
    return store.mention(uid)


# -- each field --------------------------------------------------------------------------------

def test_a_real_handle_that_starts_with_anon_is_pseudonymised_and_nothing_is_pseudonymised_twice(on):
    mentions = [post(author="anon-0123456789ab"), post(native_id="2", author="Alice")]
    enrich(mentions, on)
    assert mentions[0].author_key == privacy.pseudonym("anon-0123456789ab", KEY.encode()) != "anon-0123456789ab"
    once = mentions[1].author_key
    enrich(mentions, on)  # the flag, not the look of the value, says it is done
    assert mentions[1].author_key == once == privacy.pseudonym("alice", KEY.encode())


def test_x_and_reddit_links_keep_only_the_post_and_others_are_sealed_and_open_with_the_key(on):
    key = KEY.encode()
    mentions = [
        post("x", "1441049848146296832", url="https://x.com/WarmongerHodges/status/1441049848146296832"),
        post("reddit", "t3_4s9dfx", url="https://www.reddit.com/r/u_someone/comments/4s9dfx/my_title/"),
        post("reddit", "t1_dgauydy", url="https://www.reddit.com/r/kakapo/comments/65ytnb/_/dgauydy/"),
        post("mastodon", "mastodon.social/users/ana/statuses/1", url="https://mastodon.social/@ana/1"),
        post("bluesky", f"{DID}/app.bsky.feed.post/3lc00260xyz2k",
             url="https://bsky.app/profile/person2.bsky.social/post/3lc00260xyz2k"),
    ]
    enrich(mentions, on)
    assert [m.url for m in mentions[:3]] == [
        "https://x.com/i/status/1441049848146296832", "https://www.reddit.com/comments/4s9dfx/",
        "https://www.reddit.com/comments/65ytnb/_/dgauydy/"]
    for mention, written in zip(mentions[3:], ("https://mastodon.social/@ana/1",
                                               "https://bsky.app/profile/person2.bsky.social/post/3lc00260xyz2k"),
                                strict=True):
        assert mention.url.startswith(privacy.SEALED_LINK) and "ana" not in mention.url
        assert privacy.open_link(mention.url, key) == written
        assert privacy.open_link(mention.url, b"another key") is None
        assert privacy.open_link(mention.url, None) is None
    assert privacy.open_links([mentions[0].url, mentions[3].url, None], on) == [
        mentions[0].url, "https://mastodon.social/@ana/1", None]


def test_ids_that_name_a_person_are_sealed_in_every_uid_and_open_again_for_a_refresh(on):
    key = KEY.encode()
    reposted = post("bluesky", f"{DID}/app.bsky.feed.post/abc/repost/did:plc:reposter",
                    reposted_uid=f"bluesky:{DID}/app.bsky.feed.post/abc", is_repost=True)
    reply = post("mastodon", "localhost:3000/ap/users/117020566092212359/statuses/2",
                 reply_to_uid="mastodon:mastodon.social/users/ana/statuses/1")
    enrich([reposted, reply], on)
    for value in (reposted.uid, reposted.reposted_uid, reply.uid, reply.reply_to_uid):
        assert "did:plc" not in value and "117020566092212359" not in value and "/ana/" not in value
    assert reposted.native_id.endswith("/app.bsky.feed.post/abc/repost/" + reposted.native_id.split("/")[-1])
    assert reply.reply_to_uid.startswith("mastodon:mastodon.social/users/sealed-")
    assert reply.native_id.endswith("/statuses/2")  # the refresh asks the home server for this id
    assert privacy.platform_ids([reposted.native_id], on) == [f"{DID}/app.bsky.feed.post/abc/repost/did:plc:reposter"]
    assert privacy.opened_native_id(reply.native_id, key) == "localhost:3000/ap/users/117020566092212359/statuses/2"


def test_names_in_text_are_masked_but_hashtags_mail_and_tracked_names_stay(on, store):
    store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                 trackers=[Tracker("hashtag", "brexit", "ours"), Tracker("account", "CityHall", "protect")]))
    text = "RT @Bob_1: thanks @carol.bsky.social and @dave@mas.to, cc @CityHall #bob_1 mail bob@example.org\n- alice"
    mention = post(text=text + " #brexit")
    enrich([mention], on)
    store.upsert_mentions([mention])
    row = stored(store, "x:1")
    alias = {name: privacy.pseudonym(name, KEY.encode()) for name in ("bob_1", "carol.bsky.social", "dave@mas.to", "alice")}
    assert row["text"] == (f"RT @{alias['bob_1']}: thanks @{alias['carol.bsky.social']} and @{alias['dave@mas.to']}, "
                           f"cc @CityHall #bob_1 mail bob@example.org\n- {alias['alice']} #brexit")


def test_reddit_u_names_and_a_user_s_own_subreddit_are_masked(on):
    mention = post("reddit", "t3_x", text="ask u/someone_else or /u/Third please", author="poster",
                   audience_key="r/u_poster", audience_size=10)
    enrich([mention], on)
    key = KEY.encode()
    assert mention.text == (f"ask u/{privacy.pseudonym('someone_else', key)} or /u/{privacy.pseudonym('third', key)}"
                            " please")
    assert mention.audience_key == f"r/u_{privacy.pseudonym('poster', key)}"


def test_matching_reads_the_post_as_written(on, store):
    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01", trackers=[
        Tracker("account", "bob", "ours"), Tracker("url", "bsky.app/profile/person2", "monitor")]))
    mentions = [post(text="well said @bob"),
                post("bluesky", f"{DID}/app.bsky.feed.post/3lc", text="nothing tracked here",
                     url="https://bsky.app/profile/person2.bsky.social/post/3lc")]
    enrich(mentions, on)
    result = store.upsert_mentions(mentions)
    assert result.matched == 2
    sides = dict(store.db.conn.execute("SELECT platform, side FROM mention_matches WHERE campaign_id = ?",
                                       [campaign.id]).fetchall())
    assert sides == {"x": "ours", "bluesky": "monitor"}
    assert "@bob" not in stored(store, "x:1")["text"]


# -- who stays readable, and one row per post ----------------------------------------------------

def test_protected_accounts_and_consenting_volunteers_stay_readable_and_others_do_not(on, store):
    store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                 trackers=[Tracker("account", "@CityHall", "protect"), Tracker("account", "bob", "ours")]))
    store.plan.save_volunteer(planner.Volunteer(display_name="Grace", consent_at="2026-01-01T00:00:00Z",
                                                handles={"mastodon": "grace@mas.to"}))
    mentions = [post(author="CityHall", url="https://x.com/CityHall/status/1", text="our statement"),
                post(native_id="2", author="bob", url="https://x.com/bob/status/2", text="hi @CityHall"),
                Mention(platform="mastodon", native_id="mas.to/users/grace/statuses/3", created_at="2026-03-01T10:00:00Z",
                        text="done", author_key="grace@mas.to", author_handle="grace", url="https://mas.to/@grace/3"),
                Mention(platform="mastodon", native_id="mas.to/users/hal/statuses/4", created_at="2026-03-01T10:00:00Z",
                        text="done", author_key="hal@mas.to", author_handle="hal", url="https://mas.to/@hal/4")]
    enrich(mentions, on)
    store.upsert_mentions(mentions)
    rows = {r["native_id"].split("/")[-1]: r for r in (store.mention(m.uid) for m in mentions)}
    assert (rows["1"]["author_key"], rows["1"]["url"]) == ("cityhall", "https://x.com/CityHall/status/1")
    assert rows["2"]["author_key"].startswith("anon-") and rows["2"]["text"] == "hi @CityHall"  # tracked side ours: not by name
    assert (rows["3"]["author_key"], rows["3"]["url"]) == ("grace@mas.to", "https://mas.to/@grace/3")
    assert rows["4"]["author_key"] == privacy.pseudonym("hal@mas.to", KEY.encode())  # not tracked: not readable
    assert "grace" not in rows["3"]["uid"] and "hal" not in rows["4"]["uid"]


def test_one_post_is_one_row_by_any_route_and_whether_or_not_its_author_is_tracked(on, store):
    view = fixture_json("bluesky", "search_page1.json")["posts"][0]
    from_api = bluesky.map_item(view)
    # The same post from a plain CSV: its id written as the uri.
    from_csv = Mention(platform="bluesky", native_id=native_id_of("bluesky", view["uri"]),
                       created_at="2026-11-20T11:20:00Z", text=view["record"]["text"], author_key="person2.bsky.social")
    enrich([from_api], on)
    store.upsert_mentions([from_api])
    store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                 trackers=[Tracker("account", "person2.bsky.social", "protect")]))
    enrich([from_csv], on)
    result = store.upsert_mentions([from_csv])
    assert (result.new, result.updated, store.count("mentions")) == (0, 1, 1)
    assert store.mention(from_api.uid)["author_key"] == "person2.bsky.social"  # now tracked by name


def test_a_volunteer_s_post_completes_their_assignment_with_pseudonyms_on(on, store):
    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                            trackers=[Tracker("hashtag", "ReadIn", "ours")]))
    action = store.plan.save_action(planner.Action(campaign.id, "post", "Post", "2026-03-01T09:00", "2026-03-01T12:00",
                                                   message="At the read-in", hashtags=["ReadIn"], status="scheduled"))
    grace = store.plan.save_volunteer(planner.Volunteer(display_name="Grace", consent_at="2026-01-01T00:00:00Z",
                                                        handles={"x": "GraceH"}))
    assignment = store.plan.assign(grace.id, action_id=action.id)
    mention = post(author="GraceH", text="at the #ReadIn")
    enrich([mention], on)
    store.upsert_mentions([mention])
    store.plan.complete_from_mentions(campaign.id, key_of=privacy.author_key_of(on))
    assert store.plan.get_assignment(assignment.id).evidence_uid == "x:1"


# -- the key -----------------------------------------------------------------------------------

def test_no_key_is_an_error_never_a_new_key(db_path, tmp_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_PSEUDONYMIZE", "1")
    monkeypatch.delenv("GROUNDSWELL_PSEUDONYM_KEY", raising=False)
    key_file = tmp_path / "pseudonym.key"
    with pytest.raises(PseudonymKeyMissing, match="GROUNDSWELL_PSEUDONYM_KEY"):
        enrich([post()], Settings.from_env(db_path))
    assert not key_file.exists()
    runner = CliRunner()
    refused = runner.invoke(cli, ["campaign", "list"])
    assert refused.exit_code == 1 and not db_path.exists()
    assert refused.output.count("\n") == 1 and str(key_file) in refused.output
    assert "GROUNDSWELL_PSEUDONYM_KEY" in refused.output and "Traceback" not in refused.output
    made = runner.invoke(cli, ["init", "--campaigns-file", str(tmp_path / "campaigns.yaml")])
    assert made.exit_code == 0 and f"made the pseudonym key {key_file}" in made.output
    assert key_file.stat().st_mode & 0o777 == 0o600
    first = key_file.read_text()
    again = runner.invoke(cli, ["init", "--campaigns-file", str(tmp_path / "campaigns.yaml")])
    assert "made the pseudonym key" not in again.output and key_file.read_text() == first
    assert runner.invoke(cli, ["campaign", "list"]).exit_code == 0


def test_with_pseudonyms_off_nothing_changes_and_no_key_is_needed(settings):
    mention = post(text="hi @bob", url="https://x.com/alice/status/1")
    enrich([mention], settings)
    assert (mention.author_key, mention.text, mention.url, mention.pseudonymised) == (
        "alice", "hi @bob", "https://x.com/alice/status/1", False)


# -- the profile cache and the refresh ---------------------------------------------------------

def bluesky_api(posts):
    api = FakeAPI()
    api.route("POST", "/xrpc/com.atproto.server.createSession", (200, {}, fixture_json("bluesky", "create_session.json")))
    api.route("GET", "/xrpc/app.bsky.feed.searchPosts", (200, {}, {"posts": posts}))
    api.route("GET", "/xrpc/app.bsky.feed.getPosts", lambda request: (200, {}, {"posts": [
        {**p, "likeCount": 5} for p in posts if p["uri"] in request["query_all"]["uris"]]}))
    api.route("GET", "/xrpc/app.bsky.actor.getProfiles", lambda request: (200, {}, {"profiles": [
        p for p in fixture_json("bluesky", "profiles.json")["profiles"] if p["did"] in request["query_all"]["actors"]]}))
    return api


def test_the_profile_cache_names_no_one_and_a_refresh_still_finds_sealed_posts(on, store):
    from collectors.refresh import refresh_recent
    from collectors.runner import run_source

    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2026-01-01",
                                            trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    posts = fixture_json("bluesky", "search_page1.json")["posts"][:3]
    on.bluesky_handle, on.bluesky_app_password = "organiser.bsky.social", "app-password-here"
    with clock.pinned("2026-11-20T12:00:00Z"), bluesky_api(posts) as api:
        on.bluesky_service = api.url
        assert run_source(store, on, "bluesky", campaign, collector=bluesky.BlueskyCollector(on, store)).new == 3
        lines = list(refresh_recent(store, on))
        asked = [u for r in api.hits("/xrpc/app.bsky.feed.getPosts") for u in r["query_all"]["uris"]]
        cached = store.cached_followers("bluesky", [posts[0]["author"]["did"]], keys=privacy.profile_keys(on))
    assert lines == ["refresh bluesky: ok, 3 of 3 recent post(s) updated"]
    assert sorted(asked) == sorted(p["uri"] for p in posts)
    assert store.count("mentions") == 3
    rows = store.db.conn.execute("SELECT author_id, handle, followers FROM author_profiles").fetchall()
    assert len(rows) == 3 and all("did:" not in a and h.startswith("anon-") for a, h, _ in rows)
    assert sorted(f for _, _, f in rows) == sorted(
        p["followersCount"] for p in fixture_json("bluesky", "profiles.json")["profiles"][:3]
        if p["did"] in {q["author"]["did"] for q in posts})
    likes = [r[0] for r in store.db.conn.execute("SELECT likes FROM mentions")]
    assert likes == [5, 5, 5]
    assert list(cached) == [posts[0]["author"]["did"]]  # found by the did, stored sealed
    forgotten = store.forget_author(privacy.pseudonym(posts[0]["author"]["handle"], KEY.encode()))
    assert forgotten.profiles == 1


def test_a_mastodon_refresh_reads_the_home_server_s_id_from_a_sealed_uri(on, store):
    from collectors.refresh import refresh_recent
    from collectors.runner import run_source

    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2020-01-01",
                                            trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    api = FakeAPI()
    host = api.url.removeprefix("http://")
    status = {**fixture_json("mastodon", "tag_page3.json")[0], "id": "114000000000000001", "reblog": None,
              "uri": f"http://{host}/users/ana/statuses/114000000000000001", "favourites_count": 1,
              "created_at": "2026-11-20T11:00:00.000Z"}
    api.route("GET", "/api/v1/timelines/tag/climatestrike", (200, {}, [status]))
    api.route("GET", f"/api/v1/statuses/{status['id']}", (200, {}, {**status, "favourites_count": 9}))
    on.mastodon_instances = [api.url]
    with clock.pinned("2026-11-20T12:00:00Z"), api:
        run_source(store, on, "mastodon", campaign, collector=mastodon.MastodonCollector(on))
        lines = list(refresh_recent(store, on))
    assert lines == ["refresh mastodon: ok, 1 of 1 recent post(s) updated"]
    (uid, likes), = store.db.conn.execute("SELECT uid, likes FROM mentions").fetchall()
    assert likes == 9 and "/ana/" not in uid


# -- records that could not be read ------------------------------------------------------------

def bad_status(name: str, host: str) -> dict:
    status = {**fixture_json("mastodon", "tag_page3.json")[0], "id": "114000000000000009", "reblog": None,
              "uri": f"http://{host}/users/{name}/statuses/114000000000000009", "url": f"http://{host}/@{name}/9",
              "created_at": "not a date"}
    status["account"] = {**status["account"], "acct": name, "username": name, "url": f"http://{host}/@{name}"}
    return status


@pytest.mark.parametrize("pseudonyms", [True, False])
def test_a_record_that_cannot_be_read_is_kept_without_naming_its_author(pseudonyms, on, store, tmp_path):
    from mastodon_server import mastodon_api

    from collectors.importers import import_file
    from collectors.runner import run_source

    chosen = on if pseudonyms else dataclasses.replace(on, pseudonymize=False)
    campaign = store.save_campaign(Campaign(slug="c", name="C", starts_at="2020-01-01",
                                            trackers=[Tracker("hashtag", "ClimateStrike", "ours")]))
    good = fixture_json("mastodon", "tag_page3.json")[:2]
    lines = tmp_path / "statuses.jsonl"
    lines.write_text("\n".join(json.dumps(s) for s in [*good, bad_status("zedekiah_q", "mas.to")]) + "\n")
    import_file(store, lines, "mastodon", settings=chosen)
    api, _ = mastodon_api([*good, bad_status("ysolde_q", "127.0.0.1")])
    with api:
        chosen.mastodon_instances = [api.url]
        run = run_source(store, chosen, "mastodon", campaign, collector=mastodon.MastodonCollector(chosen))
    assert run.quarantined == 1 and store.count("quarantine") == 2
    kept = json.dumps(store.db.conn.execute("SELECT * FROM quarantine").fetchall()) + json.dumps(
        store.db.conn.execute("SELECT error FROM collection_runs").fetchall())
    assert ("zedekiah_q" in kept and "ysolde_q" in kept) is not pseudonyms
    if pseudonyms:
        assert "zedekiah_q" not in kept and "ysolde_q" not in kept and "<address withheld>" in kept
