"""What every command shares: the click group's error handling, the context, tables, the dashboard launch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
import webbrowser
from pathlib import Path

import click

from campaigns.errors import GroundswellError
from campaigns.exports import visible_controls
from campaigns.settings import Settings, resolve_db_path
from campaigns.store import DatabaseError, Store

APP = Path(__file__).resolve().parent.parent / "dashboard" / "server.py"  # the app behind the download gate
# Streamlit's settings for every launch, as flags and as the environment its config reads: no
# email prompt (it needs a terminal and writes ~/.streamlit/credentials.toml), no usage statistics
# and no notice about them, an uncaught error's type only (no trace, no server path), no magic;
# dashboard/.streamlit/config.toml says the same for `streamlit run`.
STREAMLIT_SETTINGS = {
    "server.headless": "true",
    "server.showEmailPrompt": "false",
    "browser.gatherUsageStats": "false",
    "client.toolbarMode": "minimal",
    "client.showErrorDetails": "type",
    # No page shows a value by naming it alone, so no script needs rewriting to do so: without
    # this every page is parsed and rewritten again when it is compiled.
    "runner.magicEnabled": "false",
}
HEALTH_TIMEOUT = 60.0


class GroundswellGroup(click.Group):
    """A click group that turns every error a user can cause into one line and exit code 1, and
    lets `--db` follow any command as well as precede it."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except GroundswellError as error:
            raise click.ClickException(str(error)) from None
        except DatabaseError as error:
            raise click.ClickException(f"database error: {error}") from None
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; everything stored so far is kept") from None

    def get_command(self, ctx, name):
        command = super().get_command(ctx, name)
        if command is not None:
            _accept_db_after(command)
        return command


def _use_db(ctx: click.Context, param, value) -> None:
    if value is not None:
        ctx.ensure_object(Context).use_db(value)


def _accept_db_after(command: click.Command) -> None:
    """Give a command (and every command under it) its own `--db`, so `groundswell campaign list
    --db x.db` means what `groundswell --db x.db campaign list` does."""
    if not any(param.name == "db_after_command" for param in command.params):
        command.params.append(click.Option(
            ["--db", "db_after_command"], metavar="PATH", expose_value=False, is_eager=True, callback=_use_db,
            help="SQLite database file (as `groundswell --db PATH ...`)."))
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            _accept_db_after(sub)


class Context:
    """What every command shares: the database path and settings; the store opens on first use.

    Only the commands that make a database (`init`, `demo`, `demo load`) create a missing file;
    every other command says which file it looked for and how to make one.
    """

    def __init__(self, db: str | None = None):
        self._store: Store | None = None
        self.may_create = False
        self.use_db(db)

    def use_db(self, db: str | os.PathLike | None) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        self.db_path = resolve_db_path(db)
        self.settings = Settings.from_env(self.db_path)

    @property
    def store(self) -> Store:
        if self._store is None:
            # Pseudonyms on and no key is one line, before anything is stored under no key at all.
            self.settings.check_pseudonym_key()
            self._store = Store.open(self.db_path, create=self.may_create)
        return self._store

    def creating_store(self) -> Store:
        """The store, creating the database when it does not exist (init and demo only)."""
        self.may_create = True
        return self.store


pass_context = click.make_pass_decorator(Context)


def streamlit_command(port: int, address: str) -> list[str]:
    command = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.port", str(port),
               "--server.address", address]
    for name, value in STREAMLIT_SETTINGS.items():
        command += [f"--{name}", value]
    return command


def streamlit_environment(db_path: Path) -> dict[str, str]:
    env = {**os.environ, "GROUNDSWELL_DB": str(db_path.resolve())}
    for name, value in STREAMLIT_SETTINGS.items():
        section, option = name.split(".")
        snake = "".join(f"_{c}" if c.isupper() else c for c in option).upper()
        env[f"STREAMLIT_{section.upper()}_{snake}"] = value
    return env


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = HEALTH_TIMEOUT) -> bool:
    """Poll Streamlit's health endpoint until it answers ok; False if the process ends or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.read().decode().strip() == "ok":
                    return True
        except OSError:
            pass
        time.sleep(0.25)
    return False


def run_dashboard(obj: Context, *, port: int, open_browser: bool, address: str = "127.0.0.1") -> None:
    """Serve the dashboard until Ctrl-C or SIGTERM; open the browser once it answers.

    Streamlit always runs headless: its own browser opening goes with an email prompt that stops
    a first run in a terminal and ends it without one.
    """
    obj.store.migrate()  # the dashboard reads a current schema
    local = "127.0.0.1" if address in ("0.0.0.0", "::", "") else address
    url = f"http://{'[' + local + ']' if ':' in local else local}:{port}"
    process = subprocess.Popen(streamlit_command(port, address), env=streamlit_environment(obj.db_path),
                               stdin=subprocess.DEVNULL)

    def stop(signum, frame):
        raise KeyboardInterrupt  # SIGTERM stops the dashboard as Ctrl-C does

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if wait_until_healthy(url, process):
            click.echo(f"dashboard on {url} (Ctrl-C stops it)")
            if open_browser and not webbrowser.open(url):
                click.echo(f"no browser found here; open {url} in one")
        elif process.poll() is None:
            click.echo(f"the dashboard has not answered on {url} after {HEALTH_TIMEOUT:.0f} s; still waiting")
        code = process.wait()
        if code:
            raise GroundswellError(f"the dashboard stopped with exit code {code} (is port {port} in use?)")
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def table(rows: list[tuple[str, ...]]) -> None:
    # Cells may hold what others wrote (post text, handles): a terminal escape in one is shown, not obeyed.
    rows = [tuple(visible_controls(str(cell)) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
