"""Reply similarity by embeddings: the cosine of the two replies' vectors.

The vectors come from an OpenAI-compatible `/v1/embeddings` endpoint, or, without one,
from a local sentence-transformers model (`pip install 'otel-replay[embeddings]'`).
"""

from __future__ import annotations

import importlib
import importlib.util
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from otel_replay.core.errors import BadInputError
from otel_replay.evals.endpoint import EndpointError, post_json, read_api_key, resolve_url

DEFAULT_ENDPOINT_MODEL = "text-embedding-3-small"
DEFAULT_LOCAL_MODEL = "all-MiniLM-L6-v2"
EXTRA_HINT = "pip install 'otel-replay[embeddings]'"


def has_local_embeddings() -> bool:
    """Whether sentence-transformers is installed."""
    return importlib.util.find_spec("sentence_transformers") is not None


def measure_cosine(a: Sequence[float], b: Sequence[float]) -> float:
    """The cosine of two vectors, 0.0 when either is all zeros."""
    norms = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b, strict=True)) / norms if norms else 0.0


def _read_vectors(answer: object, url: str, count: int) -> list[list[float]]:
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, list) or len(data) != count:
        raise EndpointError(f"{url} answered without {count} embeddings in 'data'")
    items = sorted(data, key=lambda item: item.get("index", 0) if isinstance(item, dict) else 0)
    vectors = []
    for item in items:
        vector = item.get("embedding") if isinstance(item, dict) else None
        if not isinstance(vector, list) or not all(isinstance(x, int | float) for x in vector):
            raise EndpointError(f"{url} answered an embedding that is not a list of numbers")
        vectors.append([float(x) for x in vector])
    return vectors


def embed_with_endpoint(texts: Sequence[str], endpoint: str, model: str) -> list[list[float]]:
    """One vector per text from `endpoint`'s `/embeddings`; EndpointError names the URL."""
    url = resolve_url(endpoint, "embeddings")
    answer = post_json(url, {"model": model, "input": list(texts)}, api_key=read_api_key())
    return _read_vectors(answer, url, len(texts))


@lru_cache(maxsize=2)
def _local_model(name: str) -> Any:
    try:
        module = importlib.import_module("sentence_transformers")
    except ImportError as exc:
        raise BadInputError(
            f"reply_similarity method embeddings without an endpoint needs a local model: "
            f"{EXTRA_HINT}, or give `endpoint`"
        ) from exc
    return module.SentenceTransformer(name)


def embed_locally(texts: Sequence[str], model: str) -> list[list[float]]:
    """One vector per text from a local sentence-transformers model (loaded once)."""
    vectors = _local_model(model).encode(list(texts))
    return [[float(x) for x in vector] for vector in vectors]


def measure_embedding_similarity(
    original: str | None, replayed: str | None, *, endpoint: str | None, model: str | None
) -> float:
    """The cosine of the replies' embeddings, clipped to [0, 1]; empty replies compare as
    in the lexical measure (equal when both are empty, else 0)."""
    before, after = (original or "").strip(), (replayed or "").strip()
    if not before or not after:
        return float(before == after)
    if endpoint is not None:
        vectors = embed_with_endpoint([before, after], endpoint, model or DEFAULT_ENDPOINT_MODEL)
    else:
        vectors = embed_locally([before, after], model or DEFAULT_LOCAL_MODEL)
    return min(1.0, max(0.0, measure_cosine(vectors[0], vectors[1])))
