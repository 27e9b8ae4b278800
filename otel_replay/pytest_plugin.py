"""pytest plugin: every regression case folder saved by `replay --save` is collected as a test.

    pytest otel-replay-cases/ --otel-replay-agent my_app.agent:answer

or set `otel_replay_agent` (and optionally `otel_replay_store`) in the ini file. A failure
shows the failing turn, what was expected, what happened and the tool-call diff.

Cases replay as `otel-replay test` runs them (`otel_replay.app.cases.CaseRunner`): against
the model stand-in serving each case's cassette, `--otel-replay-llm hybrid` by default. Under
pytest-xdist every worker has its own stand-in and, unless a store is named, its own store.

The plugin is registered through the `pytest11` entry point, so it loads in every pytest run of
every project that installs otel-replay. It therefore imports nothing of otel-replay until a
case folder is found, and it collects a `case.json` only when the file names the regression-case
kind that `replay --save` writes; any other `case.json` is left alone.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from otel_replay.app.cases import CaseRunner
    from otel_replay.regression.check import CaseResult
    from otel_replay.regression.files import LoadedCase
    from otel_replay.store import SqlSpanStore

# otel_replay.regression.model.CASE_FILE, spelled out so that pytest's look at every file of a
# project imports nothing (tests/regression/test_pytest_plugin.py checks the two agree).
CASE_FILE_NAME = "case.json"

_STORE_KEY = pytest.StashKey["SqlSpanStore"]()
_RUNNER_KEY = pytest.StashKey["CaseRunner"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("otel-replay", "otel-replay regression cases")
    group.addoption("--otel-replay-agent", default=None, help="Agent under test as MODULE:ATTR.")
    group.addoption(
        "--otel-replay-store",
        default=None,
        help="Store URL for the replays (default: a temp SQLite).",
    )
    group.addoption(
        "--otel-replay-llm",
        default=None,
        choices=["live", "recorded", "hybrid"],
        help="Model answers: the cassette with misses live (hybrid, default), the cassette "
        "only, or the live provider.",
    )
    group.addoption(
        "--otel-replay-outcome-judge",
        default=None,
        metavar="URL",
        help="OpenAI-compatible endpoint that checks each case's expected outcome (default: "
        "$OTEL_REPLAY_OUTCOME_JUDGE, else the case's outcome_judge).",
    )
    parser.addini("otel_replay_agent", "Agent under test as MODULE:ATTR.", default=None)
    parser.addini("otel_replay_store", "Store URL for the replays.", default=None)
    parser.addini("otel_replay_llm", "live, recorded or hybrid (default).", default=None)
    parser.addini(
        "otel_replay_outcome_judge", "Endpoint that checks expected outcomes.", default=None
    )


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.name != CASE_FILE_NAME:
        return None
    from otel_replay.regression.files import is_case_file

    if not is_case_file(file_path):
        return None
    return RegressionCaseFile.from_parent(parent, path=file_path)


def _setting(config: pytest.Config, name: str) -> str | None:
    option = f"--otel-replay-{name.replace('_', '-')}"
    value = config.getoption(option) or config.getini(f"otel_replay_{name}")
    return str(value) if value else None


def _store(config: pytest.Config) -> SqlSpanStore:
    if _STORE_KEY not in config.stash:
        from otel_replay.store import open_store

        url = _setting(config, "store") or f"sqlite:///{Path(tempfile.mkdtemp()) / 'replays.db'}"
        config.stash[_STORE_KEY] = open_store(url)
    return config.stash[_STORE_KEY]


def _runner(config: pytest.Config) -> CaseRunner:
    if _RUNNER_KEY not in config.stash:
        from otel_replay.app.cases import CaseRunner, CaseTestSettings
        from otel_replay.app.models import LlmMode

        settings = CaseTestSettings(
            agent=_setting(config, "agent"),
            llm=LlmMode(_setting(config, "llm") or LlmMode.HYBRID.value),
            search_path=str(config.rootpath),
            outcome_judge=_setting(config, "outcome_judge"),
        )
        config.stash[_RUNNER_KEY] = CaseRunner(_store(config), settings)
    return config.stash[_RUNNER_KEY]


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUNNER_KEY in config.stash:
        config.stash[_RUNNER_KEY].close()
    if _STORE_KEY in config.stash:
        config.stash[_STORE_KEY].close()


class CaseFailedError(Exception):
    def __init__(self, result: CaseResult) -> None:
        super().__init__(result.describe())
        self.result = result


class RegressionCaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        from otel_replay.regression.files import load_case

        loaded = load_case(self.path.parent)
        yield RegressionCaseItem.from_parent(self, name=loaded.name, loaded=loaded)


class RegressionCaseItem(pytest.Item):
    def __init__(self, *, loaded: LoadedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.loaded = loaded

    def runtest(self) -> None:
        config = self.config
        if (_setting(config, "agent") or self.loaded.case.agent) is None:
            raise pytest.UsageError(
                f"{self.loaded.folder}: no agent: pass --otel-replay-agent or set otel_replay_agent"
            )
        result = _runner(config).run(self.loaded).result
        outcome = result.outcome_line()
        if outcome is not None:  # shown per case: `-rA`, JUnit properties
            self.user_properties.append(("otel_replay_outcome", outcome))
            self.add_report_section("call", "otel-replay", outcome)
        if not result.passed:
            raise CaseFailedError(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, CaseFailedError):
            return excinfo.value.result.describe()
        return str(super().repr_failure(excinfo, style=style))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        return self.path, None, f"otel-replay case {self.name}"
