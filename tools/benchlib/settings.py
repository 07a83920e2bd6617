# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Where the benchmarks work, the lab's fixed names, and the knobs read from the environment (see tools/bench.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORK = ROOT / ".build" / "bench"
BENCH_DIR = ROOT / "tools" / "bench"
BIN = Path(sys.executable).parent
IMAGE = os.environ.get("BBB_LAB_IMAGE") or "bbb-cluster-proxy/debian-systemd:bookworm"
NETWORK = "bbb-bench"
PREFIX = "bench-"
SNAPSHOT = f"{PREFIX}snapshot/"  # images of the prepared lab containers
DOMAIN = "lab.test"
VERSIONS = ("3.0", "2.7")  # the nodes alternate between these
RELEASES = {"3.0": "3.0.30", "2.7": "2.7.12"}
# The client directory of each lab node family (bbb_lab_node role); the node serves it as /<label>/html5client/.
CLIENT_DIRS = {"3.0": "/usr/share/bigbluebutton/html5-client", "2.7": "/usr/share/meteor/bundle/programs/web.browser"}
# Scripts the bench writes into the real nodes' client directories (under bench/), name -> size in bytes.
BENCH_FILES = {"asset-6k.js": 6 * 1024, "asset-200k.js": 200 * 1024}

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_list(name: str, default: str) -> list[int]:
    values = [int(v) for v in os.environ.get(name, default).replace(",", " ").split()]
    if not values or any(v < 1 for v in values):
        raise SystemExit(f"{name} must list positive numbers, got {os.environ.get(name)!r}")
    return sorted(set(values))


ALL = ("assets", "cache500", "scale", "rollout")
ONLY = [b.strip() for b in os.environ.get("BENCH_ONLY", ",".join(ALL)).split(",") if b.strip()]
SIZES = env_list("BENCH_SIZES", "5 20" if QUICK else "10 100 500")
NODES = env_list("BENCH_NODES", "2" if QUICK else "2 8 16")
SCALE_SUITES = os.environ.get("BENCH_SCALE_SUITES", "bookworm trixie bullseye").replace(",", " ").split()
CACHE_NODES = int(os.environ.get("BENCH_CACHE_NODES", "20" if QUICK else "500"))
FORKS = int(os.environ.get("BENCH_FORKS", "4"))
PIPELINING = os.environ.get("BENCH_PIPELINING", "1") not in ("", "0")
PREPARE_FORKS = 16  # the lab's preparation is not timed
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_WRK_CONNECTIONS", "16"))
WRK_DURATION = int(os.environ.get("BENCH_WRK_DURATION", "3" if QUICK else "10"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "1" if QUICK else "4"))  # A B B A rounds per comparison
PARTIAL = QUICK or set(ONLY) != set(ALL)
OUTPUT = Path(
    os.environ.get("BENCH_OUTPUT") or (WORK / "benchmarks.md" if PARTIAL else ROOT / "docs" / "benchmarks.md")
)
