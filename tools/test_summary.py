#!/usr/bin/env python3
# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The closing lines of `make test`: counts per suite from JUnit XML files, what was skipped and why.

    tools/test_summary.py step RESULTS_DIR NAME [--log FILE] -- COMMAND ...
                                                                 run a step, record it as one test case
    tools/test_summary.py skip RESULTS_DIR NAME REASON           record a step the user left out
    tools/test_summary.py report RESULTS_DIR [--expect NAME ...] the closing lines

Each pytest run of `make test` (unit tests per ansible-core, Molecule verifiers
per scenario) writes RESULTS_DIR/<suite>.xml; every other step (lint, sanity,
packaging, each Molecule scenario as a whole) is recorded by `step` as a suite
of one test case with its time. A suite named with --expect whose file is
missing counts as failed: a suite that did not run is not green. `report` exits
1 when anything failed or an expected suite is missing. Its last line is
"total: N passed, N failed, N skipped".
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path


def tally(path: Path) -> dict:
    """passed/failed/skipped counts and the skip reasons of one JUnit XML file."""
    counts = {"passed": 0, "failed": 0, "skipped": 0, "reasons": [], "seconds": 0.0}
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    for suite in suites:
        counts["seconds"] += float(suite.get("time", 0))
        for case in suite.iter("testcase"):
            if case.find("failure") is not None or case.find("error") is not None:
                counts["failed"] += 1
            elif (skip := case.find("skipped")) is not None:
                counts["skipped"] += 1
                counts["reasons"].append(f"{case.get('classname')}::{case.get('name')}: {skip.get('message', '')}")
            else:
                counts["passed"] += 1
    return counts


def write_case(results: Path, name: str, seconds: float, outcome: str = "", message: str = "") -> None:
    """RESULTS/step-NAME.xml: a suite of one test case, passed (no outcome), ``failure`` or ``skipped``."""
    results.mkdir(parents=True, exist_ok=True)
    suite = ET.Element("testsuite", name=f"step-{name}", tests="1", time=f"{seconds:.1f}")
    case = ET.SubElement(suite, "testcase", classname="make", name=name, time=f"{seconds:.1f}")
    if outcome:
        ET.SubElement(case, outcome, message=message)
    ET.ElementTree(suite).write(results / f"step-{name}.xml", encoding="unicode")


def step(results: Path, name: str, command: list[str], log: Path | None = None) -> int:
    """Run ``command``; its output goes to the terminal, or to ``log`` (then its end is shown if it fails)."""
    start = time.monotonic()
    if log:
        log.parent.mkdir(parents=True, exist_ok=True)
        print(f"=== {name}: started, output in {log}", flush=True)
        with log.open("w") as out:
            code = subprocess.call(command, stdout=out, stderr=subprocess.STDOUT)
    else:
        code = subprocess.call(command)
    seconds = time.monotonic() - start
    write_case(results, name, seconds, "failure" if code else "", f"exit status {code}" if code else "")
    if code and log:
        lines = log.read_text(errors="replace").splitlines()
        print(f"=== {name}: the last 200 lines of {log}", *lines[-200:], sep="\n", flush=True)
    print(f"=== {name}: {'passed' if code == 0 else f'FAILED (exit status {code})'} in {seconds:.0f} s", flush=True)
    return code


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="verb", required=True)
    run = sub.add_parser("step")
    run.add_argument("results", type=Path)
    run.add_argument("name")
    run.add_argument("--log", type=Path, help="send the command's output to this file")
    skip = sub.add_parser("skip")
    skip.add_argument("results", type=Path)
    skip.add_argument("name")
    skip.add_argument("reason")
    report_parser = sub.add_parser("report")
    report_parser.add_argument("results", type=Path)
    report_parser.add_argument("--expect", nargs="*", default=[], help="suites that must have a result file")
    argv = sys.argv[1:] if argv is None else argv
    command = argv[argv.index("--") + 1 :] if "--" in argv else []
    args = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    if args.verb == "step":
        if not command:
            parser.error("step: give the command after --")
        return step(args.results, args.name, command, args.log)
    if args.verb == "skip":
        write_case(args.results, args.name, 0.0, "skipped", args.reason)
        print(f"=== {args.name}: skipped ({args.reason})")
        return 0
    return report(args)


def report(args) -> int:
    files = {path.stem: path for path in sorted(args.results.glob("*.xml"))}
    total = {"passed": 0, "failed": 0, "skipped": 0}
    skipped = []
    for name in args.expect:
        if name not in files:
            print(f"  {name:<28} did not run (no {args.results / (name + '.xml')})")
            total["failed"] += 1
    for name, path in files.items():
        counts = tally(path)
        for key in total:
            total[key] += counts[key]
        skipped += counts["reasons"]
        print(
            f"  {name:<28} {counts['passed']:>4} passed, {counts['failed']} failed, "
            f"{counts['skipped']} skipped ({counts['seconds']:.0f} s)"
        )
    if skipped:
        print("skipped:")
        for reason in skipped:
            print(f"  {reason}")
    print(f"total: {total['passed']} passed, {total['failed']} failed, {total['skipped']} skipped")
    return 1 if total["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
