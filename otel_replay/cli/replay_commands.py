"""Commands that replay: `replay` and `runs`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.progress import Progress

from otel_replay.app.models import LlmMode
from otel_replay.app.replaying import (
    Simulation,
    check_cases_free,
    replay_scenarios,
    save_cases,
)
from otel_replay.app.reports import check_report_path, run_reports, write_reports
from otel_replay.app.targets import AgentRef, ReplayMode, resolve_run, resolve_scenarios
from otel_replay.audio.attach import attach_synthesized_audio
from otel_replay.audio.replaying import find_pipeline_factory, replay_scenarios_with_audio
from otel_replay.audio.sides import audio_folder
from otel_replay.audio.tier import AudioReplay
from otel_replay.cli.options import (
    console,
    json_option,
    open_cli_store,
    print_json,
    report_option,
    store_option,
)
from otel_replay.cli.render import replay_table
from otel_replay.cli.tables import format_time
from otel_replay.core.runs import AfterDivergence, HistoryMode, ReplayRun
from otel_replay.diff.trials import flag_differences, summarise_trials
from otel_replay.replay.matchers import ToolMatchMode
from otel_replay.replay.runner import ReplayOptions
from otel_replay.report.text import describe_noise_check
from otel_replay.simulate.model_client import UserModel
from otel_replay.simulate.user import DEFAULT_MAX_TURNS


def _enum_choice(values: list[str]) -> click.Choice[str]:
    return click.Choice(values, case_sensitive=False)


@click.command()
@click.argument("target", metavar="SCENARIO_FILE|SESSION_ID")
@click.option(
    "--agent", default=None, help="Python agent as MODULE:ATTR (current folder importable)."
)
@click.option("--agent-url", default=None, help="OpenAI-compatible /v1/chat/completions endpoint.")
@click.option(
    "--model", default=None, help="Model name sent to --agent-url (default: the recorded one)."
)
@click.option(
    "--history",
    type=_enum_choice([m.value for m in HistoryMode]),
    default="replayed",
    show_default=True,
    help="Earlier answers shown to the agent: its own, or the recorded ones.",
)
@click.option(
    "--tool-mode",
    type=_enum_choice([m.value for m in ToolMatchMode]),
    default="strict",
    show_default=True,
    help="strict: name and arguments must match; lenient: name and order.",
)
@click.option("--live-tools", default="", help="Comma-separated read-only tools that run for real.")
@click.option(
    "--seal",
    "seal",
    multiple=True,
    metavar="MODULE:FUNCTION",
    help="Also seal this function (repeatable); framework tools are sealed already.",
)
@click.option(
    "--turn-timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds a turn may take; a later turn is marked timed out and the replay goes on.",
)
@click.option(
    "--llm",
    type=_enum_choice([m.value for m in LlmMode]),
    default="live",
    show_default=True,
    help="Model answers: live provider, the recording only, or recorded with misses live.",
)
@click.option(
    "--llm-upstream",
    default=None,
    metavar="URL",
    help="Provider base URL for --llm hybrid misses (default: OpenAI's and Anthropic's).",
)
@click.option(
    "--mode",
    type=_enum_choice(["session", "trace"]),
    default="session",
    show_default=True,
    help="trace: replay each trace as an independent one-turn conversation.",
)
@click.option("--concurrency", type=click.IntRange(1, 64), default=4, show_default=True)
@click.option(
    "--trials",
    type=click.IntRange(1, 100),
    default=1,
    show_default=True,
    help="Replay each scenario N times and report the run-to-run spread (the agent's noise).",
)
@click.option(
    "--save",
    "save_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Save each replay as a regression case (scenario, baseline, expectations, cassette).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --save: replace a case already saved there (its approved baseline).",
)
@click.option(
    "--after-divergence",
    type=_enum_choice([m.value for m in AfterDivergence]),
    default="continue",
    show_default=True,
    help="Once a turn's tool calls or reply differ from the recording: send the recorded "
    "turns anyway, stop, or let a simulated user (--user-model) carry on.",
)
@click.option(
    "--user-model",
    default=None,
    metavar="URL",
    help="OpenAI-compatible endpoint of the simulated user (also the outcome judge).",
)
@click.option(
    "--user-model-name",
    default=None,
    metavar="NAME",
    help="Model name sent to --user-model (default: $OTEL_REPLAY_USER_MODEL_NAME, gpt-4o-mini).",
)
@click.option(
    "--max-turns",
    type=click.IntRange(1, 200),
    default=DEFAULT_MAX_TURNS,
    show_default=True,
    help="With simulate: most turns a conversation may reach, recorded and simulated.",
)
@click.option(
    "--outcome-judge",
    default=None,
    metavar="URL",
    envvar="OTEL_REPLAY_OUTCOME_JUDGE",
    help="Endpoint that checks each scenario's expected outcome (default: "
    "$OTEL_REPLAY_OUTCOME_JUDGE, else --user-model); kept in cases --save writes.",
)
@click.option(
    "--audio",
    is_flag=True,
    help="Give the replay a voice (the voice extra): a Pipecat pipeline factory "
    "(MODULE:ATTR taking one `transport`) is played the user's audio and heard back; "
    "any other agent's replies are spoken offline. Files go beside --report.",
)
@click.option(
    "--audio-timing",
    type=click.Choice(["turns", "timeline"]),
    default="turns",
    show_default=True,
    help="With --audio and a Pipecat agent: each user turn once the agent has answered "
    "(turns), or at its recorded offset, talking over the agent as the caller did (timeline).",
)
@report_option
@store_option
@json_option
def replay(
    target: str,
    agent: str | None,
    agent_url: str | None,
    model: str | None,
    history: str,
    tool_mode: str,
    live_tools: str,
    seal: tuple[str, ...],
    turn_timeout: float | None,
    llm: str,
    llm_upstream: str | None,
    mode: str,
    concurrency: int,
    trials: int,
    save_dir: str | None,
    force: bool,
    after_divergence: str,
    user_model: str | None,
    user_model_name: str | None,
    max_turns: int,
    outcome_judge: str | None,
    audio: bool,
    audio_timing: str,
    report_file: str | None,
    store_url: str,
    as_json: bool,
) -> None:
    """Replay a scenario (or a stored session) against your agent, linked to the original."""
    if report_file:
        check_report_path(report_file)  # a bad extension fails before the replay, not after
    pipeline = find_pipeline_factory(agent) if audio else None
    if pipeline is not None and agent is not None:
        timeline = audio_timing == "timeline"
        _replay_audio(
            target, agent, pipeline, ReplayMode(mode), report_file, store_url, as_json, timeline
        )
        return
    if audio_timing != "turns":
        raise click.UsageError("--audio-timing needs --audio with a Pipecat pipeline agent")
    if audio and not report_file:
        raise click.UsageError("--audio speaks a text agent's replies for a report: add --report")
    options = ReplayOptions(
        history=HistoryMode(history),
        tool_mode=ToolMatchMode(tool_mode),
        live_tools=frozenset(t.strip() for t in live_tools.split(",") if t.strip()),
        turn_timeout=turn_timeout,
    )
    agent_ref = AgentRef.parse(agent, agent_url, model, turn_timeout)
    judge = outcome_judge or user_model
    simulation = Simulation(
        AfterDivergence(after_divergence),
        UserModel.at(user_model, user_model_name) if user_model else None,
        max_turns,
        UserModel.at(judge, user_model_name) if judge else None,
    )
    store = open_cli_store(store_url)
    try:
        scenarios = resolve_scenarios(store, target, ReplayMode(mode))
        if save_dir is not None and not force:
            check_cases_free(scenarios, Path(save_dir))  # refused before anything runs
        with Progress(
            console=console(),
            transient=True,
            disable=as_json or len(scenarios) < 2 or not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("replaying", total=len(scenarios))
            outcome = replay_scenarios(
                store,
                scenarios,
                agent_ref,
                options,
                concurrency=concurrency,
                trials=trials,
                llm=LlmMode(llm),
                llm_upstream=llm_upstream,
                seal=seal,
                on_run=lambda _run: bar.advance(task),
                simulation=simulation,
            )
        if report_file:
            reports = run_reports(store, outcome.runs, outcome.trials)
            if audio:  # the replies spoken beside the recording
                reports = attach_synthesized_audio(store, outcome.runs, reports, Path(report_file))
            write_reports(reports, report_file)
        saved = (
            save_cases(
                outcome, Path(save_dir), options, store=store, force=force, outcome_judge=judge
            )
            if save_dir is not None
            else []
        )
    finally:
        store.close()
    _print_runs(outcome.runs, as_json)
    if outcome.trials and not as_json:
        for run in outcome.runs:
            _print_trials(outcome.trials[run.run_id])
    for folder in saved:
        click.echo(f"saved regression case {folder}", err=as_json)
    if outcome.interrupted:
        click.echo("interrupted: the finished turns are stored with the run", err=True)
    if not outcome.passed:
        sys.exit(1)


def _replay_audio(
    target: str,
    agent: str,
    pipeline: Callable[[Any], Any],
    mode: ReplayMode,
    report_file: str | None,
    store_url: str,
    as_json: bool,
    timeline: bool = False,
) -> None:
    """The audio tier: each scenario played as sound into the Pipecat agent, heard back."""
    base = Path(report_file).parent if report_file else Path("otel-replay-audio")
    folder = audio_folder(Path(report_file)) if report_file else base
    store = open_cli_store(store_url)
    try:
        replays = replay_scenarios_with_audio(
            store,
            resolve_scenarios(store, target, mode),
            pipeline,
            agent=agent,
            folder=folder,
            report_base=base,
            timeline=timeline,
        )
    finally:
        store.close()
    if report_file:
        write_reports([r.report for r in replays], report_file)
    if as_json:
        print_json([_audio_json(r) for r in replays])
        return
    out = console()
    for replay in replays:
        out.print(f"{replay.scenario}: heard from the agent's audio", markup=False)
        for turn in replay.heard.turns:
            latency = (
                f"{turn.agent_start_ms - turn.user_end_ms:.0f} ms"
                if turn.agent_start_ms is not None
                else "no answer"
            )
            out.print(f"  turn {turn.number} [{latency}] {turn.agent_text or ''}", markup=False)
        m = replay.metrics
        out.print(
            f"  agent latency p50 {m.agent_latency_ms_p50} ms · agent wpm {m.agent_wpm} · "
            f"user wpm {m.user_wpm} · interruptions {m.user_interruptions} by the user, "
            f"{m.agent_interruptions} by the agent · call audio {replay.call_wav}",
            markup=False,
        )


def _audio_json(replay: AudioReplay) -> dict[str, Any]:
    return {
        "scenario": replay.scenario,
        "user_audio": replay.user_audio,
        "call_audio": str(replay.call_wav),
        "turns": [turn.__dict__ for turn in replay.heard.turns],
        "metrics": {k: v for k, v in replay.metrics.__dict__.items() if k != "turns"},
    }


def _print_trials(runs: list[ReplayRun]) -> None:
    """Per turn, how stable the tool sequence was and which metrics moved beyond noise."""
    summary = summarise_trials(runs)
    out = console()
    out.print(f"{summary.trials} trials of {summary.scenario}:", markup=False)
    for stability in summary.tool_sequences:
        counts = ", ".join(
            f"[{' '.join(c.sequence) or 'no tools'}] x{c.trials}" for c in stability.counts
        )
        verdict = "stable" if stability.stable else "varies"
        out.print(f"  turn {stability.turn + 1}: tools {verdict}: {counts}", markup=False)
    for check in flag_differences(summary):
        if check.beyond_noise:
            out.print(f"  {describe_noise_check(check)}", markup=False)


def _describe_watch(run: ReplayRun) -> str:
    """`after divergence: simulate · first divergent turn 2 (...) · 3 simulated turn(s) ·
    ended: goal met`."""
    watch = run.divergence
    assert watch is not None
    parts = [f"after divergence: {watch.after_divergence.value}"]
    if watch.divergent_turn is None:
        parts.append("no divergent turn")
    else:
        parts.append(f"first divergent turn {watch.divergent_turn + 1} ({watch.reason})")
    if watch.simulated_turns:
        parts.append(f"{watch.simulated_turns} simulated turn(s) by {watch.user_model}")
    parts.append(f"ended: {watch.ended_by.value.replace('_', ' ')}")
    if watch.error:
        parts.append(watch.error)
    return " · ".join(parts)


def _print_runs(runs: list[ReplayRun], as_json: bool) -> None:
    if as_json:
        data = [r.model_dump(mode="json") for r in runs]
        print_json(data[0] if len(data) == 1 else data)
        return
    out = console()
    for run in runs:
        out.print(replay_table(run))
        scores = run.scores
        if scores:
            failed = [s for s in scores if not s.passed]
            out.print(
                f"expectations: {len(scores) - len(failed)} passed, {len(failed)} failed",
                markup=False,
            )
            for score in failed:
                where = f"turn {score.turn + 1}" if score.turn is not None else "session"
                out.print(f"  {where}: {score.evaluator}: {score.detail}", markup=False)
        if run.divergence is not None:
            out.print(_describe_watch(run), markup=False)
        out.print(
            f"run id {run.run_id} · replayed session {run.session_id} · trace {run.trace_ids[0]}"
        )


@click.command()
@store_option
@json_option
@click.option("--limit", type=click.IntRange(1), default=50, show_default=True)
@click.argument("run_id", required=False)
def runs(store_url: str, as_json: bool, limit: int, run_id: str | None) -> None:
    """List replay runs, newest first, or show one run."""
    store = open_cli_store(store_url)
    try:
        if run_id:
            _print_runs([resolve_run(store, run_id)], as_json)
            return
        records = store.list_runs(limit)
    finally:
        store.close()
    if as_json:
        print_json([{k: v for k, v in r.__dict__.items() if k != "result_json"} for r in records])
        return
    from rich.table import Table

    table = Table(title=f"{len(records)} replay run(s)")
    for column in (
        "run id",
        "scenario",
        "original session",
        "replay session",
        "agent",
        "status",
        "started",
    ):
        table.add_column(column, overflow="fold")
    for r in records:
        table.add_row(
            r.run_id,
            r.scenario_name,
            r.original_session_id,
            r.session_id,
            r.agent,
            r.status,
            format_time(r.started_unix_nano),
        )
    console().print(table)


COMMANDS = [replay, runs]
