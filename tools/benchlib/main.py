# Copyright: contributors to bbb.cluster_proxy
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The run of `make bench`: checks what it needs, runs the benchmarks chosen (rollout's cluster first, with assets
and cache500 on its first size; then scale), removes its lab, writes the report and results.json."""

from __future__ import annotations

import datetime
import json
import os
import shutil
import signal
import sys
import time
from pathlib import Path

from . import baselines, load
from .lab import Lab, other_containers, suite_image
from .machine import machine
from .report import report
from .rollout import bench_cluster, prepare_cluster
from .runner import ansible_env
from .scale import bench_scale
from .settings import ALL, CACHE_NODES, FORKS, IMAGE, NODES, ONLY, OUTPUT, SCALE_SUITES, SIZES, WORK
from .shell import BenchError, log, run


def main() -> int:
    unknown = set(ONLY) - set(ALL)
    if unknown:
        raise SystemExit(f"BENCH_ONLY: unknown benchmark(s) {', '.join(sorted(unknown))}; choose from {', '.join(ALL)}")
    started = time.time()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the finally blocks on kill as on Ctrl-C
    baselines.get()  # a broken baselines.yml fails now, not after the benchmarks
    collection = (
        Path(ansible_env()["ANSIBLE_COLLECTIONS_PATH"].split(os.pathsep)[0]) / "ansible_collections/bbb/cluster_proxy"
    )
    if not collection.exists():
        raise BenchError(f"{collection} is missing: run `make collection` (make bench does)")
    images = {IMAGE} | ({suite_image(s) for s in SCALE_SUITES} if "scale" in ONLY else set())
    for image in sorted(images):
        if run(["docker", "image", "inspect", image], check=False).returncode != 0:
            raise BenchError(f"the lab image {image} is missing: run `make lab-image` (make bench does)")
    if {"assets", "cache500"} & set(ONLY):
        load.ensure_wrk()
    WORK.mkdir(parents=True, exist_ok=True)
    shutil.rmtree(WORK / "logs", ignore_errors=True)
    log(
        f"benchmarks: {', '.join(ONLY)}; scale {SIZES} on {', '.join(SCALE_SUITES)}, cache500 {CACHE_NODES} nodes, "
        f"rollout {NODES}, forks {FORKS}; report -> {OUTPUT}"
    )

    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    info = machine()
    others_at_start = other_containers()
    results: dict = {}
    lab = Lab()
    try:
        lab.remove_leftovers()
        lab.create_network()
        on_cluster = {"assets", "cache500"} & set(ONLY)
        if "rollout" in ONLY or on_cluster:
            sizes = NODES if "rollout" in ONLY else NODES[:1]
            proxy, nodes, snapshots, prepare_s = prepare_cluster(lab, max(sizes))
            rollout = []
            for i, n in enumerate(sizes):
                row, found = bench_cluster(lab, n, proxy, nodes, snapshots, on_cluster if i == 0 else set())
                rollout.append({**row, "prepare_s": prepare_s, "prepared": max(sizes)})
                info.update(row["versions"])
                results.update(found)
            if "rollout" in ONLY:
                results["rollout"] = rollout
        if "scale" in ONLY:
            results["scale"] = []
            for suite in SCALE_SUITES:
                sizes = SIZES if suite == "bookworm" else sorted({min(SIZES), max(SIZES)})
                results["scale"].append(bench_scale(lab, suite, sizes, variant=suite == "bookworm"))
                versions = results["scale"][-1]["versions"]
                if suite_image(suite) == IMAGE and all(
                    info.get(k.replace(f"({suite} image)", "(lab image)")) == v for k, v in versions.items()
                ):  # the cluster's image: one set of rows
                    for k in versions:
                        info.pop(k.replace(f"({suite} image)", "(lab image)"), None)
                info.update(versions)
    finally:
        lab.close()
    info["Date"] = f"{date} (start of the run)"
    info["_others"] = (
        f"{others_at_start} other running containers at the start of this run, {other_containers()} at its end"
        + (
            f"; the 1-minute load average around the wrk runs of sections 1 and 2 was {min(load.LOADS):.1f} to "
            f"{max(load.LOADS):.1f} (wrk and the two nginx alone make about 2-3)"
            if load.LOADS
            else ""
        )
    )
    info["Wall time of the run"] = f"{(time.time() - started) / 60:.1f} min"
    (WORK / "results.json").write_text(json.dumps({"info": info, "results": results}, indent=1, default=str) + "\n")
    text = report(info, results, started)
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text)
    print(text)
    log(f"wrote {OUTPUT} in {(time.time() - started) / 60:.1f} min")
    return 0
