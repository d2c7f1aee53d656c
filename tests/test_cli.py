"""The command line: init, campaigns, and every bad input as one line with exit code 1."""

import os
import stat
import sys

import pytest
from click.testing import CliRunner

from campaigns.store import Store
from groundswell.cli import cli

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def run(db, *args, ok=True):
    result = CliRunner().invoke(cli, ["--db", str(db), *args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def one_line_error(result, fragment):
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ")
    assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_init_twice_changes_nothing(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "g.db"
    first = run(db, "init")
    assert "applied 0001_core" in first.output
    example = (tmp_path / "campaigns.yaml").read_text()
    schema = Store.open(db).db.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall()
    second = run(db, "init")
    assert "schema current\n" in second.output and "left as it is" in second.output
    assert (tmp_path / "campaigns.yaml").read_text() == example
    assert Store.open(db).db.conn.execute("SELECT sql FROM sqlite_master ORDER BY name").fetchall() == schema
    run(db, "campaign", "import", "campaigns.yaml")
    assert "antisocial" in run(db, "campaign", "list").output


def test_db_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GROUNDSWELL_DB", str(tmp_path / "env.db"))
    assert CliRunner().invoke(cli, ["init"]).exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_add_show_edit_list(store, db_path):
    run(db_path, "campaign", "add", "libs", "--name", "Save Our Libraries", "--timezone", "Europe/London",
        "--starts", "2026-05-01", "--ours", "#SaveOurLibraries", "--opposing", "#WastefulCouncil",
        "--protect", "@cllr_amina", "--goal-mentions", "500")
    shown = run(db_path, "campaign", "show", "libs").output
    assert "'#SaveOurLibraries'" in shown and "'@cllr_amina'" in shown and "mentions: 500" in shown
    run(db_path, "campaign", "edit", "libs", "--status", "paused", "--ours", "#ReadIn", "--remove", "#WastefulCouncil")
    campaign = Store.open(db_path).campaign("libs")
    assert campaign.status == "paused"
    assert [t.term for t in campaign.trackers] == ["#SaveOurLibraries", "@cllr_amina", "#ReadIn"]
    assert "paused" in run(db_path, "campaign", "list").output


@pytest.mark.parametrize("args,fragment", [
    (["campaign", "show", "nope"], "unknown campaign 'nope'"),
    (["campaign", "edit", "nope", "--name", "x"], "unknown campaign 'nope'"),
    (["campaign", "export", "nope"], "unknown campaign 'nope'"),
    (["campaign", "add", "x", "--name", "X", "--timezone", "Mars/Olympus"], "unknown time zone 'Mars/Olympus'"),
    (["campaign", "add", "x", "--name", "X", "--starts", "2026-13-01"], "bad date '2026-13-01'"),
    (["campaign", "add", "x", "--name", "X", "--starts", "2026-03-05", "--ends", "2026-03-01"], "ends before it starts"),
    (["campaign", "add", "Bad_Slug", "--name", "X"], "bad slug 'Bad_Slug'"),
    (["campaign", "add", "x", "--name", "X", "--goal-reach", "-5"], "--goal-reach must be a positive whole number"),
    (["campaign", "import", "missing.yaml"], "no such file: missing.yaml"),
    (["import", "missing.jsonl", "--format", "x"], "no such file: missing.jsonl"),
    (["import", os.path.join(FIXTURES, "x", "search_pages.jsonl"), "--format", "tiktok"], "unknown format 'tiktok'"),
    (["import", os.path.join(FIXTURES, "x", "search_pages.jsonl"), "--format", "x", "--campaign", "nope"],
     "unknown campaign 'nope'"),
    (["demo", "load", "--mentions", "0"], "must be at least 1"),
])
def test_bad_input_is_one_line_and_exit_1(store, db_path, args, fragment):
    one_line_error(run(db_path, *args, ok=False), fragment)


def test_a_malformed_campaign_file_names_its_line(store, db_path, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaigns:\n  - slug: a\n    name: 'unclosed\n")
    one_line_error(run(db_path, "campaign", "import", str(bad), ok=False), "line")


def test_a_bad_file_stores_no_campaign_at_all(store, db_path, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("campaigns:\n  - {slug: good, name: Good, starts: 2026-03-01}\n"
                   "  - {slug: bad, name: Bad, starts: 2026-03-01, timezone: Nowhere/Land}\n")
    run(db_path, "campaign", "import", str(bad), ok=False)
    assert Store.open(db_path).campaigns() == []


def test_a_file_that_is_not_the_format_named(store, db_path, tmp_path):
    not_x = tmp_path / "posts.jsonl"
    not_x.write_text('{"posts": [1, 2]}\n')
    one_line_error(run(db_path, "import", str(not_x), "--format", "x", ok=False), "not an X API v2 search page")
    binary = tmp_path / "posts.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    one_line_error(run(db_path, "import", str(binary), "--format", "x", ok=False), "not")


def test_a_database_path_in_a_missing_folder(tmp_path):
    one_line_error(run(tmp_path / "no" / "such" / "g.db", "campaign", "list", ok=False), "does not exist")


def test_a_database_path_that_is_a_folder(tmp_path):
    one_line_error(run(tmp_path, "campaign", "list", ok=False), "it is a folder")


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0, reason="root can write read-only files")
def test_a_read_only_database(tmp_path):
    db = tmp_path / "ro.db"
    run(db, "init")
    os.chmod(db, stat.S_IRUSR)
    one_line_error(run(db, "campaign", "add", "x", "--name", "X", ok=False), "readonly")


def test_a_read_only_database_even_as_root(tmp_path):
    """Root ignores file modes, so open the database read-only through SQLite's own URI flag."""
    db = tmp_path / "g.db"
    run(db, "init")
    store = Store.open(db, readonly=True)
    from campaigns.errors import StoreError
    from campaigns.model import Mention

    assert store.campaigns() == []
    with pytest.raises(StoreError, match="cannot write to database"):
        store.upsert_mentions([Mention(platform="x", native_id="1", created_at="2026-03-01T00:00:00Z")])


def test_not_a_database_file(tmp_path):
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database" * 100)
    one_line_error(run(db, "campaign", "list", ok=False), "file is not a database")


def test_rematch_from_the_command_line(store, db_path, tmp_path):
    import shutil

    shutil.copy(os.path.join(FIXTURES, "x", "search_pages.jsonl"), tmp_path / "pages.jsonl")
    run(db_path, "import", str(tmp_path / "pages.jsonl"), "--format", "x")
    added = run(db_path, "campaign", "add", "later", "--name", "Later", "--ours", "#FreeSpeechSU")
    assert "groundswell campaign rematch later" in added.output
    assert "1 newly matched later" in run(db_path, "campaign", "rematch", "later").output
    assert "0 newly matched later" in run(db_path, "campaign", "rematch", "later").output
    one_line_error(run(db_path, "campaign", "rematch", "nope", ok=False), "unknown campaign 'nope'")
