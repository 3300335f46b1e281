#!/usr/bin/env python3
"""Print the figures the sync scenario tests recorded, as a Markdown table.

    python3 run.py test tests/portalsync --junitxml=var/scenarios.xml
    python3 benchmarks/scenario_figures.py var/scenarios.xml

Each test against the emulator records what the portal saw (requests by outcome) and how
long it ran; some scenarios add their own figures (convergence time, pushes after
recovery). Only tests that recorded something are listed.
"""

import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path


def figures(report: Path) -> list[tuple[str, str, dict[str, str]]]:
    """(test, result, properties) for every test case with recorded properties."""
    rows = []
    # The file is the report our own pytest run wrote, not untrusted input.
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314
        properties = {p.get("name", ""): p.get("value", "") for p in case.iter("property")}
        if not properties:
            continue
        failed = case.find("failure") is not None or case.find("error") is not None
        module = case.get("classname", "").rsplit(".", 1)[-1]
        rows.append((f"{module}::{case.get('name')}", "failed" if failed else "passed", properties))
    return rows


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__)
        return 2
    print("| test | result | figures |")
    print("|---|---|---|")
    for name, result, properties in figures(Path(argv[0])):
        text = ", ".join(f"{key} = {value}" for key, value in properties.items())
        print(f"| {name} | {result} | {text} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
