"""Record the late-order incident with the buggy support agent, over OTLP/gRPC, in its own
process (the OTel SDK's provider is process-wide): `python -m tests.simulate.record_incident
--endpoint HOST:PORT`.

The customer asks where a late order is at turn 2; the buggy agent refunds it instead, and
the customer's turn 3 answers that mistake: a replay against the fixed agent diverges at
turn 2, and its recorded turn 3 no longer makes sense.
"""

from __future__ import annotations

import argparse

from otel_replay.demo.record import record_sessions

INCIDENT = "late-order-001"
CUSTOMER_TURNS = [
    "Hello!",
    "My order 123 is late, where is it?",
    "What? I never asked for a refund!",
    "Thanks.",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--endpoint", required=True, help="OTLP/gRPC HOST:PORT")
    args = parser.parse_args()
    record_sessions(args.endpoint, buggy=True, sessions={INCIDENT: CUSTOMER_TURNS})


if __name__ == "__main__":
    main()
