"""Which database a command opens: only init and demo create one, and --db may follow any command."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from campaigns.store import Store
from groundswell.cli import cli

# One command of each family that opens the database, with the arguments it needs to get there.
OPENING = [
    ["campaign", "list"], ["campaign", "show", "antisocial"], ["campaign", "export"],
    ["campaign", "add", "x", "--name", "X"], ["campaign", "rematch", "x"], ["status"], ["collect"],
    ["schedule"], ["dashboard", "--no-browser"], ["up", "--no-browser"], ["narrative", "list"], ["action", "list"],
    ["event", "list"], ["volunteer", "list"], ["demand", "list"], ["planner", "sync"],
]


def leaf_commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from leaf_commands(command, (*prefix, name))
        else:
            yield (*prefix, name)


@pytest.mark.parametrize("args", OPENING, ids=" ".join)
def test_a_missing_database_is_named_never_created(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "typo.db"
    result = CliRunner().invoke(cli, ["--db", str(missing), *args])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"Error: no database at {missing}: create one with `groundswell init` "
                     "(or `groundswell demo load` for demo data), or point --db / GROUNDSWELL_DB at yours"], \
        result.output
    assert not missing.exists()


def test_import_into_a_missing_database_says_so(tmp_path):
    posts = tmp_path / "posts.jsonl"
    posts.write_text('{"data": []}\n')
    result = CliRunner().invoke(cli, ["import", str(posts), "--format", "x", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 1 and "no database at" in result.output
    assert not (tmp_path / "none.db").exists()


@pytest.mark.parametrize("args", [["init"], ["demo", "load", "--mentions", "50", "--days", "2"]], ids=" ".join)
def test_init_and_demo_create_the_database(tmp_path, monkeypatch, args):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, [*args, "--db", str(tmp_path / "new.db")])
    assert result.exit_code == 0, result.output
    assert Store.open(tmp_path / "new.db", create=False).applied_migrations == []


def test_db_after_the_command_is_the_same_as_before_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GROUNDSWELL_DB", str(tmp_path / "from-env.db"))
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--db", "after.db"]).exit_code == 0
    added = runner.invoke(cli, ["campaign", "add", "libs", "--name", "Libraries", "--db", "after.db"])
    assert added.exit_code == 0, added.output
    assert "libs" in runner.invoke(cli, ["--db", "after.db", "campaign", "list"]).output
    assert "libs" in runner.invoke(cli, ["campaign", "list", "--db", "after.db"]).output
    assert "libs" in runner.invoke(cli, ["campaign", "--db", "after.db", "list"]).output
    assert not (tmp_path / "from-env.db").exists()
    # After the command wins over before it, as the nearer option does.
    listed = runner.invoke(cli, ["--db", "from-env.db", "campaign", "list", "--db", "after.db"])
    assert "libs" in listed.output


def test_every_command_takes_db_after_it():
    missing = []
    for path in leaf_commands(cli):
        result = CliRunner().invoke(cli, [*path, "--help"])
        if result.exit_code != 0 or "--db PATH" not in result.output:
            missing.append(" ".join(path))
    assert missing == []
