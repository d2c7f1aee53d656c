"""The planner's commands through click's CliRunner: a whole plan made, and bad input refused in one line."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from icalendar import Calendar

from campaigns.store import Store
from groundswell.cli import cli

BEFORE_THE_PLAN = "2030-04-20T12:00:00Z"  # the clock while the plan is made, whatever today is


@pytest.fixture
def run(db_path, monkeypatch):
    monkeypatch.setenv("GROUNDSWELL_NOW", BEFORE_THE_PLAN)
    Store.open(db_path).close()  # only init and demo create a database
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["--db", str(db_path), *args], catch_exceptions=False)

    result = invoke("campaign", "add", "libraries", "--name", "Save Our Libraries", "--timezone", "Europe/London",
                    "--starts", "2030-01-01", "--ours", "#SaveOurLibraries", "--opposing", "#WastefulCouncil")
    assert result.exit_code == 0, result.output
    return invoke


def test_a_plan_made_from_the_command_line(run, db_path, tmp_path):
    assert run("narrative", "add", "--side", "opposing", "--claim", "Libraries are obsolete", "--risk", "high",
               "--decision", "respond", "--tracker", "#WastefulCouncil", "--first-seen", "2030-04-01").exit_code == 0
    result = run("event", "add", "--title", "Read-in", "--start", "2030-05-02 11:00", "--end", "2030-05-02 15:00",
                 "--location", "Central Library", "--capacity", "2", "--need", "bring water: 50")
    assert result.exit_code == 0 and "added event 1 (scheduled): Read-in, 2030-05-02 11:00 BST" in result.output
    result = run("action", "add", "--kind", "post", "--title", "Share the petition", "--message", "Sign it today",
                 "--variant", "Our libraries need you", "--hashtag", "SaveOurLibraries", "--start", "2030-05-01 12:00",
                 "--end", "2030-05-01 18:00", "--goal", "100", "--narrative", "1", "--status", "scheduled")
    assert result.exit_code == 0 and "added call to action 1 (scheduled)" in result.output
    assert run("volunteer", "add", "Priya", "--timezone", "America/New_York", "--consent", "now",
               "--handle", "x:priya_s", "--handle", "mastodon:priya@mas.to").exit_code == 0
    assert run("volunteer", "add", "Tom").exit_code == 0
    assert run("assign", "add", "Priya", "--action", "1").exit_code == 0
    assert run("assign", "add", "Priya", "--event", "1", "--role", "stall", "--status", "accepted").exit_code == 0
    assert run("assign", "add", "Tom", "--event", "1", "--role", "steward").exit_code == 0
    assert run("event", "pledge", "1", "bring water", "--pledged", "12").output.strip() == \
        "bring water: 12 pledged, 0 delivered of 50"
    assert run("demand", "add", "--text", "Keep all five branches open", "--decision-maker", "Cabinet").exit_code == 0
    assert "is acknowledged" in run("demand", "update", "1", "--status", "acknowledged", "--note", "Letter").output

    shown = run("action", "show", "1", "--volunteer", "Priya").output
    assert "when: 2030-05-01 07:00 EDT to 2030-05-01 13:00 EDT" in shown
    assert "https://mas.to/share?text=Our%20libraries%20need%20you%20%23SaveOurLibraries" in shown
    assert "X: https://x.com/intent/post?text=" in shown
    agenda = run("volunteer", "show", "Priya").output
    assert "Share the petition" in agenda and "Read-in as stall" in agenda
    listing = run("action", "list").output
    assert "0/100" in listing and "#SaveOurLibraries" in listing
    assert "acknowledged" in run("demand", "list").output

    ics = tmp_path / "priya.ics"
    assert run("calendar", "--ics", str(ics), "--volunteer", "Priya").output.strip() == f"wrote 2 entries to {ics}"
    assert len(Calendar.from_ical(ics.read_bytes()).walk("VEVENT")) == 2
    everything = tmp_path / "all.ics"
    assert "wrote 2 entries" in run("calendar", "--ics", str(everything)).output
    assert "libraries: 1 call(s) to action checked" in run("planner", "sync").output
    with Store.open(db_path) as store:
        assert store.plan.get_narrative(1).tracker_ids
        assert store.plan.get_demand(1).status == "acknowledged"


@pytest.mark.parametrize(("args", "message"), [
    (("action", "add", "--title", "x", "--message", "m", "--start", "2030-05-02 12:00", "--end", "2030-05-02 11:00"),
     "ends before it starts"),
    (("action", "add", "--title", "x", "--message", "m", "--start", "2030-05-02", "--end", "2030-05-03",
      "--timezone", "Moon/Base"), "unknown time zone 'Moon/Base'"),
    (("event", "add", "--title", "x", "--start", "2030-05-02 12:00", "--end", "2030-05-02 13:00", "--capacity", "-3"),
     "capacity cannot be negative"),
    (("event", "add", "--title", "x", "--start", "2030-05-02 12:00", "--end", "2030-05-02 13:00", "--need", "water"),
     "item: quantity"),
    (("volunteer", "add", "Ana", "--handle", "x:ana"), "record Ana's consent"),
    (("volunteer", "add", "Ana", "--timezone", "Nowhere"), "unknown time zone 'Nowhere'"),
    (("action", "transition", "99", "live"), "no call to action with id 99"),
    (("assign", "add", "Nobody", "--action", "1"), "no volunteer named 'Nobody'"),
    (("demand", "update", "5", "--note", "x"), "no demand with id 5"),
])
def test_bad_input_is_one_line_and_exit_code_1(run, args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert message in result.output
    assert result.output.count("\n") == 1 and "Traceback" not in result.output


def test_an_invalid_transition_from_the_command_line(run):
    run("action", "add", "--title", "Call the council", "--kind", "call", "--start", "2030-05-02 12:00",
        "--end", "2030-05-02 13:00")
    result = run("action", "transition", "1", "done")
    assert result.exit_code == 1
    assert "cannot move call to action 1 from draft to done (from draft: scheduled, cancelled)" in result.output
    assert run("action", "transition", "1", "scheduled").output.strip() == "call to action 1 is scheduled"


def database_bytes(db_path: Path) -> tuple[bytes, bytes]:
    """The database file and its write-ahead log: a write from any connection changes one of them."""
    wal = db_path.with_name(db_path.name + "-wal")
    return db_path.read_bytes(), wal.read_bytes() if wal.exists() else b""


def test_reading_the_plan_from_the_command_line_changes_nothing_stored(run, db_path, monkeypatch, tmp_path):
    run("action", "add", "--title", "Share the petition", "--message", "Sign it", "--hashtag", "SaveOurLibraries",
        "--start", "2030-05-01 12:00", "--end", "2030-05-01 18:00", "--status", "scheduled")
    run("event", "add", "--title", "Read-in", "--start", "2030-05-01 11:00", "--end", "2030-05-01 15:00")
    run("narrative", "add", "--claim", "Libraries are obsolete", "--tracker", "#WastefulCouncil")
    run("volunteer", "add", "Priya")
    run("assign", "add", "Priya", "--action", "1")
    run("demand", "add", "--text", "Keep all five branches open")
    with Store.open(db_path) as store:
        store.checkpoint()
    # While the window is open both are live, though the store still says scheduled.
    monkeypatch.setenv("GROUNDSWELL_NOW", "2030-05-01T12:30:00Z")
    before = database_bytes(db_path)
    reads = [("action", "list"), ("action", "show", "1", "--volunteer", "Priya"), ("event", "list"),
             ("event", "show", "1"), ("narrative", "list"), ("volunteer", "list"), ("volunteer", "show", "Priya"),
             ("assign", "list"), ("demand", "list"), ("demand", "show", "1"),
             ("calendar", "--ics", str(tmp_path / "plan.ics")), ("calendar", "--ics", str(tmp_path / "priya.ics"),
                                                                 "--volunteer", "Priya")]
    outputs = {}
    for args in reads:
        result = run(*args)
        assert result.exit_code == 0, (args, result.output)
        assert database_bytes(db_path) == before, f"groundswell {' '.join(args)} wrote to the database"
        outputs[args[:2]] = result.output
    assert "live" in outputs[("action", "list")] and "[post, live]" in outputs[("action", "show")]
    assert "Read-in [live, public]" in outputs[("event", "show")]
    assert "[invited]" in outputs[("volunteer", "show")]
    # The stored status moves where it is meant to: `planner sync` (and the scheduler's plan job).
    assert run("planner", "sync").exit_code == 0
    assert database_bytes(db_path) != before
    monkeypatch.setenv("GROUNDSWELL_NOW", BEFORE_THE_PLAN)
    with Store.open(db_path) as store:
        assert store.plan.get_action(1).status == "live"  # stored now, so shown even before the window
        assert store.plan.get_event(1).status == "live"


def test_every_planner_command_documents_an_example():
    from groundswell.planner_commands import COMMANDS

    def walk(command):
        if hasattr(command, "commands"):
            for sub in command.commands.values():
                yield from walk(sub)
        else:
            yield command

    for group in COMMANDS:
        for command in walk(group):
            assert "Example: groundswell" in (command.help or ""), command.name
