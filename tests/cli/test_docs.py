"""Every command is documented: it has help text and an example in README."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from otel_replay.cli.main import COMMAND_TABLE, cli, load_command

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
COMMANDS = cli.list_commands(click.Context(cli))


def test_readme_opens_with_a_two_command_quick_start_in_a_virtual_environment() -> None:
    quick = README.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    lines = [line for line in quick.strip().splitlines() if line.strip()]
    commands = [line.split(" #", 1)[0].strip() for line in lines]
    assert len(commands) == 2
    # PEP 668: a system Python may refuse `pip install`, so both commands make or reuse a venv.
    venv = "python3 -m venv .venv && . .venv/bin/activate && "
    assert commands[0].startswith(venv + "pip install")
    assert commands[0].endswith("&& otel-replay demo")
    assert commands[1] == venv + "./scripts/test"
    ci = (Path(__file__).resolve().parents[2] / ".ci" / "run").read_text()
    assert "./scripts/test" in ci


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_help_and_a_readme_example(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    summary = result.output.split("\n\n", 2)[1].strip()
    assert len(summary) > 20, f"{name} has no real help text"
    assert re.search(rf"`otel-replay {re.escape(name)}\b", README), f"{name} has no README example"


@pytest.mark.parametrize("name", COMMANDS)
def test_command_table_lists_each_command_with_the_first_sentence_of_its_help(name: str) -> None:
    command = load_command(name)
    first_sentence = click.Command(name, help=command.help).get_short_help_str(limit=1000)
    assert COMMAND_TABLE[name].summary == first_sentence, (
        f"update COMMAND_TABLE[{name!r}] in otel_replay/cli/main.py to {first_sentence!r}"
    )


def test_every_command_module_command_is_in_the_table() -> None:
    modules = {entry.module for entry in COMMAND_TABLE.values()}
    for module in modules:
        for command in importlib.import_module(module).COMMANDS:
            assert COMMAND_TABLE[command.name].module == module


def test_help_lists_every_command_with_its_summary() -> None:
    result = CliRunner().invoke(cli, ["--help"], terminal_width=200)
    assert result.exit_code == 0
    for name, entry in COMMAND_TABLE.items():
        assert f"{name} " in result.output and entry.summary in result.output
