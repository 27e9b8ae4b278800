"""`otel-replay model`: serve a recording's model answers for an agent run by hand."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click


@click.command()
@click.argument("target", metavar="SCENARIO_FILE|CASE_DIR")
@click.option("--port", type=click.IntRange(0, 65535), default=0, help="Port (0: any free one).")
@click.option(
    "--llm",
    type=click.Choice(["recorded", "hybrid"], case_sensitive=False),
    default="recorded",
    show_default=True,
    help="recorded: a changed request is an error; hybrid: it goes to the real provider.",
)
@click.option(
    "--llm-upstream", default=None, metavar="URL", help="Provider base URL for hybrid misses."
)
def model(target: str, port: int, llm: str, llm_upstream: str | None) -> None:
    """Serve a scenario's (or a case's cassette's) recorded model answers on 127.0.0.1."""
    from otel_replay.app.models import LlmMode, serve_recording

    standin = serve_recording(target, mode=LlmMode(llm), port=port, upstream_url=llm_upstream)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    try:
        click.echo(
            f"serving {target} ({llm}) on {standin.base_url}\n"
            f"  export OPENAI_BASE_URL={standin.openai_base_url}\n"
            f"  export ANTHROPIC_BASE_URL={standin.base_url}",
        )
        while not stop.wait(1.0):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        standin.close()
    served = standin.exchanges()
    missed = sum(1 for e in served if e.divergence is not None)
    click.echo(f"served {len(served)} model call(s), {missed} matched no recorded call")


COMMANDS = [model]
