"""Campaign files: the documented format loads, and export then import round-trips exactly."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from campaigns.campaign_file import EXAMPLE, dump_campaigns, load_campaigns
from campaigns.errors import CampaignFileError
from campaigns.store import Store
from groundswell.cli import cli

FULL = """\
campaigns:
  - slug: antisocial
    name: "#AntiSocialMedia"
    description: Challenge the abuse aimed at student officers
    starts: 2026-03-01
    ends: 2026-04-30
    timezone: Europe/London
    goals: {mentions: 5000, reach: 2000000}
    retention_days: 90
    platforms: [x, reddit, mastodon, bluesky, rss]
    track:
      ours: ["#AntiSocialMedia", "#LoveSUs", "online abuse"]
      opposing: ["#FreeSpeechSU"]
      monitor: ["yik yak"]
      protect: ["@nusuk"]
    exclude: [giveaway]
  - slug: day-of-action
    name: Day of action
    starts: 2026-05-01T09:30:00
    timezone: America/New_York
    track:
      ours: ["#DayOfAction"]
"""


def test_the_documented_format_loads(tmp_path):
    path = tmp_path / "campaigns.yaml"
    path.write_text(FULL)
    first, second = load_campaigns(path)
    assert (first.slug, first.starts_at, first.ends_at, first.timezone) == ("antisocial", "2026-03-01", "2026-04-30",
                                                                            "Europe/London")
    assert (first.goal_mentions, first.goal_reach, first.retention_days) == (5000, 2_000_000, 90)
    assert [(t.kind, t.value, t.side) for t in first.trackers] == [
        ("hashtag", "AntiSocialMedia", "ours"), ("hashtag", "LoveSUs", "ours"), ("keyword", "online abuse", "ours"),
        ("hashtag", "FreeSpeechSU", "opposing"), ("keyword", "yik yak", "monitor"), ("account", "nusuk", "protect")]
    assert first.exclude == ["giveaway"]
    # A timestamp without an offset is read in the campaign's time zone and stored in UTC.
    assert second.starts_at == "2026-05-01T13:30:00Z"


def test_the_example_written_by_init_is_valid(tmp_path):
    path = tmp_path / "example.yaml"
    path.write_text(EXAMPLE)
    assert [c.slug for c in load_campaigns(path)] == ["antisocial"]


def test_export_then_import_round_trips_exactly(tmp_path, db_path):
    source = tmp_path / "campaigns.yaml"
    source.write_text(FULL)
    runner = CliRunner()
    other_db = tmp_path / "other.db"
    for database in (db_path, other_db):  # only init and demo create a database
        Store.open(database).close()
    assert runner.invoke(cli, ["--db", str(db_path), "campaign", "import", str(source)]).exit_code == 0
    exported = tmp_path / "exported.yaml"
    assert runner.invoke(cli, ["--db", str(db_path), "campaign", "export", "-o", str(exported)]).exit_code == 0
    assert runner.invoke(cli, ["--db", str(other_db), "campaign", "import", str(exported)]).exit_code == 0
    again = runner.invoke(cli, ["--db", str(other_db), "campaign", "export"]).output
    assert again == exported.read_text()
    assert load_campaigns(exported) == load_campaigns(source)
    assert dump_campaigns(load_campaigns(source)) == exported.read_text()


@pytest.mark.parametrize("text,message", [
    ("campaigns:\n  - slug: a\n    name: [unclosed\n", "line 4: not valid YAML"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-03-01\n    timezone: Europe/Londn\n",
     "line 2: unknown time zone 'Europe/Londn'"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-02-30\n", "line 2: bad date '2026-02-30'"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: next tuesday\n", "line 2: bad date or time 'next tuesday'"),
    ("campaigns:\n  - slug: Bad Slug\n    name: A\n    starts: 2026-03-01\n", "line 2: bad slug 'Bad Slug'"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-03-01\n    track: {allies: ['#x']}\n",
     "line 2: unknown side 'allies'"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-03-01\n  - slug: a\n    name: B\n    starts: 2026-03-01\n",
     "line 5: slug 'a' appears twice"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-03-05\n    ends: 2026-03-01\n",
     "line 2: campaign 'a' ends before it starts"),
    ("campaigns:\n  - slug: a\n    name: A\n    starts: 2026-03-01\n    colour: red\n", "unknown field(s): colour"),
    ("- just a list\n", "expected a top-level 'campaigns:' list"),
])
def test_malformed_files_say_what_and_where(tmp_path, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(CampaignFileError) as raised:
        load_campaigns(path)
    assert message in str(raised.value)
    assert str(Path(path)) in str(raised.value)
