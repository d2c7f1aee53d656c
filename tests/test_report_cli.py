"""`groundswell report`: the three formats to a file or standard output, the campaign to date, and errors in one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from report_builders import add_action, utc
from test_report_files import HOSTILE, build_golden

from campaigns.store import Store
from groundswell.cli import cli

NOW = {"GROUNDSWELL_NOW": "2026-03-10T09:00:00Z"}


@pytest.fixture
def golden_db(db_path):
    build_golden(db_path)
    return db_path


def run(*args):
    return CliRunner().invoke(cli, list(args), env=NOW)


def test_a_report_in_each_format(golden_db, tmp_path):
    page = tmp_path / "stewards.html"
    result = run("report", "action:1", "--out", str(page))
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and page.read_text().startswith("<!doctype html>")
    assert "&lt;script&gt;alert(&quot;owned&quot;)&lt;/script&gt;" in page.read_text()
    markdown = run("report", "Thank the stewards #Ours & <b>friends</b>", "--format", "md")
    assert markdown.exit_code == 0 and markdown.output.startswith("# Report: Thank the stewards")
    series = run("report", "1", "--format", "csv")
    assert series.exit_code == 0 and series.output.startswith("hour,window,side,mentions")
    assert HOSTILE not in series.output


def test_the_campaign_to_date(golden_db):
    result = run("report", "--campaign", "golden")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("# Campaign to date: Golden campaign")
    assert "| call to action | Thank the stewards" in result.output and "credited" in result.output


@pytest.mark.parametrize("args, message", [
    (["report", "action:99"], "Error: no call to action with id 99 (see: groundswell action list)"),
    (["report", "Nothing like it"], "Error: no call to action or event 'Nothing like it'"),
    (["report"], "Error: say what to report on"),
    (["report", "--campaign", "nope"], "Error: unknown campaign 'nope'"),
])
def test_errors_are_one_line_and_exit_1(golden_db, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.output.startswith(message) and result.output.count("\n") == 1


def test_an_action_with_no_windows_yet_is_one_line_and_exit_1(golden_db):
    with Store.open(golden_db) as store:
        add_action(store, store.campaign("golden"), "Next week", utc(2026, 3, 17, 12), utc(2026, 3, 17, 14))
    result = run("report", "Next week", "--format", "html")
    assert result.exit_code == 1
    assert result.output == ("Error: call to action 2 'Next week' starts 2026-03-17 12:00 UTC: it has no windows "
                             "to report on yet\n")


def test_a_file_that_cannot_be_written_is_one_line(golden_db, tmp_path):
    result = run("report", "action:1", "--out", str(tmp_path / "missing" / "r.md"))
    assert result.exit_code == 1 and result.output.startswith("Error: cannot write") and result.output.count("\n") == 1
