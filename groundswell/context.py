"""What every command shares: the click group's error handling, the context, tables, the dashboard launch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from campaigns.errors import GroundswellError
from campaigns.exports import visible_controls
from campaigns.settings import Settings, resolve_db_path
from campaigns.store import DatabaseError, Store


class GroundswellGroup(click.Group):
    """A click group that turns every error a user can cause into one line and exit code 1."""

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


class Context:
    """What every command shares: the database path and settings; the store opens on first use."""

    def __init__(self, db: str | None):
        self.db_path = resolve_db_path(db)
        self.settings = Settings.from_env(self.db_path)
        self._store: Store | None = None

    @property
    def store(self) -> Store:
        if self._store is None:
            # Pseudonyms on and no key is one line, before anything is stored under no key at all.
            self.settings.check_pseudonym_key()
            self._store = Store.open(self.db_path)
        return self._store


pass_context = click.make_pass_decorator(Context)


def run_dashboard(obj: Context, *, port: int, open_browser: bool, address: str = "127.0.0.1") -> None:
    import subprocess

    obj.store.migrate()  # the dashboard reads a current schema
    app = Path(__file__).resolve().parent.parent / "dashboard" / "streamlit_app.py"
    env = {**os.environ, "GROUNDSWELL_DB": str(obj.db_path.resolve())}
    command = [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
               "--server.address", address, "--server.headless", str(not open_browser).lower(),
               "--browser.gatherUsageStats", "false", "--client.toolbarMode", "minimal"]
    click.echo(f"dashboard on http://{address}:{port} (Ctrl-C stops it)")
    try:
        subprocess.run(command, env=env, check=False)
    except KeyboardInterrupt:
        pass


def table(rows: list[tuple[str, ...]]) -> None:
    # Cells may hold what others wrote (post text, handles): a terminal escape in one is shown, not obeyed.
    rows = [tuple(visible_controls(str(cell)) for cell in row) for row in rows]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        click.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
