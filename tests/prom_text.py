# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""A strict reader of Prometheus' text exposition format (what node_exporter's textfile collector accepts), and
promtool from Debian's prometheus package (unpacked into .build/promtool by tools/setup.sh test).

Used by the unit tests of the metrics script and the alert rules, and by the lab's metrics test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"'
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:{LABEL})(?:,{LABEL})*)?\}})? (\S+)$")
TYPES = {"counter", "gauge", "untyped", "summary", "histogram"}
PROMTOOL_INSTALL = (
    "run `bash tools/setup.sh test` (it unpacks Debian's prometheus package's promtool into .build/promtool: "
    "apt-get download prometheus && dpkg-deb -x prometheus_*.deb .build/promtool/root), or set BBB_PROMTOOL"
)


def parse(text: str) -> dict[tuple[str, frozenset], float]:
    """{(name, frozenset of (label, value)): value}; raises ValueError on anything the format does not allow."""
    types, helps, samples = {}, set(), {}
    if text and not text.endswith("\n"):
        raise ValueError("the text does not end with a newline")
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            if name in helps:
                raise ValueError(f"line {number}: second HELP of {name}")
            helps.add(name)
        elif line.startswith("# TYPE "):
            parts = line.split(" ")
            if len(parts) != 4 or parts[3] not in TYPES or parts[2] in types:
                raise ValueError(f"line {number}: bad or repeated TYPE: {line!r}")
            types[parts[2]] = parts[3]
        elif line.startswith("#") or not line.strip():
            raise ValueError(f"line {number}: unexpected line {line!r}")
        else:
            match = SAMPLE.match(line)
            if not match:
                raise ValueError(f"line {number}: not a sample: {line!r}")
            name = match.group(1)
            if name not in types:
                raise ValueError(f"line {number}: {name} has no TYPE before it")
            if types[name] == "counter" and not name.endswith("_total"):
                raise ValueError(f"line {number}: counter {name} does not end in _total")
            labels = frozenset(re.findall(LABEL, match.group(2) or ""))
            value = float(match.group(match.lastindex))
            key = (name, labels)
            if key in samples:
                raise ValueError(f"line {number}: duplicate sample {line!r}")
            samples[key] = value
    return samples


def value(samples, name, **labels):
    """The value of the sample ``name`` whose labels include ``labels`` (exactly one must match)."""
    found = [v for (n, ls), v in samples.items() if n == name and set(labels.items()) <= set(ls)]
    if len(found) != 1:
        raise KeyError(f"{len(found)} samples of {name} with {labels}")
    return found[0]


def promtool() -> str | None:
    """Path of promtool: $BBB_PROMTOOL, .build/promtool's unpacked package, or PATH; None when none is there."""
    for candidate in (os.environ.get("BBB_PROMTOOL"), str(ROOT / ".build/promtool/root/usr/bin/promtool")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("promtool")


def promtool_run(*args, stdin: str | None = None) -> subprocess.CompletedProcess:
    tool = promtool()
    if tool is None:
        raise FileNotFoundError("promtool")
    return subprocess.run([tool, *args], input=stdin, capture_output=True, text=True, check=False)
