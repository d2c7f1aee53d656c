"""Dashboard accounts: add, remove, list, and change passwords (argon2-hashed, never echoed)."""

from __future__ import annotations

import os

import click

from campaigns.access import ROLES
from groundswell.context import Context, pass_context, table


def _password(confirm: bool = True) -> str:
    """The new password: from GROUNDSWELL_NEW_PASSWORD (scripts), else typed twice, hidden."""
    given = os.environ.get("GROUNDSWELL_NEW_PASSWORD")
    if given:
        return given
    return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)


@click.group()
def user():
    """Dashboard accounts and their roles.

    With any account, the dashboard asks everyone to log in; it always does when it listens
    beyond localhost. Roles: coordinator (everything), organiser (listening, planner, reports),
    safety (the Safety desk), volunteer (their own assignments only).

    Example: groundswell user add sam --role organiser
    """


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--volunteer", "volunteer_id", type=int, help="For a volunteer account: the volunteer's id.")
@pass_context
def user_add(obj: Context, name, role, volunteer_id):
    """Add an account; the password is asked for (or read from GROUNDSWELL_NEW_PASSWORD).

    Example: groundswell user add sam --role organiser
    """
    added = obj.store.add_user(name, role, _password(), volunteer_id=volunteer_id)
    click.echo(f"added {added.name} as {added.role}")


@user.command("remove")
@click.argument("name")
@pass_context
def user_remove(obj: Context, name):
    """Remove an account.

    Example: groundswell user remove sam
    """
    obj.store.remove_user(name)
    click.echo(f"removed {name}")


@user.command("list")
@pass_context
def user_list(obj: Context):
    """List the accounts and their roles.

    Example: groundswell user list
    """
    users = obj.store.users()
    if not users:
        click.echo("no accounts: the dashboard is open on localhost only (add one with: groundswell user add)")
        return
    table([("name", "role", "volunteer"), *[(u.name, u.role, str(u.volunteer_id or "")) for u in users]])


@user.command("passwd")
@click.argument("name")
@pass_context
def user_passwd(obj: Context, name):
    """Set a new password for an account.

    Example: groundswell user passwd sam
    """
    obj.store.set_password(name, _password())
    click.echo(f"password changed for {name}")


COMMANDS = (user,)
