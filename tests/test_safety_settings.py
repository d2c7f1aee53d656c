"""A campaign's safety settings: in the campaigns file, on the command line, in the audit log."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from campaigns.campaign_file import EXAMPLE, dump_campaigns, load_campaigns
from campaigns.errors import CampaignFileError
from groundswell.cli import cli

SAFE = """\
campaigns:
  - slug: council
    name: Council
    starts: 2026-03-01
    track:
      protect: ["@cllr_khan"]
    safety:
      threshold: 0.3
      pile_on: {authors: 4, minutes: 30}
      signposting: |
        Members' support line: 01234 567890.
        Report threats to the police on 101, or 999 in an emergency.
"""


def test_the_safety_block_loads_and_round_trips(tmp_path):
    path = tmp_path / "campaigns.yaml"
    path.write_text(SAFE)
    [campaign] = load_campaigns(path)
    assert (campaign.safety.offensive_threshold, campaign.safety.pile_on_authors,
            campaign.safety.pile_on_minutes) == (0.3, 4, 30)
    assert campaign.safety.signposting.splitlines()[1].startswith("Report threats")
    again = tmp_path / "again.yaml"
    again.write_text(dump_campaigns([campaign]))
    assert load_campaigns(again) == [campaign]
    example = tmp_path / "example.yaml"
    example.write_text(EXAMPLE)
    assert load_campaigns(example)[0].safety.pile_on_minutes == 60


@pytest.mark.parametrize("block, message", [
    ("threshold: 0.05", "from 0.1 to 1"),
    ("threshold: high", "from 0.1 to 1"),
    ("pile_on: {authors: 1}", "at least 2"),
    ("pile_on: {people: 3}", "takes authors and minutes"),
    ("colour: red", "takes threshold, pile_on and signposting"),
])
def test_a_bad_safety_block_is_one_line_naming_it(tmp_path, block, message):
    path = tmp_path / "campaigns.yaml"
    path.write_text(SAFE.split("    safety:")[0] + "    safety:\n      " + block + "\n")
    with pytest.raises(CampaignFileError, match=message):
        load_campaigns(path)


def test_settings_from_the_command_line_are_audited_and_shown(db_path, tmp_path):
    runner = CliRunner()
    path = tmp_path / "campaigns.yaml"
    path.write_text(SAFE)
    assert runner.invoke(cli, ["--db", str(db_path), "init"]).exit_code == 0
    assert runner.invoke(cli, ["--db", str(db_path), "campaign", "import", str(path)]).exit_code == 0
    result = runner.invoke(cli, ["--db", str(db_path), "safety", "settings", "council", "--threshold", "0.5",
                                 "--pile-on-authors", "6", "--who", "Sam"])
    assert result.exit_code == 0, result.output
    assert "offensive language at 0.5; pile-on 6 authors within 30 minutes" in result.output
    result = runner.invoke(cli, ["--db", str(db_path), "safety", "settings", "council", "--default", "threshold",
                                 "--default", "pile-on", "--who", "Sam"])
    assert "offensive language at 0.2; pile-on 5 authors within 60 minutes" in result.output
    shown = runner.invoke(cli, ["--db", str(db_path), "safety", "show", "--campaign", "council"])
    assert shown.exit_code == 0 and "Members' support line" in shown.output and "@cllr_khan" in shown.output
    audit = runner.invoke(cli, ["--db", str(db_path), "safety", "audit", "--campaign", "council"])
    assert audit.output.count("change safety settings") == 2
    bad = runner.invoke(cli, ["--db", str(db_path), "safety", "settings", "council", "--threshold", "2"])
    assert bad.exit_code == 1 and "from 0.1 to 1" in bad.output
    exported = runner.invoke(cli, ["--db", str(db_path), "campaign", "export", "council"])
    assert "signposting" in exported.output and "threshold" not in exported.output


def test_the_check_command_reports_per_campaign(db_path, tmp_path):
    runner = CliRunner()
    path = tmp_path / "campaigns.yaml"
    path.write_text(SAFE)
    runner.invoke(cli, ["--db", str(db_path), "init"])
    runner.invoke(cli, ["--db", str(db_path), "campaign", "import", str(path)])
    result = runner.invoke(cli, ["--db", str(db_path), "safety", "check"])
    assert result.exit_code == 0
    assert "council: 0 pile-on alert(s) raised or grown (rule: 4 authors within 30 minutes)" in result.output
    detail = runner.invoke(cli, ["--db", str(db_path), "safety", "acknowledge", "7"])
    assert detail.exit_code == 1 and "no alert 7" in detail.output
