"""Side-effecting functions an agent calls, undecorated: sealed only by `--seal` import paths.

Each writes a file per call into `SIDE_EFFECTS` (a test's tmp_path)."""

from __future__ import annotations

from pathlib import Path

SIDE_EFFECTS = Path("/nonexistent/otel-replay-side-effects")


def side_effect(kind: str, order_id: str) -> None:
    (SIDE_EFFECTS / f"{kind}-{order_id}").write_text(order_id)


def issue_refund(order_id: str) -> dict[str, str]:
    side_effect("function", order_id)
    return {"order_id": order_id, "refund": "issued"}


async def refund_later(order_id: str) -> dict[str, str]:
    side_effect("async", order_id)
    return {"order_id": order_id, "refund": "issued"}


class Refunds:
    def __init__(self, shop: str) -> None:
        self.shop = shop

    def issue_refund(self, order_id: str) -> dict[str, str]:
        side_effect(f"method-{self.shop}", order_id)
        return {"order_id": order_id, "refund": "issued"}

    @staticmethod
    def refund_now(order_id: str) -> dict[str, str]:
        side_effect("static", order_id)
        return {"order_id": order_id, "refund": "issued"}
