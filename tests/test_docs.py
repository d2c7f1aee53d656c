"""Every command is documented: help with an Example, and a mention in the README."""

from pathlib import Path

import click

from groundswell.cli import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def commands(group: click.Group, prefix=()):
    for name, command in group.commands.items():
        path = (*prefix, name)
        yield path, command
        if isinstance(command, click.Group):
            yield from commands(command, path)


def test_every_command_has_help_with_an_example():
    missing = [" ".join(path) for path, command in commands(cli)
               if "Example:" not in (command.help or "")]
    assert missing == []


def test_every_command_is_in_the_readme():
    missing = [" ".join(path) for path, command in commands(cli)
               if not isinstance(command, click.Group) and f"groundswell {' '.join(path)}" not in README]
    assert missing == []


def test_the_readme_opens_with_the_two_commands():
    opening = README[:1500]
    assert "groundswell demo" in opening and "pytest" in opening


def test_each_metric_is_defined_in_the_readme_as_in_the_code():
    from campaigns.metrics import DEFINITIONS

    section = README[README.index("## What each number means"):]
    section = section[:section.index("\n## ", 4)]
    rows = [line for line in section.splitlines() if line.startswith("| ") and not line.startswith("| metric")]
    assert rows == [f"| {name} | {text} |" for name, text in DEFINITIONS]
