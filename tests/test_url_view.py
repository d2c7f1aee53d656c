"""The view in the URL: a link's campaign, range, dates, platforms and side open the same view on any page, and the sidebar writes them back."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from streamlit.testing.v1 import AppTest

from dashboard.selection import PRESET_SLUGS, view_from_params

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")


def param(at: AppTest, key: str):
    value = at.query_params.get(key)
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def test_a_link_opens_its_view_on_any_page_and_the_sidebar_writes_it_back(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    monkeypatch.setenv("GROUNDSWELL_NOW", "2026-11-20T12:00:00Z")
    for page in ("traction", "sentiment", "posts", "overview"):
        at = AppTest.from_file(ENTRY, default_timeout=60)
        link = {"campaign": "save-our-libraries", "range": "dates", "dates": "2026-11-05..2026-11-09",
                "platforms": "mastodon,bluesky", "side": "opposing"}
        for key, value in link.items():
            at.query_params[key] = value
        at.run()
        at.switch_page(f"app_pages/{page}.py").run()
        assert not at.exception, [e.message for e in at.exception]
        chosen = at.session_state["selection"]
        assert chosen.campaign.slug == "save-our-libraries"
        assert chosen.preset == "Custom dates" and chosen.custom == (date(2026, 11, 5), date(2026, 11, 9))
        assert chosen.platforms == ("mastodon", "bluesky") and chosen.side == "opposing"
        assert chosen.label().startswith("05 Nov 2026 00:00 to 10 Nov 2026 00:00")
        assert {key: param(at, key) for key in link} == link, page

    # Changing the sidebar rewrites the URL on the next run.
    at.radio(key="side").set_value("all").run()
    at.selectbox(key="range_preset").set_value("Last 30 days").run()
    at.multiselect(key="platforms").set_value([]).run()
    assert param(at, "side") == "all" and param(at, "range") == PRESET_SLUGS["Last 30 days"]
    assert param(at, "dates") is None and param(at, "platforms") is None
    # A later run does not read the URL again: the sidebar holds the view.
    at.query_params["side"] = "ours"
    at.run()
    assert at.session_state["selection"].side == "all" and param(at, "side") == "all"


def test_what_a_link_cannot_say_is_left_out_with_a_note(demo_db, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_DB", str(demo_db))
    at = AppTest.from_file(ENTRY, default_timeout=60)
    for key, value in {"campaign": "no-such-campaign", "range": "forever", "platforms": "myspace",
                       "side": "opposing"}.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception
    assert any("campaign, range, platforms could not be read" in w.value for w in at.warning)
    assert at.session_state["selection"].side == "opposing"


def test_view_values_are_read_strictly():
    values, refused = view_from_params({"dates": "2026-11-09..2026-11-05", "range": "7d"}, set(), ("x",))
    assert values == {"range_preset": "Last 7 days"} and refused == ["dates"]
    values, refused = view_from_params({"dates": "2026-11-05"}, set(), ("x",))
    assert values == {"range_preset": "Custom dates", "range_custom": (date(2026, 11, 5), date(2026, 11, 5))}
