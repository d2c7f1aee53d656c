"""Accounts and roles: hashed passwords, the failure limit per account and per address, the gate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from streamlit.testing.v1 import AppTest

from campaigns import clock
from campaigns.errors import ValidationError
from campaigns.store import Store
from groundswell.cli import cli

ENTRY = str(Path(__file__).resolve().parents[1] / "dashboard" / "streamlit_app.py")
NOW = datetime(2027, 2, 1, 9, tzinfo=UTC)
GOOD = "a long enough passphrase"


def test_passwords_are_hashed_and_checked(store):
    store.add_user("sam", "coordinator", GOOD)
    (stored,) = store.conn.execute("SELECT password_hash FROM users").fetchone()
    assert stored.startswith("$argon2id$") and GOOD not in stored
    assert store.log_in("Sam", GOOD, "10.0.0.1").role == "coordinator"
    assert store.log_in("sam", "wrong password!", "10.0.0.1") is None
    assert store.log_in("nobody", GOOD, "10.0.0.1") is None
    with pytest.raises(ValidationError, match="at least 10"):
        store.add_user("short", "organiser", "123")
    with pytest.raises(ValidationError, match="unknown role"):
        store.add_user("x1", "admin", GOOD)
    with pytest.raises(ValidationError, match="exists already"):
        store.add_user("SAM", "organiser", GOOD)


def test_failed_logins_lock_the_account_then_the_window_opens_it_again(store):
    store.add_user("sam", "organiser", GOOD)
    with clock.pinned(NOW):
        for _ in range(5):
            assert store.log_in("sam", "not the password", "10.0.0.1") is None
        # The right password is refused too while the account is locked, from any address.
        assert store.log_in("sam", GOOD, "10.0.0.2") is None
        assert store.login_blocked_until("sam", "10.0.0.9") is not None
    with clock.pinned(NOW + timedelta(minutes=16)):
        assert store.log_in("sam", GOOD, "10.0.0.2") is not None


def test_failed_logins_from_one_address_lock_that_address_for_every_account(store):
    store.add_user("sam", "organiser", GOOD)
    with clock.pinned(NOW):
        for guess in range(5):
            store.log_in(f"guess{guess}", "whatever it is", "10.9.9.9")
        assert store.log_in("sam", GOOD, "10.9.9.9") is None
        assert store.log_in("sam", GOOD, "10.0.0.1") is not None


def test_the_user_commands(db_path, monkeypatch):
    runner = CliRunner()
    assert runner.invoke(cli, ["--db", str(db_path), "init"]).exit_code == 0
    monkeypatch.setenv("GROUNDSWELL_NEW_PASSWORD", GOOD)
    added = runner.invoke(cli, ["--db", str(db_path), "user", "add", "sam", "--role", "coordinator"])
    assert added.exit_code == 0 and "added sam as coordinator" in added.output
    listed = runner.invoke(cli, ["--db", str(db_path), "user", "list"])
    assert "sam" in listed.output and GOOD not in listed.output
    monkeypatch.setenv("GROUNDSWELL_NEW_PASSWORD", "another long passphrase")
    assert runner.invoke(cli, ["--db", str(db_path), "user", "passwd", "sam"]).exit_code == 0
    with Store.open(db_path) as store:
        assert store.log_in("sam", "another long passphrase", "127.0.0.1") is not None
    volunteer = runner.invoke(cli, ["--db", str(db_path), "user", "add", "ali", "--role", "volunteer"])
    assert volunteer.exit_code == 1 and "needs --volunteer" in volunteer.output
    removed = runner.invoke(cli, ["--db", str(db_path), "user", "remove", "sam"])
    assert removed.exit_code == 0
    missing = runner.invoke(cli, ["--db", str(db_path), "user", "remove", "sam"])
    assert missing.exit_code == 1 and "no user 'sam'" in missing.output


def test_the_dashboard_refuses_to_listen_beyond_localhost_without_accounts(db_path):
    runner = CliRunner()
    runner.invoke(cli, ["--db", str(db_path), "init"])
    refused = runner.invoke(cli, ["--db", str(db_path), "dashboard", "--address", "0.0.0.0", "--no-browser"])
    assert refused.exit_code == 1 and "groundswell user add" in refused.output


def test_the_gate_asks_for_a_login_once_an_account_exists(demo_copy):
    with Store.open(demo_copy) as store:
        store.add_user("sam", "coordinator", GOOD)
    at = AppTest.from_file(ENTRY, default_timeout=30).run()
    assert not at.exception and not at.metric and not at.sidebar.selectbox
    at.text_input(key="login_name").set_value("sam")
    at.text_input(key="login_password").set_value("wrong password!")
    at.button[0].click().run()
    assert any("Wrong name or password" in e.value for e in at.error) and not at.metric
    at.text_input(key="login_password").set_value(GOOD)
    at.button[0].click().run()
    assert not at.exception, at.exception
    assert at.metric and at.sidebar.selectbox
    with Store.open(demo_copy) as store:
        attempts = store.conn.execute("SELECT name, ok FROM login_attempts ORDER BY id").fetchall()
    assert attempts == [("sam", 0), ("sam", 1)]


def logged_in(name, password=GOOD) -> AppTest:
    """A fresh session of the dashboard, logged in through its form."""
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at


def test_a_volunteer_reaches_their_own_assignments_and_no_collected_post(demo_copy):
    with Store.open(demo_copy) as store:
        volunteers = store.plan.volunteers()
        mine = volunteers.iloc[0]
        store.add_user("vol", "volunteer", GOOD, volunteer_id=int(mine["id"]))
        others = [str(name) for name in volunteers["display_name"][1:]]
        texts = [r[0] for r in store.conn.execute("SELECT text FROM mentions WHERE text IS NOT NULL LIMIT 200")]
    at = logged_in("vol")
    shown = " ".join(str(e.value) for kind in ("markdown", "text", "caption", "code", "info", "title")
                     for e in getattr(at, kind))
    assert "Volunteer view" in shown and not at.metric and not at.get("plotly_chart")
    assert not any(t and t in shown for t in texts)
    assert not any(name in shown for name in others)
    assert "planner_volunteer_view" not in [w.key for w in at.selectbox]   # no picking another volunteer
    # Every other page is not registered for this session: the server cannot be made to run it.
    for target in ("overview", "posts", "traction", "sentiment", "sources", "planner_volunteers"):
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page(f"app_pages/{target}.py")


def test_an_organiser_gets_the_listening_pages_and_not_the_users(demo_copy):
    with Store.open(demo_copy) as store:
        store.add_user("org", "organiser", GOOD)
    at = logged_in("org")
    assert at.metric
    at.switch_page("app_pages/posts.py").run()
    assert any("post(s)" in m.value for m in at.markdown)
