"""Commands that rebuild conversations: `session` and `scenario`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from otel_replay.app.conversations import (
    load_conversation,
    session_scenario,
    session_trace_scenarios,
    trace_scenarios,
)
from otel_replay.cli.options import (
    console,
    grouping_options,
    grouping_policy,
    json_option,
    open_cli_store,
    print_json,
    store_option,
)
from otel_replay.cli.render import conversation_view
from otel_replay.core.errors import BadInputError
from otel_replay.session.grouping import GroupingPolicy
from otel_replay.store.base import SpanStore

if TYPE_CHECKING:
    from otel_replay.simulate.model_client import UserModel
from otel_replay.scenario.files import dump_scenario, read_scenario, write_graph, write_scenario
from otel_replay.scenario.model import Scenario
from otel_replay.session.graph import build_conversation_graph
from otel_replay.session.summary import conversation_to_json


@click.command()
@click.argument("session_id")
@store_option
@json_option
@click.option(
    "--graph",
    "graph_file",
    type=click.Path(dir_okay=False),
    default=None,
    help="Also write the conversation graph: .json (node-link), .graphml or .dot.",
)
@grouping_options
def session(
    session_id: str,
    store_url: str,
    as_json: bool,
    graph_file: str | None,
    group_by: str,
    idle_gap_minutes: float,
) -> None:
    """Show a session as a conversation: turns, messages, tool calls, latency and tokens."""
    store = open_cli_store(store_url)
    try:
        conversation = load_conversation(
            store, session_id, grouping_policy(group_by, idle_gap_minutes)
        )
    finally:
        store.close()
    if graph_file:
        write_graph(build_conversation_graph(conversation), graph_file)
    if as_json:
        print_json(conversation_to_json(conversation))
        return
    out = console()
    for block in conversation_view(conversation):
        out.print(block)
    if graph_file:
        out.print(f"graph written to {graph_file}")


@click.command()
@click.argument("session_id", required=False)
@click.option(
    "--trace",
    "trace_ids",
    multiple=True,
    help="A trace to write as a one-turn scenario (repeatable).",
)
@click.option(
    "--traces-of", "traces_of", default=None, help="Write one scenario per trace of this session."
)
@click.option(
    "-o",
    "--output",
    type=click.Path(),
    default=None,
    help="File (session scenario) or folder (trace scenarios); default: stdout / current folder.",
)
@click.option(
    "--describe",
    is_flag=True,
    help="Fill the scenario's user section (goal, persona, situation, expected outcome) "
    "with --user-model.",
)
@click.option(
    "--variants",
    type=click.IntRange(1, 100),
    default=None,
    metavar="N",
    help="Write N persona or phrasing variants of the session, one scenario file each, "
    "into the -o folder.",
)
@click.option(
    "--user-model",
    default=None,
    metavar="URL",
    help="OpenAI-compatible endpoint that describes the user and writes the variants.",
)
@click.option(
    "--user-model-name",
    default=None,
    metavar="NAME",
    help="Model name sent to --user-model (default: $OTEL_REPLAY_USER_MODEL_NAME, gpt-4o-mini).",
)
@store_option
@grouping_options
def scenario(
    session_id: str | None,
    trace_ids: tuple[str, ...],
    traces_of: str | None,
    output: str | None,
    describe: bool,
    variants: int | None,
    user_model: str | None,
    user_model_name: str | None,
    store_url: str,
    group_by: str,
    idle_gap_minutes: float,
) -> None:
    """Write a graph scenario file for a session, or one per trace for bulk replay."""
    chosen = sum(bool(x) for x in (session_id, trace_ids, traces_of))
    if chosen != 1:
        raise BadInputError(
            "give exactly one of SESSION_ID, --trace TRACE_ID..., --traces-of SESSION_ID"
        )
    if (describe or variants) and not session_id:
        raise BadInputError("--describe and --variants work on a SESSION_ID (or scenario file)")
    if (describe or variants) and not user_model:
        raise BadInputError("--describe and --variants need --user-model URL")
    policy = grouping_policy(group_by, idle_gap_minutes)
    store = open_cli_store(store_url)
    try:
        if session_id:
            made = _session_or_file(store, session_id, policy)
            if describe or variants:
                from otel_replay.simulate.describe import describe_user
                from otel_replay.simulate.model_client import UserModel

                model = UserModel.at(user_model or "", user_model_name)
                if describe:
                    made = describe_user(made, model)
                if variants:
                    _write_variants(made, variants, model, Path(output or "."))
                    return
            if output:
                write_scenario(made, output)
                click.echo(f"wrote {output} ({len(made.turns)} turn(s))")
            else:
                click.echo(dump_scenario(made), nl=False)
            return
        scenarios = (
            trace_scenarios(store, [t.lower() for t in trace_ids])
            if trace_ids
            else session_trace_scenarios(store, traces_of or "", policy)
        )
    finally:
        store.close()
    folder = Path(output or ".")
    folder.mkdir(parents=True, exist_ok=True)
    for made in scenarios:
        path = folder / f"trace-{made.source.trace_ids[0]}.scenario.json"
        write_scenario(made, path)
        click.echo(f"wrote {path}")


def _session_or_file(store: SpanStore, session_id: str, policy: GroupingPolicy) -> Scenario:
    """A scenario file named instead of a session (to describe it, or write its variants)."""
    if session_id.endswith(".json") and Path(session_id).is_file():
        return read_scenario(session_id)
    return session_scenario(store, session_id, policy)


def _write_variants(made: Scenario, count: int, model: UserModel, folder: Path) -> None:
    from otel_replay.simulate.describe import variant_file_name, write_variants

    folder.mkdir(parents=True, exist_ok=True)
    for variant in write_variants(made, count, model):
        path = folder / variant_file_name(variant)
        write_scenario(variant, path)
        persona = variant.user.persona if variant.user else ""
        click.echo(f"wrote {path} ({len(variant.turns)} turn(s)): {persona}")


COMMANDS = [session, scenario]
