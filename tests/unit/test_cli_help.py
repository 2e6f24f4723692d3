"""`tradebridge <command> --help` explains every command and every option."""

from __future__ import annotations

import argparse

import pytest

from tradebridge.cli import build_parser, main


def _commands() -> dict[str, argparse.ArgumentParser]:
    for action in build_parser()._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    raise AssertionError("tradebridge has no subcommands")


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_command_has_a_description_and_every_option_a_help(name: str) -> None:
    parser = _commands()[name]
    assert parser.description is not None, name
    assert len(parser.description) > 40, name
    for action in parser._actions:
        assert action.help, f"tradebridge {name}: {'/'.join(action.option_strings) or action.dest}"


@pytest.mark.parametrize("name", sorted(_commands()))
def test_help_names_the_command_as_typed(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([name, "--help"])
    assert exited.value.code == 0
    assert capsys.readouterr().out.startswith(f"usage: tradebridge {name} ")


def test_paper_exchange_help_lists_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["paper-exchange", "--help"])
    out = capsys.readouterr().out
    for option in ("--port", "--seed", "--walk-interval"):
        assert option in out
