"""Score the labelled reply pairs and print how well reply similarity separates them.

    python bench/similarity.py [--pairs tests/evals/similarity_pairs.json]
        [--method lexical|embeddings] [--endpoint URL] [--model NAME] [--show]

Per label, the distribution of scores; then the threshold that best separates paraphrases
(must pass) from contradictions and unrelated replies (must fail), the gap around it, and
how each label fares at that threshold and at the method's default. Partials are reported,
not counted. `--method embeddings` calibrates an embedding model the same way (an
OpenAI-compatible `--endpoint`, or a local sentence-transformers model); `--show` lists
every pair with its score, worst placed first.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from otel_replay.core.errors import OtelReplayError
from otel_replay.evals.builtin import DEFAULT_THRESHOLDS, SimilarityMethod
from otel_replay.evals.embeddings import measure_embedding_similarity
from otel_replay.evals.similarity import calibrate_threshold, compare_replies

LABELS = ("paraphrase", "partial", "contradiction", "unrelated")
MUST_FAIL = ("contradiction", "unrelated")
DEFAULT_PAIRS = Path(__file__).parent.parent / "tests" / "evals" / "similarity_pairs.json"


def _quantiles(values: Sequence[float]) -> str:
    ordered = sorted(values)
    if len(ordered) < 2:
        return f"{ordered[0]:.2f}" if ordered else "-"
    q1, median, q3 = statistics.quantiles(ordered, n=4, method="inclusive")
    return (
        f"min {ordered[0]:.2f}  q1 {q1:.2f}  median {median:.2f}  q3 {q3:.2f}  "
        f"max {ordered[-1]:.2f}"
    )


def _fares(label: str, values: Sequence[float], threshold: float) -> str:
    passed = sum(v >= threshold for v in values)
    if label == "partial":
        return f"{passed}/{len(values)} pass (not required)"
    wanted = len(values) if label == "paraphrase" else 0
    verdict = "ok" if passed == wanted else "WRONG"
    return f"{passed}/{len(values)} pass ({verdict})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=Path, default=DEFAULT_PAIRS)
    parser.add_argument("--method", choices=[m.value for m in SimilarityMethod], default="lexical")
    parser.add_argument("--endpoint", default=None)
    parser.add_argument("--model", default=None)
    parser.add_argument("--show", action="store_true", help="list every pair with its score")
    options = parser.parse_args()
    method = SimilarityMethod(options.method)

    measure: Callable[[str, str], float]
    if method is SimilarityMethod.LEXICAL:
        measure = lambda a, b: compare_replies(a, b).similarity  # noqa: E731
    else:
        endpoint, model = options.endpoint, options.model
        measure = lambda a, b: measure_embedding_similarity(  # noqa: E731
            a, b, endpoint=endpoint, model=model
        )

    pairs = json.loads(options.pairs.read_text(encoding="utf-8"))["pairs"]
    started = time.perf_counter()
    try:
        scored = [(pair["label"], measure(pair["a"], pair["b"]), pair) for pair in pairs]
    except OtelReplayError as exc:
        raise SystemExit(f"cannot score the pairs: {exc}") from None
    elapsed = time.perf_counter() - started
    by_label = {label: [s for lab, s, _ in scored if lab == label] for label in LABELS}

    print(f"{len(pairs)} pairs from {options.pairs}, method {method.value}")
    print(f"scored in {elapsed * 1000:.1f} ms ({elapsed * 1e6 / len(pairs):.0f} µs a pair)\n")
    for label in LABELS:
        print(f"  {label:<13} n={len(by_label[label]):<3} {_quantiles(by_label[label])}")

    passing = by_label["paraphrase"]
    failing = [s for label in MUST_FAIL for s in by_label[label]]
    calibration = calibrate_threshold(passing, failing)
    default = DEFAULT_THRESHOLDS[method]
    print(
        f"\nchosen threshold {calibration.threshold:.4f} (rounded {calibration.threshold:.2f}): "
        f"{calibration.errors} pair(s) on the wrong side, margin {calibration.margin:.3f}"
    )
    print(
        f"separation: lowest paraphrase {min(passing):.3f}, highest contradiction or "
        f"unrelated {max(failing):.3f}, gap {min(passing) - max(failing):+.3f}"
    )
    for name, threshold in (("chosen", round(calibration.threshold, 2)), ("default", default)):
        fares = ", ".join(
            f"{label} {_fares(label, by_label[label], threshold)}" for label in LABELS
        )
        print(f"at the {name} {threshold:.2f}: {fares}")

    if options.show:
        print()
        cut = calibration.threshold
        for label, score, pair in sorted(scored, key=lambda item: abs(item[1] - cut)):
            print(f"  {score:.3f} {label:<13} {pair['a']!r} | {pair['b']!r}")


if __name__ == "__main__":
    main()
