"""The shipped Collector configurations are well-formed and wire their pipelines completely."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

COLLECTOR = Path(__file__).resolve().parents[2] / "collector"
CONFIGS = sorted(COLLECTOR.glob("*/otelcol.yaml"))


def _load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_there_is_a_config_with_a_readme_for_tee_loadbalancing_and_redaction() -> None:
    assert {p.parent.name for p in CONFIGS} == {"tee", "loadbalancing", "redaction"}
    index = (COLLECTOR / "README.md").read_text()
    for path in CONFIGS:
        assert f"`{path.parent.name}/`" in index
        assert (path.parent / "README.md").read_text().startswith("# ")


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.parent.name)
def test_every_pipeline_component_is_defined_and_traces_and_logs_flow(path: Path) -> None:
    config = _load(path)
    pipelines = config["service"]["pipelines"]
    assert {"traces", "logs"} <= set(pipelines)
    for pipeline in pipelines.values():
        for kind in ("receivers", "processors", "exporters"):
            for name in pipeline.get(kind, []):
                assert name in (config.get(kind) or {}), f"{path.name}: {kind} {name} undefined"
    receiver = config["receivers"]["otlp"]["protocols"]
    assert receiver["grpc"]["endpoint"].startswith("127.0.0.1:")


def test_loadbalancing_routes_on_the_session_attributes_otel_replay_reads() -> None:
    from otel_replay.semconv.keys import DEFAULT_SESSION_KEYS

    exporter = _load(COLLECTOR / "loadbalancing" / "otelcol.yaml")["exporters"]["loadbalancing"]
    assert exporter["routing_key"] == "attributes"
    assert exporter["routing_attributes"] == list(DEFAULT_SESSION_KEYS[:2])
    assert "authorization" in exporter["protocol"]["otlp"]["headers"]


def test_redaction_masks_api_keys_and_card_numbers() -> None:
    import re

    processor = _load(COLLECTOR / "redaction" / "otelcol.yaml")["processors"]["redaction"]
    patterns = [re.compile(p) for p in processor["blocked_values"]]
    for secret in ("sk-abcdefghijklmnopqrstuvwx", "4111111111111111", "ana@example.com"):
        assert any(p.search(f"my value is {secret} ok") for p in patterns), secret
    assert not any(p.search("order 123 is late") for p in patterns)
