"""The Safety page under AppTest on a copy of the demo: hidden text, reveals, verdicts, support against abuse."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from campaigns import safety
from campaigns.metrics import POSITIVE_AT, local_buckets
from campaigns.model import iso_utc, to_datetime
from campaigns.store import Store

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
SLUG = "councillor-watch"


def open_page(name: str = "safety") -> AppTest:
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.selectbox(key="campaign").set_value(SLUG).run()
    at.selectbox(key="range_preset").set_value("Campaign to date").run()
    at.switch_page(f"app_pages/{name}.py").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def everything_shown(at: AppTest) -> str:
    """Every element the page sent, as text: tables as CSV, the rest as their protocol messages."""
    def walk(node):
        yield node
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                yield from walk(child)
    parts = [frame.value.to_csv() for frame in at.dataframe]
    parts += [str(getattr(node, "proto", "")) for node in walk(at._tree)]
    return "\n".join(parts)


def hidden_post(path: Path, start: str, end: str) -> tuple[str, str]:
    """The newest offensive post aimed at a protected account in the window: (uid, text)."""
    with Store.open(path) as store:
        campaign = store.campaign(SLUG)
        frame = store.safety.aimed_mentions(campaign.id, start, end, min_score=safety.threshold_of(campaign), limit=1)
    return frame.iloc[0]["uid"], frame.iloc[0]["text"]


def window(at: AppTest) -> tuple[str, str]:
    filters = at.session_state["selection"].filters()
    return filters.start, filters.end


def test_hidden_text_is_not_in_the_page_until_revealed_and_a_reveal_writes_one_audit_row(demo_copy):
    at = open_page()
    uid, text = hidden_post(demo_copy, *window(at))
    assert text not in everything_shown(at)
    assert any(t.startswith("[hidden: scored offensive") for t in at.dataframe[1].value["text"])
    # Nothing can be revealed without a name to record.
    assert at.button(key="safety_reveal").disabled

    at.text_input(key="who_safety").input("Sam (safety lead)").run()
    at.multiselect(key="safety_reveal_uids").select(uid).run()
    at.button(key="safety_reveal").click().run()
    assert not at.exception, [e.message for e in at.exception]
    with Store.open(demo_copy) as store:
        log = store.safety.audit_view(store.campaign(SLUG).id)
    assert len(log) == 1
    assert (log.iloc[0]["who"], log.iloc[0]["what"]) == ("Sam (safety lead)", "reveal offensive text")
    assert uid in log.iloc[0]["detail"]
    assert text in at.dataframe[1].value["text"].tolist()
    assert any(text in t.value for t in at.text)
    # Looking again reveals nothing new and writes nothing more.
    at.run()
    with Store.open(demo_copy) as store:
        assert store.count("audit_log") == 1


def test_verdicts_change_the_counts_and_the_measured_precision(demo_copy):
    at = open_page()
    assert [m.value for m in at.metric if m.label == "Precision, in context"] == ["n/a"]
    start, end = window(at)
    with Store.open(demo_copy) as store:
        campaign = store.campaign(SLUG)
        flagged = store.safety.aimed_mentions(campaign.id, start, end, min_score=safety.threshold_of(campaign),
                                              limit=2)["uid"].tolist()
    at.text_input(key="who_safety").input("Sam").run()
    for uid, verdict in zip(flagged, ("abusive", "not abusive"), strict=True):
        at.selectbox(key="safety_review_uid").set_value(uid).run()
        at.radio(key="safety_verdict").set_value(verdict).run()
        at.button(key="safety_save_verdict").click().run()
        assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.metric if m.label == "Precision, in context"] == ["50%"]
    assert [m.value for m in at.metric if m.label == "Recall, in context"] == ["100%"]
    assert any("Rests on 2 reviewed posts" in c.value for c in at.caption)
    reviewed = [c.value for c in at.caption if " reviewed" in c.value and "offensive ·" in c.value]
    assert sum(int(c.split(" · ")[2].split()[0]) for c in reviewed) == 2
    # The first was flagged and judged abusive, the second flagged and judged not: one overruled.
    assert any("verdict 1 of 2" in c.value for c in at.caption)
    with Store.open(demo_copy) as store:
        verdicts = dict(store.conn.execute("SELECT mention_uid, verdict FROM mention_matches WHERE verdict IS NOT NULL"))
    assert verdicts == {flagged[0]: "abusive", flagged[1]: "not_abusive"}


def test_support_against_abuse_equals_a_count_from_sql(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = open_page()
    start, end = window(at)
    with Store.open(demo_db) as store:
        campaign = store.campaign(SLUG)
        threshold = safety.threshold_of(campaign)
        series = store.safety.support_series(campaign.id, start, end, campaign.timezone, threshold)
        spans = local_buckets(to_datetime(start), to_datetime(end), campaign.timezone, "day")
        expected = {}
        for span_start, span_end in spans:
            for tracker_id in safety.protected_trackers(campaign):
                supportive, offensive = store.conn.execute(
                    "SELECT coalesce(sum(mm.abuse < ? AND (mm.side = 'ours' OR mm.sentiment >= ?)), 0),"
                    " coalesce(sum(mm.abuse >= ?), 0) FROM protected_mentions pm JOIN mention_matches mm"
                    " ON mm.mention_uid = pm.mention_uid AND mm.campaign_id = pm.campaign_id"
                    " WHERE pm.campaign_id = ? AND pm.tracker_id = ? AND pm.via != 'own'"
                    " AND pm.created_at >= ? AND pm.created_at < ?",
                    [threshold, POSITIVE_AT, threshold, campaign.id, tracker_id, iso_utc(span_start),
                     iso_utc(span_end)]).fetchone()
                if supportive or offensive:
                    expected[(iso_utc(span_start), tracker_id)] = (supportive, offensive)
    got = {(iso_utc(day.to_pydatetime()), int(tracker)): (int(s), int(o))
           for day, tracker, s, o in zip(series["day"], series["tracker_id"], series["supportive"], series["offensive"],
                                         strict=True) if s or o}
    assert got == expected and sum(o for _, o in got.values()) > 0
    # The page draws the same numbers.
    import json
    spec = json.loads(next(e for e in at.get("plotly_chart") if "chart_support" in e.proto.id).proto.spec)
    drawn = sum(sum(_values(trace["y"])) for trace in spec["data"] if trace["name"].endswith("offensive"))
    assert drawn == sum(o for _, o in got.values())


def _values(values):
    import base64

    import numpy as np
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return values


def test_a_campaign_without_protected_accounts_says_how_to_add_one(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    at.selectbox(key="campaign").set_value("save-our-libraries").run()
    at.switch_page("app_pages/safety.py").run()
    assert not at.exception
    assert any("--protect @name" in i.value for i in at.info)


def test_signposting_and_pile_on_alerts_are_shown_and_acknowledged(demo_copy):
    with Store.open(demo_copy) as store:
        store.safety.set_settings(SLUG, "Sam", signposting="Members' support line: 01234 567890")
        open_alerts = len(store.safety.pile_on_alerts(store.campaign(SLUG).id))
    assert open_alerts >= 1
    at = open_page()
    assert any("01234 567890" in i.value for i in at.info)
    assert len(at.dataframe[0].value) == open_alerts
    at.text_input(key="who_safety").input("Sam").run()
    at.button(key="safety_acknowledge").click().run()
    assert not at.exception
    with Store.open(demo_copy) as store:
        assert len(store.safety.pile_on_alerts(store.campaign(SLUG).id)) == open_alerts - 1
        assert "acknowledge alert" in store.safety.audit_view()["what"].tolist()


def test_a_tone_correction_on_the_sentiment_page_moves_its_tiles(demo_copy):
    at = open_page("sentiment")
    negative = int([m.value for m in at.metric if m.label == "Negative"][0].replace(",", ""))
    positive = int([m.value for m in at.metric if m.label == "Positive"][0].replace(",", ""))
    filters = at.session_state["selection"].filters()
    with Store.open(demo_copy) as store:
        most_negative = store.reads.extreme_posts(filters, "negative")["uid"].tolist()
    assert at.selectbox(key="post_negative").value == most_negative[0]
    at.text_input(key="who_negative").input("Priya").run()
    at.selectbox(key="tone_negative").set_value("positive").run()
    at.button(key="correct_negative").click().run()
    assert not at.exception, [e.message for e in at.exception]
    assert [m.value for m in at.metric if m.label == "Negative"] == [f"{negative - 1:,}"]
    assert [m.value for m in at.metric if m.label == "Positive"] == [f"{positive + 1:,}"]
    with Store.open(demo_copy) as store:
        assert store.overruled(store.campaign(SLUG).id).set_index("field").loc["tone", "overruled"] == 1
        assert most_negative[0] not in store.reads.extreme_posts(filters, "negative")["uid"].tolist()


@pytest.fixture
def demo_copy(demo_copy):
    """The demo copy, with the dashboard's cached reads of any earlier test dropped."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    return demo_copy


def test_the_overview_lists_the_demo_pile_ons_in_words(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    at.run()
    assert not at.exception
    alerts = at.dataframe[0].value
    pile_ons = alerts[alerts["kind"] == "pile_on"]
    assert len(pile_ons) >= 2 and set(pile_ons["campaign"]) >= {SLUG}
    assert all(" authors sent " in detail and "offensive mentions to @" in detail for detail in pile_ons["detail"])
