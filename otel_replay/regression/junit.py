"""JUnit XML for `otel-replay test --junit FILE`: one testcase per regression case."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from otel_replay.regression.check import CaseResult


def junit_xml(results: Sequence[CaseResult], suite: str = "otel-replay") -> str:
    """A JUnit XML document (the schema CI systems read: testsuite/testcase/failure)."""
    failures = sum(1 for r in results if not r.passed)
    total_time = sum(r.duration_seconds for r in results)
    root = ET.Element(
        "testsuite",
        name=suite,
        tests=str(len(results)),
        failures=str(failures),
        errors="0",
        time=f"{total_time:.3f}",
    )
    for result in results:
        case = ET.SubElement(
            root,
            "testcase",
            classname=suite,
            name=result.name,
            time=f"{result.duration_seconds:.3f}",
        )
        if not result.passed:
            failure = ET.SubElement(
                case,
                "failure",
                message=f"{len(result.failures)} check(s) failed",
                type="regression",
            )
            failure.text = "\n".join(f.describe() for f in result.failures)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
