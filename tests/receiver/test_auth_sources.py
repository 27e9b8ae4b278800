"""The bearer token can stay out of the process list (a file or the environment), and a token
sent in clear text beyond loopback is warned of."""

from __future__ import annotations

from pathlib import Path

import pytest

from otel_replay.cli.ingest_commands import read_auth_token
from otel_replay.core.errors import BadInputError
from otel_replay.otlp.convert import spans_to_request
from otel_replay.receiver.serve import Endpoint, ServeConfig
from tests.builders import make_span
from tests.receiver.clients import post_http
from tests.receiver.serve_process import free_port, running_serve

TOKEN = "file-token-123"


def _body() -> bytes:
    return spans_to_request([make_span(1, 1)]).SerializeToString()


@pytest.mark.parametrize("source", ["file", "environment"])
def test_serve_takes_the_token_from_a_file_or_the_environment_without_warning(
    tmp_path: Path, source: str
) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(f"{TOKEN}\n")
    port = free_port()
    args = ["--grpc", "none", "--http", f"127.0.0.1:{port}"]
    args += ["--store", f"sqlite:///{tmp_path / 'store.db'}"]
    if source == "file":
        args += ["--auth-token-file", str(token_file)]
    env = {"OTEL_REPLAY_AUTH_TOKEN": TOKEN} if source == "environment" else {}
    with running_serve(*args, env=env) as server:
        assert post_http(port, _body()).status == 401
        authorized = {"Authorization": f"Bearer {TOKEN}"}
        assert post_http(port, _body(), headers=authorized).status == 200
        assert server.terminate_and_wait(timeout=30) == 0
        assert server.stderr_text() == ""


def test_a_token_on_the_command_line_is_warned_of(tmp_path: Path) -> None:
    port = free_port()
    with running_serve(
        "--grpc", "none", "--http", f"127.0.0.1:{port}",
        "--store", f"sqlite:///{tmp_path / 'store.db'}", "--auth-token", TOKEN,
    ) as server:  # fmt: skip
        assert server.terminate_and_wait(timeout=30) == 0
        stderr = server.stderr_text()
    assert "visible to other users" in stderr
    assert TOKEN not in stderr


def test_token_file_problems_are_bad_input(tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text(TOKEN)
    assert read_auth_token(None, str(token_file), from_command_line=False) == TOKEN
    with pytest.raises(BadInputError, match="not both"):
        read_auth_token(TOKEN, str(token_file), from_command_line=True)
    with pytest.raises(BadInputError, match="cannot read"):
        read_auth_token(None, str(tmp_path / "missing"), from_command_line=False)
    token_file.write_text("\n")
    with pytest.raises(BadInputError, match="one non-empty line"):
        read_auth_token(None, str(token_file), from_command_line=False)


@pytest.mark.parametrize(
    ("host", "tls", "warned"),
    [("0.0.0.0", False, True), ("0.0.0.0", True, False), ("127.0.0.1", False, False)],
    ids=["open_clear_text", "open_tls", "loopback"],
)
def test_a_token_beyond_loopback_without_tls_is_warned_of(
    host: str, tls: bool, warned: bool
) -> None:
    config = ServeConfig(
        grpc=None,
        http=Endpoint(host, 4318),
        auth_token=TOKEN,
        tls_files=("cert.pem", "key.pem") if tls else None,
    )
    config.check()
    warnings = config.warnings()
    assert len(warnings) == int(warned)
    if warned:
        assert "clear text" in warnings[0]
        assert TOKEN not in warnings[0]
