"""Evidence exports: the manifest verifies, one changed byte fails it, cells never start a formula, each export is audited."""

from __future__ import annotations

import csv
import json

import pytest
from click.testing import CliRunner

from campaigns import safety
from campaigns.model import Campaign, Mention, Tracker
from groundswell.cli import cli


@pytest.fixture
def campaign(store):
    campaign = store.save_campaign(Campaign(
        slug="council", name="Council", starts_at="2026-03-01", timezone="Europe/London",
        trackers=[Tracker("account", "cllr_khan", "protect")]))
    store.upsert_mentions([
        Mention(platform="x", native_id="1", created_at="2026-03-02T10:15:00Z", text="@cllr_khan you are scum",
                url="https://x.com/troll/status/1", author_key="troll", sentiment=-0.6, abuse=0.92),
        Mention(platform="x", native_id="2", created_at="2026-03-02T10:20:00Z",
                text='=HYPERLINK("http://evil.example","click") @cllr_khan resign', author_key="=cmd|' /C calc'!A0",
                sentiment=-0.2, abuse=0.4),
        Mention(platform="mastodon", native_id="3", created_at="2026-06-02T09:00:00Z",
                text="@cllr_khan thanks for the surgery", author_key="fan@mas.to", sentiment=0.6, abuse=0.01),
    ])
    return campaign


def export(store, campaign, folder, uids=("x:1", "x:2", "mastodon:3")):
    rows = store.safety.evidence_rows(campaign.id, list(uids))
    records = safety.evidence_records(rows, campaign, "Sam (safety lead)", "2026-07-01T12:00:00Z")
    return safety.write_evidence(folder, safety.evidence_files(records, campaign, "Sam (safety lead)",
                                                               "2026-07-01T12:00:00Z"))


def test_an_export_verifies_and_fails_after_one_byte_of_a_record_changes(store, campaign, tmp_path):
    folder = export(store, campaign, tmp_path / "evidence")
    assert safety.verify_evidence(folder) == []
    records = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    assert [r["uid"] for r in records] == ["x:1", "x:2", "mastodon:3"]
    first = records[0]
    assert (first["created_at_utc"], first["created_at_local"]) == ("2026-03-02T10:15:00Z", "2026-03-02T10:15:00+00:00")
    assert records[2]["created_at_local"] == "2026-06-02T10:00:00+01:00"  # British Summer Time
    assert (first["platform"], first["author"], first["url"]) == ("x", "troll", "https://x.com/troll/status/1")
    assert first["verdict"] == "offensive (scorer)" and first["exported_by"] == "Sam (safety lead)"
    assert first["protected_accounts"] == "@cllr_khan" and first["via"] == "mention"

    original = (folder / "evidence.json").read_bytes()
    position = original.index(b"you are scum") + 8
    (folder / "evidence.json").write_bytes(original[:position] + b"S" + original[position + 1:])
    problems = safety.verify_evidence(folder)
    assert any("evidence.json: SHA-256 differs" in p for p in problems)
    assert any("record 1 (x:1) differs" in p for p in problems)

    (folder / "evidence.json").write_bytes(original)
    assert safety.verify_evidence(folder) == []
    csv_bytes = (folder / "evidence.csv").read_bytes()
    (folder / "evidence.csv").write_bytes(csv_bytes.replace(b"troll", b"trol1", 1))
    assert safety.verify_evidence(folder) == ["evidence.csv: SHA-256 differs from the manifest (the file was changed)"]


def test_csv_cells_never_start_a_formula(store, campaign, tmp_path):
    folder = export(store, campaign, tmp_path / "evidence")
    with (folder / "evidence.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    cells = [value for row in rows for value in row.values() if value]
    assert not [cell for cell in cells if cell[0] in "=+-@\t\r"]
    assert rows[1]["text"].startswith("'=HYPERLINK(") and rows[1]["author"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["text"] == "'@cllr_khan you are scum"
    for value in ("=1+1", "+44 1234", "-1", "@x", "\tx", "\rx"):
        assert safety.csv_safe(value) == "'" + value
    assert safety.csv_safe("plain") == "plain" and safety.csv_safe(None) == ""


def test_the_commands_export_audit_and_verify(db_path, store, campaign, tmp_path):
    runner = CliRunner()
    folder = tmp_path / "khan"
    result = runner.invoke(cli, ["--db", str(db_path), "evidence", "export", "--campaign", "council",
                                 "--account", "@cllr_khan", "--since", "2026-03-01", "--until", "2026-12-31",
                                 "--out", str(folder), "--who", "Sam"])
    assert result.exit_code == 0, result.output
    assert "wrote 2 record(s)" in result.output  # the two offensive ones; the thank-you is left out
    audit = store.safety.audit_view(campaign.id)
    assert audit["what"].tolist() == ["export evidence"] and audit["who"].tolist() == ["Sam"]
    detail = json.loads(audit.iloc[0]["detail"])
    assert detail["records"] == 2 and detail["uids"] == ["x:1", "x:2"]

    verified = runner.invoke(cli, ["evidence", "verify", str(folder)])
    assert verified.exit_code == 0 and "verified, 2 record(s) exported by Sam" in verified.output
    data = (folder / "evidence.json").read_bytes()
    (folder / "evidence.json").write_bytes(data.replace(b"scum", b"scun"))
    failed = runner.invoke(cli, ["evidence", "verify", str(folder)])
    assert failed.exit_code == 1 and "does not verify" in failed.output

    again = runner.invoke(cli, ["--db", str(db_path), "evidence", "export", "--campaign", "council",
                                "--uid", "x:1", "--out", str(folder), "--who", "Sam"])
    assert again.exit_code == 1 and "not an empty folder" in again.output
    unknown = runner.invoke(cli, ["--db", str(db_path), "evidence", "export", "--campaign", "council",
                                  "--account", "@someone", "--out", str(tmp_path / "x")])
    assert unknown.exit_code == 1 and "does not protect @someone" in unknown.output


def test_a_reviewer_verdict_and_who_gave_it_go_into_the_record(store, campaign, tmp_path):
    store.correct("x:2", campaign.id, "verdict", "abusive", "Priya")
    folder = export(store, campaign, tmp_path / "evidence", uids=("x:2",))
    record = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))[0]
    assert (record["verdict"], record["verdict_by"], record["score_in_context"]) == ("abusive (reviewer)", "Priya",
                                                                                      "1.0000")
    assert record["offensive_language_score"] == "0.4000"
