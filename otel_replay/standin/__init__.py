"""A recorded-model stand-in: serves recorded LLM answers over the providers' HTTP APIs.

A replay needs no model key when the model's answers come from the recording. `StandIn`
serves a scenario's recorded LLM calls on 127.0.0.1, in three wire shapes, streamed when the
request asks (`"stream": true`):

- OpenAI Chat Completions, `POST /v1/chat/completions` (`stream_options.include_usage`
  adds the final usage chunk; tool calls stream as index-keyed argument deltas);
- OpenAI Responses, `POST /v1/responses`;
- Anthropic Messages, `POST /v1/messages`.

    from otel_replay.standin import StandIn, StandInMode

    with StandIn(scenario, mode=StandInMode.RECORDED) as standin:
        env = standin.env()  # OPENAI_BASE_URL, ANTHROPIC_BASE_URL, placeholder keys
        for index in range(len(scenario.turns)):
            standin.set_turn(index)
            ...  # drive the agent's turn, in-process or as a child given `env`
            for exchange in standin.exchanges(index):
                exchange.source  # "recorded", "live" or "unanswered"

How a request is answered: it is normalised from its API's shape into one `LlmRequest`
(messages as role / text / tool calls / tool results, tools, model, parameters) and matched
against the recorded calls of the current turn (`set_turn`) by the named matchers of
`match_on` (default `messages`, `tools`, `model`; `register_matcher` adds more, as vcrpy's
`match_on` does). Equal matches are served in recording order, each once.

- A hit answers the recorded output exactly: text, tool calls (ids, names, arguments),
  usage and finish reason (in each API's vocabulary); logged with source `recorded`.
- A miss, in `recorded` mode: HTTP 400 in the API's error shape, which the SDK raises; its
  message names the closest recorded call and what differed ("no recorded LLM call in turn
  2 matches: closest is call 1 (gpt-4o-mini); system message differs: ..."). Logged as
  `unanswered` with its `Divergence`.
- A miss, in `hybrid` mode: forwarded to the real provider (`Upstream`: base URLs, keys from
  OPENAI_API_KEY / ANTHROPIC_API_KEY as set when the stand-in was made) and its answer
  relayed; logged with source `live` and the `Divergence` that sent it there.

(`live` replays need no stand-in: the agent talks to its provider as it always does.)

Modules: `model` (records), `cassette` (scenario -> recorded exchanges, pure), `matchers`,
`openai_chat` / `openai_responses` / `anthropic_messages` (pure wire shapes), `playback`
(turn, served calls, exchange log), `upstream` (hybrid forwarding), `server` (`StandIn`).
"""

from otel_replay.standin.cassette import Cassette, build_cassette
from otel_replay.standin.matchers import (
    DEFAULT_MATCH_ON,
    Matcher,
    matcher_names,
    register_matcher,
)
from otel_replay.standin.model import (
    Divergence,
    ExchangeSource,
    LlmAnswer,
    LlmRequest,
    NearMiss,
    ProviderApi,
    RecordedExchange,
    StandInExchange,
    StandInMode,
)
from otel_replay.standin.server import PLACEHOLDER_API_KEY, StandIn
from otel_replay.standin.upstream import Upstream

__all__ = [
    "DEFAULT_MATCH_ON",
    "PLACEHOLDER_API_KEY",
    "Cassette",
    "Divergence",
    "ExchangeSource",
    "LlmAnswer",
    "LlmRequest",
    "Matcher",
    "NearMiss",
    "ProviderApi",
    "RecordedExchange",
    "StandIn",
    "StandInExchange",
    "StandInMode",
    "Upstream",
    "build_cassette",
    "matcher_names",
    "register_matcher",
]
