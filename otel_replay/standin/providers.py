"""The provider shapes by API, and which API a request path is for."""

from __future__ import annotations

from otel_replay.standin import anthropic_messages, openai_chat, openai_responses
from otel_replay.standin.model import ProviderApi
from otel_replay.standin.shapes import ProviderShape

PROVIDER_SHAPES: dict[ProviderApi, ProviderShape] = {
    shape.api: shape
    for shape in (openai_chat.SHAPE, openai_responses.SHAPE, anthropic_messages.SHAPE)
}
# Path endings, so that `/v1/chat/completions` and a bare `/chat/completions` both answer.
_ROUTES: tuple[tuple[str, ProviderApi], ...] = (
    ("/chat/completions", ProviderApi.OPENAI_CHAT),
    ("/responses", ProviderApi.OPENAI_RESPONSES),
    ("/messages", ProviderApi.ANTHROPIC_MESSAGES),
)
ROUTES_TEXT = "POST /v1/chat/completions, /v1/responses or /v1/messages"


def api_for_path(path: str) -> ProviderApi | None:
    """The API a request path is for (query string ignored), None when none is."""
    path = path.split("?", 1)[0].rstrip("/")
    return next((api for ending, api in _ROUTES if path.endswith(ending)), None)
