"""A Mastodon hashtag timeline served from recorded statuses, paged as a real instance pages it."""

from __future__ import annotations

from fake_api import FakeAPI, fixture_json

TAG_PATH = "/api/v1/timelines/tag/climatestrike"


def recorded_statuses() -> list[dict]:
    """The 85 recorded statuses of the fixture timeline, newest first."""
    return [*fixture_json("mastodon", "tag_page1.json"), *fixture_json("mastodon", "tag_page2.json"),
            *fixture_json("mastodon", "tag_page3.json")]


class Timeline:
    """Answers since_id / max_id / min_id / limit over a list of statuses like Mastodon does."""

    def __init__(self, statuses: list[dict]):
        self.statuses = statuses

    def __call__(self, request):
        query = request["query"]
        limit = min(int(query.get("limit", 20)), 40)
        found = sorted(self.statuses, key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in query:
            found = [s for s in found if int(s["id"]) < int(query["max_id"])]
        if "since_id" in query:
            found = [s for s in found if int(s["id"]) > int(query["since_id"])]
        if "min_id" in query:
            found = [s for s in found if int(s["id"]) > int(query["min_id"])][-limit:]
        return 200, {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "299"}, found[:limit]


def mastodon_api(statuses: list[dict] | None = None) -> tuple[FakeAPI, Timeline]:
    timeline = Timeline(recorded_statuses() if statuses is None else statuses)
    api = FakeAPI()
    api.route("GET", "/api/v2/instance", (200, {}, fixture_json("mastodon", "instance_v2.json")))
    api.route("GET", "/api/v1/instance", (200, {}, fixture_json("mastodon", "instance_v1.json")))
    api.route("GET", TAG_PATH, timeline)
    return api, timeline
